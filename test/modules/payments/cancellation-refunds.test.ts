import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { appointments, payments, refunds } from '../../../src/db/schema';
import { CRON_TASKS } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { eraseAccount } from '../../../src/modules/account-deletion/account-erasure';
import { CANCELLATION_REFUND_JOB } from '../../../src/modules/appointments/payment-state';
import { REFUND_EXECUTE_JOB } from '../../../src/modules/payments/refunds.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, uniqueId } from '../../helpers';
import { capturingQueue, runQueue } from '../../support/notifications';
import { insertPaidAppointment, stripeEnv } from '../../support/payments';
import { account, practice } from '../../support/practice';
import { stripeDeclined, stripeDown, stripeRefunds } from '../../support/refunds';

/**
 * Cancelling a paid appointment refunds what the cancellation policy computed (default: 100 % with 24 h
 * notice, 50 % with 2 h, nothing with less; 100 % when the doctor cancels), through Stripe (intercepted),
 * exactly once per appointment.
 */
const V1 = '/api/v1';
const NOW = '2026-12-01T08:00:00.000Z';
const HOUR = 3_600_000;
const clock = fixedClock(NOW);
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });

/** A paid appointment starting `hoursAhead` from now, its payment, and the patient's and doctor's tokens. */
async function paidVisit(hoursAhead: number, priceCents = 5000) {
  const { doctor, services } = await practice(clock.now());
  const patient = await account('user', clock.now());
  const { appointment, payment } = await insertPaidAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: new Date(clock.now().getTime() + hoursAhead * HOUR).toISOString(),
    priceCents,
    paidAt: clock.now().getTime() - 24 * HOUR,
  });
  return { appointment, payment, patient, doctor };
}

/** Runs the jobs through the Worker's queue handler with Stripe behind `fetch`. */
const deliver = (jobs: Parameters<typeof runQueue>[0], fetch: typeof globalThis.fetch) =>
  runQueue(jobs, { deps: { clock, fetch, adapters: queue.adapters }, env: stripeEnv });

const refundsOf = (paymentId: string) => db.select().from(refunds).where(eq(refunds.paymentId, paymentId)).all();

