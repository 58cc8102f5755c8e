import { and, eq, type SQLWrapper } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf, type Statements } from '../../db/batch';
import { appointments, type PaymentRow, type PaymentSubject, payments, users } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import type { Env } from '../../env';
import { AppError } from '../../lib/errors';
import { HOUR_MS, MINUTE_MS } from '../../lib/time';
import { LOCAL_CHECKOUT_PATH } from '../../platform/payments';
import { appointmentDetails, seenBy } from '../appointments/appointment-access';
import { paymentDueStatement } from '../appointments/payment-state';
import { auditInsert } from '../audit/audit.service';
import { type PaymentView, toPaymentView } from './payment-access';

/**
 * Checkout: a hosted payment page for an appointment's fee. One payment row per appointment; each new
 * checkout session (the first, or after one expired or failed) bumps its `attempts`, which is part of
 * the provider idempotency key, so a retried request gets the same session and a new attempt a new one.
 */

/** Stripe refuses an `expires_at` less than 30 minutes ahead (and more than 24 hours). */
const MIN_SESSION_MS = 30 * MINUTE_MS;
/** A pay-later session lasts just under Stripe's 24-hour maximum. */
const PAY_LATER_SESSION_MS = 23 * HOUR_MS;
/** An open session with less than this left is replaced rather than handed out. */
const REUSE_MARGIN_MS = 2 * MINUTE_MS;

/**
 * The payment id of a subject: derived from the subject's id (one payment per subject), so two first
 * checkouts racing send the provider identical requests under one idempotency key.
 */
export const paymentIdOf = (subjectId: string) => `pay_${subjectId.slice(subjectId.indexOf('_') + 1)}`;

/** The idempotency key of an appointment's checkout attempt, sent to the provider. */
export const checkoutKey = (appointmentId: string, attempt: number) => `checkout-${appointmentId}-${attempt}`;

/**
 * Where the provider sends the patient back: `CHECKOUT_RETURN_URL` (the app), else the local checkout
 * page's result page under `PUBLIC_URL`.
 */
export function returnUrls(env: Env, appointmentId: string): { successUrl: string; cancelUrl: string } {
  const base =
    env.CHECKOUT_RETURN_URL ??
    `${(env.PUBLIC_URL ?? 'http://localhost:8787').replace(/\/+$/, '')}/api/v1${LOCAL_CHECKOUT_PATH}/return`;
  const url = (result: string) => {
    const u = new URL(base);
    u.searchParams.set(appointmentId.startsWith('cse_') ? 'careSessionId' : 'appointmentId', appointmentId);
    u.searchParams.set('checkout', result);
    return u.toString();
  };
  return { successUrl: url('success'), cancelUrl: url('cancelled') };
}

const wholeMinute = (ms: number) => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;

/** When a pay-later checkout opened at `now` expires: a whole minute, just under a day ahead. */
export const payLaterExpiresAt = (now: number) => wholeMinute(now + PAY_LATER_SESSION_MS);

const PAYABLE_STATUSES = new Set(['pending', 'confirmed', 'in-progress', 'completed', 'no-show']);

/**
 * Starts (or hands out again) the checkout of an appointment's fee, for its patient or front-desk
 * staff. An open session with time left is answered as it is (`created: false`); otherwise a new
 * session is created with the provider (amount and currency of the booking's price snapshot, the
 * appointment in `client_reference_id` and metadata, expiring at the pay-at-booking deadline, at least
 * 30 minutes ahead, or in 23 hours for pay-later) and stored. Two round trips plus the provider call.
 * @throws AppError NOT_FOUND (not the caller's), CONFLICT (free, already paid or settling, or the
 *   appointment is closed), PAYMENT_FAILED (the provider refused), SERVICE_UNAVAILABLE (provider down
 *   or not configured)
 */
export async function startCheckout(
  ctx: AuthedContext,
  appointmentId: string,
): Promise<{ payment: PaymentView; created: boolean }> {
  const read = await batchOf(ctx.db, {
    rows: appointmentDetails(ctx).where(eq(appointments.id, appointmentId)),
    ...subjectPaymentQueries(
      ctx,
      { type: 'appointment', id: appointmentId },
      ctx.db.select({ id: appointments.patientId }).from(appointments).where(eq(appointments.id, appointmentId)),
    ),
  });
  const { row } = seenBy(ctx, read.rows[0], ['patient', 'staff']);
  const existing = read.payment[0];
  const now = ctx.clock.now().getTime();
  if (row.paymentStatus === 'free') throw new AppError('CONFLICT', 'This appointment has no fee to pay');
  if (row.paymentStatus === 'paid' || row.paymentStatus === 'processing') assertPayable(existing, row.paymentStatus);
  assertPayable(existing);
  if (!PAYABLE_STATUSES.has(row.status)) {
    throw new AppError('CONFLICT', `This appointment is ${row.status}: there is nothing to pay`);
  }
  // Whole minutes, so requests racing within a minute are identical under their idempotency key.
  const expiresAt = wholeMinute(
    row.paymentTiming === 'at-booking' ? Math.max(row.paymentDueAt ?? 0, now + MIN_SESSION_MS) : payLaterExpiresAt(now),
  );
  return openCheckout(ctx, {
    subject: { type: 'appointment', id: row.id },
    payerId: row.patientId,
    payeeId: row.doctorId,
    description: row.serviceName ?? 'Consultation',
    amountCents: row.priceCents,
    currency: row.currency,
    customerEmail: read.payer[0]?.email ?? null,
    existing,
    expiresAt,
    alongside: (id) => (row.paymentTiming === 'at-booking' ? [paymentDueStatement(ctx, row.id, id.expiresAt)] : []),
  });
}

