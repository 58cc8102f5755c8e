import { eq } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppointmentStatus, appointmentEvents, appointments } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { refundBands, refundFor, sortedTiers } from '../../../src/modules/appointments/refund.policy';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { resetSettings, setSetting } from '../../support/settings';

const HOUR = 3_600_000;
const DEFAULT_POLICY = [
  { minHoursBefore: 24, refundPercent: 100 },
  { minHoursBefore: 2, refundPercent: 50 },
];

describe('refundFor (pure)', () => {
  const startsAt = Date.parse('2026-05-10T10:00:00Z');
  const patientAt = (noticeMs: number, priceCents = 5000) =>
    refundFor(DEFAULT_POLICY, { startsAt, cancelledAt: startsAt - noticeMs, priceCents, cancelledBy: 'patient' });

  it.each([
    ['more than 24 h', 72 * HOUR, 100],
    ['exactly 24 h', 24 * HOUR, 100],
    ['24 h less 1 ms', 24 * HOUR - 1, 50],
    ['exactly 2 h', 2 * HOUR, 50],
    ['2 h less 1 ms', 2 * HOUR - 1, 0],
    ['no notice (at the start)', 0, 0],
    ['after the start', -30 * 60_000, 0],
  ])('Should refund a patient cancelling with %s of notice %i %%', (_label, notice, percent) => {
    expect(patientAt(notice)).toEqual({ percent, amountCents: (5000 * percent) / 100 });
  });

  it('Should round the amount down to whole cents', () => {
    expect(patientAt(3 * HOUR, 4999)).toEqual({ percent: 50, amountCents: 2499 });
    expect(patientAt(3 * HOUR, 1)).toEqual({ percent: 50, amountCents: 0 });
    expect(patientAt(30 * HOUR, 4999)).toEqual({ percent: 100, amountCents: 4999 });
  });

  it('Should refund 100 % when the doctor or staff cancel, whatever the notice', () => {
    for (const cancelledBy of ['doctor', 'staff'] as const) {
      for (const notice of [48 * HOUR, HOUR, 0, -HOUR]) {
        expect(
          refundFor(DEFAULT_POLICY, { startsAt, cancelledAt: startsAt - notice, priceCents: 4999, cancelledBy }),
        ).toEqual({ percent: 100, amountCents: 4999 });
      }
    }
  });

  it('Should try tiers by most notice first, whatever their order in the setting', () => {
    const reversed = [...DEFAULT_POLICY].reverse();
    const at = (notice: number) =>
      refundFor(reversed, { startsAt, cancelledAt: startsAt - notice, priceCents: 1000, cancelledBy: 'patient' });
    expect(at(30 * HOUR).percent).toBe(100);
    expect(at(3 * HOUR).percent).toBe(50);
    expect(reversed[0]!.minHoursBefore).toBe(2);
    expect(sortedTiers(reversed)).toEqual(DEFAULT_POLICY);
  });

  it('Should refund nothing under an empty policy, and honour fractional and zero-hour tiers', () => {
    const refund = (policy: typeof DEFAULT_POLICY, notice: number) =>
      refundFor(policy, { startsAt, cancelledAt: startsAt - notice, priceCents: 1000, cancelledBy: 'patient' });
    expect(refund([], 100 * HOUR)).toEqual({ percent: 0, amountCents: 0 });
    const half = [{ minHoursBefore: 0.5, refundPercent: 30 }];
    expect(refund(half, 30 * 60_000).percent).toBe(30);
    expect(refund(half, 30 * 60_000 - 1).percent).toBe(0);
    const zero = [{ minHoursBefore: 0, refundPercent: 10 }];
    expect(refund(zero, 0).percent).toBe(10);
    expect(refund(zero, -1).percent).toBe(0);
  });
});

