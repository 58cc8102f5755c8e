import { type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import {
  APPOINTMENT_STATUSES,
  appointments,
  CARE_ALERT_STATUSES,
  CARE_SESSION_STATUSES,
  careAlerts,
  careSessions,
  DOSE_STATUSES,
  deliveries,
  doses,
  healthScores,
  payments,
  refunds,
  SCORE_CATEGORIES,
  sessions,
  users,
  vaccineSchedules,
} from '../../db/schema';
import { qualified } from '../../db/sql';

/**
 * The metric registry: each metric is ONE SQL aggregate over one table, grouped by local day (and an
 * optional dimension), which the cron task `stats.rollup` runs over a range of closed days and the
 * reads run over today. Adding a metric is adding one definition here.
 *
 * - `at`: the instant column (epoch ms) that puts a row in a day of `stats.timeZone`; it must lead an
 *   index (or follow an `IN` list on the index's first column, as `status IN (…)` does for
 *   `(status, starts_at)`), so each day is an index range.
 * - `date`: instead of `at`, a local date column (`YYYY-MM-DD`) the row already carries (a health
 *   score's date, a vaccine's administration date), with an index.
 * - `dim`: the dimension (a status, a role, a channel); `''` without one. Never a user id: rollups are
 *   platform-wide, so account erasure has nothing to do here.
 * - `value`: the aggregate, `count(*)` unless given; every value is additive across days (averages
 *   are stored as a sum and a count, and divided when read).
 * - `kind: 'gauge'`: a level, not events: the value at the end of the day (only the latest closed day
 *   is rolled), read as the last rolled value plus today's live events.
 * - `period`: distinct counts (active users) that do not add up across days: rolled per ISO week or
 *   calendar month to date, keyed by the period's first day.
 */
export interface MetricDefinition {
  name: string;
  from: SQL;
  at?: SQL;
  date?: SQL;
  dim?: SQL;
  value?: SQL;
  where?: SQL;
  kind?: 'gauge';
  period?: 'week' | 'month';
}

const inList = (values: readonly string[]) =>
  sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );

/**
 * Rows per status by the day of `at`, through a `(status, at)` index: `status IN (every status)` makes
 * each day one index range per status.
 */
function byStatus(
  name: string,
  table: SQLiteTable,
  at: SQLiteColumn,
  status: SQLiteColumn,
  statuses: readonly string[],
) {
  return {
    name,
    from: sql`${table}`,
    at: sql`${qualified(at)}`,
    dim: sql`${qualified(status)}`,
    where: sql`${qualified(status)} in (${inList(statuses)})`,
  };
}

/** What a health score holds: the overall score and each category. */
export const SCORE_KEYS = ['overall', ...SCORE_CATEGORIES] as const;

const scoreMetrics: MetricDefinition[] = SCORE_KEYS.flatMap((category) => {
  const column = sql.raw(`"health_scores"."${category}"`);
  return [
    {
      name: `wellness.score.${category}.sum`,
      from: sql`${healthScores}`,
      date: sql`${qualified(healthScores.date)}`,
      value: sql`sum(${column})`,
      where: sql`${column} is not null`,
    },
    {
      name: `wellness.score.${category}.count`,
      from: sql`${healthScores}`,
      date: sql`${qualified(healthScores.date)}`,
      value: sql`count(${column})`,
      where: sql`${column} is not null`,
    },
  ];
});

