import { eq } from 'drizzle-orm';
import { NOTIFY_BROADCAST, NOTIFY_DELIVER } from '../access/notices';
import type { ServiceContext } from '../context';
import { deadJobs } from '../db/schema';
import { CANCELLATION_REFUND_JOB } from '../modules/appointments/payment-state';
import { TIME_FREED_JOB } from '../modules/availability/time-freed';
import { fanOutBroadcast } from '../modules/notifications/broadcast.service';
import { deliverNotice } from '../modules/notifications/deliver.service';
import { markDeliveriesDead } from '../modules/notifications/deliveries.service';
import { executeCancellationRefund, executeRefundJob, REFUND_EXECUTE_JOB } from '../modules/payments/refunds.service';
import { TIME_ZONE_CHANGED } from '../modules/users/profile.service';
import { retimeOwnerVaccineReminders } from '../modules/vaccinations/vaccine-reminders';
import { consumeTimeFreed } from '../modules/waitlist/offers.service';
import type { Job } from '../platform/jobs';

/** A consumer delivers one job type. Throwing retries the message (with backoff, then the DLQ). */
export type JobConsumer = (ctx: ServiceContext, job: Job) => Promise<void>;

/** Consumers by job type. Modules register theirs here (notifications, reminders, …). */
export const CONSUMERS: Record<string, JobConsumer> = {
  [NOTIFY_DELIVER]: deliverNotice,
  [NOTIFY_BROADCAST]: (ctx, job) => fanOutBroadcast(ctx, job),
  [TIME_ZONE_CHANGED]: retimeOwnerVaccineReminders,
  [CANCELLATION_REFUND_JOB]: executeCancellationRefund,
  [REFUND_EXECUTE_JOB]: executeRefundJob,
  [TIME_FREED_JOB]: consumeTimeFreed,
};

/**
 * What a job type does when its message reaches the dead-letter queue, after it is kept in `dead_jobs`
 * (`dead.id`): e.g. mark its deliveries failed. Throwing retries the dead letter.
 */
export type DeadLetterHandler = (
  ctx: ServiceContext,
  job: Job,
  dead: { id: string; attempts: number },
) => Promise<void>;

/** Dead-letter handlers by job type. */
export const DEAD_LETTER_HANDLERS: Record<string, DeadLetterHandler> = {
  [NOTIFY_DELIVER]: markDeliveriesDead,
};

export const DEAD_LETTER_QUEUE = 'kinwell-jobs-dlq';

const isJob = (body: unknown): body is Job =>
  typeof body === 'object' && body !== null && typeof (body as Job).type === 'string';

/** A registry's own entry for a job type (a type named `constructor` or `toString` finds nothing). */
const ownEntry = <T>(registry: Record<string, T>, type: string): T | undefined =>
  Object.hasOwn(registry, type) ? registry[type] : undefined;

/** Exponential backoff: 30 s, 60 s, 120 s … capped at 15 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 900);
}

/**
 * Records a message that will never be delivered in `dead_jobs` (once per message id), runs its type's
 * dead-letter handler with the row's id, and acks it.
 */
async function deadLetter(
  ctx: ServiceContext,
  queue: string,
  message: Message<unknown>,
  handlers: Record<string, DeadLetterHandler>,
): Promise<void> {
  const [inserted] = await ctx.db
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
    .onConflictDoNothing()
    .returning({ id: deadJobs.id });
  const id =
    inserted?.id ??
    (await ctx.db.select({ id: deadJobs.id }).from(deadJobs).where(eq(deadJobs.messageId, message.id)).get())!.id;
  const handler = isJob(message.body) ? ownEntry(handlers, message.body.type) : undefined;
  if (handler) await handler(ctx, message.body as Job, { id, attempts: message.attempts });
  ctx.log.log('error', 'job.dead_lettered', { messageId: message.id, queue, deadJobId: id });
  message.ack();
}

/**
 * Handles one queue batch. Main queue: each message goes to its consumer; success acks, failure retries
 * with backoff. Dead-letter queue (and a message of unknown type): the message is recorded in
 * `dead_jobs` for inspection, its type's dead-letter handler runs, and it is acked (retried when
 * recording or the handler failed).
 */
export async function handleQueueBatch(
  ctx: ServiceContext,
  batch: MessageBatch<unknown>,
  consumers: Record<string, JobConsumer> = CONSUMERS,
  deadLetterHandlers: Record<string, DeadLetterHandler> = DEAD_LETTER_HANDLERS,
): Promise<void> {
  const dead = async (message: Message<unknown>) => {
    try {
      await deadLetter(ctx, batch.queue, message, deadLetterHandlers);
    } catch (err) {
      ctx.log.log('error', 'job.dead_letter_failed', { messageId: message.id, error: String(err) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  };
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) await dead(message);
    return;
  }
  for (const message of batch.messages) {
    const job = message.body;
    const consumer = isJob(job) ? ownEntry(consumers, job.type) : undefined;
    if (!isJob(job) || !consumer) {
      // Unknown work can never succeed: record it for inspection instead of retrying.
      await dead(message);
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