describe('refundBands (pure)', () => {
  it('Should cut every notice into disjoint ranges, most notice first', () => {
    expect(refundBands(DEFAULT_POLICY, 'patient')).toEqual([
      { minNoticeMs: 24 * HOUR, maxNoticeMs: null, percent: 100 },
      { minNoticeMs: 2 * HOUR, maxNoticeMs: 24 * HOUR, percent: 50 },
      { minNoticeMs: null, maxNoticeMs: 2 * HOUR, percent: 0 },
    ]);
    expect(refundBands([], 'patient')).toEqual([{ minNoticeMs: null, maxNoticeMs: null, percent: 0 }]);
    for (const by of ['doctor', 'staff'] as const) {
      expect(refundBands(DEFAULT_POLICY, by)).toEqual([{ minNoticeMs: null, maxNoticeMs: null, percent: 100 }]);
    }
  });

  it('Should let the first of tied tiers win, as refundFor does', () => {
    const tied = [
      { minHoursBefore: 24, refundPercent: 100 },
      { minHoursBefore: 24, refundPercent: 10 },
      { minHoursBefore: 2, refundPercent: 50 },
    ];
    expect(refundBands(tied, 'patient').map((band) => band.percent)).toEqual([100, 50, 0]);
    const startsAt = Date.parse('2026-05-10T10:00:00Z');
    const at = (notice: number) =>
      refundFor(tied, { startsAt, cancelledAt: startsAt - notice, priceCents: 1000, cancelledBy: 'patient' }).percent;
    expect([at(24 * HOUR), at(24 * HOUR - 1), at(2 * HOUR - 1)]).toEqual([100, 50, 0]);
  });
});

