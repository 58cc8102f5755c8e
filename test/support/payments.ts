import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import {
  type AppointmentRow,
  appointments,
  type PaymentRow,
  payments,
  type RefundRow,
  refunds,
} from '../../src/db/schema';
import { db, testEnv, uniqueId } from '../helpers';
import { insertAppointment } from './practice';

/** The webhook secret of the test pool (vitest.config.ts bindings). */
export const WEBHOOK_SECRET = testEnv.STRIPE_WEBHOOK_SECRET!;
/** A made-up Stripe key: with it set in a call's env, the app talks to "Stripe" through the injected fetch. */
export const STRIPE_KEY = 'sk_test_kinwell_0123456789';
export const stripeEnv = { STRIPE_SECRET_KEY: STRIPE_KEY };

const stripe = new Stripe('sk_test_unused', { httpClient: Stripe.createFetchHttpClient() });
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/**
 * A Stripe webhook delivery as Stripe sends it: the event JSON and its `Stripe-Signature` header,
 * signed with `secret` at `at` (a Date; default now) by stripe's own `generateTestHeaderStringAsync`.
 */
export async function signedEvent(
  event: { id?: string; type: string; object: Record<string, unknown>; created?: number },
  options: { at?: Date; secret?: string } = {},
) {
  const at = Math.floor((options.at ?? new Date()).getTime() / 1000);
  const payload = JSON.stringify({
    id: event.id ?? uniqueId('evt'),
    object: 'event',
    api_version: '2026-11-18.endive',
    created: event.created ?? at,
    livemode: false,
    type: event.type,
    data: { object: event.object },
  });
  const signature = await stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: at,
    cryptoProvider,
  });
  return { payload, signature };
}

/**
 * A confirmed appointment whose fee was paid through Stripe, written straight to D1 (payment row with
 * payment intent, charge, balance transaction, Visa •••• 4242 and a receipt number), for tests of what
 * happens after payment (refunds, history, receipts). Paying itself is tested through the webhook.
 */
export async function insertPaidAppointment(input: {
  patientId: string;
  doctorId: string;
  serviceId: string;
  startsAt: string;
  priceCents?: number;
  paidAt?: number;
  status?: AppointmentRow['status'];
}): Promise<{ appointment: AppointmentRow; payment: PaymentRow }> {
  const priceCents = input.priceCents ?? 5000;
  const appointment = await insertAppointment({
    patientId: input.patientId,
    doctorId: input.doctorId,
    serviceId: input.serviceId,
    startsAt: input.startsAt,
    priceCents,
    status: input.status ?? 'confirmed',
  });
  const paidAt = input.paidAt ?? appointment.createdAt + 60_000;
  await db.update(appointments).set({ paymentStatus: 'paid', paidAt }).where(eq(appointments.id, appointment.id));
  const id = uniqueId('pay');
  const suffix = id.slice(-10);
  const payment: PaymentRow = {
    id,
    subjectType: 'appointment',
    subjectId: appointment.id,
    payerId: input.patientId,
    payeeId: input.doctorId,
    description: 'Consultation 30 min',
    amountCents: priceCents,
    currency: 'EUR',
    provider: 'stripe',
    status: 'paid',
    attempts: 1,
    checkoutSessionId: `cs_test_${suffix}`,
    checkoutUrl: `https://checkout.stripe.com/c/pay/cs_test_${suffix}`,
    expiresAt: paidAt + 30 * 60_000,
    paymentIntentId: `pi_test_${suffix}`,
    chargeId: `ch_test_${suffix}`,
    balanceTransactionId: `txn_test_${suffix}`,
    methodBrand: 'visa',
    methodLast4: '4242',
    refundedCents: 0,
    taxRateBps: null,
    taxLabel: null,
    receiptNumber: `KW-2026-${suffix.toUpperCase()}`,
    failureReason: null,
    paidAt,
    createdAt: paidAt - 60_000,
    updatedAt: paidAt,
  };
  await db.insert(payments).values(payment);
  return { appointment: { ...appointment, paymentStatus: 'paid', paidAt }, payment };
}

/**
 * A refund of `payment` written straight to D1 (succeeded at `at` by default, with provider and balance
 * transaction ids), for tests of what shows refunds (history, receipts, export, webhooks). With
 * `countOnPayment`, a succeeded refund is added to the payment's `refundedCents` as the executor would.
 */
export async function insertRefund(
  payment: Pick<PaymentRow, 'id' | 'currency'>,
  amountCents: number,
  at: string | number,
  changes: Partial<RefundRow> = {},
  options: { countOnPayment?: boolean } = {},
): Promise<RefundRow> {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  const row: RefundRow = {
    id: uniqueId('rfd'),
    paymentId: payment.id,
    key: uniqueId('key'),
    amountCents,
    currency: payment.currency,
    source: 'admin',
    status: 'succeeded',
    reason: 'Goodwill',
    requestedBy: null,
    approvedBy: null,
    decidedAt: null,
    providerRefundId: uniqueId('re'),
    balanceTransactionId: uniqueId('txn'),
    failureReason: null,
    refundedAt: ms,
    createdAt: ms,
    updatedAt: ms,
    ...changes,
  };
  await db.insert(refunds).values(row);
  if (options.countOnPayment && row.status === 'succeeded') {
    await db
      .update(payments)
      .set({ refundedCents: sql`${payments.refundedCents} + ${amountCents}` })
      .where(eq(payments.id, payment.id));
  }
  return row;
}
