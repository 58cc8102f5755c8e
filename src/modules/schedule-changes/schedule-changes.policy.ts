import type { Interval } from '../availability/slots';

/**
 * Which bookings a change of a doctor's schedule leaves without a place. Pure: the intervals are UTC
 * instants the caller derived in the doctor's zone.
 */

/**
 * Whether special hours on a date leave an appointment `[start, end)` outside the doctor's hours: it
 * touches that local date (`day`, midnight to midnight) and lies wholly inside none of the date's
 * `open` intervals (none: closed). An appointment may end exactly when an interval closes.
 * @example outsideHours({ start: 10h, end: 10h30 }, day, [{ start: 9h, end: 12h }]) // false
 * @example outsideHours({ start: 11h45, end: 12h15 }, day, [{ start: 9h, end: 12h }]) // true
 */
export function outsideHours(appointment: Interval, day: Interval, open: readonly Interval[]): boolean {
  if (appointment.end <= day.start || appointment.start >= day.end) return false;
  return !open.some((i) => appointment.start >= i.start && appointment.end <= i.end);
}
