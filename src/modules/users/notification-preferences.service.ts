import { and, eq, inArray } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type NotificationChannel,
  type NotificationKind,
  notificationPreferences,
} from '../../db/schema';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import type { NotificationMatrix, NotificationPreferencesPatch } from './notification-preferences.schemas';

/** SMS costs money: by default it carries only what a person would not want to miss. */
const SMS_DEFAULT_KINDS: ReadonlySet<NotificationKind> = new Set(['appointments', 'reminders', 'medication']);

/**
 * Whether a cell is on when the person has not chosen: everything except marketing (opt-in on every
 * channel), and SMS only for appointments, reminders and medication.
 */
export function defaultEnabled(channel: NotificationChannel, kind: NotificationKind): boolean {
  if (kind === 'marketing') return false;
  if (channel === 'sms') return SMS_DEFAULT_KINDS.has(kind);
  return true;
}

/** Cells that are always on whatever is stored: account security messages must reach people. */
export function isMandatory(channel: NotificationChannel, kind: NotificationKind): boolean {
  return channel === 'in-app' && kind === 'system';
}

type StoredCell = { channel: NotificationChannel; kind: NotificationKind; enabled: boolean };

function effective(channel: NotificationChannel, kind: NotificationKind, stored: boolean | undefined): boolean {
  if (isMandatory(channel, kind)) return true;
  return stored ?? defaultEnabled(channel, kind);
}

function toMatrix(rows: StoredCell[]): NotificationMatrix {
  const stored = new Map(rows.map((r) => [`${r.channel}/${r.kind}`, r.enabled]));
  const channels = {} as NotificationMatrix['channels'];
  for (const channel of NOTIFICATION_CHANNELS) {
    const kinds = {} as Record<NotificationKind, boolean>;
    for (const kind of NOTIFICATION_KINDS) kinds[kind] = effective(channel, kind, stored.get(`${channel}/${kind}`));
    channels[channel] = kinds;
  }
  return { channels };
}

function storedCells(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({
      channel: notificationPreferences.channel,
      kind: notificationPreferences.kind,
      enabled: notificationPreferences.enabled,
    })
    .from(notificationPreferences)
    .where(eq(notificationPreferences.userId, userId));
}

/** The full channel × kind matrix of `userId`: stored choices over the defaults. */
export async function getNotificationPreferences(ctx: ServiceContext, userId: string): Promise<NotificationMatrix> {
  return toMatrix(await storedCells(ctx, userId).all());
}

/** The caller's own matrix. */
export async function getMyNotificationPreferences(ctx: AuthedContext): Promise<NotificationMatrix> {
  return getNotificationPreferences(ctx, ctx.actor.id);
}

/**
 * Whether `userId` wants `kind` notifications on `channel` (the sender asks before every send).
 * Agrees with the matrix of GET /users/me/notification-preferences.
 */
export async function isNotificationEnabled(
  ctx: ServiceContext,
  userId: string,
  channel: NotificationChannel,
  kind: NotificationKind,
): Promise<boolean> {
  if (isMandatory(channel, kind)) return true;
  const row = await ctx.db
    .select({ enabled: notificationPreferences.enabled })
    .from(notificationPreferences)
    .where(
      and(
        eq(notificationPreferences.userId, userId),
        eq(notificationPreferences.channel, channel),
        eq(notificationPreferences.kind, kind),
      ),
    )
    .get();
  return effective(channel, kind, row?.enabled);
}

/** D1 binds at most 100 parameters per statement. */
const IDS_PER_QUERY = 90;

/**
 * For a fan-out of one `kind` to many people: the channels each of `userIds` wants it on, in
 * NOTIFICATION_CHANNELS order (a person with every channel off maps to `[]`).
 */
export async function enabledChannels(
  ctx: ServiceContext,
  userIds: readonly string[],
  kind: NotificationKind,
): Promise<Map<string, NotificationChannel[]>> {
  const unique = [...new Set(userIds)];
  const stored = new Map<string, boolean>();
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    const rows = await ctx.db
      .select({
        userId: notificationPreferences.userId,
        channel: notificationPreferences.channel,
        enabled: notificationPreferences.enabled,
      })
      .from(notificationPreferences)
      .where(
        and(
          inArray(notificationPreferences.userId, unique.slice(i, i + IDS_PER_QUERY)),
          eq(notificationPreferences.kind, kind),
        ),
      )
      .all();
    for (const row of rows) stored.set(`${row.userId}/${row.channel}`, row.enabled);
  }
  return new Map(
    unique.map((userId) => [
      userId,
      NOTIFICATION_CHANNELS.filter((channel) => effective(channel, kind, stored.get(`${userId}/${channel}`))),
    ]),
  );
}

/**
 * Sets the given cells for the caller (others untouched) in one atomic batch and answers the full
 * matrix. Changes are audited (codes only), which also keeps a record of marketing consent.
 * @throws AppError VALIDATION_FAILED when nothing is given or a mandatory cell would be turned off
 */
export async function updateMyNotificationPreferences(
  ctx: AuthedContext,
  patch: NotificationPreferencesPatch,
): Promise<NotificationMatrix> {
  const userId = ctx.actor.id;
  const cells: StoredCell[] = [];
  for (const channel of NOTIFICATION_CHANNELS) {
    for (const kind of NOTIFICATION_KINDS) {
      const enabled = patch.channels[channel]?.[kind];
      if (enabled !== undefined) cells.push({ channel, kind, enabled });
    }
  }
  if (!cells.length) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one channel and kind to change', {
      fields: [
        { field: 'channels', message: 'Give at least one channel and kind, e.g. { "email": { "marketing": true } }' },
      ],
    });
  }
  const refused = cells.filter((c) => !c.enabled && isMandatory(c.channel, c.kind));
  if (refused.length) {
    throw new AppError('VALIDATION_FAILED', 'System notifications in the app cannot be turned off', {
      fields: refused.map((c) => ({
        field: `channels.${c.channel}.${c.kind}`,
        message: 'Account security messages must reach you, so in-app system notifications stay on',
      })),
    });
  }
  const now = ctx.clock.now().getTime();
  // One statement per cell keeps each well under D1's 100 bound parameters.
  const upserts = cells.map((c) =>
    ctx.db
      .insert(notificationPreferences)
      .values({ userId, ...c, updatedAt: now })
      .onConflictDoUpdate({
        target: [notificationPreferences.userId, notificationPreferences.channel, notificationPreferences.kind],
        set: { enabled: c.enabled, updatedAt: now },
      }),
  );
  const results = await ctx.db.batch([
    auditInsert(ctx, {
      action: 'notification-preferences.update',
      resourceType: 'notification-preferences',
      resourceId: userId,
      metadata: { cells },
    }),
    ...upserts,
    storedCells(ctx, userId),
  ]);
  return toMatrix(results.at(-1) as StoredCell[]);
}
