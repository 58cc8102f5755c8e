import { formatInTimeZone } from 'date-fns-tz';
import type { Recurrence } from '../../db/schema';

/**
 * Pure occurrence generation for supplement and medicine schedules: which local dates a recurrence
 * falls on, and the UTC instant of a local wall-clock time in an IANA time zone. No I/O, no clock.
 *
 * Local dates are `YYYY-MM-DD` calendar dates and local times `HH:MM` wall-clock times; calendar
 * arithmetic on dates is done in UTC, where every day has 24 hours, and never mixed with instants.
 *
 * Daylight-saving rules (the same as JavaScript Temporal's `disambiguation: 'compatible'`):
 * - A local time that does not exist (the spring-forward gap, e.g. 02:30 in America/New_York on
 *   2026-03-08) is read with the offset in force before the gap, so it lands the gap's length later
 *   on the new clock: 02:30 becomes 03:30 EDT (07:30 UTC). The dose keeps its label `02:30`.
 * - A local time that occurs twice (the fall-back overlap, e.g. 01:30 in America/New_York on
 *   2026-11-01) is taken once, at its first occurrence: 01:30 EDT (05:30 UTC), not 01:30 EST.
 * - Every other local time keeps its wall-clock time, so its UTC instant moves by the DST shift.
 *
 * date-fns-tz supplies the zone rules (via Intl). Its `fromZonedTime` is not used for the instant
 * because it does not disambiguate consistently: it puts New York's 02:30 gap time at 01:30 EST (an
 * hour *earlier*), and Lisbon's repeated 01:30 at the *second* occurrence while New York's at the first.
 */

export const DAY_MS = 86_400_000;

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isLocalDate(value: string): boolean {
  if (!LOCAL_DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** Whether `value` is a 24-hour wall-clock time `HH:MM` (00:00–23:59). */
export function isLocalTime(value: string): boolean {
  return LOCAL_TIME.test(value);
}

const dayNumber = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/** The calendar date `days` after (or before, if negative) `date`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** ISO weekday of a calendar date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The calendar date it is in `zone` at `instant`. */
export function localDateAt(instant: Date | number, zone: string): string {
  return formatInTimeZone(instant, zone, 'yyyy-MM-dd');
}

/** The wall-clock time `HH:MM` it is in `zone` at `instant`. */
export function localTimeAt(instant: Date | number, zone: string): string {
  return formatInTimeZone(instant, zone, 'HH:mm');
}

/** The wall clock in `zone` at `instant`, as milliseconds of the same fields read as UTC. */
function wallClockAt(instant: number, zone: string): number {
  return Date.parse(formatInTimeZone(instant, zone, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"));
}

/**
 * The UTC instant (ms) of a local date and wall-clock time in an IANA zone, with the DST rules above:
 * a time in a spring-forward gap moves forward by the gap's length; a repeated time is its first
 * occurrence.
 * @example zonedInstant('2026-03-08', '08:00', 'America/New_York') // Date.parse('2026-03-08T12:00:00Z')
 * @example zonedInstant('2026-03-08', '02:30', 'America/New_York') // Date.parse('2026-03-08T07:30:00Z'), 03:30 EDT
 * @example zonedInstant('2026-11-01', '01:30', 'America/New_York') // Date.parse('2026-11-01T05:30:00Z'), 01:30 EDT
 */
export function zonedInstant(date: string, time: string, zone: string): number {
  const wall = Date.parse(`${date}T${time}:00.000Z`);
  // The offsets in force a day either side: transitions are never closer together than that.
  const offsetBefore = wallClockAt(wall - DAY_MS, zone) - (wall - DAY_MS);
  const offsetAfter = wallClockAt(wall + DAY_MS, zone) - (wall + DAY_MS);
  const candidates = [wall - offsetBefore, wall - offsetAfter]
    .filter((instant) => wallClockAt(instant, zone) === wall)
    .sort((a, b) => a - b);
  // No candidate shows this wall clock: it is in a gap; the earlier offset puts it gap-length later.
  return candidates[0] ?? wall - offsetBefore;
}

/**
 * `zonedInstant` for several times of one local date. When the zone's offset is the same a day before
 * and two days after the date (no DST change near it: almost every day), the offset is read once.
 */
export function zonedInstantsOn(date: string, times: string[], zone: string): number[] {
  const midnight = Date.parse(`${date}T00:00:00.000Z`);
  // Every instant of this local date lies within [midnight − 1 day, midnight + 2 days] (offsets are ±14 h).
  const before = wallClockAt(midnight - DAY_MS, zone) - (midnight - DAY_MS);
  const after = wallClockAt(midnight + 2 * DAY_MS, zone) - (midnight + 2 * DAY_MS);
  if (before !== after) return times.map((time) => zonedInstant(date, time, zone));
  return times.map((time) => Date.parse(`${date}T${time}:00.000Z`) - before);
}

/** Whether a schedule anchored at `startDate` falls on local `date` (ignoring start and end dates). */
export function recursOn(recurrence: Recurrence, startDate: string, date: string): boolean {
  if (recurrence.type === 'weekly') return recurrence.daysOfWeek.includes(isoWeekday(date));
  const since = daysBetween(startDate, date);
  return since >= 0 && since % recurrence.everyNDays === 0;
}

/** What occurrence generation needs of a schedule. */
export interface ScheduleTiming {
  timesOfDay: string[];
  timeZone: string;
  recurrence: Recurrence;
  startDate: string;
  endDate: string | null;
}

export interface Occurrence {
  localDate: string;
  localTime: string;
  /** UTC epoch milliseconds. */
  scheduledAt: number;
}

/** Most days `occurrences` walks in one call; callers bound their ranges well below it. */
export const MAX_OCCURRENCE_DAYS = 800;

/**
 * Every occurrence of a schedule on local dates `from`…`to` (inclusive, clipped to the schedule's start
 * and end dates), in date then time order. Interval recurrences count from `startDate`.
 * @example occurrences({ timesOfDay: ['08:00'], timeZone: 'UTC', recurrence: { type: 'interval', everyNDays: 2 },
 *   startDate: '2026-01-01', endDate: null }, '2026-01-01', '2026-01-05') // 01, 03, 05 at 08:00
 */
export function occurrences(schedule: ScheduleTiming, from: string, to: string): Occurrence[] {
  const first = from > schedule.startDate ? from : schedule.startDate;
  const last = schedule.endDate && schedule.endDate < to ? schedule.endDate : to;
  const days = daysBetween(first, last);
  if (days < 0) return [];
  if (days >= MAX_OCCURRENCE_DAYS) throw new RangeError(`Occurrence range too long: ${days + 1} days`);
  const times = [...schedule.timesOfDay].sort();
  const out: Occurrence[] = [];
  for (let i = 0; i <= days; i++) {
    const localDate = addDays(first, i);
    if (!recursOn(schedule.recurrence, schedule.startDate, localDate)) continue;
    const instants = zonedInstantsOn(localDate, times, schedule.timeZone);
    times.forEach((localTime, j) => {
      out.push({ localDate, localTime, scheduledAt: instants[j]! });
    });
  }
  return out;
}
