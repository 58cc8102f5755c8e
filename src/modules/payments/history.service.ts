import { and, asc, count, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type PaymentRow, type PaymentStatus, payments, type RefundRow, refunds } from '../../db/schema';
import { type Page, page } from '../../lib/envelope';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { isPaymentStaff, type PaymentView, paymentQuery, seenPayment, toPaymentView } from './payment-access';

/**
 * Payment history: the list (own as payer or payee, all for payment staff), one payment with its
 * refunds, and a payee's earnings per period. Each read is one D1 batch (one round trip, the guard's
 * session check riding on it); reads never write.
 */

export interface PaymentListFilters {
  page: number;
  limit: number;
  status?: PaymentStatus;
  payerId?: string;
  payeeId?: string;
  currency?: string;
  dateField: 'createdAt' | 'paidAt';
  from?: string;
  to?: string;
}

/** The rows the caller may list: their own as payer or payee, or all of them for payment staff. */
function scopeOf(ctx: AuthedContext): SQL | undefined {
  if (isPaymentStaff(ctx.actor)) return undefined;
  return or(eq(payments.payerId, ctx.actor.id), eq(payments.payeeId, ctx.actor.id));
}

/** Refunds of several payments, grouped by payment, oldest first. */
function refundsByPayment(rows: RefundRow[]): Map<string, RefundRow[]> {
  const byPayment = new Map<string, RefundRow[]>();
  for (const row of rows) byPayment.set(row.paymentId, [...(byPayment.get(row.paymentId) ?? []), row]);
  return byPayment;
}

/**
 * A page of the payments the caller may see, newest first (by the instant `dateField` names), each
 * with its refunds: a patient their own (payer), a doctor what they earn (payee), payment staff all;
 * the filters narrow that. Rows, total and the page's refunds are read in one batch.
 */
export async function listPayments(ctx: AuthedContext, query: PaymentListFilters): Promise<Page<PaymentView>> {
  const instant = query.dateField === 'paidAt' ? payments.paidAt : payments.createdAt;
  const where = and(
    scopeOf(ctx),
    query.status ? eq(payments.status, query.status) : undefined,
    query.payerId ? eq(payments.payerId, query.payerId) : undefined,
    query.payeeId ? eq(payments.payeeId, query.payeeId) : undefined,
    query.currency ? eq(payments.currency, query.currency) : undefined,
    query.from ? gte(instant, Date.parse(query.from)) : undefined,
    query.to ? lt(instant, Date.parse(query.to)) : undefined,
  );
  const order = [desc(instant), desc(payments.id)];
  const offset = (query.page - 1) * query.limit;
  const pageIds = ctx.db
    .select({ id: payments.id })
    .from(payments)
    .where(where)
    .orderBy(...order)
    .limit(query.limit)
    .offset(offset);
  const read = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(payments)
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset(offset),
    total: ctx.db.select({ n: count() }).from(payments).where(where),
    refunds: ctx.db
      .select()
      .from(refunds)
      .where(inArray(refunds.paymentId, pageIds))
      .orderBy(asc(refunds.createdAt), asc(refunds.id)),
  });
  const byPayment = refundsByPayment(read.refunds);
  return page(
    read.rows.map((row) => toPaymentView(row, byPayment.get(row.id))),
    read.total[0]?.n ?? 0,
    query,
  );
}

/**
 * One payment with its refunds (oldest first), for its payer, its payee or payment staff.
 * @throws AppError NOT_FOUND (no such payment, or not the caller's)
 */
export async function getPayment(ctx: AuthedContext, id: string): Promise<PaymentView> {
  const read = await batchOf(ctx.db, {
    payment: paymentQuery(ctx, id),
    refunds: refundsQuery(ctx, id),
  });
  const row: PaymentRow = seenPayment(ctx, read.payment[0]);
  return toPaymentView(row, read.refunds);
}

/** The refunds of payment `id`, oldest first, for a read batch. */
export const refundsQuery = (ctx: AuthedContext, id: string) =>
  ctx.db.select().from(refunds).where(eq(refunds.paymentId, id)).orderBy(asc(refunds.createdAt), asc(refunds.id));

