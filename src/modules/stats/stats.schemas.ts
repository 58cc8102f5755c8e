import { z } from '@hono/zod-openapi';
import { APPOINTMENT_STATUSES, APPOINTMENT_TYPES } from '../../db/schema';
import { LocalDateSchema } from '../../http/openapi';
import { MAX_RANGE_DAYS } from './series.service';

const localDate = (example: string) => LocalDateSchema.openapi({ example });

const FORMAT = z.enum(['json', 'csv']).default('json').openapi({
  description:
    '`csv` answers the same table as a CSV download (`text/csv`, header row, `Content-Disposition: attachment`); `json` (default) the envelope.',
  example: 'json',
});

export const DashboardQuery = z.object({ format: FORMAT });

export const StatsQuery = z.object({
  from: localDate('2026-11-01')
    .optional()
    .openapi({
      description: `First day (local date in the setting \`stats.timeZone\`); default 29 days before \`to\`. At most ${MAX_RANGE_DAYS} days per request.`,
    }),
  to: localDate('2026-11-30').optional().openapi({ description: 'Last day, inclusive; default today (UTC date)' }),
  granularity: z.enum(['day', 'week', 'month']).default('day').openapi({
    description: 'Rows per day, per ISO week (keyed by its Monday) or per calendar month (keyed by its 1st)',
  }),
  format: FORMAT,
});

const MoneySchema = z
  .object({
    currency: z.string().openapi({ example: 'EUR', description: 'ISO 4217' }),
    amountCents: z
      .number()
      .int()
      .openapi({ example: 125000, description: "Net (paid − refunded), in the currency's minor unit (cents for EUR)" }),
  })
  .openapi('MoneyAmount');

const person = z.object({
  id: z.string().openapi({ example: 'usr_01DEMD0PAT1ENT000000000000' }),
  name: z.string().nullable().openapi({ example: 'Pat Example' }),
});

const DASHBOARD_EXAMPLE = {
  totalUsers: 1250,
  totalDoctors: 42,
  totalPatients: 1150,
  totalAppointments: 100000,
  todayAppointments: 137,
  pendingAppointments: 58,
  completedAppointments: 81234,
  revenue: {
    today: [{ currency: 'EUR', amountCents: 685000 }],
    thisMonth: [{ currency: 'EUR', amountCents: 2750000 }],
    thisYear: [{ currency: 'EUR', amountCents: 41200000 }],
  },
  recentAppointments: [
    {
      id: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
      status: 'pending' as const,
      type: 'video' as const,
      startsAt: '2026-12-05T09:00:00.000Z',
      createdAt: '2026-12-04T16:12:03.000Z',
      patient: { id: 'usr_01DEMD0PAT1ENT000000000000', name: 'Pat Example' },
      doctor: { id: 'usr_01DEMD0D0CT0R0000000000000', name: 'Dr. Ana Rivera' },
    },
  ],
  topDoctors: [
    {
      id: 'usr_01DEMD0D0CT0R0000000000000',
      name: 'Dr. Ana Rivera',
      appointmentCount: 212,
      rating: { average: 4.7, count: 38 },
    },
  ],
  asOf: { today: '2026-12-04', rolledThrough: '2026-12-03' },
};

export const DashboardSchema = z
  .object({
    totalUsers: z.number().int().openapi({ description: 'Accounts not removed, every role' }),
    totalDoctors: z.number().int(),
    totalPatients: z.number().int(),
    totalAppointments: z.number().int().openapi({ description: 'Every appointment, any status' }),
    todayAppointments: z.number().int().openapi({ description: 'Appointments starting today, any status' }),
    pendingAppointments: z.number().int().openapi({ description: 'Pending appointments that have not started yet' }),
    completedAppointments: z.number().int(),
    revenue: z.object({
      today: z.array(MoneySchema),
      thisMonth: z.array(MoneySchema),
      thisYear: z.array(MoneySchema),
    }),
    recentAppointments: z.array(
      z.object({
        id: z.string(),
        status: z.enum(APPOINTMENT_STATUSES),
        type: z.enum(APPOINTMENT_TYPES),
        startsAt: z.string(),
        createdAt: z.string(),
        patient: person,
        doctor: person,
      }),
    ),
    topDoctors: z.array(
      z.object({
        id: z.string(),
        name: z.string().nullable(),
        appointmentCount: z.number().int(),
        rating: z.object({
          average: z.number().nullable().openapi({ description: 'null below the setting `reviews.minCountToShow`' }),
          count: z.number().int(),
        }),
      }),
    ),
    asOf: z.object({
      today: z.string().openapi({ description: 'Today in `stats.timeZone`' }),
      rolledThrough: z
        .string()
        .nullable()
        .openapi({ description: 'The last day the rollups cover (null before the first rollup)' }),
    }),
  })
  .openapi('AdminDashboard', { example: DASHBOARD_EXAMPLE });

