import { and, eq, or, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments, type PaymentRow, paymentEvents, payments, type RefundRow, refunds } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import type { ProviderEvent } from '../../platform/payments';
import { appointmentDetails, detailView, notifyParties } from '../appointments/appointment-access';
import { sequenceQuery } from '../appointments/appointment-notices';
import {
  appointmentPaidStatements,
  appointmentPaymentStatusStatement,
  releaseUnpaidStatements,
} from '../appointments/payment-state';
import { auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { noticeReceiptOf, payerQuery } from './receipts.service';
import {
  cancellationRefundKey,
  guardedRefundInsert,
  newRefundRow,
  refundExecuteJob,
  refundSettledStatements,
} from './refunds.service';

/**
 * Stripe's webhook events, applied exactly once. Each event is verified first (signature and age), then
 * one read batch finds its payment (by the metadata we gave Stripe, the session id or the payment
 * intent), the appointment, the payment's refunds and whether the event was seen; then one write batch
 * records the event id (primary key) together with its effects, so a replay, Stripe's retry of a
 * delivered event, or the same event arriving twice at once commits once: the loser fails on the key
 * and answers as a duplicate. Events may arrive in any order: each effect is conditional on the state
 * it moves from (a paid payment is never re-opened; a refund seen before the payment completed is kept
 * and the payment still completes).
 */

/** What an event did, stored as `payment_events.outcome` and answered to the provider. */
export type EventOutcome =
  | 'paid'
  | 'processing'
  | 'failed'
  | 'expired'
  | 'refunded'
  | 'duplicate'
  | 'stale'
  | 'unmatched'
  | 'ignored';

export interface WebhookReceipt {
  eventId: string;
  type: string;
  outcome: EventOutcome;
  paymentId: string | null;
}

const HANDLED = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'refund.updated',
  'refund.failed',
]);

const str = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);
const int = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) ? value : null);
const idOf = (value: unknown): string | null =>
  str(value) ?? (value && typeof value === 'object' ? str((value as { id?: unknown }).id) : null);
const metadataOf = (object: Record<string, unknown>): Record<string, unknown> =>
  object.metadata && typeof object.metadata === 'object' ? (object.metadata as Record<string, unknown>) : {};

/** How an event's object leads to its payment: our id in metadata, the session, or the payment intent. */
function paymentMatch(event: ProviderEvent): SQL | undefined {
  const object = event.data.object;
  const conditions: SQL[] = [];
  const paymentId = str(metadataOf(object).paymentId);
  if (paymentId) conditions.push(eq(payments.id, paymentId));
  if (event.type.startsWith('checkout.session.')) {
    const sessionId = str(object.id);
    if (sessionId) conditions.push(eq(payments.checkoutSessionId, sessionId));
  } else {
    const intent = idOf(object.payment_intent);
    if (intent) conditions.push(eq(payments.paymentIntentId, intent));
  }
  return conditions.length ? or(...conditions) : undefined;
}

/** The receipt number of a payment: the year it was paid and its id's random tail. */
export const receiptNumberOf = (paymentId: string, paidAt: number) =>
  `KW-${new Date(paidAt).getUTCFullYear()}-${paymentId.slice(-10).toUpperCase()}`;

/**
 * Verifies and applies one webhook delivery. Unknown event types and objects that are not ours are
 * recorded and answered (Stripe must not retry what will never apply).
 * @throws AppError UNAUTHENTICATED, TOKEN_INVALID (signature missing, forged or too old: nothing written),
 *   SERVICE_UNAVAILABLE (webhook secret not configured; the provider unreachable for payment details:
 *   Stripe retries)
 */
