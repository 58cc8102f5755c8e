import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { devOutbox } from '../../db/schema';
import { environmentOf } from '../../env';
import { notFound } from '../../lib/errors';

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
  channel?: 'email' | 'sms';
}

/**
 * Messages the development adapters captured, newest first.
 * @throws AppError NOT_FOUND outside the development environment, so production never exposes it.
 */
export async function listOutbox(ctx: ServiceContext, query: OutboxQuery) {
  if (environmentOf(ctx.env) !== 'development') throw notFound('Route');
  const filters: SQL[] = [];
  if (query.recipient) filters.push(eq(devOutbox.recipient, query.recipient.toLowerCase()));
  if (query.channel) filters.push(eq(devOutbox.channel, query.channel));
  return paginate(ctx.db, devOutbox, {
    where: filters.length ? and(...filters) : undefined,
    orderBy: [desc(devOutbox.createdAt), desc(devOutbox.id)],
    page: query.page,
    limit: query.limit,
    map: (row) => ({ ...row, createdAt: new Date(row.createdAt).toISOString() }),
  });
}

/** Deletes outbox messages older than `maxAgeMs` (development housekeeping, run by cron). */
export async function pruneOutbox(ctx: ServiceContext, maxAgeMs = 7 * 24 * 3600_000): Promise<number> {
  if (environmentOf(ctx.env) !== 'development') return 0;
  const cutoff = ctx.clock.now().getTime() - maxAgeMs;
  const result = await ctx.db.delete(devOutbox).where(sql`${devOutbox.createdAt} < ${cutoff}`).run();
  return result.meta.changes ?? 0;
}
