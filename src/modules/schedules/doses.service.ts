import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import type { Db } from '../../db/client';
import { type DoseRow, doses, type ScheduleRow, schedules, supplements, userProfiles } from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { addDays, daysBetween, localDateAt, type Occurrence, occurrences, zonedInstant } from './recurrence';
import type {
  AdherenceSummary,
  DoseHistoryQueryInput,
  DoseView,
  ListDosesQueryInput,
  SkipDoseInput,
  TakeDoseInput,
} from './schedules.schemas';

/**
 * Doses: the concrete occurrences a schedule produces, materialised as rows so they can be marked.
 *
 * Generation rules:
 * - Doses are only ever generated for the present and future: an occurrence due before "now" (the
 *   moment a schedule is created, edited or resumed, or a list is read) is never back-filled. This is
 *   what keeps history honest: editing times or resuming after a pause never invents past doses.
 * - Schedule create/update/resume generate [max(startDate, today), min(endDate, today + 30 days)] in the
 *   schedule's zone (GENERATION_HORIZON_DAYS); GET /doses generates the range it reads, up to
 *   MAX_GENERATION_AHEAD_DAYS ahead. Paused schedules generate nothing.
 * - Generation is idempotent: rows are unique on (scheduleId, localDate, localTime) and inserted with
 *   ON CONFLICT DO NOTHING, so a marked dose is never replaced.
 *
 * Status rules: pending → taken | skipped; missed → taken (late report); a pending dose not marked
 * within DOSE_GRACE_MS of its time becomes missed (`markMissedDoses`, run by the cron job and before
 * every dose read of the owner).
 */

/** How long after its time a pending dose may still be marked before it counts as missed. */
export const DOSE_GRACE_MS = 2 * 3600_000;
/** How far ahead schedule create/update/resume generate doses (today + this many days, inclusive). */
export const GENERATION_HORIZON_DAYS = 30;
/** How far ahead of today a dose read may generate doses. */
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
  `Doses are generated for today … today + ${GENERATION_HORIZON_DAYS} days (in the schedule's time zone), only from now on: past occurrences are never back-filled.`,
  'Times are wall-clock times in `timeZone` and stay so across daylight-saving changes (the UTC instant moves).',
  'A time that does not exist on a spring-forward day (02:30 in America/New_York on 2026-03-08) is due the gap’s length later (03:30 EDT); a time that occurs twice on a fall-back day (01:30 on 2026-11-01) is due once, at its first occurrence (01:30 EDT).',
  `A pending dose not marked within ${DOSE_GRACE_MS / 3600_000} hours of its time becomes missed.`,
].join(' ');

/** D1 binds at most 100 parameters per statement; a dose row binds at most 10 (one per column). */
const D1_MAX_PARAMS = 100;
const PARAMS_PER_DOSE_ROW = 10;
export const DOSE_ROWS_PER_INSERT = Math.floor(D1_MAX_PARAMS / PARAMS_PER_DOSE_ROW);

type Statements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

/** Runs statements as one D1 batch (one transaction). */
export function runBatch(db: Db, statements: BatchItem<'sqlite'>[]) {
  return db.batch(statements as Statements);
}

function ownerOf(ctx: ServiceContext): string {
  if (!ctx.actor) throw notFound('Dose');
  return ctx.actor.id;
}

const validation = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

// ---- generation -----------------------------------------------------------------------------------

/** A schedule's occurrences on local dates `from`…`to` that are due at or after `now`. */
export function upcomingOccurrences(schedule: ScheduleRow, from: string, to: string, now: number): Occurrence[] {
  const today = localDateAt(now, schedule.timeZone);
  const first = from > today ? from : today;
  const lastAllowed = addDays(today, MAX_GENERATION_AHEAD_DAYS);
  const last = to < lastAllowed ? to : lastAllowed;
  if (first > last) return [];
  return occurrences(schedule, first, last).filter((o) => o.scheduledAt >= now);
}

