import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type AuditEventRow, auditEvents } from '../../db/schema';
import { ifOneRowChanged, isNotNullViolation, selectedRow } from '../../db/sql';

/**
 * The one writer of `audit_events`: every module records through `auditInsert` (or `recordAudit`),
 * none inserts into the table itself (test/modules/audit.test.ts checks the sources).
 */

export interface AuditEventInput {
  action: string;
  resourceType: string;
  /** SQL when a `select` guard computes it per row (e.g. the id of each deleted row). */
  resourceId?: string | SQL | null;
  /** SQL when a `select` guard reads it from the guarded row (e.g. the patient of an appointment read). */
  patientId?: string | SQL | null;
  reason?: string | null;
  outcome?: 'success' | 'failure';
  /** Ids and codes only: never names, contact details or clinical text. SQL when the batch counts. */
  metadata?: Record<string, unknown> | SQL;
  /** Overrides the context's actor (e.g. a failed login names the account it targeted). */
  actorId?: string | null;
  /**
   * The event's id, SQL evaluated per row: only for a `select` guard whose source yields several rows
   * (each needs its own id). Defaults to one fresh `aud_` id.
   */
  id?: SQL;
}

/**
 * When a guarded audit row is written, for audits that must commit exactly when the change they
 * describe does:
 * - `'one-row-changed'`: the statement right before it in the same batch changed exactly one row.
 *   Otherwise the row's `action` is NULL, a NOT NULL violation that rolls the whole batch back (a
 *   conditional write that lost a race leaves nothing behind); `auditGuardTripped` recognises it.
 * - `{ from, where }`: INSERT … SELECT, one audit row per row of `from` (one row when absent) for
 *   which `where` holds when the statement runs. Placed before a write with the same condition, it
 *   names exactly the rows that write changes; when the condition fails nothing is written and the
 *   batch goes on.
 */
export type AuditGuard = 'one-row-changed' | { from?: SQLiteTable | SQL; where?: SQL };

/**
 * The insert for one audit event (several with a `from` guard), stamped with the context's actor,
 * clock, request id and address. Returns a statement for `db.batch` (or the catalog's raw batches), so
 * the event commits with the change it records; awaiting it alone writes it at once.
 */
export function auditInsert(ctx: ServiceContext, event: AuditEventInput, options: { guard?: AuditGuard } = {}) {
  const { guard } = options;
  const row = {
    id: event.id ?? ctx.ids.id('aud'),
    at: ctx.clock.now().getTime(),
    actorId: event.actorId !== undefined ? event.actorId : (ctx.actor?.id ?? null),
    actorRole: ctx.actor?.role ?? null,
    patientId: event.patientId ?? null,
    action: guard === 'one-row-changed' ? ifOneRowChanged(event.action) : event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId ?? null,
    reason: event.reason ?? null,
    outcome: event.outcome ?? 'success',
    requestId: ctx.requestId,
    ip: ctx.ip,
    metadata: event.metadata ?? null,
  } satisfies Record<keyof typeof auditEvents.$inferInsert, unknown>;
  if (guard === undefined || guard === 'one-row-changed') return ctx.db.insert(auditEvents).values(row);
  return ctx.db
    .insert(auditEvents)
    .select(
      sql`select ${selectedRow(auditEvents, row)}${guard.from ? sql` from ${guard.from}` : sql``}${guard.where ? sql` where ${guard.where}` : sql``}`,
    );
}

/** Whether a batch rolled back because its `'one-row-changed'` audit insert found no change. */
export const auditGuardTripped = (err: unknown): boolean => isNotNullViolation(err, auditEvents.action);

/**
 * Appends one audit event: who (the context's actor), whose data, what, why, when and under which
 * request. Call it for every read or change of medical data and every auth event.
 */
export async function recordAudit(ctx: ServiceContext, event: AuditEventInput): Promise<void> {
  await auditInsert(ctx, event);
}

export interface AuditQuery {
  page: number;
  limit: number;
  actorId?: string;
  patientId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: 'success' | 'failure';
  from?: Date;
  to?: Date;
}

export function toAuditView(row: AuditEventRow) {
  return { ...row, at: new Date(row.at).toISOString() };
}

/** Lists audit events newest first, filtered; for superadmins. */
export async function listAuditEvents(ctx: ServiceContext, query: AuditQuery) {
  const filters: SQL[] = [];
  if (query.actorId) filters.push(eq(auditEvents.actorId, query.actorId));
  if (query.patientId) filters.push(eq(auditEvents.patientId, query.patientId));
  if (query.action) filters.push(eq(auditEvents.action, query.action));
  if (query.resourceType) filters.push(eq(auditEvents.resourceType, query.resourceType));
  if (query.resourceId) filters.push(eq(auditEvents.resourceId, query.resourceId));
  if (query.outcome) filters.push(eq(auditEvents.outcome, query.outcome));
  if (query.from) filters.push(gte(auditEvents.at, query.from.getTime()));
  if (query.to) filters.push(lt(auditEvents.at, query.to.getTime()));
  return paginate(ctx.db, auditEvents, {
    where: filters.length ? and(...filters) : undefined,
    orderBy: [desc(auditEvents.at), desc(auditEvents.id)],
    page: query.page,
    limit: query.limit,
    map: toAuditView,
  });
}
