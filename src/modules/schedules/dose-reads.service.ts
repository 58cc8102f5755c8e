import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { type BatchResults, batchOf } from '../../db/batch';
import { type DoseRow, doses, type ScheduleRow, schedules } from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { addDays, DAY_MS, daysBetween, localDateAt, zonedInstant } from '../../lib/time';
import { personOf } from '../dependents/dependents.schemas';
import {
  MAX_HISTORY_DAYS,
  MAX_LIST_DAYS,
  pendingDose,
  profileTimeZoneQuery,
  shownStatus,
  unstoredOccurrences,
} from './doses.service';
import type { AdherenceSummary, DoseHistoryQueryInput, DoseView, ListDosesQueryInput } from './schedules.schemas';
import {
  assertPerson,
  personFilter,
  personQuery,
  type ScheduleNames,
  scheduleName,
  withSupplementName,
} from './schedules.service';

/**
 * Reading doses: GET /doses and GET /doses/history. Each makes exactly one D1 round trip (one batch:
 * the profile time zone, the owner's schedules and the stored doses of the range) and writes nothing.
 * What the stored rows do not say yet is computed (see doses.service.ts): a pending dose past its grace
 * is shown missed, and /doses lists the occurrences beyond each schedule's stored horizon.
 */

/** One of the owner's schedules with its supplement's catalog name and dependent's name, read beside the doses. */
export interface ScheduleInfo extends ScheduleNames {
  schedule: ScheduleRow;
}

/** A dose as the user sees it: its status as of `now` (`shownStatus`), its schedule or null once deleted. */
export function toDoseView(dose: DoseRow, info: ScheduleInfo | undefined, now: number): DoseView {
  return {
    id: dose.id,
    scheduleId: dose.scheduleId,
    localDate: dose.localDate,
    localTime: dose.localTime,
    scheduledAt: new Date(dose.scheduledAt).toISOString(),
    status: shownStatus(dose, now),
    takenAt: dose.takenAt === null ? null : new Date(dose.takenAt).toISOString(),
    note: dose.note,
    schedule: info
      ? {
          name: scheduleName(info.schedule, info.supplementName),
          kind: info.schedule.kind,
          quantityPerDose: info.schedule.quantityPerDose,
          dosage: info.schedule.dosage,
          timeZone: info.schedule.timeZone,
          status: info.schedule.status,
          person: personOf(info.schedule.dependentId, info.dependentName),
        }
      : null,
  };
}

const validation = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** Local dates `from`…`to`, inclusive. */
interface Range {
  from: string;
  to: string;
}

/** A read's range as a function of the reader's local "today", on which its defaults depend. */
type RangeOf = (today: string) => Range;

function checkRange({ from, to }: Range, maxDays: number): void {
  if (to < from) throw validation('to', 'Must not be before from');
  if (daysBetween(from, to) + 1 > maxDays) throw validation('to', `The range may span at most ${maxDays} days`);
}

/**
 * The range in `zone` and its instants [start of `from`, start of the day after `to`) (UTC ms).
 * @throws AppError VALIDATION_FAILED (reversed or too long range)
 */
function exactRange(rangeOf: RangeOf, maxDays: number, zone: string, now: number) {
  const range = rangeOf(localDateAt(now, zone));
  checkRange(range, maxDays);
  return {
    range,
    start: zonedInstant(range.from, '00:00', zone),
    end: zonedInstant(addDays(range.to, 1), '00:00', zone),
  };
}

const utcMidnight = (date: string) => Date.parse(`${date}T00:00:00.000Z`);

/**
 * The instants holding the range in every zone, for a read whose zone is not known before it: the
 * profile zone is read in the same batch as the doses, so the stored doses are read over this window
 * and cut to the exact range in memory. Every zone's "today" lies within a day of UTC's, and every
 * local midnight within a day of the same date's UTC midnight (offsets run from −12 h to +14 h, and
 * within ±16 h in historic local mean time), so the window holds at most two days more than the range.
 * @throws AppError VALIDATION_FAILED when the range is invalid whatever the zone
 */
function everyZoneWindow(rangeOf: RangeOf, maxDays: number, now: number): [number, number] {
  const early = rangeOf(localDateAt(now - DAY_MS, 'UTC'));
  const late = rangeOf(localDateAt(now + DAY_MS, 'UTC'));
  // A range only its default "today" makes invalid is valid in some zone; the exact check follows.
  try {
    checkRange(early, maxDays);
  } catch {
    checkRange(late, maxDays);
  }
  return [utcMidnight(early.from) - DAY_MS, utcMidnight(addDays(late.to, 1)) + DAY_MS];
}

/** What a range read asks for: the range (read in `tz`, else the profile zone, else UTC) and its bounds. */
interface RangeRead {
  rangeOf: RangeOf;
  maxDays: number;
  tz: string | undefined;
  now: number;
  until?: number;
  /** Only the doses of this person's schedules: `self` or one of the owner's dependents' ids. */
  person?: string;
}