/** The occurrences schedule create/update/resume generate: today … today + GENERATION_HORIZON_DAYS. */
export function horizonOccurrences(schedule: ScheduleRow, now: number): Occurrence[] {
  const today = localDateAt(now, schedule.timeZone);
  return upcomingOccurrences(schedule, today, addDays(today, GENERATION_HORIZON_DAYS), now);
}

/**
 * Inserts of pending doses for `list`, chunked under D1's bound-parameter limit, each ON CONFLICT DO
 * NOTHING on the occurrence, returning the ids actually inserted.
 */
export function doseInserts(ctx: ServiceContext, schedule: ScheduleRow, list: Occurrence[], now: number) {
  const rows: DoseRow[] = list.map((o) => ({
    id: ctx.ids.id('dos'),
    scheduleId: schedule.id,
    ownerId: schedule.ownerId,
    localDate: o.localDate,
    localTime: o.localTime,
    scheduledAt: o.scheduledAt,
    status: 'pending',
    takenAt: null,
    note: null,
    updatedAt: now,
  }));
  const statements = [];
  for (let i = 0; i < rows.length; i += DOSE_ROWS_PER_INSERT) {
    statements.push(
      ctx.db
        .insert(doses)
        .values(rows.slice(i, i + DOSE_ROWS_PER_INSERT))
        .onConflictDoNothing({ target: [doses.scheduleId, doses.localDate, doses.localTime] })
        .returning({ id: doses.id }),
    );
  }
  return statements;
}

/**
 * Keeps every active schedule's doses generated a full horizon ahead, also for users who never open the
 * app (dose reads and schedule writes top up only their own range): once a day per schedule, today …
 * today + GENERATION_HORIZON_DAYS in its zone is generated (idempotent) and `dosesThrough` moves on.
 * A schedule is due when that date falls before today + GENERATION_HORIZON_DAYS - 1 by the UTC date,
 * which covers every zone's "today". Oldest first, at most HORIZON_BATCH a run. For the cron.
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
    const through = addDays(localDateAt(now, schedule.timeZone), GENERATION_HORIZON_DAYS);
    const results = await runBatch(ctx.db, [
      ctx.db.update(schedules).set({ dosesThrough: through }).where(eq(schedules.id, schedule.id)),
      ...doseInserts(ctx, schedule, horizonOccurrences(schedule, now), now),
    ]);
    for (const inserted of results.slice(1)) created += (inserted as unknown[]).length;
  }
  return created;
}

/** Deletes a schedule's pending doses due after `now` (past and marked doses stay). */
export function deleteFuturePending(ctx: ServiceContext, schedule: Pick<ScheduleRow, 'id' | 'ownerId'>, now: number) {
  return ctx.db
    .delete(doses)
    .where(
      and(
        eq(doses.scheduleId, schedule.id),
        eq(doses.ownerId, schedule.ownerId),
        eq(doses.status, 'pending'),
        gt(doses.scheduledAt, now),
      ),
    );
}

const keyOf = (scheduleId: string, localDate: string, localTime: string) => `${scheduleId}|${localDate}|${localTime}`;

/** Local dates `from`…`to` of a schedule's zone, per schedule. */
type RangeOf = (schedule: ScheduleRow) => [from: string, to: string];

