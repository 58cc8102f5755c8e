import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { appointments, dailyRollups, doctorRatings } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, tokenFor } from '../../helpers';
import { tripsOf } from '../../support/round-trips';
import { accountAt, appointmentAt, at, paymentAt, refundAt, rollUpAllAt, rollUpAt, signedInAt } from './support';

/**
 * The admin dashboard through HTTP, over seeded data with known counts across several days and the
 * cron's rollups: every figure exactly, a change today showing in the live part, a late change of a
 * closed day corrected by the re-roll, the rollup idempotent, role refusals, one round trip, the CSV.
 */

const NOW = new Date('2026-07-15T10:00:00Z');
const HOUR = 3600_000;
const clock = fixedClock(NOW);
const api = client({ clock });
const V1 = '/api/v1';

let admin: { token: string; user: Awaited<ReturnType<typeof accountAt>> };
let patientToken: string;
let doctorToken: string;
let lateVisit: string;
let d1: Awaited<ReturnType<typeof accountAt>>;
let d2: Awaited<ReturnType<typeof accountAt>>;
let p1: Awaited<ReturnType<typeof accountAt>>;

beforeAll(async () => {
  // Accounts: the first on 2025-12-20 (the rollup backfills from there, 31 days a run).
  const superadmin = await signedInAt('superadmin', '2025-12-20T09:00:00Z', NOW);
  admin = await signedInAt('admin', '2026-01-05T09:00:00Z', NOW);
  d1 = await accountAt('doctor', '2026-02-01T09:00:00Z');
  d2 = await accountAt('doctor', '2026-07-14T09:00:00Z');
  p1 = await accountAt('user', '2026-03-01T09:00:00Z');
  const p2 = await accountAt('user', '2026-07-15T08:00:00Z'); // today: live
  await accountAt('user', '2026-04-01T09:00:00Z', 'removed'); // not counted
  void superadmin;
  patientToken = await tokenFor(p2, NOW);
  doctorToken = await tokenFor(d2, NOW);
  // Roles: superadmin 1, admin 1, doctors 2, patients 2 → 6 accounts.

  // Appointments by the day they take place.
  await appointmentAt({ patientId: p1.id, doctorId: d1.id, startsAt: '2026-07-12T09:00:00Z', status: 'completed' });
  await appointmentAt({ patientId: p1.id, doctorId: d1.id, startsAt: '2026-07-12T11:00:00Z', status: 'completed' });
  await appointmentAt({
    patientId: p2.id,
    doctorId: d2.id,
    startsAt: '2026-07-12T13:00:00Z',
    status: 'cancelled',
    cancelledAt: '2026-07-11T10:00:00Z',
  });
  await appointmentAt({ patientId: p1.id, doctorId: d2.id, startsAt: '2026-07-13T09:00:00Z', status: 'completed' });
  await appointmentAt({ patientId: p2.id, doctorId: d1.id, startsAt: '2026-07-13T10:00:00Z', status: 'no-show' });
  lateVisit = (
    await appointmentAt({ patientId: p1.id, doctorId: d1.id, startsAt: '2026-07-14T09:00:00Z', status: 'confirmed' })
  ).id;
  await appointmentAt({ patientId: p2.id, doctorId: d1.id, startsAt: '2026-07-14T15:00:00Z', status: 'pending' }); // past, pending
  await appointmentAt({ patientId: p1.id, doctorId: d2.id, startsAt: '2026-07-15T14:00:00Z', status: 'confirmed' }); // today
  await appointmentAt({
    patientId: p2.id,
    doctorId: d1.id,
    startsAt: '2026-07-15T15:00:00Z',
    status: 'pending',
    createdAt: '2026-07-15T09:30:00Z',
  }); // today, the latest booking
  await appointmentAt({
    patientId: p2.id,
    doctorId: d2.id,
    startsAt: '2026-07-20T09:00:00Z',
    status: 'pending',
    createdAt: '2026-07-14T12:00:00Z',
  }); // future
  await db
    .insert(doctorRatings)
    .values({ doctorId: d1.id, reviewCount: 4, average: 4.5, updatedAt: at('2026-07-01T00:00:00Z') });

  // Money (EUR; one USD payment this month).
  await paymentAt({ payerId: p1.id, payeeId: d1.id, paidAt: '2025-12-31T12:00:00Z', cents: 7000 }); // last year
  await paymentAt({ payerId: p1.id, payeeId: d1.id, paidAt: '2026-06-20T12:00:00Z', cents: 10000 }); // this year
  await paymentAt({ payerId: p1.id, payeeId: d1.id, paidAt: '2026-07-12T12:00:00Z', cents: 5000 });
  await paymentAt({ payerId: p1.id, payeeId: d1.id, paidAt: '2026-07-14T12:00:00Z', cents: 3000, currency: 'USD' });
  const todays = await paymentAt({ payerId: p2.id, payeeId: d1.id, paidAt: '2026-07-15T08:00:00Z', cents: 2000 });
  await refundAt(todays, '2026-07-15T09:00:00Z', 1000);
});

const dashboard = async (token = admin.token, query = '') => api.get(`${V1}/admin/dashboard${query}`, { token });

