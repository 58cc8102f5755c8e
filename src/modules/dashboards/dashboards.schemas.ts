import { z } from '@hono/zod-openapi';
import { CARE_ALERT_SEVERITIES, CARE_STATUSES, GOAL_CATEGORIES } from '../../db/schema';
import { LocalDateSchema } from '../../http/openapi';
import { AppointmentSchema } from '../appointments/appointments.schemas';
import { CareSessionSchema } from '../care-sessions/care-sessions.schemas';
import { AdherenceSummarySchema, DoseSchema, RangeSchema } from '../schedules/schedules.schemas';
import { DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS } from './inventory.service';

const LocalDate = LocalDateSchema.openapi({ example: '2026-12-04' });

/** `?format=csv` answers the table of numbers as a CSV download instead of JSON. */
export const FormatQuery = z.object({
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .openapi({ description: '`csv`: the table as a CSV download (text/csv, attachment)', example: 'json' }),
});

const CountedAppointments = z.object({ count: z.number().int(), appointments: z.array(AppointmentSchema) });

export const EarningsTotalSchema = z
  .object({
    currency: z.string(),
    payments: z.number().int(),
    grossCents: z.number().int(),
    refundedCents: z.number().int(),
    netCents: z.number().int(),
  })
  .openapi('EarningsTotal', {
    example: { currency: 'EUR', payments: 12, grossCents: 60000, refundedCents: 5000, netCents: 55000 },
  });

const EarningsPeriod = z.object({ from: LocalDate, to: LocalDate, totals: z.array(EarningsTotalSchema) });

export const DoctorDashboardSchema = z
  .object({
    timeZone: z.string().openapi({ description: "The practice's zone: days and periods are its calendar" }),
    today: z.object({ date: LocalDate, appointments: z.array(AppointmentSchema) }),
    week: z.object({
      from: LocalDate,
      to: LocalDate,
      days: z.array(z.object({ date: LocalDate, count: z.number().int() })),
      appointments: z.array(AppointmentSchema),
    }),
    earnings: z.object({ thisMonth: EarningsPeriod, thisYear: EarningsPeriod }),
    rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
    pendingNotes: CountedAppointments.openapi({
      description: 'Completed visits without a note: all counted, the 20 most recent listed',
    }),
  })
  .openapi('DoctorDashboard', {
    example: {
      timeZone: 'Europe/Lisbon',
      today: { date: '2026-12-04', appointments: [] },
      week: {
        from: '2026-12-05',
        to: '2026-12-11',
        days: [
          { date: '2026-12-05', count: 0 },
          { date: '2026-12-06', count: 0 },
          { date: '2026-12-07', count: 3 },
          { date: '2026-12-08', count: 2 },
          { date: '2026-12-09', count: 4 },
          { date: '2026-12-10', count: 1 },
          { date: '2026-12-11', count: 2 },
        ],
        appointments: [],
      },
      earnings: {
        thisMonth: {
          from: '2026-12-01',
          to: '2026-12-04',
          totals: [{ currency: 'EUR', payments: 3, grossCents: 15000, refundedCents: 0, netCents: 15000 }],
        },
        thisYear: {
          from: '2026-01-01',
          to: '2026-12-04',
          totals: [{ currency: 'EUR', payments: 120, grossCents: 600000, refundedCents: 10000, netCents: 590000 }],
        },
      },
      rating: { average: 4.6, count: 38 },
      pendingNotes: { count: 0, appointments: [] },
    },
  });

export const ReceptionistDashboardSchema = z
  .object({
    timeZone: z.string(),
    awaitingConfirmation: CountedAppointments.openapi({
      description: 'Pending requests not started yet, soonest first: all counted, 50 listed',
    }),
    arrivals: z.object({
      date: LocalDate,
      expected: z.number().int().openapi({ description: 'Confirmed, not started' }),
      arrived: z.number().int().openapi({ description: 'In progress: the patient is there' }),
      completed: z.number().int(),
      noShow: z.number().int(),
      appointments: z.array(AppointmentSchema),
    }),
  })
  .openapi('ReceptionistDashboard', {
    example: {
      timeZone: 'Europe/Lisbon',
      awaitingConfirmation: { count: 0, appointments: [] },
      arrivals: { date: '2026-12-04', expected: 6, arrived: 1, completed: 4, noShow: 1, appointments: [] },
    },
  });

