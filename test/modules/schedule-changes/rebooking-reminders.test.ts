import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { reminders } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import type { Job } from '../../../src/platform/jobs';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, uniqueId } from '../../helpers';
import { capturingQueue } from '../../support/notifications';
import { account, practice } from '../../support/practice';

/**
 * The reminders of an appointment a schedule change takes: flagging it (time off, closed special hours)
 * removes its pending reminders in the same batch, so nobody is told "in one hour" of a visit the doctor
 * cannot attend; undoing the change schedules them again for the time it keeps; a rebook schedules them
 * for the new time. Asserted on the reminders table and on what the every-minute cron enqueues.
 */

const HOUR = 3_600_000;
const NOW = '2026-03-23T08:00:00Z'; // a Monday
const api = client({ clock: fixedClock(NOW) });
const V1 = '/api/v1';
const START = '2026-03-25T10:00:00.000Z';

async function scene() {
  const p = await practice(new Date(NOW));
  const patient = await account('user', new Date(NOW));
  return { ...p, service: p.services[0]!, patient };
}

type Scene = Awaited<ReturnType<typeof scene>>;

async function book(s: Scene, startsAt = START) {
  const res = await api.post(`${V1}/appointments`, {
    token: s.patient.token,
    json: { doctorId: s.doctor.user.id, serviceId: s.service.id, startsAt, type: 'video' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { id: string };
}

const rowsOf = async (appointmentId: string) =>
  (
    await db
      .select()
      .from(reminders)
      .where(and(eq(reminders.subjectType, 'appointment'), eq(reminders.subjectId, appointmentId)))
      .all()
  )
    .map((r) => ({ kind: r.kind, recipientId: r.recipientId, dueAt: r.dueAt, status: r.status }))
    .sort((a, b) => a.dueAt - b.dueAt || a.recipientId.localeCompare(b.recipientId));

/** The four pending reminders of an appointment starting at `start`, as `rowsOf` lists them. */
const pendingAt = (s: Scene, start: number) =>
  [
    ['appointment.24h', 24 * HOUR],
    ['appointment.1h', HOUR],
  ]
    .flatMap(([kind, before]) =>
      [s.patient.user.id, s.doctor.user.id].map((recipientId) => ({
        kind: kind as string,
        recipientId,
        dueAt: start - (before as number),
        status: 'pending',
      })),
    )
    .sort((a, b) => a.dueAt - b.dueAt || a.recipientId.localeCompare(b.recipientId));

/** One cron run at `instant`; the `notify.deliver` jobs it enqueued for `appointmentId`. */
async function cronAt(instant: number, appointmentId: string): Promise<Job[]> {
  const queue = capturingQueue();
  const ctx = createContext(
    testEnv,
    { ...cloudflareDeps, clock: fixedClock(new Date(instant)), adapters: queue.adapters },
    { requestId: uniqueId('r') },
  );
  const reports = await runCron(ctx, CRON_TASKS);
  expect(reports.find((r) => r.task === 'reminders.enqueue')).toMatchObject({ ok: true });
  return queue
    .take('notify.deliver')
    .filter((job) => (job.payload as { notice: { subject: { id: string } } }).notice.subject.id === appointmentId);
}

const vacation = (s: Scene, date: string) =>
  api.post(`${V1}/doctors/${s.doctor.user.id}/time-off`, {
    token: s.doctor.token,
    json: { kind: 'vacation', startDate: date, reason: 'Family trip' },
  });

describe('reminders of appointments a schedule change takes', () => {
  it('Should remove the reminders of an appointment a vacation flags, and schedule them again when the vacation is removed', async () => {
    const s = await scene();
    const appointment = await book(s);
    const start = Date.parse(START);
    expect(await rowsOf(appointment.id)).toEqual(pendingAt(s, start));

    const off = await vacation(s, '2026-03-25');
    expect(off.status, JSON.stringify(off.body)).toBe(201);
    expect(off.body.data.affected.map((a: { id: string }) => a.id)).toEqual([appointment.id]);
    expect(await rowsOf(appointment.id)).toEqual([]);
    expect(await cronAt(start - HOUR, appointment.id)).toEqual([]);

    const removed = await api.delete(`${V1}/doctors/${s.doctor.user.id}/time-off/${off.body.data.id}`, {
      token: s.doctor.token,
    });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.data.restored.map((a: { id: string }) => a.id)).toEqual([appointment.id]);
    expect(await rowsOf(appointment.id)).toEqual(pendingAt(s, start));
    // The calendar SEQUENCE counts the flag and its clearing (the booking was never changed before).
    const stored = await db.select().from(reminders).where(eq(reminders.subjectId, appointment.id)).all();
    for (const r of stored) expect((r.notice as { data: { sequence: number } }).data.sequence).toBe(2);

    for (const [lead, before] of [
      ['24h', 24 * HOUR],
      ['1h', HOUR],
    ] as const) {
      const jobs = await cronAt(start - before, appointment.id);
      expect(jobs.map((j) => (j.payload as { recipientId: string }).recipientId).sort()).toEqual(
        [s.patient.user.id, s.doctor.user.id].sort(),
      );
      for (const job of jobs) {
        expect((job.payload as { notice: { data: { lead: string } } }).notice.data.lead).toBe(lead);
      }
    }
  });

  it('Should schedule the reminders for the new time when a flagged appointment is rebooked', async () => {
    const s = await scene();
    const appointment = await book(s);
    const off = await vacation(s, '2026-03-25');
    expect(off.status).toBe(201);
    expect(await rowsOf(appointment.id)).toEqual([]);

    const newStart = '2026-03-26T10:00:00.000Z';
    const moved = await api.post(`${V1}/appointments/${appointment.id}/rebook`, {
      token: s.patient.token,
      json: { startsAt: newStart },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toMatchObject({ startsAt: newStart, needsRebooking: false });
    expect(await rowsOf(appointment.id)).toEqual(pendingAt(s, Date.parse(newStart)));
    expect(await cronAt(Date.parse(START) - HOUR, appointment.id)).toEqual([]);
    // The 24 h ones of the new time (not enqueued before) and its 1 h ones, nothing of the old time.
    const jobs = await cronAt(Date.parse(newStart) - HOUR, appointment.id);
    expect(jobs.map((j) => (j.payload as { notice: { data: { startsAt: number } } }).notice.data.startsAt)).toEqual(
      Array(4).fill(Date.parse(newStart)),
    );
  });

  it('Should remove the reminders when closed special hours flag the appointment, and restore them when removed', async () => {
    const s = await scene();
    const appointment = await book(s);
    const start = Date.parse(START);
    const path = `${V1}/doctors/${s.doctor.user.id}/special-hours/2026-03-25`;

    const closed = await api.put(path, { token: s.doctor.token, json: { closed: true } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.data.affected.map((a: { id: string }) => a.id)).toEqual([appointment.id]);
    expect(await rowsOf(appointment.id)).toEqual([]);
    expect(await cronAt(start - 24 * HOUR, appointment.id)).toEqual([]);

    const reopened = await api.delete(path, { token: s.doctor.token });
    expect(reopened.status, JSON.stringify(reopened.body)).toBe(200);
    expect(reopened.body.data.restored.map((a: { id: string }) => a.id)).toEqual([appointment.id]);
    expect(await rowsOf(appointment.id)).toEqual(pendingAt(s, start));
  });
});
