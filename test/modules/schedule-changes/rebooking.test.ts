import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { appointmentEvents, appointments, auditEvents, slotClaims } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import type { RealtimePort } from '../../../src/platform/realtime';
import { cloudflareAdapters } from '../../../src/runtime/cloudflare';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * Time off (and special hours) act on the bookings inside them: the appointments are marked
 * `needsRebooking`, listed to the doctor and staff, their patients pushed `appointment:updated`; the
 * patient takes one of the nearest free slots in one call (rebook) or cancels with a full refund due;
 * removing the time off restores what still waited. Pushes are recorded at the realtime port.
 */
const NOW = '2026-03-23T08:00:00Z'; // a Monday
const clock = fixedClock(NOW);
const pushes: { userId: string; action: string; appointmentId: string; needsRebooking: boolean }[] = [];
const recorder: RealtimePort = {
  notify: async (userId, event, data) => {
    if (event === 'appointment:updated') {
      const { action, appointment } = data as { action: string; appointment: { id: string; needsRebooking: boolean } };
      pushes.push({ userId, action, appointmentId: appointment.id, needsRebooking: appointment.needsRebooking });
    }
    return 0;
  },
  connect: async () => ({ refused: 500 }),
  joinRoom: async () => ({ refused: 500 }),
  closeRoom: async () => {},
};
const api = client({ clock, adapters: (env, deps) => ({ ...cloudflareAdapters(env, deps), realtime: recorder }) });
const now = () => clock.now();
const V1 = '/api/v1';

afterEach(async () => {
  pushes.length = 0;
  await resetSettings();
});

type Status = 'pending' | 'confirmed' | 'cancelled';

async function scene() {
  const p = await practice(now());
  const patient = await account('user', now());
  const other = await account('user', now());
  const service = p.services[0]!;
  const at = (patientId: string, startsAt: string, status: Status = 'confirmed') =>
    insertAppointment({ patientId, doctorId: p.doctor.user.id, serviceId: service.id, startsAt, status });
  return { ...p, patient, other, service, at };
}

const rowOf = (id: string) => db.select().from(appointments).where(eq(appointments.id, id)).get();
const eventsOf = async (id: string) =>
  (await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, id)).all()).map((e) => ({
    action: e.action,
    toStatus: e.toStatus,
    data: e.data,
  }));
const idsOf = (items: { id: string }[]) => items.map((i) => i.id);
const timeOff = (doctorId: string, token: string, json: unknown) =>
  api.post(`${V1}/doctors/${doctorId}/time-off`, { token, json });
const rebook = (id: string, token: string, startsAt: string) =>
  api.post(`${V1}/appointments/${id}/rebook`, { token, json: { startsAt } });
const options = (id: string, token: string, limit?: number) =>
  api.get(`${V1}/appointments/${id}/rebooking-options${limit ? `?limit=${limit}` : ''}`, { token });

