import { z } from '@hono/zod-openapi';
import type { OperationId } from '../../access/route-policies';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import type { AnyCatalogSpec } from './catalog.kinds';
import {
  BulkDeleteResultSchema,
  type CreateSupplementBody,
  type CreateVaccineBody,
  DeletedItemSchema,
  ImportQuery,
  ImportReportSchema,
  MAX_BULK_DELETE,
  StockAdjustmentBody,
  StockAdjustmentResultSchema,
  StockMovementSchema,
  type SupplementBulkDeleteBody,
  type SupplementIdParam,
  type SupplementImportRow,
  type SupplementListQuery,
  type SupplementSchema,
  type UpdateSupplementBody,
  type UpdateVaccineBody,
  type VaccineBulkDeleteBody,
  type VaccineIdParam,
  type VaccineImportRow,
  type VaccineListQuery,
  type VaccineSchema,
} from './catalog.schemas';
import { createItem, deleteItem, deleteItems, getItem, listItems, updateItem } from './catalog.service';
import { importItems, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from './import.service';
import { adjustStock, listMovements } from './stock.service';

/**
 * The HTTP surface of one catalog, built from its schemas and spec: the same nine routes for
 * supplements and vaccines (operationIds `<plural>.<action>`, the keys of ROUTE_POLICIES). Handlers are
 * thin: the rules live in the catalog, stock and import services.
 */

const BODY_LIMIT = 64 * 1024;

/** The schemas of either catalog (a union: the router is built once for each). */
interface CatalogSchemas {
  id: typeof SupplementIdParam | typeof VaccineIdParam;
  list: typeof SupplementListQuery | typeof VaccineListQuery;
  create: typeof CreateSupplementBody | typeof CreateVaccineBody;
  update: typeof UpdateSupplementBody | typeof UpdateVaccineBody;
  view: typeof SupplementSchema | typeof VaccineSchema;
  importRow: typeof SupplementImportRow | typeof VaccineImportRow;
  bulkDelete: typeof SupplementBulkDeleteBody | typeof VaccineBulkDeleteBody;
}

export interface CatalogRouterConfig {
  plural: 'supplements' | 'vaccines';
  tag: string;
  spec: AnyCatalogSpec;
  schemas: CatalogSchemas;
  /** Component name of the import row schema (documented for JSON imports). */
  importRowName: string;
  /** Text the docs use for the search fields, the catalog's own list filter and the CSV format. */
  docs: { key: string; filter: string; csvColumns: string; csvExample: string; jsonExample: unknown };
}

/** Builds the router of one catalog. */
export function catalogRouter(config: CatalogRouterConfig) {
  const { plural, spec, schemas, docs } = config;
  const tags = [config.tag];
  const op = (action: string) => `${plural}.${action}` as OperationId;
  const noun = spec.noun.toLowerCase();
  const notFound = errorOf(`No such ${noun} (NOT_FOUND)`);
  const collection = `/${plural}` as const;
  const item = `/${plural}/{id}` as const;

  const list = defineRoute({
    method: 'get',
    path: collection,
    operationId: op('list'),
    tags,
    summary: `Search the ${noun} catalog`,
    description: `\`search\` looks in the name, ${docs.key}; ${docs.filter} \`lowStock=true\` lists what needs reordering (stockQuantity ≤ lowStockThreshold). Sorted by \`sort\` (name, createdAt, stock; "-" for descending), paginated.`,
    request: { query: schemas.list },
    responses: { 200: jsonResponse(pageOf(schemas.view), `A page of ${plural}`) },
  });

  const get = defineRoute({
    method: 'get',
    path: item,
    operationId: op('get'),
    tags,
    summary: `One ${noun}`,
    request: { params: schemas.id },
    responses: { 200: jsonResponse(schemas.view, `The ${noun}`), 404: notFound },
  });

  const create = defineRoute({
    method: 'post',
    path: collection,
    operationId: op('create'),
    tags,
    summary: `Add a ${noun} to the catalog`,
    description: `\`${spec.keyField}\` is the natural key (case-insensitive, stored upper-case; 409 CONFLICT when taken). New items start with no stock: add it with a stock adjustment (reason \`received\`) so the ledger explains every unit.`,
    bodyLimit: BODY_LIMIT,
    request: { body: jsonBody(schemas.create) },
    responses: {
      201: jsonResponse(schemas.view, 'Added'),
      409: errorOf(`The ${spec.keyField} is taken (CONFLICT)`),
    },
  });

  const update = defineRoute({
    method: 'patch',
    path: item,
    operationId: op('update'),
    tags,
    summary: `Change some fields of a ${noun}`,
    description:
      'Send only the fields to change; `null` clears an optional field. `stockQuantity` is not writable here (422): stock changes only through stock adjustments, so the ledger is complete. Unknown fields are refused (422).',
    bodyLimit: BODY_LIMIT,
    request: { params: schemas.id, body: jsonBody(schemas.update) },
    responses: {
      200: jsonResponse(schemas.view, 'Updated'),
      404: notFound,
      409: errorOf('The new natural key is taken (CONFLICT)'),
    },
  });

  const remove = defineRoute({
    method: 'delete',
    path: item,
    operationId: op('delete'),
    tags,
    summary: `Remove a ${noun} from the catalog`,
    description: `Refused with 409 CONFLICT while a ${spec.referencedBy.what} uses it. Its stock ledger is kept.`,
    request: { params: schemas.id },
    responses: {
      200: jsonResponse(DeletedItemSchema, 'Removed'),
      404: notFound,
      409: errorOf(`Still used by a ${spec.referencedBy.what} (CONFLICT)`),
    },
  });

  const bulkDelete = defineRoute({
    method: 'post',
    path: `/${plural}/bulk-delete`,
    operationId: op('bulkDelete'),
    tags,
    summary: `Remove up to ${MAX_BULK_DELETE} ${plural} at once`,
    description: `Each id is handled on its own (one batch, one audit event per deleted item) and reported: \`{ id, ok: true }\` or \`{ id, ok: false, code: NOT_FOUND | CONFLICT, message }\` (CONFLICT: still used by a ${spec.referencedBy.what}).`,
    bodyLimit: BODY_LIMIT,
    request: { body: jsonBody(schemas.bulkDelete) },
    responses: { 200: jsonResponse(BulkDeleteResultSchema, 'Per-id outcome and counts') },
  });

  const adjust = defineRoute({
    method: 'post',
    path: `/${plural}/{id}/stock-adjustments`,
    operationId: op('stock.adjust'),
    tags,
    summary: `Add to or take from a ${noun}'s stock`,
    description:
      '`delta` is a non-zero whole number: positive for `received`, negative for `dispensed` and `expired`, either for `correction`. The stock change and its ledger row are one transaction; a delta that would take the stock below zero is refused with 409 CONFLICT and nothing is written, also under concurrent adjustments.',
    bodyLimit: BODY_LIMIT,
    request: { params: schemas.id, body: jsonBody(StockAdjustmentBody) },
    responses: {
      201: jsonResponse(StockAdjustmentResultSchema, 'Recorded: the ledger row and the new stock'),
      404: notFound,
      409: errorOf('The stock would go below zero (CONFLICT)'),
    },
  });

  const movements = defineRoute({
    method: 'get',
    path: `/${plural}/{id}/stock-movements`,
    operationId: op('stock.movements'),
    tags,
    summary: `A ${noun}'s stock ledger, newest first`,
    request: { params: schemas.id, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(StockMovementSchema), 'A page of stock movements'), 404: notFound },
  });

  const rowRef = { $ref: `#/components/schemas/${config.importRowName}` };
  const importRoute = defineRoute({
    method: 'post',
    path: `/${plural}/import`,
    operationId: op('import'),
    tags,
    summary: `Import ${plural} from CSV or JSON (upsert by ${spec.keyField})`,
    description: [
      `Body: \`text/csv\` (UTF-8, comma-separated, a header row naming the columns ${docs.csvColumns}, in any order and case-insensitively; empty cells are omitted fields) or \`application/json\` (\`{ "items": [...] }\` or a bare array of ${config.importRowName}). Other media types: 415. At most ${MAX_IMPORT_ROWS} rows and ${MAX_IMPORT_BYTES / 1024 / 1024} MiB per request (413 above the size, 422 above the rows).`,
      `Each row is validated like a create body, plus an optional \`stockQuantity\`. Rows are upserted by \`${spec.keyField}\`: a new one is created, an existing one has its catalog fields replaced by the row (omitted optional fields become empty or their default). \`stockQuantity\` on a new item is its opening stock (ledger movement \`received\`); on an existing item a different value is applied as a \`correction\` movement of the difference; omitted, the stock is unchanged. A ${spec.keyField} repeated in the file fails the later row.`,
      '`mode=all-or-nothing` (default): any bad row refuses the whole file with 422 VALIDATION_FAILED, the report in `error.details`, and nothing is written. `mode=valid-only`: the good rows are written, the bad ones reported, 200. Either way the writes of one import are one transaction.',
      'Report: `{ mode, total, created, updated, failed: [{ row, line?, key?, errors: [{ field, message }] }] }`. `row` is the 1-based data row (the first row after the CSV header, or the first array item, is 1); for CSV `line` is the 1-based line of the file the row starts on, as an editor shows it (blank lines and line breaks inside quoted cells counted; the header is line 1 unless blank lines precede it).',
      'A malformed file is refused whole with 422 in both modes, each problem in `errors` (field `file`): not UTF-8 or binary, empty, no data rows, unknown, missing or repeated header columns, an unclosed or stray quote, a row with the wrong number of fields. Malformed JSON: 400 INVALID_JSON.',
    ].join('\n\n'),
    bodyLimit: MAX_IMPORT_BYTES,
    request: {
      query: ImportQuery,
      body: {
        required: true,
        content: {
          'text/csv': {
            schema: z.string().openapi({ description: 'CSV with a header row', example: docs.csvExample }),
          },
          // A JSON Schema object, not zod: rows are validated one by one by the service, so a bad row is
          // reported with its number instead of failing the whole body.
          'application/json': {
            schema: {
              oneOf: [
                { type: 'array', items: rowRef },
                {
                  type: 'object',
                  required: ['items'],
                  additionalProperties: false,
                  properties: { items: { type: 'array', items: rowRef } },
                },
              ],
              example: docs.jsonExample,
            },
          },
        },
      },
    },
    responses: {
      200: jsonResponse(ImportReportSchema, 'Imported; the report of created, updated and failed rows'),
      422: errorOf('A malformed file, or (all-or-nothing) a bad row: the report is in error.details'),
    },
  });

  const router = createRouter()
    .openapi(list, async (c) => c.json(ok(await listItems(c.get('ctx'), spec, c.req.valid('query'))), 200))
    .openapi(get, async (c) => c.json(ok(await getItem(c.get('ctx'), spec, c.req.valid('param').id)), 200))
    .openapi(create, async (c) =>
      c.json(ok(await createItem(c.get('ctx'), spec, c.req.valid('json')), `${spec.noun} added`), 201),
    )
    .openapi(update, async (c) => {
      const view = await updateItem(c.get('ctx'), spec, c.req.valid('param').id, c.req.valid('json'));
      return c.json(ok(view, `${spec.noun} updated`), 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid('param');
      await deleteItem(c.get('ctx'), spec, id);
      return c.json(ok({ id }, `${spec.noun} removed`), 200);
    })
    .openapi(bulkDelete, async (c) => {
      const result = await deleteItems(c.get('ctx'), spec, c.req.valid('json').ids, { bulk: true });
      return c.json(ok(result, `${result.counts.deleted} of ${result.counts.requested} removed`), 200);
    })
    .openapi(adjust, async (c) => {
      const result = await adjustStock(c.get('ctx'), spec, c.req.valid('param').id, c.req.valid('json'));
      return c.json(ok(result, 'Stock adjusted'), 201);
    })
    .openapi(movements, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(ok(await listMovements(c.get('ctx'), spec, id, c.req.valid('query'))), 200);
    })
    .openapi(importRoute, async (c) => {
      const source = { contentType: c.req.header('content-type'), body: await c.req.arrayBuffer() };
      const report = await importItems(c.get('ctx'), spec, source, c.req.valid('query').mode);
      return c.json(ok(report, `Imported: ${report.created} created, ${report.updated} updated`), 200);
    });
  router.openAPIRegistry.register(config.importRowName, schemas.importRow);
  return router;
}
