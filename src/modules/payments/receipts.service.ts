import { asc, eq, type SQL } from 'drizzle-orm';
import { notify } from '../../access/notices';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type PaymentRow, payments, type RefundRow, refunds, type UserRow, userProfiles, users } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { receiptHtml } from '../../lib/receipts/html';
import { receiptPdf } from '../../lib/receipts/pdf';
import { buildReceiptTotals, type Receipt, receiptLine } from '../../lib/receipts/receipt';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { paymentQuery, seenPayment } from './payment-access';

/**
 * Receipts: the receipt model of a paid payment (from the payment's own snapshot of its line, tax rate
 * and receipt number, the clinic details setting, the payer and the refunds), rendered by the pure
 * renderers in src/lib/receipts as HTML or PDF, and emailed to the payer as a `payment.receipt` notice
 * with the PDF attached. Reading one is one D1 batch.
 */

/** Refunds a receipt lists: those asked of the provider. One awaiting approval or rejected moved nothing. */
const LISTED_REFUNDS: readonly RefundRow['status'][] = ['pending', 'succeeded', 'failed'];

type Payer = Pick<UserRow, 'name' | 'email'> & { timeZone: string | null };

/**
 * The receipt of a paid payment: one line (its description × 1 at its amount), the tax line of the
 * rate snapshotted when it was paid (none when it had none), the clinic's details as the setting
 * 'payments.clinic' says now, billed to the payer, dates in the payer's zone (UTC when unknown), the
 * card's brand and last four digits only, and its refunds. Reads the settings (primed by the caller).
 * @throws AppError CONFLICT (`details.status`) when the payment is not paid
 */
export async function receiptOf(
  ctx: ServiceContext,
  payment: PaymentRow,
  payer: Payer | undefined,
  refundRows: RefundRow[],
): Promise<Receipt> {
  if (payment.status !== 'paid' || !payment.receiptNumber || payment.paidAt === null) {
    throw new AppError('CONFLICT', 'Only a paid payment has a receipt', { details: { status: payment.status } });
  }
  const lines = [receiptLine(payment.description, 1, payment.amountCents)];
  const rates = payment.taxRateBps === null ? [] : [{ label: payment.taxLabel ?? 'Tax', rateBps: payment.taxRateBps }];
  const clinic = await getSetting(ctx, 'payments.clinic');
  return {
    number: payment.receiptNumber,
    issuedAt: payment.paidAt,
    timeZone: payer?.timeZone || 'UTC',
    currency: payment.currency,
    clinic,
    // An erased payer's receipt still stands; it names nobody.
    billedTo: { name: payer?.name || '—', email: payer?.email ?? null },
    lines,
    ...buildReceiptTotals(lines, rates),
    payment: {
      reference: payment.id,
      paidAt: payment.paidAt,
      method:
        payment.methodBrand || payment.methodLast4 ? { brand: payment.methodBrand, last4: payment.methodLast4 } : null,
      status: payment.status,
    },
    refunds: refundRows
      .filter((refund) => LISTED_REFUNDS.includes(refund.status))
      .map((refund) => ({
        at: refund.refundedAt ?? refund.createdAt,
        amountCents: refund.amountCents,
        status: refund.status,
      })),
  };
}

/** The payer's name, email and zone of the payment `where` selects, for a read batch. */
export const payerQuery = (ctx: ServiceContext, where: SQL | undefined) =>
  ctx.db
    .select({ name: users.name, email: users.email, timeZone: userProfiles.timeZone })
    .from(payments)
    .innerJoin(users, eq(users.id, payments.payerId))
    .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
    .where(where)
    .limit(1);

/**
 * Payment `id` and its receipt, read in one batch (payment, refunds, payer, settings); with `caller`,
 * only when the caller may see it (payer, payee, payment staff).
 * @throws AppError NOT_FOUND (no such payment, or not the caller's), CONFLICT (not paid)
 */
async function readReceipt(ctx: ServiceContext, id: string, caller: boolean) {
  const read = await batchOf(ctx.db, {
    payment: paymentQuery(ctx, id),
    refunds: ctx.db
      .select()
      .from(refunds)
      .where(eq(refunds.paymentId, id))
      .orderBy(asc(refunds.createdAt), asc(refunds.id)),
    payer: payerQuery(ctx, eq(payments.id, id)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const row = caller ? seenPayment(ctx, read.payment[0]) : read.payment[0];
  if (!row) throw notFound('Payment');
  return { payment: row, receipt: await receiptOf(ctx, row, read.payer[0], read.refunds) };
}

/**
 * The receipt of payment `id` as an HTML page, for its payer, payee or payment staff.
 * @throws AppError NOT_FOUND (no such payment, or not the caller's), CONFLICT (not paid)
 */
export async function receiptHtmlOf(ctx: ServiceContext, id: string): Promise<{ number: string; html: string }> {
  const { receipt } = await readReceipt(ctx, id, true);
  return { number: receipt.number, html: receiptHtml(receipt) };
}

/**
 * The receipt of payment `id` as a PDF, for its payer, payee or payment staff.
 * @throws AppError NOT_FOUND (no such payment, or not the caller's), CONFLICT (not paid)
 */
export async function receiptPdfOf(ctx: ServiceContext, id: string): Promise<{ number: string; pdf: Uint8Array }> {
  const { receipt } = await readReceipt(ctx, id, true);
  return { number: receipt.number, pdf: await receiptPdf(receipt) };
}

/**
 * Emails the receipt of paid payment `paymentId` to its payer: a `payment.receipt` notice through the
 * notifications pipeline (inbox row, and the email with the receipt PDF attached), exactly once per
 * payment however often it is called. Reads the payment, its refunds, the payer and the settings in
 * one batch (one round trip: call it after the batch that marked the payment paid has committed), then
 * enqueues after the response. No caller check: for the payments module's own flows (the webhook).
 * @throws AppError NOT_FOUND (no such payment), CONFLICT (not paid)
 */
export async function noticeReceipt(ctx: ServiceContext, paymentId: string): Promise<void> {
  const { payment, receipt } = await readReceipt(ctx, paymentId, false);
  sendReceipt(ctx, payment, receipt);
}

/**
 * The same notice from what the caller already read (the webhook that marked the payment paid: the
 * payment as written, its payer and refunds): no D1 round trip; the settings must be primed.
 * @throws AppError CONFLICT (not paid)
 */
export async function noticeReceiptOf(
  ctx: ServiceContext,
  payment: PaymentRow,
  payer: Payer | undefined,
  refundRows: RefundRow[],
): Promise<void> {
  sendReceipt(ctx, payment, await receiptOf(ctx, payment, payer, refundRows));
}

function sendReceipt(ctx: ServiceContext, payment: PaymentRow, receipt: Receipt): void {
  notify(ctx, {
    recipients: [payment.payerId],
    kind: 'payment.receipt',
    type: 'system',
    template: 'payment-receipt',
    data: { paymentId: payment.id, receipt },
    subject: { type: 'payment', id: payment.id },
  });
}