/** What a subject's checkout reads in its read batch: its payment, and the payer's email. */
export function subjectPaymentQueries(
  ctx: ServiceContext,
  subject: { type: PaymentSubject; id: string },
  payerId: SQLWrapper | string,
) {
  return {
    payment: ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.subjectType, subject.type), eq(payments.subjectId, subject.id))),
    payer: ctx.db.select({ email: users.email }).from(users).where(eq(users.id, payerId)),
  };
}

/**
 * @throws AppError CONFLICT when the subject's payment is paid or being settled (`status`: what the
 *   subject itself records, when it does)
 */
function assertPayable(existing: PaymentRow | undefined, status?: 'paid' | 'processing'): void {
  if (status === 'paid' || existing?.status === 'paid') {
    throw new AppError('CONFLICT', 'This is already paid', { details: { paymentId: existing?.id ?? null } });
  }
  if (status === 'processing' || existing?.status === 'processing') {
    throw new AppError('CONFLICT', 'A payment for this is being settled; wait for its outcome');
  }
}

/** A payable subject's checkout, as its module read and judged it. */
export interface CheckoutRequest {
  subject: { type: PaymentSubject; id: string };
  payerId: string;
  payeeId: string;
  description: string;
  amountCents: number;
  currency: string;
  customerEmail: string | null;
  existing: PaymentRow | undefined;
  /** When the new session expires (epoch ms, a whole minute). */
  expiresAt: number;
  /** Statements the subject's module adds to the write batch, given the stored payment. */
  alongside?: (payment: PaymentRow) => Statements;
}

/**
 * Opens (or hands out again) the hosted checkout of any payable subject (an appointment's fee, a care
 * session's bill): one payment row per subject; an open session with time left is answered as it is
 * (`created: false`); otherwise the provider creates a session under the idempotency key of the
 * subject's next attempt, and the row is stored (inserted, or replaced when the attempt is still the
 * one read) with an audit event, in one write batch.
 * @throws AppError CONFLICT (already paid or settling), PAYMENT_FAILED, SERVICE_UNAVAILABLE
 */
export async function openCheckout(
  ctx: AuthedContext,
  request: CheckoutRequest,
): Promise<{ payment: PaymentView; created: boolean }> {
  const { existing, subject } = request;
  assertPayable(existing);
  const now = ctx.clock.now().getTime();
  if (existing?.status === 'open' && existing.expiresAt - now > REUSE_MARGIN_MS) {
    return { payment: toPaymentView(existing), created: false };
  }

  const attempt = existing ? existing.attempts + 1 : 1;
  const id = existing?.id ?? paymentIdOf(subject.id);
  const { expiresAt } = request;
  const provider = ctx.ports.payments;
  const session = await provider.createCheckout({
    paymentId: id,
    subject,
    description: request.description,
    amountCents: request.amountCents,
    currency: request.currency,
    customerEmail: request.customerEmail,
    expiresAt,
    ...returnUrls(ctx.env, subject.id),
    idempotencyKey: checkoutKey(subject.id, attempt),
  });
  const payment: PaymentRow = {
    id,
    subjectType: subject.type,
    subjectId: subject.id,
    payerId: request.payerId,
    payeeId: request.payeeId,
    description: request.description,
    amountCents: request.amountCents,
    currency: request.currency,
    provider: provider.name,
    status: 'open',
    attempts: attempt,
    checkoutSessionId: session.id,
    checkoutUrl: session.url,
    expiresAt,
    paymentIntentId: null,
    chargeId: null,
    balanceTransactionId: null,
    methodBrand: null,
    methodLast4: null,
    refundedCents: existing?.refundedCents ?? 0,
    taxRateBps: null,
    taxLabel: null,
    receiptNumber: null,
    failureReason: null,
    paidAt: null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const { id: _id, createdAt: _createdAt, ...replaced } = payment;
  try {
    await ctx.db.batch([
      existing
        ? ctx.db
            .update(payments)
            .set(replaced)
            .where(and(eq(payments.id, id), eq(payments.attempts, existing.attempts)))
        : ctx.db.insert(payments).values(payment),
      ...(request.alongside?.(payment) ?? []),
      auditInsert(ctx, {
        action: 'payment.checkout',
        resourceType: 'payment',
        resourceId: id,
        patientId: request.payerId,
        metadata: {
          [subject.type === 'appointment' ? 'appointmentId' : 'careSessionId']: subject.id,
          attempt,
          amountCents: request.amountCents,
          currency: request.currency,
        },
      }),
    ]);
  } catch (err) {
    // Two first checkouts at once: the provider answered both with the same session (same key and
    // request); the loser reads the winner's row.
    if (!isUniqueViolation(err, payments)) throw err;
    const winner = await ctx.db.select().from(payments).where(eq(payments.id, id)).get();
    if (!winner) throw err;
    return { payment: toPaymentView(winner), created: false };
  }
  return { payment: toPaymentView(payment), created: true };
}