/**
 * The statements of a range read, for one batch (`batchOf`), named so they can join another module's
 * read batch: the profile zone, the owner's schedules and the owner's stored doses over the range in
 * the reader's zone (or over `everyZoneWindow` while that zone is not known), by due time; with
 * `person`, only that person's schedules and their doses (doses of deleted schedules are nobody's).
 * @throws AppError VALIDATION_FAILED (reversed or too long range in the reader's zone)
 */
function rangeQueries(ctx: ServiceContext, ownerId: string, read: RangeRead) {
  const { rangeOf, maxDays, tz, now, until = Number.POSITIVE_INFINITY, person } = read;
  const known = tz ? exactRange(rangeOf, maxDays, tz, now) : null;
  const [low, high] = known ? [known.start, known.end] : everyZoneWindow(rangeOf, maxDays, now);
  const theirs = person ? and(eq(schedules.ownerId, ownerId), personFilter(person)) : eq(schedules.ownerId, ownerId);
  const filters = [
    eq(doses.ownerId, ownerId),
    gte(doses.scheduledAt, low),
    lt(doses.scheduledAt, Math.min(high, until)),
  ];
  if (person) {
    filters.push(inArray(doses.scheduleId, ctx.db.select({ id: schedules.id }).from(schedules).where(theirs)));
  }
  return {
    doseZone: profileTimeZoneQuery(ctx, ownerId),
    doseSchedules: withSupplementName(ctx).where(theirs),
    doseRows: ctx.db
      .select()
      .from(doses)
      .where(and(...filters))
      .orderBy(asc(doses.scheduledAt), asc(doses.localDate), asc(doses.localTime), asc(doses.id)),
  };
}

type RangeAnswers = BatchResults<ReturnType<typeof rangeQueries>>;

/**
 * The owner's stored doses due in the range and before `until`, by due time, with the owner's
 * schedules and the zone, from what `rangeQueries` answered.
 * @throws AppError VALIDATION_FAILED (reversed or too long range in the profile zone)
 */
function rangeFrom(read: RangeRead, answers: RangeAnswers) {
  const { rangeOf, maxDays, tz, now, until = Number.POSITIVE_INFINITY } = read;
  const zone = tz ?? answers.doseZone[0]?.timeZone ?? 'UTC';
  const { range, start, end } = exactRange(rangeOf, maxDays, zone, now);
  const due = Math.min(end, until);
  return {
    range: { ...range, timeZone: zone },
    start,
    end: due,
    schedules: new Map(answers.doseSchedules.map((info) => [info.schedule.id, info])),
    stored: answers.doseRows.filter((d) => d.scheduledAt >= start && d.scheduledAt < due),
  };
}

/**
 * The caller's stored doses due in the range, read in `tz` (default: the profile zone, else UTC) and
 * before `until`, by due time, with the caller's schedules and the zone, of `person` when given: one D1
 * round trip (the check that `person` is the caller's dependent included).
 * @throws AppError VALIDATION_FAILED (reversed or too long range in the reader's zone), NOT_FOUND
 *   (`person` is not one of the caller's dependents)
 */
async function readRange(ctx: AuthedContext, read: RangeRead) {
  const answers = await batchOf(ctx.db, {
    ...rangeQueries(ctx, ctx.actor.id, read),
    person: personQuery(ctx, read.person),
  });
  assertPerson(answers.person);
  return rangeFrom(read, answers);
}

