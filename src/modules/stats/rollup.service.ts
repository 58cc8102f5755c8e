import { type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { dailyRollups, rollupState, statsCalendar, users } from '../../db/schema';
import { qualified, rawBatch } from '../../db/sql';
import { addDays, daysBetween, HOUR_MS, isoWeekday, localDateAt, zonedInstant } from '../../lib/time';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { aggregateOf, dimOf, METRICS, type MetricDefinition, whereOf } from './metrics';

/** At most this many not-yet-rolled days per run: a first run on a big database backfills in steps. */
export const ROLLUP_DAYS_PER_RUN = 31;
/** The last closed days rolled again (late changes: a visit completed the morning after). */
export const REROLL_DAYS = 2;
/** How often the last closed days are rolled again. */
export const REROLL_EVERY_MS = HOUR_MS;
/** Calendar rows kept around today: one day back, two ahead. */
const CALENDAR_BACK = 1;
const CALENDAR_AHEAD = 2;
const STATE_ID = 'daily';

export interface DayWindow {
  day: string;
  start: number;
  end: number;
}

/** A local day of `zone` and its UTC bounds [start, end) (23, 24 or 25 hours long). */
export function dayWindow(day: string, zone: string): DayWindow {
  return { day, start: zonedInstant(day, '00:00', zone), end: zonedInstant(addDays(day, 1), '00:00', zone) };
}

/** The first day of the ISO week (Monday) or calendar month of `day`. */
export function periodStart(day: string, period: 'week' | 'month'): string {
  return period === 'week' ? addDays(day, 1 - isoWeekday(day)) : `${day.slice(0, 8)}01`;
}

const daysFrom = (first: string, last: string) =>
  first > last ? [] : Array.from({ length: daysBetween(first, last) + 1 }, (_, i) => addDays(first, i));

/** `(day, s, e), …` of the windows, for a VALUES list (generated dates and integers only). */
const valuesOf = (windows: DayWindow[]) =>
  sql.raw(windows.map((w) => `('${w.day}', ${Math.trunc(w.start)}, ${Math.trunc(w.end)})`).join(', '));

const UPSERT = sql`on conflict (metric, day, dim) do update set value = excluded.value, computed_at = excluded.computed_at`;

/**
 * The one INSERT … SELECT that rolls `metric` up over `windows` (each window's rows grouped by its day
 * and the metric's dimension), as an upsert.
 */
function rollupStatement(metric: MetricDefinition, windows: DayWindow[], now: number): SQL {
  const join = metric.date ? sql`${metric.date} = d.day` : sql`${metric.at} >= d.s and ${metric.at} < d.e`;
  return sql`with d(day, s, e) as (values ${valuesOf(windows)})
    insert into ${dailyRollups} (metric, dim, day, value, computed_at)
    select ${metric.name}, coalesce(${dimOf(metric)}, ''), d.day, coalesce(${aggregateOf(metric)}, 0), ${now}
    from d join ${metric.from} on ${join}
    where ${whereOf(metric)}
    group by d.day, 2
    ${UPSERT}`;
}

/** A gauge's value at the end of `window`'s day: every row before its end. */
function gaugeStatement(metric: MetricDefinition, window: DayWindow, now: number): SQL {
  return sql`insert into ${dailyRollups} (metric, dim, day, value, computed_at)
    select ${metric.name}, coalesce(${dimOf(metric)}, ''), ${window.day}, ${aggregateOf(metric)}, ${now}
    from ${metric.from}
    where ${metric.at} < ${window.end} and ${whereOf(metric)}
    group by 2
    ${UPSERT}`;
}

/**
 * The windows a period metric is rolled over: for each week or month touched by `days`, from the
 * period's first day to the end of the latest of `days` in it (period to date), keyed by its first day.
 */
function periodWindows(metric: MetricDefinition, days: string[], zone: string): DayWindow[] {
  const latest = new Map<string, string>();
  for (const day of days) {
    const key = periodStart(day, metric.period!);
    if (!latest.has(key) || latest.get(key)! < day) latest.set(key, day);
  }
  return [...latest].map(([key, last]) => ({
    day: key,
    start: dayWindow(key, zone).start,
    end: dayWindow(last, zone).end,
  }));
}

/** The statements that (re)compute every metric for `days`: stale rows of those days go first. */
export function rollupStatements(days: string[], zone: string, lastClosed: string, now: number): SQL[] {
  const windows = days.map((day) => dayWindow(day, zone));
  // Inlined, not bound: D1 allows 100 bound parameters a statement, and these are generated dates and
  // the registry's own names.
  const quoted = (values: string[]) => sql.raw(values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', '));
  const statements: SQL[] = [];
  const dayMetrics = METRICS.filter((m: MetricDefinition) => !m.kind && !m.period);
  statements.push(
    sql`delete from ${dailyRollups} where day in (${quoted(days)}) and metric in (${quoted(dayMetrics.map((m) => m.name))})`,
  );
  for (const metric of METRICS as readonly MetricDefinition[]) {
    if (metric.kind === 'gauge') {
      // Only the latest closed day: a level is read as its last value (plus today's live events).
      statements.push(sql`delete from ${dailyRollups} where metric = ${metric.name} and day = ${lastClosed}`);
      statements.push(gaugeStatement(metric, dayWindow(lastClosed, zone), now));
    } else if (metric.period) {
      statements.push(rollupStatement(metric, periodWindows(metric, days, zone), now));
    } else {
      statements.push(rollupStatement(metric, windows, now));
    }
  }
  return statements;
}

