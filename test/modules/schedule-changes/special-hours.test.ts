import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, specialHours } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

/**
 * Special hours: one-off hours on a local date that replace its weekly hours (or close it), set by the
 * doctor or an admin, honoured by the slots and by booking, DST-correct in the doctor's zone, with the
 * appointments they leave outside the hours listed in the answer.
 */
const NOW = '2026-03-23T08:00:00Z'; // a Monday
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const V1 = '/api/v1';

const pathOf = (doctorId: string, date?: string) =>
  `${V1}/doctors/${doctorId}/special-hours${date === undefined ? '' : `/${date}`}`;
const slotStarts = async (doctorId: string, serviceId: string, date: string) => {
  const res = await api.get(`${V1}/doctors/${doctorId}/slots?serviceId=${serviceId}&date=${date}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.data.slots as { localStart: string }[]).map((s) => s.localStart.slice(11));
};
const rowsOf = (doctorId: string) => db.select().from(specialHours).where(eq(specialHours.doctorId, doctorId)).all();

describe('special hours', () => {
  it('Should replace one date’s weekly hours in the slots, again when set anew, until removed', async () => {
    const { doctor, services } = await practice(now(), {
      hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '11:00' })),
    });
    const service = services[0]!.id;
    const set = await api.put(pathOf(doctor.user.id, '2026-03-25'), {
      token: doctor.token,
      json: {
        hours: [
          { start: '14:00', end: '15:00' },
          { start: '16:00', end: '16:30' },
        ],
        reason: 'Training day',
      },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.data).toEqual({
      specialHours: {
        id: expect.stringMatching(/^sph_/),
        date: '2026-03-25',
        closed: false,
        hours: [
          { start: '14:00', end: '15:00' },
          { start: '16:00', end: '16:30' },
        ],
        reason: 'Training day',
        createdAt: now().toISOString(),
        updatedAt: now().toISOString(),
      },
      affected: [],
      restored: [],
    });
    expect(await slotStarts(doctor.user.id, service, '2026-03-25')).toEqual(['14:00', '14:30', '16:00']);
    // The days around it keep their weekly hours.
    expect(await slotStarts(doctor.user.id, service, '2026-03-24')).toEqual(['09:00', '09:30', '10:00', '10:30']);
    // A Saturday without weekly hours opens for its special hours.
    await api.put(pathOf(doctor.user.id, '2026-03-28'), {
      token: doctor.token,
      json: { hours: [{ start: '10:00', end: '11:00' }] },
    });
    expect(await slotStarts(doctor.user.id, service, '2026-03-28')).toEqual(['10:00', '10:30']);

    // Setting the date again replaces it, keeping its id; closed offers nothing.
    clock.advance(60_000);
    const closed = await api.put(pathOf(doctor.user.id, '2026-03-25'), {
      token: doctor.token,
      json: { closed: true },
    });
    expect(closed.status).toBe(200);
    expect(closed.body.data.specialHours).toMatchObject({
      id: set.body.data.specialHours.id,
      closed: true,
      hours: [],
      reason: null,
      createdAt: set.body.data.specialHours.createdAt,
      updatedAt: now().toISOString(),
    });
    expect(await slotStarts(doctor.user.id, service, '2026-03-25')).toEqual([]);
    expect(await rowsOf(doctor.user.id)).toHaveLength(2);

    const list = await api.get(`${pathOf(doctor.user.id)}?from=2026-03-26`, { token: doctor.token });
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((i: { date: string }) => i.date)).toEqual(['2026-03-28']);
    const all = await api.get(pathOf(doctor.user.id), { token: doctor.token });
    expect(all.body.data.items.map((i: { date: string }) => i.date)).toEqual(['2026-03-25', '2026-03-28']);

    const removed = await api.delete(pathOf(doctor.user.id, '2026-03-25'), { token: doctor.token });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toEqual({ id: set.body.data.specialHours.id, date: '2026-03-25', restored: [] });
    expect(await slotStarts(doctor.user.id, service, '2026-03-25')).toEqual(['09:00', '09:30', '10:00', '10:30']);
    expect((await api.delete(pathOf(doctor.user.id, '2026-03-25'), { token: doctor.token })).status).toBe(404);

    const audits = await db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, doctor.user.id)))
      .all();
    expect(audits.map((a) => a.action).sort()).toEqual([
      'doctor.specialHours.delete',
      'doctor.specialHours.set',
      'doctor.specialHours.set',
      'doctor.specialHours.set',
    ]);
  });

  it('Should keep local hours across DST and still subtract time off from them', async () => {
    const { doctor, services } = await practice(now(), { timeZone: 'Europe/Berlin' });
    const service = services[0]!.id;
    // Berlin's spring-forward Sunday: 09:00 local is 07:00Z.
    await api.put(pathOf(doctor.user.id, '2026-03-29'), {
      token: doctor.token,
      json: { hours: [{ start: '09:00', end: '11:00' }] },
    });
    const off = await api.post(`${V1}/doctors/${doctor.user.id}/time-off`, {
      token: doctor.token,
      json: { kind: 'time-off', startsAt: '2026-03-29T07:30:00Z', endsAt: '2026-03-29T08:00:00Z' },
    });
    expect(off.status).toBe(201);
    const res = await api.get(`${V1}/doctors/${doctor.user.id}/slots?serviceId=${service}&date=2026-03-29`);
    expect(res.body.data.slots.map((s: { start: string; localStart: string }) => [s.localStart, s.start])).toEqual([
      ['2026-03-29T09:00', '2026-03-29T07:00:00.000Z'],
      ['2026-03-29T10:00', '2026-03-29T08:00:00.000Z'],
      ['2026-03-29T10:30', '2026-03-29T08:30:00.000Z'],
    ]);
  });

  it('Should book inside special hours and refuse a weekly-hours time they removed (422)', async () => {
    const { doctor, services } = await practice(now(), {
      hours: [{ weekday: 3, start: '09:00', end: '12:00' }],
    });
    const patient = await account('user', now());
    await api.put(pathOf(doctor.user.id, '2026-03-25'), {
      token: doctor.token,
      json: { hours: [{ start: '15:00', end: '16:00' }] },
    });
    const book = (startsAt: string) =>
      api.post(`${V1}/appointments`, {
        token: patient.token,
        json: { doctorId: doctor.user.id, serviceId: services[0]!.id, startsAt, type: 'video' },
      });
    const removed = await book('2026-03-25T09:00:00Z');
    expect([removed.status, removed.body.errors?.[0]?.field]).toEqual([422, 'startsAt']);
    const booked = await book('2026-03-25T15:30:00Z');
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  });

  it('Should list the live appointments the new hours leave outside, and leave them in place', async () => {
    const { doctor, services } = await practice(now());
    const patient = await account('user', now());
    const at = (startsAt: string, status: 'pending' | 'confirmed' | 'cancelled' = 'confirmed', minutes = 30) =>
      insertAppointment({
        patientId: patient.user.id,
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt,
        status,
        minutes,
      });
    const inside = await at('2026-03-26T09:30:00.000Z');
    const straddling = await at('2026-03-26T11:45:00.000Z', 'pending');
    const afternoon = await at('2026-03-26T14:00:00.000Z');
    await at('2026-03-26T15:00:00.000Z', 'cancelled');
    await at('2026-03-27T14:00:00.000Z'); // another date
    const res = await api.put(pathOf(doctor.user.id, '2026-03-26'), {
      token: doctor.token,
      json: { hours: [{ start: '09:00', end: '12:00' }] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.affected.map((a: { id: string }) => a.id)).toEqual([straddling.id, afternoon.id]);
    expect(res.body.data.affected[0]).toMatchObject({ status: 'pending', startsAt: '2026-03-26T11:45:00.000Z' });
    expect(res.body.data.affected.map((a: { id: string }) => a.id)).not.toContain(inside.id);
    const closed = await api.put(pathOf(doctor.user.id, '2026-03-26'), {
      token: doctor.token,
      json: { closed: true },
    });
    expect(closed.body.data.affected.map((a: { id: string }) => a.id)).toEqual([
      inside.id,
      straddling.id,
      afternoon.id,
    ]);
  });

  it('Should refuse bad dates and hours with 422 and change nothing', async () => {
    const { doctor } = await practice(now(), { timeZone: 'Europe/Berlin' });
    const cases: [string, unknown, string][] = [
      [
        '2026-03-30',
        {
          hours: [
            { start: '09:00', end: '12:00' },
            { start: '11:00', end: '13:00' },
          ],
        },
        'hours.1.start',
      ],
      [
        '2026-03-30',
        {
          hours: [
            { start: '14:00', end: '15:00' },
            { start: '09:00', end: '10:00' },
          ],
        },
        'hours.1.start',
      ],
      ['2026-03-30', { hours: [{ start: '12:00', end: '09:00' }] }, 'hours.0.end'],
      ['2026-03-30', { hours: [{ start: '09:03', end: '12:00' }] }, 'hours.0.start'],
      ['2026-03-30', { hours: [{ start: '09:00', end: '24:05' }] }, 'hours.0.end'],
      ['2026-03-30', { hours: [] }, 'hours'],
      ['2026-03-30', { closed: true, hours: [{ start: '09:00', end: '12:00' }] }, 'json'],
      ['2026-03-30', {}, 'json'],
      ['2026-03-30', { closed: false }, 'closed'],
      ['2026-03-30', { closed: true, weekday: 1 }, 'weekday'],
      ['2026-02-30', { closed: true }, 'date'],
      ['30-03-2026', { closed: true }, 'date'],
      ['2026-03-22', { closed: true }, 'date'], // yesterday in Berlin
      ['2027-03-24', { closed: true }, 'date'], // more than 365 days ahead
    ];
    for (const [date, json, field] of cases) {
      const res = await api.put(pathOf(doctor.user.id, date), { token: doctor.token, json });
      expect(
        [res.status, res.body.errors?.map((e: { field: string }) => e.field)],
        `${date} ${JSON.stringify(json)}`,
      ).toEqual([422, expect.arrayContaining([field])]);
    }
    expect(await rowsOf(doctor.user.id)).toEqual([]);
    // The doctor's today is the limit, in their zone: at 08:00Z it is 2026-03-23 in Berlin, still the 22nd in Honolulu.
    const today = await api.put(pathOf(doctor.user.id, '2026-03-23'), { token: doctor.token, json: { closed: true } });
    expect(today.status).toBe(200);
    const ahead = await api.put(pathOf(doctor.user.id, '2027-03-23'), { token: doctor.token, json: { closed: true } });
    expect(ahead.status).toBe(200);
    const honolulu = await practice(now(), { timeZone: 'Pacific/Honolulu' });
    const yesterday = await api.put(pathOf(honolulu.doctor.user.id, '2026-03-22'), {
      token: honolulu.doctor.token,
      json: { closed: true },
    });
    expect(yesterday.status, JSON.stringify(yesterday.body)).toBe(200);
  });

  it('Should let an admin set them, hide them from other doctors (404) and refuse patients (403)', async () => {
    const { doctor } = await practice(now());
    const other = await account('doctor', now());
    const patient = await account('user', now());
    const admin = await account('admin', now());
    const path = pathOf(doctor.user.id, '2026-03-30');
    const json = { hours: [{ start: '09:00', end: '10:00' }] };
    expect((await api.put(path, { token: other.token, json })).status).toBe(404);
    expect((await api.get(pathOf(doctor.user.id), { token: other.token })).status).toBe(404);
    expect((await api.put(path, { token: patient.token, json })).status).toBe(403);
    expect((await api.get(pathOf(doctor.user.id), { token: patient.token })).status).toBe(403);
    expect(await rowsOf(doctor.user.id)).toEqual([]);
    expect((await api.put(path, { token: admin.token, json })).status).toBe(200);
    expect((await api.delete(path, { token: other.token })).status).toBe(404);
    expect(await rowsOf(doctor.user.id)).toHaveLength(1);
    expect((await api.delete(path, { token: admin.token })).status).toBe(200);
  });
});