export async function applyProviderEvent(
  ctx: ServiceContext,
  payload: string,
  signature: string | undefined,
): Promise<WebhookReceipt> {
  const now = ctx.clock.now().getTime();
  const event = await ctx.ports.payments.verifyEvent(payload, signature, now);
  const provider = ctx.ports.payments.name;
  const receipt = (outcome: EventOutcome, paymentId: string | null = null): WebhookReceipt => ({
    eventId: event.id,
    type: event.type,
    outcome,
    paymentId,
  });
  const match = HANDLED.has(event.type) ? paymentMatch(event) : undefined;
  const subject = match
    ? sql<string>`(${ctx.db.select({ id: payments.subjectId }).from(payments).where(match).limit(1)})`
    : undefined;
  const read = await batchOf(ctx.db, {
    seen: ctx.db.select({ id: paymentEvents.id }).from(paymentEvents).where(eq(paymentEvents.id, event.id)),
    payment: match ? ctx.db.select().from(payments).where(match).limit(1) : undefined,
    refunds: match
      ? ctx.db
          .select()
          .from(refunds)
          .where(eq(refunds.paymentId, ctx.db.select({ id: payments.id }).from(payments).where(match).limit(1)))
      : undefined,
    appointment: subject ? appointmentDetails(ctx).where(eq(appointments.id, subject)) : undefined,
    sequence: subject ? sequenceQuery(ctx, subject) : undefined,
    // The receipt's addressee, so the paid event's receipt notice costs no round trip.
    payer: match ? payerQuery(ctx, match) : undefined,
    settings: match ? settingsQuery(ctx) : undefined,
  });
  primeSettings(ctx, read.settings);
  if (read.seen.length) return receipt('duplicate');
  const payment = read.payment?.[0];
  const record = (outcome: EventOutcome) =>
    ctx.db.insert(paymentEvents).values({
      id: event.id,
      provider,
      type: event.type,
      paymentId: payment?.id ?? null,
      outcome,
      receivedAt: now,
    });
  const commit = async (outcome: EventOutcome, effects: BatchItem<'sqlite'>[] = []) => {
    try {
      await ctx.db.batch([record(outcome), ...effects]);
    } catch (err) {
      if (isUniqueViolation(err, paymentEvents)) return receipt('duplicate', payment?.id ?? null);
      throw err;
    }
    return receipt(outcome, payment?.id ?? null);
  };
  if (!HANDLED.has(event.type)) return commit('ignored');
  if (!payment) {
    ctx.log.log('warn', 'payments.webhook_unmatched', { eventId: event.id, type: event.type });
    return commit('unmatched');
  }
  const appointment = payment.subjectType === 'appointment' ? read.appointment?.[0] : undefined;
  const object = event.data.object;
  const sessionId = str(object.id);

  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (payment.status === 'paid') return commit('stale');
      const intent = idOf(object.payment_intent);
      if (event.type === 'checkout.session.completed' && object.payment_status !== 'paid') {
        // A delayed method (bank debit): the money is not there yet; async_payment_* follows.
        return commit('processing', [
          ctx.db
            .update(payments)
            .set({
              status: 'processing',
              paymentIntentId: intent,
              checkoutSessionId: sessionId ?? payment.checkoutSessionId,
              updatedAt: now,
            })
            .where(eq(payments.id, payment.id)),
          ...(appointment ? [appointmentPaymentStatusStatement(ctx, appointment.id, 'processing')] : []),
        ]);
      }
      // The card's brand and last four and the reconciliation ids come from the charge.
      const details = intent
        ? await ctx.ports.payments.paymentDetails(intent)
        : { chargeId: null, balanceTransactionId: null, brand: null, last4: null };
      const tax = (await getSetting(ctx, 'payments.taxRates'))[payment.currency.toUpperCase()];
      const paid: PaymentRow = {
        ...payment,
        status: 'paid',
        paymentIntentId: intent,
        checkoutSessionId: sessionId ?? payment.checkoutSessionId,
        chargeId: details.chargeId,
        balanceTransactionId: details.balanceTransactionId,
        methodBrand: details.brand,
        methodLast4: details.last4,
        taxRateBps: tax?.rateBps ?? null,
        taxLabel: tax?.label ?? null,
        receiptNumber: receiptNumberOf(payment.id, now),
        failureReason: null,
        paidAt: now,
        updatedAt: now,
      };
      const { id: _id, ...paidChanges } = paid;
      const effects: BatchItem<'sqlite'>[] = [
        ctx.db.update(payments).set(paidChanges).where(eq(payments.id, payment.id)),
        auditInsert(ctx, {
          action: 'payment.paid',
          resourceType: 'payment',
          resourceId: payment.id,
          patientId: payment.payerId,
          metadata: { eventId: event.id, amountCents: payment.amountCents, currency: payment.currency },
        }),
      ];
      // Money that arrived for a visit that no longer happens (cancelled, or released unpaid, before the
      // payment completed) goes back in full.
      const unwanted =
        appointment && (appointment.status === 'cancelled' || appointment.status === 'rejected')
          ? unwantedPaymentRefund(ctx, payment, appointment.status)
          : null;
      if (appointment) {
        effects.push(
          ...appointmentPaidStatements(ctx, {
            appointmentId: appointment.id,
            fromStatus: appointment.status,
            paymentId: payment.id,
            paidAt: now,
          }),
        );
      }
      if (unwanted) {
        effects.push(
          guardedRefundInsert(ctx, unwanted),
          ...refundSettledStatements(ctx, payment, [...(read.refunds ?? []), unwanted]),
        );
      }
      const result = await commit('paid', effects);
      if (result.outcome === 'paid') {
        // From what was read and written: the notice is enqueued after the response, no round trip.
        await noticeReceiptOf(ctx, paid, read.payer?.[0], read.refunds ?? []);
      }
      if (result.outcome === 'paid' && unwanted) {
        ctx.defer(ctx.ports.jobs.enqueue([refundExecuteJob(unwanted.id)]));
      }
      if (result.outcome === 'paid' && appointment) {
        const confirmed = appointment.status === 'pending' && appointment.paymentTiming === 'at-booking';
        const view = detailView(appointment, {
          status: confirmed ? 'confirmed' : appointment.status,
          paymentStatus: 'paid',
          paidAt: now,
          paymentDueAt: null,
        });
        notifyParties(
          ctx,
          confirmed ? 'confirm' : 'paid',
          view,
          confirmed ? { sequence: Number(read.sequence?.[0]?.n ?? 0) + 1 } : undefined,
        );
      }
      return result;
    }
    case 'checkout.session.async_payment_failed': {
      if (payment.status === 'paid') return commit('stale');
      return commit('failed', [
        ctx.db
          .update(payments)
          .set({ status: 'failed', failureReason: 'The payment method failed', updatedAt: now })
          .where(eq(payments.id, payment.id)),
        ...(appointment ? [appointmentPaymentStatusStatement(ctx, appointment.id, 'failed')] : []),
      ]);
    }
    case 'checkout.session.expired': {
      // Only the current session's expiry counts: an older one was replaced by a new checkout.
      if (sessionId !== payment.checkoutSessionId || (payment.status !== 'open' && payment.status !== 'failed')) {
        return commit('stale');
      }
      return commit('expired', [
        ctx.db.update(payments).set({ status: 'expired', updatedAt: now }).where(eq(payments.id, payment.id)),
        ...(appointment ? releaseUnpaidStatements(ctx, appointment.id, 'Payment not received in time') : []),
      ]);
    }
    case 'charge.refunded':
      return commit('refunded', providerRefundStatements(ctx, event, payment, read.refunds ?? []));
    case 'refund.updated':
    case 'refund.failed': {
      const settled = settledRefundStatements(ctx, event, payment, read.refunds ?? []);
      return settled ? commit('refunded', settled) : commit('stale');
    }
  }
  return commit('ignored');
}

