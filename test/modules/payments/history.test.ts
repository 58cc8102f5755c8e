import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type PaymentRow, payments, type RefundRow } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { insertPaidAppointment, insertRefund } from '../../support/payments';
import { account, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

/**
 * Payment history through HTTP: who sees which payments (payer, payee, admins), the filters, one
 * payment with its refunds, and a doctor's earnings per period. Every read is one D1 round trip.
 */

const P = '/api/v1/payments';
const clock = fixedClock('2026-12-20T08:00:00Z');
const api = client({ clock });
let slot = 0;

/** A paid visit of `patientId` with `doctor`, paid at `paidAt` (its start a unique hour in 2027). */
async function paid(
  patientId: string,
  doctor: Awaited<ReturnType<typeof practice>>,
  paidAt: string,
  changes: Partial<PaymentRow> = {},
): Promise<PaymentRow> {
  slot += 1;
  const { payment } = await insertPaidAppointment({
    patientId,
    doctorId: doctor.doctor.user.id,
    serviceId: doctor.services[0]!.id,
    startsAt: new Date(Date.parse('2027-01-04T00:00:00Z') + slot * 3_600_000).toISOString(),
    paidAt: Date.parse(paidAt),
  });
  if (Object.keys(changes).length) await db.update(payments).set(changes).where(eq(payments.id, payment.id));
  return { ...payment, ...changes };
}

const refund = (payment: PaymentRow, amountCents: number, refundedAt: string, changes: Partial<RefundRow> = {}) =>
  insertRefund(payment, amountCents, refundedAt, changes, { countOnPayment: true });

const idsOf = (res: { body: { data: { items: { id: string }[] } } }) => res.body.data.items.map((p) => p.id);

describe('GET /payments', () => {
  it('Should show a patient what they paid, a doctor what they earn, and admins everything, newest first', async () => {
    const now = clock.now();
    const [dr1, dr2] = [await practice(now), await practice(now)];
    const [ann, bob] = [await account('user', now), await account('user', now)];
    const admin = await account('admin', now);
    const a1 = await paid(ann.user.id, dr1, '2026-12-01T10:00:00Z');
    const a2 = await paid(ann.user.id, dr2, '2026-12-02T10:00:00Z');
    const b1 = await paid(bob.user.id, dr1, '2026-12-03T10:00:00Z');

    const mine = await api.get(P, { token: ann.token });
    expect(mine.status).toBe(200);
    expect(idsOf(mine)).toEqual([a2.id, a1.id]);
    expect(mine.body.data.pagination).toMatchObject({ total: 2, current: 1 });
    expect(tripsOf(mine)).toBe(1);
    const [first] = mine.body.data.items;
    // Card data: the brand and last four digits, nothing else.
    expect(first).toMatchObject({
      payerId: ann.user.id,
      payeeId: dr2.doctor.user.id,
      amountCents: 5000,
      currency: 'EUR',
      status: 'paid',
      method: { brand: 'visa', last4: '4242' },
      receiptNumber: a2.receiptNumber,
      refunds: [],
    });
    expect(JSON.stringify(mine.body)).not.toContain(a2.chargeId!);

    const earned = await api.get(P, { token: dr1.doctor.token });
    expect(idsOf(earned)).toEqual([b1.id, a1.id]);
    expect(tripsOf(earned)).toBe(1);

    const all = await api.get(`${P}?payeeId=${dr1.doctor.user.id}`, { token: admin.token });
    expect(idsOf(all)).toEqual([b1.id, a1.id]);
    const byPayer = await api.get(`${P}?payerId=${ann.user.id}&limit=1`, { token: admin.token });
    expect(idsOf(byPayer)).toEqual([a2.id]);
    expect(byPayer.body.data.pagination).toMatchObject({ total: 2, pages: 2, hasNext: true });
    expect(tripsOf(byPayer)).toBe(1);
  });

  it('Should filter by status, currency and a period on paidAt or createdAt, and list refunds with each', async () => {
    const now = clock.now();
    const dr = await practice(now);
    const pat = await account('user', now);
    const admin = await account('superadmin', now);
    const nov = await paid(pat.user.id, dr, '2026-11-15T10:00:00Z');
    const dec = await paid(pat.user.id, dr, '2026-12-10T10:00:00Z', { currency: 'KES' });
    const open = await paid(pat.user.id, dr, '2026-12-11T10:00:00Z', {
      status: 'open',
      paidAt: null,
      receiptNumber: null,
      createdAt: Date.parse('2026-12-11T09:00:00Z'),
    });
    const back = await refund(dec, 1000, '2026-12-12T10:00:00Z');
    const q = (query: string) => api.get(`${P}?payeeId=${dr.doctor.user.id}&${query}`, { token: admin.token });

    expect(idsOf(await q('status=paid'))).toEqual([dec.id, nov.id]);
    expect(idsOf(await q('status=open'))).toEqual([open.id]);
    expect(idsOf(await q('currency=kes'))).toEqual([dec.id]);
    expect(idsOf(await q('dateField=paidAt&from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z'))).toEqual([dec.id]);
    // By creation, the open checkout counts in December too; `to` is exclusive.
    expect(idsOf(await q('from=2026-12-01T00:00:00Z&to=2026-12-11T09:00:00Z'))).toEqual([dec.id]);
    expect(idsOf(await q('from=2026-12-01T00:00:00Z'))).toEqual([open.id, dec.id]);

    const withRefund = (await q('currency=KES')).body.data.items[0];
    expect(withRefund.refundedCents).toBe(1000);
    expect(withRefund.refunds).toEqual([
      expect.objectContaining({ id: back.id, amountCents: 1000, status: 'succeeded', source: 'admin' }),
    ]);

    const bad = await q('status=refunded');
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('Should refuse a receptionist (403)', async () => {
    const receptionist = await account('receptionist', clock.now());
    expect((await api.get(P, { token: receptionist.token })).status).toBe(403);
  });
});

describe('GET /payments/{id}', () => {
  it('Should show one payment with its refunds to its payer, payee and admins, and 404 to anyone else', async () => {
    const now = clock.now();
    const [dr, other] = [await practice(now), await practice(now)];
    const [pat, stranger] = [await account('user', now), await account('user', now)];
    const admin = await account('admin', now);
    const payment = await paid(pat.user.id, dr, '2026-12-05T10:00:00Z');
    const first = await refund(payment, 500, '2026-12-06T10:00:00Z');
    const second = await refund(payment, 700, '2026-12-07T10:00:00Z', { status: 'pending', refundedAt: null });

    for (const token of [pat.token, dr.doctor.token, admin.token]) {
      const res = await api.get(`${P}/${payment.id}`, { token });
      expect(res.status).toBe(200);
      expect(tripsOf(res)).toBe(1);
      expect(res.body.data).toMatchObject({
        id: payment.id,
        refundedCents: 500,
        method: { brand: 'visa', last4: '4242' },
      });
      expect(res.body.data.refunds.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
        [first.id, 'succeeded'],
        [second.id, 'pending'],
      ]);
    }
    for (const token of [stranger.token, other.doctor.token]) {
      const res = await api.get(`${P}/${payment.id}`, { token });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(tripsOf(res)).toBe(1);
    }
    expect((await api.get(`${P}/pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD`, { token: admin.token })).status).toBe(404);
  });
});

describe('GET /payments/earnings', () => {
  it('Should total a doctor’s payments and refunds per month and currency, refunds in the month they happened', async () => {
    const now = clock.now();
    const [dr, other] = [await practice(now), await practice(now)];
    const pat = await account('user', now);
    const admin = await account('admin', now);
    const oct = await paid(pat.user.id, dr, '2026-10-20T10:00:00Z');
    await paid(pat.user.id, dr, '2026-11-02T10:00:00Z');
    const nov = await paid(pat.user.id, dr, '2026-11-30T23:59:00Z', { amountCents: 8000 });
    await paid(pat.user.id, dr, '2026-11-10T10:00:00Z', { currency: 'KES', amountCents: 250000 });
    await paid(pat.user.id, dr, '2026-11-11T10:00:00Z', { status: 'failed', paidAt: null });
    await paid(pat.user.id, other, '2026-11-12T10:00:00Z');
    // October's payment refunded in November; November's partly refunded in December; one refund failed.
    await refund(oct, 5000, '2026-11-05T10:00:00Z');
    await refund(nov, 3000, '2026-12-01T00:00:00Z');
    await refund(nov, 1000, '2026-11-30T23:59:30Z', { status: 'failed', refundedAt: null });

    const query = '?from=2026-11-01T00:00:00Z&to=2027-01-01T00:00:00Z';
    const res = await api.get(`${P}/earnings${query}`, { token: dr.doctor.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data).toEqual({
      payeeId: dr.doctor.user.id,
      from: '2026-11-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
      groupBy: 'month',
      periods: [
        {
          period: '2026-11',
          currency: 'EUR',
          count: 2,
          grossCents: 13000,
          refunds: 1,
          refundedCents: 5000,
          netCents: 8000,
        },
        {
          period: '2026-11',
          currency: 'KES',
          count: 1,
          grossCents: 250000,
          refunds: 0,
          refundedCents: 0,
          netCents: 250000,
        },
        {
          period: '2026-12',
          currency: 'EUR',
          count: 0,
          grossCents: 0,
          refunds: 1,
          refundedCents: 3000,
          netCents: -3000,
        },
      ],
      totals: [
        { currency: 'EUR', count: 2, grossCents: 13000, refunds: 2, refundedCents: 8000, netCents: 5000 },
        { currency: 'KES', count: 1, grossCents: 250000, refunds: 0, refundedCents: 0, netCents: 250000 },
      ],
    });

    const days = await api.get(`${P}/earnings${query}&groupBy=day`, { token: dr.doctor.token });
    expect(
      days.body.data.periods.map((p: { period: string; currency: string; netCents: number }) => [
        p.period,
        p.currency,
        p.netCents,
      ]),
    ).toEqual([
      ['2026-11-02', 'EUR', 5000],
      ['2026-11-05', 'EUR', -5000],
      ['2026-11-10', 'KES', 250000],
      ['2026-11-30', 'EUR', 8000],
      ['2026-12-01', 'EUR', -3000],
    ]);

    // Admins name the doctor; a doctor cannot read another's.
    const byAdmin = await api.get(`${P}/earnings${query}&doctorId=${dr.doctor.user.id}`, { token: admin.token });
    expect(byAdmin.body.data.totals).toEqual(res.body.data.totals);
    const otherDoctor = await api.get(`${P}/earnings${query}&doctorId=${dr.doctor.user.id}`, {
      token: other.doctor.token,
    });
    expect(otherDoctor.status).toBe(404);
    const own = await api.get(`${P}/earnings${query}&doctorId=${other.doctor.user.id}`, { token: other.doctor.token });
    expect(own.body.data.totals).toEqual([
      { currency: 'EUR', count: 1, grossCents: 5000, refunds: 0, refundedCents: 0, netCents: 5000 },
    ]);
  });

  it('Should refuse a period longer than 366 days or empty (422), and patients (403)', async () => {
    const now = clock.now();
    const dr = await practice(now);
    const pat = await account('user', now);
    const long = await api.get(`${P}/earnings?from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z`, {
      token: dr.doctor.token,
    });
    expect(long.status).toBe(422);
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    const empty = await api.get(`${P}/earnings?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, {
      token: dr.doctor.token,
    });
    expect(empty.status).toBe(422);
    const patient = await api.get(`${P}/earnings?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`, {
      token: pat.token,
    });
    expect(patient.status).toBe(403);
  });
});
