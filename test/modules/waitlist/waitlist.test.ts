import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { appointmentHolds, appointments, waitlistEntries, waitlistOffers } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { TIME_FREED_JOB } from '../../../src/modules/availability/time-freed';
import type { Job } from '../../../src/platform/jobs';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv } from '../../helpers';
import { capturingQueue, runQueue } from '../../support/notifications';
import { account, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });
const now = () => clock.now();
const DAY = '2026-03-24';
const SLOT = '2026-03-24T09:00:00.000Z';

afterEach(async () => {
  clock.set(NOW);
  queue.take(TIME_FREED_JOB);
  queue.take('notify.deliver');
  await resetSettings();
});

/** A doctor with one 30-minute slot a day (09:00–09:30 UTC) and a booked appointment in it on DAY. */
async function setup(options: { hours?: { weekday: number; start: string; end: string }[] } = {}) {
  const hours = options.hours ?? [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '09:30' }));
  const p = await practice(now(), { serviceMinutes: [30], hours });
  const service = p.services[0]!;
  const [a, b, c, x] = [
    await account('user', now()),
    await account('user', now()),
    await account('user', now()),
    await account('user', now()),
  ];
  return { ...p, service, a, b, c, x };
}

const book = (token: string, json: Record<string, unknown>) => api.post('/api/v1/appointments', { token, json });

