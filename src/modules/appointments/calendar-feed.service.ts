import { and, asc, eq, gte, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import { appointments, calendarFeeds, doctorServices, users } from '../../db/schema';
import { sha256Hex } from '../../lib/crypto';
import { notFound } from '../../lib/errors';
import { DAY_MS, iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { seenBy } from './appointment-access';
import { changeCountSql } from './appointment-notices';
import { type CalendarEntry, renderCalendar, type Viewer } from './ics';
import type { FeedView } from './records.schemas';

/** The feed covers appointments starting from this many days ago… */
export const FEED_PAST_DAYS = 30;
/** …up to this many days ahead. */
export const FEED_FUTURE_DAYS = 365;
/** Most events one feed carries (the earliest in its window), so a busy practice's feed stays small. */
export const MAX_FEED_EVENTS = 2000;
/** How often calendar apps are asked to poll the feed. */
const FEED_REFRESH_MINUTES = 60;
/** Random bytes in a feed token (base64url, 43 characters). */
const FEED_TOKEN_BYTES = 32;
const FEED_FILE = /^([A-Za-z0-9_-]{43})\.ics$/;

const patientUser = alias(users, 'ics_patient');
const doctorUser = alias(users, 'ics_doctor');

/** Appointment rows with the names their calendar events show, earliest first. */
function calendarQuery(ctx: ServiceContext, where: SQL | undefined, limit: number) {
  return ctx.db
    .select({
      appointmentId: appointments.id,
      patientId: appointments.patientId,
      doctorId: appointments.doctorId,
      status: appointments.status,
      type: appointments.type,
      startsAt: appointments.startsAt,
      endsAt: appointments.endsAt,
      timeZone: appointments.timeZone,
      createdAt: appointments.createdAt,
      updatedAt: appointments.updatedAt,
      sequence: changeCountSql,
      // Aliased: in a batch, same-named columns of joined tables overwrite each other.
      serviceName: sql<string | null>`${doctorServices.name}`.as('service_name'),
      doctorName: sql<string | null>`${doctorUser.name}`.as('doctor_name'),
      patientName: sql<string | null>`${patientUser.name}`.as('patient_name'),
    })
    .from(appointments)
    .leftJoin(patientUser, eq(patientUser.id, appointments.patientId))
    .leftJoin(doctorUser, eq(doctorUser.id, appointments.doctorId))
    .leftJoin(doctorServices, eq(doctorServices.id, appointments.serviceId))
    .where(where)
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(limit);
}

type CalendarRow = Awaited<ReturnType<typeof calendarQuery>>[number];

const toEntry = ({ patientId: _p, doctorId: _d, ...row }: CalendarRow, viewer: Viewer): CalendarEntry => ({
  ...row,
  sequence: Number(row.sequence),
  viewer,
});

/**
 * One appointment as an iCalendar file, for its patient, its doctor or staff (one query).
 * @throws AppError NOT_FOUND
 */
export async function appointmentIcs(ctx: ServiceContext, appointmentId: string) {
  const [found] = await calendarQuery(ctx, eq(appointments.id, appointmentId), 1);
  const { row, relation } = seenBy(ctx, found);
  return {
    fileName: `appointment-${row.appointmentId}.ics`,
    body: renderCalendar({ entries: [toEntry(row, relation)], now: ctx.clock.now() }),
  };
}

/**
 * Creates the caller's private calendar feed, or rotates it: a new random token replaces the old one,
 * whose URL stops working at once. Only the token's SHA-256 is stored, so the URL is shown this once.
 */
export async function createFeed(ctx: AuthedContext, origin: string) {
  const userId = ctx.actor.id;
  const token = ctx.ids.token(FEED_TOKEN_BYTES);
  const tokenHash = await sha256Hex(token);
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .insert(calendarFeeds)
      .values({ userId, tokenHash, createdAt: now, lastUsedAt: null })
      .onConflictDoUpdate({ target: calendarFeeds.userId, set: { tokenHash, createdAt: now, lastUsedAt: null } }),
    auditInsert(ctx, { action: 'calendar.feed.create', resourceType: 'calendar_feed', resourceId: userId }),
  ]);
  return { url: `${origin}/api/v1/calendar/feed/${token}.ics`, createdAt: new Date(now).toISOString() };
}

/** Whether the caller has a feed, and when it was made and last fetched (never the token). */
export async function getFeed(ctx: AuthedContext): Promise<FeedView> {
  const row = await ctx.db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, ctx.actor.id)).get();
  return { active: Boolean(row), createdAt: iso(row?.createdAt ?? null), lastUsedAt: iso(row?.lastUsedAt ?? null) };
}

/** Deletes the caller's feed: its URL answers 404 from now on. Revoking no feed is a no-op. */
export async function revokeFeed(ctx: AuthedContext): Promise<FeedView> {
  const userId = ctx.actor.id;
  await ctx.db.batch([
    ctx.db.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId)),
    auditInsert(ctx, { action: 'calendar.feed.revoke', resourceType: 'calendar_feed', resourceId: userId }),
  ]);
  return { active: false, createdAt: null, lastUsedAt: null };
}

/**
 * The calendar behind a feed URL (`<token>.ics`, no sign-in): the owner's appointments as patient and
 * as doctor, from FEED_PAST_DAYS ago to FEED_FUTURE_DAYS ahead, cancelled ones marked CANCELLED and
 * rejected requests left out. An unknown or revoked token, or an account that is not active, is
 * NOT_FOUND. Records when the feed was fetched. One round trip: the owner, the fetch time and the
 * appointments go in one batch, the latter two finding the owner by the same subquery.
 * @throws AppError NOT_FOUND
 */
export async function feedCalendar(ctx: ServiceContext, file: string): Promise<string> {
  const token = FEED_FILE.exec(file)?.[1];
  if (!token) throw notFound('Calendar feed');
  const owner = ctx.db
    .select({ userId: calendarFeeds.userId })
    .from(calendarFeeds)
    .innerJoin(users, eq(users.id, calendarFeeds.userId))
    .where(and(eq(calendarFeeds.tokenHash, await sha256Hex(token)), eq(users.status, 'active')));
  const now = ctx.clock.now();
  const window = and(
    or(eq(appointments.patientId, owner), eq(appointments.doctorId, owner)),
    ne(appointments.status, 'rejected'),
    gte(appointments.startsAt, now.getTime() - FEED_PAST_DAYS * DAY_MS),
    lte(appointments.startsAt, now.getTime() + FEED_FUTURE_DAYS * DAY_MS),
  );
  const [owners, , rows] = await ctx.db.batch([
    owner,
    ctx.db.update(calendarFeeds).set({ lastUsedAt: now.getTime() }).where(eq(calendarFeeds.userId, owner)),
    calendarQuery(ctx, window, MAX_FEED_EVENTS),
  ]);
  const ownerId = owners[0]?.userId;
  if (!ownerId) throw notFound('Calendar feed');
  const entries = rows.map((row) => toEntry(row, row.patientId === ownerId ? 'patient' : 'doctor'));
  return renderCalendar({
    entries,
    now,
    name: `${ctx.env.APP_NAME ?? 'Kinwell'} appointments`,
    refreshMinutes: FEED_REFRESH_MINUTES,
  });
}
