import { and, desc, eq, type SQL } from 'drizzle-orm';
import { type DeliverPayload, NOTIFY_DELIVER } from '../../access/notices';
import type { AuthedContext, ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type DeliveryRow, deadJobs, deliveries, NOTIFICATION_CHANNELS } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import type { Job } from '../../platform/jobs';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { deliverPayloadOf } from './deliver.service';
import { deadLetteredStatement } from './ledger';
import type { DeliveryListInput, DeliveryView } from './notifications.schemas';

/** The ledger seen by admins: listing deliveries (failed ones with their error) and re-driving them. */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    subject: { type: row.subjectType, id: row.subjectId },
    kind: row.kind,
    recipientId: row.recipientId,
    channel: row.channel,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    skipReason: row.skipReason,
    providerMessageId: row.providerMessageId,
    deadJobId: row.deadJobId,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    sentAt: iso(row.sentAt),
    deliveredAt: iso(row.deliveredAt),
  };
}

/** A page of deliveries, most recently changed first, filtered. */
export function listDeliveries(ctx: ServiceContext, query: DeliveryListInput) {
  const filters: SQL[] = [];
  if (query.status) filters.push(eq(deliveries.status, query.status));
  if (query.channel) filters.push(eq(deliveries.channel, query.channel));
  if (query.recipientId) filters.push(eq(deliveries.recipientId, query.recipientId));
  if (query.kind) filters.push(eq(deliveries.kind, query.kind));
  return paginate(ctx.db, deliveries, {
    where: filters.length ? and(...filters) : undefined,
    orderBy: [desc(deliveries.updatedAt), desc(deliveries.id)],
    page: query.page,
    limit: query.limit,
    map: toDeliveryView,
  });
}

/**
 * Sends a failed delivery again: its dead-lettered job is enqueued once more for its channel only, and
 * the delivery is `queued` until the consumer marks it (channels of the notice already sent are not
 * touched). Audited.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not `failed`, or it changed meanwhile), CONFLICT
 *   (its dead-lettered job is no longer kept)
 */
export async function redriveDelivery(ctx: AuthedContext, id: string): Promise<DeliveryView> {
  const found = await ctx.db
    .select({ delivery: deliveries, job: deadJobs.body })
    .from(deliveries)
    .leftJoin(deadJobs, eq(deadJobs.id, deliveries.deadJobId))
    .where(eq(deliveries.id, id))
    .get();
  if (!found) throw notFound('Delivery');
  const { delivery } = found;
  if (delivery.status !== 'failed') {
    throw new AppError(
      'INVALID_TRANSITION',
      `Only a failed delivery can be re-driven; this one is ${delivery.status}`,
      {
        details: { status: delivery.status },
      },
    );
  }
  const job = found.job as Job | null;
  if (!job || job.type !== NOTIFY_DELIVER) {
    throw new AppError('CONFLICT', 'The failed job of this delivery is no longer kept; send the notice again');
  }
  const payload: DeliverPayload = { ...deliverPayloadOf(job), redrive: [delivery.channel] };
  // Enqueued before the write: if the write then loses a race, the extra job finds nothing to claim.
  await ctx.ports.jobs.enqueue([{ type: NOTIFY_DELIVER, payload }]);
  const now = ctx.clock.now().getTime();
  try {
    const [[updated]] = await ctx.db.batch([
      ctx.db
        .update(deliveries)
        .set({ status: 'queued', claimedUntil: null, updatedAt: now })
        .where(and(eq(deliveries.id, id), eq(deliveries.status, 'failed')))
        .returning(),
      auditInsert(
        ctx,
        {
          action: 'delivery.redrive',
          resourceType: 'delivery',
          resourceId: id,
          metadata: { channel: delivery.channel, kind: delivery.kind, deadJobId: delivery.deadJobId },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
    return toDeliveryView(updated!);
  } catch (err) {
    if (auditGuardTripped(err)) {
      throw new AppError('INVALID_TRANSITION', 'The delivery changed meanwhile; reload it', {
        details: { status: 'changed' },
      });
    }
    throw err;
  }
}

/**
 * The dead-letter handler of `notify.deliver`: the deliveries the job left unfinished become `failed`
 * with their last error, linked to the dead job a re-drive sends again. A malformed job has no
 * deliveries to mark (it stays in dead_jobs).
 */
export async function markDeliveriesDead(
  ctx: ServiceContext,
  job: Job,
  dead: { id: string; attempts: number },
): Promise<void> {
  let payload: DeliverPayload;
  try {
    payload = deliverPayloadOf(job);
  } catch (err) {
    ctx.log.log('error', 'notify.dead_malformed', { deadJobId: dead.id, error: String(err) });
    return;
  }
  const { recipientId, notice, redrive } = payload;
  await deadLetteredStatement(
    ctx,
    { subject: notice.subject, kind: notice.kind, recipientId },
    redrive ?? NOTIFICATION_CHANNELS,
    dead.id,
    'The queue gave up on this delivery after its retries',
  );
}
