import { and, asc, eq, inArray, lte, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import {
  type DeliverPayload,
  NOTIFY_DELIVER,
  type Notice,
  type NoticeSubject,
  PREFERENCE_OF_TYPE,
} from '../../access/notices';
import type { ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import { type NotificationKind, type NotificationType, type ReminderRow, reminders } from '../../db/schema';
import type { NoticeTemplate, NoticeTemplates } from '../../lib/email/notice-templates';
import type { Job } from '../../platform/jobs';

/**
 * Reminders: notices with a time. The module that owns a subject schedules its reminders with
 * `scheduleReminders` in the same write batch as the subject's change (so a booking and its reminders
 * are stored together or not at all), moves them by scheduling again, and removes them with
 * `cancelReminders`. The every-minute cron (`enqueueDueReminders`) only finds the due ones and
 * enqueues one `notify.deliver` job each; the consumer delivers them like every other notice.
 */

/** One reminder to schedule. */
export interface ReminderInput<T extends NoticeTemplate = NoticeTemplate> {
  subject: NoticeSubject;
  /** Which reminder of the subject (`appointment.24h`): one pending row per subject, kind and recipient. */
  kind: string;
  recipientId: string;
  /** When to send it (epoch ms), computed by the caller from the recipient's zone. */
  dueAt: number;
  type: NotificationType;
  template: T;
  data: NoticeTemplates[T];
  /** Defaults to the type's preference kind. */
  preference?: NotificationKind;
}

/** What a reminder row keeps of its notice (the kind and subject are columns). */
type StoredNotice = Pick<Notice, 'type' | 'preference' | 'template' | 'data'>;

/**
 * The statements that schedule `items` (for a write batch). A reminder whose time is not after `now`
 * is not scheduled (a booking three hours ahead gets its 1 h reminder only) and an earlier pending one
 * of the same key is removed, so a reschedule to a nearer time does not leave a stale reminder. An
 * existing row of the key is moved (time and notice replaced) and pending again, whether or not it was
 * sent: a reminder sent for the old time is a different delivery than one for the new time.
 */
export function scheduleReminders(ctx: ServiceContext, items: readonly ReminderInput[], now: number): Statements {
  const statements: Statements = [];
  for (const item of items) {
    if (item.dueAt <= now) {
      statements.push(cancelReminders(ctx, item.subject, { kinds: [item.kind], recipientId: item.recipientId }));
      continue;
    }
    const notice: StoredNotice = {
      type: item.type,
      preference: item.preference ?? PREFERENCE_OF_TYPE[item.type],
      template: item.template,
      data: item.data,
    };
    statements.push(
      ctx.db
        .insert(reminders)
        .values({
          id: ctx.ids.id('rmd'),
          subjectType: item.subject.type,
          subjectId: item.subject.id,
          kind: item.kind,
          recipientId: item.recipientId,
          dueAt: item.dueAt,
          status: 'pending',
          notice: notice as unknown as Record<string, unknown>,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [reminders.subjectType, reminders.subjectId, reminders.kind, reminders.recipientId],
          set: {
            dueAt: item.dueAt,
            status: 'pending',
            notice: notice as unknown as Record<string, unknown>,
            updatedAt: now,
            enqueuedAt: null,
          },
          // The same time and a row already enqueued: a replayed schedule must not send it again.
          setWhere: sql`not (${reminders.status} = 'enqueued' and ${reminders.dueAt} = ${item.dueAt})`,
        }),
    );
  }
  return statements;
}

/** Per selected row, the SQL of each field of a template's data (every field, optional ones too). */
export type DataColumns<T extends NoticeTemplate> = { [K in keyof NoticeTemplates[T] & string]-?: SQL | SQLiteColumn };

/**
 * Reminders of many subjects of one type, one per row a query selects: the subjects are rows written
 * in the same batch (a schedule's doses), so their reminders need neither a read first nor one bound
 * parameter per row.
 */
export interface SelectedReminders<T extends NoticeTemplate = NoticeTemplate> {
  subjectType: string;
  kind: string;
  type: NotificationType;
  template: T;
  /** Defaults to the type's preference kind. */
  preference?: NotificationKind;
  /** The tables (with joins) the rows come from, and which rows. */
  from: SQL;
  where: SQL;
  subjectId: SQL | SQLiteColumn;
  recipientId: SQL | SQLiteColumn;
  /** When each is due (epoch ms). */
  dueAt: SQL;
  data: DataColumns<T>;
}

/**
 * The one statement that schedules a reminder for every row `spec` selects whose time is after `now`
 * (INSERT … SELECT, for a write batch; one statement whatever the number of rows, with a fixed number
 * of bound parameters). A pending row of the same key is updated (time and notice, so an edited name
 * reaches the reminder); an enqueued one is left alone. Rows whose time has passed are not touched:
 * pair it with a cancel (`cancelRemindersOf`) when the subjects may have moved.
 */
export function scheduleSelectedReminders<T extends NoticeTemplate>(
  ctx: ServiceContext,
  spec: SelectedReminders<T>,
  now: number,
) {
  const preference = spec.preference ?? PREFERENCE_OF_TYPE[spec.type];
  const data = sql.join(
    Object.entries(spec.data as Record<string, SQL | SQLiteColumn>).map(([key, value]) => sql`${key}, ${value}`),
    sql`, `,
  );
  // A time-sortable id prefix from the id generator, made unique per row by SQLite's random bytes.
  const id = sql`${ctx.ids.id('rmd').slice(0, 14)} || substr(hex(randomblob(8)), 1, 16)`;
  return ctx.db
    .insert(reminders)
    .select(
      // Columns in table order, as drizzle lists them after `insert into`.
      sql`select ${id}, ${spec.subjectType}, ${spec.subjectId}, ${spec.kind}, ${spec.recipientId}, ${spec.dueAt},
        'pending', json_object('type', ${spec.type}, 'preference', ${preference}, 'template', ${spec.template},
        'data', json_object(${data})), ${now}, ${now}, null
      from ${spec.from} where (${spec.where}) and (${spec.dueAt}) > ${now}`,
    )
    .onConflictDoUpdate({
      target: [reminders.subjectType, reminders.subjectId, reminders.kind, reminders.recipientId],
      set: { dueAt: sql`excluded.due_at`, notice: sql`excluded.notice`, updatedAt: now },
      setWhere: eq(reminders.status, 'pending'),
    });
}

export interface CancelFilter {
  /** Only these reminder kinds (default: all of the subject). */
  kinds?: readonly string[];
  /** Only this recipient's. */
  recipientId?: string;
}

/**
 * The statement removing a subject's reminders that have not been enqueued (cancelled, completed or
 * deleted subjects); enqueued ones stay as the record of what was sent.
 */
export function cancelReminders(ctx: ServiceContext, subject: NoticeSubject, filter: CancelFilter = {}) {
  return ctx.db
    .delete(reminders)
    .where(
      and(
        eq(reminders.subjectType, subject.type),
        eq(reminders.subjectId, subject.id),
        eq(reminders.status, 'pending'),
        filter.kinds ? inArray(reminders.kind, [...filter.kinds]) : undefined,
        filter.recipientId ? eq(reminders.recipientId, filter.recipientId) : undefined,
      ),
    );
}

/**
 * The statement removing the pending reminders of many subjects of one type (a schedule's future
 * doses): `subjectIds` travel as one JSON parameter, so the list has no bound-parameter limit; or they
 * are a subquery selecting the ids (the rows a later statement of the same batch deletes).
 */
export function cancelRemindersOf(ctx: ServiceContext, subjectType: string, subjectIds: readonly string[] | SQL) {
  const ids = Array.isArray(subjectIds)
    ? sql`(select value from json_each(${JSON.stringify(subjectIds)}))`
    : sql`(${subjectIds})`;
  return ctx.db
    .delete(reminders)
    .where(
      and(
        eq(reminders.subjectType, subjectType),
        eq(reminders.status, 'pending'),
        sql`${reminders.subjectId} in ${ids}`,
      ),
    );
}

/**
 * The statement removing the pending reminders of the subjects of one type that `subjectIds` (a
 * subquery of ids) selects when it runs: for a set-based change that never read its rows (an account
 * erasure cancelling every upcoming appointment). Run it before the change that makes them unselected.
 */
export function cancelRemindersIn(ctx: ServiceContext, subjectType: string, subjectIds: SQLWrapper) {
  return ctx.db
    .delete(reminders)
    .where(
      and(
        eq(reminders.subjectType, subjectType),
        eq(reminders.status, 'pending'),
        inArray(reminders.subjectId, subjectIds),
      ),
    );
}

/** The delivery kind of a reminder: its kind at its time, so a moved reminder is a new delivery. */
export function reminderDeliveryKind(row: Pick<ReminderRow, 'kind' | 'dueAt'>): string {
  return `${row.kind}@${new Date(row.dueAt).toISOString()}`;
}

/** The `notify.deliver` job of a due reminder row. */
export function reminderJob(row: ReminderRow): Job<DeliverPayload> {
  const stored = row.notice as unknown as StoredNotice;
  return {
    type: NOTIFY_DELIVER,
    payload: {
      recipientId: row.recipientId,
      notice: {
        kind: reminderDeliveryKind(row),
        type: stored.type,
        preference: stored.preference,
        template: stored.template,
        data: stored.data,
        subject: { type: row.subjectType, id: row.subjectId },
      },
    },
  };
}

export interface EnqueueOptions {
  /** Rows read and enqueued per page (one read, the queue's batches, one write). */
  pageSize?: number;
  /** At most this many per cron run; the rest wait for the next minute. */
  maxPerRun?: number;
}

/**
 * The cron task: enqueues every pending reminder whose time has come, oldest first, a page at a time,
 * and marks the page enqueued after the queue took it. A crash between the two leaves the page pending
 * and the next run enqueues it again; the delivery ledger makes that second job a no-op, so a reminder
 * is never lost and never sent twice. Resolves with the number enqueued.
 */
export async function enqueueDueReminders(ctx: ServiceContext, options: EnqueueOptions = {}): Promise<number> {
  const pageSize = options.pageSize ?? 500;
  const maxPerRun = options.maxPerRun ?? 20_000;
  const now = ctx.clock.now().getTime();
  let total = 0;
  while (total < maxPerRun) {
    const page = await ctx.db
      .select()
      .from(reminders)
      .where(and(eq(reminders.status, 'pending'), lte(reminders.dueAt, now)))
      .orderBy(asc(reminders.dueAt), asc(reminders.id))
      .limit(Math.min(pageSize, maxPerRun - total))
      .all();
    if (!page.length) break;
    await ctx.ports.jobs.enqueue(page.map(reminderJob));
    const enqueuedAt = ctx.clock.now().getTime();
    // Only rows still as read: one moved by a reschedule meanwhile stays pending at its new time.
    await ctx.db
      .update(reminders)
      .set({ status: 'enqueued', enqueuedAt, updatedAt: enqueuedAt })
      .where(
        and(
          eq(reminders.status, 'pending'),
          sql`(${reminders.id}, ${reminders.dueAt}) in (select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(${JSON.stringify(page.map((row) => [row.id, row.dueAt]))}))`,
        ),
      )
      .run();
    total += page.length;
    if (page.length < pageSize) break;
  }
  return total;
}
