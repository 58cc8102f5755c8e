import { and, asc, eq, gt, gte, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { runBatch, type Statements } from '../../db/batch';
import { type DoseRow, doses, type ScheduleRow, schedules, userProfiles } from '../../db/schema';
import { derivedId, idTime } from '../../lib/ids';
import { addDays, localDateAt } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { cancelFutureDoseReminders, scheduleDoseReminders } from './dose-reminders';
import { type Occurrence, occurrences } from './recurrence';

/**
 * Doses: the concrete occurrences a schedule produces, stored as rows so they can be marked.
 *
 * Storage rules (the only writers are schedule writes, the cron and marking):
 * - Doses are only ever stored for the present and future: an occurrence due before "now" (the moment
 *   a schedule is created, edited or resumed, or the cron runs) is never back-filled. This is what
 *   keeps history honest: editing times or resuming after a pause never invents past doses.
 * - Schedule create/update/resume store [max(startDate, today), min(endDate, today + 30 days)] in the
 *   schedule's zone (GENERATION_HORIZON_DAYS) and record the last date in `dosesThrough`; the cron
 *   (`extendDoseHorizons`) moves that horizon on daily. Paused schedules store nothing.
 * - Storing is idempotent: rows are unique on (scheduleId, localDate, localTime) and inserted with
 *   ON CONFLICT DO NOTHING, so a marked dose is never replaced.
 * - A dose's id is derived from its occurrence (`doseIdOf`), so an occurrence beyond the stored horizon
 *   can be listed before it is stored (`unstoredOccurrences`) under the id it will be stored with.
 *
 * Reads never write: GET /doses and /doses/history compute what is not stored yet (see
 * dose-reads.service.ts); marking stores a not-yet-stored dose first (dose-marks.service.ts).
 *
 * Status rules: pending → taken | skipped; missed → taken (late report); a pending dose not marked
 * within DOSE_GRACE_MS of its time is missed. Every read shows it missed at once (`shownStatus`); the
 * cron stores the change (`markMissedDoses`, every minute), and from then on it cannot be skipped.
 */

/** How long after its time a pending dose may still be marked before it counts as missed. */
export const DOSE_GRACE_MS = 2 * 3600_000;
/** How far ahead schedule create/update/resume and the cron store doses (today + this many days, inclusive). */
export const GENERATION_HORIZON_DAYS = 30;
/** How far ahead of today a dose read lists doses (beyond the stored horizon they are computed). */
export const MAX_GENERATION_AHEAD_DAYS = 366;
/** Longest range of GET /doses, in local days. */
export const MAX_LIST_DAYS = 92;
/** Longest range of GET /doses/history, in local days. */
export const MAX_HISTORY_DAYS = 366;
/** A dose may be marked (taken or skipped) from this long before it is due. */
export const MARK_AHEAD_MS = 24 * 3600_000;
/** Most doses one `markMissedDoses` call turns to missed. */
export const MISSED_BATCH = 500;
/** Most schedules one `extendDoseHorizons` call tops up (the cron runs every minute). */
export const HORIZON_BATCH = 50;

/** The DST and generation rules in words, for the routes' descriptions. */
export const DOSE_TIMING_RULES = [
  `Doses are stored for today … today + ${GENERATION_HORIZON_DAYS} days (in the schedule's time zone), only from now on: past occurrences are never back-filled.`,
  'Times are wall-clock times in `timeZone` and stay so across daylight-saving changes (the UTC instant moves).',
  'A time that does not exist on a spring-forward day (02:30 in America/New_York on 2026-03-08) is due the gap’s length later (03:30 EDT); a time that occurs twice on a fall-back day (01:30 on 2026-11-01) is due once, at its first occurrence (01:30 EDT).',
  `A pending dose not marked within ${DOSE_GRACE_MS / 3600_000} hours of its time becomes missed.`,
].join(' ');

/** D1 binds at most 100 parameters per statement; a dose row binds at most 10 (one per column). */
const D1_MAX_PARAMS = 100;
const PARAMS_PER_DOSE_ROW = 10;
export const DOSE_ROWS_PER_INSERT = Math.floor(D1_MAX_PARAMS / PARAMS_PER_DOSE_ROW);

// ---- status ---------------------------------------------------------------------------------------

/**
 * The status a user sees: a pending dose whose time + DOSE_GRACE_MS has passed is missed, whether or not
 * the cron has stored that yet (it stores it within a minute or so). Every read, filter and count uses
 * this; marking checks transitions against the stored status, as it always has.
 */
export function shownStatus(dose: Pick<DoseRow, 'status' | 'scheduledAt'>, now: number): DoseRow['status'] {
  return dose.status === 'pending' && dose.scheduledAt < now - DOSE_GRACE_MS ? 'missed' : dose.status;
}

// ---- generation -----------------------------------------------------------------------------------

/**
 * The id of a schedule's dose at an occurrence: the same whether the dose is computed for a list or
 * stored, so an id a client saw before the dose was stored stays valid. A dose whose instant moves (the
 * schedule's zone changed) is another dose with another id.
 */
export function doseIdOf(scheduleId: string, occurrence: Occurrence): string {
  return derivedId('dos', occurrence.scheduledAt, `${scheduleId}|${occurrence.localDate}|${occurrence.localTime}`);
}

/** A schedule's occurrences on local dates `from`…`to` that are due at or after `now`. */
export function upcomingOccurrences(schedule: ScheduleRow, from: string, to: string, now: number): Occurrence[] {
  const today = localDateAt(now, schedule.timeZone);
  const first = from > today ? from : today;
  const lastAllowed = addDays(today, MAX_GENERATION_AHEAD_DAYS);
  const last = to < lastAllowed ? to : lastAllowed;
  if (first > last) return [];
  return occurrences(schedule, first, last).filter((o) => o.scheduledAt >= now);
}

/** The occurrences schedule create/update/resume store: today … today + GENERATION_HORIZON_DAYS. */
export function horizonOccurrences(schedule: ScheduleRow, now: number): Occurrence[] {
  const today = localDateAt(now, schedule.timeZone);
  return upcomingOccurrences(schedule, today, addDays(today, GENERATION_HORIZON_DAYS), now);
}

/** The `dosesThrough` of a schedule whose horizon is stored at `now`: today + GENERATION_HORIZON_DAYS in its zone. */
export function horizonEnd(schedule: Pick<ScheduleRow, 'timeZone'>, now: number): string {
  return addDays(localDateAt(now, schedule.timeZone), GENERATION_HORIZON_DAYS);
}

/**
 * The occurrences of an active schedule on local dates `from`…`to` that are not stored yet and would be
 * stored when its horizon reaches them: beyond `dosesThrough`, due from `now` on, at most
 * MAX_GENERATION_AHEAD_DAYS ahead. Reads list them as pending doses under `doseIdOf`. Paused schedules
 * have none.
 */
export function unstoredOccurrences(schedule: ScheduleRow, from: string, to: string, now: number): Occurrence[] {
  if (schedule.status !== 'active') return [];
  const beyond = schedule.dosesThrough ? addDays(schedule.dosesThrough, 1) : from;
  return upcomingOccurrences(schedule, from > beyond ? from : beyond, to, now);
}

/**
 * The not-yet-stored occurrence of an active schedule whose dose id is `id` (see `doseIdOf`), if any: on
 * a date beyond `dosesThrough`. The id carries the due instant, so only the dates around it are computed.
 * Marking a dose a read listed beyond the horizon finds it here and stores it.
 */
export function unstoredOccurrenceById(schedule: ScheduleRow, id: string): Occurrence | null {
  const at = idTime(id);
  if (schedule.status !== 'active' || at === null) return null;
  const date = localDateAt(at, schedule.timeZone);
  const beyond = schedule.dosesThrough ? addDays(schedule.dosesThrough, 1) : schedule.startDate;
  const first = addDays(date, -1);
  // A day either side: the occurrence's label date and its instant's local date may differ.
  const list = occurrences(schedule, first > beyond ? first : beyond, addDays(date, 1));
  return list.find((o) => o.scheduledAt === at && doseIdOf(schedule.id, o) === id) ?? null;
}

/** The row of a pending dose at an occurrence, as it is stored. */
export function pendingDose(schedule: ScheduleRow, occurrence: Occurrence, now: number): DoseRow {
  return {
    id: doseIdOf(schedule.id, occurrence),
    scheduleId: schedule.id,
    ownerId: schedule.ownerId,
    localDate: occurrence.localDate,
    localTime: occurrence.localTime,
    scheduledAt: occurrence.scheduledAt,
    status: 'pending',
    takenAt: null,
    note: null,
    updatedAt: now,
  };
}

/**
 * Inserts of pending doses for `list`, chunked under D1's bound-parameter limit, each ON CONFLICT DO
 * NOTHING (on the occurrence, or on the id derived from it), returning the ids actually inserted.
 */
export function doseInserts(ctx: ServiceContext, schedule: ScheduleRow, list: Occurrence[], now: number) {
  const rows = list.map((o) => pendingDose(schedule, o, now));
  const statements = [];
  for (let i = 0; i < rows.length; i += DOSE_ROWS_PER_INSERT) {
    statements.push(
      ctx.db
        .insert(doses)
        .values(rows.slice(i, i + DOSE_ROWS_PER_INSERT))
        .onConflictDoNothing()
        .returning({ id: doses.id }),
    );
  }
  return statements;
}

/**
 * Keeps every active schedule's doses stored a full horizon ahead, also for users who never open the
 * app (reads store nothing): once a day per schedule, today … today + GENERATION_HORIZON_DAYS in its
 * zone is stored (idempotent) and `dosesThrough` moves on. A schedule is due when that date falls before
 * today + GENERATION_HORIZON_DAYS - 1 by the UTC date, which covers every zone's "today". Oldest first,
 * at most HORIZON_BATCH a run. For the cron.
 * @returns how many doses were created
 */
export async function extendDoseHorizons(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const utcToday = new Date(now).toISOString().slice(0, 10);
  const due = addDays(utcToday, GENERATION_HORIZON_DAYS - 1);
  const rows = await ctx.db
    .select()
    .from(schedules)
    .where(
      and(
        eq(schedules.status, 'active'),
        or(isNull(schedules.dosesThrough), lt(schedules.dosesThrough, due)),
        or(isNull(schedules.endDate), gte(schedules.endDate, addDays(utcToday, -1))),
      ),
    )
    .orderBy(asc(schedules.dosesThrough), asc(schedules.id))
    .limit(HORIZON_BATCH)
    .all();
  let created = 0;
  for (const schedule of rows) {
    const inserts = doseInserts(ctx, schedule, horizonOccurrences(schedule, now), now);
    const results = await runBatch(ctx.db, [
      ctx.db
        .update(schedules)
        .set({ dosesThrough: horizonEnd(schedule, now) })
        .where(eq(schedules.id, schedule.id)),
      ...inserts,
      scheduleDoseReminders(ctx, schedule, now),
    ]);
    for (const inserted of results.slice(1, 1 + inserts.length)) created += (inserted as unknown[]).length;
  }
  return created;
}

/**
 * The statements deleting a schedule's pending doses due after `now` with their pending reminders
 * (past and marked doses stay), for a write batch.
 */
export function deleteFuturePending(
  ctx: ServiceContext,
  schedule: Pick<ScheduleRow, 'id' | 'ownerId'>,
  now: number,
): Statements {
  return [
    // First: it finds the reminders by the doses the next statement deletes.
    cancelFutureDoseReminders(ctx, schedule, now),
    ctx.db
      .delete(doses)
      .where(
        and(
          eq(doses.scheduleId, schedule.id),
          eq(doses.ownerId, schedule.ownerId),
          eq(doses.status, 'pending'),
          gt(doses.scheduledAt, now),
        ),
      ),
  ];
}

// ---- missed doses ---------------------------------------------------------------------------------

/**
 * Stores `missed` on pending doses whose time + DOSE_GRACE_MS has passed (reads already show them so):
 * at most MISSED_BATCH of them, oldest first. It reads the ids (one indexed SELECT), then runs one UPDATE
 * (still guarded on `pending`, so a dose marked meanwhile is left alone) in the same D1 batch as one
 * audit event per owner (dose ids only). The cron job calls it every minute, for every owner; `ownerId`
 * narrows it to one. Returns how many doses it marked.
 */
export async function markMissedDoses(ctx: ServiceContext, options: { ownerId?: string } = {}): Promise<number> {
  const now = ctx.clock.now().getTime();
  const cutoff = now - DOSE_GRACE_MS;
  const filters: SQL[] = [eq(doses.status, 'pending'), lt(doses.scheduledAt, cutoff)];
  if (options.ownerId) filters.push(eq(doses.ownerId, options.ownerId));
  const due = await ctx.db
    .select({ id: doses.id, ownerId: doses.ownerId })
    .from(doses)
    .where(and(...filters))
    .orderBy(asc(doses.scheduledAt))
    .limit(MISSED_BATCH);
  if (!due.length) return 0;

  const byOwner = new Map<string, string[]>();
  for (const dose of due) {
    const ids = byOwner.get(dose.ownerId) ?? [];
    ids.push(dose.id);
    byOwner.set(dose.ownerId, ids);
  }
  const [updated] = await runBatch(ctx.db, [
    ctx.db
      .update(doses)
      .set({ status: 'missed', updatedAt: now })
      .where(
        and(
          sql`${doses.id} in (select value from json_each(${JSON.stringify(due.map((d) => d.id))}))`,
          eq(doses.status, 'pending'),
        ),
      )
      .returning({ id: doses.id }),
    ...[...byOwner].map(([ownerId, doseIds]) =>
      auditInsert(ctx, {
        action: 'dose.missed',
        resourceType: 'dose',
        patientId: ownerId,
        actorId: null,
        metadata: { doseIds, graceMinutes: DOSE_GRACE_MS / 60_000 },
      }),
    ),
  ]);
  return (updated as { id: string }[]).length;
}

// ---- profile --------------------------------------------------------------------------------------

/** The read of a user's profile time zone, to run alone or inside a batch. */
export function profileTimeZoneQuery(ctx: ServiceContext, userId: string | SQL) {
  return ctx.db
    .select({ timeZone: userProfiles.timeZone })
    .from(userProfiles)
    .where(eq(userProfiles.userId, userId))
    .limit(1);
}
