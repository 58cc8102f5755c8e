import { z } from '@hono/zod-openapi';
import { PRESCRIPTION_STATUSES } from '../../db/schema';
import { idParam, LocalTimeSchema, PageQuery } from '../../http/openapi';
import { AppointmentSchema, FreeText } from '../appointments/appointments.schemas';

/** Most medications one prescription holds. */
export const MAX_MEDICATIONS = 20;
/** Most doses a day one medication may have. */
export const MAX_TIMES_PER_DAY = 6;
/** Longest course of one medication, in days. */
export const MAX_DURATION_DAYS = 365;

/**
 * The local times a `timesPerDay` frequency stands for (08:00 … 20:00, spread over the waking day),
 * so a prescription drives a schedule without the doctor naming clock times.
 */
export const STANDARD_TIMES: Record<number, string[]> = {
  1: ['08:00'],
  2: ['08:00', '20:00'],
  3: ['08:00', '14:00', '20:00'],
  4: ['08:00', '12:00', '16:00', '20:00'],
  5: ['08:00', '11:00', '14:00', '17:00', '20:00'],
  6: ['06:00', '09:00', '12:00', '15:00', '18:00', '21:00'],
};

const LocalTime = LocalTimeSchema;

export const FrequencySchema = z
  .union([
    z.strictObject({ timesPerDay: z.number().int().min(1).max(MAX_TIMES_PER_DAY) }),
    z.strictObject({
      times: z
        .array(LocalTime)
        .min(1)
        .max(MAX_TIMES_PER_DAY)
        .refine((t) => new Set(t).size === t.length, 'Times must not repeat'),
    }),
  ])
  .openapi('MedicationFrequency', {
    description:
      'Daily: `{ timesPerDay: 1..6 }` at standard local times (1: 08:00; 2: 08:00, 20:00; 3: 08:00, 14:00, 20:00; ' +
      '4: 08:00, 12:00, 16:00, 20:00; 5: every 3 h from 08:00 to 20:00; 6: every 3 h from 06:00 to 21:00), ' +
      "or explicit local times `{ times: ['08:00', '20:00'] }` (1..6, HH:MM) in the prescription's time zone.",
    example: { times: ['08:00', '20:00'] },
  });

export const DurationSchema = z
  .strictObject({ days: z.number().int().min(1).max(MAX_DURATION_DAYS) })
  .openapi('MedicationDuration', {
    description: 'Days of the course, counted from the day the prescription is written (day 1), 1..365.',
    example: { days: 7 },
  });

export const MedicationInput = z
  .strictObject({
    name: FreeText(200),
    dosage: FreeText(100),
    frequency: FrequencySchema,
    duration: DurationSchema,
    instructions: FreeText(1000).nullable().optional(),
  })
  .openapi('MedicationInput', {
    example: {
      name: 'Amoxicillin',
      dosage: '500 mg',
      frequency: { timesPerDay: 3 },
      duration: { days: 7 },
      instructions: 'After meals',
    },
  });

const Medications = z.array(MedicationInput).min(1, 'Give at least one medication').max(MAX_MEDICATIONS);

export const CreatePrescriptionBody = z
  .strictObject({ medications: Medications, notes: FreeText(2000).nullable().optional() })
  .openapi('CreatePrescription', {
    example: {
      medications: [
        {
          name: 'Amoxicillin',
          dosage: '500 mg',
          frequency: { timesPerDay: 3 },
          duration: { days: 7 },
          instructions: 'After meals',
        },
      ],
      notes: 'Come back if the fever lasts past day 3.',
    },
  });
export type CreatePrescriptionInput = z.infer<typeof CreatePrescriptionBody>;

export const UpdatePrescriptionBody = z
  .strictObject({ medications: Medications.optional(), notes: FreeText(2000).nullable().optional() })
  .refine((b) => b.medications !== undefined || b.notes !== undefined, 'Give medications or notes to change')
  .openapi('UpdatePrescription', {
    description:
      'Replaces the medications (the whole list) and/or the notes. The expiry is counted again from the day it was written.',
    example: {
      medications: [{ name: 'Amoxicillin', dosage: '250 mg', frequency: { timesPerDay: 2 }, duration: { days: 5 } }],
    },
  });
export type UpdatePrescriptionInput = z.infer<typeof UpdatePrescriptionBody>;

export const DeletePrescriptionBody = z
  .strictObject({ reason: FreeText(500) })
  .openapi('DeletePrescription', { example: { reason: 'Prescribed for the wrong patient' } });

export const PrescriptionIdParam = idParam('rx', 'prescription');

export const PrescriptionListQuery = PageQuery.extend({
  status: z.enum(PRESCRIPTION_STATUSES).optional(),
});

export const MedicationSchema = z
  .object({
    name: z.string(),
    dosage: z.string(),
    frequency: FrequencySchema,
    duration: DurationSchema,
    instructions: z.string().nullable(),
    timesOfDay: z.array(z.string()).openapi({ description: 'The local times the frequency stands for.' }),
    lastDate: z.string().openapi({ description: 'Last local date of the course (inclusive).' }),
  })
  .openapi('Medication');

export const PrescriptionSchema = z
  .object({
    id: z.string(),
    appointmentId: z.string(),
    patientId: z.string(),
    patientName: z.string().nullable(),
    doctorId: z.string(),
    doctorName: z.string().nullable(),
    medications: z.array(MedicationSchema),
    notes: z.string().nullable(),
    status: z.enum(PRESCRIPTION_STATUSES),
    timeZone: z.string(),
    startDate: z.string(),
    expiresAt: z.string(),
    acceptedAt: z.string().nullable(),
    scheduleIds: z.array(z.string()),
    deletedAt: z.string().nullable(),
    deleteReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Prescription', {
    example: {
      id: 'rx_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      appointmentId: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
      patientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CA',
      patientName: 'Ana Silva',
      doctorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CB',
      doctorName: 'Dr. Rui Costa',
      medications: [
        {
          name: 'Amoxicillin',
          dosage: '500 mg',
          frequency: { timesPerDay: 3 },
          duration: { days: 7 },
          instructions: 'After meals',
          timesOfDay: ['08:00', '14:00', '20:00'],
          lastDate: '2026-04-07',
        },
      ],
      notes: null,
      status: 'active',
      timeZone: 'Europe/Lisbon',
      startDate: '2026-04-01',
      expiresAt: '2026-04-07T23:00:00.000Z',
      acceptedAt: null,
      scheduleIds: [],
      deletedAt: null,
      deleteReason: null,
      createdAt: '2026-04-01T10:45:00.000Z',
      updatedAt: '2026-04-01T10:45:00.000Z',
    },
  });
export type PrescriptionView = z.infer<typeof PrescriptionSchema>;

/** `POST /appointments/{id}/complete`: the transition's optional reason, and optionally a prescription written with it. */
export const CompleteBody = z
  .strictObject({
    reason: FreeText(500).optional(),
    prescription: CreatePrescriptionBody.optional(),
  })
  .openapi('CompleteAppointment', {
    description:
      'Arthomed: the status update may carry the prescription of the visit, written in the same write as the completion.',
    example: {
      prescription: {
        medications: [{ name: 'Amoxicillin', dosage: '500 mg', frequency: { timesPerDay: 3 }, duration: { days: 7 } }],
      },
    },
  });
export type CompleteInput = z.infer<typeof CompleteBody>;

export const CompletedAppointmentSchema = AppointmentSchema.extend({
  prescription: PrescriptionSchema.optional().openapi({
    description: 'The prescription written with the completion, when one was sent.',
  }),
}).openapi('CompletedAppointment');
