import { type AppDeps, createContext } from '../../context';
import type { Env } from '../../env';
import { CRON_TASKS, runCron } from '../../jobs/cron';
import { type CONSUMERS, type DEAD_LETTER_HANDLERS, DEAD_LETTER_QUEUE, handleQueueBatch } from '../../jobs/queue';
import { createIds } from '../../lib/ids';
import { drainQueues, type QueueSettings } from '../../platform/sql-queue';

/** The queue jobs are sent to (wrangler.toml's `JOBS` producer). */
export const JOBS_QUEUE = 'kinwell-jobs';

/** The consumer settings of wrangler.toml's `[[queues.consumers]]`, for the SQLite queue. */
export const PORTABLE_QUEUES: QueueSettings[] = [
  { name: JOBS_QUEUE, maxBatchSize: 25, maxRetries: 5, retryDelay: 30, deadLetterQueue: DEAD_LETTER_QUEUE },
  { name: DEAD_LETTER_QUEUE, maxBatchSize: 25, maxRetries: 10, retryDelay: 60 },
];

/**
 * One run of a unit of work outside a request (a queue batch, a cron tick), with the context the
 * Worker's `queue` and `scheduled` entries build, its deferred tasks awaited before it ends.
 */
async function unitOfWork<T>(env: Env, deps: AppDeps, run: (ctx: ReturnType<typeof createContext>) => Promise<T>) {
  const deferred: Promise<unknown>[] = [];
  const requestId = createIds(deps.clock, deps.random).id('run');
  const ctx = createContext(env, deps, { requestId, waitUntil: (task) => deferred.push(task) });
  try {
    return await run(ctx);
  } finally {
    await Promise.allSettled(deferred);
  }
}

/**
 * Delivers every due message of the SQLite queue and its dead-letter queue to the same consumers the
 * Worker's `queue` entry runs (`handleQueueBatch`), batch by batch. The pump of Bun and Deno: a
 * scheduler calls it every few seconds. Answers the number of messages delivered.
 */
export function pumpJobs(
  env: Env,
  deps: AppDeps,
  registry: { consumers?: typeof CONSUMERS; deadLetterHandlers?: typeof DEAD_LETTER_HANDLERS } = {},
): Promise<number> {
  return drainQueues(
    env.DB,
    PORTABLE_QUEUES,
    (batch) =>
      unitOfWork(env, deps, (ctx) => handleQueueBatch(ctx, batch, registry.consumers, registry.deadLetterHandlers)),
    { clock: deps.clock, ids: createIds(deps.clock, deps.random) },
  );
}

/** One run of the every-minute cron, as the Worker's `scheduled` entry runs it. */
export function cronTick(env: Env, deps: AppDeps, tasks = CRON_TASKS) {
  return unitOfWork(env, deps, (ctx) => runCron(ctx, tasks));
}
