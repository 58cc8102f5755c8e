import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Append-only audit trail: every read or change of medical data and every auth event. A trigger in
 * migrations refuses UPDATE and DELETE. Rows carry ids, never names, emails or clinical content.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: integer('at').notNull(),
    actorId: text('actor_id'),
    actorRole: text('actor_role'),
    /** The patient whose data was touched, when there is one. */
    patientId: text('patient_id'),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id'),
    reason: text('reason'),
    outcome: text('outcome', { enum: ['success', 'failure'] })
      .notNull()
      .default('success'),
    requestId: text('request_id'),
    ip: text('ip'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_at_idx').on(t.at),
    index('audit_actor_idx').on(t.actorId, t.at),
    index('audit_patient_idx').on(t.patientId, t.at),
    index('audit_resource_idx').on(t.resourceType, t.resourceId),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
