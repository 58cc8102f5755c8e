import type { ServiceContext } from '../context';
import { deadJobs } from '../db/schema';
import type { Job } from '../platform/jobs';

/** A consumer delivers one job type. Throwing retries the message (with backoff, then the DLQ). */
export type JobConsumer = (ctx: ServiceContext, job: Job) => Promise<void>;

/** Consumers by job type. Modules register theirs here (notifications, reminders, …). */
export const CONSUMERS: Record<string, JobConsumer> = {};

export const DEAD_LETTER_QUEUE = 'kinwell-jobs-dlq';

const isJob = (body: unknown): body is Job =>
  typeof body === 'object' && body !== null && typeof (body as Job).type === 'string';

/** Exponential backoff: 30 s, 60 s, 120 s … capped at 15 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 900);
}

/** Records a message that will never be delivered in `dead_jobs` (once per message id) and acks it. */
async function deadLetter(ctx: ServiceContext, queue: string, message: Message<unknown>): Promise<void> {
  await ctx.db
    .insert(deadJobs)
    .values({
      id: ctx.ids.id('dlq'),
      messageId: message.id,
      queue,
      type: isJob(message.body) ? message.body.type : null,
      body: message.body,
      attempts: message.attempts,
      receivedAt: ctx.clock.now().getTime(),
    })
    .onConflictDoNothing();
  ctx.log.log('error', 'job.dead_lettered', { messageId: message.id, queue });
  message.ack();
}

/**
 * Handles one queue batch. Main queue: each message goes to its consumer; success acks, failure retries
 * with backoff. Dead-letter queue (and a message of unknown type): the message is recorded in `dead_jobs` for inspection and acked.
 */
export async function handleQueueBatch(
  ctx: ServiceContext,
  batch: MessageBatch<unknown>,
  consumers: Record<string, JobConsumer> = CONSUMERS,
): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) await deadLetter(ctx, batch.queue, message);
    return;
  }
  for (const message of batch.messages) {
    const job = message.body;
    const consumer = isJob(job) ? consumers[job.type] : undefined;
    if (!isJob(job) || !consumer) {
      // Unknown work can never succeed: record it for inspection instead of retrying.
      await deadLetter(ctx, batch.queue, message);
      continue;
    }
    try {
      await consumer(ctx, job);
      message.ack();
    } catch (err) {
      ctx.log.log('warn', 'job.failed', { messageId: message.id, type: job.type, error: String(err) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
