import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import Papa from 'papaparse';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { payments, type RefundStatus, refunds } from '../../db/schema';
import { iso } from '../../lib/time';

/**
 * The reconciliation export: every payment paid and every refund made in a period, one CSV row each,
 * keyed by the provider's balance transaction id so the file matches the provider's balance report
 * line by line. Amounts carry the balance's sign: a payment positive, a refund negative, so the
 * `amountCents` column of one currency sums to what moved.
 */

/** The export's columns, in order. */
export const EXPORT_COLUMNS = [
  'type',
  'id',
  'paymentId',
  'date',
  'amountCents',
  'currency',
  'status',
  'provider',
  'balanceTransactionId',
  'providerReference',
  'subjectType',
  'subjectId',
  'payerId',
  'payeeId',
  'receiptNumber',
  'source',
  'reason',
] as const;

type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/** Refunds that were asked of the provider: one awaiting approval or rejected moved no money. */
const EXPORTED_REFUNDS: RefundStatus[] = ['pending', 'succeeded', 'failed'];

/**
 * The CSV (header row, CRLF, UTF-8) of `[from, to)`: payments by when they were paid, refunds by when
 * they succeeded (else when they were asked), in date order. A text cell that a spreadsheet would run
 * as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`; numbers are left as numbers.
 * One D1 batch. The period's bounds are checked by the route (at most MAX_PERIOD_DAYS).
 */
export async function exportPaymentsCsv(ctx: AuthedContext, period: { from: string; to: string }): Promise<string> {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const refundAt = sql<number>`coalesce(${refunds.refundedAt}, ${refunds.createdAt})`;
  const read = await batchOf(ctx.db, {
    payments: ctx.db
      .select()
      .from(payments)
      .where(and(gte(payments.paidAt, from), lt(payments.paidAt, to)))
      .orderBy(asc(payments.paidAt), asc(payments.id)),
    refunds: ctx.db
      // Only payment columns whose names no refund column shares: in a batch, same-named columns overwrite.
      .select({
        refund: refunds,
        payment: {
          provider: payments.provider,
          subjectType: payments.subjectType,
          subjectId: payments.subjectId,
          payerId: payments.payerId,
          payeeId: payments.payeeId,
          receiptNumber: payments.receiptNumber,
        },
      })
      .from(refunds)
      .innerJoin(payments, eq(payments.id, refunds.paymentId))
      .where(and(inArray(refunds.status, EXPORTED_REFUNDS), gte(refundAt, from), lt(refundAt, to)))
      .orderBy(asc(refundAt), asc(refunds.id)),
  });
  const rows: (ExportRow & { at: number })[] = [
    ...read.payments.map((p) => ({
      at: p.paidAt!,
      type: 'payment',
      id: p.id,
      paymentId: p.id,
      date: iso(p.paidAt!),
      amountCents: p.amountCents,
      currency: p.currency,
      status: p.status,
      provider: p.provider,
      balanceTransactionId: p.balanceTransactionId,
      providerReference: p.chargeId,
      subjectType: p.subjectType,
      subjectId: p.subjectId,
      payerId: p.payerId,
      payeeId: p.payeeId,
      receiptNumber: p.receiptNumber,
      source: null,
      reason: null,
    })),
    ...read.refunds.map(({ refund: r, payment: p }) => {
      const at = r.refundedAt ?? r.createdAt;
      return {
        at,
        type: 'refund',
        id: r.id,
        paymentId: r.paymentId,
        date: iso(at),
        amountCents: -r.amountCents,
        currency: r.currency,
        status: r.status,
        provider: p.provider,
        balanceTransactionId: r.balanceTransactionId,
        providerReference: r.providerRefundId,
        subjectType: p.subjectType,
        subjectId: p.subjectId,
        payerId: p.payerId,
        payeeId: p.payeeId,
        receiptNumber: p.receiptNumber,
        source: r.source,
        reason: r.reason,
      };
    }),
  ];
  rows.sort((a, b) => a.at - b.at || String(a.id).localeCompare(String(b.id)));
  return Papa.unparse(
    { fields: [...EXPORT_COLUMNS], data: rows.map((row) => EXPORT_COLUMNS.map((column) => row[column] ?? '')) },
    { newline: '\r\n', escapeFormulae: true },
  );
}