describe('cancellation refunds', () => {
  it('Should refund 50 % when the patient cancels 3 h ahead: pending at once, succeeded after the job, once', async () => {
    const { appointment, payment, patient } = await paidVisit(3);
    const res = await api.post(`${V1}/appointments/${appointment.id}/cancel`, {
      token: patient.token,
      json: { reason: 'Cannot make it' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.cancellation.refund).toEqual({ percent: 50, amountCents: 2500, currency: 'EUR' });
    expect(res.body.data.refund).toEqual({ amountCents: 2500, currency: 'EUR', status: 'pending', refundedAt: null });
    const jobs = queue.take(CANCELLATION_REFUND_JOB);
    expect(jobs).toEqual([
      { type: CANCELLATION_REFUND_JOB, payload: { appointmentId: appointment.id }, key: appointment.id },
    ]);
    // Nothing moved yet: no refund row until the job runs.
    expect(await refundsOf(payment.id)).toEqual([]);

    const stripe = stripeRefunds();
    expect((await deliver(jobs, stripe.fetch)).acked).toHaveLength(1);
    const [refund] = await refundsOf(payment.id);
    expect(refund).toMatchObject({
      key: `cancellation:${appointment.id}`,
      source: 'cancellation',
      status: 'succeeded',
      amountCents: 2500,
      currency: 'EUR',
      reason: 'Cancelled by the patient 3 h before the start: 50 %',
      providerRefundId: expect.stringMatching(/^re_test_/),
      balanceTransactionId: expect.stringMatching(/^txn_re_/),
      refundedAt: clock.now().getTime(),
    });
    const calls = await stripe.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: 'https://api.stripe.com/v1/refunds',
      idempotencyKey: refund!.id,
    });
    expect(Object.fromEntries(calls[0]!.form)).toEqual({
      payment_intent: payment.paymentIntentId,
      amount: '2500',
      'metadata[refundId]': refund!.id,
      'metadata[paymentId]': payment.id,
      'metadata[subjectId]': appointment.id,
    });
    expect(await db.select().from(payments).where(eq(payments.id, payment.id)).get()).toMatchObject({
      refundedCents: 2500,
      status: 'paid',
    });

    const view = await api.get(`${V1}/appointments/${appointment.id}`, { token: patient.token });
    expect(view.body.data.refund).toEqual({
      amountCents: 2500,
      currency: 'EUR',
      status: 'succeeded',
      refundedAt: NOW,
    });

    // The same job again (a redelivery, a duplicate enqueue): one refund, one Stripe call, nothing changed.
    expect((await deliver([...jobs, ...jobs], stripe.fetch)).acked).toHaveLength(2);
    expect(await stripe.calls()).toHaveLength(1);
    expect(await refundsOf(payment.id)).toEqual([refund]);
  });

  it('Should refund 100 % when the patient cancels with 24 h notice or more', async () => {
    const { appointment, payment, patient } = await paidVisit(30, 4999);
    const res = await api.post(`${V1}/appointments/${appointment.id}/cancel`, { token: patient.token, json: {} });
    expect(res.body.data.refund).toMatchObject({ amountCents: 4999, status: 'pending' });
    const stripe = stripeRefunds();
    await deliver(queue.take(CANCELLATION_REFUND_JOB), stripe.fetch);
    expect(await refundsOf(payment.id)).toEqual([
      expect.objectContaining({
        amountCents: 4999,
        status: 'succeeded',
        reason: 'Cancelled by the patient 30 h before the start: 100 %',
      }),
    ]);
    expect((await stripe.calls()).map((call) => call.form.get('amount'))).toEqual(['4999']);
  });

  it('Should refund nothing when the patient cancels less than 2 h ahead: no job, no row, no Stripe call', async () => {
    const { appointment, payment, patient } = await paidVisit(1);
    const res = await api.post(`${V1}/appointments/${appointment.id}/cancel`, { token: patient.token, json: {} });
    expect(res.status).toBe(200);
    expect(res.body.data.cancellation.refund).toEqual({ percent: 0, amountCents: 0, currency: 'EUR' });
    expect(res.body.data.refund).toBeNull();
    expect(queue.take(CANCELLATION_REFUND_JOB)).toEqual([]);
    // Even a stray job for it refunds nothing.
    const stripe = stripeRefunds();
    const stray = { type: CANCELLATION_REFUND_JOB, payload: { appointmentId: appointment.id } };
    expect((await deliver([stray], stripe.fetch)).acked).toHaveLength(1);
    expect(stripe.requests).toEqual([]);
    expect(await refundsOf(payment.id)).toEqual([]);
    expect(await db.select().from(appointments).where(eq(appointments.id, appointment.id)).get()).toMatchObject({
      refundStatus: null,
      refundCents: 0,
    });
  });

  it('Should refund 100 % when the doctor cancels, however late', async () => {
    const { appointment, payment, doctor } = await paidVisit(1);
    const res = await api.post(`${V1}/appointments/${appointment.id}/cancel`, {
      token: doctor.token,
      json: { reason: 'Unwell' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.refund).toMatchObject({ amountCents: 5000, status: 'pending' });
    const stripe = stripeRefunds();
    await deliver(queue.take(CANCELLATION_REFUND_JOB), stripe.fetch);
    expect(await refundsOf(payment.id)).toEqual([
      expect.objectContaining({
        amountCents: 5000,
        status: 'succeeded',
        reason: 'Cancelled by the doctor 1 h before the start: 100 %',
      }),
    ]);
    const view = await api.get(`${V1}/appointments/${appointment.id}`, { token: doctor.token });
    expect(view.body.data.refund).toMatchObject({ amountCents: 5000, status: 'succeeded', refundedAt: NOW });
  });

  it('Should mark the refund failed when Stripe refuses it, and not retry the job', async () => {
    const { appointment, payment, patient } = await paidVisit(48);
    await api.post(`${V1}/appointments/${appointment.id}/cancel`, { token: patient.token, json: {} });
    const stripe = stripeRefunds(stripeDeclined);
    const run = await deliver(queue.take(CANCELLATION_REFUND_JOB), stripe.fetch);
    expect([run.acked.length, run.retried]).toEqual([1, []]);
    expect(stripe.requests).toHaveLength(1);
    expect(await refundsOf(payment.id)).toEqual([
      expect.objectContaining({
        status: 'failed',
        amountCents: 5000,
        providerRefundId: null,
        failureReason: 'Your card was declined.',
        refundedAt: null,
      }),
    ]);
    expect(await db.select().from(payments).where(eq(payments.id, payment.id)).get()).toMatchObject({
      refundedCents: 0,
    });
    const view = await api.get(`${V1}/appointments/${appointment.id}`, { token: patient.token });
    expect(view.body.data.refund).toEqual({ amountCents: 0, currency: 'EUR', status: 'failed', refundedAt: null });
  });

  it('Should retry while Stripe is down, and the cron re-enqueue refunds whose job was lost', async () => {
    const down = await paidVisit(48);
    const lost = await paidVisit(48);
    await api.post(`${V1}/appointments/${down.appointment.id}/cancel`, { token: down.patient.token, json: {} });
    await api.post(`${V1}/appointments/${lost.appointment.id}/cancel`, { token: lost.patient.token, json: {} });
    const jobs = queue.take(CANCELLATION_REFUND_JOB);
    const downJob = jobs.filter(
      (job) => (job.payload as { appointmentId: string }).appointmentId === down.appointment.id,
    );

    // Stripe is down: the job is retried, the refund stays pending and unsent.
    const outage = stripeRefunds(stripeDown);
    const run = await deliver(downJob, outage.fetch);
    expect([run.acked, run.retried]).toEqual([[], [run.messages[0]!.id]]);
    const [pending] = await refundsOf(down.payment.id);
    expect(pending).toMatchObject({ status: 'pending', providerRefundId: null });

    // The other job never arrives. Five minutes on, the cron's sweep finds both.
    const later = fixedClock(new Date(clock.now().getTime() + 6 * 60_000));
    const ctx = createContext(
      testEnv,
      { ...cloudflareDeps, clock: later, adapters: queue.adapters },
      { requestId: uniqueId('cron') },
    );
    const sweep = CRON_TASKS.find((task) => task.name === 'payments.refunds-sweep')!;
    expect(await sweep.run(ctx)).toBeGreaterThanOrEqual(2);
    const redrive = queue
      .take(REFUND_EXECUTE_JOB)
      .filter((job) => (job.payload as { refundId: string }).refundId === pending!.id);
    const relost = queue
      .take(CANCELLATION_REFUND_JOB)
      .filter((job) => (job.payload as { appointmentId: string }).appointmentId === lost.appointment.id);
    expect(redrive).toEqual([{ type: REFUND_EXECUTE_JOB, payload: { refundId: pending!.id }, key: pending!.id }]);
    expect(relost).toHaveLength(1);

    const stripe = stripeRefunds();
    await deliver([...redrive, ...relost], stripe.fetch);
    expect(await refundsOf(down.payment.id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await refundsOf(lost.payment.id)).toEqual([
      expect.objectContaining({ status: 'succeeded', amountCents: 5000 }),
    ]);
    // The retried refund kept its idempotency key: Stripe would answer the same refund to both attempts.
    const keys = [...(await outage.calls()), ...(await stripe.calls())]
      .filter((call) => call.form.get('metadata[refundId]') === pending!.id)
      .map((call) => call.idempotencyKey);
    expect(keys).toEqual([pending!.id, pending!.id]);

    // Nothing is left for the sweep of these two.
    expect(await sweep.run(ctx)).toBeGreaterThanOrEqual(0);
    const again = [...queue.take(REFUND_EXECUTE_JOB), ...queue.take(CANCELLATION_REFUND_JOB)];
    expect(
      again.filter((job) =>
        [pending!.id, lost.appointment.id].includes(
          (job.payload as { refundId?: string; appointmentId?: string }).refundId ??
            (job.payload as { appointmentId: string }).appointmentId,
        ),
      ),
    ).toEqual([]);
  });

  it('Should refund a paid upcoming visit its patient’s account erasure cancels, through the sweep', async () => {
    const { appointment, payment, patient } = await paidVisit(30);
    const ctx = createContext(
      testEnv,
      { ...cloudflareDeps, clock, adapters: queue.adapters },
      { requestId: uniqueId('erase') },
    );
    await eraseAccount(ctx, patient.user.id, 'anonymize');
    const [erased] = await db.select().from(appointments).where(eq(appointments.id, appointment.id));
    // The patient cancelling 30 h ahead: 100 % by the default policy, pending until sent.
    expect(erased).toMatchObject({
      status: 'cancelled',
      refundDueCents: 5000,
      refundStatus: 'pending',
      refundCents: 5000,
    });

    const later = fixedClock(new Date(clock.now().getTime() + 6 * 60_000));
    const sweepCtx = createContext(
      testEnv,
      { ...cloudflareDeps, clock: later, adapters: queue.adapters },
      {
        requestId: uniqueId('cron'),
      },
    );
    const sweep = CRON_TASKS.find((task) => task.name === 'payments.refunds-sweep')!;
    expect(await sweep.run(sweepCtx)).toBeGreaterThanOrEqual(1);
    const jobs = queue
      .take(CANCELLATION_REFUND_JOB)
      .filter((job) => (job.payload as { appointmentId: string }).appointmentId === appointment.id);
    expect(jobs).toHaveLength(1);
    const stripe = stripeRefunds();
    await deliver(jobs, stripe.fetch);
    expect(await refundsOf(payment.id)).toEqual([
      expect.objectContaining({ status: 'succeeded', amountCents: 5000, source: 'cancellation' }),
    ]);
    expect((await db.select().from(payments).where(eq(payments.id, payment.id)))[0]!.payerId).toBe(patient.user.id);
  });
});
