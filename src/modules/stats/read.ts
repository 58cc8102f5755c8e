import { type SQL, sql } from 'drizzle-orm';
import { dailyRollups, statsCalendar } from '../../db/schema';
import { qualified } from '../../db/sql';
import { localDateAt } from '../../lib/time';
import { aggregateOf, dimOf, type MetricDefinition, metricNamed, whereOf } from './metrics';

/**
 * What every stats read shares: today's bounds from the cron's calendar (so a read needs no setting
 * first), a metric's rollups over a range, and the same metric's live aggregate over today, all as
 * raw statements for ONE `rawBatch` (one round trip, the guard's gate beside it).
 */

/** Today's local day, start and end (ms) in `stats.timeZone`, from the calendar the cron keeps. */
export function today(now: number) {
  const pick = (column: string) =>
    sql`(select ${sql.raw(column)} from ${statsCalendar} where ${qualified(statsCalendar.startsAt)} <= ${now} and ${qualified(statsCalendar.endsAt)} > ${now})`;
  // Before the cron's first run there is no calendar: today is the UTC date and its UTC bounds.
  const utcDay = localDateAt(now, 'UTC');
  const utcStart = Date.parse(`${utcDay}T00:00:00Z`);
  return {
    day: sql`coalesce(${pick('day')}, ${utcDay})`,
    start: sql`coalesce(${pick('starts_at')}, ${utcStart})`,
    end: sql`coalesce(${pick('ends_at')}, ${utcStart + 86_400_000})`,
  };
}

const names = (metrics: string[]) =>
  sql.join(
    metrics.map((m) => sql`${m}`),
    sql`, `,
  );

/** Rollup rows `{ metric, dim, day, value }` of `metrics` for closed days in [from, to], oldest first. */
export function rollupRows(metrics: string[], from: string, to: string, now: number): SQL {
  return sql`select metric, dim, day, value from ${dailyRollups}
    where metric in (${names(metrics)}) and day >= ${from} and day <= ${to} and day < ${today(now).day}
    order by day, metric, dim`;
}

/**
 * `{ metric, dim, day, value }` of `metrics` today (day = today's date), computed live: each metric's
 * aggregate over today's bounds only (an index range), or today's date for a dated metric.
 */
export function liveRows(metric: string, now: number): SQL {
  const m: MetricDefinition = metricNamed(metric);
  const t = today(now);
  const range = m.date ? sql`${m.date} = ${t.day}` : sql`${m.at} >= ${t.start} and ${m.at} < ${t.end}`;
  return sql`select ${metric} as metric, coalesce(${dimOf(m)}, '') as dim, ${t.day} as day,
      coalesce(${aggregateOf(m)}, 0) as value
    from ${m.from} where ${range} and ${whereOf(m)} group by 2`;
}

export interface MetricRow {
  metric: string;
  dim: string;
  day: string;
  value: number;
}

export const asRows = (rows: Record<string, unknown>[]): MetricRow[] =>
  rows.map((r) => ({ metric: String(r.metric), dim: String(r.dim), day: String(r.day), value: Number(r.value) }));
