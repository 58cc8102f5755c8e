import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { devOutbox, reminders, userProfiles } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import type { Job } from '../../../src/platform/jobs';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, tokenFor } from '../../helpers';
import { seedVaccine } from '../../support/catalog';
import { capturingQueue, runQueue } from '../../support/notifications';

/**
 * Vaccine due-date reminders through HTTP, the cron on an injected clock and the queue consumer: at
 * 08:00 in the owner's zone the day before and on the due date, to the guardian for a dependent's dose,
 * moved and removed with the dose, sent once.
 */

const NOW = '2026-03-01T12:00:00Z';
const V1 = '/api/v1';
const SCHEDULES = `${V1}/vaccine-schedules`;

/** An owner (with this profile zone and language, when given) signed in at NOW, and a vaccine. */
async function owner(profile: { timeZone?: string; preferredLanguage?: string } = {}) {
  const clock = fixedClock(NOW);
  const queue = capturingQueue();
  const user = await createUser();
  if (Object.keys(profile).length) {
    await db.insert(userProfiles).values({ userId: user.id, ...profile, updatedAt: clock.now().getTime() });
  }
  const token = await tokenFor(user, clock.now());
  const api = client({ clock, adapters: queue.adapters });
  const vaccine = await seedVaccine();
  const call = (method: string, path: string, json?: unknown) =>
    api.call(method, path, json === undefined ? { token } : { token, json });
  return { user, call, vaccine, queue, clock };
}

/** Schedules doses over HTTP; answers their ids, soonest first. */
async function scheduleDoses(call: Awaited<ReturnType<typeof owner>>['call'], json: Record<string, unknown>) {
  const res = await call('POST', SCHEDULES, json);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.data.items as { id: string }[]).map((item) => item.id);
}

/** The owner's vaccine reminders still to be sent: [dose id, kind, due instant], soonest first. */
const pendingOf = async (userId: string) =>
  (
    await db
      .select()
      .from(reminders)
      .where(
        and(
          eq(reminders.recipientId, userId),
          eq(reminders.subjectType, 'vaccine-schedule'),
          eq(reminders.status, 'pending'),
        ),
      )
      .orderBy(asc(reminders.dueAt), asc(reminders.kind))
      .all()
  ).map((r) => [r.subjectId, r.kind, new Date(r.dueAt).toISOString()]);

/** One cron run at `at`; answers the deliver jobs for `userId` (other tests' reminders may share it). */
async function cronAt(at: string, userId: string): Promise<Job[]> {
  const queue = capturingQueue();
  const ctx = createContext(
    testEnv,
    { ...cloudflareDeps, clock: fixedClock(at), adapters: queue.adapters },
    { requestId: 'cron' },
  );
  const reports = await runCron(ctx, CRON_TASKS);
  expect(reports.find((r) => r.task === 'reminders.enqueue')).toMatchObject({ ok: true });
  return queue.take('notify.deliver').filter((job) => (job.payload as { recipientId: string }).recipientId === userId);
}

const emailsTo = (email: string) =>
  db.select().from(devOutbox).where(eq(devOutbox.recipient, email)).orderBy(asc(devOutbox.createdAt)).all();

