import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, payments, refunds } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { REFUND_EXECUTE_JOB } from '../../../src/modules/payments/refunds.service';
import { client, db } from '../../helpers';
import { capturingQueue, runQueue } from '../../support/notifications';
import { insertPaidAppointment, stripeEnv } from '../../support/payments';
import { account, practice } from '../../support/practice';
import { stripeRefunds } from '../../support/refunds';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * Admin refunds: full or partial with a reason, sent from the queue at or below the setting
 * 'payments.refundApprovalCents' (default 20 000), awaiting a second admin's approval above it;
 * every request and decision audited.
 */
const V1 = '/api/v1';
const NOW = '2026-12-01T08:00:00.000Z';
const clock = fixedClock(NOW);
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });

afterEach(async () => {
  await resetSettings();
});

async function paidVisit(priceCents = 5000) {
  const { doctor, services } = await practice(clock.now());
  const patient = await account('user', clock.now());
  const paid = await insertPaidAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: '2026-12-03T10:00:00.000Z',
    priceCents,
    paidAt: clock.now().getTime() - 3_600_000,
  });
  return { ...paid, patient, doctor };
}

const manager = () => account('admin', clock.now(), ['appointment-manager']);
const auditOf = (refundId: string) => db.select().from(auditEvents).where(eq(auditEvents.resourceId, refundId)).all();
const refundRow = (id: string) => db.select().from(refunds).where(eq(refunds.id, id)).get();

/** Delivers the execute jobs enqueued so far with Stripe behind `fetch`. */
const executeQueued = (fetch: typeof globalThis.fetch) =>
  runQueue(queue.take(REFUND_EXECUTE_JOB), { deps: { clock, fetch, adapters: queue.adapters }, env: stripeEnv });