/** The full refund of a payment that completed after its appointment was cancelled or rejected. */
function unwantedPaymentRefund(ctx: ServiceContext, payment: PaymentRow, status: string): RefundRow {
  return newRefundRow(ctx, {
    paymentId: payment.id,
    key: cancellationRefundKey(payment.subjectId),
    amountCents: payment.amountCents - payment.refundedCents,
    currency: payment.currency,
    source: 'cancellation',
    status: 'pending',
    reason: `Paid after the appointment was ${status}: refunded in full`,
  });
}

/**
 * A `charge.refunded` event: `amount_refunded` is the charge's running total. Whatever it exceeds the
 * refunds Kinwell knows (requested here, pending or succeeded) by was refunded in the provider's
 * dashboard: it is recorded as a `provider` refund (once per total, by its key) and added to the
 * payment and the appointment. The same total seen again, or one Kinwell's own refunds explain,
 * changes nothing.
 */
function providerRefundStatements(
  ctx: ServiceContext,
  event: ProviderEvent,
  payment: PaymentRow,
  known: RefundRow[],
): BatchItem<'sqlite'>[] {
  const object = event.data.object;
  const total = int(object.amount_refunded) ?? 0;
  const accounted = known
    .filter((r) => r.status === 'pending' || r.status === 'succeeded')
    .reduce((sum, r) => sum + r.amountCents, 0);
  const extra = Math.min(total, payment.amountCents) - accounted;
  if (extra <= 0) return [];
  const now = ctx.clock.now().getTime();
  const chargeId = idOf(object.id);
  const row = newRefundRow(ctx, {
    paymentId: payment.id,
    key: `provider:${chargeId ?? payment.id}:${total}`,
    amountCents: extra,
    currency: payment.currency,
    source: 'provider',
    status: 'succeeded',
    reason: 'Refunded in the payment provider’s dashboard',
    refundedAt: now,
  });
  return [
    ctx.db.insert(refunds).values(row).onConflictDoNothing(),
    ctx.db
      .update(payments)
      .set({
        chargeId: payment.chargeId ?? chargeId,
        paymentIntentId: payment.paymentIntentId ?? idOf(object.payment_intent),
      })
      .where(eq(payments.id, payment.id)),
    ...refundSettledStatements(ctx, payment, [...known, row]),
    auditInsert(ctx, {
      action: 'payment.refund.provider',
      resourceType: 'payment',
      resourceId: payment.id,
      patientId: payment.payerId,
      metadata: { eventId: event.id, amountCents: extra, totalRefundedCents: total },
    }),
  ];
}

