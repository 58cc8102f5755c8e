import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { deliverJobs, NOTIFY_BROADCAST } from '../../access/notices';
import type { AuthedContext, ServiceContext } from '../../context';
import { type BroadcastRow, broadcasts } from '../../db/schema';
import { notFound } from '../../lib/errors';
import type { Job } from '../../platform/jobs';
import { auditInsert } from '../audit/audit.service';
import { type Audience, announceableAccountQuery, audiencePage } from '../users/recipients.service';
import type { BroadcastInput } from './notifications.schemas';

/**
 * Admin announcements. The request stores the broadcast and enqueues one fan-out job; the consumer
 * walks the audience a page at a time, enqueueing one `notify.deliver` job per recipient and then the
 * next page's job, so no request and no single job ever holds everyone.
 */

/** Recipients per fan-out job: five queue batches of 100 per page. */
export const BROADCAST_PAGE = 500;

export interface BroadcastPayload {
  broadcastId: string;
  /** The last recipient id of the previous page ('' for the first). */
  after: string;
}

function audienceOf(row: BroadcastRow): Audience {
  if (row.audience === 'user') return { kind: 'user', userId: row.audienceUserId! };
  if (row.audience === 'role') return { kind: 'role', role: row.audienceRole! };
  return { kind: 'everyone' };
}

const fanOutJob = (payload: BroadcastPayload): Job<BroadcastPayload> => ({ type: NOTIFY_BROADCAST, payload });

/**
 * Stores an announcement and enqueues its fan-out; audited. Answers at once: delivery happens in the
 * queue, per recipient by their preferences for `category`.
 * @throws AppError NOT_FOUND (the one named account does not exist or was removed)
 */
export async function startBroadcast(ctx: AuthedContext, input: BroadcastInput) {
  const { audience } = input;
  if (audience.kind === 'user') {
    const [found] = await announceableAccountQuery(ctx, audience.userId);
    if (!found) throw notFound('User');
  }
  const now = ctx.clock.now().getTime();
  const row: BroadcastRow = {
    id: ctx.ids.id('bdc'),
    createdBy: ctx.actor.id,
    audience: audience.kind,
    audienceRole: audience.kind === 'role' ? audience.role : null,
    audienceUserId: audience.kind === 'user' ? audience.userId : null,
    type: input.type,
    category: input.category,
    title: input.title,
    body: input.body,
    data: input.data ?? {},
    cursor: '',
    enqueued: 0,
    status: 'fanning-out',
    createdAt: now,
    completedAt: null,
  };
  await ctx.db.batch([
    ctx.db.insert(broadcasts).values(row),
    auditInsert(ctx, {
      action: 'notification.broadcast',
      resourceType: 'broadcast',
      resourceId: row.id,
      metadata: { audience: audience.kind, role: row.audienceRole, userId: row.audienceUserId, type: row.type },
    }),
  ]);
  await ctx.ports.jobs.enqueue([fanOutJob({ broadcastId: row.id, after: '' })]);
  return {
    broadcastId: row.id,
    audience,
    type: row.type,
    category: row.category,
    status: 'fanning-out' as const,
    createdAt: new Date(now).toISOString(),
  };
}

const BroadcastPayloadSchema = z.object({ broadcastId: z.string().min(1), after: z.string() });

/**
 * The `notify.broadcast` consumer: one page of the audience after `after`. It enqueues the page's
 * deliveries and the next page's job, then advances the broadcast's cursor from `after` (only from
 * `after`), so a redelivered page job finds the cursor past it and does nothing, and a page job that
 * arrives before its predecessor committed waits (throws, to be retried).
 * @throws Error when the previous page has not committed yet, or the queue refused the jobs
 */
export async function fanOutBroadcast(ctx: ServiceContext, job: Job, pageSize = BROADCAST_PAGE): Promise<void> {
  const { broadcastId, after } = BroadcastPayloadSchema.parse(job.payload);
  const row = await ctx.db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId)).get();
  if (!row || row.status === 'done' || row.cursor > after) return;
  if (row.cursor < after) throw new Error(`Broadcast ${broadcastId}: the page before ${after} has not committed yet`);

  const recipients = await audiencePage(ctx, audienceOf(row), after, pageSize);
  const last = recipients.at(-1) ?? after;
  const more = recipients.length === pageSize;
  await ctx.ports.jobs.enqueue([
    ...deliverJobs({
      recipients,
      kind: 'broadcast',
      type: row.type,
      preference: row.category,
      template: 'notice',
      data: { ...row.data, title: row.title, message: row.body, broadcastId: row.id },
      subject: { type: 'broadcast', id: row.id },
    }),
    ...(more ? [fanOutJob({ broadcastId, after: last })] : []),
  ]);
  const now = ctx.clock.now().getTime();
  await ctx.db
    .update(broadcasts)
    .set({
      cursor: last,
      enqueued: sql`${broadcasts.enqueued} + ${recipients.length}`,
      ...(more ? {} : { status: 'done' as const, completedAt: now }),
    })
    .where(and(eq(broadcasts.id, broadcastId), eq(broadcasts.cursor, after), eq(broadcasts.status, 'fanning-out')));
}
