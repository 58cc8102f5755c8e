/**
 * A unit of background work. `type` picks the consumer in src/jobs/consumers.ts; `key`, when given,
 * makes delivery idempotent (a retried message with a key already recorded is not run twice).
 */
export interface Job<T = unknown> {
  type: string;
  payload: T;
  key?: string;
}

/** Port: enqueues background work. */
export interface JobQueue {
  enqueue(jobs: Job[]): Promise<void>;
}

const QUEUE_BATCH_MAX = 100;

/** Cloudflare Queues adapter; splits into batches of the platform's maximum of 100 messages. */
export function cloudflareQueue(queue: Queue<unknown>): JobQueue {
  return {
    async enqueue(jobs) {
      for (let i = 0; i < jobs.length; i += QUEUE_BATCH_MAX) {
        await queue.sendBatch(jobs.slice(i, i + QUEUE_BATCH_MAX).map((body) => ({ body })));
      }
    },
  };
}
