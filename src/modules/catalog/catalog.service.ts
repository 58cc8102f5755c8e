import { and, asc, desc, eq, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { isUniqueViolation, qualified, rawBatch } from '../../db/sql';
import type { Page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import type { AnyCatalogSpec, CatalogRowBase, CatalogSpec } from './catalog.kinds';
import type { BulkDeleteItem, BulkDeleteResult, CatalogListInput, CatalogSort } from './catalog.schemas';

/**
 * The catalog engine: list, read, create, update, delete and bulk delete for any catalog spec
 * (supplements, vaccines). Stock changes live in stock.service.ts, imports in import.service.ts.
 */

const validation = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** The 409 of a natural key another item holds. */
function duplicateKey(spec: AnyCatalogSpec, key: string): AppError {
  return new AppError('CONFLICT', `A ${spec.noun.toLowerCase()} with ${spec.keyField} ${key} already exists`);
}

const isDuplicateKey = (spec: AnyCatalogSpec, err: unknown) => isUniqueViolation(err, spec.columns.key);

/**
 * One item's row.
 * @throws AppError NOT_FOUND
 */
export async function findItem<Row extends CatalogRowBase>(
  ctx: ServiceContext,
  spec: CatalogSpec<Row, any, any, any>,
  id: string,
): Promise<Row> {
  const row = await ctx.db.select().from(spec.table).where(eq(spec.columns.id, id)).get();
  if (!row) throw notFound(spec.noun);
  return row as unknown as Row;
}

function orderOf(spec: AnyCatalogSpec, sort: CatalogSort): SQL[] {
  const direction = sort.startsWith('-') ? desc : asc;
  const columns: Record<string, SQLiteColumn> = {
    name: spec.columns.name,
    createdAt: spec.columns.createdAt,
    stock: spec.columns.stockQuantity,
  };
  return [direction(columns[sort.replace(/^-/, '')]!), direction(spec.columns.id)];
}

/** A page of items matching `search`, the low-stock filter and the catalog's own filters. */
export async function listItems<View, List extends CatalogListInput>(
  ctx: ServiceContext,
  spec: CatalogSpec<any, View, any, List>,
  query: List,
): Promise<Page<View>> {
  const where: SQL[] = [...spec.filters(query)];
  if (query.search) {
    const term = query.search;
    // instr, not LIKE: no wildcard escaping and no 50-byte LIKE pattern limit on D1.
    where.push(or(...spec.searchColumns.map((column) => sql`instr(lower(${column}), lower(${term})) > 0`))!);
  }
  if (query.lowStock !== undefined) {
    const low = sql`${spec.columns.stockQuantity} <= ${spec.columns.lowStockThreshold}`;
    where.push(query.lowStock ? low : sql`not (${low})`);
  }
  return paginate(ctx.db, spec.table, {
    where: where.length ? and(...where) : undefined,
    orderBy: orderOf(spec, query.sort),
    page: query.page,
    limit: query.limit,
    map: (row) => spec.toView(row),
  });
}

export async function getItem<View>(
  ctx: ServiceContext,
  spec: CatalogSpec<any, View, any, any>,
  id: string,
): Promise<View> {
  return spec.toView(await findItem(ctx, spec, id));
}

/**
 * Adds an item with no stock (stock arrives through adjustments, so the ledger explains all of it)
 * and audits it, atomically.
 * @throws AppError CONFLICT (the natural key is taken)
 */
export async function createItem<Row extends CatalogRowBase, View, Create extends { lowStockThreshold: number }>(
  ctx: ServiceContext,
  spec: CatalogSpec<Row, View, Create, any>,
  input: Create,
): Promise<View> {
  const now = ctx.clock.now().getTime();
  const row = spec.newRow(input, ctx.ids.id(spec.idPrefix), now, 0);
  try {
    await ctx.db.batch([
      ctx.db.insert(spec.table).values(row as never),
      auditInsert(ctx, { action: `${spec.kind}.create`, resourceType: spec.kind, resourceId: row.id }),
    ]);
  } catch (err) {
    if (isDuplicateKey(spec, err)) throw duplicateKey(spec, spec.keyOf(row));
    throw err;
  }
  return spec.toView(row);
}

/**
 * Changes the given catalog fields (never the stock) and audits which fields changed.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, rules across fields), CONFLICT (key taken)
 */
export async function updateItem<Row extends CatalogRowBase, View, Update extends object>(
  ctx: ServiceContext,
  spec: CatalogSpec<Row, View, any, any>,
  id: string,
  input: Update,
): Promise<View> {
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const fields = Object.keys(changes);
  if (!fields.length) throw validation('body', 'Give at least one field to change');
  const current = await findItem(ctx, spec, id);
  const merged = { ...current, ...changes } as Row;
  const ruleErrors = spec.rules?.(merged) ?? [];
  if (ruleErrors.length) throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: ruleErrors });
  const updatedAt = ctx.clock.now().getTime();
  try {
    const [[updated]] = await ctx.db.batch([
      ctx.db
        .update(spec.table)
        .set({ ...changes, updatedAt } as never)
        .where(eq(spec.columns.id, id))
        .returning(),
      auditInsert(
        ctx,
        { action: `${spec.kind}.update`, resourceType: spec.kind, resourceId: id, metadata: { fields } },
        { guard: 'one-row-changed' },
      ),
    ]);
    return spec.toView(updated as unknown as Row);
  } catch (err) {
    if (isDuplicateKey(spec, err)) throw duplicateKey(spec, spec.keyOf(merged));
    if (auditGuardTripped(err)) throw notFound(spec.noun);
    throw err;
  }
}

