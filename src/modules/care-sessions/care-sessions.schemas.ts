import { z } from '@hono/zod-openapi';
import { CARE_SESSION_MODES, CARE_SESSION_STATUSES } from '../../db/schema';
import { idParam, LocalDateSchema, PageQuery } from '../../http/openapi';
import { FreeText } from '../appointments/appointments.schemas';
import { MAX_SLOT_RANGE_DAYS } from '../availability/slots';

const CAREGIVER = 'usr_01DEMD0CAREG1VER0000000000';
const PATIENT = 'usr_01DEMD0PAT1ENT000000000000';
const SESSION = 'cse_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

/** Session lengths a booking may ask for: quarter hours from 30 minutes to 12 hours. */
export const MIN_SESSION_MINUTES = 30;
export const MAX_SESSION_MINUTES = 12 * 60;
/** Billing rounds the actual time up to started blocks of this many minutes, at least one block. */
export const BILLING_BLOCK_MINUTES = 15;

const RowId = (example: string) => z.string().trim().min(1).max(64).openapi({ example });
const LocalDate = LocalDateSchema;

export const CareSessionIdParam = idParam('cse', 'care session');

export const CaregiverParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: CAREGIVER }),
});

export const CaregiverSlotsQuery = z
  .object({
    from: LocalDate.openapi({ description: "First local date in the caregiver's zone", example: '2026-12-07' }),
    to: LocalDate.optional().openapi({
      description: `Last local date (default: \`from\`; at most ${MAX_SLOT_RANGE_DAYS} days)`,
      example: '2026-12-08',
    }),
    durationMinutes: z.coerce
      .number()
      .int()
      .min(MIN_SESSION_MINUTES)
      .max(MAX_SESSION_MINUTES)
      .refine((n) => n % 15 === 0, 'Must be a multiple of 15')
      .openapi({ example: 120 }),
  })
  .superRefine((q, ctx) => {
    if (q.to !== undefined && q.to < q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'Before from' });
  });

export const BookCareSessionBody = z
  .strictObject({
    caregiverId: RowId(CAREGIVER)
      .optional()
      .openapi({ description: 'The caregiver; may be left out when `recommendationId` names them' }),
    patientId: RowId(PATIENT)
      .optional()
      .openapi({ description: 'Whom the session is for: the caller (default), or a patient they are linked to' }),
    recommendationId: RowId('crc_01JF8ZS5X0V6M3A2Q9K1T7B4CE')
      .optional()
      .openapi({ description: "A doctor's recommendation of the caregiver to this patient, booked from" }),
    startsAt: z.iso
      .datetime({ offset: true })
      .openapi({ description: 'ISO 8601 instant; pick one from GET /api/v1/caregivers/{id}/slots' }),
    durationMinutes: z
      .number()
      .int()
      .min(MIN_SESSION_MINUTES)
      .max(MAX_SESSION_MINUTES)
      .refine((n) => n % 15 === 0, 'Must be a multiple of 15'),
    mode: z.enum(CARE_SESSION_MODES),
    address: FreeText(300).optional().openapi({ description: 'Required for `in-person`: where the care happens' }),
    notes: FreeText(2000).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.mode === 'in-person' && !body.address) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'An in-person session needs the address' });
    }
    if (!body.caregiverId && !body.recommendationId) {
      ctx.addIssue({ code: 'custom', path: ['caregiverId'], message: 'Give caregiverId or recommendationId' });
    }
  })
  .openapi('BookCareSession', {
    example: {
      caregiverId: CAREGIVER,
      startsAt: '2026-12-07T08:00:00Z',
      durationMinutes: 120,
      mode: 'in-person',
      address: 'Torstraße 12, 10119 Berlin',
      notes: 'Help with morning routine and medication',
    },
  });
export type BookCareSessionInput = z.infer<typeof BookCareSessionBody>;

export const CareSessionActionBody = z
  .strictObject({ reason: FreeText(500).optional() })
  .openapi('CareSessionAction', { example: { reason: 'Patient is in hospital this week' } });

export const CareSessionListQuery = PageQuery.extend({
  as: z.enum(['patient', 'caregiver']).optional().openapi({
    description: 'Sessions I booked or receive (`patient`: mine or those I booked) or give (`caregiver`); default both',
  }),
  status: z.enum(CARE_SESSION_STATUSES).optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Starting at or after' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Starting before' }),
});
export type CareSessionListInput = z.infer<typeof CareSessionListQuery>;

