import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, doctorServices, slotClaims, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, tokenFor, uniqueId } from '../../helpers';

const NOW = '2026-03-23T00:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const nowDate = new Date(NOW);

async function account(role: 'doctor' | 'user' | 'admin') {
  const user = await createUser({ role });
  return { user, token: await tokenFor(user, nowDate) };
}

const rules = {
  timeZone: 'UTC',
  slotMinutes: 30,
  bufferMinutes: 0,
  minNoticeMinutes: 0,
  maxDaysAhead: 60,
  weeklyHours: [{ weekday: 1, start: '09:00', end: '12:00' }],
};

async function addService(doctorId: string, durationMinutes = 30, active = true) {
  const id = uniqueId('svc');
  await db.insert(doctorServices).values({
    id,
    doctorId,
    name: 'Consultation',
    durationMinutes,
    priceCents: 5000,
    active,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  return id;
}

/** Claims the 5-minute units of [startIso, startIso + minutes). */
async function claim(
  doctorId: string,
  startIso: string,
  minutes: number,
  ownerType: 'hold' | 'appointment',
  expiresAt: number | null,
) {
  const ownerId = uniqueId(ownerType === 'hold' ? 'hld' : 'apt');
  const start = Date.parse(startIso);
  await db.insert(slotClaims).values(
    Array.from({ length: minutes / 5 }, (_, i) => ({
      doctorId,
      unitStart: start + i * 300_000,
      ownerType,
      ownerId,
      expiresAt,
    })),
  );
}

describe('doctor availability', () => {
  let doctor: Awaited<ReturnType<typeof account>>;
  beforeAll(async () => {
    doctor = await account('doctor');
  });

  it('Should let a doctor set and read their availability, audited', async () => {
    const body = {
      ...rules,
      timeZone: 'europe/berlin',
      weeklyHours: [
        { weekday: 3, start: '14:00', end: '18:00' },
        { weekday: 1, start: '09:00', end: '12:30' },
        { weekday: 1, start: '12:30', end: '13:00' },
      ],
    };
    const put = await api.put(`/api/v1/doctors/${doctor.user.id}/availability`, { token: doctor.token, json: body });
    expect(put.status).toBe(200);
    expect(put.body.data.timeZone).toBe('Europe/Berlin');
    const get = await api.get(`/api/v1/doctors/${doctor.user.id}/availability`, { token: doctor.token });
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual({
      timeZone: 'Europe/Berlin',
      slotMinutes: 30,
      bufferMinutes: 0,
      minNoticeMinutes: 0,
      maxDaysAhead: 60,
      weeklyHours: [
        { weekday: 1, start: '09:00', end: '12:30' },
        { weekday: 1, start: '12:30', end: '13:00' },
        { weekday: 3, start: '14:00', end: '18:00' },
      ],
      unavailableUntil: null,
      unavailableReason: null,
    });
    // Replaces the set.
    await api.put(`/api/v1/doctors/${doctor.user.id}/availability`, { token: doctor.token, json: rules });
    const again = await api.get(`/api/v1/doctors/${doctor.user.id}/availability`, { token: doctor.token });
    expect(again.body.data.weeklyHours).toEqual(rules.weeklyHours);
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, doctor.user.id), eq(auditEvents.action, 'doctor.availability.update')));
    expect(audits).toHaveLength(2);
  });

  it('Should hide a doctor’s availability from another doctor (404) and refuse patients (403)', async () => {
    const other = await account('doctor');
    const patient = await account('user');
    const path = `/api/v1/doctors/${doctor.user.id}/availability`;
    expect((await api.get(path, { token: other.token })).status).toBe(404);
    expect((await api.put(path, { token: other.token, json: rules })).status).toBe(404);
    expect((await api.put(path, { token: patient.token, json: rules })).status).toBe(403);
  });

  it('Should let an admin set a doctor’s availability', async () => {
    const admin = await account('admin');
    const res = await api.put(`/api/v1/doctors/${doctor.user.id}/availability`, {
      token: admin.token,
      json: { ...rules, slotMinutes: 20 },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.slotMinutes).toBe(20);
    await api.put(`/api/v1/doctors/${doctor.user.id}/availability`, { token: admin.token, json: rules });
  });

  it('Should refuse invalid availability with 422', async () => {
    const path = `/api/v1/doctors/${doctor.user.id}/availability`;
    const cases: [unknown, string][] = [
      [
        {
          ...rules,
          weeklyHours: [
            { weekday: 2, start: '09:00', end: '12:00' },
            { weekday: 2, start: '11:00', end: '13:00' },
          ],
        },
        'weeklyHours.1',
      ],
      [{ ...rules, timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ ...rules, timeZone: '+01:00' }, 'timeZone'],
      [{ ...rules, role: 'admin' }, 'role'],
      [{ ...rules, slotMinutes: 7 }, 'slotMinutes'],
      [{ ...rules, weeklyHours: [{ weekday: 1, start: '09:03', end: '12:00' }] }, 'weeklyHours.0.start'],
      [{ ...rules, weeklyHours: [{ weekday: 1, start: '12:00', end: '09:00' }] }, 'weeklyHours.0.end'],
      [{ ...rules, weeklyHours: [{ weekday: 8, start: '09:00', end: '12:00' }] }, 'weeklyHours.0.weekday'],
    ];
    for (const [json, field] of cases) {
      const res = await api.put(path, { token: doctor.token, json });
      expect(res.status, field).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        field,
      ).toContain(field);
    }
  });
});

