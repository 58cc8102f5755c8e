import { addDays, DAY_MS, localDateAt, zonedInstant } from '../../lib/time';

/**
 * Calendar days of a dashboard, in the zone of the person looking at it. A dashboard reads in one round
 * trip, before it knows that zone, so its reads take a superset window (every zone's day lies within
 * [UTC midnight − 14 h, UTC midnight + 38 h)) and keep what falls on the person's days once the zone
 * has come back with the rows.
 */

/** Zone offsets reach ±14 h: this much either side of a UTC window covers the window in every zone. */
export const ZONE_SLACK_MS = 14 * 3_600_000;

/** The instants [start, end) of local dates `from`…`to` (inclusive) in `zone`. */
export function localSpan(from: string, to: string, zone: string): { start: number; end: number } {
  return { start: zonedInstant(from, '00:00', zone), end: zonedInstant(addDays(to, 1), '00:00', zone) };
}

/** The window that holds local dates today … today + `days` − 1 of any zone, around `now`. */
export function anyZoneWindow(now: number, days: number): { low: number; high: number } {
  return { low: now - DAY_MS - ZONE_SLACK_MS, high: now + days * DAY_MS + ZONE_SLACK_MS };
}

/** `count` local dates from `from`. */
export const datesFrom = (from: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => addDays(from, i));

/** The local date of `instant` in `zone`. */
export const dayOf = (instant: number, zone: string) => localDateAt(instant, zone);

/** A valid IANA zone or UTC (a stored zone is valid; a missing one is UTC). */
export const zoneOr = (...zones: (string | null | undefined)[]) => zones.find((z) => z) ?? 'UTC';
