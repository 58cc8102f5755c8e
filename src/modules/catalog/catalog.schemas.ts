import { z } from '@hono/zod-openapi';
import { DOSE_UNITS, STOCK_REASONS, SUPPLEMENT_FORMS } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';

/**
 * Request and response schemas of the two catalogs (supplements, vaccines) and of what they share:
 * stock adjustments and the ledger, bulk delete, imports. Create bodies are also the row schemas of
 * an import, so a row is judged exactly like a POST.
 */

/** Largest stock a row may be imported with, and the largest single adjustment. */
export const MAX_STOCK = 10_000_000;
export const MAX_BULK_DELETE = 100;

const WHOLE = 'Must be a whole number';

/** An integer in [min, max] with messages a spreadsheet user understands. */
const wholeNumber = (min: number, max: number) =>
  z.number({ error: WHOLE }).int(WHOLE).min(min, `Must be at least ${min}`).max(max, `Must be at most ${max}`);

const textLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'Must not be empty')
    .max(max, `Must be at most ${max} characters`)
    .regex(NO_CONTROL_CHARS, 'Must not contain control characters');

const Description = z
  .string()
  .trim()
  .max(2000, 'Must be at most 2000 characters')
  .refine(
    (s) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s),
    'Must not contain control characters other than line breaks and tabs',
  )
  .transform((s) => s || null);

/** A natural key (sku, vaccine code): case-insensitive, stored upper-case. */
const naturalKey = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'Must not be empty')
    .max(64, 'Must be at most 64 characters')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      `A ${what} is letters, digits, ".", "_" and "-", starting with a letter or digit`,
    )
    .toUpperCase();

const Quantity = wholeNumber(0, MAX_STOCK);

// ---- supplements

const Sku = naturalKey('SKU').openapi({ example: 'VITD3-1000-SG' });

const supplementShape = {
  sku: Sku,
  name: textLine(160).openapi({ example: 'Vitamin D3 1000 IU' }),
  brand: textLine(120).nullable().optional().openapi({ example: 'Kinwell Labs' }),
  form: z.enum(SUPPLEMENT_FORMS),
  strength: wholeNumber(1, 1_000_000_000)
    .nullable()
    .optional()
    .openapi({ description: 'Amount per unit in `unit` (whole number; use a smaller unit for fractions)' }),
  unit: z.enum(DOSE_UNITS),
  description: Description.nullable().optional(),
  lowStockThreshold: Quantity.default(0).openapi({ description: 'Low stock when stockQuantity ≤ this' }),
};

const SUPPLEMENT_EXAMPLE = {
  sku: 'VITD3-1000-SG',
  name: 'Vitamin D3 1000 IU',
  brand: 'Kinwell Labs',
  form: 'softgel',
  strength: 1000,
  unit: 'IU',
  description: 'Cholecalciferol in olive oil',
  lowStockThreshold: 20,
} as const;

export const CreateSupplementBody = z
  .strictObject(supplementShape)
  .openapi('CreateSupplement', { example: SUPPLEMENT_EXAMPLE });

/** An import row: a create body plus the opening (or counted) stock. */
export const SupplementImportRow = z
  .strictObject({ ...supplementShape, stockQuantity: Quantity.optional() })
  .openapi('SupplementImportRow', { example: { ...SUPPLEMENT_EXAMPLE, stockQuantity: 120 } });

export const UpdateSupplementBody = z
  .strictObject({
    sku: Sku.optional(),
    name: supplementShape.name.optional(),
    brand: supplementShape.brand,
    form: supplementShape.form.optional(),
    strength: supplementShape.strength,
    unit: supplementShape.unit.optional(),
    description: supplementShape.description,
    lowStockThreshold: Quantity.optional(),
  })
  .openapi('UpdateSupplement', { example: { name: 'Vitamin D3 1000 IU (60 softgels)', lowStockThreshold: 30 } });

export type CreateSupplementInput = z.output<typeof CreateSupplementBody>;
export type UpdateSupplementInput = z.output<typeof UpdateSupplementBody>;

