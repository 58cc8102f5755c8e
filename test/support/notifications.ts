import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { type AppDeps, createContext } from '../../src/context';
import { type DeliveryRow, deliveries, type NotificationRow, notifications } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { CRON_TASKS, runCron } from '../../src/jobs/cron';
import { DEAD_LETTER_QUEUE, handleQueueBatch } from '../../src/jobs/queue';
import { fixedClock } from '../../src/lib/clock';
import type { Job } from '../../src/platform/jobs';
import type { PortAdapters } from '../../src/platform/ports';
import { cloudflareAdapters, cloudflareDeps } from '../../src/runtime/cloudflare';
import { db, testEnv, uniqueId } from '../helpers';

/**
 * The notification pipeline under test: a queue that keeps what is enqueued (so a test, not the local
 * queue, decides when and how often a job is delivered), and the consumer driven with
 * `createMessageBatch`/`getQueueResult` as the Worker's queue handler would be.
 */

/** Adapters whose job queue records the jobs instead of sending them; the rest are the real ones. */
export function capturingQueue() {
  const jobs: Job[] = [];
  const adapters: PortAdapters = (env, deps) => ({
    ...cloudflareAdapters(env, deps),
    jobs: {
      enqueue: async (batch) => {
        jobs.push(...batch);
      },
    },
  });
  /** The jobs of `type` enqueued so far, removed from the record. */
  const take = (type: string): Job[] => {
    const taken = jobs.filter((job) => job.type === type);
    for (const job of taken) jobs.splice(jobs.indexOf(job), 1);
    return taken;
  };
  return { jobs, adapters, take };
}

export interface RunOptions {
  deps?: Partial<AppDeps>;
  env?: Partial<Env>;
  /** The message's delivery attempt (Queues counts from 1). */
  attempts?: number;
  queue?: string;
  /** One message id for all `jobs`, to deliver the same message again. */
  messageIds?: string[];
}

/**
 * Delivers `jobs` as one queue batch to the Worker's queue handler logic and answers what the queue
 * saw: which messages were acked and which were retried.
 */
export async function runQueue(jobs: Job[], options: RunOptions = {}) {
  const messages = jobs.map((body, i) => ({
    id: options.messageIds?.[i] ?? uniqueId('m'),
    timestamp: new Date(),
    attempts: options.attempts ?? 1,
    body,
  }));
  const batch = createMessageBatch(options.queue ?? 'kinwell-jobs', messages);
  const env = { ...testEnv, ...options.env } as Env;
  const ctx = createContext(env, { ...cloudflareDeps, ...options.deps }, { requestId: uniqueId('run') });
  await handleQueueBatch(ctx, batch);
  const result = await getQueueResult(batch, createExecutionContext());
  return { acked: result.explicitAcks, retried: result.retryMessages.map((m: { msgId: string }) => m.msgId), messages };
}

/** Delivers `jobs` to the dead-letter queue's consumer. */
export const runDeadLetters = (jobs: Job[], options: RunOptions = {}) =>
  runQueue(jobs, { ...options, queue: DEAD_LETTER_QUEUE });

/** The ledger rows of a recipient, by channel. */
export async function deliveriesOf(recipientId: string): Promise<Record<string, DeliveryRow>> {
  const rows = await db.select().from(deliveries).where(eq(deliveries.recipientId, recipientId)).all();
  return Object.fromEntries(rows.map((row) => [row.channel, row]));
}

/** An inbox row of `userId`, stored as the pipeline would store it. */
export async function insertNotification(
  userId: string,
  input: Partial<Omit<NotificationRow, 'userId'>> = {},
): Promise<NotificationRow> {
  const row: NotificationRow = {
    id: uniqueId('ntf'),
    userId,
    type: 'system',
    title: 'Scheduled maintenance',
    body: 'Read-only on Sunday night.',
    data: {},
    readAt: null,
    createdAt: Date.now(),
    ...input,
  };
  await db.insert(notifications).values(row);
  return row;
}

/**
 * One cron run at `at` (UTC ms) whose reminders task must succeed; answers the `notify.deliver` jobs it
 * enqueued for `userId` (other tests' reminders may share the run).
 */
export async function reminderJobsAt(at: number, userId: string): Promise<Job[]> {
  const queue = capturingQueue();
  const ctx = createContext(
    testEnv,
    { ...cloudflareDeps, clock: fixedClock(new Date(at)), adapters: queue.adapters },
    { requestId: 'cron' },
  );
  const reports = await runCron(ctx, CRON_TASKS);
  expect(reports.find((r) => r.task === 'reminders.enqueue')).toMatchObject({ ok: true });
  return queue.take('notify.deliver').filter((job) => (job.payload as { recipientId: string }).recipientId === userId);
}
