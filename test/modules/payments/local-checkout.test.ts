import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appointmentEvents, appointments, doctorServices, paymentEvents, payments } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, testEnv } from '../../helpers';
import { account, practice } from '../../support/practice';

// The test pool sets no STRIPE_SECRET_KEY: payments run on the local provider, whose sessions are pages
// of the API that pay through a signed event to the API's own webhook handling.
const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const SLOT = '2026-03-24T10:00:00.000Z';
const nowMs = Date.parse(NOW);
const BASE = 'http://localhost:8787/api/v1/dev/checkout';
const PRODUCTION = { env: { ENVIRONMENT: 'production' } };

/** A pay-at-booking appointment of a €49.99 service, booked by a patient, with its local checkout started. */
async function bookedAndCheckedOut(api = client({ clock })) {
  const p = await practice(clock.now(), { priceCents: 4999 });
  const service = p.services[0]!;
  await db.update(doctorServices).set({ paymentTiming: 'at-booking' }).where(eq(doctorServices.id, service.id));
  const patient = await account('user', clock.now());
  const booked = await api.post('/api/v1/appointments', {
    token: patient.token,
    json: { doctorId: p.doctor.user.id, serviceId: service.id, startsAt: SLOT, type: 'video' },
  });
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  const appointmentId = booked.body.data.id as string;
  const checkout = await api.post(`/api/v1/appointments/${appointmentId}/checkout`, { token: patient.token });
  expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
  const sessionId = checkout.body.data.checkout.sessionId as string;
  return {
    api,
    patient,
    appointmentId,
    sessionId,
    payment: checkout.body.data,
    page: `/api/v1/dev/checkout/${sessionId}`,
  };
}

const appointmentOf = async (id: string) => (await db.select().from(appointments).where(eq(appointments.id, id)))[0]!;
const paymentOf = async (appointmentId: string) =>
  (await db.select().from(payments).where(eq(payments.subjectId, appointmentId)))[0]!;
const eventsOf = (paymentId: string) => db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId));
const paidHistory = (appointmentId: string) =>
  db
    .select()
    .from(appointmentEvents)
    .where(and(eq(appointmentEvents.appointmentId, appointmentId), eq(appointmentEvents.action, 'paid')));

