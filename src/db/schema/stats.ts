import { integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One metric's value for one local day (`YYYY-MM-DD` in the setting `stats.timeZone`) and one
 * dimension value (a status, a role, a channel, a currency; `''` when the metric has none), written by
 * the cron task `stats.rollup` (src/modules/stats). Counts, sums and, for a gauge, the value at the end
 * of the day. Never a user id: the rows are platform-wide aggregates, so account erasure has nothing
 * to erase here.
 */
export const dailyRollups = sqliteTable(
  'daily_rollups',
  {
    metric: text('metric').notNull(),
    dim: text('dim').notNull(),
    day: text('day').notNull(),
    value: real('value').notNull(),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metric, t.day, t.dim] })],
);

/**
 * The rollup watermark: one row (`id` 'daily'). `nextDay` is the first closed day not rolled yet,
 * `timeZone` the zone the stored days are in (a change of the setting rebuilds every rollup),
 * `rerolledAt` when the last closed days were last rolled again for late changes.
 */
export const rollupState = sqliteTable('rollup_state', {
  id: text('id').primaryKey(),
  timeZone: text('time_zone').notNull(),
  nextDay: text('next_day').notNull(),
  rerolledAt: integer('rerolled_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Local days of `stats.timeZone` around now with their UTC bounds, kept by the cron a few days ahead,
 * so a read finds "today" (and its month and year) in SQL, in the same batch as its rollups, without
 * first reading the setting.
 */
export const statsCalendar = sqliteTable('stats_calendar', {
  day: text('day').primaryKey(),
  startsAt: integer('starts_at').notNull(),
  endsAt: integer('ends_at').notNull(),
});
