import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A patient's status as a care report states it (the Home Care design's levels). */
export const CARE_STATUSES = ['stable', 'improving', 'deteriorating', 'critical', 'recovered', 'deceased'] as const;
export type CareStatus = (typeof CARE_STATUSES)[number];

/**
 * Care reports a caregiver files about a patient, one row per report holding its newest version (what
 * the lists and the status timeline read). Vitals, observations and medication given are the JSON of the
 * version, AES-256-GCM encrypted like medical records (`key_id` names the key). `session_id` names the
 * care session the report is about, once sessions exist; `request_key` is the author's Idempotency-Key,
 * so a retried filing answers the report it already made (unique per author).
 */
export const careReports = sqliteTable(
  'care_reports',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    authorId: text('author_id').notNull(),
    sessionId: text('session_id'),
    requestKey: text('request_key'),
    status: text('status', { enum: CARE_STATUSES }).notNull(),
    version: integer('version').notNull(),
    keyId: text('key_id').notNull(),
    content: text('content').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('care_reports_patient_idx').on(t.patientId, t.createdAt),
    uniqueIndex('care_reports_author_key_idx').on(t.authorId, t.requestKey),
  ],
);
export type CareReportRow = typeof careReports.$inferSelect;

/** Every version of every care report, as written; `(report_id, version)` unique. */
export const careReportVersions = sqliteTable(
  'care_report_versions',
  {
    id: text('id').primaryKey(),
    reportId: text('report_id').notNull(),
    patientId: text('patient_id').notNull(),
    version: integer('version').notNull(),
    status: text('status', { enum: CARE_STATUSES }).notNull(),
    keyId: text('key_id').notNull(),
    content: text('content').notNull(),
    authorId: text('author_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('care_report_versions_report_version_idx').on(t.reportId, t.version),
    index('care_report_versions_patient_idx').on(t.patientId),
  ],
);
export type CareReportVersionRow = typeof careReportVersions.$inferSelect;

export const CARE_ALERT_SEVERITIES = ['high', 'critical'] as const;
export type CareAlertSeverity = (typeof CARE_ALERT_SEVERITIES)[number];
export const CARE_ALERT_STATUSES = ['open', 'acknowledged'] as const;

/**
 * Admin alerts a care report raised (`high` for deteriorating, `critical` for critical or deceased):
 * one per report and severity, whatever retries happen. `ack_seconds` is the time from raise to
 * acknowledgement.
 */
export const careAlerts = sqliteTable(
  'care_alerts',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    reportId: text('report_id').notNull(),
    severity: text('severity', { enum: CARE_ALERT_SEVERITIES }).notNull(),
    status: text('status', { enum: CARE_ALERT_STATUSES }).notNull().default('open'),
    createdAt: integer('created_at').notNull(),
    acknowledgedAt: integer('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    ackSeconds: integer('ack_seconds'),
  },
  (t) => [
    uniqueIndex('care_alerts_report_severity_idx').on(t.reportId, t.severity),
    index('care_alerts_status_idx').on(t.status, t.createdAt),
    index('care_alerts_patient_idx').on(t.patientId),
  ],
);
export type CareAlertRow = typeof careAlerts.$inferSelect;

/**
 * The mark a `deceased` care report leaves on a patient's account (one row per patient, so the protocol
 * runs once): when, on which report, reported by whom. The users table is left as it is (the account
 * stays active, so the family and doctors keep reading the reports).
 */
export const careDeaths = sqliteTable('care_deaths', {
  patientId: text('patient_id').primaryKey(),
  reportId: text('report_id').notNull(),
  reportedBy: text('reported_by').notNull(),
  at: integer('at').notNull(),
});
export type CareDeathRow = typeof careDeaths.$inferSelect;
