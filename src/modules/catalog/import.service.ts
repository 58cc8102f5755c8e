import { getTableColumns, getTableName, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import Papa from 'papaparse';
import type { ServiceContext } from '../../context';
import { stockMovements } from '../../db/schema';
import { qualified, rawBatch } from '../../db/sql';
import { fieldErrors } from '../../http/hono';
import { acceptsMediaType } from '../../http/openapi';
import { AppError, type FieldError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { columnName, jsonChunks } from './catalog.db';
import type { AnyCatalogSpec } from './catalog.kinds';
import type { ImportFailureView, ImportMode, ImportReport } from './catalog.schemas';

/**
 * Bulk import of a catalog from CSV or JSON: parse, validate every row with the create schema, then
 * upsert by the natural key in ONE db.batch (one transaction), so an import is all-or-nothing within
 * its mode:
 * - `all-or-nothing` (default): any bad row → 422 with the full report, nothing written;
 * - `valid-only`: good rows written, bad rows reported, 200.
 * A malformed file (not UTF-8, binary, unclosed quote, wrong column count, unknown or missing
 * header) is refused whole in both modes: its rows cannot be trusted.
 *
 * An imported row replaces the item's catalog fields (omitted optional fields become empty or their
 * default). `stockQuantity` is optional: for a new item it is the opening stock, recorded as a
 * `received` ledger movement; for an existing item a different value is applied as a `correction`
 * movement of the difference; omitted, the stock is left alone. So the ledger always explains the
 * stock.
 *
 * Writes are set-based: each chunk of rows is one JSON array bound to a single `json_each(?)`
 * parameter (D1 allows 100 bound parameters per statement), at most 4 statements per chunk.
 */

export const MAX_IMPORT_ROWS = 10_000;
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** Problems of a malformed file listed one by one before "… and N more". */
const MAX_LISTED_PROBLEMS = 20;
/** Field errors of a refused import repeated in the envelope's `errors` (all are in `details`). */
const MAX_LISTED_FIELD_ERRORS = 50;

interface SourceRow {
  row: number;
  line?: number;
  data: unknown;
}

const fileError = (problems: string[]) => {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > listed.length) listed.push(`… and ${problems.length - listed.length} more problems`);
  return new AppError('VALIDATION_FAILED', 'The file cannot be imported', {
    fields: listed.map((message) => ({ field: 'file', message })),
  });
};

const tooManyRows = () => fileError([`At most ${MAX_IMPORT_ROWS} rows per import; split the file`]);

/** UTF-8 text (a BOM is dropped), or 422 for anything binary. */
export function decodeText(bytes: ArrayBuffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw fileError(['The file is not UTF-8 text (binary, or another encoding)']);
  }
  if (text.includes('\u0000')) throw fileError(['The file is binary (it contains NUL bytes), not CSV or JSON text']);
  return text;
}

/** The values of one CSV record as the create schema takes them: "" is omitted, numbers and lists parsed. */
function csvValues(spec: AnyCatalogSpec, record: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(record)) {
    const text = raw.trim();
    if (text === '') continue;
    if (spec.csv.integers.includes(column)) values[column] = /^[+-]?\d+$/.test(text) ? Number(text) : text;
    else if (spec.csv.lists.includes(column))
      values[column] = text
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
    else values[column] = raw;
  }
  return values;
}

/** A header cell as a field name: trimmed, and matched to a known column case-insensitively ("SKU" → sku). */
function columnOf(spec: AnyCatalogSpec, cell: string): string {
  const name = cell.trim();
  return spec.csv.columns.find((c) => c.toLowerCase() === name.toLowerCase()) ?? name;
}

function checkHeader(spec: AnyCatalogSpec, header: string[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (!name) problems.push(`Column ${i + 1} of the header has no name`);
    else if (seen.has(name)) problems.push(`Column "${name}" appears more than once in the header`);
    else if (!spec.csv.columns.includes(name)) {
      problems.push(`Unknown column "${name}"; the columns are ${spec.csv.columns.join(', ')}`);
    }
    seen.add(name);
  });
  for (const name of spec.csv.required) if (!seen.has(name)) problems.push(`Missing column "${name}"`);
  if (problems.length) throw fileError(problems);
}

