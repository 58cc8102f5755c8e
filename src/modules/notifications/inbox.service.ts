import { and, count, desc, eq, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type NotificationRow, type NotificationType, notifications } from '../../db/schema';
import { selectedRow } from '../../db/sql';
import type { Page } from '../../lib/envelope';
import { notFound } from '../../lib/errors';
import type { NotificationView } from './notifications.schemas';

/** The in-app inbox: each person reads and changes only their own rows (anyone else's id is 404). */

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    readAt: row.readAt === null ? null : new Date(row.readAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

export interface InboxQuery {
  page: number;
  limit: number;
  /** true: unread only; false: read only; absent: both. */
  unread?: boolean;
  type?: NotificationType;
}

/** A page of the caller's notifications, newest first, with the total (one round trip). */
export function listNotifications(ctx: AuthedContext, query: InboxQuery): Promise<Page<NotificationView>> {
  const filters: SQL[] = [eq(notifications.userId, ctx.actor.id)];
  if (query.unread !== undefined)
    filters.push(query.unread ? isNull(notifications.readAt) : isNotNull(notifications.readAt));
  if (query.type) filters.push(eq(notifications.type, query.type));
  return paginate(ctx.db, notifications, {
    where: and(...filters),
    orderBy: [desc(notifications.createdAt), desc(notifications.id)],
    page: query.page,
    limit: query.limit,
    map: toNotificationView,
  });
}

/** The statement counting a person's unread notifications (the badge), for a batch. */
export function unreadCountQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
}

/** The caller's unread count. */
export async function unreadCount(ctx: AuthedContext): Promise<{ unreadCount: number }> {
  const [row] = await unreadCountQuery(ctx, ctx.actor.id);
  return { unreadCount: row?.n ?? 0 };
}

/**
 * Marks one of the caller's notifications read (an already read one keeps its first time).
 * @throws AppError NOT_FOUND (no such notification, or not the caller's)
 */
export async function markRead(ctx: AuthedContext, id: string): Promise<NotificationView> {
  const [row] = await ctx.db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${ctx.clock.now().getTime()})` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, ctx.actor.id)))
    .returning();
  if (!row) throw notFound('Notification');
  return toNotificationView(row);
}

/** Marks every unread notification of the caller read; answers how many changed. */
export async function markAllRead(ctx: AuthedContext): Promise<{ marked: number }> {
  const changed = await ctx.db
    .update(notifications)
    .set({ readAt: ctx.clock.now().getTime() })
    .where(and(eq(notifications.userId, ctx.actor.id), isNull(notifications.readAt)))
    .run();
  return { marked: changed.meta.changes ?? 0 };
}

/**
 * Deletes one of the caller's notifications.
 * @throws AppError NOT_FOUND (no such notification, or not the caller's)
 */
export async function deleteNotification(ctx: AuthedContext, id: string): Promise<{ id: string }> {
  const [row] = await ctx.db
    .delete(notifications)
    .where(and(eq(notifications.id, id), eq(notifications.userId, ctx.actor.id)))
    .returning({ id: notifications.id });
  if (!row) throw notFound('Notification');
  return row;
}

/**
 * The inbox row of an in-app delivery, written only when the statement right before it in the batch
 * changed a row (the ledger's in-app upsert): a delivery already made writes nothing. Answers the row.
 */
export function inboxInsertIfRecorded(ctx: ServiceContext, row: NotificationRow) {
  return ctx.db
    .insert(notifications)
    .select(sql`select ${selectedRow(notifications, row)} where changes() = 1`)
    .returning();
}
