import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { runBatch } from '../../../src/db/batch';
import { devOutbox, reminders } from '../../../src/db/schema';
import worker from '../../../src/index';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import {
  cancelReminders,
  type ReminderInput,
  reminderDeliveryKind,
  scheduleReminders,
} from '../../../src/modules/notifications/reminders';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { createUser, db, testEnv, uniqueId } from '../../helpers';
import { capturingQueue, deliveriesOf, runQueue } from '../../support/notifications';

/**
 * The reminder core: scheduling in a write batch, the every-minute cron that only enqueues what is due,
 * and delivery through the queue consumer, on an injected clock. The modules that own subjects
 * (appointments, doses, vaccines) test their own reminder times through HTTP.
 */

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T08:00:00Z');

const ctxAt = (at: number, adapters?: ReturnType<typeof capturingQueue>['adapters']) =>
  createContext(
    testEnv,
    { ...cloudflareDeps, clock: fixedClock(new Date(at)), ...(adapters ? { adapters } : {}) },
    { requestId: uniqueId('r') },
  );

/** Schedules `items` at `now`, as an owning module's write batch would. */
const schedule = (items: ReminderInput[], now = T0) => {
  const ctx = ctxAt(now);
  return runBatch(ctx.db, scheduleReminders(ctx, items, now));
};

/** One cron run at `at` with a queue that keeps what it is given; answers the jobs enqueued. */
async function cronAt(at: number) {
  const queue = capturingQueue();
  const reports = await runCron(ctxAt(at, queue.adapters), CRON_TASKS);
  expect(reports.find((r) => r.task === 'reminders.enqueue')).toMatchObject({ ok: true });
  return queue.take('notify.deliver');
}

function reminder(recipientId: string, subjectId: string, kind: string, dueAt: number): ReminderInput<'message'> {
  return {
    subject: { type: 'test-subject', id: subjectId },
    kind,
    recipientId,
    dueAt,
    type: 'reminder',
    template: 'message',
    data: { title: 'Reminder', body: `Due at ${new Date(dueAt).toISOString()}`, subjectId },
  };
}

const rowsOf = (subjectId: string) => db.select().from(reminders).where(eq(reminders.subjectId, subjectId)).all();

/** The enqueued jobs that belong to `subjectId` (other tests' due reminders may share the run). */
const jobsFor = (jobs: Awaited<ReturnType<typeof cronAt>>, subjectId: string) =>
  jobs.filter((job) => (job.payload as { notice: { subject: { id: string } } }).notice.subject.id === subjectId);

