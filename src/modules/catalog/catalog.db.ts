import { SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import { auditEvents } from '../../db/schema';
import type { CatalogKind } from './catalog.kinds';

/**
 * SQL helpers of the catalog services: audit inserts whose action or metadata SQL computes inside the
 * batch, and JSON chunking for set-based writes through `json_each`. Helpers every module shares
 * (qualified columns, the one-row guard, constraint checks, raw batches) live in src/db/sql.ts.
 */

/** A bare column name, e.g. for an INSERT column list. */
export const columnName = (column: SQLiteColumn): SQL => sql`${sql.identifier(column.name)}`;

export interface CatalogAuditEvent {
  /** A string, or SQL evaluated in the batch (see `ifOneRowChanged`). */
  action: string | SQL;
  resourceType: CatalogKind;
  resourceId?: string | null;
  /** Ids and counts only; SQL (e.g. `json_object(...)`) when the batch itself counts. */
  metadata?: Record<string, unknown> | SQL;
}

/** The audit insert of a catalog write, for a `db.batch` next to the write it records. */
export function catalogAuditInsert(ctx: ServiceContext, event: CatalogAuditEvent) {
  return ctx.db.insert(auditEvents).values({
    id: ctx.ids.id('aud'),
    at: ctx.clock.now().getTime(),
    actorId: ctx.actor?.id ?? null,
    actorRole: ctx.actor?.role ?? null,
    patientId: null,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId ?? null,
    reason: null,
    outcome: 'success',
    requestId: ctx.requestId,
    ip: ctx.ip,
    metadata: event.metadata ?? null,
  });
}

/**
 * One audit event per row of `source` (a `from … where …` clause), written by INSERT … SELECT (raw SQL
 * for `rawBatch`): placed before a write with the same condition, it names exactly the rows written.
 */
export function auditInsertSelect(
  ctx: ServiceContext,
  event: {
    action: string;
    resourceType: CatalogKind;
    auditId: SQL;
    resourceId: SQL;
    /** Ids and counts only; SQL (e.g. `json_object(...)`) when the batch itself counts. */
    metadata: Record<string, unknown> | SQL;
  },
  source: SQL,
) {
  const columns = [
    auditEvents.id,
    auditEvents.at,
    auditEvents.actorId,
    auditEvents.actorRole,
    auditEvents.action,
    auditEvents.resourceType,
    auditEvents.resourceId,
    auditEvents.outcome,
    auditEvents.requestId,
    auditEvents.ip,
    auditEvents.metadata,
  ];
  return sql`insert into ${auditEvents} (${sql.join(columns.map(columnName), sql`, `)})
    select ${event.auditId}, ${ctx.clock.now().getTime()}, ${ctx.actor?.id ?? null}, ${ctx.actor?.role ?? null},
      ${event.action}, ${event.resourceType}, ${event.resourceId}, 'success', ${ctx.requestId}, ${ctx.ip},
      ${event.metadata instanceof SQL ? event.metadata : JSON.stringify(event.metadata)}
    ${source}`;
}

/**
 * Splits `items` into chunks whose JSON array is at most `maxBytes` long (and at most `maxItems`
 * items), for one `json_each(?)` parameter each: D1 allows 100 bound parameters a statement, so
 * set-based writes bind one JSON array instead of one parameter per value.
 */
export function jsonChunks<T>(items: T[], maxBytes = 200_000, maxItems = 1000): { json: string; items: T[] }[] {
  const chunks: { json: string; items: T[] }[] = [];
  let parts: string[] = [];
  let members: T[] = [];
  let size = 2;
  const flush = () => {
    if (members.length) chunks.push({ json: `[${parts.join(',')}]`, items: members });
    parts = [];
    members = [];
    size = 2;
  };
  for (const item of items) {
    const json = JSON.stringify(item);
    if (members.length && (size + json.length + 1 > maxBytes || members.length >= maxItems)) flush();
    parts.push(json);
    members.push(item);
    size += json.length + 1;
  }
  flush();
  return chunks;
}