const sessionExample = {
  id: SESSION,
  patientId: PATIENT,
  caregiverId: CAREGIVER,
  bookedBy: PATIENT,
  recommendationId: null,
  mode: 'in-person' as const,
  status: 'completed' as const,
  startsAt: '2026-12-07T08:00:00.000Z',
  endsAt: '2026-12-07T10:00:00.000Z',
  timeZone: 'Europe/Berlin',
  address: 'Torstraße 12, 10119 Berlin',
  notes: 'Help with morning routine and medication',
  checkedInAt: '2026-12-07T08:04:00.000Z',
  checkedOutAt: '2026-12-07T10:11:00.000Z',
  bill: {
    hourlyRateCents: 2500,
    currency: 'EUR',
    actualMinutes: 127,
    billedMinutes: 135,
    amountCents: 5625,
    payment: { id: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CE', status: 'paid' as const, receiptNumber: 'KW-2026-000042' },
  },
  cancelReason: null,
  caregiverName: 'Cara Caregiver',
  patientName: 'Pat Patient',
  createdAt: '2026-12-01T12:00:00.000Z',
  updatedAt: '2026-12-07T10:11:00.000Z',
};

export const CareSessionSchema = z
  .object({
    id: z.string(),
    patientId: z.string(),
    caregiverId: z.string(),
    bookedBy: z.string(),
    recommendationId: z.string().nullable(),
    mode: z.enum(CARE_SESSION_MODES),
    status: z.enum(CARE_SESSION_STATUSES),
    startsAt: z.string(),
    endsAt: z.string(),
    timeZone: z.string().openapi({ description: "The caregiver's zone when booked" }),
    address: z.string().nullable(),
    notes: z.string().nullable(),
    checkedInAt: z.string().nullable(),
    checkedOutAt: z.string().nullable(),
    bill: z
      .object({
        hourlyRateCents: z.number().int(),
        currency: z.string(),
        actualMinutes: z.number().int().nullable(),
        billedMinutes: z.number().int().nullable(),
        amountCents: z.number().int().nullable().openapi({ description: 'Fixed at check-out' }),
        payment: z
          .object({ id: z.string(), status: z.string(), receiptNumber: z.string().nullable() })
          .nullable()
          .openapi({ description: 'Once the payer started a checkout' }),
      })
      .openapi({
        description: `The rate snapshotted at booking; at check-out the actual minutes, rounded up to started ${BILLING_BLOCK_MINUTES}-minute blocks (at least one), times the hourly rate`,
      }),
    cancelReason: z.string().nullable(),
    caregiverName: z.string().nullable(),
    patientName: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CareSession', { example: sessionExample });
export type CareSessionView = z.infer<typeof CareSessionSchema>;

export const CareSessionEventSchema = z
  .object({
    action: z.string(),
    fromStatus: z.string().nullable(),
    toStatus: z.string(),
    actorId: z.string(),
    actorRole: z.string(),
    reason: z.string().nullable(),
    at: z.string(),
  })
  .openapi('CareSessionEvent', {
    example: {
      action: 'confirm',
      fromStatus: 'requested',
      toStatus: 'confirmed',
      actorId: CAREGIVER,
      actorRole: 'caregiver',
      reason: null,
      at: '2026-12-01T13:00:00.000Z',
    },
  });

export const CareSessionDetailSchema = CareSessionSchema.extend({
  events: z.array(CareSessionEventSchema),
}).openapi('CareSessionDetail', {
  example: {
    ...sessionExample,
    events: [
      {
        action: 'book',
        fromStatus: null,
        toStatus: 'requested',
        actorId: PATIENT,
        actorRole: 'user',
        reason: null,
        at: '2026-12-01T12:00:00.000Z',
      },
    ],
  },
});
export type CareSessionDetailView = z.infer<typeof CareSessionDetailSchema>;

export const CaregiverAvailabilitySchema = z
  .object({
    timeZone: z.string(),
    slotMinutes: z.number().int(),
    bufferMinutes: z.number().int().openapi({ description: 'Free time kept after each session (travel)' }),
    minNoticeMinutes: z.number().int(),
    maxDaysAhead: z.number().int(),
    weeklyHours: z.array(z.object({ weekday: z.number().int(), start: z.string(), end: z.string() })),
  })
  .openapi('CaregiverAvailability', {
    example: {
      timeZone: 'Europe/Berlin',
      slotMinutes: 30,
      bufferMinutes: 30,
      minNoticeMinutes: 720,
      maxDaysAhead: 60,
      weeklyHours: [
        { weekday: 1, start: '08:00', end: '16:00' },
        { weekday: 3, start: '08:00', end: '16:00' },
      ],
    },
  });
export type CaregiverAvailabilityView = z.infer<typeof CaregiverAvailabilitySchema>;
