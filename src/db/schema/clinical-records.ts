import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** The sections of a medical record; a version names the ones it changed. */
export const RECORD_SECTIONS = [
  'conditions',
  'allergies',
  'surgeries',
  'currentMedications',
  'lifestyle',
  'familyHistory',
] as const;
export type RecordSection = (typeof RECORD_SECTIONS)[number];

/**
 * A patient's medical record, one row per version (the record is the patient's newest version). The
 * content is the JSON of every section, AES-256-GCM encrypted under the key `key_id` names (so keys can
 * rotate: old versions stay readable under a retired key); `(patient_id, version)` is unique, which
 * makes two concurrent writes on the same base version collide instead of both landing.
 */
export const medicalRecordVersions = sqliteTable(
  'medical_record_versions',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    version: integer('version').notNull(),
    keyId: text('key_id').notNull(),
    /** `v1.<iv>.<ciphertext>` (base64url); bound to the patient and version as associated data. */
    content: text('content').notNull(),
    sectionsChanged: text('sections_changed', { mode: 'json' }).$type<RecordSection[]>().notNull(),
    authorId: text('author_id').notNull(),
    authorRole: text('author_role').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('medical_record_versions_patient_version_idx').on(t.patientId, t.version)],
);

export const RECORD_DOCUMENT_TYPES = ['lab-report', 'imaging', 'discharge-letter', 'other'] as const;
export type RecordDocumentType = (typeof RECORD_DOCUMENT_TYPES)[number];

/** Uploaded files (rows of `files`) linked to a patient's record as documents. */
export const medicalRecordDocuments = sqliteTable(
  'medical_record_documents',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    fileId: text('file_id').notNull(),
    type: text('type', { enum: RECORD_DOCUMENT_TYPES }).notNull(),
    addedBy: text('added_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('medical_record_documents_file_idx').on(t.fileId),
    index('medical_record_documents_patient_idx').on(t.patientId, t.createdAt),
  ],
);

/** Why someone could open a record: the patient themself, a care relationship, a grant, emergency access. */
export const RECORD_ACCESS_BASES = ['patient', 'relation', 'grant', 'emergency'] as const;
export type RecordAccessBasis = (typeof RECORD_ACCESS_BASES)[number];

/**
 * The patient's view of who opened their record, when and why: one row per read or change, written in
 * the same batch as the read (by the same condition that let it through). Ids only.
 */
export const medicalRecordAccessLog = sqliteTable(
  'medical_record_access_log',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    action: text('action', { enum: ['read', 'write'] }).notNull(),
    /** What was opened: `record`, `versions`, `version`, `documents`. */
    resource: text('resource').notNull(),
    basis: text('basis', { enum: RECORD_ACCESS_BASES }).notNull(),
    /** The emergency access's stated reason, when that was the basis. */
    reason: text('reason'),
    at: integer('at').notNull(),
  },
  (t) => [index('medical_record_access_log_patient_idx').on(t.patientId, t.at)],
);

export const RECORD_GRANT_SCOPES = ['record', 'documents'] as const;
export type RecordGrantScope = (typeof RECORD_GRANT_SCOPES)[number];

/** A patient's time-limited grant of access to their record (whole record, or documents only). */
export const recordGrants = sqliteTable(
  'record_grants',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    granteeId: text('grantee_id').notNull(),
    scope: text('scope', { enum: RECORD_GRANT_SCOPES }).notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('record_grants_patient_idx').on(t.patientId, t.createdAt),
    index('record_grants_grantee_idx').on(t.granteeId, t.patientId),
  ],
);

export const EMERGENCY_REVIEW_STATUSES = ['pending', 'approved', 'flagged'] as const;
export type EmergencyReviewStatus = (typeof EMERGENCY_REVIEW_STATUSES)[number];

/** A "break glass" read access of a doctor to a patient's record, with its reason and its admin review. */
export const emergencyAccesses = sqliteTable(
  'emergency_accesses',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    reason: text('reason').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    reviewStatus: text('review_status', { enum: EMERGENCY_REVIEW_STATUSES }).notNull().default('pending'),
    reviewedBy: text('reviewed_by'),
    reviewedAt: integer('reviewed_at'),
    reviewNote: text('review_note'),
  },
  (t) => [
    index('emergency_accesses_doctor_idx').on(t.doctorId, t.patientId, t.expiresAt),
    index('emergency_accesses_review_idx').on(t.reviewStatus, t.createdAt),
  ],
);

export type MedicalRecordVersionRow = typeof medicalRecordVersions.$inferSelect;
export type RecordGrantRow = typeof recordGrants.$inferSelect;
export type EmergencyAccessRow = typeof emergencyAccesses.$inferSelect;