export const METRICS = [
  // Appointments by the day they take place, per status: total and completed appointments.
  byStatus('appointments.by_status', appointments, appointments.startsAt, appointments.status, APPOINTMENT_STATUSES),
  // Bookings by the day they were made, per type (in-person, video).
  {
    name: 'appointments.booked',
    from: sql`${appointments}`,
    at: sql`${qualified(appointments.createdAt)}`,
    dim: sql`${qualified(appointments.type)}`,
  },
  {
    name: 'appointments.cancelled',
    from: sql`${appointments}`,
    at: sql`${qualified(appointments.cancelledAt)}`,
    where: sql`${qualified(appointments.status)} = 'cancelled'`,
  },
  // Accounts not removed, per role, at the end of the day.
  {
    name: 'users.total',
    kind: 'gauge',
    from: sql`${users}`,
    at: sql`${qualified(users.createdAt)}`,
    dim: sql`${qualified(users.role)}`,
    where: sql`${qualified(users.status)} <> 'removed'`,
  },
  // Registrations per day and role (caregiver and patient registration trends).
  {
    name: 'users.registered',
    from: sql`${users}`,
    at: sql`${qualified(users.createdAt)}`,
    dim: sql`${qualified(users.role)}`,
  },
  // Sign-ins: one session per sign-in, per method.
  {
    name: 'auth.sign_ins',
    from: sql`${sessions}`,
    at: sql`${qualified(sessions.createdAt)}`,
    dim: sql`${qualified(sessions.method)}`,
  },
  // Active users: distinct accounts whose session was last used in the period (a day, a week, a month).
  {
    name: 'users.active',
    from: sql`${sessions}`,
    at: sql`${qualified(sessions.lastUsedAt)}`,
    value: sql`count(distinct ${qualified(sessions.userId)})`,
  },
  {
    name: 'users.active.week',
    period: 'week',
    from: sql`${sessions}`,
    at: sql`${qualified(sessions.lastUsedAt)}`,
    value: sql`count(distinct ${qualified(sessions.userId)})`,
  },
  {
    name: 'users.active.month',
    period: 'month',
    from: sql`${sessions}`,
    at: sql`${qualified(sessions.lastUsedAt)}`,
    value: sql`count(distinct ${qualified(sessions.userId)})`,
  },
  // Notifications handed to their channel (sent or delivered), per channel.
  {
    name: 'notifications.sent',
    from: sql`${deliveries}`,
    at: sql`${qualified(deliveries.sentAt)}`,
    dim: sql`${qualified(deliveries.channel)}`,
    where: sql`${qualified(deliveries.status)} in ('sent', 'delivered')`,
  },
  // Money: payments by the day they were paid and refunds by the day they succeeded, per currency.
  {
    name: 'payments.paid_cents',
    from: sql`${payments}`,
    at: sql`${qualified(payments.paidAt)}`,
    dim: sql`${qualified(payments.currency)}`,
    value: sql`sum(${qualified(payments.amountCents)})`,
    where: sql`${qualified(payments.status)} = 'paid'`,
  },
  {
    name: 'refunds.succeeded_cents',
    from: sql`${refunds}`,
    at: sql`${qualified(refunds.refundedAt)}`,
    dim: sql`${qualified(refunds.currency)}`,
    value: sql`sum(${qualified(refunds.amountCents)})`,
    where: sql`${qualified(refunds.status)} = 'succeeded'`,
  },
  // Health & Wellness: average scores per category (sum and count), dose adherence, vaccines given.
  ...scoreMetrics,
  byStatus('doses.by_status', doses, doses.scheduledAt, doses.status, DOSE_STATUSES),
  {
    name: 'vaccines.administered',
    from: sql`${vaccineSchedules}`,
    date: sql`${qualified(vaccineSchedules.administeredOn)}`,
    dim: sql`${qualified(vaccineSchedules.vaccineId)}`,
    where: sql`${qualified(vaccineSchedules.status)} = 'administered'`,
  },
  // Home Care: sessions by the day they take place per status, alert response times.
  byStatus('care_sessions.by_status', careSessions, careSessions.startsAt, careSessions.status, CARE_SESSION_STATUSES),
  {
    name: 'care_alerts.raised',
    from: sql`${careAlerts}`,
    at: sql`${qualified(careAlerts.createdAt)}`,
    dim: sql`${qualified(careAlerts.severity)}`,
    where: sql`${qualified(careAlerts.status)} in (${inList(CARE_ALERT_STATUSES)})`,
  },
  {
    name: 'care_alerts.ack_seconds_sum',
    from: sql`${careAlerts}`,
    at: sql`${qualified(careAlerts.createdAt)}`,
    value: sql`sum(${qualified(careAlerts.ackSeconds)})`,
    where: sql`${qualified(careAlerts.status)} = 'acknowledged' and ${qualified(careAlerts.ackSeconds)} is not null`,
  },
  {
    name: 'care_alerts.acknowledged',
    from: sql`${careAlerts}`,
    at: sql`${qualified(careAlerts.createdAt)}`,
    where: sql`${qualified(careAlerts.status)} = 'acknowledged' and ${qualified(careAlerts.ackSeconds)} is not null`,
  },
] as const satisfies readonly MetricDefinition[];

/** A metric's dimension (`''` without one), aggregate (`count(*)` unless given) and condition (`1`). */
export const dimOf = (metric: MetricDefinition) => metric.dim ?? sql`''`;
export const aggregateOf = (metric: MetricDefinition) => metric.value ?? sql`count(*)`;
export const whereOf = (metric: MetricDefinition) => metric.where ?? sql`1`;

const BY_NAME = new Map<string, MetricDefinition>(METRICS.map((m) => [m.name, m]));

/** The definition of a registered metric (a typo is a programming error). */
export function metricNamed(name: string): MetricDefinition {
  const metric = BY_NAME.get(name);
  if (!metric) throw new Error(`unknown metric ${name}`);
  return metric;
}