/**
 * CSV rows with their 1-based data row number and the 1-based line of the file each starts on, as
 * an editor shows it (blank lines and line breaks inside quoted cells counted). Line endings may be
 * \n, \r\n or \r.
 * @throws AppError VALIDATION_FAILED for an empty or malformed file
 */
export function parseCsv(spec: AnyCatalogSpec, text: string): SourceRow[] {
  const normalized = text.replace(/\r\n?/g, '\n');
  const start = normalized.search(/\S/);
  if (start < 0) throw fileError(['The file is empty; send a header row and at least one data row']);
  const body = normalized.slice(start);
  let line = 1 + (normalized.slice(0, start).match(/\n/g)?.length ?? 0);

  // The header row: cells and where it ends (a step parse stopped after one row; `preview` over-reads).
  let header: string[] = [];
  let headerEnd = 0;
  Papa.parse<string[]>(body, {
    delimiter: ',',
    newline: '\n',
    step: (result, parser) => {
      header = result.data.map((cell) => columnOf(spec, cell));
      headerEnd = result.meta.cursor;
      parser.abort();
    },
  });
  checkHeader(spec, header);

  const rows: SourceRow[] = [];
  const problems: string[] = [];
  let pos = 0;
  let tooMany = false;
  const advance = (to: number) => {
    for (; pos < to; pos++) if (body.charCodeAt(pos) === 10) line++;
  };
  advance(headerEnd);
  Papa.parse<Record<string, string>>(body, {
    header: true,
    delimiter: ',',
    newline: '\n',
    skipEmptyLines: 'greedy',
    transformHeader: (cell) => columnOf(spec, cell),
    step: (result, parser) => {
      // The row starts at the first non-blank character after the previous row.
      while (pos < body.length && /\s/.test(body[pos]!)) advance(pos + 1);
      const rowLine = line;
      advance(result.meta.cursor);
      for (const error of result.errors) problems.push(`Line ${rowLine}: ${error.message}`);
      if (rows.length >= MAX_IMPORT_ROWS) {
        tooMany = true;
        parser.abort();
        return;
      }
      const { __parsed_extra: _extra, ...record } = result.data as Record<string, string> & {
        __parsed_extra?: unknown;
      };
      rows.push({ row: rows.length + 1, line: rowLine, data: csvValues(spec, record) });
    },
  });
  if (tooMany) throw tooManyRows();
  if (problems.length) throw fileError(problems);
  if (!rows.length) throw fileError(['The file has a header but no data rows']);
  return rows;
}

/**
 * JSON rows: `{ "items": [...] }` or a bare array, numbered from 1.
 * @throws AppError INVALID_JSON (400), VALIDATION_FAILED
 */
export function parseJson(text: string): SourceRow[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('INVALID_JSON', 'Request body is not valid JSON');
  }
  const items = Array.isArray(body)
    ? body
    : body &&
        typeof body === 'object' &&
        Object.keys(body).length === 1 &&
        Array.isArray((body as { items?: unknown }).items)
      ? (body as { items: unknown[] }).items
      : null;
  if (!items) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'items', message: 'Send { "items": [ ... ] } or a bare array of rows' }],
    });
  }
  if (!items.length) throw fileError(['The file has no rows']);
  if (items.length > MAX_IMPORT_ROWS) throw tooManyRows();
  return items.map((data, i) => ({ row: i + 1, data }));
}

interface GoodRow {
  row: number;
  input: Record<string, unknown> & { stockQuantity?: number };
  key: string;
}

function readableKey(spec: AnyCatalogSpec, data: unknown): string | undefined {
  const raw = data && typeof data === 'object' ? (data as Record<string, unknown>)[spec.keyField] : undefined;
  if (typeof raw !== 'string') return undefined;
  const key = raw.trim().toUpperCase();
  return key && key.length <= 64 ? key : undefined;
}

