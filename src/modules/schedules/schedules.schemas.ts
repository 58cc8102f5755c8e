import { z } from '@hono/zod-openapi';
import { DOSE_STATUSES, SCHEDULE_KINDS, SCHEDULE_STATUSES } from '../../db/schema';
import { LocalTimeSchema, PageQuery, LocalDateSchema as SharedLocalDate } from '../../http/openapi';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';
import {
  DependentIdSchema,
  EXAMPLE_DEPENDENT_ID,
  EXAMPLE_DEPENDENT_PERSON,
  PersonQuerySchema,
  PersonSchema,
} from '../dependents/dependents.schemas';
import { canonicalTimeZone } from '../users/profile.policy';

/** Name shown for a supplement schedule whose catalog item has been removed. */
export const REMOVED_SUPPLEMENT_NAME = 'Removed supplement';

// ---- building blocks ------------------------------------------------------------------------------

/** Most times of day one schedule may have. */
export const MAX_TIMES_PER_DAY = 12;
/** Longest interval between days of an every-N-days schedule. */
export const MAX_EVERY_N_DAYS = 365;
export const MAX_QUANTITY_PER_DOSE = 100;

const ID_BODY = '[0-9A-HJKMNP-TV-Z]{26}';

const noControlChars = (s: string) => NO_CONTROL_CHARS_BUT_LINE_BREAKS.test(s);

const ShortText = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARS, 'Must not contain control characters');

const NotesSchema = z
  .string()
  .max(2000)
  .refine(noControlChars, 'Must not contain control characters other than line breaks and tabs');

export const LocalDateSchema = SharedLocalDate.openapi({ example: '2026-03-01', format: 'date' });

const TimesOfDaySchema = z
  .array(LocalTimeSchema)
  .min(1, 'Give at least one time of day')
  .max(MAX_TIMES_PER_DAY, `At most ${MAX_TIMES_PER_DAY} times a day`)
  .refine((times) => new Set(times).size === times.length, 'Times of day must not repeat')
  .openapi({ description: 'Local wall-clock times `HH:MM` (24-hour), stored sorted.', example: ['08:00', '20:00'] });

/** An IANA time zone; stored in its canonical spelling. */
export const TimeZoneSchema = z
  .string()
  .trim()
  .max(64)
  .refine((v) => canonicalTimeZone(v) !== null, 'Use an IANA time zone, e.g. Europe/Lisbon')
  .transform((v) => canonicalTimeZone(v)!)
  .openapi({ type: 'string', example: 'Europe/Lisbon' });

const WeeklySchema = z.strictObject({
  type: z.literal('weekly'),
  daysOfWeek: z
    .array(z.number().int().min(1, 'Days are 1 (Monday) to 7 (Sunday)').max(7, 'Days are 1 (Monday) to 7 (Sunday)'))
    .min(1, 'Give at least one day of the week')
    .max(7)
    .refine((days) => new Set(days).size === days.length, 'Days of the week must not repeat'),
});

const IntervalSchema = z.strictObject({
  type: z.literal('interval'),
  everyNDays: z.number().int().min(1, 'Must be at least 1 (every day)').max(MAX_EVERY_N_DAYS),
});

export const RecurrenceSchema = z.discriminatedUnion('type', [WeeklySchema, IntervalSchema]).openapi('Recurrence', {
  description:
    '`weekly` on ISO weekdays (1 = Monday … 7 = Sunday), or `interval` every N days counted from `startDate` (1 = daily).',
  example: { type: 'weekly', daysOfWeek: [1, 3, 5] },
});

const SupplementIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Not a supplement id')
  .openapi({ example: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

const QuantitySchema = z.number().int().min(1).max(MAX_QUANTITY_PER_DOSE);

// ---- schedules ------------------------------------------------------------------------------------

const SCHEDULE_DESCRIPTION =
  'A `supplement` schedule names a catalog item (`supplementId`); a `medicine` schedule a free-text `medicineName` ' +
  'and optional `dosage`. `timesOfDay` are wall-clock times in `timeZone` (default: the profile time zone); ' +
  '`startDate` (default today in that zone) and `endDate` are inclusive local dates. `dependentId` (omitted or ' +
  'null: the caller) makes it a schedule of one of my dependents: I get its reminders and mark its doses; a ' +
  'dependent that is not mine is NOT_FOUND. A schedule never moves between persons.';

export const CreateScheduleBody = z
  .strictObject({
    kind: z.enum(SCHEDULE_KINDS),
    /** Omitted or null: the schedule is for the caller. */
    dependentId: DependentIdSchema.nullable().optional(),
    supplementId: SupplementIdSchema.optional(),
    medicineName: ShortText(200).optional(),
    dosage: ShortText(100).nullable().optional(),
    quantityPerDose: QuantitySchema.default(1),
    timesOfDay: TimesOfDaySchema,
    timeZone: TimeZoneSchema.optional(),
    recurrence: RecurrenceSchema,
    startDate: LocalDateSchema.optional(),
    endDate: LocalDateSchema.nullable().optional(),
    notes: NotesSchema.nullable().optional(),
  })
  .superRefine((body, issue) => {
    if (body.kind === 'supplement') {
      if (!body.supplementId) issue.addIssue({ code: 'custom', path: ['supplementId'], message: 'Required' });
      for (const field of ['medicineName', 'dosage'] as const) {
        if (body[field] != null) {
          issue.addIssue({ code: 'custom', path: [field], message: 'Only for medicine schedules' });
        }
      }
    } else {
      if (!body.medicineName) issue.addIssue({ code: 'custom', path: ['medicineName'], message: 'Required' });
      if (body.supplementId !== undefined) {
        issue.addIssue({ code: 'custom', path: ['supplementId'], message: 'Only for supplement schedules' });
      }
    }
    if (body.startDate && body.endDate && body.endDate < body.startDate) {
      issue.addIssue({ code: 'custom', path: ['endDate'], message: 'Must not be before startDate' });
    }
  })
  .openapi('CreateSchedule', {
    description: SCHEDULE_DESCRIPTION,
    example: {
      kind: 'medicine',
      dependentId: EXAMPLE_DEPENDENT_ID,
      medicineName: 'Metformin',
      dosage: '500 mg',
      quantityPerDose: 1,
      timesOfDay: ['08:00', '20:00'],
      timeZone: 'Europe/Lisbon',
      recurrence: { type: 'weekly', daysOfWeek: [1, 2, 3, 4, 5, 6, 7] },
      startDate: '2026-03-01',
      endDate: '2026-05-31',
      notes: 'With food',
    },
  });

export type CreateScheduleInput = z.infer<typeof CreateScheduleBody>;

/**
 * Any of the editable fields; `null` clears `dosage`, `endDate` or `notes`. `kind`, `status` and the
 * owner are not editable here (unknown keys are refused).
 */
export const UpdateScheduleBody = z
  .strictObject({
    supplementId: SupplementIdSchema.optional(),
    medicineName: ShortText(200).optional(),
    dosage: ShortText(100).nullable().optional(),
    quantityPerDose: QuantitySchema.optional(),
    timesOfDay: TimesOfDaySchema.optional(),
    timeZone: TimeZoneSchema.optional(),
    recurrence: RecurrenceSchema.optional(),
    startDate: LocalDateSchema.optional(),
    endDate: LocalDateSchema.nullable().optional(),
    notes: NotesSchema.nullable().optional(),
  })
  .openapi('UpdateSchedule', {
    description:
      'Send only the fields to change; `null` clears `dosage`, `endDate` or `notes`. `supplementId` only for ' +
      'supplement schedules, `medicineName`/`dosage` only for medicine schedules. Changing `timesOfDay`, ' +
      '`timeZone`, `recurrence`, `startDate` or `endDate` replaces the future pending doses; past and marked ' +
      'doses are kept. A new `timeZone` keeps the same wall-clock times.',
    example: { timesOfDay: ['09:00'], timeZone: 'America/New_York' },
  });

export type UpdateScheduleInput = z.infer<typeof UpdateScheduleBody>;

export const ScheduleSchema = z
  .object({
    id: z.string(),
    kind: z.enum(SCHEDULE_KINDS),
    name: z.string().openapi({ description: 'The medicine name, or the catalog name of the supplement.' }),
    person: PersonSchema.openapi({ description: 'Whom it is for: me (`self`) or one of my dependents.' }),
    supplementId: z.string().nullable(),
    medicineName: z.string().nullable(),
    dosage: z.string().nullable(),
    quantityPerDose: z.number().int(),
    timesOfDay: z.array(z.string()),
    timeZone: z.string(),
    recurrence: RecurrenceSchema,
    startDate: z.string(),
    endDate: z.string().nullable(),
    notes: z.string().nullable(),
    status: z.enum(SCHEDULE_STATUSES),
    source: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Schedule', {
    example: {
      id: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      kind: 'medicine',
      name: 'Metformin',
      person: EXAMPLE_DEPENDENT_PERSON,
      supplementId: null,
      medicineName: 'Metformin',
      dosage: '500 mg',
      quantityPerDose: 1,
      timesOfDay: ['08:00', '20:00'],
      timeZone: 'Europe/Lisbon',
      recurrence: { type: 'weekly', daysOfWeek: [1, 2, 3, 4, 5, 6, 7] },
      startDate: '2026-03-01',
      endDate: '2026-05-31',
      notes: 'With food',
      status: 'active',
      source: 'user',
      createdAt: '2026-03-01T10:30:00.000Z',
      updatedAt: '2026-03-01T10:30:00.000Z',
    },
  });

export type ScheduleView = z.infer<typeof ScheduleSchema>;

export const ScheduleIdParam = z.object({
  id: z
    .string()
    .regex(new RegExp(`^sch_${ID_BODY}$`), 'Not a schedule id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const ListSchedulesQuery = PageQuery.extend({
  person: PersonQuerySchema,
  kind: z.enum(SCHEDULE_KINDS).optional(),
  status: z.enum(SCHEDULE_STATUSES).optional(),
});

// ---- doses ----------------------------------------------------------------------------------------

export const DoseSchema = z
  .object({
    id: z.string(),
    scheduleId: z.string(),
    localDate: z.string().openapi({ description: 'The occurrence date in the schedule’s time zone.' }),
    localTime: z.string().openapi({
      description:
        'The scheduled wall-clock time (the schedule’s label). On a spring-forward day a time in the gap is due ' +
        'at `scheduledAt`, the gap’s length later.',
    }),
    scheduledAt: z.string().openapi({ description: 'The UTC instant the dose is due.' }),
    status: z.enum(DOSE_STATUSES),
    takenAt: z.string().nullable(),
    note: z.string().nullable(),
    schedule: z
      .object({
        name: z.string(),
        kind: z.enum(SCHEDULE_KINDS),
        quantityPerDose: z.number().int(),
        dosage: z.string().nullable(),
        timeZone: z.string(),
        status: z.enum(SCHEDULE_STATUSES),
        person: PersonSchema,
      })
      .nullable()
      .openapi({ description: 'Null when the schedule has since been deleted (its marked doses are kept).' }),
  })
  .openapi('Dose', {
    example: {
      id: 'dos_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      scheduleId: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      localDate: '2026-03-02',
      localTime: '08:00',
      scheduledAt: '2026-03-02T08:00:00.000Z',
      status: 'taken',
      takenAt: '2026-03-02T08:05:00.000Z',
      note: null,
      schedule: {
        name: 'Metformin',
        kind: 'medicine',
        quantityPerDose: 1,
        dosage: '500 mg',
        timeZone: 'Europe/Lisbon',
        status: 'active',
        person: EXAMPLE_DEPENDENT_PERSON,
      },
    },
  });

export type DoseView = z.infer<typeof DoseSchema>;

export const DoseIdParam = z.object({
  id: z
    .string()
    .regex(new RegExp(`^dos_${ID_BODY}$`), 'Not a dose id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'dos_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

const TzQuery = z
  .string()
  .trim()
  .max(64)
  .refine((v) => canonicalTimeZone(v) !== null, 'Use an IANA time zone, e.g. Europe/Lisbon')
  .transform((v) => canonicalTimeZone(v)!)
  .optional()
  .openapi({
    type: 'string',
    description: 'IANA time zone the dates are read in (default: the profile time zone, else UTC).',
    example: 'Europe/Lisbon',
  });

export const ListDosesQuery = PageQuery.extend({
  date: LocalDateSchema.optional().openapi({ description: 'One local date (default: today).' }),
  from: LocalDateSchema.optional(),
  to: LocalDateSchema.optional(),
  tz: TzQuery,
  person: PersonQuerySchema,
});

export type ListDosesQueryInput = z.infer<typeof ListDosesQuery>;

export const DoseHistoryQuery = PageQuery.extend({
  from: LocalDateSchema.optional().openapi({ description: 'First local date (default: 29 days before `to`).' }),
  to: LocalDateSchema.optional().openapi({ description: 'Last local date (default: today).' }),
  tz: TzQuery,
  person: PersonQuerySchema,
});

export type DoseHistoryQueryInput = z.infer<typeof DoseHistoryQuery>;

const DoseNoteSchema = z
  .string()
  .max(500)
  .refine(noControlChars, 'Must not contain control characters other than line breaks and tabs');

export const TakeDoseBody = z
  .strictObject({
    takenAt: z.iso
      .datetime({ offset: true, message: 'Must be an ISO 8601 date-time, e.g. 2026-03-02T08:05:00Z' })
      .optional(),
    note: DoseNoteSchema.nullable().optional(),
  })
  .openapi('TakeDose', {
    description: '`takenAt` defaults to now; it must not be in the future nor more than 24 h before the dose is due.',
    example: { takenAt: '2026-03-02T08:05:00Z', note: 'After breakfast' },
  });

export type TakeDoseInput = z.infer<typeof TakeDoseBody>;

export const SkipDoseBody = z
  .strictObject({ note: DoseNoteSchema.nullable().optional() })
  .openapi('SkipDose', { example: { note: 'Upset stomach' } });

export type SkipDoseInput = z.infer<typeof SkipDoseBody>;

export const RangeSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
});

export const DoseListSchema = z
  .object({
    items: z.array(DoseSchema),
    pagination: z.object({
      current: z.number().int(),
      pages: z.number().int(),
      total: z.number().int(),
      limit: z.number().int(),
      hasNext: z.boolean(),
      hasPrev: z.boolean(),
    }),
    range: RangeSchema,
  })
  .openapi('DosePage', {
    example: {
      items: [],
      pagination: { current: 1, pages: 1, total: 0, limit: 20, hasNext: false, hasPrev: false },
      range: { from: '2026-03-02', to: '2026-03-02', timeZone: 'Europe/Lisbon' },
    },
  });

export const AdherenceSummarySchema = z
  .object({
    taken: z.number().int(),
    missed: z.number().int(),
    skipped: z.number().int(),
    pending: z.number().int(),
    adherencePercent: z
      .number()
      .nullable()
      .openapi({
        description:
          'taken ÷ (taken + missed + skipped) × 100, rounded to one decimal; pending doses do not count. Null when ' +
          'no dose in the range has been taken, missed or skipped.',
      }),
  })
  .openapi('AdherenceSummary', {
    example: { taken: 17, missed: 2, skipped: 1, pending: 1, adherencePercent: 85 },
  });

export type AdherenceSummary = z.infer<typeof AdherenceSummarySchema>;

export const DoseHistorySchema = DoseListSchema.extend({ summary: AdherenceSummarySchema }).openapi('DoseHistory', {
  example: {
    items: [],
    pagination: { current: 1, pages: 1, total: 0, limit: 20, hasNext: false, hasPrev: false },
    range: { from: '2026-02-01', to: '2026-03-02', timeZone: 'Europe/Lisbon' },
    summary: { taken: 17, missed: 2, skipped: 1, pending: 1, adherencePercent: 85 },
  },
});