describe('the local checkout page', () => {
  it('Should point checkout at the local page and show the fee, the patient and the expiry with Pay and Cancel', async () => {
    const s = await bookedAndCheckedOut();
    expect(s.sessionId).toMatch(/^cs_local_[A-Za-z0-9]+$/);
    expect(s.payment).toMatchObject({ provider: 'local', status: 'open', amountCents: 4999, currency: 'EUR' });
    expect(s.payment.checkout.url).toBe(`${BASE}/${s.sessionId}`);

    const res = await s.api.get(s.page);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(res.body).toContain('€49.99');
    expect(res.body).toContain('Consultation 30 min');
    expect(res.body).toContain(s.patient.user.name);
    expect(res.body).toContain(`${new Date(nowMs + 30 * 60_000).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    expect(res.body).toContain(`action="/api/v1/dev/checkout/${s.sessionId}/pay"`);
    expect(res.body).toContain(`action="/api/v1/dev/checkout/${s.sessionId}/cancel"`);
    expect(res.body).toContain('name="viewport"');
    expect(res.body).not.toContain('<script');
  });

  it('Should pay through a signed webhook event: 303 to the return page, the appointment confirmed and paid once', async () => {
    const s = await bookedAndCheckedOut();
    const paid = await s.api.post(`${s.page}/pay`);
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`${BASE}/return?appointmentId=${s.appointmentId}&checkout=success`);

    const appointment = await appointmentOf(s.appointmentId);
    expect(appointment).toMatchObject({
      status: 'confirmed',
      paymentStatus: 'paid',
      paidAt: nowMs,
      paymentDueAt: null,
    });
    const payment = await paymentOf(s.appointmentId);
    expect(payment).toMatchObject({
      status: 'paid',
      provider: 'local',
      paymentIntentId: `pi_local_${s.sessionId.replace('cs_local_', '')}`,
      methodBrand: 'visa',
      methodLast4: '4242',
      paidAt: nowMs,
    });
    // The event went through the webhook's ledger: it was verified and recorded like Stripe's.
    const events = await eventsOf(payment.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ provider: 'local', type: 'checkout.session.completed', outcome: 'paid' });
    expect(events[0]!.id).toMatch(/^evt_local_/);
    expect(await paidHistory(s.appointmentId)).toHaveLength(1);

    // Paying again sends nothing and changes nothing.
    const again = await s.api.post(`${s.page}/pay`);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(paid.headers.get('location'));
    expect(await eventsOf(payment.id)).toHaveLength(1);
    expect(await paidHistory(s.appointmentId)).toHaveLength(1);
    expect(await paymentOf(s.appointmentId)).toEqual(payment);

    // The page shows the state instead of the buttons; the return page shows the stored payment.
    const view = await s.api.get(s.page);
    expect(view.status).toBe(200);
    expect(view.body).toContain('Paid');
    expect(view.body).toContain('visa •••• 4242');
    expect(view.body).not.toContain('/pay"');
    const back = await s.api.get(`/api/v1/dev/checkout/return?appointmentId=${s.appointmentId}&checkout=success`);
    expect(back.status).toBe(200);
    expect(back.body).toContain('Payment received');
    expect(back.body).toContain('confirmed');
    expect(back.body).toContain(payment.receiptNumber!);
  });

  it('Should answer 503 and pay nothing when no webhook secret is set to sign the event with', async () => {
    const s = await bookedAndCheckedOut();
    const res = await s.api.post(`${s.page}/pay`, { env: { STRIPE_WEBHOOK_SECRET: undefined } });
    expect([res.status, res.body.error?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'pending', paymentStatus: 'unpaid' });
    expect(await eventsOf(s.payment.id)).toHaveLength(0);
  });

  it('Should leave the appointment pending on Cancel, and release it when the session is let expire', async () => {
    const s = await bookedAndCheckedOut();
    const cancelled = await s.api.post(`${s.page}/cancel`);
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(
      `${BASE}/return?appointmentId=${s.appointmentId}&checkout=cancelled`,
    );
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'pending', paymentStatus: 'unpaid' });
    expect(await paymentOf(s.appointmentId)).toMatchObject({ status: 'open' });
    expect(await eventsOf(s.payment.id)).toHaveLength(0);
    const back = await s.api.get(`/api/v1/dev/checkout/return?appointmentId=${s.appointmentId}&checkout=cancelled`);
    expect(back.body).toContain('Payment cancelled');
    expect(back.body).toContain(`href="/api/v1/dev/checkout/${s.sessionId}"`);

    const expired = await s.api.post(`${s.page}/expire`);
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe(s.page);
    expect(await paymentOf(s.appointmentId)).toMatchObject({ status: 'expired' });
    expect((await appointmentOf(s.appointmentId)).status).toBe('cancelled');
    expect(await eventsOf(s.payment.id)).toMatchObject([{ type: 'checkout.session.expired', outcome: 'expired' }]);
    const view = await s.api.get(s.page);
    expect(view.body).toContain('This checkout expired');
    expect(view.body).not.toContain('/pay"');
    // An expired session cannot be paid: back to its page, nothing sent.
    const late = await s.api.post(`${s.page}/pay`);
    expect([late.status, late.headers.get('location')]).toEqual([303, s.page]);
    expect(await eventsOf(s.payment.id)).toHaveLength(1);
  });

  it('Should not pay a session past its expiry even before the expired event', async () => {
    const s = await bookedAndCheckedOut();
    const later = client({ clock: fixedClock(new Date(nowMs + 31 * 60_000)) });
    const res = await later.post(`${s.page}/pay`);
    expect([res.status, res.headers.get('location')]).toEqual([303, s.page]);
    expect(await paymentOf(s.appointmentId)).toMatchObject({ status: 'open' });
    expect((await later.get(s.page)).body).toContain('This checkout expired');
  });

  it('Should answer 404 in production, with a Stripe key, for an unknown session and for a Stripe session', async () => {
    const s = await bookedAndCheckedOut();
    for (const [method, path] of [
      ['GET', s.page],
      ['POST', `${s.page}/pay`],
      ['POST', `${s.page}/cancel`],
      ['POST', `${s.page}/expire`],
      ['GET', `/api/v1/dev/checkout/return?appointmentId=${s.appointmentId}`],
    ] as const) {
      const prod = await s.api.call(method, path, PRODUCTION);
      expect([prod.status, prod.body.error?.code], `${method} ${path}`).toEqual([404, 'NOT_FOUND']);
      const keyed = await s.api.call(method, path, { env: { STRIPE_SECRET_KEY: 'sk_test_kinwell_0123456789' } });
      expect(keyed.status, `${method} ${path} with a key`).toBe(404);
    }
    expect(await appointmentOf(s.appointmentId)).toMatchObject({ status: 'pending', paymentStatus: 'unpaid' });
    expect(await eventsOf(s.payment.id)).toHaveLength(0);

    const unknown = await s.api.get('/api/v1/dev/checkout/cs_local_nosuchsession');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await s.api.post('/api/v1/dev/checkout/cs_local_nosuchsession/pay')).status).toBe(404);

    await db.update(payments).set({ provider: 'stripe' }).where(eq(payments.id, s.payment.id));
    expect((await s.api.get(s.page)).status).toBe(404);
    expect((await s.api.post(`${s.page}/pay`)).status).toBe(404);
    expect(await eventsOf(s.payment.id)).toHaveLength(0);
  });

  it('Should escape what people typed into the page', async () => {
    const s = await bookedAndCheckedOut();
    await db.update(payments).set({ description: '<b>Consult & co</b>' }).where(eq(payments.id, s.payment.id));
    const res = await s.api.get(s.page);
    expect(res.body).toContain('&#60;b&#62;Consult &#38; co&#60;/b&#62;');
    expect(res.body).not.toContain('<b>Consult');
    expect(testEnv.STRIPE_SECRET_KEY).toBeUndefined();
  });
});