const stockFields = {
  stockQuantity: z.number().int(),
  lowStockThreshold: z.number().int(),
  /** stockQuantity ≤ lowStockThreshold. */
  lowStock: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

export const SupplementSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    brand: z.string().nullable(),
    form: z.enum(SUPPLEMENT_FORMS),
    strength: z.number().int().nullable(),
    unit: z.enum(DOSE_UNITS),
    description: z.string().nullable(),
    ...stockFields,
  })
  .openapi('Supplement', {
    example: {
      id: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      ...SUPPLEMENT_EXAMPLE,
      stockQuantity: 120,
      lowStock: false,
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type SupplementView = z.infer<typeof SupplementSchema>;

// ---- vaccines

const Code = naturalKey('vaccine code').openapi({ example: 'MMR-II' });

export interface VaccineRuleFields {
  dosesInSeries: number;
  intervalDays: number;
  minAgeMonths?: number | null;
  maxAgeMonths?: number | null;
}

/** Rules across fields of a vaccine; also applied to the merged row of an update. */
export function vaccineRuleErrors(v: VaccineRuleFields): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  if (v.dosesInSeries === 1 && v.intervalDays !== 0) {
    errors.push({ field: 'intervalDays', message: 'A single-dose vaccine has no interval between doses; use 0' });
  }
  if (v.dosesInSeries > 1 && v.intervalDays < 1) {
    errors.push({ field: 'intervalDays', message: 'Give the days between doses of the series (at least 1)' });
  }
  if (v.minAgeMonths != null && v.maxAgeMonths != null && v.maxAgeMonths < v.minAgeMonths) {
    errors.push({ field: 'maxAgeMonths', message: 'Must not be below minAgeMonths' });
  }
  return errors;
}

const checkVaccineRules = (v: VaccineRuleFields, ctx: z.RefinementCtx) => {
  for (const e of vaccineRuleErrors(v)) ctx.addIssue({ code: 'custom', path: [e.field], message: e.message });
};

const Diseases = z
  .array(textLine(80))
  .min(1, 'Name at least one disease')
  .max(20, 'At most 20 diseases')
  .refine((list) => new Set(list.map((d) => d.toLowerCase())).size === list.length, 'Diseases must not repeat')
  .openapi({ example: ['measles', 'mumps', 'rubella'] });

const vaccineShape = {
  code: Code,
  name: textLine(160).openapi({ example: 'MMR II' }),
  manufacturer: textLine(120).nullable().optional().openapi({ example: 'Merck' }),
  diseases: Diseases,
  dosesInSeries: wholeNumber(1, 20).default(1),
  intervalDays: wholeNumber(0, 3650)
    .default(0)
    .openapi({ description: 'Days between doses of the series; 0 for a single-dose vaccine' }),
  minAgeMonths: wholeNumber(0, 1800).nullable().optional(),
  maxAgeMonths: wholeNumber(0, 1800).nullable().optional(),
  description: Description.nullable().optional(),
  lowStockThreshold: Quantity.default(0).openapi({ description: 'Low stock when stockQuantity ≤ this' }),
};

const VACCINE_EXAMPLE = {
  code: 'MMR-II',
  name: 'MMR II',
  manufacturer: 'Merck',
  diseases: ['measles', 'mumps', 'rubella'],
  dosesInSeries: 2,
  intervalDays: 28,
  minAgeMonths: 12,
  maxAgeMonths: null,
  description: 'Live attenuated measles, mumps and rubella vaccine',
  lowStockThreshold: 10,
};

export const CreateVaccineBody = z
  .strictObject(vaccineShape)
  .superRefine(checkVaccineRules)
  .openapi('CreateVaccine', { example: VACCINE_EXAMPLE });

export const VaccineImportRow = z
  .strictObject({ ...vaccineShape, stockQuantity: Quantity.optional() })
  .superRefine(checkVaccineRules)
  .openapi('VaccineImportRow', { example: { ...VACCINE_EXAMPLE, stockQuantity: 40 } });

/** Rules across fields are checked by the service against the merged row. */
export const UpdateVaccineBody = z
  .strictObject({
    code: Code.optional(),
    name: vaccineShape.name.optional(),
    manufacturer: vaccineShape.manufacturer,
    diseases: Diseases.optional(),
    dosesInSeries: wholeNumber(1, 20).optional(),
    intervalDays: wholeNumber(0, 3650).optional(),
    minAgeMonths: vaccineShape.minAgeMonths,
    maxAgeMonths: vaccineShape.maxAgeMonths,
    description: vaccineShape.description,
    lowStockThreshold: Quantity.optional(),
  })
  .openapi('UpdateVaccine', { example: { dosesInSeries: 3, intervalDays: 56 } });

export type CreateVaccineInput = z.output<typeof CreateVaccineBody>;
export type UpdateVaccineInput = z.output<typeof UpdateVaccineBody>;

export const VaccineSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    manufacturer: z.string().nullable(),
    diseases: z.array(z.string()),
    dosesInSeries: z.number().int(),
    intervalDays: z.number().int(),
    minAgeMonths: z.number().int().nullable(),
    maxAgeMonths: z.number().int().nullable(),
    description: z.string().nullable(),
    ...stockFields,
  })
  .openapi('Vaccine', {
    example: {
      id: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      ...VACCINE_EXAMPLE,
      stockQuantity: 40,
      lowStock: false,
      createdAt: '2026-01-15T10:30:00.000Z',
      updatedAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type VaccineView = z.infer<typeof VaccineSchema>;

// ---- ids and lists

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

function idParam(prefix: string, what: string) {
  return z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_${ULID}$`), `Not a ${what} id`)
      .openapi({ param: { name: 'id', in: 'path' }, example: `${prefix}_01JF8ZS5X0V6M3A2Q9K1T7B4CE` }),
  });
}

export const SupplementIdParam = idParam('sup', 'supplement');
export const VaccineIdParam = idParam('vac', 'vaccine');

export const CATALOG_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'stock', '-stock'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];

const CatalogListQuery = PageQuery.extend({
  search: z.string().trim().max(100).optional().openapi({
    description: 'Part of the name, brand/manufacturer or SKU/code (case-insensitive)',
    example: 'vitamin',
  }),
  lowStock: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({
      description: 'true: only items with stockQuantity ≤ lowStockThreshold; false: the others',
      example: 'true',
    }),
  sort: z
    .enum(CATALOG_SORTS)
    .default('name')
    .openapi({ description: 'A leading "-" sorts descending', example: 'name' }),
});

export const SupplementListQuery = CatalogListQuery.extend({ form: z.enum(SUPPLEMENT_FORMS).optional() });
export const VaccineListQuery = CatalogListQuery.extend({
  disease: textLine(80)
    .optional()
    .openapi({ description: 'Only vaccines against this disease (exact, case-insensitive)', example: 'measles' }),
});

export interface CatalogListInput {
  page: number;
  limit: number;
  search?: string;
  lowStock?: boolean;
  sort: CatalogSort;
}
export type SupplementListInput = z.output<typeof SupplementListQuery>;
export type VaccineListInput = z.output<typeof VaccineListQuery>;

// ---- stock

export const StockAdjustmentBody = z
  .strictObject({
    delta: wholeNumber(-MAX_STOCK, MAX_STOCK)
      .refine((n) => n !== 0, 'Must not be 0')
      .openapi({ description: 'Units added (positive) or removed (negative)', example: -2 }),
    reason: z.enum(STOCK_REASONS),
    note: textLine(500).nullable().optional().openapi({ example: 'Dispensed at the Elm Street clinic' }),
  })
  .superRefine((v, ctx) => {
    if (v.reason === 'received' && v.delta < 0) {
      ctx.addIssue({ code: 'custom', path: ['delta'], message: 'Received stock must be a positive delta' });
    }
    if ((v.reason === 'dispensed' || v.reason === 'expired') && v.delta > 0) {
      ctx.addIssue({ code: 'custom', path: ['delta'], message: `Stock ${v.reason} must be a negative delta` });
    }
  })
  .openapi('StockAdjustment', {
    example: { delta: -2, reason: 'dispensed', note: 'Dispensed at the Elm Street clinic' },
  });

export type StockAdjustmentInput = z.output<typeof StockAdjustmentBody>;

const MOVEMENT_EXAMPLE = {
  id: 'stk_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  itemType: 'supplement' as const,
  itemId: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  delta: -2,
  reason: 'dispensed' as const,
  note: 'Dispensed at the Elm Street clinic',
  balanceAfter: 118,
  actorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
  createdAt: '2026-01-15T10:30:00.000Z',
};

export const StockMovementSchema = z
  .object({
    id: z.string(),
    itemType: z.enum(['supplement', 'vaccine']),
    itemId: z.string(),
    delta: z.number().int(),
    reason: z.enum(STOCK_REASONS),
    note: z.string().nullable(),
    balanceAfter: z.number().int(),
    actorId: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('StockMovement', { example: MOVEMENT_EXAMPLE });

export type StockMovementView = z.infer<typeof StockMovementSchema>;

export const StockAdjustmentResultSchema = z
  .object({ movement: StockMovementSchema, stockQuantity: z.number().int(), lowStock: z.boolean() })
  .openapi('StockAdjustmentResult', { example: { movement: MOVEMENT_EXAMPLE, stockQuantity: 118, lowStock: false } });

// ---- bulk delete

function bulkDeleteBody(idParam: typeof SupplementIdParam, prefix: string, name: string) {
  return z
    .strictObject({
      ids: z
        .array(idParam.shape.id)
        .min(1, 'Give at least one id')
        .max(MAX_BULK_DELETE, `At most ${MAX_BULK_DELETE} ids`)
        .refine((ids) => new Set(ids).size === ids.length, 'Ids must not repeat'),
    })
    .openapi(name, {
      example: { ids: [`${prefix}_01JF8ZS5X0V6M3A2Q9K1T7B4CE`, `${prefix}_01JF8ZS5X0V6M3A2Q9K1T7B4CF`] },
    });
}

export const SupplementBulkDeleteBody = bulkDeleteBody(SupplementIdParam, 'sup', 'SupplementBulkDelete');
export const VaccineBulkDeleteBody = bulkDeleteBody(VaccineIdParam, 'vac', 'VaccineBulkDelete');

export const BULK_DELETE_FAILURES = ['NOT_FOUND', 'CONFLICT'] as const;

const BulkDeleteItem = z.union([
  z.object({ id: z.string(), ok: z.literal(true) }),
  z.object({ id: z.string(), ok: z.literal(false), code: z.enum(BULK_DELETE_FAILURES), message: z.string() }),
]);

export type BulkDeleteItem = z.infer<typeof BulkDeleteItem>;

export const BulkDeleteResultSchema = z
  .object({
    results: z.array(BulkDeleteItem),
    counts: z.object({ requested: z.number().int(), deleted: z.number().int(), failed: z.number().int() }),
  })
  .openapi('CatalogBulkDeleteResult', {
    example: {
      results: [
        { id: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE', ok: true },
        {
          id: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
          ok: false,
          code: 'CONFLICT',
          message: 'Supplement is used by 3 schedules; remove them first',
        },
      ],
      counts: { requested: 2, deleted: 1, failed: 1 },
    },
  });

export type BulkDeleteResult = z.infer<typeof BulkDeleteResultSchema>;

export const DeletedItemSchema = z
  .object({ id: z.string() })
  .openapi('DeletedCatalogItem', { example: { id: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } });

// ---- import

export const IMPORT_MODES = ['all-or-nothing', 'valid-only'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const ImportQuery = z.object({
  mode: z.enum(IMPORT_MODES).default('all-or-nothing').openapi({
    description: 'all-or-nothing: any bad row refuses the whole file (422); valid-only: good rows are written',
    example: 'all-or-nothing',
  }),
});

const FieldErrorItem = z.object({ field: z.string(), message: z.string() });

const ImportFailure = z.object({
  row: z
    .number()
    .int()
    .openapi({ description: '1-based data row: the first row after the CSV header (or array item) is 1' }),
  line: z
    .number()
    .int()
    .optional()
    .openapi({ description: 'CSV only: the 1-based line of the file the row starts on, as an editor shows it' }),
  key: z.string().optional().openapi({ description: 'The SKU / code of the row, when it has a readable one' }),
  errors: z.array(FieldErrorItem),
});

export type ImportFailureView = z.infer<typeof ImportFailure>;

export const ImportReportSchema = z
  .object({
    mode: z.enum(IMPORT_MODES),
    total: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    failed: z.array(ImportFailure),
  })
  .openapi('CatalogImportReport', {
    example: {
      mode: 'valid-only',
      total: 3,
      created: 1,
      updated: 1,
      failed: [{ row: 3, line: 4, key: 'OMEGA3-1G', errors: [{ field: 'form', message: 'Invalid option' }] }],
    },
  });

export type ImportReport = z.infer<typeof ImportReportSchema>;