/**
 * The cron task `stats.rollup`: rolls up every closed day (before today in `stats.timeZone`) not rolled
 * yet, oldest first and at most ROLLUP_DAYS_PER_RUN a run, and rolls the last REROLL_DAYS closed days
 * again every REROLL_EVERY_MS for late changes. Every statement is an upsert over whole days, so running
 * it twice leaves the same rows. It also keeps the calendar of today's bounds the reads use. A change of
 * the time zone drops every rollup and starts over from the first account's day. Answers the days rolled.
 */
export async function rollUpStats(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const read = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    state: ctx.db
      .select()
      .from(rollupState)
      .where(sql`${qualified(rollupState.id)} = ${STATE_ID}`),
    first: ctx.db.select({ at: sql<number | null>`min(${qualified(users.createdAt)})` }).from(users),
    calendar: ctx.db.select({ last: sql<string | null>`max(${qualified(statsCalendar.day)})` }).from(statsCalendar),
  });
  primeSettings(ctx, read.settings);
  const zone = await getSetting(ctx, 'stats.timeZone');
  const today = localDateAt(now, zone);
  const lastClosed = addDays(today, -1);
  const state = read.state[0];
  const fresh = !state || state.timeZone !== zone;
  const firstAt = read.first[0]?.at;
  const nextDay = fresh ? (firstAt == null ? today : localDateAt(firstAt, zone)) : state.nextDay;

  const pending = daysFrom(nextDay, lastClosed).slice(0, ROLLUP_DAYS_PER_RUN);
  const reroll =
    !fresh && now - state.rerolledAt >= REROLL_EVERY_MS
      ? daysFrom(addDays(lastClosed, 1 - REROLL_DAYS), lastClosed).filter((day) => day < nextDay)
      : [];
  const days = [...reroll, ...pending];

  const statements: SQL[] = [];
  if (fresh) {
    statements.push(sql`delete from ${dailyRollups}`, sql`delete from ${statsCalendar}`);
  }
  const calendarThrough = addDays(today, CALENDAR_AHEAD);
  if (fresh || (read.calendar[0]?.last ?? '') < calendarThrough) {
    const calendar = daysFrom(addDays(today, -CALENDAR_BACK), calendarThrough).map((day) => dayWindow(day, zone));
    statements.push(
      sql`delete from ${statsCalendar} where day < ${calendar[0]!.day}`,
      sql`insert into ${statsCalendar} (day, starts_at, ends_at) values ${valuesOf(calendar)}
        on conflict (day) do update set starts_at = excluded.starts_at, ends_at = excluded.ends_at`,
    );
  }
  if (days.length) statements.push(...rollupStatements(days, zone, lastClosed, now));
  if (fresh || days.length) {
    const next = pending.length ? addDays(pending[pending.length - 1]!, 1) : nextDay;
    const rerolledAt = fresh || reroll.length ? now : state.rerolledAt;
    statements.push(sql`insert into ${rollupState} (id, time_zone, next_day, rerolled_at, updated_at)
      values (${STATE_ID}, ${zone}, ${next}, ${rerolledAt}, ${now})
      on conflict (id) do update set time_zone = excluded.time_zone, next_day = excluded.next_day,
        rerolled_at = excluded.rerolled_at, updated_at = excluded.updated_at`);
  }
  await rawBatch(ctx.db, statements);
  return days.length;
}
