import { and, asc, eq } from 'drizzle-orm';
import type { Actor, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type PaymentRow, payments, type RefundRow, refunds } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';

/**
 * Who sees a payment: its payer (the patient), its payee (the doctor, as earnings), and the staff who
 * handle money (admins and superadmins). Anyone else gets NOT_FOUND, as for an id that does not exist.
 */
export function isPaymentStaff(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'superadmin';
}

export function canSeePayment(actor: Actor | null, row: Pick<PaymentRow, 'payerId' | 'payeeId'>): boolean {
  return !!actor && (row.payerId === actor.id || row.payeeId === actor.id || isPaymentStaff(actor));
}

/**
 * The payment a read found, when the caller may see it.
 * @throws AppError NOT_FOUND
 */
export function seenPayment<R extends Pick<PaymentRow, 'payerId' | 'payeeId'>>(
  ctx: ServiceContext,
  row: R | undefined,
): R {
  if (!row || !canSeePayment(ctx.actor, row)) throw notFound('Payment');
  return row;
}

/** The payment of `id`, for a read batch. */
export const paymentQuery = (ctx: ServiceContext, id: string) =>
  ctx.db.select().from(payments).where(eq(payments.id, id));

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export type RefundView = ReturnType<typeof toRefundView>;

/** A refund as clients see it: never the provider's internals beyond its reconciliation ids. */
export function toRefundView(row: RefundRow) {
  return {
    id: row.id,
    paymentId: row.paymentId,
    amountCents: row.amountCents,
    currency: row.currency,
    source: row.source,
    status: row.status,
    reason: row.reason,
    requestedBy: row.requestedBy,
    approvedBy: row.approvedBy,
    providerRefundId: row.providerRefundId,
    balanceTransactionId: row.balanceTransactionId,
    failureReason: row.failureReason,
    refundedAt: isoOrNull(row.refundedAt),
    createdAt: iso(row.createdAt),
  };
}

export type PaymentView = ReturnType<typeof toPaymentView>;

/**
 * A payment as clients see it: amount, status, what it paid for, the card's brand and last four digits
 * only, and its refunds when given.
 */
export function toPaymentView(row: PaymentRow, refunds: RefundRow[] = []) {
  return {
    id: row.id,
    subject: { type: row.subjectType, id: row.subjectId },
    payerId: row.payerId,
    payeeId: row.payeeId,
    description: row.description,
    amountCents: row.amountCents,
    currency: row.currency,
    status: row.status,
    provider: row.provider,
    method: row.methodBrand || row.methodLast4 ? { brand: row.methodBrand, last4: row.methodLast4 } : null,
    refundedCents: row.refundedCents,
    receiptNumber: row.receiptNumber,
    checkout:
      row.status === 'open'
        ? { sessionId: row.checkoutSessionId, url: row.checkoutUrl, expiresAt: iso(row.expiresAt) }
        : null,
    balanceTransactionId: row.balanceTransactionId,
    failureReason: row.failureReason,
    paidAt: isoOrNull(row.paidAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    refunds: refunds.map(toRefundView),
  };
}

/**
 * The payment of an appointment with its refunds (oldest first), for the appointment's patient and
 * doctor and payment staff, in one round trip.
 * @throws AppError NOT_FOUND (no payment started, or not the caller's)
 */
export async function appointmentPayment(ctx: ServiceContext, appointmentId: string): Promise<PaymentView> {
  const ofSubject = and(eq(payments.subjectType, 'appointment'), eq(payments.subjectId, appointmentId));
  const read = await batchOf(ctx.db, {
    payment: ctx.db.select().from(payments).where(ofSubject),
    refunds: ctx.db
      .select()
      .from(refunds)
      .where(eq(refunds.paymentId, ctx.db.select({ id: payments.id }).from(payments).where(ofSubject)))
      .orderBy(asc(refunds.createdAt)),
  });
  return toPaymentView(seenPayment(ctx, read.payment[0]), read.refunds);
}