const count = (example: number) => z.number().int().openapi({ example });
const ratio = (example: number | null) => z.number().nullable().openapi({ example });
const period = z
  .string()
  .openapi({ example: '2026-11-02', description: 'The day, or the first day of the week or month' });

const series = <T extends z.ZodRawShape>(name: string, row: z.ZodObject<T>, example: Record<string, unknown>) =>
  z
    .object({
      from: z.string(),
      to: z.string(),
      granularity: z.enum(['day', 'week', 'month']),
      rows: z.array(row),
    })
    .openapi(name, { example: { from: '2026-11-02', to: '2026-11-02', granularity: 'day', rows: [example] } });

const USAGE_EXAMPLE = {
  period: '2026-11-02',
  signIns: 310,
  activeUsers: 240,
  registrations: 12,
  bookings: 95,
  cancellations: 7,
  notificationsInApp: 400,
  notificationsEmail: 120,
  notificationsSms: 30,
  notificationsPush: 210,
};

export const UsageSchema = series(
  'UsageStats',
  z.object({
    period,
    signIns: count(310),
    activeUsers: count(240).openapi({ description: 'Distinct accounts active in the period' }),
    registrations: count(12),
    bookings: count(95),
    cancellations: count(7),
    notificationsInApp: count(400),
    notificationsEmail: count(120),
    notificationsSms: count(30),
    notificationsPush: count(210),
  }),
  USAGE_EXAMPLE,
);

const WELLNESS_EXAMPLE = {
  period: '2026-11-02',
  healthScores: 80,
  overallScoreAverage: 71.5,
  sleepScoreAverage: 68.25,
  activityScoreAverage: 60,
  nutritionScoreAverage: 74.1,
  moodScoreAverage: 77,
  stressScoreAverage: 52.5,
  dosesTaken: 900,
  dosesMissed: 60,
  dosesSkipped: 40,
  dosesPending: 0,
  adherencePercent: 90,
  vaccinesAdministered: 5,
};

export const WellnessSchema = series(
  'WellnessStats',
  z.object({
    period,
    healthScores: count(80),
    overallScoreAverage: ratio(71.5),
    sleepScoreAverage: ratio(68.25),
    activityScoreAverage: ratio(60),
    nutritionScoreAverage: ratio(74.1),
    moodScoreAverage: ratio(77),
    stressScoreAverage: ratio(52.5),
    dosesTaken: count(900),
    dosesMissed: count(60),
    dosesSkipped: count(40),
    dosesPending: count(0),
    adherencePercent: ratio(90).openapi({ description: 'taken / (taken + missed + skipped), percent' }),
    vaccinesAdministered: count(5),
  }),
  WELLNESS_EXAMPLE,
);

const HOME_CARE_EXAMPLE = {
  period: '2026-11-02',
  caregiverRegistrations: 3,
  patientRegistrations: 11,
  sessions: 40,
  sessionsCompleted: 33,
  sessionsCancelled: 4,
  sessionsNoShow: 1,
  completionPercent: 86.8,
  alertsRaised: 2,
  alertsAcknowledged: 2,
  averageAckSeconds: 340,
};

export const HomeCareSchema = series(
  'HomeCareStats',
  z.object({
    period,
    caregiverRegistrations: count(3),
    patientRegistrations: count(11),
    sessions: count(40).openapi({ description: 'Care sessions taking place in the period, any status' }),
    sessionsCompleted: count(33),
    sessionsCancelled: count(4),
    sessionsNoShow: count(1),
    completionPercent: ratio(86.8).openapi({ description: 'completed / (completed + cancelled + no-show), percent' }),
    alertsRaised: count(2),
    alertsAcknowledged: count(2),
    averageAckSeconds: ratio(340).openapi({
      description: 'Acknowledged − raised, average over the acknowledged alerts',
    }),
  }),
  HOME_CARE_EXAMPLE,
);

export const StatsCsv = z.string().openapi({
  description: 'CSV with a header row (the JSON field names), CRLF, UTF-8',
  example: 'period,signIns,activeUsers\r\n2026-11-02,310,240\r\n',
});
