import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { loginChallenges, oneTimeCodes, rateLimits, refreshTokens, sessions } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { createSession, createUser, db, testEnv, uniqueId } from '../../helpers';

const HOUR = 3600_000;

describe('auth housekeeping (cron)', () => {
  it('Should delete expired codes, challenges, refresh tokens, old rate windows and long-ended sessions only', async () => {
    const clock = fixedClock('2026-10-01T12:00:00Z');
    const now = clock.now().getTime();
    const user = await createUser();
    const oldSession = await createSession(user.id, new Date(now - 200 * 24 * HOUR));
    const liveSession = await createSession(user.id, clock.now());
    const code = (id: string, expiresAt: number) => ({
      id,
      purpose: 'login-email' as const,
      target: `${id}@example.test`,
      codeHash: 'x',
      createdAt: expiresAt - 600_000,
      expiresAt,
    });
    const [staleCode, freshCode] = [uniqueId('otc'), uniqueId('otc')];
    await db.insert(oneTimeCodes).values([code(staleCode, now - 2 * HOUR), code(freshCode, now + 60_000)]);
    const [staleChallenge, freshChallenge] = [uniqueId('chl'), uniqueId('chl')];
    await db.insert(loginChallenges).values([
      { id: staleChallenge, userId: user.id, method: 'password', createdAt: now - 3 * HOUR, expiresAt: now - 2 * HOUR },
      { id: freshChallenge, userId: user.id, method: 'password', createdAt: now, expiresAt: now + 300_000 },
    ]);
    await db.insert(refreshTokens).values([
      { tokenHash: uniqueId('h'), sessionId: oldSession, userId: user.id, issuedAt: 0, expiresAt: now - 2 * HOUR },
      { tokenHash: uniqueId('h'), sessionId: liveSession, userId: user.id, issuedAt: now, expiresAt: now + HOUR },
    ]);
    const [oldWindow, newWindow] = [uniqueId('rl'), uniqueId('rl')];
    await db.insert(rateLimits).values([
      { key: oldWindow, windowStart: now - 2 * 24 * HOUR, count: 3 },
      { key: newWindow, windowStart: now - 60_000, count: 3 },
    ]);

    const ctx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'cron' });
    const reports = await runCron(ctx, CRON_TASKS);
    expect(reports.find((r) => r.task === 'auth.prune-expired')).toMatchObject({ ok: true });
    expect(reports.find((r) => r.task === 'auth.prune-expired')!.count).toBeGreaterThanOrEqual(5);

    expect(await db.$count(oneTimeCodes, eq(oneTimeCodes.id, staleCode))).toBe(0);
    expect(await db.$count(oneTimeCodes, eq(oneTimeCodes.id, freshCode))).toBe(1);
    expect(await db.$count(loginChallenges, eq(loginChallenges.id, staleChallenge))).toBe(0);
    expect(await db.$count(loginChallenges, eq(loginChallenges.id, freshChallenge))).toBe(1);
    expect(await db.$count(refreshTokens, eq(refreshTokens.userId, user.id))).toBe(1);
    expect(await db.$count(rateLimits, eq(rateLimits.key, oldWindow))).toBe(0);
    expect(await db.$count(rateLimits, eq(rateLimits.key, newWindow))).toBe(1);
    expect(await db.$count(sessions, eq(sessions.id, oldSession))).toBe(0);
    expect(await db.$count(sessions, eq(sessions.id, liveSession))).toBe(1);
  });
});
