import { z } from '@hono/zod-openapi';
import {
  EMERGENCY_REVIEW_STATUSES,
  RECORD_ACCESS_BASES,
  RECORD_DOCUMENT_TYPES,
  RECORD_GRANT_SCOPES,
  RECORD_SECTIONS,
} from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from '../../lib/text';

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const EXAMPLE = {
  patientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  doctorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
  grantId: 'rgr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  emergencyId: 'ema_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  fileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  documentId: 'rdc_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
};

/** A line of text: no control characters. */
export const line = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL_CHARS, 'Must not contain control characters');
/** Free text: line breaks allowed. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(NO_CONTROL_CHARS_BUT_LINE_BREAKS, 'Must not contain control characters other than line breaks and tabs');
const date = z.iso.date('Must be a calendar date as YYYY-MM-DD');
/** At most this many entries per list section: a record stays small enough to encrypt and ship whole. */
const MAX_ENTRIES = 100;

const ConditionSchema = z
  .strictObject({
    condition: line(200),
    diagnosedDate: date.nullable().optional(),
    treatment: text(2000).nullable().optional(),
    doctor: line(200).nullable().optional(),
  })
  .openapi('MedicalCondition');

const AllergySchema = z
  .strictObject({
    allergen: line(200),
    reaction: text(1000).nullable().optional(),
    severity: z.enum(['mild', 'moderate', 'severe']).nullable().optional(),
  })
  .openapi('Allergy');

const SurgerySchema = z
  .strictObject({ procedure: line(200), date: date.nullable().optional(), notes: text(2000).nullable().optional() })
  .openapi('Surgery');

const MedicationSchema = z
  .strictObject({
    name: line(200),
    dosage: line(200).nullable().optional(),
    frequency: line(200).nullable().optional(),
    since: date.nullable().optional(),
  })
  .openapi('CurrentMedication');

const LifestyleSchema = z
  .strictObject({
    smoking: z.enum(['never', 'former', 'current']).nullable().optional(),
    alcohol: z.enum(['none', 'occasional', 'regular']).nullable().optional(),
    exercise: text(1000).nullable().optional(),
    diet: text(1000).nullable().optional(),
    notes: text(2000).nullable().optional(),
  })
  .openapi('Lifestyle');

const FamilyHistorySchema = z
  .strictObject({ relation: line(100), condition: line(200), notes: text(1000).nullable().optional() })
  .openapi('FamilyHistoryEntry');

const sectionShapes = {
  conditions: z.array(ConditionSchema).max(MAX_ENTRIES),
  allergies: z.array(AllergySchema).max(MAX_ENTRIES),
  surgeries: z.array(SurgerySchema).max(MAX_ENTRIES),
  currentMedications: z.array(MedicationSchema).max(MAX_ENTRIES),
  lifestyle: LifestyleSchema.nullable(),
  familyHistory: z.array(FamilyHistorySchema).max(MAX_ENTRIES),
} satisfies Record<(typeof RECORD_SECTIONS)[number], z.ZodType>;

/** Every section of a record, as stored (encrypted) in one version. */
export const RecordContentSchema = z.object(sectionShapes).openapi('MedicalRecordContent');
export type RecordContent = z.infer<typeof RecordContentSchema>;

export const EMPTY_CONTENT: RecordContent = {
  conditions: [],
  allergies: [],
  surgeries: [],
  currentMedications: [],
  lifestyle: null,
  familyHistory: [],
};

const baseVersion = z
  .number()
  .int()
  .min(0)
  .openapi({ description: 'The version the change was made on (0 for a record with none yet); another is 409.' });

const example = {
  baseVersion: 1,
  conditions: [
    { condition: 'Type 2 diabetes', diagnosedDate: '2021-04-02', treatment: 'Metformin 500 mg', doctor: 'Dr. Okafor' },
  ],
  allergies: [{ allergen: 'Penicillin', reaction: 'Rash', severity: 'moderate' }],
};

/** PUT: every section (a missing one is emptied). */
export const PutRecordBody = z
  .strictObject(sectionShapes)
  .partial()
  .extend({ baseVersion })
  .openapi('PutMedicalRecord', { example });
/** PATCH: only the sections given change. */
export const PatchRecordBody = z
  .strictObject(sectionShapes)
  .partial()
  .extend({ baseVersion })
  .openapi('PatchMedicalRecord', { example });
export type RecordChangeInput = z.infer<typeof PutRecordBody>;

