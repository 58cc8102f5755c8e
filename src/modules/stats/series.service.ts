import type { AuthedContext } from '../../context';
import { rawBatch } from '../../db/sql';
import { addDays, assertDayRange, localDateAt } from '../../lib/time';
import { metricNamed } from './metrics';
import { asRows, liveRows, type MetricRow, rollupRows } from './read';
import { periodStart } from './rollup.service';

/** At most this many days per stats request. */
export const MAX_RANGE_DAYS = 366;

export type Granularity = 'day' | 'week' | 'month';

export interface SeriesQuery {
  from: string;
  to: string;
  granularity: Granularity;
}

/** The totals of one period: `get(metric)` sums every dimension, `get(metric, dim)` one. */
export interface PeriodTotals {
  get(metric: string, dim?: string): number;
}

/**
 * A table of numbers: which metrics it reads (period metrics in place of a day metric for weeks and
 * months) and how each row's columns come from a period's totals.
 */
export interface SeriesSpec<Row> {
  metrics: string[];
  /** For week and month: a metric read from its own period rollup (distinct counts) instead of summed days. */
  periodMetrics?: Record<string, { week: string; month: string }>;
  row(period: string, totals: PeriodTotals): Row;
}

/** A period's key: the day itself, or the first day of its ISO week or calendar month. */
const keyOf = (day: string, granularity: Granularity) => (granularity === 'day' ? day : periodStart(day, granularity));

/** The keys of every period that [from, to] touches, in order. */
function periodKeys(from: string, to: string, granularity: Granularity): string[] {
  const keys: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const key = keyOf(day, granularity);
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  return keys;
}

/** 422 unless `from` ≤ `to` and the range is at most MAX_RANGE_DAYS days. */
export function checkRange(query: SeriesQuery): void {
  assertDayRange(query.from, query.to, MAX_RANGE_DAYS);
}

/**
 * One table of numbers over [from, to] (local dates of `stats.timeZone`) in ONE round trip: the rollups
 * of the closed days in the range, and each metric's live aggregate over today (used when today is in
 * the range), bucketed by day, ISO week (keyed by its Monday) or calendar month (keyed by its first day).
 * Periods with no data are rows of zeros, so a chart has every period.
 */
export async function readSeries<Row>(
  ctx: AuthedContext,
  query: SeriesQuery,
  spec: SeriesSpec<Row>,
): Promise<{ from: string; to: string; granularity: Granularity; rows: Row[] }> {
  checkRange(query);
  const now = ctx.clock.now().getTime();
  const { from, to, granularity } = query;
  const replaced = granularity === 'day' ? {} : (spec.periodMetrics ?? {});
  const summed = spec.metrics.filter((m) => !(m in replaced));
  const periodic = Object.values(replaced).map((p) => p[granularity as 'week' | 'month']);
  // Period rollups are keyed by their first day, which may be before `from`.
  const periodFrom = keyOf(from, granularity);
  const liveMetrics = spec.metrics.filter((m) => !metricNamed(m).period);
  const results = await rawBatch(ctx.db, [
    rollupRows(summed, from, to, now),
    ...(periodic.length ? [rollupRows(periodic, periodFrom, to, now)] : []),
    ...liveMetrics.map((metric) => liveRows(metric, now)),
  ]);
  const rows: MetricRow[] = [];
  results.forEach((result, i) => {
    for (const row of asRows(result)) {
      const isLive = i >= (periodic.length ? 2 : 1);
      // Today's live figure: only inside the range; a replaced metric's live day stands for its period.
      if (isLive && (row.day < from || row.day > to)) continue;
      if (isLive && row.metric in replaced) {
        // A distinct count of today alone cannot be added to the period's: the period keeps its rollup.
        continue;
      }
      rows.push(row);
    }
  });

  const keys = periodKeys(from, to, granularity);
  const totals = new Map<string, Map<string, number>>(keys.map((key) => [key, new Map()]));
  const reverse = new Map(Object.entries(replaced).map(([day, p]) => [p[granularity as 'week' | 'month'], day]));
  for (const row of rows) {
    const key = keyOf(row.day, granularity);
    const bucket = totals.get(key);
    if (!bucket) continue;
    const metric = reverse.get(row.metric) ?? row.metric;
    for (const name of [`${metric}|${row.dim}`, `${metric}|*`]) bucket.set(name, (bucket.get(name) ?? 0) + row.value);
  }
  return {
    from,
    to,
    granularity,
    rows: keys.map((key) => {
      const bucket = totals.get(key)!;
      return spec.row(key, { get: (metric, dim) => bucket.get(`${metric}|${dim ?? '*'}`) ?? 0 });
    }),
  };
}

/** Today's local date in UTC terms, for defaults: the last 30 days up to today. */
export function defaultRange(now: Date): { from: string; to: string } {
  const to = localDateAt(now, 'UTC');
  return { from: addDays(to, -29), to };
}

/** `part / whole` as a percentage with one decimal, null when `whole` is 0. */
export const percent = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : null);
/** `sum / count` with two decimals, null when `count` is 0. */
export const average = (sum: number, count: number) => (count ? Math.round((sum / count) * 100) / 100 : null);
