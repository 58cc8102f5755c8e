import { z } from '@hono/zod-openapi';
import {
  AFFECTED_KINDS,
  APPOINTMENT_ACTIONS,
  APPOINTMENT_PAYMENT_STATUSES,
  APPOINTMENT_REFUND_STATUSES,
  APPOINTMENT_STATUSES,
  APPOINTMENT_TYPES,
  PAYMENT_TIMINGS,
} from '../../db/schema';

/** Most files one appointment carries (booking attachments and later uploads together). */
export const MAX_ATTACHMENTS = 5;

/** Free text a patient or staff member writes (reasons, symptoms): trimmed, no control characters but newlines. */
export const FreeText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly about control characters
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'Must not contain control characters');

export const AppointmentIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K' }),
});

/** Optional reason sent with a status change. */
export const TransitionBody = z
  .strictObject({ reason: FreeText(500).optional() })
  .openapi('AppointmentTransition', { example: { reason: 'Patient asked to move to next week' } });

export const RefundSchema = z
  .object({
    percent: z.number().int(),
    amountCents: z.number().int(),
    currency: z.string(),
  })
  .openapi('Refund', { example: { percent: 50, amountCents: 2500, currency: 'EUR' } });

const appointmentExample = {
  id: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
  status: 'pending',
  type: 'video',
  patient: { id: 'usr_01DEMD0PAT1ENT000000000000', name: 'Pat Demo' },
  doctor: { id: 'usr_01DEMD0D0CT0R0000000000000', name: 'Dr. Dana Demo' },
  service: { id: 'svc_01DEMD00000000000000000001', name: 'General consultation', durationMinutes: 30 },
  startsAt: '2026-12-01T09:00:00.000Z',
  endsAt: '2026-12-01T09:30:00.000Z',
  timeZone: 'Europe/Berlin',
  localStart: '2026-12-01T10:00',
  localEnd: '2026-12-01T10:30',
  reason: 'Persistent cough',
  symptoms: 'Dry cough for two weeks, no fever',
  price: { amountCents: 5000, currency: 'EUR' },
  followUpOfId: null,
  holdId: 'hld_01JD3Y4ZQ0M8C5V1B7N2X6W9K3',
  cancellation: null,
  payment: { status: 'unpaid', timing: 'at-booking', dueAt: '2026-11-21T08:30:00.000Z', paidAt: null },
  refund: null,
  rescheduleCount: 0,
  needsRebooking: false,
  affectedBy: null,
  attachmentCount: 1,
  createdAt: '2026-11-21T08:00:00.000Z',
  updatedAt: '2026-11-21T08:00:00.000Z',
};

const PartySchema = z.object({ id: z.string(), name: z.string().nullable() });

export const AppointmentSchema = z
  .object({
    id: z.string(),
    status: z.enum(APPOINTMENT_STATUSES),
    type: z.enum(APPOINTMENT_TYPES),
    patient: PartySchema,
    doctor: PartySchema,
    service: z.object({ id: z.string(), name: z.string().nullable(), durationMinutes: z.number().int() }),
    startsAt: z.string().openapi({ description: 'UTC instant' }),
    endsAt: z.string(),
    timeZone: z.string().openapi({ description: 'The doctor’s IANA zone' }),
    localStart: z.string().openapi({ description: 'Wall clock in timeZone, YYYY-MM-DDTHH:MM' }),
    localEnd: z.string(),
    reason: z.string().nullable(),
    symptoms: z.string().nullable(),
    price: z.object({ amountCents: z.number().int(), currency: z.string() }),
    followUpOfId: z.string().nullable(),
    holdId: z.string().nullable(),
    cancellation: z
      .object({
        at: z.string(),
        byUserId: z.string(),
        reason: z.string().nullable(),
        refund: RefundSchema,
      })
      .nullable(),
    payment: z
      .object({
        status: z.enum(APPOINTMENT_PAYMENT_STATUSES),
        timing: z.enum(PAYMENT_TIMINGS).nullable().openapi({ description: 'Null for a free visit' }),
        dueAt: z.string().nullable().openapi({
          description: 'Pay at booking: unpaid by then, the appointment is cancelled and its time released',
        }),
        paidAt: z.string().nullable(),
      })
      .openapi({
        description:
          'The fee: `at-booking` appointments stay pending until paid and are confirmed by the payment; `later` ones are confirmed by staff and paid any time (POST …/checkout)',
      }),
    refund: z
      .object({
        amountCents: z.number().int().openapi({ description: 'Refunded or being refunded, in total' }),
        currency: z.string(),
        status: z.enum(APPOINTMENT_REFUND_STATUSES),
        refundedAt: z.string().nullable(),
      })
      .nullable()
      .openapi({ description: 'Money going back to the patient (cancellation or admin refunds); null when none' }),
    rescheduleCount: z.number().int(),
    needsRebooking: z.boolean().openapi({
      description:
        'The doctor’s time off or special hours took this pending or confirmed appointment’s time: rebook it ' +
        '(GET …/rebooking-options, POST …/rebook) or cancel it with a full refund',
    }),
    affectedBy: z
      .object({
        id: z.string().openapi({ description: 'The time off (`tof_…`) or special hours (`sph_…`)' }),
        kind: z.enum(AFFECTED_KINDS),
        at: z.string(),
      })
      .nullable()
      .openapi({ description: 'The schedule change that took the time, kept once the appointment was resolved' }),
    attachmentCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Appointment', { example: appointmentExample });

export const AppointmentEventSchema = z
  .object({
    id: z.string(),
    action: z.enum(APPOINTMENT_ACTIONS),
    fromStatus: z.enum(APPOINTMENT_STATUSES).nullable(),
    toStatus: z.enum(APPOINTMENT_STATUSES),
    actor: z.object({ id: z.string(), role: z.string() }),
    reason: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    at: z.string(),
  })
  .openapi('AppointmentEvent', {
    example: {
      id: 'aev_01JD3Y5N6Q9W2X8Z4B7C1V0M5M',
      action: 'confirm',
      fromStatus: 'pending',
      toStatus: 'confirmed',
      actor: { id: 'usr_01DEMD0D0CT0R0000000000000', role: 'doctor' },
      reason: null,
      data: null,
      at: '2026-11-21T08:05:00.000Z',
    },
  });
