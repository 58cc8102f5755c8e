import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import {
  appointmentEvents,
  appointments,
  doctorServices,
  paymentEvents,
  payments,
  refunds,
  slotClaims,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, recordingFetch, uniqueId } from '../../helpers';
import { capturingQueue } from '../../support/notifications';
import { insertPaidAppointment, insertRefund, signedEvent, stripeEnv } from '../../support/payments';
import { account, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const SLOT = '2026-03-24T10:00:00.000Z';
const nowMs = Date.parse(NOW);

/** Answers for "Stripe": a checkout session, and a payment intent with its charge. */
function stripeDouble() {
  let sessions = 0;
  // Session ids are unique in D1, which a test file shares: each double has its own.
  const tag = uniqueId('x').slice(-8);
  const sessionId = (n: number) => `cs_test_${tag}_${n}`;
  const recorder = recordingFetch(async (req) => {
    const url = new URL(req.url);
    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      sessions += 1;
      const id = sessionId(sessions);
      return Response.json({ id, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${id}` });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/v1/payment_intents/')) {
      const id = url.pathname.split('/').pop();
      return Response.json({
        id,
        object: 'payment_intent',
        latest_charge: {
          id: 'ch_test_1',
          object: 'charge',
          balance_transaction: 'txn_test_1',
          payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12 } },
        },
      });
    }
    return Response.json({ error: { type: 'invalid_request_error', message: 'unexpected' } }, { status: 400 });
  });
  return { ...recorder, sessionId };
}

/** Keeps the jobs requests enqueue (notices), so a test sees what would be sent. */
const queue = capturingQueue();

async function setup(paymentTiming: 'at-booking' | 'later' | null = 'at-booking') {
  const stripe = stripeDouble();
  const api = client({ clock, fetch: stripe.fetch, adapters: queue.adapters });
  const p = await practice(clock.now(), { priceCents: 4999 });
  const service = p.services[0]!;
  await db.update(doctorServices).set({ paymentTiming }).where(eq(doctorServices.id, service.id));
  const patient = await account('user', clock.now());
  const booked = await api.post('/api/v1/appointments', {
    token: patient.token,
    json: { doctorId: p.doctor.user.id, serviceId: service.id, startsAt: SLOT, type: 'video' },
  });
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  return {
    api,
    stripe,
    doctor: p.doctor,
    patient,
    appointmentId: booked.body.data.id as string,
    booked: booked.body.data,
  };
}

const checkout = (s: Awaited<ReturnType<typeof setup>>, token = s.patient.token) =>
  s.api.post(`/api/v1/appointments/${s.appointmentId}/checkout`, { token, env: stripeEnv });

async function deliver(
  api: ReturnType<typeof client>,
  event: Parameters<typeof signedEvent>[0],
  options: Parameters<typeof signedEvent>[1] = {},
) {
  const { payload, signature } = await signedEvent(event, { at: clock.now(), ...options });
  return api.post('/api/v1/webhooks/stripe', {
    body: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    env: stripeEnv,
  });
}

/** Each appointment's payment intent id (unique in the file's shared storage). */
const intentOf = (appointmentId: string) => `pi_test_${appointmentId.slice(-12)}`;

const session = (
  payment: { id: string; checkout: { sessionId: string } },
  appointmentId: string,
  extra: Record<string, unknown> = {},
) => ({
  id: payment.checkout.sessionId,
  object: 'checkout.session',
  payment_status: 'paid',
  payment_intent: intentOf(appointmentId),
  client_reference_id: appointmentId,
  metadata: { paymentId: payment.id, subjectType: 'appointment', subjectId: appointmentId },
  ...extra,
});

const appointmentOf = async (id: string) => (await db.select().from(appointments).where(eq(appointments.id, id)))[0]!;
const paymentOf = async (appointmentId: string) =>
  (await db.select().from(payments).where(eq(payments.subjectId, appointmentId)))[0];

describe('paying for a visit', () => {
  it('Should book a pay-at-booking appointment pending with a payment deadline, and refuse to confirm it unpaid', async () => {
    const s = await setup('at-booking');
    expect(s.booked.status).toBe('pending');
    expect(s.booked.payment).toEqual({
      status: 'unpaid',
      timing: 'at-booking',
      dueAt: new Date(nowMs + 30 * 60_000).toISOString(),
      paidAt: null,
    });
    expect(s.booked.refund).toBeNull();
    const confirm = await s.api.post(`/api/v1/appointments/${s.appointmentId}/confirm`, { token: s.doctor.token });
    expect(confirm.status).toBe(402);
    expect(confirm.body.error.code).toBe('PAYMENT_REQUIRED');
    expect((await appointmentOf(s.appointmentId)).status).toBe('pending');
  });

  it('Should let staff confirm a pay-later appointment unpaid, as before', async () => {
    const s = await setup('later');
    expect(s.booked.payment).toMatchObject({ status: 'unpaid', timing: 'later', dueAt: null });
    const confirm = await s.api.post(`/api/v1/appointments/${s.appointmentId}/confirm`, { token: s.doctor.token });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  });

  it('Should create a Stripe Checkout Session with the amount, currency, metadata, expiry and idempotency key', async () => {
    const s = await setup('at-booking');
    const res = await checkout(s);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // A write: one read batch, the provider call, one write batch.
    expect(tripsOf(res)).toBe(2);
    const payment = res.body.data;
    expect(payment).toMatchObject({
      subject: { type: 'appointment', id: s.appointmentId },
      amountCents: 4999,
      currency: 'EUR',
      status: 'open',
      provider: 'stripe',
      checkout: { sessionId: s.stripe.sessionId(1), url: `https://checkout.stripe.com/c/pay/${s.stripe.sessionId(1)}` },
    });
    expect(s.stripe.requests).toHaveLength(1);
    const req = s.stripe.requests[0]!;
    expect(req.url).toBe('https://api.stripe.com/v1/checkout/sessions');
    expect(req.headers.get('authorization')).toBe(`Bearer ${stripeEnv.STRIPE_SECRET_KEY}`);
    expect(req.headers.get('idempotency-key')).toBe(`checkout-${s.appointmentId}-1`);
    const form = new URLSearchParams(await req.text());
    expect(Object.fromEntries(form)).toMatchObject({
      mode: 'payment',
      client_reference_id: s.appointmentId,
      'metadata[paymentId]': payment.id,
      'metadata[subjectId]': s.appointmentId,
      'payment_intent_data[metadata][paymentId]': payment.id,
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '4999',
      'line_items[0][price_data][product_data][name]': 'Consultation 30 min',
      customer_email: s.patient.user.email,
      expires_at: String((nowMs + 30 * 60_000) / 1000),
    });
    expect(form.get('success_url')).toContain(`appointmentId=${s.appointmentId}`);

    // Asking again while the session is open answers the same session without calling Stripe.
    const again = await checkout(s);
    expect(again.status).toBe(200);
    expect(tripsOf(again)).toBe(1);
    expect(again.body.data.checkout.sessionId).toBe(s.stripe.sessionId(1));
    expect(s.stripe.requests).toHaveLength(1);
  });

  it('Should refuse checkout of another patient’s appointment (404) and of a free visit (409)', async () => {
    const s = await setup('at-booking');
    const other = await account('user', clock.now());
    const res = await checkout(s, other.token);
    expect(res.status).toBe(404);
    expect(s.stripe.requests).toHaveLength(0);
    expect(await paymentOf(s.appointmentId)).toBeUndefined();

    await db.update(appointments).set({ paymentStatus: 'free' }).where(eq(appointments.id, s.appointmentId));
    const free = await checkout(s);
    expect(free.status).toBe(409);
    expect(free.body.error.code).toBe('CONFLICT');
  });

  it('Should answer PAYMENT_FAILED when Stripe refuses, storing nothing', async () => {
    const refusing = recordingFetch(() =>
      Response.json(
        {
          error: { type: 'invalid_request_error', code: 'amount_too_small', message: 'Amount must be at least €0.50' },
        },
        { status: 400 },
      ),
    );
    const s = await setup('at-booking');
    const api = client({ clock, fetch: refusing.fetch });
    const res = await api.post(`/api/v1/appointments/${s.appointmentId}/checkout`, {
      token: s.patient.token,
      env: stripeEnv,
    });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('PAYMENT_FAILED');
    expect(await paymentOf(s.appointmentId)).toBeUndefined();
  });

  it('Should confirm the appointment exactly once when the paid event arrives twice, and concurrently', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    const event = {
      id: 'evt_paid_1',
      type: 'checkout.session.completed',
      object: session(payment, s.appointmentId),
    };
    const [a, b] = await Promise.all([deliver(s.api, event), deliver(s.api, event)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.data.outcome, b.body.data.outcome].sort()).toEqual(['duplicate', 'paid']);
    // The read batch and the write batch (the duplicate: lost at its write, or seen at its read).
    expect(tripsOf(a.body.data.outcome === 'paid' ? a : b)).toBe(2);
    const replay = await deliver(s.api, event);
    expect(replay.body.data.outcome).toBe('duplicate');
    expect(tripsOf(replay)).toBe(1);

    const apt = await appointmentOf(s.appointmentId);
    expect(apt).toMatchObject({ status: 'confirmed', paymentStatus: 'paid', paidAt: nowMs, paymentDueAt: null });
    const paid = await db
      .select()
      .from(appointmentEvents)
      .where(and(eq(appointmentEvents.appointmentId, s.appointmentId), eq(appointmentEvents.action, 'paid')));
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ fromStatus: 'pending', toStatus: 'confirmed', actorId: 'system' });
    expect(await db.select().from(paymentEvents).where(eq(paymentEvents.id, 'evt_paid_1'))).toHaveLength(1);
    expect(await paymentOf(s.appointmentId)).toMatchObject({
      status: 'paid',
      paymentIntentId: intentOf(s.appointmentId),
      chargeId: 'ch_test_1',
      balanceTransactionId: 'txn_test_1',
      methodBrand: 'visa',
      methodLast4: '4242',
      receiptNumber: expect.stringMatching(/^KW-2026-/),
    });

    // What the patient sees: the appointment confirmed and paid; the payment with brand and last four only.
    const view = await s.api.get(`/api/v1/appointments/${s.appointmentId}/payment`, { token: s.patient.token });
    expect(view.status).toBe(200);
    expect(tripsOf(view)).toBe(1);
    expect(view.body.data).toMatchObject({ status: 'paid', method: { brand: 'visa', last4: '4242' }, checkout: null });
    expect(JSON.stringify(view.body.data)).not.toContain('exp_month');

    // The patient is told (confirmation) and gets the receipt, once each.
    const notices = queue.take(NOTIFY_DELIVER).map((job) => JSON.stringify(job.payload));
    const receipts = notices.filter((n) => n.includes('payment-receipt') && n.includes(payment.id));
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toContain(s.patient.user.id);
    const confirmed = notices.filter((n) => n.includes('appointment-confirmed') && n.includes(s.appointmentId));
    expect(confirmed.length).toBeGreaterThan(0);
  });

  it('Should refuse a forged, stale or missing signature with nothing written', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    const object = session(payment, s.appointmentId);
    const forged = await deliver(
      s.api,
      { id: 'evt_forged', type: 'checkout.session.completed', object },
      { secret: 'whsec_wrong' },
    );
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('TOKEN_INVALID');
    const stale = await deliver(
      s.api,
      { id: 'evt_stale', type: 'checkout.session.completed', object },
      { at: new Date(nowMs - 10 * 60_000) },
    );
    expect(stale.status).toBe(401);
    const missing = await s.api.post('/api/v1/webhooks/stripe', {
      json: { id: 'evt_nosig', type: 'checkout.session.completed', data: { object } },
      env: stripeEnv,
    });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHENTICATED');
    // A body altered after signing.
    const { payload, signature } = await signedEvent(
      { id: 'evt_tampered', type: 'checkout.session.completed', object },
      { at: clock.now() },
    );
    const tampered = await s.api.post('/api/v1/webhooks/stripe', {
      body: payload.replace('"paid"', '"paid" '),
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      env: stripeEnv,
    });
    expect(tampered.status).toBe(401);

    expect(await db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, payment.id))).toHaveLength(0);
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'pending', paymentStatus: 'unpaid' });
    expect((await paymentOf(s.appointmentId))!.status).toBe('open');
  });

  it('Should release the unpaid appointment’s time when its session expires', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    expect(await db.select().from(slotClaims).where(eq(slotClaims.ownerId, s.appointmentId))).not.toHaveLength(0);
    const res = await deliver(s.api, {
      type: 'checkout.session.expired',
      object: session(payment, s.appointmentId, {
        payment_status: 'unpaid',
        payment_intent: null,
        status: 'expired',
      }),
    });
    expect(res.body.data.outcome).toBe('expired');
    expect(await appointmentOf(s.appointmentId)).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'system',
      refundDueCents: 0,
    });
    expect(await db.select().from(slotClaims).where(eq(slotClaims.ownerId, s.appointmentId))).toHaveLength(0);
    expect((await paymentOf(s.appointmentId))!.status).toBe('expired');
    const history = await s.api.get(`/api/v1/appointments/${s.appointmentId}/history`, { token: s.patient.token });
    expect(history.body.data.map((e: { action: string }) => e.action)).toContain('payment-expired');

    // The slot can be booked again at once.
    const again = await s.api.post('/api/v1/appointments', {
      token: s.patient.token,
      json: { doctorId: s.doctor.user.id, serviceId: s.booked.service.id, startsAt: SLOT, type: 'video' },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
  });

  it('Should keep a refund made in the dashboard that arrives before the payment completes', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    const refunded = await deliver(s.api, {
      type: 'charge.refunded',
      object: {
        id: 'ch_test_1',
        object: 'charge',
        payment_intent: intentOf(s.appointmentId),
        amount: 4999,
        amount_refunded: 2000,
        refunded: false,
        metadata: { paymentId: payment.id, subjectType: 'appointment', subjectId: s.appointmentId },
      },
    });
    expect(refunded.body.data.outcome).toBe('refunded');
    const paid = await deliver(s.api, {
      type: 'checkout.session.completed',
      object: session(payment, s.appointmentId),
    });
    expect(paid.body.data.outcome).toBe('paid');

    expect(await paymentOf(s.appointmentId)).toMatchObject({ status: 'paid', refundedCents: 2000 });
    const rows = await db.select().from(refunds).where(eq(refunds.paymentId, payment.id));
    expect(rows).toEqual([expect.objectContaining({ source: 'provider', status: 'succeeded', amountCents: 2000 })]);
    const apt = await s.api.get(`/api/v1/appointments/${s.appointmentId}`, { token: s.patient.token });
    expect(apt.body.data).toMatchObject({
      status: 'confirmed',
      payment: { status: 'paid' },
      refund: { amountCents: 2000, currency: 'EUR', status: 'succeeded', refundedAt: NOW.replace('Z', '.000Z') },
    });

    // The same running total again (Stripe's retry as a new event) adds nothing.
    await deliver(s.api, {
      type: 'charge.refunded',
      object: {
        id: 'ch_test_1',
        object: 'charge',
        payment_intent: intentOf(s.appointmentId),
        amount_refunded: 2000,
        metadata: {},
      },
    });
    expect(await db.select().from(refunds).where(eq(refunds.paymentId, payment.id))).toHaveLength(1);
  });

  it('Should handle delayed methods: processing, then failed, then a new checkout', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    const processing = await deliver(s.api, {
      type: 'checkout.session.completed',
      object: session(payment, s.appointmentId, { payment_status: 'unpaid' }),
    });
    expect(processing.body.data.outcome).toBe('processing');
    expect((await appointmentOf(s.appointmentId)).paymentStatus).toBe('processing');
    const failed = await deliver(s.api, {
      type: 'checkout.session.async_payment_failed',
      object: session(payment, s.appointmentId, { payment_status: 'unpaid' }),
    });
    expect(failed.body.data.outcome).toBe('failed');
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'pending', paymentStatus: 'failed' });
    const retry = await checkout(s);
    expect(retry.status).toBe(201);
    expect(retry.body.data).toMatchObject({ status: 'open', checkout: { sessionId: s.stripe.sessionId(2) } });
    expect(s.stripe.requests.at(-1)!.headers.get('idempotency-key')).toBe(`checkout-${s.appointmentId}-2`);
    // The first session's expiry no longer releases anything.
    const stale = await deliver(s.api, {
      type: 'checkout.session.expired',
      object: session(payment, s.appointmentId, { payment_status: 'unpaid' }),
    });
    expect(stale.body.data.outcome).toBe('stale');
    expect((await appointmentOf(s.appointmentId)).status).toBe('pending');
    const succeeded = await deliver(s.api, {
      type: 'checkout.session.async_payment_succeeded',
      object: session(payment, s.appointmentId, { id: s.stripe.sessionId(2) }),
    });
    expect(succeeded.body.data.outcome).toBe('paid');
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'confirmed', paymentStatus: 'paid' });
  });

  it('Should record events it does not act on, and events for payments that are not Kinwell’s', async () => {
    const s = await setup('later');
    const ignored = await deliver(s.api, { type: 'customer.created', object: { id: 'cus_1', object: 'customer' } });
    expect(ignored.body.data.outcome).toBe('ignored');
    const unmatched = await deliver(s.api, {
      type: 'checkout.session.completed',
      object: { id: 'cs_other', object: 'checkout.session', payment_status: 'paid', metadata: {} },
    });
    expect(unmatched.body.data.outcome).toBe('unmatched');
  });

  it('Should refund in full a payment that completes after its appointment’s time was released', async () => {
    const s = await setup('at-booking');
    const payment = (await checkout(s)).body.data;
    await deliver(s.api, {
      type: 'checkout.session.expired',
      object: session(payment, s.appointmentId, { payment_status: 'unpaid' }),
    });
    const late = await deliver(s.api, {
      type: 'checkout.session.completed',
      object: session(payment, s.appointmentId),
    });
    expect(late.body.data.outcome).toBe('paid');
    const rows = await db.select().from(refunds).where(eq(refunds.paymentId, payment.id));
    expect(rows).toEqual([
      expect.objectContaining({ source: 'cancellation', amountCents: 4999, key: `cancellation:${s.appointmentId}` }),
    ]);
    expect(await appointmentOf(s.appointmentId)).toMatchObject({
      status: 'cancelled',
      paymentStatus: 'paid',
      refundCents: 4999,
    });
  });

  it('Should settle a refund Stripe first answered pending when refund.updated arrives, once', async () => {
    const s = await setup('later');
    const patient = s.patient;
    const { payment, appointment } = await insertPaidAppointment({
      patientId: patient.user.id,
      doctorId: s.doctor.user.id,
      serviceId: s.booked.service.id,
      startsAt: '2026-03-26T10:00:00.000Z',
    });
    const refundId = uniqueId('rfd');
    await insertRefund(payment, 1500, nowMs, {
      id: refundId,
      status: 'pending',
      providerRefundId: `re_${refundId}`,
      balanceTransactionId: null,
      refundedAt: null,
    });
    const event = {
      type: 'refund.updated',
      object: {
        id: `re_${refundId}`,
        object: 'refund',
        status: 'succeeded',
        amount: 1500,
        payment_intent: payment.paymentIntentId,
        balance_transaction: 'txn_refund_1',
        metadata: { refundId, paymentId: payment.id },
      },
    };
    const res = await deliver(s.api, event);
    expect(res.body.data.outcome).toBe('refunded');
    expect((await db.select().from(refunds).where(eq(refunds.id, refundId)))[0]).toMatchObject({
      status: 'succeeded',
      balanceTransactionId: 'txn_refund_1',
      refundedAt: nowMs,
    });
    expect((await paymentOf(appointment.id))!.refundedCents).toBe(1500);
    expect(await appointmentOf(appointment.id)).toMatchObject({ refundStatus: 'succeeded', refundCents: 1500 });
    // The same news again (a new event id) finds nothing pending: stale.
    expect((await deliver(s.api, event)).body.data.outcome).toBe('stale');
  });

  it('Should refuse to start a payment in production without a Stripe key (503), storing nothing', async () => {
    const s = await setup('at-booking');
    const res = await s.api.post(`/api/v1/appointments/${s.appointmentId}/checkout`, {
      token: s.patient.token,
      env: { ENVIRONMENT: 'production' },
    });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { missing: 'STRIPE_SECRET_KEY' } });
    expect(s.stripe.requests).toHaveLength(0);
    expect(await paymentOf(s.appointmentId)).toBeUndefined();
  });
});
