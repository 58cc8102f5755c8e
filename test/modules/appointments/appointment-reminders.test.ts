import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { devOutbox, reminders, type UserRow } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import type { Job } from '../../../src/platform/jobs';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, tokenFor, uniqueId } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { capturingQueue, runQueue } from '../../support/notifications';
import { account, insertAppointment, type PracticeOptions, practice } from '../../support/practice';

/**
 * Appointment reminders, end to end: booked, moved and removed through HTTP on an injected clock, then
 * the every-minute cron at chosen instants (over a queue that keeps what it is given), then the queue
 * consumer delivering to the outbox.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const NOW = '2026-03-23T08:00:00Z';
const api = client({ clock: fixedClock(NOW) });
const V1 = '/api/v1';
const START = '2026-03-25T10:00:00.000Z';

/** A client whose clock reads `at`, and tokens valid then. */
const at = (instant: string | number) => {
  const clock = fixedClock(new Date(instant));
  const app = client({ clock });
  return { app, token: (user: UserRow) => tokenFor(user, clock.now()) };
};

async function scene(options: PracticeOptions = {}) {
  const p = await practice(new Date(NOW), options);
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
  return res.body.data as { id: string; status: string };
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

const deliver = (jobs: Job[], instant: number) => runQueue(jobs, { deps: { clock: fixedClock(new Date(instant)) } });
const mailsTo = (user: UserRow) => db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
const recipientsOf = (jobs: Job[]) => jobs.map((j) => (j.payload as { recipientId: string }).recipientId).sort();
const kindsOf = (jobs: Job[]) => jobs.map((j) => (j.payload as { notice: { kind: string } }).notice.kind);

describe('appointment reminders', () => {
  it('Should send the 24 h and the 1 h reminder to the patient and the doctor at their times and not a minute before', async () => {
    const s = await scene();
    const appointment = await book(s);
    expect(appointment.status).toBe('pending');
    const start = Date.parse(START);
    const [patientId, doctorId] = [s.patient.user.id, s.doctor.user.id];
    const row = (kind: string, recipientId: string, dueAt: number) => ({ kind, recipientId, dueAt, status: 'pending' });
    expect(await rowsOf(appointment.id)).toEqual(
      [
        row('appointment.24h', patientId, start - 24 * HOUR),
        row('appointment.24h', doctorId, start - 24 * HOUR),
        row('appointment.1h', patientId, start - HOUR),
        row('appointment.1h', doctorId, start - HOUR),
      ].sort((a, b) => a.dueAt - b.dueAt || a.recipientId.localeCompare(b.recipientId)),
    );

    for (const { lead, dueAt, subject } of [
      {
        lead: '24h',
        dueAt: start - 24 * HOUR,
        subject: 'Kinwell: Reminder: appointment on Wednesday, March 25, 2026 at 10:00 AM UTC',
      },
      { lead: '1h', dueAt: start - HOUR, subject: 'Kinwell: Starting in one hour: appointment at 10:00 AM UTC' },
    ]) {
      expect(await cronAt(dueAt - MINUTE, appointment.id)).toEqual([]);
      const jobs = await cronAt(dueAt, appointment.id);
      expect(recipientsOf(jobs)).toEqual([patientId, doctorId].sort());
      expect(jobs[0]!.payload).toMatchObject({
        notice: {
          type: 'reminder',
          template: 'appointment-reminder',
          subject: { type: 'appointment', id: appointment.id },
          data: { appointmentId: appointment.id, lead, startsAt: start, doctorName: 'Test Person' },
        },
      });
      expect(await deliver(jobs, dueAt)).toMatchObject({ retried: [] });
      for (const user of [s.patient.user, s.doctor.user]) {
        const mails = await mailsTo(user);
        expect(mails.at(-1)?.subject).toBe(subject);
      }
      // The next minute finds nothing more for it.
      expect(await cronAt(dueAt + MINUTE, appointment.id)).toEqual([]);
    }
    expect(await mailsTo(s.patient.user)).toHaveLength(2);
    expect(await mailsTo(s.doctor.user)).toHaveLength(2);
    expect((await rowsOf(appointment.id)).map((r) => r.status)).toEqual(Array(4).fill('enqueued'));
    // Each side reads about the other.
    const [patientMail] = await mailsTo(s.patient.user);
    expect(patientMail!.body).toContain('Your appointment with Dr.');
    const [doctorMail] = await mailsTo(s.doctor.user);
    expect(doctorMail!.body).toContain('Your appointment with Test Person');
  });

  it('Should send the same reminder job once when the queue delivers it twice', async () => {
    const s = await scene();
    const appointment = await book(s);
    const dueAt = Date.parse(START) - HOUR;
    await deliver(await cronAt(dueAt - 24 * HOUR + HOUR, appointment.id), dueAt - 24 * HOUR + HOUR);
    const jobs = await cronAt(dueAt, appointment.id);
    const mine = jobs.filter((j) => (j.payload as { recipientId: string }).recipientId === s.patient.user.id);
    expect(kindsOf(mine)).toEqual([`appointment.1h@${new Date(dueAt).toISOString()}`]);
    const messageIds = [uniqueId('m')];
    await runQueue(mine, { deps: { clock: fixedClock(new Date(dueAt)) }, messageIds });
    await runQueue(mine, { deps: { clock: fixedClock(new Date(dueAt + MINUTE)) }, messageIds, attempts: 2 });
    expect((await mailsTo(s.patient.user)).map((m) => m.subject)).toEqual([
      'Kinwell: Reminder: appointment on Wednesday, March 25, 2026 at 10:00 AM UTC',
      'Kinwell: Starting in one hour: appointment at 10:00 AM UTC',
    ]);
  });

  it('Should give a booking three hours ahead its 1 h reminders only', async () => {
    const s = await scene();
    const startsAt = Date.parse(NOW) + 3 * HOUR;
    const appointment = await book(s, new Date(startsAt).toISOString());
    expect((await rowsOf(appointment.id)).map((r) => [r.kind, r.dueAt])).toEqual([
      ['appointment.1h', startsAt - HOUR],
      ['appointment.1h', startsAt - HOUR],
    ]);
    expect(await cronAt(Date.parse(NOW) + MINUTE, appointment.id)).toEqual([]);
    const jobs = await cronAt(startsAt - HOUR, appointment.id);
    expect(kindsOf(jobs).every((kind) => kind.startsWith('appointment.1h@'))).toBe(true);
    expect(recipientsOf(jobs)).toEqual([s.patient.user.id, s.doctor.user.id].sort());
  });

  it('Should move the reminders on reschedule: the old times send nothing, the new ones send', async () => {
    const s = await scene();
    const appointment = await book(s);
    const oldStart = Date.parse(START);
    // The 24 h reminder went out before the move; the move comes after it.
    const sent = await cronAt(oldStart - 24 * HOUR, appointment.id);
    await deliver(sent, oldStart - 24 * HOUR);
    const later = at(oldStart - 20 * HOUR);
    const NEW = '2026-03-27T14:00:00.000Z';
    const moved = await later.app.post(`${V1}/appointments/${appointment.id}/reschedule`, {
      token: await later.token(s.patient.user),
      json: { startsAt: NEW },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const newStart = Date.parse(NEW);
    expect((await rowsOf(appointment.id)).map((r) => [r.kind, r.dueAt, r.status])).toEqual([
      ['appointment.24h', newStart - 24 * HOUR, 'pending'],
      ['appointment.24h', newStart - 24 * HOUR, 'pending'],
      ['appointment.1h', newStart - HOUR, 'pending'],
      ['appointment.1h', newStart - HOUR, 'pending'],
    ]);
    expect(await cronAt(oldStart - HOUR, appointment.id)).toEqual([]);
    for (const dueAt of [newStart - 24 * HOUR, newStart - HOUR]) {
      expect(await cronAt(dueAt - MINUTE, appointment.id)).toEqual([]);
      const jobs = await cronAt(dueAt, appointment.id);
      expect(recipientsOf(jobs)).toEqual([s.patient.user.id, s.doctor.user.id].sort());
      await deliver(jobs, dueAt);
    }
    const mails = await mailsTo(s.patient.user);
    expect(mails.map((m) => m.subject)).toEqual([
      'Kinwell: Reminder: appointment on Wednesday, March 25, 2026 at 10:00 AM UTC',
      'Kinwell: Reminder: appointment on Friday, March 27, 2026 at 02:00 PM UTC',
      'Kinwell: Starting in one hour: appointment at 02:00 PM UTC',
    ]);
  });

  it('Should move the 24 h reminder away when a reschedule brings the start within a day', async () => {
    const s = await scene();
    const appointment = await book(s);
    const NEW = '2026-03-23T15:00:00.000Z';
    const moved = await api.post(`${V1}/appointments/${appointment.id}/reschedule`, {
      token: s.patient.token,
      json: { startsAt: NEW },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await rowsOf(appointment.id)).map((r) => [r.kind, r.dueAt])).toEqual([
      ['appointment.1h', Date.parse(NEW) - HOUR],
      ['appointment.1h', Date.parse(NEW) - HOUR],
    ]);
  });

  it('Should remove the reminders on cancel and on reject, so nothing is sent', async () => {
    for (const [action, who] of [
      ['cancel', 'patient'],
      ['reject', 'doctor'],
    ] as const) {
      const s = await scene();
      const appointment = await book(s);
      const token = who === 'patient' ? s.patient.token : s.doctor.token;
      const res = await api.post(`${V1}/appointments/${appointment.id}/${action}`, {
        token,
        json: { reason: 'Cannot make it' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await rowsOf(appointment.id)).toEqual([]);
      expect(await cronAt(Date.parse(START) - 24 * HOUR, appointment.id)).toEqual([]);
      expect(await cronAt(Date.parse(START) - HOUR, appointment.id)).toEqual([]);
    }
  });

  it('Should keep the reminders on confirm and remove them once the visit starts, through completion', async () => {
    const s = await scene();
    const appointment = await book(s);
    const doctor = (action: string) =>
      api.post(`${V1}/appointments/${appointment.id}/${action}`, { token: s.doctor.token, json: {} });
    expect((await doctor('confirm')).status).toBe(200);
    expect(await rowsOf(appointment.id)).toHaveLength(4);
    // Started early: a "starts in one hour" would now be wrong.
    expect((await doctor('start')).status).toBe(200);
    expect(await rowsOf(appointment.id)).toEqual([]);
    expect((await doctor('complete')).status).toBe(200);
    expect(await cronAt(Date.parse(START) - HOUR, appointment.id)).toEqual([]);
  });

  it('Should remove reminders not yet sent when the visit is marked a no-show', async () => {
    const s = await scene();
    const appointment = await book(s);
    expect(
      (await api.post(`${V1}/appointments/${appointment.id}/confirm`, { token: s.doctor.token, json: {} })).status,
    ).toBe(200);
    // The cron has not run since before the reminders' times (an outage): they are still pending.
    const after = at(Date.parse(START) + MINUTE);
    const res = await after.app.post(`${V1}/appointments/${appointment.id}/no-show`, {
      token: await after.token(s.doctor.user),
      json: {},
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await rowsOf(appointment.id)).toEqual([]);
    expect(await cronAt(Date.parse(START) + 2 * MINUTE, appointment.id)).toEqual([]);
  });

  it('Should schedule the reminders of a follow-up booked by the doctor', async () => {
    const s = await scene();
    const original = await insertAppointment({
      patientId: s.patient.user.id,
      doctorId: s.doctor.user.id,
      serviceId: s.service.id,
      startsAt: '2026-03-20T10:00:00.000Z',
      status: 'completed',
    });
    const res = await api.post(`${V1}/appointments/${original.id}/follow-ups`, {
      token: s.doctor.token,
      json: { startsAt: START },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const rows = await rowsOf(res.body.data.id);
    expect(rows.map((r) => [r.kind, r.dueAt])).toEqual([
      ['appointment.24h', Date.parse(START) - 24 * HOUR],
      ['appointment.24h', Date.parse(START) - 24 * HOUR],
      ['appointment.1h', Date.parse(START) - HOUR],
      ['appointment.1h', Date.parse(START) - HOUR],
    ]);
    expect(new Set(rows.map((r) => r.recipientId))).toEqual(new Set([s.patient.user.id, s.doctor.user.id]));
  });

  it('Should send the 24 h reminder 24 hours of real time before a start across a DST change, shown in each recipient’s zone', async () => {
    // Berlin moves to summer time on 29 March 2026 at 01:00 UTC: 10:00 local that day is 08:00 UTC,
    // and 24 hours before is 09:00 local on the 28th, not 10:00.
    const s = await scene({ timeZone: 'Europe/Berlin' });
    const patientZone = await api.patch(`${V1}/users/me`, {
      token: s.patient.token,
      json: { timeZone: 'America/New_York' },
    });
    expect(patientZone.status, JSON.stringify(patientZone.body)).toBe(200);
    const startsAt = Date.parse('2026-03-29T08:00:00Z');
    const appointment = await book(s, new Date(startsAt).toISOString());
    const dueAt = Date.parse('2026-03-28T08:00:00Z');
    expect(startsAt - dueAt).toBe(24 * HOUR);
    expect(await cronAt(dueAt - MINUTE, appointment.id)).toEqual([]);
    const jobs = await cronAt(dueAt, appointment.id);
    expect(jobs).toHaveLength(2);
    await deliver(jobs, dueAt);
    // The patient's profile zone (New York, already on summer time: 04:00 EDT); the doctor has none,
    // so theirs is the practice's (Berlin, 10:00 summer time).
    const [patientMail] = await mailsTo(s.patient.user);
    expect(patientMail!.subject).toBe('Kinwell: Reminder: appointment on Sunday, March 29, 2026 at 04:00 AM EDT');
    expect(patientMail!.html).toContain('coming up on Sunday, March 29, 2026 at 04:00 AM EDT.');
    const [doctorMail] = await mailsTo(s.doctor.user);
    expect(doctorMail!.subject).toBe('Kinwell: Reminder: appointment on Sunday, March 29, 2026 at 10:00 AM GMT+2');
    expect(doctorMail!.body).toContain('When: Sunday, March 29, 2026 at 10:00 AM GMT+2');
  });

  it('Should remove the other party’s reminders when an account erasure cancels or deletes the appointment', async () => {
    const admin = await account('admin', new Date(NOW));
    // The patient deletes their own account: the appointment is cancelled, the doctor is not reminded.
    const s = await scene();
    const user = await userWithPassword();
    const patient = { user, token: await tokenFor(user, new Date(NOW)) };
    const cancelled = await book({ ...s, patient });
    const gone = await api.delete(`${V1}/users/me`, { token: patient.token, json: { password: STRONG_PASSWORD } });
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(await rowsOf(cancelled.id)).toEqual([]);
    // An admin purges a patient: the appointment goes, and with it the doctor's reminders.
    const purgedPatient = await scene();
    const purged = await book(purgedPatient);
    const res = await api.delete(`${V1}/admin/users/${purgedPatient.patient.user.id}`, {
      token: admin.token,
      json: { reason: 'Requested by the account holder' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await rowsOf(purged.id)).toEqual([]);
    // A doctor's account is deleted: their appointments are cancelled, their patients are not reminded.
    const doctorGone = await scene();
    const orphaned = await book(doctorGone);
    const removed = await api.delete(`${V1}/admin/users/${doctorGone.doctor.user.id}`, {
      token: admin.token,
      json: {},
    });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(await rowsOf(orphaned.id)).toEqual([]);
    for (const id of [cancelled.id, purged.id, orphaned.id]) {
      expect(await cronAt(Date.parse(START) - HOUR, id)).toEqual([]);
    }
  });
});