export const CaregiverDashboardSchema = z
  .object({
    timeZone: z.string(),
    today: z.object({ date: LocalDate, sessions: z.array(CareSessionSchema) }),
    upcoming: z.object({
      awaitingAnswer: z.number().int().openapi({ description: 'Requested sessions still to confirm or decline' }),
      sessions: z.array(CareSessionSchema),
    }),
    openAlerts: z.object({
      count: z.number().int(),
      alerts: z.array(
        z.object({
          id: z.string(),
          patientId: z.string(),
          patientName: z.string().nullable(),
          reportId: z.string(),
          severity: z.enum(CARE_ALERT_SEVERITIES),
          createdAt: z.string(),
        }),
      ),
    }),
    reportsDue: z
      .object({ count: z.number().int(), sessions: z.array(CareSessionSchema) })
      .openapi({ description: 'Completed sessions of the last 30 days with no care report filed' }),
  })
  .openapi('CaregiverDashboard', {
    example: {
      timeZone: 'Europe/Lisbon',
      today: { date: '2026-12-04', sessions: [] },
      upcoming: { awaitingAnswer: 1, sessions: [] },
      openAlerts: {
        count: 1,
        alerts: [
          {
            id: 'cal_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
            patientId: 'usr_01DEMD0PAT1ENT000000000000',
            patientName: 'Pat Demo',
            reportId: 'crp_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
            severity: 'high',
            createdAt: '2026-12-04T08:10:00.000Z',
          },
        ],
      },
      reportsDue: { count: 0, sessions: [] },
    },
  });

const AdherenceWindow = AdherenceSummarySchema.extend({
  days: z.number().int(),
  due: z.number().int().openapi({ description: 'taken + missed + skipped: the doses that were due' }),
}).openapi('AdherenceWindow', {
  example: { days: 7, due: 14, taken: 12, missed: 1, skipped: 1, pending: 1, adherencePercent: 85.7 },
});

export const PatientDashboardSchema = z
  .object({
    nextAppointment: z
      .union([AppointmentSchema, z.null()])
      .openapi({ description: 'Pending or confirmed, not started; null when there is none' }),
    doses: z.object({ range: RangeSchema, items: z.array(DoseSchema) }),
    adherence: z.object({ last7Days: AdherenceWindow, last30Days: AdherenceWindow }),
    goals: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        category: z.enum(GOAL_CATEGORIES),
        targetValue: z.number(),
        unit: z.string(),
        progress: z.number(),
        percent: z.number().openapi({ description: 'progress ÷ target × 100, one decimal, at most 100' }),
        dueDate: z.string().nullable(),
        createdAt: z.string(),
      }),
    ),
  })
  .openapi('PatientDashboard', {
    example: {
      nextAppointment: null,
      doses: { range: { from: '2026-12-04', to: '2026-12-04', timeZone: 'Europe/Lisbon' }, items: [] },
      adherence: {
        last7Days: { days: 7, due: 14, taken: 12, missed: 1, skipped: 1, pending: 1, adherencePercent: 85.7 },
        last30Days: { days: 30, due: 60, taken: 54, missed: 4, skipped: 2, pending: 1, adherencePercent: 90 },
      },
      goals: [
        {
          id: 'gol_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
          title: 'Walk 50 km',
          category: 'activity',
          targetValue: 50,
          unit: 'km',
          progress: 5.5,
          percent: 11,
          dueDate: '2026-12-31',
          createdAt: '2026-11-30T20:00:00.000Z',
        },
      ],
    },
  });

