import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devOutbox, doses, notifications, reminders, userProfiles } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, tokenFor } from '../../helpers';
import { deliveriesOf, reminderJobsAt, runQueue } from '../../support/notifications';

/**
 * Dose reminders through HTTP, the cron on an injected clock and the queue consumer: 10 minutes before
 * each dose, in wall-clock time across DST changes, none for a dose too close, moved and removed with
 * the schedule and its doses, sent once.
 */

const MINUTE = 60_000;
const V1 = '/api/v1';

type Clock = ReturnType<typeof fixedClock>;

const METFORMIN = {
  kind: 'medicine',
  medicineName: 'Metformin',
  dosage: '500 mg',
  quantityPerDose: 1,
  timesOfDay: ['08:00'],
  timeZone: 'Europe/Berlin',
  recurrence: { type: 'interval', everyNDays: 1 },
};

/** A new owner and their schedule, created over HTTP at the clock's time. */
async function ownerWithSchedule(clock: Clock, body: Record<string, unknown> = METFORMIN) {
  const user = await createUser();
  const token = await tokenFor(user, clock.now());
  const api = client({ clock });
  const res = await api.post(`${V1}/schedules`, { token, json: body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { user, token, api, id: res.body.data.id as string };
}

/** The schedule's stored doses, soonest first. */
const dosesOf = (scheduleId: string) =>
  db.select().from(doses).where(eq(doses.scheduleId, scheduleId)).orderBy(asc(doses.scheduledAt)).all();

/** The owner's dose reminders still to be sent, soonest first. */
const pendingOf = (userId: string) =>
  db
    .select()
    .from(reminders)
    .where(and(eq(reminders.recipientId, userId), eq(reminders.kind, 'dose.10m'), eq(reminders.status, 'pending')))
    .orderBy(asc(reminders.dueAt))
    .all();

const cronAt = reminderJobsAt;

const berlinTime = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(ms);

describe('dose reminders', () => {
  it('Should remind the owner 10 minutes before a dose and not a minute before, once however often delivered', async () => {
    // 06:00 UTC = 08:00 in Berlin (CEST): the 09:00 dose is today's, due at 07:00 UTC.
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const { user, id } = await ownerWithSchedule(clock, { ...METFORMIN, timesOfDay: ['09:00'] });
    const stored = await dosesOf(id);
    const pending = await pendingOf(user.id);
    // One reminder per stored dose (today … today + 30 days), each 10 minutes before it.
    expect(pending.map((r) => [r.subjectId, r.dueAt])).toEqual(stored.map((d) => [d.id, d.scheduledAt - 10 * MINUTE]));
    const [first] = stored;
    expect(first!.scheduledAt).toBe(Date.parse('2026-06-01T07:00:00Z'));

    expect(await cronAt(first!.scheduledAt - 11 * MINUTE, user.id)).toEqual([]);
    const [job, ...more] = await cronAt(first!.scheduledAt - 10 * MINUTE, user.id);
    expect(more).toEqual([]);
    expect(job!.payload).toMatchObject({
      recipientId: user.id,
      notice: {
        type: 'medication',
        preference: 'medication',
        template: 'medication-reminder',
        subject: { type: 'dose', id: first!.id },
        data: {
          medicineName: 'Metformin',
          dose: '500 mg',
          at: first!.scheduledAt,
          forName: null,
          doseId: first!.id,
          scheduleId: id,
        },
      },
    });
    // The next minute finds it sent.
    expect(await cronAt(first!.scheduledAt - 9 * MINUTE, user.id)).toEqual([]);

    // The queue delivers the message twice (at-least-once), and once more in one batch.
    const at = { deps: { clock: fixedClock(new Date(first!.scheduledAt - 9 * MINUTE)) } };
    await runQueue([job!], at);
    await runQueue([job!, job!], at);
    const mails = await db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
    expect(mails).toHaveLength(1);
    // In the schedule's zone: the time the owner set.
    expect(mails[0]!.subject).toMatch(/^Kinwell: Time for Metformin at 09:00/);
    expect(mails[0]!.html).toContain('500 mg');
    expect((await deliveriesOf(user.id)).email).toMatchObject({ status: 'sent', attempts: 1 });
    const inbox = await db.select().from(notifications).where(eq(notifications.userId, user.id)).all();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ type: 'medication' });
    expect(inbox[0]!.body).toContain('Metformin');
  });

  it('Should render the reminder in the owner’s language', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const { user, id } = await ownerWithSchedule(clock, { ...METFORMIN, timesOfDay: ['09:00'] });
    await db
      .insert(userProfiles)
      .values({ userId: user.id, preferredLanguage: 'sw', updatedAt: clock.now().getTime() });
    const [first] = await dosesOf(id);
    const [job] = await cronAt(first!.scheduledAt - 10 * MINUTE, user.id);
    await runQueue([job!], { deps: { clock: fixedClock(new Date(first!.scheduledAt - 10 * MINUTE)) } });
    const [mail] = await db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
    expect(mail!.subject).toMatch(/^Kinwell: Wakati wa Metformin: 09:00/);
  });

  it('Should schedule no reminder for a dose less than 10 minutes away when the schedule is created', async () => {
    // 06:51 UTC: today's 09:00 Berlin dose (07:00 UTC) is stored, its reminder time (06:50) has passed.
    const clock = fixedClock('2026-06-01T06:51:00Z');
    const { user, id } = await ownerWithSchedule(clock, { ...METFORMIN, timesOfDay: ['09:00'] });
    const [today, tomorrow] = await dosesOf(id);
    expect(today!.scheduledAt).toBe(Date.parse('2026-06-01T07:00:00Z'));
    const pending = await pendingOf(user.id);
    expect(pending.map((r) => r.subjectId)).not.toContain(today!.id);
    expect(pending[0]).toMatchObject({ subjectId: tomorrow!.id, dueAt: tomorrow!.scheduledAt - 10 * MINUTE });
    expect(await cronAt(Date.parse('2026-06-01T06:59:00Z'), user.id)).toEqual([]);
  });

  it('Should keep the reminder at 07:50 local across spring-forward: an hour earlier in UTC', async () => {
    // Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) at 01:00 UTC on 29 March 2026.
    const clock = fixedClock('2026-03-27T12:00:00Z');
    const { user } = await ownerWithSchedule(clock);
    const pending = await pendingOf(user.id);
    expect(pending.every((r) => berlinTime(r.dueAt) === '07:50')).toBe(true);
    const dueTimes = pending.slice(0, 3).map((r) => new Date(r.dueAt).toISOString());
    expect(dueTimes).toEqual(['2026-03-28T06:50:00.000Z', '2026-03-29T05:50:00.000Z', '2026-03-30T05:50:00.000Z']);

    // The last day on winter time at 06:50 UTC; the first on summer time at 05:50 UTC, not a minute early.
    expect(await cronAt(Date.parse('2026-03-28T06:49:00Z'), user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-03-28T06:50:00Z'), user.id)).toHaveLength(1);
    expect(await cronAt(Date.parse('2026-03-29T05:49:00Z'), user.id)).toEqual([]);
    const due = await cronAt(Date.parse('2026-03-29T05:50:00Z'), user.id);
    expect(due).toHaveLength(1);
    expect((due[0]!.payload as { notice: { subject: { id: string } } }).notice.subject.id).toBe(pending[1]!.subjectId);
  });

  it('Should keep the reminder at 07:50 local across fall-back: an hour later in UTC, not an hour early', async () => {
    // Europe/Berlin moves from CEST (UTC+2) back to CET (UTC+1) at 01:00 UTC on 25 October 2026.
    const clock = fixedClock('2026-10-23T12:00:00Z');
    const { user } = await ownerWithSchedule(clock);
    const pending = await pendingOf(user.id);
    expect(pending.every((r) => berlinTime(r.dueAt) === '07:50')).toBe(true);
    const dueTimes = pending.slice(0, 3).map((r) => new Date(r.dueAt).toISOString());
    expect(dueTimes).toEqual(['2026-10-24T05:50:00.000Z', '2026-10-25T06:50:00.000Z', '2026-10-26T06:50:00.000Z']);

    // 05:50 UTC on the first winter day is 06:50 local: the summer instant would be an hour early.
    expect(await cronAt(Date.parse('2026-10-24T05:49:00Z'), user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-10-24T05:50:00Z'), user.id)).toHaveLength(1);
    expect(await cronAt(Date.parse('2026-10-25T05:50:00Z'), user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-10-25T06:49:00Z'), user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-10-25T06:50:00Z'), user.id)).toHaveLength(1);
  });

  it('Should move reminders with an edit of the times, and carry an edited name', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z');
    const { user, token, api, id } = await ownerWithSchedule(clock, { ...METFORMIN, timeZone: 'UTC' });
    expect((await pendingOf(user.id))[0]!.dueAt).toBe(Date.parse('2026-06-02T07:50:00Z'));

    const moved = await api.patch(`${V1}/schedules/${id}`, { token, json: { timesOfDay: ['09:30'] } });
    expect(moved.status).toBe(200);
    const after = await pendingOf(user.id);
    const stored = await dosesOf(id);
    expect(after.map((r) => [r.subjectId, r.dueAt])).toEqual(
      stored.filter((d) => d.scheduledAt > clock.now().getTime()).map((d) => [d.id, d.scheduledAt - 10 * MINUTE]),
    );
    expect(after.every((r) => new Date(r.dueAt).toISOString().endsWith('T09:20:00.000Z'))).toBe(true);
    // The old 08:00 doses and their reminders are gone: nothing at 07:50.
    expect(await cronAt(Date.parse('2026-06-02T07:50:00Z'), user.id)).toEqual([]);

    const renamed = await api.patch(`${V1}/schedules/${id}`, { token, json: { medicineName: 'Glucophage' } });
    expect(renamed.status).toBe(200);
    const [job] = await cronAt(Date.parse('2026-06-02T09:20:00Z'), user.id);
    expect(job!.payload).toMatchObject({ notice: { data: { medicineName: 'Glucophage', dose: '500 mg' } } });
  });

  it('Should remove a dose’s reminder when it is taken or skipped before the reminder went out', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z');
    const { user, token, api, id } = await ownerWithSchedule(clock, {
      ...METFORMIN,
      timeZone: 'UTC',
      timesOfDay: ['08:00', '20:00'],
    });
    const [evening, morning] = await dosesOf(id);
    expect(evening!.scheduledAt).toBe(Date.parse('2026-06-01T20:00:00Z'));
    expect((await api.post(`${V1}/doses/${evening!.id}/take`, { token, json: {} })).status).toBe(200);
    clock.set('2026-06-01T21:00:00Z');
    const later = await tokenFor(user, clock.now());
    expect((await api.post(`${V1}/doses/${morning!.id}/skip`, { token: later, json: {} })).status).toBe(200);
    const left = (await pendingOf(user.id)).map((r) => r.subjectId);
    expect(left).not.toContain(evening!.id);
    expect(left).not.toContain(morning!.id);
    expect(left).toHaveLength((await dosesOf(id)).filter((d) => d.status === 'pending').length);
    expect(await cronAt(Date.parse('2026-06-02T07:50:00Z'), user.id)).toEqual([]);
  });

  it('Should remove the reminders when the schedule is paused, schedule them again on resume, and remove them on delete', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z');
    const { user, token, api, id } = await ownerWithSchedule(clock, { ...METFORMIN, timeZone: 'UTC' });
    expect(await pendingOf(user.id)).toHaveLength(30);

    expect((await api.post(`${V1}/schedules/${id}/pause`, { token, json: {} })).status).toBe(200);
    expect(await pendingOf(user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-06-02T07:50:00Z'), user.id)).toEqual([]);

    clock.set('2026-06-02T12:00:00Z');
    const later = await tokenFor(user, clock.now());
    expect((await api.post(`${V1}/schedules/${id}/resume`, { token: later, json: {} })).status).toBe(200);
    const resumed = await pendingOf(user.id);
    expect(resumed[0]!.dueAt).toBe(Date.parse('2026-06-03T07:50:00Z'));

    expect((await api.delete(`${V1}/schedules/${id}`, { token: later })).status).toBe(200);
    expect(await pendingOf(user.id)).toEqual([]);
    expect(await cronAt(Date.parse('2026-06-03T07:50:00Z'), user.id)).toEqual([]);
  });

  it('Should give the doses the horizon cron stores their reminders', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z');
    const { user, id } = await ownerWithSchedule(clock, { ...METFORMIN, timeZone: 'UTC' });
    // Ten days on, nobody opened the app: the cron tops the doses up, and their reminders with them.
    await cronAt(Date.parse('2026-06-11T06:00:00Z'), user.id);
    const stored = (await dosesOf(id)).filter((d) => d.scheduledAt - 10 * MINUTE > Date.parse('2026-06-11T06:00:00Z'));
    const pending = await pendingOf(user.id);
    expect(pending.map((r) => r.subjectId)).toEqual(stored.map((d) => d.id));
    expect(stored.at(-1)!.localDate).toBe('2026-07-11');
  });
});