async function bookedBy(token: string, doctorId: string, serviceId: string, startsAt = SLOT) {
  const res = await book(token, { doctorId, serviceId, startsAt, type: 'video' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

async function join(token: string, json: Record<string, unknown>) {
  const res = await api.post('/api/v1/waitlist', { token, json });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
}

/** Runs the time-freed jobs enqueued so far through the queue consumer, at the test clock. */
async function runMatching(): Promise<void> {
  const jobs = queue.take(TIME_FREED_JOB);
  if (!jobs.length) return;
  const result = await runQueue(jobs, { deps: { clock, adapters: queue.adapters } });
  expect(result.retried).toEqual([]);
}

/** The `notify.deliver` jobs of waitlist offers to `userId` enqueued so far. */
const offerNotices = (userId: string): Job[] =>
  queue.take('notify.deliver').filter((job) => {
    const payload = job.payload as { recipientId: string; notice: { kind: string } };
    return payload.recipientId === userId && payload.notice.kind === 'waitlist.offer';
  });

const offersOf = (entryId: string) => db.select().from(waitlistOffers).where(eq(waitlistOffers.entryId, entryId)).all();
const entryRow = (id: string) => db.select().from(waitlistEntries).where(eq(waitlistEntries.id, id)).get();
const holdRow = (id: string) => db.select().from(appointmentHolds).where(eq(appointmentHolds.id, id)).get();

async function runWaitlistCron() {
  const ctx = createContext(testEnv, { ...cloudflareDeps, clock, adapters: queue.adapters }, { requestId: 'cron' });
  const reports = await runCron(ctx, CRON_TASKS);
  expect(reports.find((r) => r.task === 'waitlist.expire')).toMatchObject({ ok: true });
}

describe('waitlist', () => {
  it('Should offer a cancelled slot first come first served, pass it on when the offer expires, and book it with the hold', async () => {
    await setSetting('waitlist.offerMinutes', 5);
    const { doctor, service, a, b, c, x } = await setup();
    const booked = await bookedBy(x.token, doctor.user.id, service.id);
    const range = { doctorId: doctor.user.id, serviceId: service.id, fromDate: DAY, toDate: DAY };

    const res = await api.post('/api/v1/waitlist', { token: a.token, json: range });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const entryA = res.body.data;
    expect(entryA).toMatchObject({
      id: expect.stringMatching(/^wle_/),
      patientId: a.user.id,
      doctorId: doctor.user.id,
      status: 'waiting',
      timeZone: 'UTC',
      offer: null,
    });
    clock.set('2026-03-23T08:01:00Z');
    const entryB = await join(b.token, range);
    await runMatching(); // the slot is booked: nobody is offered anything
    expect(await offersOf(entryA.id)).toEqual([]);

    const cancel = await api.post(`/api/v1/appointments/${booked}/cancel`, { token: x.token });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    await runMatching();

    const [offerA] = await offersOf(entryA.id);
    expect(offerA).toMatchObject({
      patientId: a.user.id,
      startsAt: Date.parse(SLOT),
      status: 'offered',
      expiresAt: now().getTime() + 5 * 60_000,
    });
    expect(await holdRow(offerA!.holdId)).toMatchObject({
      patientId: a.user.id,
      doctorId: doctor.user.id,
      startsAt: Date.parse(SLOT),
      expiresAt: offerA!.expiresAt,
      appointmentId: null,
      releasedAt: null,
    });
    expect(await offersOf(entryB.id)).toEqual([]);
    const [notice] = offerNotices(a.user.id);
    expect(notice).toBeDefined();
    const data = (notice!.payload as { notice: { data: { message: string; offerId: string } } }).notice.data;
    expect(data.offerId).toBe(offerA!.id);
    expect(data.message).toContain(doctor.user.name);
    expect(data.message).toContain('09:00');
    expect(offerNotices(b.user.id)).toEqual([]);

    const mine = await api.get(`/api/v1/waitlist/${entryA.id}`, { token: a.token });
    expect(mine.status).toBe(200);
    expect(tripsOf(mine)).toBe(1);
    expect(mine.body.data.offer).toMatchObject({ id: offerA!.id, status: 'offered', startsAt: SLOT });

    // The slot is held for A: C cannot book it.
    const taken = await book(c.token, {
      doctorId: doctor.user.id,
      serviceId: service.id,
      startsAt: SLOT,
      type: 'video',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('SLOT_UNAVAILABLE');

    // A lets it pass: the cron expires the offer and the slot goes to B.
    clock.set('2026-03-23T08:07:00Z');
    await runWaitlistCron();
    expect((await offersOf(entryA.id))[0]).toMatchObject({ status: 'expired' });
    await runMatching();
    const offersA = await offersOf(entryA.id);
    expect(offersA).toHaveLength(1);
    const [offerB] = await offersOf(entryB.id);
    expect(offerB).toMatchObject({ patientId: b.user.id, startsAt: Date.parse(SLOT), status: 'offered' });
    expect(offerNotices(b.user.id)).toHaveLength(1);

    // B books with the hold: the appointment is created, the offer accepted and B's entry booked.
    const bookedB = await book(b.token, {
      doctorId: doctor.user.id,
      serviceId: service.id,
      startsAt: SLOT,
      type: 'video',
      holdId: offerB!.holdId,
    });
    expect(bookedB.status, JSON.stringify(bookedB.body)).toBe(201);
    const apt = await db.select().from(appointments).where(eq(appointments.id, bookedB.body.data.id)).get();
    expect(apt).toMatchObject({ patientId: b.user.id, holdId: offerB!.holdId, startsAt: Date.parse(SLOT) });
    expect(await entryRow(entryB.id)).toMatchObject({ status: 'booked' });
    expect((await offersOf(entryB.id))[0]).toMatchObject({ status: 'accepted' });
    expect(await entryRow(entryA.id)).toMatchObject({ status: 'waiting' });

    const list = await api.get('/api/v1/waitlist', { token: b.token });
    expect(list.status).toBe(200);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items).toHaveLength(1);
    expect(list.body.data.items[0]).toMatchObject({ id: entryB.id, status: 'booked', offer: { status: 'accepted' } });
  });

  it('Should pass a declined offer on at once, and release its hold', async () => {
    const { doctor, service, a, b, x } = await setup();
    const booked = await bookedBy(x.token, doctor.user.id, service.id);
    const range = { doctorId: doctor.user.id, serviceId: service.id, fromDate: DAY, toDate: DAY };
    const entryA = await join(a.token, range);
    clock.set('2026-03-23T08:01:00Z');
    const entryB = await join(b.token, range);
    await api.post(`/api/v1/appointments/${booked}/cancel`, { token: x.token });
    await runMatching();
    const [offerA] = await offersOf(entryA.id);

    const notMine = await api.post(`/api/v1/waitlist/offers/${offerA!.id}/decline`, { token: b.token });
    expect(notMine.status).toBe(404);
    const declined = await api.post(`/api/v1/waitlist/offers/${offerA!.id}/decline`, { token: a.token });
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    expect(tripsOf(declined)).toBe(2);
    expect(declined.body.data).toMatchObject({ id: offerA!.id, status: 'declined' });
    expect((await holdRow(offerA!.holdId))?.releasedAt).not.toBeNull();
    const again = await api.post(`/api/v1/waitlist/offers/${offerA!.id}/decline`, { token: a.token });
    expect(again.status).toBe(409);

    await runMatching();
    expect(await offersOf(entryB.id)).toEqual([
      expect.objectContaining({ status: 'offered', startsAt: Date.parse(SLOT) }),
    ]);
    // A keeps waiting but is not offered the slot it declined.
    expect(await entryRow(entryA.id)).toMatchObject({ status: 'waiting' });
    expect(await offersOf(entryA.id)).toHaveLength(1);
  });

  it('Should respect the time-of-day window, and offer time the doctor opens', async () => {
    // Doctor works 09:00–10:00 (two slots); both are booked on DAY.
    const hours = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '10:00' }));
    const { doctor, service, a, x } = await setup({ hours });
    await bookedBy(x.token, doctor.user.id, service.id, '2026-03-24T09:00:00.000Z');
    const late = await bookedBy(x.token, doctor.user.id, service.id, '2026-03-24T09:30:00.000Z');
    const entry = await join(a.token, {
      doctorId: doctor.user.id,
      serviceId: service.id,
      fromDate: DAY,
      toDate: DAY,
      timeFrom: '13:00',
      timeTo: '15:00',
    });
    // A slot outside the window frees up: no offer.
    await api.post(`/api/v1/appointments/${late}/cancel`, { token: x.token });
    await runMatching();
    expect(await offersOf(entry.id)).toEqual([]);

    // The doctor opens the afternoon of DAY: the first slot in the window is offered.
    const opened = await api.put(`/api/v1/doctors/${doctor.user.id}/special-hours/${DAY}`, {
      token: doctor.token,
      json: { hours: [{ start: '14:00', end: '15:00' }] },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    await runMatching();
    expect(await offersOf(entry.id)).toEqual([
      expect.objectContaining({ status: 'offered', startsAt: Date.parse('2026-03-24T14:00:00.000Z') }),
    ]);
  });

  it('Should leave the list: the entry is left and a live offer declined with its hold released', async () => {
    const { doctor, service, a, b, x } = await setup();
    const booked = await bookedBy(x.token, doctor.user.id, service.id);
    const entry = await join(a.token, { doctorId: doctor.user.id, serviceId: service.id, fromDate: DAY, toDate: DAY });
    await api.post(`/api/v1/appointments/${booked}/cancel`, { token: x.token });
    await runMatching();
    const [offer] = await offersOf(entry.id);

    expect((await api.delete(`/api/v1/waitlist/${entry.id}`, { token: b.token })).status).toBe(404);
    expect((await api.get(`/api/v1/waitlist/${entry.id}`, { token: b.token })).status).toBe(404);
    const left = await api.delete(`/api/v1/waitlist/${entry.id}`, { token: a.token });
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    expect(tripsOf(left)).toBe(2);
    expect(left.body.data).toMatchObject({ status: 'left', offer: { id: offer!.id, status: 'declined' } });
    expect(await entryRow(entry.id)).toMatchObject({ status: 'left' });
    expect((await holdRow(offer!.holdId))?.releasedAt).not.toBeNull();
  });

  it('Should list a doctor’s waitlist for the doctor and staff, in offer order; another doctor gets 404', async () => {
    const { doctor, service, a, b } = await setup();
    const range = { doctorId: doctor.user.id, serviceId: service.id, fromDate: DAY, toDate: '2026-03-30' };
    const first = await join(a.token, range);
    clock.set('2026-03-23T08:01:00Z');
    const second = await join(b.token, range);
    const receptionist = await account('receptionist', now());
    const other = await account('doctor', now());
    for (const token of [doctor.token, receptionist.token]) {
      const res = await api.get(`/api/v1/doctors/${doctor.user.id}/waitlist`, { token });
      expect(res.status).toBe(200);
      expect(tripsOf(res)).toBe(1);
      expect(res.body.data.items.map((e: { id: string }) => e.id)).toEqual([first.id, second.id]);
    }
    expect((await api.get(`/api/v1/doctors/${doctor.user.id}/waitlist`, { token: other.token })).status).toBe(404);
  });

  it('Should refuse a bad range, a past range, a duplicate and a sixth entry, writing nothing', async () => {
    const { doctor, service, a } = await setup();
    const base = { doctorId: doctor.user.id, serviceId: service.id };
    const count = () => db.$count(waitlistEntries, eq(waitlistEntries.patientId, a.user.id));
    const refused = async (json: Record<string, unknown>, status: number, code: string) => {
      const res = await api.post('/api/v1/waitlist', { token: a.token, json });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      return res;
    };
    await refused({ ...base, fromDate: '2026-03-30', toDate: '2026-03-24' }, 422, 'VALIDATION_FAILED');
    await refused({ ...base, fromDate: DAY, toDate: '2026-05-23' }, 422, 'VALIDATION_FAILED');
    await refused({ ...base, fromDate: '2026-03-22', toDate: DAY }, 422, 'VALIDATION_FAILED');
    await refused(
      { ...base, fromDate: DAY, toDate: DAY, timeFrom: '15:00', timeTo: '09:00' },
      422,
      'VALIDATION_FAILED',
    );
    await refused({ ...base, fromDate: 'soon', toDate: DAY }, 422, 'VALIDATION_FAILED');
    expect(await count()).toBe(0);

    await join(a.token, { ...base, fromDate: DAY, toDate: '2026-03-26' });
    await refused({ ...base, fromDate: '2026-03-26', toDate: '2026-03-28' }, 409, 'CONFLICT');
    for (let week = 1; week < 5; week++) {
      const from = `2026-0${week < 3 ? 4 : 5}-${week % 2 ? '01' : '15'}`;
      await join(a.token, { ...base, fromDate: from, toDate: from });
    }
    await refused({ ...base, fromDate: '2026-05-20', toDate: '2026-05-20' }, 409, 'CONFLICT');
    expect(await count()).toBe(5);
    // Another patient's entry stays theirs: staff put a patient on the list by naming them.
    const staff = await account('receptionist', now());
    const forPatient = await api.post('/api/v1/waitlist', {
      token: staff.token,
      json: { ...base, fromDate: DAY, toDate: DAY },
    });
    expect(forPatient.status).toBe(422);
    expect(
      await db
        .select()
        .from(waitlistEntries)
        .where(and(eq(waitlistEntries.createdBy, staff.user.id)))
        .all(),
    ).toEqual([]);
  });
  it('Should let staff put a patient on the list, and expire entries whose dates have passed', async () => {
    const { doctor, service, a } = await setup();
    const staff = await account('receptionist', now());
    const res = await api.post('/api/v1/waitlist', {
      token: staff.token,
      json: { doctorId: doctor.user.id, serviceId: service.id, patientId: a.user.id, fromDate: DAY, toDate: DAY },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ patientId: a.user.id, status: 'waiting' });
    expect(await entryRow(res.body.data.id)).toMatchObject({ patientId: a.user.id, createdBy: staff.user.id });
    const mine = await api.get('/api/v1/waitlist', { token: a.token });
    expect(mine.body.data.items.map((e: { id: string }) => e.id)).toEqual([res.body.data.id]);

    // The day after DAY in the doctor's zone the cron ends the entry.
    clock.set('2026-03-25T00:01:00Z');
    await runWaitlistCron();
    expect(await entryRow(res.body.data.id)).toMatchObject({ status: 'expired' });
  });

  it('Should offer the slot of a released hold', async () => {
    const { doctor, service, a, x } = await setup();
    const hold = await api.post('/api/v1/appointments/holds', {
      token: x.token,
      json: { doctorId: doctor.user.id, serviceId: service.id, startsAt: SLOT },
    });
    expect(hold.status).toBe(201);
    const entry = await join(a.token, { doctorId: doctor.user.id, serviceId: service.id, fromDate: DAY, toDate: DAY });
    await runMatching();
    expect(await offersOf(entry.id)).toEqual([]);
    const released = await api.delete(`/api/v1/appointments/holds/${hold.body.data.id}`, { token: x.token });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    await runMatching();
    expect(await offersOf(entry.id)).toEqual([
      expect.objectContaining({ status: 'offered', startsAt: Date.parse(SLOT) }),
    ]);
  });
});
