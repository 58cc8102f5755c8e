import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { batchOf, type Statements } from '../db/batch';
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

/**
 * A per-address limit that people sharing one address (a clinic's network, a carrier's NAT) do not use
 * up by succeeding: `failures` counts only attempts that failed (`RateLimitCounters.failed`) and
 * refuses the address once its limit of them fell in one window, right answer or not; `ceiling` counts
 * every attempt and is set high, so one address still cannot flood.
 */
export interface AddressRule {
  failures: RateRule;
  ceiling: RateRule;
}

/**
 * One hit: the limit, whose budget it spends (an IP, an email, a number; skipped when null), and, when
 * the subject is only known inside the batch, SQL yielding it (a NULL answer skips the hit) with a
 * condition the hit also needs (`onlyIf`, e.g. "the challenge it names is live").
 */
export type RateHit = readonly [rule: RateRule, subject: string | SQL | null | undefined, onlyIf?: SQL];

/** Outside production, RATE_LIMIT_SCALE multiplies every limit (the bench load-tests sign-in with it). */
function limitScale(ctx: RateLimitScope): number {
  if (environmentOf(ctx.env) === 'production') return 1;
  const scale = Number(ctx.env.RATE_LIMIT_SCALE);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

const windowStartOf = (now: number, rule: RateRule) => now - (now % rule.windowMs);
const keyOf = (rule: RateRule, subject: string) => `${rule.name}:${subject.toLowerCase()}`;

/** Named statements of one read batch, as `batchOf` (src/db/batch.ts) takes them. */
export type NamedStatements = Record<`rate:${string}`, BatchItem<'sqlite'>>;

/** The statements that count some hits inside a caller's read batch, and what to do with their answers. */
export interface RateLimitCounters {
  /**
   * One upsert per hit that has a subject (and, with an address rule, the read of its failures), named
   * `rate:…`: spread them into the caller's `batchOf` read batch; empty when there is nothing to count.
   */
  statements: NamedStatements;
  /**
   * Takes the answers of the batch (the caller's other names are ignored). With `only`, checks just
   * the hits of those rules, for a flow that refuses on other grounds between two limits (a password
   * re-check between its own limit and the limit of what it unlocks); check the rest later.
   * @throws AppError RATE_LIMITED with `retryAfter` seconds for the first limit passed: the address's
   * failures, then the hits in the order given (the ceiling first)
   */
  check(results: Readonly<Record<string, unknown>>, only?: readonly RateRule[]): void;
  /**
   * The statement counting this attempt as failed against the address's `failures` rule, for the
   * failure's own write batch (with its audit row); none without an address rule or address.
   */
  failed(): Statements;
  /**
   * Statements giving back every hit the batch counted (found in its answers), for a write batch when
   * the attempt turns out not to count: a request refused after its read batch by a check that must
   * spend no budget (a failed reCAPTCHA run beside the batch).
   */
  refund(results: Readonly<Record<string, unknown>>): Statements;
}

interface PlannedHit {
  name: `rate:${string}`;
  rule: RateRule;
  max: number;
  windowStart: number;
  key: SQL;
  /** True while the hit applies at all (its subject is known and its own condition holds). */
  applies: SQL;
}

/**
 * Counts hits in fixed windows, each with one atomic upsert (so concurrent hits on different isolates
 * cannot both slip through), as statements for the caller's own read batch: a sign-in counts its
 * limits in the same round trip as its reads. The rules are those of calling the limits one after
 * another: a hit is counted only while every earlier hit of the list stayed within its limit (an
 * address over its limit spends no account's budget), and `onlyIf` (SQL, e.g. "the feature flag is
 * on") must hold for any hit to count.
 *
 * With `address`, the address's ceiling is the first hit and its failures are only read (they count
 * through `failed()`, in the failure's write batch): an address that reached its failures is refused,
 * and spends nothing else, until the window ends. Failures are read before the attempt, so attempts in
 * flight together all pass the read; the per-account hits and the ceiling are atomic and bound them.
 * The caller runs `check` on the answers before acting on anything else it read.
 */
export function rateLimitCounters(
  ctx: RateLimitScope,
  hits: readonly RateHit[],
  options: { onlyIf?: SQL; address?: readonly [AddressRule, string | null | undefined] } = {},
): RateLimitCounters {
  const now = ctx.clock.now().getTime();
  const scale = limitScale(ctx);
  const [addressRule, ip] = options.address ?? [null, null];
  const address = addressRule && ip ? { rule: addressRule, ip } : null;
  const failures = address
    ? {
        rule: address.rule.failures,
        max: address.rule.failures.limit * scale,
        windowStart: windowStartOf(now, address.rule.failures),
        key: keyOf(address.rule.failures, address.ip),
      }
    : null;
  const statements: NamedStatements = {};
  const gates: SQL[] = [];
  if (failures) {
    statements['rate:failures'] = ctx.db
      .select({ count: rateLimits.count })
      .from(rateLimits)
      .where(and(eq(rateLimits.key, failures.key), eq(rateLimits.windowStart, failures.windowStart)));
    // Refused once the failures reached the limit: one more wrong guess would pass it.
    gates.push(
      sql`not exists (select 1 from ${rateLimits} where ${rateLimits.key} = ${failures.key} and ${rateLimits.windowStart} = ${failures.windowStart} and ${rateLimits.count} >= ${failures.max})`,
    );
  }
  const planned: PlannedHit[] = [];
  const all: RateHit[] = [...(address ? [[address.rule.ceiling, address.ip] as const] : []), ...hits];
  for (const [rule, subject, onlyIf] of all) {
    if (!subject) continue;
    const windowStart = windowStartOf(now, rule);
    const key =
      typeof subject === 'string' ? sql`${keyOf(rule, subject)}` : sql`(${`${rule.name}:`} || lower(${subject}))`;
    const conditions: SQL[] = [];
    if (typeof subject !== 'string') conditions.push(sql`${subject} is not null`);
    if (onlyIf) conditions.push(onlyIf);
    const hit: PlannedHit = {
      name: `rate:${planned.length}`,
      rule,
      max: rule.limit * scale,
      windowStart,
      key,
      applies: conditions.length ? sql.join(conditions, sql` and `) : sql`1`,
    };
    // Every earlier hit that applies must have stayed within its limit (its row already counts this hit).
    const earlierWithin = planned.map(
      (earlier) =>
        sql`not (${earlier.applies} and exists (select 1 from ${rateLimits} where ${rateLimits.key} = ${earlier.key} and ${rateLimits.windowStart} = ${earlier.windowStart} and ${rateLimits.count} > ${earlier.max}))`,
    );
    const when = sql.join(
      [hit.applies, ...gates, ...earlierWithin, ...(options.onlyIf ? [options.onlyIf] : [])],
      sql` and `,
    );
    planned.push(hit);
    statements[hit.name] = ctx.db
      .insert(rateLimits)
      // INSERT … SELECT with a WHERE (never without one: SQLite would read ON CONFLICT as a join).
      .select(sql`select ${key}, ${windowStart}, 1 where ${when}`)
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`case when ${rateLimits.windowStart} = ${windowStart} then ${rateLimits.count} + 1 else 1 end`,
          windowStart: sql`${windowStart}`,
        },
      })
      .returning({ count: rateLimits.count });
  }
  const refusal = (rule: RateRule, max: number, windowStart: number) =>
    new AppError('RATE_LIMITED', 'Too many attempts; try again later', {
      retryAfter: Math.max(1, Math.ceil((windowStart + rule.windowMs - now) / 1000)),
      rateLimit: { name: rule.name, quota: max, windowSeconds: Math.ceil(rule.windowMs / 1000) },
    });
  return {
    statements,
    check(results, only) {
      const checked = (rule: RateRule) => !only || only.includes(rule);
      if (failures && checked(failures.rule)) {
        const row = (results['rate:failures'] as { count: number }[] | undefined)?.[0];
        if (row && row.count >= failures.max) throw refusal(failures.rule, failures.max, failures.windowStart);
      }
      for (const hit of planned) {
        if (!checked(hit.rule)) continue;
        const row = (results[hit.name] as { count: number }[] | undefined)?.[0];
        if (row && row.count > hit.max) throw refusal(hit.rule, hit.max, hit.windowStart);
      }
    },
    refund(results) {
      return planned
        .filter((hit) => (results[hit.name] as unknown[] | undefined)?.length)
        .map((hit) =>
          ctx.db
            .update(rateLimits)
            .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
            .where(sql`${rateLimits.key} = ${hit.key} and ${rateLimits.windowStart} = ${hit.windowStart}`),
        );
    },
    failed() {
      if (!failures) return [];
      return [
        ctx.db
          .insert(rateLimits)
          .values({ key: failures.key, windowStart: failures.windowStart, count: 1 })
          .onConflictDoUpdate({
            target: rateLimits.key,
            set: {
              count: sql`case when ${rateLimits.windowStart} = ${failures.windowStart} then ${rateLimits.count} + 1 else 1 end`,
              windowStart: sql`${failures.windowStart}`,
            },
          }),
      ];
    },
  };
}