describe('time off that takes booked time', () => {
  it('Should mark the live appointments inside a vacation, list them, tell their patients, and let them rebook', async () => {
    const s = await scene();
    const a1 = await s.at(s.patient.user.id, '2026-03-26T10:00:00.000Z');
    const b = await s.at(s.other.user.id, '2026-03-26T11:00:00.000Z');
    const a2 = await s.at(s.patient.user.id, '2026-03-27T14:00:00.000Z', 'pending');
    const cancelled = await s.at(s.patient.user.id, '2026-03-26T12:00:00.000Z', 'cancelled');
    const outside = await s.at(s.patient.user.id, '2026-03-30T10:00:00.000Z');
    const doctorId = s.doctor.user.id;

    const created = await timeOff(doctorId, s.doctor.token, {
      kind: 'vacation',
      startDate: '2026-03-26',
      endDate: '2026-03-27',
      reason: 'Family trip',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const tof = created.body.data.id as string;
    expect(created.body.data).toMatchObject({
      kind: 'vacation',
      startsAt: '2026-03-26T00:00:00.000Z',
      endsAt: '2026-03-28T00:00:00.000Z',
    });
    const affectedBy = { id: tof, kind: 'vacation', at: now().toISOString() };
    expect(idsOf(created.body.data.affected)).toEqual([a1.id, b.id, a2.id]);
    for (const item of created.body.data.affected) expect(item).toMatchObject({ needsRebooking: true, affectedBy });
    expect(created.body.data.affected[2]).toMatchObject({ status: 'pending', startsAt: '2026-03-27T14:00:00.000Z' });

    // Stored: flags, a history event each (no reason: the doctor's is private), nothing else moved.
    expect(await rowOf(a1.id)).toMatchObject({
      status: 'confirmed',
      startsAt: a1.startsAt,
      needsRebooking: true,
      affectedById: tof,
      affectedKind: 'vacation',
    });
    expect(await eventsOf(a2.id)).toEqual([
      { action: 'needs-rebooking', toStatus: 'pending', data: { affectedBy: { id: tof, kind: 'vacation' } } },
    ]);
    for (const id of [cancelled.id, outside.id]) {
      expect(await rowOf(id)).toMatchObject({ needsRebooking: false, affectedById: null });
      expect(await eventsOf(id)).toEqual([]);
    }
    // Each patient was told, the doctor (who made the change) was not.
    expect(pushes.sort((x, y) => x.appointmentId.localeCompare(y.appointmentId))).toEqual(
      [
        { userId: s.patient.user.id, action: 'needs-rebooking', appointmentId: a1.id, needsRebooking: true },
        { userId: s.other.user.id, action: 'needs-rebooking', appointmentId: b.id, needsRebooking: true },
        { userId: s.patient.user.id, action: 'needs-rebooking', appointmentId: a2.id, needsRebooking: true },
      ].sort((x, y) => x.appointmentId.localeCompare(y.appointmentId)),
    );
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, doctorId)).all();
    expect(audit.map((a) => a.action)).toContain('doctor.timeOff.create');

    // The patient sees it on the appointment; the doctor, an admin and front desk list them.
    const seen = await api.get(`${V1}/appointments/${a1.id}`, { token: s.patient.token });
    expect(seen.body.data).toMatchObject({ needsRebooking: true, affectedBy });
    const affectedPath = `${V1}/doctors/${doctorId}/time-off/${tof}/affected`;
    const listed = await api.get(affectedPath, { token: s.doctor.token });
    expect(listed.status).toBe(200);
    expect(idsOf(listed.body.data.items)).toEqual([a1.id, b.id, a2.id]);
    const admin = await account('admin', now());
    expect(idsOf((await api.get(affectedPath, { token: admin.token })).body.data.items)).toHaveLength(3);
    const receptionist = await account('receptionist', now());
    const waiting = await api.get(`${V1}/staff/appointments?doctorId=${doctorId}&needsRebooking=true`, {
      token: receptionist.token,
    });
    expect(idsOf(waiting.body.data.items)).toEqual([a1.id, b.id, a2.id]);
    const mine = await api.get(`${V1}/appointments?needsRebooking=true`, { token: s.patient.token });
    expect(idsOf(mine.body.data.items)).toEqual([a1.id, a2.id]);

    // The nearest free starts: the vacation blocks the 26th and 27th, so the end of the 25th is nearest.
    const offered = await options(a1.id, s.patient.token, 3);
    expect(offered.status, JSON.stringify(offered.body)).toBe(200);
    expect(offered.body.data).toEqual({
      timeZone: 'UTC',
      options: ['15:30', '16:00', '16:30'].map((t) => ({
        start: `2026-03-25T${t}:00.000Z`,
        end: new Date(Date.parse(`2026-03-25T${t}:00Z`) + 30 * 60_000).toISOString(),
        localStart: `2026-03-25T${t}`,
        localEnd: new Date(Date.parse(`2026-03-25T${t}:00Z`) + 30 * 60_000).toISOString().slice(0, 16),
      })),
    });
    expect((await options(a1.id, s.patient.token)).body.data.options).toHaveLength(5);

    pushes.length = 0;
    const moved = await rebook(a1.id, s.patient.token, '2026-03-25T16:30:00Z');
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toMatchObject({
      status: 'confirmed',
      startsAt: '2026-03-25T16:30:00.000Z',
      needsRebooking: false,
      affectedBy,
      rescheduleCount: 1,
    });
    expect(await rowOf(a1.id)).toMatchObject({ startsAt: Date.parse('2026-03-25T16:30:00Z'), needsRebooking: false });
    const claims = await db.select().from(slotClaims).where(eq(slotClaims.ownerId, a1.id)).all();
    expect(claims.map((c) => c.unitStart).sort((x, y) => x - y)[0]).toBe(Date.parse('2026-03-25T16:30:00Z'));
    expect((await eventsOf(a1.id)).at(-1)).toEqual({
      action: 'rebook',
      toStatus: 'confirmed',
      data: {
        from: '2026-03-26T10:00:00.000Z',
        to: '2026-03-25T16:30:00.000Z',
        affectedBy: { id: tof, kind: 'vacation' },
      },
    });
    expect(pushes).toEqual([{ userId: doctorId, action: 'rebook', appointmentId: a1.id, needsRebooking: false }]);

    // The affected list keeps the rebooked one, resolved.
    const after = await api.get(affectedPath, { token: s.doctor.token });
    expect(after.body.data.items.map((i: { id: string; needsRebooking: boolean }) => [i.id, i.needsRebooking])).toEqual(
      [
        [a1.id, false],
        [b.id, true],
        [a2.id, true],
      ],
    );
  });

  it('Should refuse rebooking what is not the caller’s (404), not waiting (409), taken (409) or not offered (422)', async () => {
    const s = await scene();
    const a = await s.at(s.patient.user.id, '2026-03-26T10:00:00.000Z');
    const b = await s.at(s.other.user.id, '2026-03-26T11:00:00.000Z');
    const unaffected = await s.at(s.patient.user.id, '2026-03-30T10:00:00.000Z');
    const blocker = await s.at(s.patient.user.id, '2026-03-25T16:00:00.000Z');
    await timeOff(s.doctor.user.id, s.doctor.token, { kind: 'vacation', startDate: '2026-03-26' });

    expect((await options(a.id, s.other.token)).status).toBe(404);
    expect((await rebook(a.id, s.other.token, '2026-03-25T15:00:00Z')).status).toBe(404);
    const stranger = await account('doctor', now());
    expect((await rebook(a.id, stranger.token, '2026-03-25T15:00:00Z')).status).toBe(404);

    const notWaiting = await rebook(unaffected.id, s.patient.token, '2026-03-31T10:00:00Z');
    expect([notWaiting.status, notWaiting.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(notWaiting.body.error.details).toEqual({ needsRebooking: false });
    const noOptions = await options(unaffected.id, s.patient.token);
    expect([noOptions.status, noOptions.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);

    const taken = await rebook(b.id, s.other.token, '2026-03-25T16:00:00Z');
    expect([taken.status, taken.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    const inside = await rebook(b.id, s.other.token, '2026-03-26T14:00:00Z');
    expect([inside.status, inside.body.errors?.[0]?.field]).toEqual([422, 'startsAt']);
    const bad = await api.get(`${V1}/appointments/${b.id}/rebooking-options?limit=21`, { token: s.other.token });
    expect(bad.status).toBe(422);
    expect(await rowOf(b.id)).toMatchObject({ startsAt: b.startsAt, needsRebooking: true, rescheduleCount: 0 });
    expect(await rowOf(blocker.id)).toMatchObject({ startsAt: blocker.startsAt, needsRebooking: false });

    // Its own time never blocks its options, and the blocker's time is not offered.
    const offered = (await options(b.id, s.other.token, 20)).body.data.options.map((o: { start: string }) => o.start);
    expect(offered).not.toContain('2026-03-25T16:00:00.000Z');
    expect(offered).toContain('2026-03-25T16:30:00.000Z');

    expect((await rebook(a.id, s.patient.token, '2026-03-25T15:00:00Z')).status).toBe(200);
    const twice = await rebook(a.id, s.patient.token, '2026-03-25T14:00:00Z');
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(await rowOf(a.id)).toMatchObject({ startsAt: Date.parse('2026-03-25T15:00:00Z'), rescheduleCount: 1 });
    // Staff and the doctor may rebook too; a plain reschedule also ends the wait.
    const receptionist = await account('receptionist', now());
    expect((await rebook(b.id, receptionist.token, '2026-03-24T09:00:00Z')).status).toBe(200);
  });

  it('Should let an emergency start now and refund in full whoever cancels, whatever the notice', async () => {
    const s = await scene();
    await setSetting('appointments.cancellationPolicy', [{ minHoursBefore: 24, refundPercent: 100 }]);
    const soon = await s.at(s.patient.user.id, '2026-03-23T09:00:00.000Z');
    const later = await s.at(s.patient.user.id, '2026-03-23T13:00:00.000Z');
    const refused = await timeOff(s.doctor.user.id, s.doctor.token, {
      kind: 'emergency',
      endsAt: '2026-03-23T07:00:00Z',
    });
    expect([refused.status, refused.body.errors?.[0]?.field]).toEqual([422, 'endsAt']);
    const notEmergency = await timeOff(s.doctor.user.id, s.doctor.token, {
      kind: 'vacation',
      endsAt: '2026-03-23T12:00:00Z',
    });
    expect([notEmergency.status, notEmergency.body.errors?.[0]?.field]).toEqual([422, 'startsAt']);

    const res = await timeOff(s.doctor.user.id, s.doctor.token, {
      kind: 'emergency',
      endsAt: '2026-03-23T12:00:00Z',
      reason: 'Called to the hospital',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ startsAt: NOW.replace('Z', '.000Z'), endsAt: '2026-03-23T12:00:00.000Z' });
    expect(idsOf(res.body.data.affected)).toEqual([soon.id]);

    const quote = await api.get(`${V1}/appointments/${soon.id}/cancellation-quote`, { token: s.patient.token });
    expect(quote.body.data).toMatchObject({ cancellable: true, refund: { percent: 100, amountCents: 5000 } });
    const normal = await api.get(`${V1}/appointments/${later.id}/cancellation-quote`, { token: s.patient.token });
    expect(normal.body.data.refund.percent).toBe(0);

    const cancelled = await api.post(`${V1}/appointments/${soon.id}/cancel`, { token: s.patient.token, json: {} });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.data).toMatchObject({
      status: 'cancelled',
      needsRebooking: false,
      cancellation: { refund: { percent: 100, amountCents: 5000, currency: 'EUR' } },
    });
    expect(await rowOf(soon.id)).toMatchObject({ refundPercent: 100, refundDueCents: 5000, needsRebooking: false });
    expect((await eventsOf(soon.id)).at(-1)?.data).toMatchObject({ fullRefund: 'needs-rebooking' });
    expect((await rebook(soon.id, s.patient.token, '2026-03-24T10:00:00Z')).status).toBe(409);
  });

  it('Should restore what still waits when time off is removed, or move it to time off that still takes it', async () => {
    const s = await scene();
    const doctorId = s.doctor.user.id;
    const waiting = await s.at(s.patient.user.id, '2026-03-26T10:00:00.000Z');
    const rebooked = await s.at(s.other.user.id, '2026-03-26T11:00:00.000Z');
    const first = await timeOff(doctorId, s.doctor.token, {
      kind: 'time-off',
      startsAt: '2026-03-26T09:00:00Z',
      endsAt: '2026-03-26T12:00:00Z',
    });
    expect(idsOf(first.body.data.affected)).toEqual([waiting.id, rebooked.id]);
    const t1 = first.body.data.id as string;
    expect((await rebook(rebooked.id, s.other.token, '2026-03-25T10:00:00Z')).status).toBe(200);

    // A second, overlapping time off lists the waiting one but leaves it to the first.
    const second = await timeOff(doctorId, s.doctor.token, { kind: 'holiday', startDate: '2026-03-26' });
    const t2 = second.body.data.id as string;
    expect(second.body.data.affected).toEqual([
      expect.objectContaining({ id: waiting.id, affectedBy: expect.objectContaining({ id: t1, kind: 'time-off' }) }),
    ]);
    expect(
      (await api.get(`${V1}/doctors/${doctorId}/time-off/${t2}/affected`, { token: s.doctor.token })).body.data.items,
    ).toEqual([]);

    pushes.length = 0;
    const removed = await api.delete(`${V1}/doctors/${doctorId}/time-off/${t1}`, { token: s.doctor.token });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toEqual({ id: t1, restored: [] });
    expect(await rowOf(waiting.id)).toMatchObject({ needsRebooking: true, affectedById: t2, affectedKind: 'holiday' });
    expect(await rowOf(rebooked.id)).toMatchObject({ needsRebooking: false, affectedById: t1 });
    expect(pushes).toEqual([]);
    const t2Affected = await api.get(`${V1}/doctors/${doctorId}/time-off/${t2}/affected`, { token: s.doctor.token });
    expect(idsOf(t2Affected.body.data.items)).toEqual([waiting.id]);
    expect((await api.get(`${V1}/doctors/${doctorId}/time-off/${t1}/affected`, { token: s.doctor.token })).status).toBe(
      404,
    );

    const last = await api.delete(`${V1}/doctors/${doctorId}/time-off/${t2}`, { token: s.doctor.token });
    expect(idsOf(last.body.data.restored)).toEqual([waiting.id]);
    expect(last.body.data.restored[0]).toMatchObject({
      startsAt: '2026-03-26T10:00:00.000Z',
      needsRebooking: false,
      affectedBy: null,
    });
    expect(await rowOf(waiting.id)).toMatchObject({
      needsRebooking: false,
      affectedById: null,
      startsAt: waiting.startsAt,
    });
    expect((await eventsOf(waiting.id)).map((e) => e.action)).toEqual(['needs-rebooking', 'rebooking-cleared']);
    expect(pushes).toEqual([
      { userId: s.patient.user.id, action: 'rebooking-cleared', appointmentId: waiting.id, needsRebooking: false },
    ]);
    const late = await rebook(waiting.id, s.patient.token, '2026-03-25T11:00:00Z');
    expect([late.status, late.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
  });

  it('Should mark bookings that special hours leave outside, and restore them when the hours fit them again', async () => {
    const s = await scene();
    const doctorId = s.doctor.user.id;
    const morning = await s.at(s.patient.user.id, '2026-03-26T10:00:00.000Z');
    const path = `${V1}/doctors/${doctorId}/special-hours/2026-03-26`;
    const closed = await api.put(path, { token: s.doctor.token, json: { closed: true } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const sph = closed.body.data.specialHours.id as string;
    expect(closed.body.data.affected).toEqual([
      expect.objectContaining({
        id: morning.id,
        needsRebooking: true,
        affectedBy: expect.objectContaining({ id: sph, kind: 'special-hours' }),
      }),
    ]);
    expect(closed.body.data.restored).toEqual([]);
    // Mornings only: the booking fits again.
    const mornings = await api.put(path, {
      token: s.doctor.token,
      json: { hours: [{ start: '09:00', end: '12:00' }] },
    });
    expect(mornings.body.data.affected).toEqual([]);
    expect(idsOf(mornings.body.data.restored)).toEqual([morning.id]);
    expect(await rowOf(morning.id)).toMatchObject({ needsRebooking: false, affectedById: null });
    // Afternoons only: it is outside again; removing them restores it.
    const afternoons = await api.put(path, {
      token: s.doctor.token,
      json: { hours: [{ start: '13:00', end: '17:00' }] },
    });
    expect(idsOf(afternoons.body.data.affected)).toEqual([morning.id]);
    const removed = await api.delete(path, { token: s.doctor.token });
    expect(idsOf(removed.body.data.restored)).toEqual([morning.id]);
    expect((await eventsOf(morning.id)).map((e) => e.action)).toEqual([
      'needs-rebooking',
      'rebooking-cleared',
      'needs-rebooking',
      'rebooking-cleared',
    ]);
  });

  it('Should hide a time off’s affected list from other doctors (404) and refuse patients (403)', async () => {
    const s = await scene();
    const created = await timeOff(s.doctor.user.id, s.doctor.token, { kind: 'vacation', startDate: '2026-03-26' });
    const path = `${V1}/doctors/${s.doctor.user.id}/time-off/${created.body.data.id}/affected`;
    const other = await account('doctor', now());
    expect((await api.get(path, { token: other.token })).status).toBe(404);
    expect((await api.get(path, { token: s.patient.token })).status).toBe(403);
    const missing = `${V1}/doctors/${s.doctor.user.id}/time-off/tof_01JF8ZS5X0V6M3A2Q9K1T7B4CE/affected`;
    expect((await api.get(missing, { token: s.doctor.token })).status).toBe(404);
  });
});
