import { lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import {
  loginChallenges,
  oneTimeCodes,
  rateLimits,
  refreshTokens,
  sessions,
  webauthnChallenges,
} from '../../db/schema';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * Deletes auth state nobody can use any more: codes, challenges and refresh tokens past expiry (kept an
 * hour longer so a late answer still gets OTP_EXPIRED rather than OTP_INVALID), rate-limit windows
 * older than a day, and sessions that ended over 30 days ago (the session list only shows live ones;
 * the audit log keeps the history). Expired rows are already ignored by every read; this keeps the
 * tables small. Run by the every-minute cron; returns how many rows went.
 */
export async function pruneExpiredAuthState(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const sweeps: [SQLiteTable, SQL | undefined][] = [
    [oneTimeCodes, lt(oneTimeCodes.expiresAt, now - HOUR)],
    [loginChallenges, lt(loginChallenges.expiresAt, now - HOUR)],
    [webauthnChallenges, lt(webauthnChallenges.expiresAt, now - HOUR)],
    [refreshTokens, lt(refreshTokens.expiresAt, now - HOUR)],
    [rateLimits, lt(rateLimits.windowStart, now - DAY)],
    [sessions, or(lt(sessions.expiresAt, now - 30 * DAY), lt(sessions.revokedAt, now - 30 * DAY))],
  ];
  const results = await ctx.db.batch(
    sweeps.map(([table, where]) => ctx.db.delete(table).where(where)) as unknown as [ReturnType<typeof ctx.db.delete>],
  );
  return results.reduce((sum, result) => sum + ((result as D1Result).meta?.changes ?? 0), 0);
}