/** Due time, then local date, time and id: the order of every dose list (SQL's binary text order). */
function byDue(a: DoseRow, b: DoseRow): number {
  if (a.scheduledAt !== b.scheduledAt) return a.scheduledAt - b.scheduledAt;
  for (const key of ['localDate', 'localTime', 'id'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}

const occurrenceKey = (d: Pick<DoseRow, 'scheduleId' | 'localDate' | 'localTime'>) =>
  `${d.scheduleId}|${d.localDate}|${d.localTime}`;

function pageOf(
  list: DoseRow[],
  schedulesById: Map<string, ScheduleInfo>,
  now: number,
  query: { page: number; limit: number },
) {
  const offset = (query.page - 1) * query.limit;
  const items = list
    .slice(offset, offset + query.limit)
    .map((d) => toDoseView(d, schedulesById.get(d.scheduleId), now));
  return page(items, list.length, query);
}

/**
 * The caller's doses due on local dates `date` (default today) or `from`…`to` (at most MAX_LIST_DAYS),
 * read in `tz` (default: the profile zone, else UTC), by due time. One D1 round trip; writes nothing.
 *
 * Stored doses are listed with their status as of now (a pending dose past its grace is missed). Beyond
 * a schedule's stored horizon (`dosesThrough`), its occurrences due from now on are computed and listed
 * as pending, at most MAX_GENERATION_AHEAD_DAYS ahead, in the same order and pagination; each carries
 * the id it will be stored under (`doseIdOf`: derived from the schedule, date, time and instant), so a
 * client may mark it at once: marking stores it first (takeDose, skipDose). The cron stores it when the
 * horizon reaches its date.
 * @throws AppError NOT_FOUND (no caller), VALIDATION_FAILED (date with from/to, only one of from/to,
 *   reversed or too long range)
 */
export async function listDoses(ctx: AuthedContext, query: ListDosesQueryInput) {
  if (query.date && (query.from || query.to)) throw validation('date', 'Give either date, or from and to');
  if (Boolean(query.from) !== Boolean(query.to)) {
    throw validation(query.from ? 'to' : 'from', 'Give both from and to');
  }
  const rangeOf: RangeOf = (today) => {
    const from = query.from ?? query.date ?? today;
    return { from, to: query.to ?? from };
  };
  const now = ctx.clock.now().getTime();
  const read = await readRange(ctx, { rangeOf, maxDays: MAX_LIST_DAYS, tz: query.tz, now, person: query.person });
  return { ...pageOf(listed(read, now), read.schedules, now, query), range: read.range };
}

/** The range's stored doses and, beyond each schedule's stored horizon, its computed ones, by due time. */
function listed(read: ReturnType<typeof rangeFrom>, now: number): DoseRow[] {
  const storedKeys = new Set(read.stored.map(occurrenceKey));
  const computed = [...read.schedules.values()].flatMap(({ schedule }) =>
    unstoredOccurrences(
      schedule,
      localDateAt(read.start, schedule.timeZone),
      localDateAt(read.end - 1, schedule.timeZone),
      now,
    )
      .filter((o) => o.scheduledAt >= read.start && o.scheduledAt < read.end)
      .map((o) => pendingDose(schedule, o, now))
      // Rows stored beyond the horizon before reads stopped writing are listed as stored.
      .filter((d) => !storedKeys.has(occurrenceKey(d))),
  );
  return computed.length ? [...read.stored, ...computed].sort(byDue) : read.stored;
}

/** Today in the owner's profile zone (else UTC), as GET /doses reads it without parameters. */
const todayRead = (now: number): RangeRead => ({
  rangeOf: (today) => ({ from: today, to: today }),
  maxDays: MAX_LIST_DAYS,
  tz: undefined,
  now,
});

/**
 * The statements that read `ownerId`'s doses of today in their profile zone, for another module's read
 * batch (`batchOf`: spread them into its statements); `todaysDoses` makes the list of what they answered.
 * @example const read = await batchOf(ctx.db, { link: …, ...todaysDosesQueries(ctx, patientId) });
 *   const today = todaysDoses(ctx, read);
 */
export function todaysDosesQueries(ctx: ServiceContext, ownerId: string) {
  return rangeQueries(ctx, ownerId, todayRead(ctx.clock.now().getTime()));
}

/**
 * Every dose of the owner's today, as GET /doses lists them to the owner (stored and computed, by due
 * time, each with its status as of now), from what `todaysDosesQueries` answered, with the day and zone.
 */
export function todaysDoses(ctx: ServiceContext, answers: RangeAnswers) {
  const now = ctx.clock.now().getTime();
  const read = rangeFrom(todayRead(now), answers);
  return {
    range: read.range,
    items: listed(read, now).map((d) => toDoseView(d, read.schedules.get(d.scheduleId), now)),
  };
}

/** Adherence: taken ÷ (taken + missed + skipped) × 100, one decimal; null when nothing was due. */
export function adherenceOf(counts: Omit<AdherenceSummary, 'adherencePercent'>): AdherenceSummary {
  const due = counts.taken + counts.missed + counts.skipped;
  return { ...counts, adherencePercent: due === 0 ? null : Math.round((counts.taken / due) * 1000) / 10 };
}

/**
 * The caller's doses due on local dates `from`…`to` (default the 30 days up to today; at most
 * MAX_HISTORY_DAYS) and up to now, newest first, with an adherence summary over the whole range.
 * Statuses are as of now (a pending dose past its grace counts as missed). Doses of deleted schedules
 * are included. One D1 round trip; writes nothing.
 * @throws AppError NOT_FOUND (no caller), VALIDATION_FAILED (reversed or too long range)
 */
export async function doseHistory(ctx: AuthedContext, query: DoseHistoryQueryInput) {
  const rangeOf: RangeOf = (today) => {
    const to = query.to ?? today;
    return { from: query.from ?? addDays(to, -29), to };
  };
  const now = ctx.clock.now().getTime();
  const read = await readRange(ctx, {
    rangeOf,
    maxDays: MAX_HISTORY_DAYS,
    tz: query.tz,
    now,
    until: now + 1,
    person: query.person,
  });
  const counts = { taken: 0, missed: 0, skipped: 0, pending: 0 };
  for (const dose of read.stored) counts[shownStatus(dose, now)] += 1;
  const newestFirst = [...read.stored].reverse();
  return { ...pageOf(newestFirst, read.schedules, now, query), range: read.range, summary: adherenceOf(counts) };
}
