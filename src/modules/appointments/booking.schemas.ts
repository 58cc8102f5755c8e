import { z } from '@hono/zod-openapi';
import { APPOINTMENT_TYPES } from '../../db/schema';
import { SlotSchema } from '../availability/availability.schemas';
import { FreeText, MAX_ATTACHMENTS } from './appointments.schemas';

/** A row id in a body (`usr_…`, `svc_…`, `hld_…`, `apt_…`, `fil_…`). */
const RowId = (example: string) => z.string().trim().min(1).max(64).openapi({ example });

const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ description: 'ISO 8601 instant; pick one from GET /api/v1/doctors/{id}/slots' });

const DOCTOR = 'usr_01DEMD0D0CT0R0000000000000';
const PATIENT = 'usr_01DEMD0PAT1ENT000000000000';
const SERVICE = 'svc_01DEMD00000000000000000001';
const HOLD = 'hld_01JD3Y4ZQ0M8C5V1B7N2X6W9K3';
const APPOINTMENT = 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K';

export const HOLD_STATUSES = ['active', 'expired', 'converted', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export const HoldIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: HOLD }),
});

export const CreateHoldBody = z
  .strictObject({
    doctorId: RowId(DOCTOR),
    serviceId: RowId(SERVICE),
    startsAt: Instant,
    patientId: RowId(PATIENT)
      .optional()
      .openapi({ description: 'Staff only (required for them): the patient the slot is held for' }),
  })
  .openapi('CreateHold', { example: { doctorId: DOCTOR, serviceId: SERVICE, startsAt: '2026-12-01T09:00:00Z' } });

export type CreateHoldInput = z.infer<typeof CreateHoldBody>;

export const HoldSchema = z
  .object({
    id: z.string(),
    doctorId: z.string(),
    serviceId: z.string(),
    patientId: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    expiresAt: z.string(),
    status: z.enum(HOLD_STATUSES).openapi({
      description:
        '`active` until `expiresAt`, then `expired` (even before any sweep); `converted` once booked, `released` once let go',
    }),
  })
  .openapi('AppointmentHold', {
    example: {
      id: HOLD,
      doctorId: DOCTOR,
      serviceId: SERVICE,
      patientId: PATIENT,
      startsAt: '2026-12-01T09:00:00.000Z',
      endsAt: '2026-12-01T09:30:00.000Z',
      expiresAt: '2026-11-21T08:10:00.000Z',
      status: 'active',
    },
  });

export type HoldView = z.infer<typeof HoldSchema>;

export const BookAppointmentBody = z
  .strictObject({
    doctorId: RowId(DOCTOR),
    serviceId: RowId(SERVICE),
    startsAt: Instant,
    type: z.enum(APPOINTMENT_TYPES),
    reason: FreeText(500).optional(),
    symptoms: FreeText(2000).optional(),
    attachmentIds: z
      .array(RowId('fil_01JD3Y3R8K2W6N4M7B1C5V9X0Z'))
      .max(MAX_ATTACHMENTS)
      .optional()
      .openapi({ description: `Up to ${MAX_ATTACHMENTS} of your files uploaded with purpose \`attachment\`` }),
    holdId: RowId(HOLD).optional().openapi({ description: 'Your hold on exactly this doctor, service and start' }),
    followUpOfId: RowId(APPOINTMENT)
      .optional()
      .openapi({ description: 'A completed or missed appointment of the same patient with this doctor' }),
    patientId: RowId(PATIENT)
      .optional()
      .openapi({ description: 'Staff only (required for them): the patient booked for' }),
  })
  .openapi('BookAppointment', {
    example: {
      doctorId: DOCTOR,
      serviceId: SERVICE,
      startsAt: '2026-12-01T09:00:00Z',
      type: 'video',
      reason: 'Persistent cough',
      symptoms: 'Dry cough for two weeks, no fever',
      holdId: HOLD,
    },
  });

export type BookAppointmentInput = z.infer<typeof BookAppointmentBody>;

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The optional `Idempotency-Key` header: 1–255 printable ASCII characters. Header names arrive in
 * lower case; a bad value is reported under the header's usual spelling.
 */
export const IdempotencyHeaders = z
  .object({
    'idempotency-key': z
      .string()
      .optional()
      .openapi({
        description:
          'Any 1–255 printable ASCII characters, unique per booking attempt (e.g. a UUID). Retrying with the same key ' +
          'and body returns the first 201 again (header `Idempotent-Replayed: true`); the same key with another body is ' +
          '409 IDEMPOTENCY_CONFLICT. Keys are kept 24 hours; failed requests are not stored.',
        example: '5b0e7c1e-9a51-4c8e-8f0e-3d2a7c4b9f10',
      }),
  })
  .superRefine((headers, ctx) => {
    const key = headers['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['Idempotency-Key'],
        message: 'Must be 1–255 printable ASCII characters',
      });
    }
  });

export const RescheduleBody = z
  .strictObject({ startsAt: Instant, reason: FreeText(500).optional() })
  .openapi('RescheduleAppointment', {
    example: { startsAt: '2026-12-03T14:30:00Z', reason: 'Patient asked to move it to Thursday' },
  });

export type RescheduleInput = z.infer<typeof RescheduleBody>;

export const CreateFollowUpBody = z
  .strictObject({
    startsAt: Instant,
    serviceId: RowId(SERVICE).optional().openapi({ description: 'Default: the original appointment’s service' }),
    type: z.enum(APPOINTMENT_TYPES).optional().openapi({ description: 'Default: the original appointment’s type' }),
    reason: FreeText(500).optional(),
  })
  .openapi('CreateFollowUp', {
    example: { startsAt: '2026-12-15T09:00:00Z', reason: 'Review blood test results' },
  });

export type CreateFollowUpInput = z.infer<typeof CreateFollowUpBody>;

/** Most rebooking options one answer lists. */
export const MAX_REBOOKING_OPTIONS = 20;

export const RebookingOptionsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_REBOOKING_OPTIONS)
    .default(5)
    .openapi({ description: `How many options, 1–${MAX_REBOOKING_OPTIONS} (default 5)`, example: 5 }),
});

export const RebookingOptionsSchema = z
  .object({
    timeZone: z.string().openapi({ description: 'The doctor’s IANA zone' }),
    options: z.array(SlotSchema).openapi({
      description:
        'The free starts nearest the original one (before or after it), in start order; empty when none is free ' +
        'within a week before to a month after it',
    }),
  })
  .openapi('RebookingOptions', {
    example: {
      timeZone: 'Europe/Berlin',
      options: [
        {
          start: '2026-12-22T08:00:00.000Z',
          end: '2026-12-22T08:30:00.000Z',
          localStart: '2026-12-22T09:00',
          localEnd: '2026-12-22T09:30',
        },
      ],
    },
  });
