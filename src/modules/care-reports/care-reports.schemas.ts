import { z } from '@hono/zod-openapi';
import { CARE_ALERT_SEVERITIES, CARE_ALERT_STATUSES, CARE_STATUSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { line, text } from '../medical-records/medical-records.schemas';

const EXAMPLE = {
  patientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  caregiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
  reportId: 'crp_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  alertId: 'cal_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  adminId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CG',
};

/** A number within a physiological range, its unit named in the message and the document. */
const measure = (min: number, max: number, unit: string, integer = false) =>
  (integer ? z.number().int() : z.number())
    .min(min, `Must be at least ${min} ${unit}`)
    .max(max, `Must be at most ${max} ${unit}`)
    .openapi({ description: `${unit}, ${min}–${max}` });

/** Blood glucose ranges by unit: 1–40 mmol/L, or the same 18–720 mg/dL. */
export const GLUCOSE_RANGES = { 'mmol/L': [1, 40], 'mg/dL': [18, 720] } as const;

export const VitalsSchema = z
  .strictObject({
    bloodPressure: z
      .strictObject({
        systolic: measure(50, 260, 'mmHg', true),
        diastolic: measure(30, 160, 'mmHg', true),
      })
      .refine((bp) => bp.systolic > bp.diastolic, {
        message: 'Systolic must be above diastolic',
        path: ['systolic'],
      })
      .optional(),
    heartRate: measure(20, 250, 'bpm', true).optional(),
    temperature: measure(30, 45, '°C').optional(),
    spo2: measure(50, 100, '%', true).optional(),
    respiratoryRate: measure(4, 60, 'breaths/min', true).optional(),
    bloodGlucose: z
      .strictObject({ value: z.number(), unit: z.enum(['mmol/L', 'mg/dL']).default('mmol/L') })
      .superRefine((g, check) => {
        const [min, max] = GLUCOSE_RANGES[g.unit];
        if (g.value < min || g.value > max)
          check.addIssue({ code: 'custom', path: ['value'], message: `Must be ${min}–${max} ${g.unit}` });
      })
      .optional()
      .openapi({ description: '1–40 mmol/L (the default unit) or 18–720 mg/dL' }),
    painScore: measure(0, 10, 'of 10', true).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'At least one vital sign is required' })
  .openapi('CareVitals');
export type Vitals = z.infer<typeof VitalsSchema>;

export const VITAL_NAMES = [
  'systolic',
  'diastolic',
  'heartRate',
  'temperature',
  'spo2',
  'respiratoryRate',
  'bloodGlucose',
  'painScore',
] as const;
export type VitalName = (typeof VITAL_NAMES)[number];

/** What a report version holds, encrypted at rest. */
export const ReportContentSchema = z.object({
  vitals: VitalsSchema,
  observations: text(5000).nullable(),
  medicationGiven: z.array(
    z.strictObject({
      name: line(200),
      dose: line(100).nullable().optional(),
      at: z.iso.datetime().nullable().optional(),
    }),
  ),
});
export type ReportContent = z.infer<typeof ReportContentSchema>;

export const CreateReportBody = z
  .strictObject({
    vitals: VitalsSchema,
    observations: text(5000).nullable().optional(),
    medicationGiven: ReportContentSchema.shape.medicationGiven.max(50).optional(),
    status: z.enum(CARE_STATUSES),
  })
  .openapi('CareReportCreate', {
    example: {
      vitals: {
        bloodPressure: { systolic: 128, diastolic: 82 },
        heartRate: 76,
        temperature: 36.8,
        spo2: 97,
        respiratoryRate: 16,
        bloodGlucose: { value: 6.1, unit: 'mmol/L' },
        painScore: 2,
      },
      observations: 'Ate well, walked to the garden with help.',
      medicationGiven: [{ name: 'Metformin', dose: '500 mg', at: '2026-07-01T08:30:00.000Z' }],
      status: 'stable',
    },
  });
export type CreateReportInput = z.infer<typeof CreateReportBody>;

export const UpdateReportBody = z
  .strictObject({
    baseVersion: z.number().int().min(1),
    vitals: VitalsSchema.optional(),
    observations: text(5000).nullable().optional(),
    medicationGiven: ReportContentSchema.shape.medicationGiven.max(50).optional(),
    status: z.enum(CARE_STATUSES).optional(),
  })
  .openapi('CareReportUpdate', { example: { baseVersion: 1, status: 'deteriorating', vitals: { spo2: 91 } } });
export type UpdateReportInput = z.infer<typeof UpdateReportBody>;

export const CareReportSchema = z
  .object({
    id: z.string(),
    patientId: z.string(),
    authorId: z.string(),
    sessionId: z.string().nullable(),
    status: z.enum(CARE_STATUSES),
    version: z.number().int(),
    vitals: z.record(z.string(), z.unknown()),
    observations: z.string().nullable(),
    medicationGiven: z.array(
      z.object({ name: z.string(), dose: z.string().nullable().optional(), at: z.string().nullable().optional() }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CareReport', {
    example: {
      id: EXAMPLE.reportId,
      patientId: EXAMPLE.patientId,
      authorId: EXAMPLE.caregiverId,
      sessionId: null,
      status: 'stable',
      version: 1,
      vitals: { bloodPressure: { systolic: 128, diastolic: 82 }, heartRate: 76 },
      observations: 'Ate well.',
      medicationGiven: [{ name: 'Metformin', dose: '500 mg', at: null }],
      createdAt: '2026-07-01T09:00:00.000Z',
      updatedAt: '2026-07-01T09:00:00.000Z',
    },
  });
export type CareReportView = z.infer<typeof CareReportSchema>;

export const CareReportVersionSchema = CareReportSchema.omit({ sessionId: true, updatedAt: true }).openapi(
  'CareReportVersion',
  {
    example: {
      id: EXAMPLE.reportId,
      patientId: EXAMPLE.patientId,
      authorId: EXAMPLE.caregiverId,
      status: 'deteriorating',
      version: 2,
      vitals: { bloodPressure: { systolic: 128, diastolic: 82 }, heartRate: 76, spo2: 91 },
      observations: 'Short of breath after lunch.',
      medicationGiven: [{ name: 'Metformin', dose: '500 mg', at: null }],
      createdAt: '2026-07-01T15:00:00.000Z',
    },
  },
);

const SeriesSchema = z.object({
  points: z.array(z.object({ at: z.string(), value: z.number(), reportId: z.string() })),
  min: z.number().nullable(),
  max: z.number().nullable(),
  avg: z.number().nullable(),
});

export const CareStatusSchema = z
  .object({
    patientId: z.string(),
    current: z.enum(CARE_STATUSES).nullable(),
    days: z.number().int(),
    timeline: z.array(z.object({ status: z.enum(CARE_STATUSES), at: z.string(), reportId: z.string() })),
    trends: z.record(z.string(), SeriesSchema),
  })
  .openapi('CareStatus', {
    example: {
      patientId: EXAMPLE.patientId,
      current: 'improving',
      days: 30,
      timeline: [
        { status: 'deteriorating', at: '2026-06-28T09:00:00.000Z', reportId: EXAMPLE.reportId },
        { status: 'improving', at: '2026-07-01T09:00:00.000Z', reportId: 'crp_01JF8ZS5X0V6M3A2Q9K1T7B4CF' },
      ],
      trends: {
        heartRate: {
          points: [
            { at: '2026-06-28T09:00:00.000Z', value: 104, reportId: EXAMPLE.reportId },
            { at: '2026-07-01T09:00:00.000Z', value: 80, reportId: 'crp_01JF8ZS5X0V6M3A2Q9K1T7B4CF' },
          ],
          min: 80,
          max: 104,
          avg: 92,
        },
      },
    },
  });

export const StatusQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30).openapi({ example: 30 }),
});

export const PatientIdParam = z.object({
  patientId: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: 'patientId', in: 'path' },
      example: EXAMPLE.patientId,
      description: 'A user id, or `me`',
    }),
});

export const CareAlertSchema = z
  .object({
    id: z.string(),
    patientId: z.string(),
    reportId: z.string(),
    severity: z.enum(CARE_ALERT_SEVERITIES),
    status: z.enum(CARE_ALERT_STATUSES),
    createdAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    ackSeconds: z.number().int().nullable(),
  })
  .openapi('CareAlert', {
    example: {
      id: EXAMPLE.alertId,
      patientId: EXAMPLE.patientId,
      reportId: EXAMPLE.reportId,
      severity: 'critical',
      status: 'acknowledged',
      createdAt: '2026-07-01T09:00:00.000Z',
      acknowledgedAt: '2026-07-01T09:04:00.000Z',
      acknowledgedBy: EXAMPLE.adminId,
      ackSeconds: 240,
    },
  });

export const AlertListQuery = PageQuery.extend({
  status: z
    .enum([...CARE_ALERT_STATUSES, 'all'])
    .default('open')
    .openapi({ example: 'open' }),
});