/**
 * Counts several hits in one D1 round trip, with the rules of `rateLimitCounters`. Subjects that are
 * null are skipped.
 * @throws AppError RATE_LIMITED with `retryAfter` seconds for the first limit passed
 */
export async function hitRateLimits(ctx: RateLimitScope, hits: readonly RateHit[]): Promise<void> {
  const counters = rateLimitCounters(ctx, hits);
  counters.check(await batchOf(ctx.db, counters.statements));
}

/**
 * Counts one hit against `rule` for `subject` in a fixed window.
 * @throws AppError RATE_LIMITED with `retryAfter` seconds once the window's limit is passed
 */
export function hitRateLimit(ctx: RateLimitScope, rule: RateRule, subject: string): Promise<void> {
  return hitRateLimits(ctx, [[rule, subject]]);
}

/**
 * Gives back one hit of `rule` counted for `subject` in the current window (never below zero), for a
 * limit that counts what is left unfinished: a code sent counts against its address until it is used.
 * A statement for the caller's write batch.
 */
export function refundRateLimit(ctx: RateLimitScope, rule: RateRule, subject: string) {
  const windowStart = windowStartOf(ctx.clock.now().getTime(), rule);
  return ctx.db
    .update(rateLimits)
    .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
    .where(and(eq(rateLimits.key, keyOf(rule, subject)), eq(rateLimits.windowStart, windowStart)));
}
