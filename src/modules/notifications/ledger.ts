import { and, eq, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { NoticeSubject } from '../../access/notices';
import type { ServiceContext } from '../../context';
import { type DeliveryRow, deliveries, type NotificationChannel } from '../../db/schema';

/**
 * The delivery ledger's statements: the only code that writes `deliveries`. Every write that takes a
 * delivery forward is conditional on the row still being claimable, so two attempts racing on one key
 * cannot both send: the unique key (subject, kind, recipient, channel) makes the row one, and the lease
 * (`claimedUntil`) makes the attempt in flight the only one.
 */

/** How long an attempt owns a claimed delivery; a crashed attempt's row is claimable again after it. */
export const CLAIM_LEASE_MS = 2 * 60_000;

/** A delivery's unique key, without its channel. */
export interface DeliveryKey {
  subject: NoticeSubject;
  kind: string;
  recipientId: string;
}

/** Final statuses: a delivery in one is never attempted again (an admin's re-drive leaves only `failed`). */
export const FINAL_STATUSES = ['sent', 'delivered', 'skipped'] as const;

const keyColumns = [
  deliveries.subjectType,
  deliveries.subjectId,
  deliveries.kind,
  deliveries.recipientId,
  deliveries.channel,
];

/** The rows of one key (all its channels). */
export function keyWhere(key: DeliveryKey): SQL {
  return and(
    eq(deliveries.subjectType, key.subject.type),
    eq(deliveries.subjectId, key.subject.id),
    eq(deliveries.kind, key.kind),
    eq(deliveries.recipientId, key.recipientId),
  )!;
}

/** The statement reading every channel's row of `key`, for a batch. */
export function keyRowsQuery(ctx: ServiceContext, key: DeliveryKey) {
  return ctx.db.select().from(deliveries).where(keyWhere(key));
}

/**
 * Whether an existing row may be taken by this attempt: waiting (`queued`), or `failed` when an admin
 * re-drives it, and not leased by an attempt still in flight.
 */
function claimable(now: number, redrive: boolean): SQL {
  const statuses = redrive ? ['queued', 'failed'] : ['queued'];
  return and(
    inArray(deliveries.status, statuses as DeliveryRow['status'][]),
    or(isNull(deliveries.claimedUntil), lte(deliveries.claimedUntil, now)),
  )!;
}

function newRow(ctx: ServiceContext, key: DeliveryKey, channel: NotificationChannel, now: number) {
  return {
    id: ctx.ids.id('dlv'),
    subjectType: key.subject.type,
    subjectId: key.subject.id,
    kind: key.kind,
    recipientId: key.recipientId,
    channel,
    createdAt: now,
    updatedAt: now,
  };
}

export interface ClaimOptions {
  now: number;
  redrive: boolean;
}

/**
 * Records an attempt at `channel` before its provider is called: creates the row `queued` and leased,
 * or takes a claimable one. Returns the claimed row's id (one row), or no row when the delivery is
 * final or leased by another attempt.
 */
export function claimStatement(ctx: ServiceContext, key: DeliveryKey, channel: NotificationChannel, o: ClaimOptions) {
  const claimedUntil = o.now + CLAIM_LEASE_MS;
  return ctx.db
    .insert(deliveries)
    .values({ ...newRow(ctx, key, channel, o.now), status: 'queued', attempts: 1, claimedUntil })
    .onConflictDoUpdate({
      target: keyColumns,
      set: { status: 'queued', attempts: sql`${deliveries.attempts} + 1`, claimedUntil, updatedAt: o.now },
      setWhere: claimable(o.now, o.redrive),
    })
    .returning({ id: deliveries.id });
}

/**
 * Records an in-app delivery as sent in one step (the inbox row is written in the same batch, right
 * after this statement, only when it changed a row: see `changes()`).
 */
export function inAppSentStatement(ctx: ServiceContext, key: DeliveryKey, notificationId: string, o: ClaimOptions) {
  const sent = { status: 'sent' as const, providerMessageId: notificationId, sentAt: o.now, updatedAt: o.now };
  return ctx.db
    .insert(deliveries)
    .values({ ...newRow(ctx, key, 'in-app', o.now), ...sent, attempts: 1 })
    .onConflictDoUpdate({
      target: keyColumns,
      set: { ...sent, attempts: sql`${deliveries.attempts} + 1`, claimedUntil: null, lastError: null },
      setWhere: claimable(o.now, o.redrive),
    });
}

/** Records a channel as skipped (preference off, no address, no provider), unless it is final or leased. */
export function skipStatement(
  ctx: ServiceContext,
  key: DeliveryKey,
  channel: NotificationChannel,
  reason: string,
  o: ClaimOptions,
) {
  return ctx.db
    .insert(deliveries)
    .values({ ...newRow(ctx, key, channel, o.now), status: 'skipped', skipReason: reason })
    .onConflictDoUpdate({
      target: keyColumns,
      set: { status: 'skipped', skipReason: reason, claimedUntil: null, updatedAt: o.now },
      setWhere: claimable(o.now, o.redrive),
    });
}

/** Marks a claimed delivery sent, with the provider's message id, releasing its lease. */
export function sentStatement(ctx: ServiceContext, id: string, providerMessageId: string | null, now: number) {
  return ctx.db
    .update(deliveries)
    .set({ status: 'sent', providerMessageId, sentAt: now, claimedUntil: null, lastError: null, updatedAt: now })
    .where(and(eq(deliveries.id, id), eq(deliveries.status, 'queued')));
}

/** Marks a claimed delivery skipped after the provider call found nothing to reach (every device dead). */
export function claimedSkipStatement(ctx: ServiceContext, id: string, reason: string, now: number) {
  return ctx.db
    .update(deliveries)
    .set({ status: 'skipped', skipReason: reason, claimedUntil: null, updatedAt: now })
    .where(and(eq(deliveries.id, id), eq(deliveries.status, 'queued')));
}

/** Records a failed attempt's error and releases the lease: the row stays `queued` for the retry. */
export function attemptFailedStatement(ctx: ServiceContext, id: string, error: string, now: number) {
  return ctx.db
    .update(deliveries)
    .set({ lastError: error, claimedUntil: null, updatedAt: now })
    .where(and(eq(deliveries.id, id), eq(deliveries.status, 'queued')));
}

/**
 * Marks every unfinished delivery of `key` on `channels` failed, linked to the dead-lettered message
 * that a re-drive sends again; the last attempt's error stays, or `fallback` when none was recorded.
 */
export function deadLetteredStatement(
  ctx: ServiceContext,
  key: DeliveryKey,
  channels: readonly NotificationChannel[],
  deadJobId: string,
  fallback: string,
) {
  const now = ctx.clock.now().getTime();
  return ctx.db
    .update(deliveries)
    .set({
      status: 'failed',
      deadJobId,
      claimedUntil: null,
      lastError: sql`coalesce(${deliveries.lastError}, ${fallback})`,
      updatedAt: now,
    })
    .where(and(keyWhere(key), inArray(deliveries.channel, [...channels]), eq(deliveries.status, 'queued')));
}

/** What a provider reported, after accepting it, about a message it was to deliver. */
export type ProviderReport = { status: 'delivered' } | { status: 'failed'; error: string };

/**
 * Records a provider's report on its message `providerMessageId` sent on `channel`: `delivered` (with
 * `deliveredAt`) or `failed` (with the provider's error). Only a `sent` delivery moves, so a report
 * never takes a delivery back or sideways: a replayed report, one arriving after the other final one,
 * or one for a message no delivery holds changes nothing. Returns the changed row's id, or no row.
 */
export function providerReportStatement(
  ctx: ServiceContext,
  channel: NotificationChannel,
  providerMessageId: string,
  report: ProviderReport,
  now: number,
) {
  const change =
    report.status === 'delivered'
      ? { status: 'delivered' as const, deliveredAt: now, updatedAt: now }
      : { status: 'failed' as const, lastError: report.error, updatedAt: now };
  return ctx.db
    .update(deliveries)
    .set(change)
    .where(
      and(
        eq(deliveries.channel, channel),
        eq(deliveries.providerMessageId, providerMessageId),
        eq(deliveries.status, 'sent'),
      ),
    )
    .returning({ id: deliveries.id });
}