/**
 * A `refund.updated` / `refund.failed` event: the provider settled a refund it first answered
 * `pending`. The refund is found by the id Kinwell put in its metadata, else by the provider's id; a
 * pending one becomes succeeded or failed, with the payment's total and the appointment's state.
 * Anything else (a refund already settled, one Kinwell does not know) changes nothing.
 */
function settledRefundStatements(
  ctx: ServiceContext,
  event: ProviderEvent,
  payment: PaymentRow,
  known: RefundRow[],
): BatchItem<'sqlite'>[] | null {
  const object = event.data.object;
  const ours = str(metadataOf(object).refundId);
  const providerId = str(object.id);
  const refund = known.find((r) => (ours && r.id === ours) || (providerId && r.providerRefundId === providerId));
  const status = event.type === 'refund.failed' ? 'failed' : str(object.status);
  const settles = status === 'succeeded' || status === 'failed' || status === 'canceled';
  if (refund?.status !== 'pending' || !settles) return null;
  const now = ctx.clock.now().getTime();
  const settled: RefundRow = {
    ...refund,
    status: status === 'succeeded' ? 'succeeded' : 'failed',
    providerRefundId: refund.providerRefundId ?? providerId,
    balanceTransactionId: idOf(object.balance_transaction) ?? refund.balanceTransactionId,
    failureReason: status === 'succeeded' ? null : (str(object.failure_reason) ?? status),
    refundedAt: status === 'succeeded' ? now : null,
    updatedAt: now,
  };
  const { id, ...changes } = settled;
  return [
    ctx.db
      .update(refunds)
      .set(changes)
      .where(and(eq(refunds.id, id), eq(refunds.status, 'pending'))),
    ...refundSettledStatements(
      ctx,
      payment,
      known.map((r) => (r.id === id ? settled : r)),
    ),
  ];
}
