import { z } from '@hono/zod-openapi';
import { APPOINTMENT_STATUSES, type AppointmentStatus } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { DAY_MS, isLocalDate } from '../../lib/time';
import { FreeText, RefundSchema } from './appointments.schemas';

/** Body of a rejection: unlike the other transitions, the reason is required (the patient is told why). */
export const RejectBody = z
  .strictObject({ reason: FreeText(500) })
  .openapi('AppointmentRejection', { example: { reason: 'This needs an in-person visit; please book one' } });

export const RefundTierSchema = z
  .object({ minHoursBefore: z.number(), refundPercent: z.number().int() })
  .openapi('RefundTier', { example: { minHoursBefore: 24, refundPercent: 100 } });

export const CancellationQuoteSchema = z
  .object({
    cancellable: z.boolean().openapi({ description: 'Whether the caller may cancel this appointment now' }),
    reason: z.string().nullable().openapi({ description: 'Why it cannot be cancelled; null when it can' }),
    refund: RefundSchema.openapi({ description: 'What cancelling now would refund (nothing when not cancellable)' }),
    policy: z.array(RefundTierSchema).openapi({
      description: 'The patient refund tiers, most notice first; doctor or staff cancellations refund 100 %',
    }),
  })
  .openapi('CancellationQuote', {
    example: {
      cancellable: true,
      reason: null,
      refund: { percent: 50, amountCents: 2500, currency: 'EUR' },
      policy: [
        { minHoursBefore: 24, refundPercent: 100 },
        { minHoursBefore: 2, refundPercent: 50 },
      ],
    },
  });

const STATUS_LIST = APPOINTMENT_STATUSES.join(', ');

/** `status=pending` or `status=pending,confirmed`: one or more statuses, deduplicated. */
const StatusFilter = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const parts = value.split(',').map((part) => part.trim());
    const unknown = parts.filter((part) => !(APPOINTMENT_STATUSES as readonly string[]).includes(part));
    if (unknown.length) {
      ctx.addIssue({
        code: 'custom',
        message: `Unknown status ${unknown.map((u) => `"${u}"`).join(', ')}; use one or more of ${STATUS_LIST}, comma-separated`,
      });
      return z.NEVER;
    }
    return [...new Set(parts)] as AppointmentStatus[];
  })
  .openapi({ description: `One status or a comma-separated list: ${STATUS_LIST}`, example: 'pending,confirmed' });

const isInstant = (value: string) => z.iso.datetime({ offset: true }).safeParse(value).success;

/**
 * A range bound on `startsAt`: an ISO instant, or a date (`YYYY-MM-DD`, a whole UTC day). Resolves to UTC
 * ms: `from` to the instant or the day's first moment (inclusive), `to` to the instant or the next day's
 * first moment (exclusive), so `from=2026-03-30&to=2026-03-30` is that whole day.
 */
const RangeBound = (edge: 'from' | 'to') =>
  z
    .string()
    .max(40)
    .refine((v) => isLocalDate(v) || isInstant(v), 'Use an ISO instant (2026-03-30T09:00:00Z) or a date (2026-03-30)')
    .transform((v) => (isLocalDate(v) ? Date.parse(`${v}T00:00:00Z`) + (edge === 'to' ? DAY_MS : 0) : Date.parse(v)))
    .openapi({
      description:
        edge === 'from'
          ? 'Appointments starting at or after this instant, or on or after this UTC date'
          : 'Appointments starting before this instant, or on or before this UTC date',
      example: edge === 'from' ? '2026-03-01' : '2026-03-31T23:59:59Z',
    });

/** A user id filter: ids are `usr_` + a ULID, so anything else is a mistake (422), never an empty page. */
const userId = z.string().regex(/^usr_[0-9A-Z]{26}$/, 'Not a user id');

const listFilters = {
  doctorId: userId.optional().openapi({
    description:
      'Only this doctor’s appointments, among those I may list: an unknown id, or one that is not a doctor, ' +
      'answers an empty page; an id that is not a user id is 422.',
    example: 'usr_01DEMD0D0CT0R0000000000000',
  }),
  status: StatusFilter.optional(),
  from: RangeBound('from').optional(),
  to: RangeBound('to').optional(),
  upcoming: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ description: 'true: only live appointments (pending, confirmed, in progress) not yet over' }),
  order: z.enum(['asc', 'desc']).default('asc').openapi({ description: 'By start time; default asc (soonest first)' }),
  needsRebooking: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .openapi({
      description:
        'true: only pending or confirmed appointments waiting to be rebooked (the doctor’s time off or special ' +
        'hours took their time); false: only the others',
    }),
};

/** The resolved range must not be empty: `to` before (or, for instants, equal to) `from` is a mistake. */
function checkRange(query: { from?: number; to?: number }, ctx: z.RefinementCtx) {
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'Must be after from' });
  }
}

/** GET /appointments: my appointments, filtered (`doctorId` included: a patient's list by doctor). */
export const AppointmentListQuery = PageQuery.extend(listFilters).superRefine(checkRange);

/** GET /staff/appointments: every appointment, with the same filters plus the patient. */
export const StaffAppointmentListQuery = PageQuery.extend({
  ...listFilters,
  patientId: userId.optional().openapi({
    description: 'Only this patient’s appointments; an id that is not a user id is 422',
    example: 'usr_01DEMD0PAT1ENT000000000000',
  }),
}).superRefine(checkRange);

export type AppointmentListFilters = z.output<typeof StaffAppointmentListQuery>;