async function generate(ctx: ServiceContext, ownerId: string, rangeOf: RangeOf): Promise<number> {
  const now = ctx.clock.now().getTime();
  const active = await ctx.db
    .select()
    .from(schedules)
    .where(and(eq(schedules.ownerId, ownerId), eq(schedules.status, 'active')));
  const planned = active
    .map((schedule) => ({ schedule, list: upcomingOccurrences(schedule, ...rangeOf(schedule), now) }))
    .filter((p) => p.list.length > 0);
  if (!planned.length) return 0;

  // Read which occurrences exist already, so a steady-state read writes nothing.
  const dates = planned.flatMap((p) => p.list.map((o) => o.localDate)).sort();
  const existing = await ctx.db
    .select({ scheduleId: doses.scheduleId, localDate: doses.localDate, localTime: doses.localTime })
    .from(doses)
    .where(
      and(
        sql`${doses.scheduleId} in (select value from json_each(${JSON.stringify(planned.map((p) => p.schedule.id))}))`,
        gte(doses.localDate, dates[0]!),
        lte(doses.localDate, dates[dates.length - 1]!),
      ),
    );
  const have = new Set(existing.map((d) => keyOf(d.scheduleId, d.localDate, d.localTime)));
  const statements = planned.flatMap(({ schedule, list }) =>
    doseInserts(
      ctx,
      schedule,
      list.filter((o) => !have.has(keyOf(schedule.id, o.localDate, o.localTime))),
      now,
    ),
  );
  if (!statements.length) return 0;
  const results = await runBatch(ctx.db, statements);
  return (results as { id: string }[][]).reduce((n, inserted) => n + inserted.length, 0);
}

/**
 * Makes sure the owner's active schedules have their doses on local dates `fromLocalDate`…`toLocalDate`
 * (each read in its schedule's zone), from now on. Idempotent; returns how many doses it created.
 * Past occurrences are never generated, nor any beyond MAX_GENERATION_AHEAD_DAYS.
 */
export function ensureDoses(
  ctx: ServiceContext,
  ownerId: string,
  fromLocalDate: string,
  toLocalDate: string,
): Promise<number> {
  return generate(ctx, ownerId, () => [fromLocalDate, toLocalDate]);
}

/** `ensureDoses` for the doses due in [start, end) (UTC ms), whatever zone each schedule is in. */
function ensureDosesDueBetween(ctx: ServiceContext, ownerId: string, start: number, end: number): Promise<number> {
  return generate(ctx, ownerId, (s) => [localDateAt(start, s.timeZone), localDateAt(end - 1, s.timeZone)]);
}

// ---- missed doses ---------------------------------------------------------------------------------

/**
 * Turns pending doses whose time + DOSE_GRACE_MS has passed into `missed`: at most MISSED_BATCH of them,
 * oldest first. It reads the ids (one indexed SELECT), then runs one UPDATE (still guarded on `pending`,
 * so a dose marked meanwhile is left alone) in the same D1 batch as one audit event per owner (dose ids
 * only). The cron job calls it with no owner, as often as it likes; dose reads call it for their owner.
 * Returns how many doses it marked.
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

/** The same unit of work acting as the system: the missed sweep is no one's action. */
const asSystem = (ctx: ServiceContext): ServiceContext => ({ ...ctx, actor: null });

// ---- reading --------------------------------------------------------------------------------------

/** The owner's profile time zone (no row, or null, when unset), as a statement for a read batch. */
export function profileTimeZoneQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({ timeZone: userProfiles.timeZone })
    .from(userProfiles)
    .where(eq(userProfiles.userId, userId))
    .limit(1);
}

/** The owner's profile time zone, if set. */
export async function profileTimeZone(ctx: ServiceContext, userId: string): Promise<string | null> {
  const [row] = await profileTimeZoneQuery(ctx, userId);
  return row?.timeZone ?? null;
}

// Joined columns get their own aliases: D1 batches return rows keyed by column name, so the schedule's
// `status` would otherwise overwrite the dose's.
const doseColumns = {
  dose: doses,
  scheduleKind: sql<ScheduleRow['kind'] | null>`${schedules.kind}`.as('schedule_kind'),
  medicineName: sql<string | null>`${schedules.medicineName}`.as('schedule_medicine_name'),
  dosage: sql<string | null>`${schedules.dosage}`.as('schedule_dosage'),
  quantityPerDose: sql<number | null>`${schedules.quantityPerDose}`.as('schedule_quantity_per_dose'),
  timeZone: sql<string | null>`${schedules.timeZone}`.as('schedule_time_zone'),
  scheduleStatus: sql<ScheduleRow['status'] | null>`${schedules.status}`.as('schedule_status'),
  supplementName: sql<string | null>`${supplements.name}`.as('supplement_name'),
};

