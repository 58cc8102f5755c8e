import { and, desc, eq, ne, notInArray, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type DeviceTokenRow, deviceTokens } from '../../db/schema';
import { notFound } from '../../lib/errors';
import type { DeviceView } from './devices.schemas';

/** Devices one account may hold; registering one more forgets the least recently seen. */
export const MAX_DEVICES_PER_USER = 20;

/** How many trailing token characters a person sees to tell devices apart. */
const TOKEN_TAIL = 6;

export function toDeviceView(row: DeviceTokenRow): DeviceView {
  return {
    id: row.id,
    platform: row.platform,
    deviceName: row.deviceName,
    maskedToken: `…${row.token.slice(-TOKEN_TAIL)}`,
    createdAt: new Date(row.createdAt).toISOString(),
    lastSeenAt: new Date(row.lastSeenAt).toISOString(),
  };
}

export async function listDevices(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, deviceTokens, {
    where: eq(deviceTokens.userId, ctx.actor.id),
    orderBy: [desc(deviceTokens.lastSeenAt), desc(deviceTokens.id)],
    page: query.page,
    limit: query.limit,
    map: toDeviceView,
  });
}

export interface RegisterDeviceInput {
  token: string;
  platform: DeviceTokenRow['platform'];
  deviceName?: string;
}

/**
 * Registers the caller's push token, idempotently, in one atomic batch:
 * - a token the caller already holds: platform and lastSeenAt are refreshed (its name too, when sent);
 * - a token another account holds (a phone changed hands): it moves to the caller as a new device
 *   (new id, the old name dropped), so that account's pushes can never reach this phone again;
 * - then the caller's devices beyond MAX_DEVICES_PER_USER, least recently seen first, are removed
 *   (never the one just registered).
 * @returns the device and `created`: false only when the caller already held the token
 */
export async function registerDevice(
  ctx: AuthedContext,
  input: RegisterDeviceInput,
): Promise<{ device: DeviceView; created: boolean }> {
  const userId = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const id = ctx.ids.id('dev');
  // In DO UPDATE, bare columns are the stored row and `excluded.*` the one proposed.
  const sameOwner = sql`${deviceTokens.userId} = excluded.user_id`;
  const upsert = ctx.db
    .insert(deviceTokens)
    .values({
      id,
      userId,
      token: input.token,
      platform: input.platform,
      deviceName: input.deviceName ?? null,
      createdAt: now,
      lastSeenAt: now,
    })
    .onConflictDoUpdate({
      target: deviceTokens.token,
      set: {
        id: sql`case when ${sameOwner} then ${deviceTokens.id} else excluded.id end`,
        createdAt: sql`case when ${sameOwner} then ${deviceTokens.createdAt} else excluded.created_at end`,
        deviceName: sql`case when ${sameOwner} then coalesce(excluded.device_name, ${deviceTokens.deviceName}) else excluded.device_name end`,
        userId: sql`excluded.user_id`,
        platform: sql`excluded.platform`,
        lastSeenAt: sql`excluded.last_seen_at`,
      },
    })
    .returning();
  const others = and(eq(deviceTokens.userId, userId), ne(deviceTokens.token, input.token));
  const prune = ctx.db.delete(deviceTokens).where(
    and(
      others,
      notInArray(
        deviceTokens.id,
        ctx.db
          .select({ id: deviceTokens.id })
          .from(deviceTokens)
          .where(others)
          .orderBy(desc(deviceTokens.lastSeenAt), desc(deviceTokens.id))
          .limit(MAX_DEVICES_PER_USER - 1),
      ),
    ),
  );
  const [[row]] = await ctx.db.batch([upsert, prune]);
  if (!row) throw new Error('device upsert returned no row');
  return { device: toDeviceView(row), created: row.id === id };
}

/** Forgets one of the caller's devices; another account's device is NOT_FOUND. */
export async function deleteDevice(ctx: AuthedContext, id: string): Promise<void> {
  const deleted = await ctx.db
    .delete(deviceTokens)
    .where(and(eq(deviceTokens.id, id), eq(deviceTokens.userId, ctx.actor.id)))
    .returning({ id: deviceTokens.id });
  if (!deleted.length) throw notFound('Device');
}
