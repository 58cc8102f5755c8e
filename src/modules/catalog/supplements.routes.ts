import { supplementCatalog } from './catalog.kinds';
import { catalogRouter } from './catalog.routes';
import {
  CreateSupplementBody,
  SupplementBulkDeleteBody,
  SupplementIdParam,
  SupplementImportRow,
  SupplementListQuery,
  SupplementSchema,
  UpdateSupplementBody,
} from './catalog.schemas';

/** The supplement catalog: everyone signed in reads, admins write (see ROUTE_POLICIES `supplements.*`). */
export const supplementsRouter = catalogRouter({
  plural: 'supplements',
  tag: 'Supplements',
  spec: supplementCatalog,
  schemas: {
    id: SupplementIdParam,
    list: SupplementListQuery,
    create: CreateSupplementBody,
    update: UpdateSupplementBody,
    view: SupplementSchema,
    importRow: SupplementImportRow,
    bulkDelete: SupplementBulkDeleteBody,
  },
  importRowName: 'SupplementImportRow',
  docs: {
    key: 'brand or sku',
    filter: '`form` keeps one form;',
    csvColumns:
      '`sku`, `name`, `form`, `unit` (required) and `brand`, `strength`, `description`, `lowStockThreshold`, `stockQuantity`',
    csvExample:
      'sku,name,brand,form,strength,unit,description,lowStockThreshold,stockQuantity\nVITD3-1000-SG,Vitamin D3 1000 IU,Kinwell Labs,softgel,1000,IU,"Cholecalciferol, in olive oil",20,120\nMAG-250-TB,Magnesium 250 mg,,tablet,250,mg,,10,\n',
    jsonExample: {
      items: [
        {
          sku: 'VITD3-1000-SG',
          name: 'Vitamin D3 1000 IU',
          brand: 'Kinwell Labs',
          form: 'softgel',
          strength: 1000,
          unit: 'IU',
          lowStockThreshold: 20,
          stockQuantity: 120,
        },
      ],
    },
  },
});
