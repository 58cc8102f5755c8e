import { formatInTimeZone } from 'date-fns-tz';
import { AppError } from './errors';

/**
 * Instants, calendar dates and wall-clock times. Instants are epoch milliseconds (UTC) and go to clients
 * as ISO 8601 strings (`iso`). Local dates are `YYYY-MM-DD` calendar dates and local times `HH:MM`
 * wall-clock times; calendar arithmetic on dates is done in UTC, where every day has 24 hours, and
 * never mixed with instants. No I/O, no clock: "now" comes from the context's Clock.
 *
 * Daylight-saving rules of `zonedInstant` (the same as JavaScript Temporal's `disambiguation: 'compatible'`):
 * - A local time that does not exist (the spring-forward gap, e.g. 02:30 in America/New_York on
 *   2026-03-08) is read with the offset in force before the gap, so it lands the gap's length later
 *   on the new clock: 02:30 becomes 03:30 EDT (07:30 UTC).
 * - A local time that occurs twice (the fall-back overlap, e.g. 01:30 in America/New_York on
 *   2026-11-01) is taken once, at its first occurrence: 01:30 EDT (05:30 UTC), not 01:30 EST.
 * - Every other local time keeps its wall-clock time, so its UTC instant moves by the DST shift.
 *
 * date-fns-tz supplies the zone rules (via Intl). Its `fromZonedTime` is not used for the instant
 * because it does not disambiguate consistently: it puts New York's 02:30 gap time at 01:30 EST (an
 * hour *earlier*), and Lisbon's repeated 01:30 at the *second* occurrence while New York's at the first.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * An instant (epoch ms) as the ISO 8601 string the API sends (`2026-03-08T07:30:00.000Z`); null stays null.
 * @example iso(0) // '1970-01-01T00:00:00.000Z'; iso(row.lastUsedAt) // string | null
 */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

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

/**
 * 422 VALIDATION_FAILED, named on `to`, unless [from, to] (inclusive local dates) spans 1 to `maxDays`
 * days: the one check of every dated report's range.
 */
export function assertDayRange(from: string, to: string, maxDays: number): void {
  const days = daysBetween(from, to) + 1;
  const message =
    days < 1 ? 'Must not be before from' : days > maxDays ? `The range covers at most ${maxDays} days` : null;
  if (message) throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'to', message }] });
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
