import { z } from '@hono/zod-openapi';
import { TIME_OFF_KINDS } from '../../db/schema';
import { LocalDateSchema, PageQuery } from '../../http/openapi';
import { NO_CONTROL_CHARS } from '../../lib/text';
import { canonicalTimeZone } from '../users/profile.policy';
import { MAX_SLOT_RANGE_DAYS } from './slots';

/** The longest buffer a practice may keep after each appointment. */
export const MAX_BUFFER_MINUTES = 120;

/** Weekly-hours intervals one doctor may have. */
export const MAX_WEEKLY_INTERVALS = 28;
/** Longest time-off entry, in days. */
export const MAX_TIME_OFF_DAYS = 366;
/** Working intervals one date's special hours may have. */
export const MAX_SPECIAL_INTERVALS = 12;
/** How far ahead of the doctor's today special hours may be set, in days (the longest booking horizon). */
export const MAX_SPECIAL_HOURS_DAYS_AHEAD = 365;

const START_TIME = /^([01]\d|2[0-3]):[0-5][05]$/;
const END_TIME = /^(([01]\d|2[0-3]):[0-5][05]|24:00)$/;

const TimeZoneSchema = z
  .string()
  .max(64)
  .refine((v) => canonicalTimeZone(v) !== null, 'Use an IANA time zone, e.g. Europe/Berlin')
  .transform((v) => canonicalTimeZone(v)!);

const multipleOf5 = (n: number) => n % 5 === 0;

const ReasonSchema = z.string().trim().min(1).max(500).regex(NO_CONTROL_CHARS, 'Must not contain control characters');

export const WeeklyIntervalSchema = z
  .strictObject({
    weekday: z.number().int().min(1).max(7).openapi({ description: '1 = Monday … 7 = Sunday' }),
    start: z.string().regex(START_TIME, 'Use HH:MM on a 5-minute mark (00:00–23:55)'),
    end: z.string().regex(END_TIME, 'Use HH:MM on a 5-minute mark (00:05–24:00)'),
  })
  .refine((i) => i.start < i.end, { message: 'start must be before end', path: ['end'] })
  .openapi('WeeklyInterval', { example: { weekday: 1, start: '09:00', end: '12:30' } });

const availabilityExample = {
  timeZone: 'Europe/Berlin',
  slotMinutes: 30,
  bufferMinutes: 10,
  minNoticeMinutes: 120,
  maxDaysAhead: 60,
  weeklyHours: [
    { weekday: 1, start: '09:00', end: '12:30' },
    { weekday: 1, start: '14:00', end: '18:00' },
    { weekday: 3, start: '09:00', end: '17:00' },
  ],
};

export const UpdateAvailabilityBody = z
  .strictObject({
    timeZone: TimeZoneSchema,
    slotMinutes: z.number().int().min(5).max(240).refine(multipleOf5, 'Must be a multiple of 5'),
    bufferMinutes: z.number().int().min(0).max(MAX_BUFFER_MINUTES).refine(multipleOf5, 'Must be a multiple of 5'),
    minNoticeMinutes: z.number().int().min(0).max(10_080),
    maxDaysAhead: z.number().int().min(1).max(365),
    weeklyHours: z.array(WeeklyIntervalSchema).max(MAX_WEEKLY_INTERVALS),
  })
  .superRefine((body, ctx) => {
    const indexed = body.weeklyHours.map((interval, index) => ({ ...interval, index }));
    indexed.sort((a, b) => a.weekday - b.weekday || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 1; i < indexed.length; i++) {
      const prev = indexed[i - 1]!;
      const cur = indexed[i]!;
      if (prev.weekday === cur.weekday && cur.start < prev.end) {
        ctx.addIssue({
          code: 'custom',
          path: ['weeklyHours', cur.index],
          message: `Overlaps ${prev.start}–${prev.end} on the same weekday`,
        });
      }
    }
  })
  .openapi('UpdateAvailability', { example: availabilityExample });

export type UpdateAvailabilityInput = z.infer<typeof UpdateAvailabilityBody>;

export const AvailabilitySchema = z
  .object({
    timeZone: z.string(),
    slotMinutes: z.number().int(),
    bufferMinutes: z.number().int(),
    minNoticeMinutes: z.number().int(),
    maxDaysAhead: z.number().int(),
    weeklyHours: z.array(z.object({ weekday: z.number().int(), start: z.string(), end: z.string() })),
    unavailableUntil: z.string().nullable(),
    unavailableReason: z.string().nullable(),
  })
  .openapi('Availability', {
    example: { ...availabilityExample, unavailableUntil: null, unavailableReason: null },
  });

