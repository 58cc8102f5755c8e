import type { AffectedKind, DayInterval, TimeOffKind } from '../../db/schema';
import { addDays } from '../../lib/time';
import { type Interval, localDaySpan, localIntervals } from '../availability/slots';

/**
 * Which bookings a change of a doctor's schedule leaves without a place, and what still takes a
 * booking's time once a change is undone. Pure: instants are UTC ms, local dates and times are turned
 * into instants in the doctor's zone by the rules of src/lib/time.ts.
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

/** A schedule change that may take bookings' time: a time off or one date's special hours. */
export interface Cause {
  id: string;
  kind: AffectedKind;
  /** Whether it takes the time of an appointment `[start, end)`. */
  takes(appointment: Interval): boolean;
}

/** Time off takes every appointment that overlaps it. */
export function timeOffCause(row: { id: string; kind: AffectedKind; startsAt: number; endsAt: number }): Cause {
  return {
    id: row.id,
    kind: row.kind,
    takes: (a) => a.start < row.endsAt && a.end > row.startsAt,
  };
}

/** Special hours take the appointments they leave outside the hours of their date, in the doctor's zone. */
export function specialHoursCause(row: { id: string; date: string; hours: DayInterval[] }, zone: string): Cause {
  const day = localDaySpan(row.date, zone);
  const open = localIntervals(row.date, row.hours, zone);
  return { id: row.id, kind: 'special-hours', takes: (a) => outsideHours(a, day, open) };
}

/**
 * The UTC window that holds every instant of the local dates `from`…`to` in any zone (offsets are at
 * most ±14 h, so a day either side of their UTC midnights): a read batch bounds a superset by it
 * before it knows the doctor's zone.
 */
export function anyZoneWindow(from: string, to: string = from): Interval {
  return { start: Date.parse(`${from}T00:00:00Z`) - 86_400_000, end: Date.parse(`${addDays(to, 2)}T00:00:00Z`) };
}

/** An appointment a schedule change looks at: its id and time, and whether (and by what) it is flagged. */
export interface Booking {
  id: string;
  startsAt: number;
  endsAt: number;
  needsRebooking: boolean;
  affectedById: string | null;
}

const span = (b: Booking): Interval => ({ start: b.startsAt, end: b.endsAt });

/**
 * What a new or changed cause does to the movable bookings read around it: `taken` are all those whose
 * time it takes (each needs rebooking), of which `flag` are those not yet flagged by anything (the
 * cause flags them; one flagged earlier keeps the cause that flagged it first).
 */
export function takenBy<B extends Booking>(cause: Cause, bookings: readonly B[]): { taken: B[]; flag: B[] } {
  const taken = bookings.filter((b) => cause.takes(span(b)));
  return { taken, flag: taken.filter((b) => !b.needsRebooking) };
}

/**
 * What becomes of the bookings a cause flagged once it no longer takes their time (it was removed, or
 * changed so they fit): each still taken by one of the `remaining` causes moves to the first such
 * (`relinked`, by cause id), the others need nothing any more (`restored`: they keep their time).
 */
export function released<B extends Booking>(
  flagged: readonly B[],
  remaining: readonly Cause[],
): { restored: B[]; relinked: Map<Cause, B[]> } {
  const restored: B[] = [];
  const relinked = new Map<Cause, B[]>();
  for (const booking of flagged) {
    const cause = remaining.find((c) => c.takes(span(booking)));
    if (cause) relinked.set(cause, [...(relinked.get(cause) ?? []), booking]);
    else restored.push(booking);
  }
  return { restored, relinked };
}

/**
 * The causes that may take bookings' time besides the one being changed, in the order a booking is
 * linked to the first that takes it: time off by start, then special hours by date (in `zone`).
 */
export function remainingCauses(
  timeOff: readonly { id: string; kind: TimeOffKind; startsAt: number; endsAt: number }[],
  specialHours: readonly { id: string; date: string; hours: DayInterval[] }[],
  zone: string,
): Cause[] {
  return [...timeOff.map(timeOffCause), ...specialHours.map((row) => specialHoursCause(row, zone))];
}
