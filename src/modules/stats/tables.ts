import { NOTIFICATION_CHANNELS } from '../../db/schema';
import { SCORE_KEYS } from './metrics';
import { average, percent, type SeriesSpec } from './series.service';

/**
 * The tables of numbers the stats routes serve: each a row per period built from the period's metric
 * totals. The column names are the JSON fields and the CSV header alike.
 */

const channelColumn = (channel: string) =>
  `notifications${channel
    .split('-')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')}` as const;

export type UsageRow = {
  period: string;
  signIns: number;
  activeUsers: number;
  registrations: number;
  bookings: number;
  cancellations: number;
  notificationsInApp: number;
  notificationsEmail: number;
  notificationsSms: number;
  notificationsPush: number;
};

export const USAGE: SeriesSpec<UsageRow> = {
  metrics: [
    'auth.sign_ins',
    'users.active',
    'users.registered',
    'appointments.booked',
    'appointments.cancelled',
    'notifications.sent',
  ],
  periodMetrics: { 'users.active': { week: 'users.active.week', month: 'users.active.month' } },
  row: (period, t) => ({
    period,
    signIns: t.get('auth.sign_ins'),
    activeUsers: t.get('users.active'),
    registrations: t.get('users.registered'),
    bookings: t.get('appointments.booked'),
    cancellations: t.get('appointments.cancelled'),
    ...(Object.fromEntries(
      NOTIFICATION_CHANNELS.map((channel) => [channelColumn(channel), t.get('notifications.sent', channel)]),
    ) as Pick<UsageRow, 'notificationsInApp' | 'notificationsEmail' | 'notificationsSms' | 'notificationsPush'>),
  }),
};

type ScoreKey = (typeof SCORE_KEYS)[number];
type ScoreColumns = { [K in ScoreKey as `${K}ScoreAverage`]: number | null };

export type WellnessRow = {
  period: string;
  healthScores: number;
} & ScoreColumns & {
    dosesTaken: number;
    dosesMissed: number;
    dosesSkipped: number;
    dosesPending: number;
    adherencePercent: number | null;
    vaccinesAdministered: number;
  };

export const WELLNESS: SeriesSpec<WellnessRow> = {
  metrics: [
    ...SCORE_KEYS.flatMap((key) => [`wellness.score.${key}.sum`, `wellness.score.${key}.count`]),
    'doses.by_status',
    'vaccines.administered',
  ],
  row: (period, t) => {
    const taken = t.get('doses.by_status', 'taken');
    const missed = t.get('doses.by_status', 'missed');
    const skipped = t.get('doses.by_status', 'skipped');
    return {
      period,
      healthScores: t.get('wellness.score.overall.count'),
      ...(Object.fromEntries(
        SCORE_KEYS.map((key) => [
          `${key}ScoreAverage`,
          average(t.get(`wellness.score.${key}.sum`), t.get(`wellness.score.${key}.count`)),
        ]),
      ) as ScoreColumns),
      dosesTaken: taken,
      dosesMissed: missed,
      dosesSkipped: skipped,
      dosesPending: t.get('doses.by_status', 'pending'),
      adherencePercent: percent(taken, taken + missed + skipped),
      vaccinesAdministered: t.get('vaccines.administered'),
    };
  },
};

export type HomeCareRow = {
  period: string;
  caregiverRegistrations: number;
  patientRegistrations: number;
  sessions: number;
  sessionsCompleted: number;
  sessionsCancelled: number;
  sessionsNoShow: number;
  completionPercent: number | null;
  alertsRaised: number;
  alertsAcknowledged: number;
  averageAckSeconds: number | null;
};

export const HOME_CARE: SeriesSpec<HomeCareRow> = {
  metrics: [
    'users.registered',
    'care_sessions.by_status',
    'care_alerts.raised',
    'care_alerts.acknowledged',
    'care_alerts.ack_seconds_sum',
  ],
  row: (period, t) => {
    const completed = t.get('care_sessions.by_status', 'completed');
    const cancelled = t.get('care_sessions.by_status', 'cancelled');
    const noShow = t.get('care_sessions.by_status', 'no-show');
    const acknowledged = t.get('care_alerts.acknowledged');
    return {
      period,
      caregiverRegistrations: t.get('users.registered', 'caregiver'),
      patientRegistrations: t.get('users.registered', 'user'),
      sessions: t.get('care_sessions.by_status'),
      sessionsCompleted: completed,
      sessionsCancelled: cancelled,
      sessionsNoShow: noShow,
      completionPercent: percent(completed, completed + cancelled + noShow),
      alertsRaised: t.get('care_alerts.raised'),
      alertsAcknowledged: acknowledged,
      averageAckSeconds: average(t.get('care_alerts.ack_seconds_sum'), acknowledged),
    };
  },
};
