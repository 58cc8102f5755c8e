import { type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { z } from 'zod';
import {
  type SupplementRow,
  schedules,
  supplements,
  type VaccineRow,
  vaccineSchedules,
  vaccines,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import type { FieldError } from '../../lib/errors';
import { iso } from '../../lib/time';
import {
  type CatalogListInput,
  type CreateSupplementInput,
  type CreateVaccineInput,
  SupplementImportRow,
  type SupplementListInput,
  type SupplementView,
  VaccineImportRow,
  type VaccineListInput,
  type VaccineView,
  vaccineRuleErrors,
} from './catalog.schemas';

export type CatalogKind = 'supplement' | 'vaccine';

/** The columns every catalog table has. */
export interface CatalogRowBase {
  id: string;
  name: string;
  stockQuantity: number;
  lowStockThreshold: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * What the generic catalog engine (catalog, stock and import services) needs to know about one
 * catalog: its table and columns, natural key, how rows become views, which table references its
 * items, its list filters and its import row format. Supplements and vaccines are two values of it.
 */
export interface CatalogSpec<
  Row extends CatalogRowBase,
  View,
  Create extends { lowStockThreshold: number },
  List extends CatalogListInput,
> {
  kind: CatalogKind;
  /** "Supplement" / "Vaccine", for messages. */
  noun: string;
  idPrefix: 'sup' | 'vac';
  table: SQLiteTable;
  columns: {
    id: SQLiteColumn;
    key: SQLiteColumn;
    name: SQLiteColumn;
    stockQuantity: SQLiteColumn;
    lowStockThreshold: SQLiteColumn;
    createdAt: SQLiteColumn;
  };
  /** The natural key's property name (`sku`, `code`): upsert target of imports. */
  keyField: 'sku' | 'code';
  /** Columns `search` looks in. */
  searchColumns: SQLiteColumn[];
  /** Rows elsewhere that point at an item; an item they point at cannot be deleted. */
  referencedBy: { table: SQLiteTable; column: SQLiteColumn; what: string };
  toView(row: Row): View;
  keyOf(row: Row): string;
  /** A complete new row (every column, nulls explicit) from a create body. */
  newRow(input: Create, id: string, now: number, stock: number): Row;
  /** Rules across fields, checked against the merged row of an update. */
  rules?(row: Row): FieldError[];
  /** Extra list filters (form, disease). */
  filters(query: List): SQL[];
  /** The schema of one import row: the create body plus an optional `stockQuantity`. */
  importRow: z.ZodType<Create & { stockQuantity?: number | undefined }>;
  /** CSV: allowed header names, required ones, whole-number columns and `;`-separated list columns. */
  csv: {
    columns: readonly string[];
    required: readonly string[];
    integers: readonly string[];
    lists: readonly string[];
  };
}

/** Either catalog (the engine's functions take this). */
export type AnyCatalogSpec = CatalogSpec<any, any, any, any>;

const lowStock = (row: CatalogRowBase) => row.stockQuantity <= row.lowStockThreshold;

export const supplementCatalog: CatalogSpec<SupplementRow, SupplementView, CreateSupplementInput, SupplementListInput> =
  {
    kind: 'supplement',
    noun: 'Supplement',
    idPrefix: 'sup',
    table: supplements,
    columns: {
      id: supplements.id,
      key: supplements.sku,
      name: supplements.name,
      stockQuantity: supplements.stockQuantity,
      lowStockThreshold: supplements.lowStockThreshold,
      createdAt: supplements.createdAt,
    },
    keyField: 'sku',
    searchColumns: [supplements.name, supplements.brand, supplements.sku],
    referencedBy: { table: schedules, column: schedules.supplementId, what: 'schedule' },
    toView: (row) => ({
      id: row.id,
      sku: row.sku,
      name: row.name,
      brand: row.brand,
      form: row.form,
      strength: row.strength,
      unit: row.unit,
      description: row.description,
      stockQuantity: row.stockQuantity,
      lowStockThreshold: row.lowStockThreshold,
      lowStock: lowStock(row),
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
    }),
    keyOf: (row) => row.sku,
    newRow: (input, id, now, stock) => ({
      id,
      sku: input.sku,
      name: input.name,
      brand: input.brand ?? null,
      form: input.form,
      strength: input.strength ?? null,
      unit: input.unit,
      description: input.description ?? null,
      stockQuantity: stock,
      lowStockThreshold: input.lowStockThreshold,
      createdAt: now,
      updatedAt: now,
    }),
    filters: (query) => (query.form ? [sql`${supplements.form} = ${query.form}`] : []),
    importRow: SupplementImportRow,
    csv: {
      columns: Object.keys(SupplementImportRow.shape),
      required: ['sku', 'name', 'form', 'unit'],
      integers: ['strength', 'lowStockThreshold', 'stockQuantity'],
      lists: [],
    },
  };

export const vaccineCatalog: CatalogSpec<VaccineRow, VaccineView, CreateVaccineInput, VaccineListInput> = {
  kind: 'vaccine',
  noun: 'Vaccine',
  idPrefix: 'vac',
  table: vaccines,
  columns: {
    id: vaccines.id,
    key: vaccines.code,
    name: vaccines.name,
    stockQuantity: vaccines.stockQuantity,
    lowStockThreshold: vaccines.lowStockThreshold,
    createdAt: vaccines.createdAt,
  },
  keyField: 'code',
  searchColumns: [vaccines.name, vaccines.manufacturer, vaccines.code],
  referencedBy: { table: vaccineSchedules, column: vaccineSchedules.vaccineId, what: 'vaccine schedule' },
  toView: (row) => ({
    id: row.id,
    code: row.code,
    name: row.name,
    manufacturer: row.manufacturer,
    diseases: row.diseases,
    dosesInSeries: row.dosesInSeries,
    intervalDays: row.intervalDays,
    minAgeMonths: row.minAgeMonths,
    maxAgeMonths: row.maxAgeMonths,
    description: row.description,
    stockQuantity: row.stockQuantity,
    lowStockThreshold: row.lowStockThreshold,
    lowStock: lowStock(row),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  }),
  keyOf: (row) => row.code,
  newRow: (input, id, now, stock) => ({
    id,
    code: input.code,
    name: input.name,
    manufacturer: input.manufacturer ?? null,
    diseases: input.diseases,
    dosesInSeries: input.dosesInSeries,
    intervalDays: input.intervalDays,
    minAgeMonths: input.minAgeMonths ?? null,
    maxAgeMonths: input.maxAgeMonths ?? null,
    description: input.description ?? null,
    stockQuantity: stock,
    lowStockThreshold: input.lowStockThreshold,
    createdAt: now,
    updatedAt: now,
  }),
  rules: vaccineRuleErrors,
  filters: (query) =>
    query.disease
      ? [
          sql`exists (select 1 from json_each(${qualified(vaccines.diseases)}) where lower(value) = lower(${query.disease}))`,
        ]
      : [],
  importRow: VaccineImportRow,
  csv: {
    columns: Object.keys(VaccineImportRow.shape),
    required: ['code', 'name', 'diseases'],
    integers: ['dosesInSeries', 'intervalDays', 'minAgeMonths', 'maxAgeMonths', 'lowStockThreshold', 'stockQuantity'],
    lists: ['diseases'],
  },
};
