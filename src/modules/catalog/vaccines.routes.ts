import { vaccineCatalog } from './catalog.kinds';
import { catalogRouter } from './catalog.routes';
import {
  CreateVaccineBody,
  UpdateVaccineBody,
  VaccineBulkDeleteBody,
  VaccineIdParam,
  VaccineImportRow,
  VaccineListQuery,
  VaccineSchema,
} from './catalog.schemas';

/** The vaccine catalog: everyone signed in reads, admins write (see ROUTE_POLICIES `vaccines.*`). */
export const vaccinesRouter = catalogRouter({
  plural: 'vaccines',
  tag: 'Vaccines',
  spec: vaccineCatalog,
  schemas: {
    id: VaccineIdParam,
    list: VaccineListQuery,
    create: CreateVaccineBody,
    update: UpdateVaccineBody,
    view: VaccineSchema,
    importRow: VaccineImportRow,
    bulkDelete: VaccineBulkDeleteBody,
  },
  importRowName: 'VaccineImportRow',
  docs: {
    key: 'manufacturer or code',
    filter: '`disease` keeps vaccines against one disease;',
    csvColumns:
      '`code`, `name`, `diseases` (required; several separated by ";") and `manufacturer`, `dosesInSeries`, `intervalDays`, `minAgeMonths`, `maxAgeMonths`, `description`, `lowStockThreshold`, `stockQuantity`',
    csvExample:
      'code,name,manufacturer,diseases,dosesInSeries,intervalDays,minAgeMonths,maxAgeMonths,lowStockThreshold,stockQuantity\nMMR-II,MMR II,Merck,measles;mumps;rubella,2,28,12,,10,40\nFLU-2026,Influenza 2026/27,,influenza,1,0,6,,25,\n',
    jsonExample: [
      {
        code: 'MMR-II',
        name: 'MMR II',
        manufacturer: 'Merck',
        diseases: ['measles', 'mumps', 'rubella'],
        dosesInSeries: 2,
        intervalDays: 28,
        minAgeMonths: 12,
        lowStockThreshold: 10,
        stockQuantity: 40,
      },
    ],
  },
});
