import { formatInTimeZone } from 'date-fns-tz';
import type { DayInterval } from '../../db/schema';
import { addDays, DAY_MS, daysBetween, isoWeekday, localDateAt, MINUTE_MS, zonedInstant } from '../../lib/time';

/**
 * Pure free-slot computation: which appointment start times a doctor offers for one service, from the
 * doctor's rules (weekly hours in their zone, special hours replacing them on given dates, grid, buffer,
 * notice, horizon, emergency unavailability) and busy time (time off, claimed 5-minute units). No I/O, no clock: `now` is an argument.
 *
 * Local times become UTC with `zonedInstant` (src/lib/time.ts): a local time in a
 * spring-forward gap moves forward by the gap, a repeated one is its first occurrence. Each weekly-hours
 * interval is turned into its real UTC span first; slots step through that span every `slotMinutes`
 * from its start, so 09:00 local stays 09:00 local across DST while its UTC instant shifts.
 */

/** Granularity of slot_claims rows. */
export const UNIT_MS = 5 * MINUTE_MS;
/** Most local days one slot query may cover. */
export const MAX_SLOT_RANGE_DAYS = 31;

/** A weekly working interval: weekday 1 = Monday … 7 = Sunday, local `HH:MM` (end may be `24:00`). */
export interface WeeklyInterval {
  weekday: number;
  start: string;
  end: string;
}

/** A half-open UTC interval [start, end) in epoch ms. */
export interface Interval {
  start: number;
  end: number;
}

/** One-off hours of a local date: they replace that date's weekly hours; none means closed. */
export interface SpecialDay {
  date: string;
  hours: DayInterval[];
}

export interface SlotRules {
  timeZone: string;
  slotMinutes: number;
  bufferMinutes: number;
  minNoticeMinutes: number;
  maxDaysAhead: number;
  /** No slot starts before this instant (UTC ms). */
  unavailableUntil: number | null;
  weeklyHours: WeeklyInterval[];
  /** Dates whose hours differ from the weekly ones (absent: none). Time off still applies on them. */
  specialHours?: SpecialDay[];
}

export interface SlotQuery {
  /** Local dates in the doctor's zone, inclusive. */
  fromDate: string;
  toDate: string;
  durationMinutes: number;
  /** UTC ms. */
  now: number;
  timeOff: Interval[];
  /**
   * Live claimed time (merged or not): each booking or hold with its trailing buffer, as stored in
   * slot_claims. A candidate is free when [start, end + buffer) overlaps none of it.
   */
  busy: Interval[];
}

export interface Slot {
  /** UTC ISO instants. */
  start: string;
  end: string;
  /** Wall clock in the doctor's zone, e.g. `2026-03-30T09:00`. */
  localStart: string;
  localEnd: string;
}

/**
 * Merges 5-minute claim units (UTC ms, any order, duplicates allowed) into sorted disjoint intervals.
 * @example mergeUnits([0, 300_000, 900_000]) // [{ start: 0, end: 600_000 }, { start: 900_000, end: 1_200_000 }]
 */
export function mergeUnits(unitStarts: number[]): Interval[] {
  return mergeIntervals(unitStarts.map((start) => ({ start, end: start + UNIT_MS })));
}

/** Sorted, disjoint union of intervals; touching intervals are joined. */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last && next.start <= last.end) last.end = Math.max(last.end, next.end);
    else out.push({ ...next });
  }
  return out;
}

/** Whether [start, end) overlaps any of the sorted disjoint `blocked` intervals (binary search). */
function overlapsAny(blocked: Interval[], start: number, end: number): boolean {
  let lo = 0;
  let hi = blocked.length;
  // First interval that ends after `start`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (blocked[mid]!.end > start) hi = mid;
    else lo = mid + 1;
  }
  return lo < blocked.length && blocked[lo]!.start < end;
}

/** The UTC instant of a local time on a local date; `24:00` is the next day's midnight. */
export function localInstant(date: string, time: string, zone: string): number {
  return time === '24:00' ? zonedInstant(addDays(date, 1), '00:00', zone) : zonedInstant(date, time, zone);
}

/** A local date and time read as if UTC (`24:00` is the next midnight). */
const wallMs = (date: string, time: string) =>
  Date.parse(`${date}T00:00:00.000Z`) + (Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))) * MINUTE_MS;