export type AvailabilityView = z.infer<typeof AvailabilitySchema>;

export const CreateTimeOffBody = z
  .strictObject({
    kind: z.enum(TIME_OFF_KINDS).openapi({
      description:
        '`vacation`, `emergency`, `holiday` or `time-off` (any other absence); every kind takes the time of the ' +
        'bookings inside it, and the kind is what their patients are told',
    }),
    startDate: LocalDateSchema.optional().openapi({ description: 'First whole local day off' }),
    endDate: LocalDateSchema.optional().openapi({ description: 'Last whole local day off (default startDate)' }),
    startsAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Partial day: start instant (an `emergency` may leave it out: it starts now)' }),
    endsAt: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Partial day: end instant' }),
    reason: ReasonSchema.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    const days = body.startDate !== undefined || body.endDate !== undefined;
    const instants = body.startsAt !== undefined || body.endsAt !== undefined;
    if (days === instants) {
      ctx.addIssue({ code: 'custom', path: [], message: 'Give either startDate (and endDate) or startsAt and endsAt' });
      return;
    }
    if (days) {
      if (body.startDate === undefined) {
        ctx.addIssue({ code: 'custom', path: ['startDate'], message: 'Required with endDate' });
        return;
      }
      const end = body.endDate ?? body.startDate;
      if (end < body.startDate)
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'Must not be before startDate' });
      else if ((Date.parse(end) - Date.parse(body.startDate)) / 86_400_000 >= MAX_TIME_OFF_DAYS) {
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: `At most ${MAX_TIME_OFF_DAYS} days` });
      }
      return;
    }
    if (body.endsAt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'Required' });
      return;
    }
    // An emergency starts now unless told otherwise; the service checks it ends after now.
    if (body.startsAt === undefined) {
      if (body.kind !== 'emergency') {
        ctx.addIssue({ code: 'custom', path: ['startsAt'], message: 'Required (only an emergency may start now)' });
      }
      return;
    }
    const start = Date.parse(body.startsAt);
    const end = Date.parse(body.endsAt);
    if (end <= start) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'Must be after startsAt' });
    else if (end - start > MAX_TIME_OFF_DAYS * 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `At most ${MAX_TIME_OFF_DAYS} days` });
    }
  })
  .openapi('CreateTimeOff', {
    example: { kind: 'holiday', startDate: '2026-12-24', endDate: '2026-12-26', reason: 'Christmas' },
  });

export type CreateTimeOffInput = z.infer<typeof CreateTimeOffBody>;