describe('vaccine reminders', () => {
  it('Should remind at 08:00 in the owner’s zone the day before and on the due date, across DST, once each', async () => {
    // New York moves to summer time on 8 March 2026: 08:00 is 13:00 UTC on the 7th, 12:00 UTC on the 8th.
    const { user, call, vaccine } = await owner({ timeZone: 'America/New_York' });
    const [id] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-03-08' });
    expect(await pendingOf(user.id)).toEqual([
      [id, 'vaccine.day-before', '2026-03-07T13:00:00.000Z'],
      [id, 'vaccine.morning-of', '2026-03-08T12:00:00.000Z'],
    ]);

    expect(await cronAt('2026-03-07T12:59:00Z', user.id)).toEqual([]);
    const [dayBefore, ...more] = await cronAt('2026-03-07T13:00:00Z', user.id);
    expect(more).toEqual([]);
    expect(dayBefore!.payload).toMatchObject({
      recipientId: user.id,
      notice: {
        type: 'reminder',
        preference: 'reminders',
        template: 'vaccine-due',
        subject: { type: 'vaccine-schedule', id },
        data: { vaccineName: 'DTaP', dueDate: '2026-03-08', when: 'tomorrow', forName: null, vaccineScheduleId: id },
      },
    });
    // Delivered twice by the queue: sent once.
    const atDayBefore = { deps: { clock: fixedClock('2026-03-07T13:00:00Z') } };
    await runQueue([dayBefore!], atDayBefore);
    await runQueue([dayBefore!], atDayBefore);
    expect((await emailsTo(user.email!)).map((m) => m.subject)).toEqual(['Kinwell: Vaccination due tomorrow: DTaP']);

    expect(await cronAt('2026-03-08T11:59:00Z', user.id)).toEqual([]);
    const [morningOf] = await cronAt('2026-03-08T12:00:00Z', user.id);
    expect(morningOf!.payload).toMatchObject({ notice: { kind: expect.stringMatching(/^vaccine\.morning-of@/) } });
    expect(morningOf!.payload).toMatchObject({ notice: { data: { when: 'today' } } });
    await runQueue([morningOf!, morningOf!], { deps: { clock: fixedClock('2026-03-08T12:00:00Z') } });
    expect((await emailsTo(user.email!)).map((m) => m.subject)).toEqual([
      'Kinwell: Vaccination due tomorrow: DTaP',
      'Kinwell: Vaccination due today: DTaP',
    ]);
    expect(await pendingOf(user.id)).toEqual([]);
  });

  it('Should send a dependent’s reminders to the guardian, naming the dependent, in the guardian’s language', async () => {
    // 08:00 in Tokyo (UTC+9, no DST) is 23:00 UTC the day before.
    const { user, call, vaccine } = await owner({ timeZone: 'Asia/Tokyo', preferredLanguage: 'sw' });
    const dependent = await call('POST', `${V1}/users/me/dependents`, {
      name: 'Mia Santos',
      dateOfBirth: '2025-12-01',
      relationship: 'child',
    });
    expect(dependent.status).toBe(201);
    const [id] = await scheduleDoses(call, {
      vaccineId: vaccine.id,
      dependentId: dependent.body.data.id,
      doseNumber: 1,
      dueDate: '2026-03-10',
    });
    expect(await pendingOf(user.id)).toEqual([
      [id, 'vaccine.day-before', '2026-03-08T23:00:00.000Z'],
      [id, 'vaccine.morning-of', '2026-03-09T23:00:00.000Z'],
    ]);
    const [job] = await cronAt('2026-03-08T23:00:00Z', user.id);
    expect(job!.payload).toMatchObject({ recipientId: user.id, notice: { data: { forName: 'Mia Santos' } } });
    await runQueue([job!], { deps: { clock: fixedClock('2026-03-08T23:00:00Z') } });
    const [mail] = await emailsTo(user.email!);
    expect(mail!.subject).toBe('Kinwell: Chanjo inatakiwa kesho: DTaP');
    expect(mail!.html).toContain('Mia Santos');
  });

  it('Should schedule no reminder whose time has passed, in UTC when the profile has no zone', async () => {
    const { user, call, vaccine } = await owner();
    // Now is 12:00 UTC on 1 March: a dose due today has both times behind it; tomorrow's, its morning-of.
    const [today] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-03-01' });
    const [tomorrow] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 2, dueDate: '2026-03-02' });
    expect(today).toBeDefined();
    expect(await pendingOf(user.id)).toEqual([[tomorrow, 'vaccine.morning-of', '2026-03-02T08:00:00.000Z']]);
  });

  it('Should move reminders with the due date, remove them when administered, deleted or switched off, and restore them when switched on', async () => {
    const { user, call, vaccine } = await owner({ timeZone: 'UTC' });
    const [first, second, third] = await scheduleDoses(call, {
      vaccineId: vaccine.id,
      firstDueDate: '2026-04-01',
      series: true,
    });
    // Every dose of the series, however far ahead.
    expect(await pendingOf(user.id)).toHaveLength(6);

    expect((await call('PATCH', `${SCHEDULES}/${second}`, { dueDate: '2026-05-05' })).status).toBe(200);
    const ofSecond = async () => (await pendingOf(user.id)).filter(([subject]) => subject === second);
    const moved = [
      [second, 'vaccine.day-before', '2026-05-04T08:00:00.000Z'],
      [second, 'vaccine.morning-of', '2026-05-05T08:00:00.000Z'],
    ];
    expect(await ofSecond()).toEqual(moved);

    expect((await call('POST', `${SCHEDULES}/${second}/deactivate`)).status).toBe(200);
    expect(await ofSecond()).toEqual([]);
    expect((await call('POST', `${SCHEDULES}/${second}/activate`)).status).toBe(200);
    expect(await ofSecond()).toEqual(moved);

    const given = await call('POST', `${SCHEDULES}/${first}/administer`, {
      administeredOn: '2026-03-01',
      place: 'Riverside Health Centre',
      lotNumber: 'EX1234-B',
    });
    expect(given.status).toBe(200);
    expect((await call('DELETE', `${SCHEDULES}/${third}`)).status).toBe(200);
    expect(await pendingOf(user.id)).toEqual(moved);

    // The whole plan switched off: nothing left to send on the due dates.
    expect((await call('POST', `${SCHEDULES}/${second}/deactivate`, { plan: true })).status).toBe(200);
    expect(await pendingOf(user.id)).toEqual([]);
    expect(await cronAt('2026-05-05T08:00:00Z', user.id)).toEqual([]);
  });

  it('Should re-time the reminders still ahead when the owner’s profile zone changes', async () => {
    const { user, call, vaccine, queue, clock } = await owner({ timeZone: 'UTC' });
    const [past] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-02-01' });
    const [ahead] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 2, dueDate: '2026-04-01' });
    expect(past).toBeDefined();
    const before = await pendingOf(user.id);
    expect((await call('PATCH', `${V1}/users/me`, { timeZone: 'Asia/Tokyo' })).status).toBe(200);
    // The profile change only enqueues: the reminders move when the queue delivers its job, once or twice.
    expect(await pendingOf(user.id)).toEqual(before);
    const jobs = queue.take('users.time-zone-changed');
    expect(jobs).toEqual([{ type: 'users.time-zone-changed', payload: { userId: user.id } }]);
    expect((await runQueue([...jobs, ...jobs], { deps: { clock } })).acked).toHaveLength(2);
    expect(await pendingOf(user.id)).toEqual([
      [ahead, 'vaccine.day-before', '2026-03-30T23:00:00.000Z'],
      [ahead, 'vaccine.morning-of', '2026-03-31T23:00:00.000Z'],
    ]);
    expect(await cronAt('2026-03-31T08:00:00Z', user.id)).toHaveLength(1);
  });

  it('Should remove a dependent’s reminders with the dependent', async () => {
    const { user, call, vaccine } = await owner({ timeZone: 'UTC' });
    const dependent = await call('POST', `${V1}/users/me/dependents`, {
      name: 'Leo Santos',
      dateOfBirth: '2025-11-01',
      relationship: 'child',
    });
    await scheduleDoses(call, {
      vaccineId: vaccine.id,
      dependentId: dependent.body.data.id,
      doseNumber: 1,
      dueDate: '2026-04-01',
    });
    const [own] = await scheduleDoses(call, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-04-01' });
    expect(await pendingOf(user.id)).toHaveLength(4);
    expect((await call('DELETE', `${V1}/users/me/dependents/${dependent.body.data.id}`)).status).toBe(200);
    expect((await pendingOf(user.id)).map(([subject]) => subject)).toEqual([own, own]);
  });
});
