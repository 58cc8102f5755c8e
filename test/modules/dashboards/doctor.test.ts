import { beforeAll, describe, expect, it } from 'vitest';
import { appointmentNotes, doctorRatings } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { insertPaidAppointment, insertRefund } from '../../support/payments';
import { account, insertAppointment, practice } from '../../support/practice';
import { auditOf, tripsOf } from '../../support/round-trips';
import { expectRefusals } from './support';

// Friday 4 December 2026, 10:00 UTC: 05:00 in New York, where the practice is.
const NOW = new Date('2026-12-04T10:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const PATH = '/api/v1/dashboards/doctor';

let doctorToken: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  const { doctor, services } = await practice(NOW, { timeZone: 'America/New_York' });
  doctorToken = doctor.token;
  const patient = await account('user', NOW);
  const at = (startsAt: string, status: Parameters<typeof insertAppointment>[0]['status']) =>
    insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
      status,
      timeZone: 'America/New_York',
    });
  // Today in New York: 4 December from 05:00 UTC to 5 December 05:00 UTC.
  ids.today1 = (await at('2026-12-04T15:00:00Z', 'confirmed')).id;
  ids.today2 = (await at('2026-12-05T02:00:00Z', 'pending')).id; // 21:00 on the 4th in New York
  ids.lastNight = (await at('2026-12-04T03:00:00Z', 'completed')).id; // 22:00 on the 3rd: yesterday
  await at('2026-12-04T16:00:00Z', 'cancelled');
  // The week after today: 5–11 December.
  ids.mon1 = (await at('2026-12-07T15:00:00Z', 'pending')).id;
  ids.mon2 = (await at('2026-12-07T16:00:00Z', 'confirmed')).id;
  ids.fri = (await at('2026-12-11T15:00:00Z', 'confirmed')).id;
  await at('2026-12-12T15:00:00Z', 'confirmed'); // beyond the week
  await at('2026-12-08T15:00:00Z', 'rejected');
  // Completed visits: one with a note, one more without.
  const noted = await at('2026-11-20T15:00:00Z', 'completed');
  await db.insert(appointmentNotes).values({
    id: uniqueId('ant'),
    appointmentId: noted.id,
    doctorId: doctor.user.id,
    body: 'Fine',
    createdAt: noted.endsAt,
    updatedAt: noted.endsAt,
  });
  ids.unnoted = (await at('2026-11-25T15:00:00Z', 'completed')).id;
  // Earnings: paid this month, this year, last year, and on 1 December UTC (30 November in New York).
  const paid = (startsAt: string, priceCents: number, paidAt: string) =>
    insertPaidAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
      priceCents,
      paidAt: Date.parse(paidAt),
      status: 'cancelled',
    });
  await paid('2026-12-03T15:00:00Z', 5000, '2026-12-02T12:00:00Z');
  const march = await paid('2026-03-11T15:00:00Z', 7000, '2026-03-10T12:00:00Z');
  await paid('2025-12-16T15:00:00Z', 9000, '2025-12-15T12:00:00Z');
  await paid('2026-12-02T15:00:00Z', 1000, '2026-12-01T03:00:00Z');
  await insertRefund(march.payment, 2000, '2026-12-03T12:00:00Z');
  await insertRefund(march.payment, 500, '2026-12-03T13:00:00Z', { status: 'failed' });
  await db.insert(doctorRatings).values({
    doctorId: doctor.user.id,
    reviewCount: 4,
    average: 4.5,
    updatedAt: NOW.getTime(),
  });
  // Another doctor's day: never on this dashboard.
  const other = await practice(NOW);
  await insertAppointment({
    patientId: patient.user.id,
    doctorId: other.doctor.user.id,
    serviceId: other.services[0]!.id,
    startsAt: '2026-12-04T15:30:00Z',
    status: 'confirmed',
  });
});

describe('GET /dashboards/doctor', () => {
  it("Should answer the doctor's day, week, earnings, rating and notes due in their zone, in one round trip", async () => {
    const res = await api.get(PATH, { token: doctorToken });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(await auditOf(res)).toEqual([]); // reading writes nothing
    const data = res.body.data;
    expect(data.timeZone).toBe('America/New_York');
    expect(data.today.date).toBe('2026-12-04');
    expect(data.today.appointments.map((a: { id: string }) => a.id)).toEqual([ids.today1, ids.today2]);
    expect(data.week.from).toBe('2026-12-05');
    expect(data.week.to).toBe('2026-12-11');
    expect(data.week.days).toEqual([
      { date: '2026-12-05', count: 0 },
      { date: '2026-12-06', count: 0 },
      { date: '2026-12-07', count: 2 },
      { date: '2026-12-08', count: 0 },
      { date: '2026-12-09', count: 0 },
      { date: '2026-12-10', count: 0 },
      { date: '2026-12-11', count: 1 },
    ]);
    expect(data.week.appointments.map((a: { id: string }) => a.id)).toEqual([ids.mon1, ids.mon2, ids.fri]);
    expect(data.earnings.thisMonth).toEqual({
      from: '2026-12-01',
      to: '2026-12-04',
      totals: [{ currency: 'EUR', payments: 1, grossCents: 5000, refundedCents: 2000, netCents: 3000 }],
    });
    expect(data.earnings.thisYear).toEqual({
      from: '2026-01-01',
      to: '2026-12-04',
      totals: [{ currency: 'EUR', payments: 3, grossCents: 13000, refundedCents: 2000, netCents: 11000 }],
    });
    expect(data.rating).toEqual({ average: 4.5, count: 4 });
    expect(data.pendingNotes.count).toBe(2);
    expect(data.pendingNotes.appointments.map((a: { id: string }) => a.id)).toEqual([ids.lastNight, ids.unnoted]);
  });

  it('Should export the earnings as CSV, a row per period and currency', async () => {
    const res = await api.get(`${PATH}?format=csv`, { token: doctorToken });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="earnings-2026-12-04.csv"');
    expect(res.body).toBe(
      'period,from,to,currency,payments,grossCents,refundedCents,netCents\r\n' +
        'thisMonth,2026-12-01,2026-12-04,EUR,1,5000,2000,3000\r\n' +
        'thisYear,2026-01-01,2026-12-04,EUR,3,13000,2000,11000',
    );
  });

  it('Should answer a new doctor with empty numbers', async () => {
    const fresh = await account('doctor', NOW);
    const res = await api.get(PATH, { token: fresh.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.timeZone).toBe('UTC');
    expect(res.body.data.today.appointments).toEqual([]);
    expect(res.body.data.earnings.thisYear.totals).toEqual([]);
    expect(res.body.data.rating).toEqual({ average: null, count: 0 });
    expect(res.body.data.pendingNotes).toEqual({ count: 0, appointments: [] });
  });

  it('Should refuse every other role with 403 and no token with 401', async () => {
    await expectRefusals(api, PATH, ['doctor'], NOW);
  });
});
