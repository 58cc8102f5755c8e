import type { Recurrence } from '../../db/schema';
import { addDays, daysBetween, isoWeekday, zonedInstantsOn } from '../../lib/time';

/**
 * Pure occurrence generation for supplement and medicine schedules: which local dates a recurrence
 * falls on, and when each dose of those dates falls. No I/O, no clock.
 *
 * Dates, times and their UTC instants follow src/lib/time.ts, DST rules included: a dose time in a
 * spring-forward gap lands the gap's length later (02:30 becomes 03:30 EDT) and keeps its label
 * `02:30`; a repeated time is its first occurrence.
 */

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
