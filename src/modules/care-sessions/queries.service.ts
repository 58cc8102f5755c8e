import { and, count, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { careSessions } from '../../db/schema';
import { qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { iso } from '../../lib/time';
import { linkedSql } from '../caregivers/care-access';
import { eventsQuery, type SessionDetail, seenSession, sessionDetails, toCareSessionView } from './care-session-access';
import type { CareSessionDetailView, CareSessionListInput } from './care-sessions.schemas';

/**
 * One care session with its history, for its caregiver, its patient side or staff. One round trip.
 * @throws AppError NOT_FOUND (no such session, or not the caller's)
 */
export async function getCareSession(ctx: AuthedContext, id: string): Promise<CareSessionDetailView> {
  const [rows, events] = await ctx.db.batch([sessionDetails(ctx).where(eq(careSessions.id, id)), eventsQuery(ctx, id)]);
  const detail = seenSession(rows[0] as SessionDetail | undefined);
  return {
    ...toCareSessionView(detail),
    events: events.map((e) => ({
      action: e.action,
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      actorId: e.actorId,
      actorRole: e.actorRole,
      reason: e.reason,
      at: iso(e.at),
    })),
  };
}

/**
 * The caller's care sessions, newest start first: those they give (caregiver), and those they have,
 * booked, or have through an active link to the patient; staff see all. Filters: `as`, `status`, a
 * start range. One round trip (the page and its total).
 */
export async function listCareSessions(ctx: AuthedContext, query: CareSessionListInput) {
  const { actor } = ctx;
  const staff = actor.role === 'admin' || actor.role === 'superadmin';
  const mine: SQL[] = [];
  if (query.as !== 'patient') mine.push(eq(careSessions.caregiverId, actor.id));
  if (query.as !== 'caregiver') {
    mine.push(
      eq(careSessions.patientId, actor.id),
      eq(careSessions.bookedBy, actor.id),
      linkedSql(qualified(careSessions.patientId), actor.id),
    );
  }
  const where = and(
    staff && query.as === undefined ? undefined : or(...mine),
    query.status ? eq(careSessions.status, query.status) : undefined,
    query.from ? gte(careSessions.startsAt, Date.parse(query.from)) : undefined,
    query.to ? lt(careSessions.startsAt, Date.parse(query.to)) : undefined,
  );
  const [rows, total] = await ctx.db.batch([
    sessionDetails(ctx)
      .where(where)
      .orderBy(desc(careSessions.startsAt), desc(careSessions.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(careSessions).where(where),
  ]);
  return page(
    rows.map((row) => toCareSessionView(row as SessionDetail)),
    total[0]?.n ?? 0,
    query,
  );
}