type DoseJoinRow = {
  dose: DoseRow;
  scheduleKind: ScheduleRow['kind'] | null;
  medicineName: string | null;
  dosage: string | null;
  quantityPerDose: number | null;
  timeZone: string | null;
  scheduleStatus: ScheduleRow['status'] | null;
  supplementName: string | null;
};

/** Name shown for a supplement schedule whose catalog item has been removed. */
export const REMOVED_SUPPLEMENT_NAME = 'Removed supplement';

export function toDoseView(row: DoseJoinRow): DoseView {
  const d = row.dose;
  return {
    id: d.id,
    scheduleId: d.scheduleId,
    localDate: d.localDate,
    localTime: d.localTime,
    scheduledAt: new Date(d.scheduledAt).toISOString(),
    status: d.status,
    takenAt: d.takenAt === null ? null : new Date(d.takenAt).toISOString(),
    note: d.note,
    schedule:
      row.scheduleKind === null
        ? null
        : {
            name:
              row.scheduleKind === 'medicine'
                ? (row.medicineName ?? '')
                : (row.supplementName ?? REMOVED_SUPPLEMENT_NAME),
            kind: row.scheduleKind,
            quantityPerDose: row.quantityPerDose ?? 1,
            dosage: row.dosage,
            timeZone: row.timeZone ?? 'UTC',
            status: row.scheduleStatus ?? 'active',
          },
  };
}

function joinedDoses(ctx: ServiceContext) {
  return ctx.db
    .select(doseColumns)
    .from(doses)
    .leftJoin(schedules, and(eq(schedules.id, doses.scheduleId), eq(schedules.ownerId, doses.ownerId)))
    .leftJoin(supplements, eq(supplements.id, schedules.supplementId))
    .$dynamic();
}

async function dosePage(ctx: ServiceContext, where: SQL, order: SQL[], query: { page: number; limit: number }) {
  const [rows, [total]] = await ctx.db.batch([
    joinedDoses(ctx)
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(doses).where(where),
  ]);
  return page(rows.map(toDoseView), total?.n ?? 0, query);
}

async function zoneFor(ctx: ServiceContext, ownerId: string, tz: string | undefined): Promise<string> {
  return tz ?? (await profileTimeZone(ctx, ownerId)) ?? 'UTC';
}

function checkRange(from: string, to: string, maxDays: number): void {
  if (to < from) throw validation('to', 'Must not be before from');
  if (daysBetween(from, to) + 1 > maxDays) throw validation('to', `The range may span at most ${maxDays} days`);
}

/** [start of `from`, start of the day after `to`) in `zone`, as UTC ms. */
function instantRange(from: string, to: string, zone: string): [number, number] {
  return [zonedInstant(from, '00:00', zone), zonedInstant(addDays(to, 1), '00:00', zone)];
}

/**
 * The caller's doses due on local dates `date` (default today) or `from`…`to` (at most MAX_LIST_DAYS),
 * read in `tz` (default: the profile zone, else UTC), by due time. Generates the range's future doses
 * first and marks overdue ones missed.
 * @throws AppError VALIDATION_FAILED (date with from/to, only one of from/to, reversed or too long range)
 */
export async function listDoses(ctx: ServiceContext, query: ListDosesQueryInput) {
  const ownerId = ownerOf(ctx);
  const zone = await zoneFor(ctx, ownerId, query.tz);
  if (query.date && (query.from || query.to)) throw validation('date', 'Give either date, or from and to');
  if (Boolean(query.from) !== Boolean(query.to)) {
    throw validation(query.from ? 'to' : 'from', 'Give both from and to');
  }
  const from = query.from ?? query.date ?? localDateAt(ctx.clock.now(), zone);
  const to = query.to ?? from;
  checkRange(from, to, MAX_LIST_DAYS);

  const [start, end] = instantRange(from, to, zone);
  await ensureDosesDueBetween(ctx, ownerId, start, end);
  await markMissedDoses(asSystem(ctx), { ownerId });
  const where = and(eq(doses.ownerId, ownerId), gte(doses.scheduledAt, start), lt(doses.scheduledAt, end))!;
  const order = [asc(doses.scheduledAt), asc(doses.localDate), asc(doses.localTime), asc(doses.id)];
  const result = await dosePage(ctx, where, order, query);
  return { ...result, range: { from, to, timeZone: zone } };
}

