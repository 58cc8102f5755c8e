import { and, desc, eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { stockMovements } from '../../db/schema';
import { isNotNullViolation, qualified } from '../../db/sql';
import type { Page } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import type { AnyCatalogSpec } from './catalog.kinds';
import type { StockAdjustmentInput, StockMovementView } from './catalog.schemas';
import { findItem } from './catalog.service';

/**
 * Stock of catalog items changes only here (and in imports, which write the same ledger rows): every
 * change is one `stock_movements` row with the balance after it, so the ledger explains the stock.
 */

type StockMovementRow = typeof stockMovements.$inferSelect;

export function toMovementView(row: StockMovementRow): StockMovementView {
  return {
    id: row.id,
    itemType: row.itemType,
    itemId: row.itemId,
    delta: row.delta,
    reason: row.reason,
    note: row.note,
    balanceAfter: row.balanceAfter,
    actorId: row.actorId,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

const overdrawn = (err: unknown) => isNotNullViolation(err, stockMovements.balanceAfter);

/**
 * Adds `delta` to an item's stock and records the movement, in one batch (one transaction):
 * 1. UPDATE … SET stock = stock + delta WHERE id = ? AND stock + delta >= 0
 * 2. INSERT the movement with balance_after = the new stock, but only if statement 1 changed a row
 *    (`changes() = 1`); otherwise balance_after is NULL, the NOT NULL constraint fails and the batch
 *    rolls back (no stock change, no movement, no audit).
 * 3. the audit event.
 * D1 runs one batch at a time, so parallel adjustments cannot overdraw: each sees the stock the one
 * before it left.
 * @throws AppError NOT_FOUND, CONFLICT (the stock would go below zero)
 */
export async function adjustStock(
  ctx: ServiceContext,
  spec: AnyCatalogSpec,
  id: string,
  input: StockAdjustmentInput,
): Promise<{ movement: StockMovementView; stockQuantity: number; lowStock: boolean }> {
  const { table, columns } = spec;
  const now = ctx.clock.now().getTime();
  const movementId = ctx.ids.id('stk');
  const stock = qualified(columns.stockQuantity);
  const balanceAfter = sql`(case when changes() = 1 then (select ${stock} from ${table} where ${qualified(columns.id)} = ${id}) end)`;
  try {
    const [[item], [movement]] = await ctx.db.batch([
      ctx.db
        .update(table)
        .set({ stockQuantity: sql`${stock} + ${input.delta}`, updatedAt: now } as never)
        .where(and(eq(columns.id, id), sql`${stock} + ${input.delta} >= 0`))
        .returning({ stockQuantity: columns.stockQuantity, lowStockThreshold: columns.lowStockThreshold }),
      ctx.db
        .insert(stockMovements)
        .values({
          id: movementId,
          itemType: spec.kind,
          itemId: id,
          delta: input.delta,
          reason: input.reason,
          note: input.note ?? null,
          balanceAfter,
          actorId: ctx.actor?.id ?? null,
          createdAt: now,
        })
        .returning(),
      auditInsert(ctx, {
        action: `${spec.kind}.stock.adjust`,
        resourceType: spec.kind,
        resourceId: id,
        metadata: { movementId, delta: input.delta, reason: input.reason },
      }),
    ]);
    const balance = (item as { stockQuantity: number; lowStockThreshold: number } | undefined)!;
    return {
      movement: toMovementView(movement!),
      stockQuantity: balance.stockQuantity,
      lowStock: balance.stockQuantity <= balance.lowStockThreshold,
    };
  } catch (err) {
    if (!overdrawn(err)) throw err;
    const current = await findItem(ctx, spec, id);
    throw new AppError(
      'CONFLICT',
      `Only ${current.stockQuantity} in stock; a change of ${input.delta} would take it below zero`,
      { details: { stockQuantity: current.stockQuantity, delta: input.delta } },
    );
  }
}

/**
 * An item's ledger, newest first (rowid breaks ties within a millisecond).
 * @throws AppError NOT_FOUND
 */
export async function listMovements(
  ctx: ServiceContext,
  spec: AnyCatalogSpec,
  id: string,
  query: { page: number; limit: number },
): Promise<Page<StockMovementView>> {
  // The item and its page of movements are independent reads, issued together: one round trip.
  const [, movements] = await Promise.all([
    findItem(ctx, spec, id),
    paginate(ctx.db, stockMovements, {
      where: and(eq(stockMovements.itemType, spec.kind), eq(stockMovements.itemId, id)),
      orderBy: [desc(stockMovements.createdAt), desc(sql`rowid`)],
      page: query.page,
      limit: query.limit,
      map: toMovementView,
    }),
  ]);
  return movements;
}