/** Each row through the import row schema; a natural key seen in an earlier good row fails the later one. */
function validateRows(spec: AnyCatalogSpec, rows: SourceRow[]): { good: GoodRow[]; failed: ImportFailureView[] } {
  const good: GoodRow[] = [];
  const failed: ImportFailureView[] = [];
  const firstRowOf = new Map<string, number>();
  for (const source of rows) {
    const where = { row: source.row, ...(source.line !== undefined ? { line: source.line } : {}) };
    const parsed = spec.importRow.safeParse(source.data);
    if (!parsed.success) {
      const key = readableKey(spec, source.data);
      failed.push({ ...where, ...(key ? { key } : {}), errors: fieldErrors(parsed.error, 'row') });
      continue;
    }
    const input = parsed.data as GoodRow['input'];
    const key = input[spec.keyField] as string;
    const first = firstRowOf.get(key);
    if (first !== undefined) {
      failed.push({
        ...where,
        key,
        errors: [{ field: spec.keyField, message: `Duplicate ${spec.keyField}: row ${first} of this file has it too` }],
      });
      continue;
    }
    firstRowOf.set(key, source.row);
    good.push({ row: source.row, input, key });
  }
  return { good, failed };
}

function refusal(report: ImportReport): AppError {
  const fields: FieldError[] = report.failed
    .flatMap((f) => f.errors.map((e) => ({ field: `row ${f.row}.${e.field}`, message: e.message })))
    .slice(0, MAX_LISTED_FIELD_ERRORS);
  return new AppError(
    'VALIDATION_FAILED',
    `${report.failed.length} of ${report.total} rows are invalid; nothing was imported`,
    { details: report, fields },
  );
}

