import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { devOutbox, type OutboxChannel } from '../../db/schema';
import { environmentOf } from '../../env';
import { notFound } from '../../lib/errors';
import { escapeHtml } from '../../lib/html';

export interface HealthReport {
  status: 'ok' | 'degraded';
  environment: string;
  checks: { database: { status: 'ok' | 'error'; latencyMs: number } };
}

/** Liveness plus D1 reachability (one trivial query, timed with the context clock). */
export async function checkHealth(ctx: ServiceContext): Promise<HealthReport> {
  const started = Date.now();
  let database: 'ok' | 'error' = 'ok';
  try {
    await ctx.db.run(sql`select 1`);
  } catch (err) {
    database = 'error';
    ctx.log.log('error', 'health.database_unreachable', { error: String(err) });
  }
  return {
    status: database === 'ok' ? 'ok' : 'degraded',
    environment: environmentOf(ctx.env),
    checks: { database: { status: database, latencyMs: Date.now() - started } },
  };
}

export interface OutboxQuery {
  page: number;
  limit: number;
  recipient?: string;
  channel?: OutboxChannel;
}

/**
 * Messages the development adapters captured, newest first.
 * @throws AppError NOT_FOUND outside the development environment, so production never exposes it.
 */
export async function listOutbox(ctx: ServiceContext, query: OutboxQuery) {
  if (environmentOf(ctx.env) !== 'development') throw notFound('Route');
  const filters: SQL[] = [];
  // Email addresses are stored lower-cased; push tokens are case-sensitive and kept as they are.
  if (query.recipient) {
    filters.push(inArray(devOutbox.recipient, [...new Set([query.recipient, query.recipient.toLowerCase()])]));
  }
  if (query.channel) filters.push(eq(devOutbox.channel, query.channel));
  return paginate(ctx.db, devOutbox, {
    where: filters.length ? and(...filters) : undefined,
    orderBy: [desc(devOutbox.createdAt), desc(devOutbox.id)],
    page: query.page,
    limit: query.limit,
    map: (row) => ({ ...row, createdAt: new Date(row.createdAt).toISOString() }),
  });
}

/**
 * The policy of a rendered outbox message: its own inline styles and embedded images only; no script,
 * no remote load (an email's tracking pixel or font stays unloaded), no forms, and a sandbox, so a
 * message cannot act as this origin.
 */
export const OUTBOX_VIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

/** A plain page for a message with no HTML of its own: every field escaped. */
function plainPage(row: typeof devOutbox.$inferSelect): string {
  const fields: [string, string | null][] = [
    ['Channel', row.channel],
    ['To', row.recipient],
    [row.channel === 'push' ? 'Title' : 'Subject', row.subject],
    ['Captured', new Date(row.createdAt).toISOString()],
    ...Object.entries(row.data ?? {}).map(([key, value]): [string, string] => [`data.${key}`, value]),
  ];
  const rows = fields
    .filter((field): field is [string, string] => field[1] !== null)
    .map(
      ([name, value]) =>
        `<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#64748b">${escapeHtml(name)}</th><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(`${row.channel}: ${row.subject ?? row.recipient}`)}</title></head>
<body style="font-family:system-ui,sans-serif;margin:24px;max-width:640px;color:#1f2937">
<table style="border-collapse:collapse;margin-bottom:16px">${rows}</table>
<pre style="white-space:pre-wrap;font:inherit;background:#f3f6f8;border-radius:8px;padding:16px">${escapeHtml(row.body)}</pre>
</body>
</html>
`;
}

/**
 * One captured message as a page: an email's HTML exactly as sent (what the recipient's mail client
 * shows), or a plain page of an SMS, a push notification or a text-only email. Serve it with
 * `OUTBOX_VIEW_CSP`.
 * @throws AppError NOT_FOUND outside the development environment, or for an unknown id.
 */
export async function outboxPage(ctx: ServiceContext, id: string): Promise<string> {
  if (environmentOf(ctx.env) !== 'development') throw notFound('Route');
  const row = await ctx.db.select().from(devOutbox).where(eq(devOutbox.id, id)).get();
  if (!row) throw notFound('Message');
  return row.channel === 'email' && row.html ? row.html : plainPage(row);
}

/** Deletes outbox messages older than `maxAgeMs` (development housekeeping, run by cron). */
export async function pruneOutbox(ctx: ServiceContext, maxAgeMs = 7 * 24 * 3600_000): Promise<number> {
  if (environmentOf(ctx.env) !== 'development') return 0;
  const cutoff = ctx.clock.now().getTime() - maxAgeMs;
  const result = await ctx.db.delete(devOutbox).where(sql`${devOutbox.createdAt} < ${cutoff}`).run();
  return result.meta.changes ?? 0;
}