export const PatientIdParam = z.object({
  patientId: z
    .string()
    .regex(new RegExp(`^(me|usr_${ULID})$`), 'Not a user id (or `me`)')
    .openapi({ param: { name: 'patientId', in: 'path' }, example: EXAMPLE.patientId }),
});

export const DocumentParam = PatientIdParam.extend({
  documentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'documentId', in: 'path' }, example: 'mrd_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const VersionParam = PatientIdParam.extend({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .openapi({ param: { name: 'version', in: 'path' }, example: 2 }),
});

const AccessBasisSchema = z.enum(RECORD_ACCESS_BASES).openapi({
  description:
    'Why the caller may open the record: `patient` (their own), `relation` (their doctor), `grant`, `emergency`.',
});

const VersionMetaShape = {
  version: z.number().int().openapi({ example: 2 }),
  authorId: z.string().openapi({ example: EXAMPLE.doctorId }),
  authorRole: z.string().openapi({ example: 'doctor' }),
  sectionsChanged: z.array(z.enum(RECORD_SECTIONS)),
  createdAt: z.iso.datetime(),
};

export const RecordVersionMetaSchema = z.object(VersionMetaShape).openapi('MedicalRecordVersionMeta');

export const MedicalRecordSchema = z
  .object({
    patientId: z.string().openapi({ example: EXAMPLE.patientId }),
    /** 0 while nobody has written the record yet. */
    version: z.number().int().openapi({ example: 2 }),
    authorId: z.string().nullable(),
    authorRole: z.string().nullable(),
    sectionsChanged: z.array(z.enum(RECORD_SECTIONS)),
    createdAt: z.iso.datetime().nullable(),
    content: RecordContentSchema,
    access: AccessBasisSchema,
  })
  .openapi('MedicalRecord');
export type MedicalRecordView = z.infer<typeof MedicalRecordSchema>;

export const AccessLogEntrySchema = z
  .object({
    id: z.string(),
    actorId: z.string(),
    actorRole: z.string(),
    action: z.enum(['read', 'write']),
    resource: z.string().openapi({ example: 'record' }),
    basis: AccessBasisSchema,
    reason: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .openapi('RecordAccessLogEntry');

export const GrantBody = z
  .strictObject({
    granteeId: z
      .string()
      .regex(new RegExp(`^usr_${ULID}$`), 'Not a user id')
      .openapi({ example: EXAMPLE.doctorId }),
    scope: z
      .enum(RECORD_GRANT_SCOPES)
      .openapi({ description: '`record`: the whole record; `documents`: its documents only.' }),
    expiresAt: z.iso.datetime({ offset: true }).openapi({ example: '2026-08-01T00:00:00Z' }),
  })
  .openapi('CreateRecordGrant');

export const GrantSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.grantId }),
    patientId: z.string(),
    granteeId: z.string(),
    scope: z.enum(RECORD_GRANT_SCOPES),
    expiresAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    live: z.boolean().openapi({ description: 'Not revoked and not expired now.' }),
  })
  .openapi('RecordGrant');

export const EmergencyBody = z
  .strictObject({ reason: line(1000).openapi({ example: 'Unconscious in the emergency room, allergies unknown' }) })
  .openapi('EmergencyAccessRequest');

export const EmergencyAccessSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.emergencyId }),
    patientId: z.string(),
    doctorId: z.string(),
    reason: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    reviewStatus: z.enum(EMERGENCY_REVIEW_STATUSES),
    reviewedBy: z.string().nullable(),
    reviewedAt: z.iso.datetime().nullable(),
    reviewNote: z.string().nullable(),
  })
  .openapi('EmergencyAccess');

export const EmergencyQuery = PageQuery.extend({ status: z.enum(EMERGENCY_REVIEW_STATUSES).optional() });

export const ReviewBody = z
  .strictObject({ decision: z.enum(['approve', 'flag']), note: text(2000).nullable().optional() })
  .openapi('EmergencyAccessReview', { example: { decision: 'approve', note: 'ER admission confirmed' } });

export const DocumentBody = z
  .strictObject({
    fileId: z
      .string()
      .regex(new RegExp(`^fil_${ULID}$`), 'Not a file id')
      .openapi({ example: EXAMPLE.fileId }),
    type: z.enum(RECORD_DOCUMENT_TYPES),
  })
  .openapi('LinkRecordDocument');

export const DocumentSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE.documentId }),
    fileId: z.string(),
    type: z.enum(RECORD_DOCUMENT_TYPES),
    contentType: z.string(),
    size: z.number().int(),
    fileName: z.string().nullable(),
    addedBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi('RecordDocument');
