import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { rateLimits } from '../db/schema';
import { type Env, environmentOf } from '../env';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';

/** What a limit needs of the unit of work (a service context satisfies it). */
export interface RateLimitScope {
  env: Env;
  db: Db;
  clock: Clock;
}

export interface RateRule {
  /** Name of the limit, e.g. `login:ip`. */
  name: string;
  limit: number;
  windowMs: number;
}

/** Outside production, RATE_LIMIT_SCALE multiplies every limit (the bench load-tests sign-in with it). */
function limitScale(ctx: RateLimitScope): number {
  if (environmentOf(ctx.env) === 'production') return 1;
  const scale = Number(ctx.env.RATE_LIMIT_SCALE);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

/**
 * Counts one hit against `rule` for `subject` (an IP, an email, a number) in a fixed window, with one
 * atomic upsert in D1 (so concurrent hits on different isolates cannot both slip through).
 * @throws AppError RATE_LIMITED with `retryAfter` seconds once the window's limit is passed.
 */
export async function hitRateLimit(ctx: RateLimitScope, rule: RateRule, subject: string): Promise<void> {
  const now = ctx.clock.now().getTime();
  const windowStart = now - (now % rule.windowMs);
  const key = `${rule.name}:${subject.toLowerCase()}`;
  const row = await ctx.db
    .insert(rateLimits)
    .values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} = ${windowStart} then ${rateLimits.count} + 1 else 1 end`,
        windowStart: sql`${windowStart}`,
      },
    })
    .returning({ count: rateLimits.count })
    .get();
  if (row.count > rule.limit * limitScale(ctx)) {
    throw new AppError('RATE_LIMITED', 'Too many attempts; try again later', {
      retryAfter: Math.max(1, Math.ceil((windowStart + rule.windowMs - now) / 1000)),
    });
  }
}

/** Checks several limits; the first one exceeded throws. Subjects that are null are skipped. */
export async function hitRateLimits(ctx: RateLimitScope, hits: [RateRule, string | null | undefined][]): Promise<void> {
  for (const [rule, subject] of hits) if (subject) await hitRateLimit(ctx, rule, subject);
}