describe('cancellation refunds over HTTP', () => {
  const NOW = '2026-04-06T09:00:00Z';
  const now = new Date(NOW);
  const clock = fixedClock(NOW);
  const api = client({ clock });
  let doctor: Awaited<ReturnType<typeof practice>>['doctor'];
  let serviceId: string;
  let patient: Awaited<ReturnType<typeof account>>;

  beforeAll(async () => {
    const p = await practice(now);
    doctor = p.doctor;
    serviceId = p.services[0]!.id;
    patient = await account('user', now);
  });
  afterEach(resetSettings);

  /**
   * An appointment starting `noticeMs` after NOW. Tests cancel each one before making the next, which
   * frees its claims, so equal times never collide.
   */
  function appointmentWithNotice(noticeMs: number, status: AppointmentStatus = 'confirmed') {
    return insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId,
      startsAt: new Date(Date.parse(NOW) + noticeMs).toISOString(),
      status,
      priceCents: 4999,
    });
  }
  const cancel = (id: string, token: string, reason?: string) =>
    api.post(`/api/v1/appointments/${id}/cancel`, { token, ...(reason ? { json: { reason } } : {}) });
  const stored = async (id: string) => db.select().from(appointments).where(eq(appointments.id, id)).get();

  it('Should store the refund a patient gets with exactly 24 h notice (100 %), on the row and in the event', async () => {
    const row = await appointmentWithNotice(24 * HOUR);
    const res = await cancel(row.id, patient.token, 'Feeling better');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.message).toBe('Appointment cancelled');
    expect(res.body.data.cancellation).toEqual({
      at: NOW.replace('Z', '.000Z'),
      byUserId: patient.user.id,
      reason: 'Feeling better',
      refund: { percent: 100, amountCents: 4999, currency: 'EUR' },
    });
    expect(await stored(row.id)).toMatchObject({
      status: 'cancelled',
      refundPercent: 100,
      refundDueCents: 4999,
      cancelledBy: patient.user.id,
      cancellationReason: 'Feeling better',
      cancelledAt: now.getTime(),
    });
    const [event] = await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, row.id));
    expect(event).toMatchObject({
      action: 'cancel',
      reason: 'Feeling better',
      data: { refund: { percent: 100, amountCents: 4999, currency: 'EUR' }, cancelledBy: 'patient' },
    });
  });

  it.each([
    ['24 h less 1 ms', 24 * HOUR - 1, 50, 2499],
    ['exactly 2 h', 2 * HOUR, 50, 2499],
    ['2 h less 1 ms', 2 * HOUR - 1, 0, 0],
  ])('Should refund a patient cancelling with %s of notice %i %%', async (_label, notice, percent, amount) => {
    const row = await appointmentWithNotice(notice, 'pending');
    const res = await cancel(row.id, patient.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.cancellation.refund).toEqual({ percent, amountCents: amount, currency: 'EUR' });
    expect(await stored(row.id)).toMatchObject({
      refundPercent: percent,
      refundDueCents: amount,
      cancellationReason: null,
    });
  });

  it('Should refund nothing to a patient cancelling after the start', async () => {
    const row = await appointmentWithNotice(-HOUR);
    const res = await cancel(row.id, patient.token, 'Overslept');
    expect(res.status).toBe(200);
    expect(await stored(row.id)).toMatchObject({ status: 'cancelled', refundPercent: 0, refundDueCents: 0 });
  });

  it('Should refund 100 % when the doctor or a receptionist cancels, even at short notice', async () => {
    const receptionist = await account('receptionist', now);
    for (const who of [doctor, receptionist]) {
      const row = await appointmentWithNotice(30 * 60_000);
      const res = await cancel(row.id, who.token, 'Doctor unwell');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await stored(row.id)).toMatchObject({
        refundPercent: 100,
        refundDueCents: 4999,
        cancelledBy: who.user.id,
      });
    }
  });

  it('Should apply a custom policy set through the setting', async () => {
    await setSetting('appointments.cancellationPolicy', [
      { minHoursBefore: 6, refundPercent: 20 },
      { minHoursBefore: 48, refundPercent: 80 },
    ]);
    const cases: [number, number, number][] = [
      [48 * HOUR, 80, 3999],
      [48 * HOUR - 1, 20, 999],
      [6 * HOUR, 20, 999],
      [6 * HOUR - 1, 0, 0],
    ];
    for (const [notice, percent, amount] of cases) {
      const row = await appointmentWithNotice(notice);
      const quote = await api.get(`/api/v1/appointments/${row.id}/cancellation-quote`, { token: patient.token });
      expect(quote.body.data).toEqual({
        cancellable: true,
        reason: null,
        refund: { percent, amountCents: amount, currency: 'EUR' },
        policy: [
          { minHoursBefore: 48, refundPercent: 80 },
          { minHoursBefore: 6, refundPercent: 20 },
        ],
      });
      const res = await cancel(row.id, patient.token);
      expect(res.status).toBe(200);
      expect(await stored(row.id)).toMatchObject({ refundPercent: percent, refundDueCents: amount });
    }
  });

  describe('GET /appointments/{id}/cancellation-quote', () => {
    const quote = (id: string, token: string) => api.get(`/api/v1/appointments/${id}/cancellation-quote`, { token });

    it('Should quote the patient by the default policy and change nothing', async () => {
      const row = await appointmentWithNotice(3 * HOUR, 'pending');
      const res = await quote(row.id, patient.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toEqual({
        cancellable: true,
        reason: null,
        refund: { percent: 50, amountCents: 2499, currency: 'EUR' },
        policy: DEFAULT_POLICY,
      });
      expect(await stored(row.id)).toMatchObject({ status: 'pending', refundPercent: null, cancelledAt: null });
      // The doctor would refund everything.
      expect((await quote(row.id, doctor.token)).body.data.refund).toEqual({
        percent: 100,
        amountCents: 4999,
        currency: 'EUR',
      });
      expect((await cancel(row.id, patient.token)).status).toBe(200);
    });

    it('Should say when the appointment cannot be cancelled, with no refund', async () => {
      for (const status of ['in-progress', 'completed', 'cancelled'] as const) {
        const row = await appointmentWithNotice(-HOUR, status);
        const res = await quote(row.id, patient.token);
        expect(res.status).toBe(200);
        expect(res.body.data).toMatchObject({
          cancellable: false,
          reason: `Cannot cancel this appointment: it is ${status} (cancel is allowed only when pending or confirmed)`,
          refund: { percent: 0, amountCents: 0, currency: 'EUR' },
        });
      }
    });

    it('Should hide another patient’s appointment (404) and refuse anonymous callers (401)', async () => {
      const row = await appointmentWithNotice(5 * HOUR, 'pending');
      const stranger = await account('user', now);
      const otherDoctor = await account('doctor', now);
      for (const who of [stranger, otherDoctor]) {
        const res = await quote(row.id, who.token);
        expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
      }
      expect((await api.get(`/api/v1/appointments/${row.id}/cancellation-quote`)).status).toBe(401);
      expect((await cancel(row.id, patient.token)).status).toBe(200);
    });
  });
});