/**
 * How far from now a dose due on today's local date may be, in any zone: a local day lasts at most 25
 * hours and contains now.
 */
const TODAY_REACH_MS = 26 * 3600_000;

/**
 * The owner's doses that may fall on today's local date in whatever zone (due within TODAY_REACH_MS of
 * now), with their schedules, by due time: a statement for a caller's read batch, read beside the
 * owner's zone (`profileTimeZoneQuery`); `todaysDoses` keeps today's. Reads only: it generates nothing
 * and marks nothing missed.
 */
export function dosesAroundNowQuery(ctx: ServiceContext, ownerId: string) {
  const now = ctx.clock.now().getTime();
  return joinedDoses(ctx)
    .where(
      and(
        eq(doses.ownerId, ownerId),
        gte(doses.scheduledAt, now - TODAY_REACH_MS),
        lt(doses.scheduledAt, now + TODAY_REACH_MS),
      ),
    )
    .orderBy(asc(doses.scheduledAt), asc(doses.localDate), asc(doses.localTime), asc(doses.id));
}

/**
 * Today's doses in `zone` (the owner's profile zone, else UTC) among the rows `dosesAroundNowQuery`
 * read, by due time, as GET /doses shows them: a pending dose past its grace period shows as missed,
 * which the missed sweep (cron) will store.
 */
export function todaysDoses(ctx: ServiceContext, rows: DoseJoinRow[], zone: string | null | undefined) {
  const timeZone = zone ?? 'UTC';
  const now = ctx.clock.now().getTime();
  const date = localDateAt(now, timeZone);
  const [start, end] = instantRange(date, date, timeZone);
  const items = rows
    .filter((row) => row.dose.scheduledAt >= start && row.dose.scheduledAt < end)
    .map((row) => {
      const overdue = row.dose.status === 'pending' && row.dose.scheduledAt < now - DOSE_GRACE_MS;
      return toDoseView(overdue ? { ...row, dose: { ...row.dose, status: 'missed' } } : row);
    });
  return { date, timeZone, items };
}

/** Adherence: taken ÷ (taken + missed + skipped) × 100, one decimal; null when nothing was due. */
export function adherenceOf(counts: Omit<AdherenceSummary, 'adherencePercent'>): AdherenceSummary {
  const due = counts.taken + counts.missed + counts.skipped;
  return { ...counts, adherencePercent: due === 0 ? null : Math.round((counts.taken / due) * 1000) / 10 };
}

/**
 * The caller's doses due on local dates `from`…`to` (default the 30 days up to today; at most
 * MAX_HISTORY_DAYS) and up to now, newest first, with an adherence summary over the whole range.
 * Doses of deleted schedules are included.
 * @throws AppError VALIDATION_FAILED (reversed or too long range)
 */
export async function doseHistory(ctx: ServiceContext, query: DoseHistoryQueryInput) {
  const ownerId = ownerOf(ctx);
  const zone = await zoneFor(ctx, ownerId, query.tz);
  const now = ctx.clock.now().getTime();
  const to = query.to ?? localDateAt(now, zone);
  const from = query.from ?? addDays(to, -29);
  checkRange(from, to, MAX_HISTORY_DAYS);

  await markMissedDoses(asSystem(ctx), { ownerId });
  const [start, end] = instantRange(from, to, zone);
  const where = and(
    eq(doses.ownerId, ownerId),
    gte(doses.scheduledAt, start),
    lt(doses.scheduledAt, Math.min(end, now + 1)),
  )!;
  const [result, byStatus] = await Promise.all([
    dosePage(
      ctx,
      where,
      [desc(doses.scheduledAt), desc(doses.localDate), desc(doses.localTime), desc(doses.id)],
      query,
    ),
    ctx.db.select({ status: doses.status, n: count() }).from(doses).where(where).groupBy(doses.status),
  ]);
  const counts = { taken: 0, missed: 0, skipped: 0, pending: 0 };
  for (const { status, n } of byStatus) counts[status] = n;
  return { ...result, range: { from, to, timeZone: zone }, summary: adherenceOf(counts) };
}