/** The statements that upsert `good` rows, keep the ledger in step with the stock, and audit the import. */
function importStatements(
  ctx: ServiceContext,
  spec: AnyCatalogSpec,
  good: GoodRow[],
  report: Pick<ImportReport, 'mode' | 'total'> & { failed: number },
) {
  const now = ctx.clock.now().getTime();
  const actorId = ctx.actor?.id ?? null;
  const { table, kind } = spec;
  const columns = getTableColumns(table);
  const props = Object.keys(columns);
  const fixed = new Set(['id', 'createdAt', 'updatedAt', 'stockQuantity', spec.keyField]);
  const replaced = props.filter((p) => !fixed.has(p));
  const tableName = sql.identifier(getTableName(table));
  const col = (prop: string) => columnName(columns[prop]!);
  const id = qualified(spec.columns.id);
  const key = qualified(spec.columns.key);
  const stock = qualified(spec.columns.stockQuantity);
  const updatedAt = col('updatedAt');
  const movementColumns = sql.join(
    [
      stockMovements.id,
      stockMovements.itemType,
      stockMovements.itemId,
      stockMovements.delta,
      stockMovements.reason,
      stockMovements.note,
      stockMovements.balanceAfter,
      stockMovements.actorId,
      stockMovements.createdAt,
    ].map(columnName),
    sql`, `,
  );

  const entries = good.map(({ input, key: itemKey }) => {
    const row = spec.newRow(input, ctx.ids.id(spec.idPrefix), now, input.stockQuantity ?? 0);
    const counted =
      input.stockQuantity === undefined
        ? null
        : { k: itemKey, s: input.stockQuantity, m: ctx.ids.id('stk'), i: row.id as string };
    return { row, counted };
  });

  const statements: SQLWrapper[] = [];
  const upserts: number[] = [];
  for (const chunk of jsonChunks(entries)) {
    const rowsJson = JSON.stringify(chunk.items.map((e) => e.row));
    const countedItems = chunk.items.flatMap((e) => (e.counted ? [e.counted] : []));
    const countedJson = JSON.stringify(countedItems);
    if (countedItems.length) {
      // Existing items whose counted stock differs: a correction movement of the difference, then the stock.
      statements.push(
        sql`insert into ${stockMovements} (${movementColumns})
          select json_extract(s.value, '$.m'), ${kind}, ${id}, json_extract(s.value, '$.s') - ${stock}, 'correction',
            'Stock count from import', json_extract(s.value, '$.s'), ${actorId}, ${now}
          from json_each(${countedJson}) as s join ${table} on ${key} = json_extract(s.value, '$.k')
          where ${stock} <> json_extract(s.value, '$.s')`,
        sql`update ${table} set ${col('stockQuantity')} = json_extract(s.value, '$.s'), ${updatedAt} = ${now}
          from json_each(${countedJson}) as s
          where ${key} = json_extract(s.value, '$.k') and ${stock} <> json_extract(s.value, '$.s')`,
      );
    }
    const changed = sql.join(
      replaced.map((p) => sql`${tableName}.${col(p)} is not excluded.${col(p)}`),
      sql` or `,
    );
    upserts.push(statements.length);
    statements.push(
      sql`insert into ${table} (${sql.join(props.map(col), sql`, `)})
        select ${sql.join(
          props.map((p) => sql.raw(`json_extract(value, '$.${p}')`)),
          sql`, `,
        )} from json_each(${rowsJson}) where true
        on conflict (${col(spec.keyField)}) do update set
          ${sql.join(
            replaced.map((p) => sql`${col(p)} = excluded.${col(p)}`),
            sql`, `,
          )},
          ${updatedAt} = case when ${changed} then excluded.${updatedAt} else ${tableName}.${updatedAt} end
        returning ${col('id')} as id`,
    );
    if (countedItems.some((c) => c.s > 0)) {
      // Items this import created (they carry the id proposed here) with an opening stock.
      statements.push(
        sql`insert into ${stockMovements} (${movementColumns})
          select json_extract(s.value, '$.m'), ${kind}, ${id}, ${stock}, 'received', 'Opening stock from import',
            ${stock}, ${actorId}, ${now}
          from json_each(${countedJson}) as s join ${table} on ${id} = json_extract(s.value, '$.i')
          where ${stock} > 0`,
      );
    }
  }

  // One audit event with counts; "created" is counted in the batch: the rows that carry a proposed id.
  const proposed = JSON.stringify(entries.map((e) => e.row.id));
  const metadata: SQL = sql`json_object('mode', ${report.mode}, 'total', ${report.total}, 'failed', ${report.failed},
    'created', c.n, 'updated', ${good.length} - c.n)`;
  statements.push(
    auditInsert(
      ctx,
      { action: `${kind}.import`, resourceType: kind, metadata },
      {
        guard: {
          from: sql`(select count(*) as n from ${table} where ${id} in (select value from json_each(${proposed}))) as c`,
        },
      },
    ),
  );
  return { statements, upserts, proposedIds: new Set(entries.map((e) => e.row.id as string)) };
}

export interface ImportSource {
  contentType: string | undefined;
  body: ArrayBuffer;
}

/**
 * Imports a CSV or JSON file into a catalog (see the module comment for the rules).
 * @throws AppError VALIDATION_FAILED (malformed file; in all-or-nothing mode any bad row, with the
 *   report in `details`), INVALID_JSON
 */
export async function importItems(
  ctx: ServiceContext,
  spec: AnyCatalogSpec,
  source: ImportSource,
  mode: ImportMode,
): Promise<ImportReport> {
  const text = decodeText(source.body);
  const rows = acceptsMediaType(['text/csv'], source.contentType) ? parseCsv(spec, text) : parseJson(text);
  const { good, failed } = validateRows(spec, rows);
  const report: ImportReport = { mode, total: rows.length, created: 0, updated: 0, failed };
  if (failed.length && mode === 'all-or-nothing') throw refusal(report);
  if (!good.length) return report;

  const { statements, upserts, proposedIds } = importStatements(ctx, spec, good, { ...report, failed: failed.length });
  const results = await rawBatch(ctx.db, statements);
  for (const index of upserts) {
    for (const { id } of results[index] ?? []) {
      if (proposedIds.has(id as string)) report.created++;
      else report.updated++;
    }
  }
  return report;
}