describe('GET /admin/dashboard', () => {
  it('Should answer every figure exactly from the rollups of closed days plus today live, in one round trip', async () => {
    const runs = await rollUpAllAt(NOW);
    expect(runs).toBe(7); // 2025-12-20 … 2026-07-14: 207 days, 31 a run
    const res = await dashboard();
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const d = res.body.data;
    expect(d).toMatchObject({
      totalUsers: 6,
      totalDoctors: 2,
      totalPatients: 2,
      totalAppointments: 10,
      todayAppointments: 2,
      pendingAppointments: 2,
      completedAppointments: 3,
      revenue: {
        today: [{ currency: 'EUR', amountCents: 1000 }],
        thisMonth: [
          { currency: 'EUR', amountCents: 6000 },
          { currency: 'USD', amountCents: 3000 },
        ],
        thisYear: [
          { currency: 'EUR', amountCents: 16000 },
          { currency: 'USD', amountCents: 3000 },
        ],
      },
      asOf: { today: '2026-07-15', rolledThrough: '2026-07-14' },
    });
    expect(d.recentAppointments).toHaveLength(10);
    expect(d.recentAppointments[0]).toMatchObject({
      status: 'pending',
      startsAt: '2026-07-15T15:00:00.000Z',
      patient: { name: 'user 2026-07-15T08:00:00Z' },
      doctor: { id: d1.id, name: 'doctor 2026-02-01T09:00:00Z' },
    });
    // Held in the last 30 days (confirmed, in progress, completed, started before now): d1 3, d2 1.
    expect(d.topDoctors).toEqual([
      { id: d1.id, name: 'doctor 2026-02-01T09:00:00Z', appointmentCount: 3, rating: { average: 4.5, count: 4 } },
      { id: d2.id, name: 'doctor 2026-07-14T09:00:00Z', appointmentCount: 1, rating: { average: null, count: 0 } },
    ]);
  });

  it('Should show a change of today at once (live part) and a late change of a closed day after the re-roll', async () => {
    await appointmentAt({ patientId: p1.id, doctorId: d2.id, startsAt: '2026-07-15T18:00:00Z', status: 'pending' });
    await db.update(appointments).set({ status: 'completed' }).where(eq(appointments.id, lateVisit));
    let d = (await dashboard()).body.data;
    expect(d).toMatchObject({ totalAppointments: 11, todayAppointments: 3, pendingAppointments: 3 });
    // The closed day still counts the visit as confirmed until it is rolled again.
    expect(d.completedAppointments).toBe(3);
    expect(await rollUpAt(NOW.getTime() + 10 * 60_000)).toBe(0); // re-roll not due yet
    clock.set(new Date(NOW.getTime() + HOUR));
    try {
      expect(await rollUpAt(clock.now())).toBe(2); // the last two closed days again
      d = (await dashboard(await tokenFor(admin.user, clock.now()))).body.data;
      expect(d).toMatchObject({ totalAppointments: 11, completedAppointments: 4 });
    } finally {
      clock.set(NOW);
    }
  });

  it('Should leave the same rows when the rollup runs twice', async () => {
    const rows = async () =>
      (
        await db
          .select()
          .from(dailyRollups)
          .orderBy(asc(dailyRollups.metric), asc(dailyRollups.day), asc(dailyRollups.dim))
      ).map(({ computedAt: _, ...row }) => row);
    const before = await rows();
    expect(before.length).toBeGreaterThan(0);
    await rollUpAt(NOW.getTime() + 3 * HOUR); // re-rolls the last two closed days
    await rollUpAt(NOW.getTime() + 5 * HOUR);
    expect(await rows()).toEqual(before);
    // No user ids: platform-wide aggregates only.
    expect(before.some((row) => /usr_/.test(row.dim))).toBe(false);
  });

  it('Should refuse patients and doctors (403) and anonymous callers (401)', async () => {
    expect((await dashboard(patientToken)).status).toBe(403);
    expect((await dashboard(doctorToken)).status).toBe(403);
    const anonymous = await api.get(`${V1}/admin/dashboard`);
    expect(anonymous.status).toBe(401);
  });

  it('Should export the figures as CSV with ?format=csv', async () => {
    const res = await dashboard(admin.token, '?format=csv');
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="dashboard-2026-07-15.csv"');
    const lines = String(res.body).trim().split('\r\n');
    expect(lines[0]).toBe('figure,currency,value');
    expect(lines).toContain('totalAppointments,,11');
    expect(lines).toContain('revenue.thisYear,USD,3000');
  });

  it('Should count days in the setting stats.timeZone once the rollup is rebuilt for it', async () => {
    // 23:30 UTC on the 14th is already the 15th in Tokyo.
    const superadmin = await signedInAt('superadmin', '2026-01-01T00:00:00Z', NOW);
    const set = await api.put(`${V1}/superadmin/settings/stats.timeZone`, {
      token: superadmin.token,
      json: { value: 'Asia/Tokyo' },
    });
    expect(set.status).toBe(200);
    await appointmentAt({ patientId: p1.id, doctorId: d1.id, startsAt: '2026-07-14T23:30:00Z', status: 'completed' });
    await rollUpAllAt(NOW); // rebuilt from the first account's day in Tokyo
    const d = (await dashboard()).body.data;
    expect(d.asOf).toEqual({ today: '2026-07-15', rolledThrough: '2026-07-14' });
    // Tokyo's 15th is [2026-07-14T15:00Z, 2026-07-15T15:00Z): the visits at 15:00 and 23:30 on the 14th, 14:00 on the 15th.
    expect(d.todayAppointments).toBe(3);
  });
});