// ---- marking --------------------------------------------------------------------------------------

async function ownedDose(ctx: ServiceContext, id: string) {
  const row = await joinedDoses(ctx)
    .where(and(eq(doses.id, id), eq(doses.ownerId, ownerOf(ctx))))
    .get();
  if (!row) throw notFound('Dose');
  return row;
}

async function setDoseStatus(
  ctx: ServiceContext,
  current: DoseJoinRow,
  from: DoseRow['status'][],
  changes: Pick<DoseRow, 'status'> & Partial<Pick<DoseRow, 'takenAt' | 'note'>>,
): Promise<DoseView> {
  const dose = current.dose;
  const now = ctx.clock.now().getTime();
  const [[updated]] = await runBatch(ctx.db, [
    ctx.db
      .update(doses)
      .set({ ...changes, updatedAt: now })
      .where(and(eq(doses.id, dose.id), eq(doses.ownerId, dose.ownerId), inArray(doses.status, from)))
      .returning(),
    auditInsert(ctx, {
      action: changes.status === 'taken' ? 'dose.take' : 'dose.skip',
      resourceType: 'dose',
      resourceId: dose.id,
      patientId: dose.ownerId,
      metadata: { scheduleId: dose.scheduleId, from: dose.status, to: changes.status },
    }),
  ]);
  if (!updated) throw new AppError('INVALID_TRANSITION', 'This dose changed meanwhile; read it again');
  return toDoseView({ ...current, dose: updated as DoseRow });
}

/**
 * Marks one of the caller's doses taken at `takenAt` (default now). Pending and missed doses can be
 * taken, also of a paused or deleted schedule.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (takenAt in the future or over 24 h before the dose is
 *   due), INVALID_TRANSITION (already taken, or skipped)
 */
export async function takeDose(ctx: ServiceContext, id: string, input: TakeDoseInput): Promise<DoseView> {
  const current = await ownedDose(ctx, id);
  const now = ctx.clock.now().getTime();
  const takenAt = input.takenAt ? Date.parse(input.takenAt) : now;
  if (takenAt > now) throw validation('takenAt', 'Must not be in the future');
  if (takenAt < current.dose.scheduledAt - MARK_AHEAD_MS) {
    throw validation('takenAt', 'Must not be more than 24 hours before the dose is due');
  }
  if (current.dose.status !== 'pending' && current.dose.status !== 'missed') {
    throw new AppError('INVALID_TRANSITION', `A ${current.dose.status} dose cannot be marked taken`);
  }
  return setDoseStatus(ctx, current, ['pending', 'missed'], {
    status: 'taken',
    takenAt,
    ...(input.note !== undefined ? { note: input.note } : {}),
  });
}

/**
 * Marks one of the caller's pending doses skipped (from 24 h before it is due).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not pending, or due more than 24 h from now)
 */
export async function skipDose(ctx: ServiceContext, id: string, input: SkipDoseInput): Promise<DoseView> {
  const current = await ownedDose(ctx, id);
  if (current.dose.status !== 'pending') {
    throw new AppError('INVALID_TRANSITION', `A ${current.dose.status} dose cannot be skipped`);
  }
  if (current.dose.scheduledAt - MARK_AHEAD_MS > ctx.clock.now().getTime()) {
    throw new AppError('INVALID_TRANSITION', 'A dose can be skipped from 24 hours before it is due');
  }
  return setDoseStatus(ctx, current, ['pending'], {
    status: 'skipped',
    ...(input.note !== undefined ? { note: input.note } : {}),
  });
}