describe('admin refunds', () => {
  it('Should refund part of a payment at once below the approval amount, audited, in two round trips', async () => {
    const { appointment, payment, patient } = await paidVisit();
    const admin = await manager();
    const res = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: admin.token,
      json: { amountCents: 1500, reason: 'Visit ended early' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Number(res.headers.get(ROUND_TRIPS_HEADER))).toBeLessThanOrEqual(2);
    expect(res.body.data).toMatchObject({
      id: expect.stringMatching(/^rfd_/),
      paymentId: payment.id,
      amountCents: 1500,
      currency: 'EUR',
      source: 'admin',
      status: 'pending',
      reason: 'Visit ended early',
      requestedBy: admin.user.id,
      approvedBy: null,
      providerRefundId: null,
    });
    const id = res.body.data.id as string;
    expect(await auditOf(id)).toEqual([
      expect.objectContaining({
        action: 'payment.refund.request',
        actorId: admin.user.id,
        patientId: patient.user.id,
        reason: 'Visit ended early',
        metadata: expect.objectContaining({ paymentId: payment.id, amountCents: 1500, status: 'pending' }),
      }),
    ]);

    const stripe = stripeRefunds();
    expect((await executeQueued(stripe.fetch)).acked).toHaveLength(1);
    const calls = await stripe.calls();
    expect(calls.map((call) => [call.url, call.idempotencyKey, call.form.get('amount')])).toEqual([
      ['https://api.stripe.com/v1/refunds', id, '1500'],
    ]);
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded', refundedAt: clock.now().getTime() });
    expect(await db.select().from(payments).where(eq(payments.id, payment.id)).get()).toMatchObject({
      refundedCents: 1500,
    });
    const view = await api.get(`${V1}/appointments/${appointment.id}`, { token: patient.token });
    expect(view.body.data.refund).toEqual({ amountCents: 1500, currency: 'EUR', status: 'succeeded', refundedAt: NOW });

    // What is left can be refunded; one cent more cannot, and the refusal writes nothing.
    const over = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: admin.token,
      json: { amountCents: 3501, reason: 'The rest' },
    });
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([
      422,
      'VALIDATION_FAILED',
      { refundableCents: 3500 },
    ]);
    expect(over.body.errors).toEqual([expect.objectContaining({ field: 'amountCents' })]);
    expect(await db.select().from(refunds).where(eq(refunds.paymentId, payment.id)).all()).toHaveLength(1);
    const rest = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: admin.token,
      json: { amountCents: 3500, reason: 'The rest' },
    });
    expect(rest.status).toBe(201);
    await executeQueued(stripeRefunds().fetch);
    expect(await db.select().from(payments).where(eq(payments.id, payment.id)).get()).toMatchObject({
      refundedCents: 5000,
    });
    const full = await api.get(`${V1}/appointments/${appointment.id}`, { token: patient.token });
    expect(full.body.data.refund).toMatchObject({ amountCents: 5000, status: 'succeeded' });
  });

  it('Should hold a refund above the approval amount for a second admin, refuse self-approval, then execute it', async () => {
    const { payment } = await paidVisit(50_000);
    const requester = await manager();
    const res = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: requester.token,
      json: { amountCents: 30_000, reason: 'Wrong service booked' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ status: 'awaiting-approval', amountCents: 30_000 });
    const id = res.body.data.id as string;
    // Nothing was sent, nothing enqueued.
    expect(queue.take(REFUND_EXECUTE_JOB)).toEqual([]);

    const queueList = await api.get(`${V1}/admin/refunds?status=awaiting-approval&limit=100`, {
      token: requester.token,
    });
    expect(queueList.status).toBe(200);
    expect(queueList.body.data.items.map((item: { id: string }) => item.id)).toContain(id);
    expect(queueList.body.data.items.every((item: { status: string }) => item.status === 'awaiting-approval')).toBe(
      true,
    );

    // The awaiting amount is spoken for: the rest of the payment is all that can be asked meanwhile.
    const over = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: requester.token,
      json: { amountCents: 20_001, reason: 'Again' },
    });
    expect([over.status, over.body.error.details]).toEqual([422, { refundableCents: 20_000 }]);

    const self = await api.post(`${V1}/admin/refunds/${id}/approve`, { token: requester.token, json: {} });
    expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await refundRow(id)).toMatchObject({ status: 'awaiting-approval', approvedBy: null });

    const second = await account('superadmin', clock.now());
    const approved = await api.post(`${V1}/admin/refunds/${id}/approve`, {
      token: second.token,
      json: { reason: 'Checked with the doctor' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(Number(approved.headers.get(ROUND_TRIPS_HEADER))).toBeLessThanOrEqual(2);
    expect(approved.body.data).toMatchObject({ status: 'pending', approvedBy: second.user.id });
    expect((await auditOf(id)).map((row) => [row.action, row.actorId, row.reason])).toEqual(
      expect.arrayContaining([
        ['payment.refund.request', requester.user.id, 'Wrong service booked'],
        ['payment.refund.approve', second.user.id, 'Checked with the doctor'],
      ]),
    );

    const stripe = stripeRefunds();
    await executeQueued(stripe.fetch);
    expect((await stripe.calls()).map((call) => [call.idempotencyKey, call.form.get('amount')])).toEqual([
      [id, '30000'],
    ]);
    expect(await refundRow(id)).toMatchObject({ status: 'succeeded', approvedBy: second.user.id });

    // Decided once: a second decision is refused.
    const twice = await api.post(`${V1}/admin/refunds/${id}/reject`, { token: second.token, json: {} });
    expect([twice.status, twice.body.error.code, twice.body.error.details]).toEqual([
      409,
      'INVALID_TRANSITION',
      { status: 'succeeded' },
    ]);
  });

  it('Should follow the setting, and a rejected refund sends nothing and frees its amount', async () => {
    await setSetting('payments.refundApprovalCents', 1000);
    const { payment } = await paidVisit();
    const requester = await manager();
    const res = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: requester.token,
      json: { amountCents: 5000, reason: 'Goodwill' },
    });
    expect(res.body.data.status).toBe('awaiting-approval');
    const id = res.body.data.id as string;

    const reviewer = await manager();
    const rejected = await api.post(`${V1}/admin/refunds/${id}/reject`, {
      token: reviewer.token,
      json: { reason: 'Not covered' },
    });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body.data).toMatchObject({ status: 'rejected', failureReason: 'Rejected: Not covered' });
    expect(queue.take(REFUND_EXECUTE_JOB)).toEqual([]);
    expect((await auditOf(id)).map((row) => [row.action, row.actorId])).toEqual(
      expect.arrayContaining([['payment.refund.reject', reviewer.user.id]]),
    );
    const approveLate = await api.post(`${V1}/admin/refunds/${id}/approve`, { token: reviewer.token });
    expect([approveLate.status, approveLate.body.error.details]).toEqual([409, { status: 'rejected' }]);

    // Its amount is free again: exactly the setting still goes at once.
    const small = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: reviewer.token,
      json: { amountCents: 1000, reason: 'Goodwill, smaller' },
    });
    expect([small.status, small.body.data.status]).toEqual([201, 'pending']);
  });

  it('Should refuse callers without the sub-role, unknown payments and unpaid ones', async () => {
    const { payment, patient } = await paidVisit();
    const body = { amountCents: 100, reason: 'Test' };
    const asPatient = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: patient.token,
      json: body,
    });
    expect([asPatient.status, asPatient.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const support = await account('admin', clock.now(), ['support-agent']);
    const asSupport = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: support.token,
      json: body,
    });
    expect([asSupport.status, asSupport.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await api.get(`${V1}/admin/refunds`, { token: support.token })).status).toBe(403);

    const admin = await manager();
    const unknown = await api.post(`${V1}/admin/payments/pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD/refunds`, {
      token: admin.token,
      json: body,
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const unknownRefund = await api.post(`${V1}/admin/refunds/rfd_01JF8ZS5X0V6M3A2Q9K1T7B4CD/approve`, {
      token: admin.token,
      json: {},
    });
    expect(unknownRefund.status).toBe(404);

    await db.update(payments).set({ status: 'expired' }).where(eq(payments.id, payment.id));
    const unpaid = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, { token: admin.token, json: body });
    expect([unpaid.status, unpaid.body.error.code, unpaid.body.error.details]).toEqual([
      409,
      'INVALID_TRANSITION',
      { status: 'expired' },
    ]);
    const zero = await api.post(`${V1}/admin/payments/${payment.id}/refunds`, {
      token: admin.token,
      json: { amountCents: 0, reason: 'Nothing' },
    });
    expect(zero.status).toBe(422);
    expect(await db.select().from(refunds).where(eq(refunds.paymentId, payment.id)).all()).toEqual([]);
    expect(
      (await db.select().from(auditEvents).where(eq(auditEvents.actorId, admin.user.id)).all()).filter((row) =>
        row.action.startsWith('payment.refund'),
      ),
    ).toEqual([]);
  });
});