describe('time off', () => {
  it('Should create whole-day time off midnight to midnight in the doctor’s zone, list and delete it', async () => {
    const doctor = await account('doctor');
    const base = `/api/v1/doctors/${doctor.user.id}`;
    await api.put(`${base}/availability`, { token: doctor.token, json: { ...rules, timeZone: 'Europe/Berlin' } });
    // The spring-forward day has 23 hours.
    const day = await api.post(`${base}/time-off`, {
      token: doctor.token,
      json: { kind: 'holiday', startDate: '2026-03-29', reason: 'Easter trip' },
    });
    expect(day.status).toBe(201);
    expect(day.body.data).toMatchObject({
      kind: 'holiday',
      startsAt: '2026-03-28T23:00:00.000Z',
      endsAt: '2026-03-29T22:00:00.000Z',
      reason: 'Easter trip',
    });
    const partial = await api.post(`${base}/time-off`, {
      token: doctor.token,
      json: { kind: 'time-off', startsAt: '2026-03-24T10:00:00+01:00', endsAt: '2026-03-24T12:00:00+01:00' },
    });
    expect(partial.status).toBe(201);
    expect(partial.body.data.startsAt).toBe('2026-03-24T09:00:00.000Z');
    const past = await api.post(`${base}/time-off`, {
      token: doctor.token,
      json: { kind: 'time-off', startDate: '2026-03-01', endDate: '2026-03-02' },
    });
    expect(past.body.data.endsAt).toBe('2026-03-02T23:00:00.000Z');

    const list = await api.get(`${base}/time-off`, { token: doctor.token });
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((t: { id: string }) => t.id)).toEqual([
      partial.body.data.id,
      day.body.data.id,
      past.body.data.id,
    ]);
    expect(list.body.data.pagination.total).toBe(3);

    const other = await account('doctor');
    expect((await api.get(`${base}/time-off`, { token: other.token })).status).toBe(404);
    expect((await api.delete(`${base}/time-off/${day.body.data.id}`, { token: other.token })).status).toBe(404);
    const del = await api.delete(`${base}/time-off/${day.body.data.id}`, { token: doctor.token });
    expect(del.status).toBe(200);
    expect((await api.delete(`${base}/time-off/${day.body.data.id}`, { token: doctor.token })).status).toBe(404);
    expect((await api.get(`${base}/time-off`, { token: doctor.token })).body.data.pagination.total).toBe(2);
  });

  it('Should refuse a body mixing days and instants, or ending before it starts', async () => {
    const doctor = await account('doctor');
    const path = `/api/v1/doctors/${doctor.user.id}/time-off`;
    for (const json of [
      { kind: 'holiday', startDate: '2026-04-01', startsAt: '2026-04-01T10:00:00Z', endsAt: '2026-04-01T11:00:00Z' },
      { kind: 'holiday', startDate: '2026-04-02', endDate: '2026-04-01' },
      { kind: 'time-off', startsAt: '2026-04-01T11:00:00Z', endsAt: '2026-04-01T10:00:00Z' },
      { kind: 'holiday' },
      { kind: 'holiday', startDate: '2026-02-30' },
      { kind: 'sabbatical', startDate: '2026-04-01' },
    ]) {
      expect((await api.post(path, { token: doctor.token, json })).status, JSON.stringify(json)).toBe(422);
    }
  });
});