/** Milliseconds the zone's wall clock is ahead of UTC at `instant`. */
const offsetAt = (instant: number, zone: string) =>
  Date.parse(formatInTimeZone(instant, zone, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")) - instant;

/** `2026-03-30T09:00` for an instant, given the zone's offset then. */
const localLabel = (instant: number, offset: number) => new Date(instant + offset).toISOString().slice(0, 16);

/**
 * The UTC span of a whole local date, midnight to midnight in `zone` (23 or 25 hours on DST days).
 * @example localDaySpan('2026-03-29', 'Europe/Berlin') // { start: 2026-03-28T23:00Z, end: 2026-03-29T22:00Z }
 */
export function localDaySpan(date: string, zone: string): Interval {
  return { start: zonedInstant(date, '00:00', zone), end: zonedInstant(addDays(date, 1), '00:00', zone) };
}

/** Local intervals of one date as UTC intervals in `zone`, by the DST rules of `zonedInstant`. */
export function localIntervals(date: string, hours: DayInterval[], zone: string): Interval[] {
  return hours.map((h) => ({ start: localInstant(date, h.start, zone), end: localInstant(date, h.end, zone) }));
}

/**
 * Free slots for one service in local dates `fromDate`…`toDate`, in start order. A slot starts on the
 * `slotMinutes` grid from the start of a working interval of its date (the date's special hours when it
 * has them, else its weekday's weekly hours), lasts `durationMinutes` and ends inside
 * that same interval. It is left out when it starts before now + minimum notice, on a local date after
 * today + `maxDaysAhead`, before `unavailableUntil`, overlaps time off, or when it plus its own trailing
 * `bufferMinutes` overlaps a busy interval (which already carries the earlier booking's buffer).
 * @throws RangeError when the range is longer than MAX_SLOT_RANGE_DAYS (callers validate first)
 */
export function computeSlots(rules: SlotRules, query: SlotQuery): Slot[] {
  const zone = rules.timeZone;
  const span = daysBetween(query.fromDate, query.toDate);
  if (span < 0) return [];
  if (span >= MAX_SLOT_RANGE_DAYS) throw new RangeError(`Slot range too long: ${span + 1} days`);

  const today = localDateAt(query.now, zone);
  const lastDate = addDays(today, rules.maxDaysAhead);
  // A day before today cannot hold a slot after now; skip it rather than compute it.
  const first = query.fromDate > addDays(today, -1) ? query.fromDate : addDays(today, -1);
  const last = query.toDate < lastDate ? query.toDate : lastDate;
  const days = daysBetween(first, last);
  if (days < 0) return [];

  const step = rules.slotMinutes * MINUTE_MS;
  const duration = query.durationMinutes * MINUTE_MS;
  const buffer = rules.bufferMinutes * MINUTE_MS;
  const earliest = Math.max(query.now + rules.minNoticeMinutes * MINUTE_MS, rules.unavailableUntil ?? -Infinity);
  const blocked = mergeIntervals([
    ...query.timeOff,
    ...query.busy.map((b) => ({ start: b.start - buffer, end: b.end })),
  ]);

  const byWeekday = new Map<number, DayInterval[]>();
  for (const interval of [...rules.weeklyHours].sort((a, b) => (a.start < b.start ? -1 : 1))) {
    byWeekday.set(interval.weekday, [...(byWeekday.get(interval.weekday) ?? []), interval]);
  }

  const special = new Map((rules.specialHours ?? []).map((day) => [day.date, day.hours]));

  const out: Slot[] = [];
  for (let d = 0; d <= days; d++) {
    const date = addDays(first, d);
    const intervals = special.get(date) ?? byWeekday.get(isoWeekday(date));
    if (!intervals?.length) continue;
    // Every instant of a local date lies within a day either side of its UTC midnight. When the offset
    // is the same at both ends (no DST change near: almost every day), local time is UTC + that offset.
    const midnight = Date.parse(`${date}T00:00:00.000Z`);
    const before = offsetAt(midnight - DAY_MS, zone);
    const steadyDay = before === offsetAt(midnight + 2 * DAY_MS, zone);
    for (const interval of intervals) {
      const open = steadyDay ? wallMs(date, interval.start) - before : localInstant(date, interval.start, zone);
      const close = steadyDay ? wallMs(date, interval.end) - before : localInstant(date, interval.end, zone);
      const offset = (instant: number) => (steadyDay ? before : offsetAt(instant, zone));
      for (let start = open; start + duration <= close; start += step) {
        const end = start + duration;
        if (start < earliest || overlapsAny(blocked, start, end)) continue;
        const localStart = localLabel(start, offset(start));
        if (localStart.slice(0, 10) > lastDate) continue;
        out.push({
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          localStart,
          localEnd: localLabel(end, offset(end)),
        });
      }
    }
  }
  return out;
}