export const InventoryQuery = FormatQuery.extend({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_USAGE_DAYS)
    .default(DEFAULT_USAGE_DAYS)
    .openapi({ description: 'Movements are summed over this many days back', example: DEFAULT_USAGE_DAYS }),
});

const InventoryItem = z.object({
  id: z.string(),
  code: z.string().openapi({ description: "A vaccine's code, a supplement's SKU" }),
  name: z.string(),
  stock: z.number().int(),
  lowStockThreshold: z.number().int(),
  lowStock: z.boolean().openapi({ description: 'stock ≤ lowStockThreshold' }),
  received: z.number().int(),
  dispensed: z.number().int(),
  expired: z.number().int(),
  corrected: z.number().int().openapi({ description: 'The net of corrections (may be negative)' }),
});

export const InventorySchema = z
  .object({
    days: z.number().int(),
    since: z.string(),
    vaccines: z.array(InventoryItem.extend({ administered: z.number().int() })),
    supplements: z.array(InventoryItem),
  })
  .openapi('InventoryDashboard', {
    example: {
      days: 30,
      since: '2026-11-04T10:00:00.000Z',
      vaccines: [
        {
          id: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
          code: 'MMR',
          name: 'Measles, mumps and rubella',
          stock: 40,
          lowStockThreshold: 10,
          lowStock: false,
          received: 50,
          dispensed: 10,
          expired: 0,
          corrected: 0,
          administered: 9,
        },
      ],
      supplements: [
        {
          id: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
          code: 'VITD-1000',
          name: 'Vitamin D3',
          stock: 3,
          lowStockThreshold: 5,
          lowStock: true,
          received: 20,
          dispensed: 17,
          expired: 0,
          corrected: 0,
        },
      ],
    },
  });

export const CalendarQuery = FormatQuery.extend({
  from: LocalDate.optional().openapi({ description: 'First day (UTC date); default today' }),
  to: LocalDate.optional().openapi({ description: 'Last day, inclusive; default from + 29 days; at most 92 days' }),
});

export const VaccineCalendarSchema = z
  .object({
    from: LocalDate,
    to: LocalDate,
    total: z.number().int(),
    overdue: z.number().int().openapi({ description: 'Scheduled doses due before today, not administered' }),
    days: z.array(
      z.object({
        date: LocalDate,
        doses: z.number().int(),
        vaccines: z.array(z.object({ vaccineId: z.string(), name: z.string().nullable(), doses: z.number().int() })),
      }),
    ),
  })
  .openapi('VaccineCalendar', {
    example: {
      from: '2026-12-04',
      to: '2026-12-05',
      total: 3,
      overdue: 2,
      days: [
        {
          date: '2026-12-04',
          doses: 3,
          vaccines: [{ vaccineId: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Measles, mumps and rubella', doses: 3 }],
        },
        { date: '2026-12-05', doses: 0, vaccines: [] },
      ],
    },
  });

export const CareStatusSchema = z
  .object({
    patients: z.number().int().openapi({ description: 'Patients with at least one care report' }),
    statuses: z.array(z.object({ status: z.enum(CARE_STATUSES), patients: z.number().int() })),
    openAlerts: z.array(z.object({ severity: z.enum(CARE_ALERT_SEVERITIES), count: z.number().int() })),
  })
  .openapi('CareStatusDashboard', {
    example: {
      patients: 12,
      statuses: [
        { status: 'stable', patients: 6 },
        { status: 'improving', patients: 3 },
        { status: 'deteriorating', patients: 2 },
        { status: 'critical', patients: 1 },
        { status: 'recovered', patients: 0 },
        { status: 'deceased', patients: 0 },
      ],
      openAlerts: [
        { severity: 'high', count: 2 },
        { severity: 'critical', count: 1 },
      ],
    },
  });

/** The body a `?format=csv` answer carries. */
export const CsvBody = z.string().openapi({ example: 'status,patients\r\nstable,6\r\nimproving,3' });