describe('slots', () => {
  let doctor: Awaited<ReturnType<typeof account>>;
  let serviceId: string;
  beforeAll(async () => {
    doctor = await account('doctor');
    await api.put(`/api/v1/doctors/${doctor.user.id}/availability`, { token: doctor.token, json: rules });
    serviceId = await addService(doctor.user.id);
  });

  const slotsOf = (doctorId: string, query: string) => api.get(`/api/v1/doctors/${doctorId}/slots?${query}`);

  it('Should offer free slots publicly, excluding live claims but not expired holds', async () => {
    const now = clock.now().getTime();
    await claim(doctor.user.id, '2026-03-30T09:00:00Z', 30, 'appointment', null);
    await claim(doctor.user.id, '2026-03-30T10:00:00Z', 30, 'hold', now - 1);
    await claim(doctor.user.id, '2026-03-30T11:00:00Z', 30, 'hold', now + 600_000);
    const res = await slotsOf(doctor.user.id, `serviceId=${serviceId}&date=2026-03-30`);
    expect(res.status).toBe(200);
    expect(res.body.data.timeZone).toBe('UTC');
    expect(res.body.data.slots.map((s: { localStart: string }) => s.localStart)).toEqual([
      '2026-03-30T09:30',
      '2026-03-30T10:00',
      '2026-03-30T10:30',
      '2026-03-30T11:30',
    ]);
    expect(res.body.data.slots[0]).toEqual({
      start: '2026-03-30T09:30:00.000Z',
      end: '2026-03-30T10:00:00.000Z',
      localStart: '2026-03-30T09:30',
      localEnd: '2026-03-30T10:00',
    });
    // A range covers the following Monday too.
    const range = await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30&to=2026-04-06`);
    expect(range.body.data.slots).toHaveLength(10);
  });

  it('Should block new slots at once during emergency unavailability, and free them when cleared', async () => {
    const path = `/api/v1/doctors/${doctor.user.id}/unavailability`;
    const set = await api.put(path, {
      token: doctor.token,
      json: { until: '2026-04-06T10:00:00Z', reason: 'Family emergency' },
    });
    expect(set.status).toBe(200);
    expect(set.body.data.unavailableUntil).toBe('2026-04-06T10:00:00.000Z');
    const during = await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30&to=2026-04-06`);
    expect(during.body.data.slots.map((s: { localStart: string }) => s.localStart)).toEqual([
      '2026-04-06T10:00',
      '2026-04-06T10:30',
      '2026-04-06T11:00',
      '2026-04-06T11:30',
    ]);
    const past = await api.put(path, { token: doctor.token, json: { until: '2026-03-01T00:00:00Z', reason: 'x' } });
    expect(past.status).toBe(422);
    const cleared = await api.delete(path, { token: doctor.token });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data.unavailableUntil).toBeNull();
    const after = await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30&to=2026-04-06`);
    expect(after.body.data.slots).toHaveLength(10);
  });

  it('Should exclude time off from slots', async () => {
    const base = `/api/v1/doctors/${doctor.user.id}`;
    const off = await api.post(`${base}/time-off`, {
      token: doctor.token,
      json: { kind: 'holiday', startDate: '2026-04-06' },
    });
    const res = await slotsOf(doctor.user.id, `serviceId=${serviceId}&date=2026-04-06`);
    expect(res.body.data.slots).toEqual([]);
    await api.delete(`${base}/time-off/${off.body.data.id}`, { token: doctor.token });
  });

  it('Should answer 404 for an unverified doctor or a service that is not theirs or inactive', async () => {
    const pending = await account('doctor');
    await api.put(`/api/v1/doctors/${pending.user.id}/availability`, { token: pending.token, json: rules });
    const pendingService = await addService(pending.user.id);
    await db.update(users).set({ verifiedAt: null }).where(eq(users.id, pending.user.id));
    expect((await slotsOf(pending.user.id, `serviceId=${pendingService}&date=2026-03-30`)).status).toBe(404);
    expect((await slotsOf(doctor.user.id, `serviceId=${pendingService}&date=2026-03-30`)).status).toBe(404);
    const inactive = await addService(doctor.user.id, 30, false);
    expect((await slotsOf(doctor.user.id, `serviceId=${inactive}&date=2026-03-30`)).status).toBe(404);
  });

  it('Should refuse a range over 31 days or a missing date with 422', async () => {
    expect((await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30&to=2026-04-30`)).status).toBe(422);
    expect((await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30&to=2026-04-29`)).status).toBe(200);
    expect((await slotsOf(doctor.user.id, `serviceId=${serviceId}&from=2026-03-30`)).status).toBe(422);
    expect((await slotsOf(doctor.user.id, `date=2026-03-30`)).status).toBe(422);
  });
});
