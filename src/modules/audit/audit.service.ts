import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type AuditEventRow, auditEvents } from '../../db/schema';

export interface AuditEventInput {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  patientId?: string | null;
  reason?: string | null;
  outcome?: 'success' | 'failure';
  /** Ids and codes only: never names, contact details or clinical text. */
  metadata?: Record<string, unknown>;
  /** Overrides the context's actor (e.g. a failed login names the account it targeted). */
  actorId?: string | null;
}

/** The insert for one audit event; use inside `db.batch` so the event commits with the change. */
export function auditInsert(ctx: ServiceContext, event: AuditEventInput) {
  return ctx.db.insert(auditEvents).values({
    id: ctx.ids.id('aud'),
    at: ctx.clock.now().getTime(),
    actorId: event.actorId !== undefined ? event.actorId : (ctx.actor?.id ?? null),
    actorRole: ctx.actor?.role ?? null,
    patientId: event.patientId ?? null,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId ?? null,
    reason: event.reason ?? null,
    outcome: event.outcome ?? 'success',
    requestId: ctx.requestId,
    ip: ctx.ip,
    metadata: event.metadata ?? null,
  });
}

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
