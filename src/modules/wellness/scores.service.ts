import { and, desc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type HealthScoreRow, healthScores, SCORE_CATEGORIES } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { addDays, iso } from '../../lib/time';
import { oneDecimal, refuseFutureDate } from './wellness.rules';
import type { AveragesView, HealthScoreView, RecordScoresInput, TrendsView } from './wellness.schemas';

/**
 * Health scores: one record per user and local date (recording the date again replaces every value),
 * read back one date, a page of dates, or as weekly and monthly trends. Other users' dates are simply
 * not there (404).
 */

const scoreView = (row: HealthScoreRow): HealthScoreView => ({
  date: row.date,
  overall: row.overall,
  sleep: row.sleep,
  activity: row.activity,
  nutrition: row.nutrition,
  mood: row.mood,
  stress: row.stress,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

const mine = (ctx: AuthedContext) => eq(healthScores.userId, ctx.actor.id);

/**
 * Records the caller's scores for `date`, replacing what that date held (omitted categories become
 * null). One round trip.
 * @throws AppError VALIDATION_FAILED for a date after tomorrow
 */
export async function recordScores(
  ctx: AuthedContext,
  date: string,
  input: RecordScoresInput,
): Promise<HealthScoreView> {
  refuseFutureDate(ctx, date, 'date');
  const now = ctx.clock.now().getTime();
  const values = {
    overall: input.overall,
    sleep: input.sleep ?? null,
    activity: input.activity ?? null,
    nutrition: input.nutrition ?? null,
    mood: input.mood ?? null,
    stress: input.stress ?? null,
  };
  const [row] = await ctx.db
    .insert(healthScores)
    .values({ id: ctx.ids.id('hsc'), userId: ctx.actor.id, date, ...values, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [healthScores.userId, healthScores.date], set: { ...values, updatedAt: now } })
    .returning();
  return scoreView(row as HealthScoreRow);
}

/** The caller's scores of one date. One round trip. @throws AppError NOT_FOUND */
export async function getScores(ctx: AuthedContext, date: string): Promise<HealthScoreView> {
  const [row] = await ctx.db
    .select()
    .from(healthScores)
    .where(and(mine(ctx), eq(healthScores.date, date)));
  if (!row) throw notFound('Health score');
  return scoreView(row);
}

/** A page of the caller's recorded dates, newest first, optionally within `from`–`to`. One round trip. */
export function listScores(ctx: AuthedContext, query: { page: number; limit: number; from?: string; to?: string }) {
  return paginate(ctx.db, healthScores, {
    where: and(
      mine(ctx),
      query.from ? gte(healthScores.date, query.from) : undefined,
      query.to ? lte(healthScores.date, query.to) : undefined,
    ),
    orderBy: [desc(healthScores.date)],
    page: query.page,
    limit: query.limit,
    map: scoreView,
  });
}

/** Deletes the caller's scores of one date. One round trip. @throws AppError NOT_FOUND */
export async function deleteScores(ctx: AuthedContext, date: string): Promise<void> {
  const deleted = await ctx.db
    .delete(healthScores)
    .where(and(mine(ctx), eq(healthScores.date, date)))
    .returning({ id: healthScores.id });
  if (!deleted.length) throw notFound('Health score');
}

/** The Monday on or before the row's date, and the first of its month (SQLite date functions). */
const WEEK_START = sql<string>`date(${healthScores.date}, '-6 days', 'weekday 1')`;
const MONTH_START = sql<string>`strftime('%Y-%m-01', ${healthScores.date})`;

const COLUMNS = ['overall', ...SCORE_CATEGORIES] as const;

function averagesBy(ctx: AuthedContext, start: SQL<string>, from: string, to: string) {
  const averages = Object.fromEntries(
    COLUMNS.map((name) => [name, sql<number | null>`round(avg(${healthScores[name]}), 1)`.mapWith(Number)]),
  ) as Record<(typeof COLUMNS)[number], SQL<number | null>>;
  return ctx.db
    .select({ start, days: sql<number>`count(*)`.mapWith(Number), ...averages })
    .from(healthScores)
    .where(and(mine(ctx), gte(healthScores.date, from), lte(healthScores.date, to)))
    .groupBy(start)
    .orderBy(start);
}

type PeriodRow = Awaited<ReturnType<typeof averagesBy>>[number];

const monthEnd = (start: string) => {
  const [y, m] = start.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

function trend(rows: PeriodRow[], end: (start: string) => string) {
  const periods = rows.map((row) => ({
    start: row.start,
    end: end(row.start),
    days: row.days,
    averages: Object.fromEntries(COLUMNS.map((name) => [name, row[name] ?? null])) as AveragesView,
  }));
  const first = periods[0]?.averages;
  const last = periods.at(-1)?.averages;
  const change = Object.fromEntries(
    COLUMNS.map((name) => {
      const a = first?.[name];
      const b = last?.[name];
      return [name, a == null || b == null ? null : oneDecimal(b - a)];
    }),
  ) as AveragesView;
  return { periods, change };
}

/**
 * Weekly (Monday to Sunday) and monthly averages of the caller's scores recorded from `from` to `to`,
 * and the change of each from the first period to the last. Averaged in SQL, one round trip.
 */
export async function scoreTrends(ctx: AuthedContext, query: { from: string; to: string }): Promise<TrendsView> {
  const [weekly, monthly] = await ctx.db.batch([
    averagesBy(ctx, WEEK_START, query.from, query.to),
    averagesBy(ctx, MONTH_START, query.from, query.to),
  ]);
  return {
    from: query.from,
    to: query.to,
    weekly: trend(weekly, (start) => addDays(start, 6)),
    monthly: trend(monthly, monthEnd),
  };
}