export interface EarningsFilters {
  from: string;
  to: string;
  groupBy: 'day' | 'month';
  doctorId?: string;
}

interface Totals {
  currency: string;
  count: number;
  grossCents: number;
  refunds: number;
  refundedCents: number;
  netCents: number;
}

const emptyTotals = (currency: string): Totals => ({
  currency,
  count: 0,
  grossCents: 0,
  refunds: 0,
  refundedCents: 0,
  netCents: 0,
});

/** The UTC day (`2026-12-01`) or month (`2026-12`) of an epoch-ms column, in SQL. */
const periodOf = (column: SQLiteColumn, groupBy: 'day' | 'month') =>
  sql<string>`strftime(${groupBy === 'day' ? '%Y-%m-%d' : '%Y-%m'}, ${column} / 1000, 'unixepoch')`;

/**
 * A payee's earnings in `[from, to)` per UTC day or month and currency: payments paid in the period
 * (count, gross), refunds that succeeded in it (count, amount; a refund counts when the money went
 * back, whenever the payment was), and the net. Periods without any are left out. A doctor reads their
 * own (another doctor's id is NOT_FOUND); payment staff name a doctor or read every payee's.
 * @throws AppError NOT_FOUND (a doctor naming another doctor)
 */
export async function getEarnings(ctx: AuthedContext, query: EarningsFilters) {
  const staff = isPaymentStaff(ctx.actor);
  if (!staff && query.doctorId && query.doctorId !== ctx.actor.id) throw notFound('Doctor');
  const payeeId = staff ? (query.doctorId ?? null) : ctx.actor.id;
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const paidPeriod = periodOf(payments.paidAt, query.groupBy);
  const refundPeriod = periodOf(refunds.refundedAt, query.groupBy);
  const read = await batchOf(ctx.db, {
    paid: ctx.db
      .select({
        period: paidPeriod,
        currency: payments.currency,
        count: count(),
        cents: sql<number>`coalesce(sum(${payments.amountCents}), 0)`,
      })
      .from(payments)
      .where(
        and(
          eq(payments.status, 'paid'),
          payeeId ? eq(payments.payeeId, payeeId) : undefined,
          gte(payments.paidAt, from),
          lt(payments.paidAt, to),
        ),
      )
      .groupBy(paidPeriod, payments.currency),
    refunded: ctx.db
      .select({
        period: refundPeriod,
        currency: refunds.currency,
        count: count(),
        cents: sql<number>`coalesce(sum(${refunds.amountCents}), 0)`,
      })
      .from(refunds)
      .innerJoin(payments, eq(payments.id, refunds.paymentId))
      .where(
        and(
          eq(refunds.status, 'succeeded'),
          payeeId ? eq(payments.payeeId, payeeId) : undefined,
          gte(refunds.refundedAt, from),
          lt(refunds.refundedAt, to),
        ),
      )
      .groupBy(refundPeriod, refunds.currency),
  });
  const periods = new Map<string, Totals & { period: string }>();
  const totals = new Map<string, Totals>();
  const entry = (period: string, currency: string) => {
    const key = `${period}|${currency}`;
    if (!periods.has(key)) periods.set(key, { period, ...emptyTotals(currency) });
    if (!totals.has(currency)) totals.set(currency, emptyTotals(currency));
    return [periods.get(key)!, totals.get(currency)!];
  };
  for (const row of read.paid) {
    for (const t of entry(row.period, row.currency)) {
      t.count += row.count;
      t.grossCents += row.cents;
      t.netCents += row.cents;
    }
  }
  for (const row of read.refunded) {
    for (const t of entry(row.period, row.currency)) {
      t.refunds += row.count;
      t.refundedCents += row.cents;
      t.netCents -= row.cents;
    }
  }
  const byKey = <T extends { currency: string; period?: string }>(a: T, b: T) =>
    (a.period ?? '').localeCompare(b.period ?? '') || a.currency.localeCompare(b.currency);
  return {
    payeeId,
    from: iso(from),
    to: iso(to),
    groupBy: query.groupBy,
    periods: [...periods.values()].sort(byKey),
    totals: [...totals.values()].sort(byKey),
  };
}