const notReferenced = (spec: AnyCatalogSpec) =>
  sql`not exists (select 1 from ${spec.referencedBy.table} where ${qualified(spec.referencedBy.column)} = ${qualified(spec.columns.id)})`;

/**
 * Deletes each of `ids` that exists and nothing references, in one batch, and audits each deletion
 * (one `<kind>.delete` event per item). The audit rows are written first by an INSERT … SELECT over
 * the same condition as the DELETE, inside the same transaction, so they name exactly the rows
 * deleted. Items that stay are reported NOT_FOUND or CONFLICT (still referenced). Stock ledger rows of
 * a deleted item are kept: the ledger is append-only history.
 */
export async function deleteItems(
  ctx: ServiceContext,
  spec: AnyCatalogSpec,
  ids: string[],
  options: { bulk: boolean },
): Promise<BulkDeleteResult> {
  const pairs = JSON.stringify(ids.map((id) => ({ id, aud: ctx.ids.id('aud') })));
  const idsJson = JSON.stringify(ids);
  const { table } = spec;
  const id = qualified(spec.columns.id);
  const audit = auditInsert(
    ctx,
    {
      action: `${spec.kind}.delete`,
      resourceType: spec.kind,
      id: sql`json_extract(j.value, '$.aud')`,
      resourceId: id,
      metadata: { bulk: options.bulk },
    },
    {
      guard: {
        from: sql`json_each(${pairs}) as j join ${table} on ${id} = json_extract(j.value, '$.id')`,
        where: notReferenced(spec),
      },
    },
  );
  const [, deleted = []] = await rawBatch(ctx.db, [
    audit,
    sql`delete from ${table} where ${id} in (select value from json_each(${idsJson})) and ${notReferenced(spec)}
      returning ${id} as id`,
  ]);
  const gone = new Set(deleted.map((r) => r.id as string));
  const remaining = ids.filter((i) => !gone.has(i));
  const refs = new Map<string, number>();
  if (remaining.length) {
    const rows = await ctx.db.all<{ id: string; refs: number }>(
      sql`select ${id} as id, (select count(*) from ${spec.referencedBy.table} where ${qualified(spec.referencedBy.column)} = ${id}) as refs
        from ${table} where ${id} in (select value from json_each(${JSON.stringify(remaining)}))`,
    );
    for (const row of rows) refs.set(row.id, row.refs);
  }
  const noun = spec.noun;
  const results: BulkDeleteItem[] = ids.map((itemId) => {
    if (gone.has(itemId)) return { id: itemId, ok: true };
    const n = refs.get(itemId);
    if (n === undefined) return { id: itemId, ok: false, code: 'NOT_FOUND', message: `${noun} not found` };
    if (n === 0) return { id: itemId, ok: false, code: 'CONFLICT', message: `${noun} changed meanwhile; try again` };
    const what = `${n} ${spec.referencedBy.what}${n === 1 ? '' : 's'}`;
    return { id: itemId, ok: false, code: 'CONFLICT', message: `${noun} is used by ${what}; remove them first` };
  });
  return { results, counts: { requested: ids.length, deleted: gone.size, failed: ids.length - gone.size } };
}

/**
 * Deletes one item and audits it.
 * @throws AppError NOT_FOUND, CONFLICT (referenced by a schedule)
 */
export async function deleteItem(ctx: ServiceContext, spec: AnyCatalogSpec, id: string): Promise<void> {
  const [result] = (await deleteItems(ctx, spec, [id], { bulk: false })).results;
  if (result && !result.ok) throw new AppError(result.code, result.message);
}
