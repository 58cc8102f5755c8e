import { type VaccineRow, vaccines } from '../../src/db/schema';
import { db, uniqueId } from '../helpers';

/** A catalog vaccine (a three-dose DTaP series by default) written straight to the table. */
export async function seedVaccine(overrides: Partial<VaccineRow> = {}): Promise<VaccineRow> {
  const now = Date.now();
  const row: VaccineRow = {
    id: uniqueId('vac'),
    code: uniqueId('VX'),
    name: 'DTaP',
    manufacturer: null,
    diseases: ['diphtheria', 'tetanus', 'pertussis'],
    dosesInSeries: 3,
    intervalDays: 28,
    minAgeMonths: null,
    maxAgeMonths: null,
    description: null,
    stockQuantity: 0,
    lowStockThreshold: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await db.insert(vaccines).values(row);
  return row;
}