describe('reminders', () => {
  it('Should enqueue a reminder at its time and not a minute before, once', async () => {
    const user = await createUser();
    const subjectId = uniqueId('sub');
    await schedule([reminder(user.id, subjectId, 'test.24h', T0 + 24 * HOUR)]);

    expect(jobsFor(await cronAt(T0 + 24 * HOUR - 60_000), subjectId)).toEqual([]);
    const due = jobsFor(await cronAt(T0 + 24 * HOUR), subjectId);
    expect(due).toHaveLength(1);
    expect(due[0]!.payload).toMatchObject({
      recipientId: user.id,
      notice: { kind: reminderDeliveryKind({ kind: 'test.24h', dueAt: T0 + 24 * HOUR }), type: 'reminder' },
    });
    expect(await rowsOf(subjectId)).toMatchObject([{ status: 'enqueued', enqueuedAt: T0 + 24 * HOUR }]);
    // The next minute finds nothing more.
    expect(jobsFor(await cronAt(T0 + 24 * HOUR + 60_000), subjectId)).toEqual([]);
  });

  it('Should not schedule a reminder whose time has passed when its subject is created', async () => {
    const user = await createUser();
    const subjectId = uniqueId('sub');
    // A subject three hours ahead: its 24 h reminder has passed, its 1 h one has not.
    const startsAt = T0 + 3 * HOUR;
    await schedule([
      reminder(user.id, subjectId, 'test.24h', startsAt - 24 * HOUR),
      reminder(user.id, subjectId, 'test.1h', startsAt - HOUR),
    ]);
    expect((await rowsOf(subjectId)).map((r) => [r.kind, r.dueAt])).toEqual([['test.1h', startsAt - HOUR]]);
  });

  it('Should move a pending reminder when scheduled again, and send a sent one again for a new time', async () => {
    const user = await createUser();
    const subjectId = uniqueId('sub');
    await schedule([reminder(user.id, subjectId, 'test.1h', T0 + 2 * HOUR)]);
    // Moved before it was due: only the new time sends.
    await schedule([reminder(user.id, subjectId, 'test.1h', T0 + 5 * HOUR)], T0 + HOUR);
    expect(jobsFor(await cronAt(T0 + 2 * HOUR), subjectId)).toEqual([]);
    const [job] = jobsFor(await cronAt(T0 + 5 * HOUR), subjectId);
    await runQueue([job!], { deps: { clock: fixedClock(new Date(T0 + 5 * HOUR)) } });

    // Replaying the same schedule (same time) after it was enqueued does not send it again…
    await schedule([reminder(user.id, subjectId, 'test.1h', T0 + 5 * HOUR)], T0 + 5 * HOUR - 1);
    expect(jobsFor(await cronAt(T0 + 5 * HOUR + 60_000), subjectId)).toEqual([]);
    // …but moving it after it was sent is a new reminder for the new time.
    await schedule([reminder(user.id, subjectId, 'test.1h', T0 + 30 * HOUR)], T0 + 6 * HOUR);
    const [moved] = jobsFor(await cronAt(T0 + 30 * HOUR), subjectId);
    await runQueue([moved!], { deps: { clock: fixedClock(new Date(T0 + 30 * HOUR)) } });
    const mails = await db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
    expect(mails.map((m) => m.body)).toEqual([
      `Due at ${new Date(T0 + 5 * HOUR).toISOString()}`,
      `Due at ${new Date(T0 + 30 * HOUR).toISOString()}`,
    ]);
  });

  it('Should remove pending reminders on cancel, leaving other subjects and recipients alone', async () => {
    const [patient, doctor] = [await createUser(), await createUser()];
    const [cancelled, kept] = [uniqueId('sub'), uniqueId('sub')];
    await schedule([
      reminder(patient.id, cancelled, 'test.1h', T0 + 2 * HOUR),
      reminder(doctor.id, cancelled, 'test.1h', T0 + 2 * HOUR),
      reminder(patient.id, kept, 'test.1h', T0 + 2 * HOUR),
    ]);
    const ctx = ctxAt(T0);
    await cancelReminders(ctx, { type: 'test-subject', id: cancelled }).run();
    expect(await rowsOf(cancelled)).toEqual([]);
    const jobs = await cronAt(T0 + 2 * HOUR);
    expect(jobsFor(jobs, cancelled)).toEqual([]);
    expect(jobsFor(jobs, kept)).toHaveLength(1);
  });

  it('Should send once when a crash between enqueue and mark makes the next run enqueue the reminder again', async () => {
    const user = await createUser();
    const subjectId = uniqueId('sub');
    await schedule([reminder(user.id, subjectId, 'test.1h', T0 + HOUR)]);
    const [first] = jobsFor(await cronAt(T0 + HOUR), subjectId);
    // The mark never happened: the row is pending again and the next minute enqueues it a second time.
    await db.update(reminders).set({ status: 'pending' }).where(eq(reminders.subjectId, subjectId));
    const [second] = jobsFor(await cronAt(T0 + HOUR + 60_000), subjectId);
    expect(second).toEqual(first);
    const at = { deps: { clock: fixedClock(new Date(T0 + HOUR + 60_000)) } };
    await runQueue([first!], at);
    await runQueue([second!], at);
    const mails = await db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
    expect(mails).toHaveLength(1);
    expect((await deliveriesOf(user.id)).email).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('Should enqueue due reminders in pages until none is left', async () => {
    const user = await createUser();
    const subjectIds = Array.from({ length: 7 }, () => uniqueId('sub'));
    await schedule(subjectIds.map((id, i) => reminder(user.id, id, 'test.1h', T0 + HOUR + i * 1000)));
    const queue = capturingQueue();
    const { enqueueDueReminders } = await import('../../../src/modules/notifications/reminders');
    const ctx = ctxAt(T0 + 2 * HOUR, queue.adapters);
    await enqueueDueReminders(ctx, { pageSize: 3 });
    const mine = queue
      .take('notify.deliver')
      .filter((job) => subjectIds.includes((job.payload as { notice: { subject: { id: string } } }).notice.subject.id));
    expect(mine).toHaveLength(7);
    const rows = await db
      .select()
      .from(reminders)
      .where(and(eq(reminders.recipientId, user.id), eq(reminders.status, 'pending')))
      .all();
    expect(rows).toEqual([]);
  });

  it('Should run from the Worker scheduled handler', async () => {
    const user = await createUser();
    const subjectId = uniqueId('sub');
    // Stored as if scheduled earlier: the real clock's "now" is past it.
    await db.insert(reminders).values({
      id: uniqueId('rmd'),
      subjectType: 'test-subject',
      subjectId,
      kind: 'test.1h',
      recipientId: user.id,
      dueAt: Date.now() - 60_000,
      status: 'pending',
      notice: { type: 'reminder', preference: 'reminders', template: 'message', data: { title: 'R', body: 'B' } },
      createdAt: Date.now() - HOUR,
      updatedAt: Date.now() - HOUR,
    });
    const controller = createScheduledController({ scheduledTime: new Date(), cron: '* * * * *' });
    const execution = createExecutionContext();
    await worker.scheduled(controller, testEnv, execution);
    await waitOnExecutionContext(execution);
    expect(await rowsOf(subjectId)).toMatchObject([{ status: 'enqueued' }]);
  });
});