export const TimeOffSchema = z
  .object({
    id: z.string(),
    kind: z.enum(TIME_OFF_KINDS),
    startsAt: z.string(),
    endsAt: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('TimeOff', {
    example: {
      id: 'tof_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      kind: 'holiday',
      startsAt: '2026-12-23T23:00:00.000Z',
      endsAt: '2026-12-26T23:00:00.000Z',
      reason: 'Christmas',
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

export type TimeOffView = z.infer<typeof TimeOffSchema>;

export const SetUnavailabilityBody = z
  .strictObject({
    until: z.iso.datetime({ offset: true }),
    reason: ReasonSchema,
  })
  .openapi('SetUnavailability', { example: { until: '2026-04-02T18:00:00Z', reason: 'Family emergency' } });

export type SetUnavailabilityInput = z.infer<typeof SetUnavailabilityBody>;

export const SlotSchema = z
  .object({ start: z.string(), end: z.string(), localStart: z.string(), localEnd: z.string() })
  .openapi('Slot', {
    example: {
      start: '2026-03-30T07:00:00.000Z',
      end: '2026-03-30T07:30:00.000Z',
      localStart: '2026-03-30T09:00',
      localEnd: '2026-03-30T09:30',
    },
  });

export const SlotsSchema = z.object({ timeZone: z.string(), slots: z.array(SlotSchema) }).openapi('Slots', {
  example: {
    timeZone: 'Europe/Berlin',
    slots: [
      {
        start: '2026-03-30T07:00:00.000Z',
        end: '2026-03-30T07:30:00.000Z',
        localStart: '2026-03-30T09:00',
        localEnd: '2026-03-30T09:30',
      },
    ],
  },
});

export const SlotsQuery = z
  .object({
    serviceId: z.string().min(1).max(64).openapi({ example: 'svc_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
    date: LocalDateSchema.optional().openapi({
      description: "One local date in the doctor's zone",
      example: '2026-03-30',
    }),
    from: LocalDateSchema.optional().openapi({ description: 'First local date', example: '2026-03-30' }),
    to: LocalDateSchema.optional().openapi({ description: `Last local date (at most ${MAX_SLOT_RANGE_DAYS} days)` }),
  })
  .superRefine((q, ctx) => {
    if (
      q.date !== undefined ? q.from !== undefined || q.to !== undefined : q.from === undefined || q.to === undefined
    ) {
      ctx.addIssue({ code: 'custom', path: ['date'], message: 'Give either date or both from and to' });
    }
  });

const userId = z.string().regex(/^usr_[0-9A-Z]{26}$/, 'Not a doctor id');

export const DoctorIdParam = z.object({
  id: userId.openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

const DayIntervalSchema = z
  .strictObject({
    start: z.string().regex(START_TIME, 'Use HH:MM on a 5-minute mark (00:00–23:55)'),
    end: z.string().regex(END_TIME, 'Use HH:MM on a 5-minute mark (00:05–24:00)'),
  })
  .refine((i) => i.start < i.end, { message: 'start must be before end', path: ['end'] })
  .openapi('DayInterval', { example: { start: '09:00', end: '12:00' } });

export const SetSpecialHoursBody = z
  .strictObject({
    closed: z.literal(true).optional().openapi({ description: 'Closed all day (instead of `hours`)' }),
    hours: z.array(DayIntervalSchema).min(1).max(MAX_SPECIAL_INTERVALS).optional().openapi({
      description: 'The working intervals of that date, in order and not overlapping (instead of `closed`)',
    }),
    reason: ReasonSchema.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.closed === undefined) === (body.hours === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'Give either hours or closed: true' });
      return;
    }
    const hours = body.hours ?? [];
    for (let i = 1; i < hours.length; i++) {
      const prev = hours[i - 1]!;
      const cur = hours[i]!;
      if (cur.start < prev.end) {
        ctx.addIssue({
          code: 'custom',
          path: ['hours', i, 'start'],
          message: `Must not start before the previous interval (${prev.start}–${prev.end}) ends: list intervals in order, without overlaps`,
        });
      }
    }
  })
  .openapi('SetSpecialHours', {
    example: { hours: [{ start: '09:00', end: '12:00' }], reason: 'Christmas Eve: mornings only' },
  });

export type SetSpecialHoursInput = z.infer<typeof SetSpecialHoursBody>;

export const SpecialHoursSchema = z
  .object({
    id: z.string(),
    date: z.string().openapi({ description: 'Local date in the doctor’s zone' }),
    closed: z.boolean(),
    hours: z.array(z.object({ start: z.string(), end: z.string() })).openapi({
      description: 'The working intervals of that date, replacing its weekly hours; empty when closed',
    }),
    reason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('SpecialHours', {
    example: {
      id: 'sph_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      date: '2026-12-24',
      closed: false,
      hours: [{ start: '09:00', end: '12:00' }],
      reason: 'Christmas Eve: mornings only',
      createdAt: '2026-11-02T10:30:00.000Z',
      updatedAt: '2026-11-02T10:30:00.000Z',
    },
  });

export type SpecialHoursView = z.infer<typeof SpecialHoursSchema>;

export const SpecialHoursListQuery = PageQuery.extend({
  from: LocalDateSchema.optional().openapi({ description: 'First local date listed', example: '2026-12-01' }),
  to: LocalDateSchema.optional().openapi({ description: 'Last local date listed', example: '2026-12-31' }),
}).superRefine((q, ctx) => {
  if (q.from !== undefined && q.to !== undefined && q.to < q.from) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'Must not be before from' });
  }
});

export const SpecialHoursDateParam = z.object({
  id: userId.openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
  date: LocalDateSchema.openapi({ param: { name: 'date', in: 'path' }, example: '2026-12-24' }),
});

export const TimeOffIdParam = z.object({
  id: userId.openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
  timeOffId: z
    .string()
    .regex(/^tof_[0-9A-Z]{26}$/, 'Not a time-off id')
    .openapi({ param: { name: 'timeOffId', in: 'path' }, example: 'tof_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});
