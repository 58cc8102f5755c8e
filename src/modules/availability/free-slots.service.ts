import { and, eq, gt, gte, isNull, lt, lte, ne, or, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import {
  type DoctorProfileRow,
  doctorServices,
  slotClaims,
  specialHours,
  timeOff,
  type WeeklyHoursRow,
  weeklyHours,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { addDays, DAY_MS, daysBetween, localDateAt } from '../../lib/time';
import { bookableDoctorQuery, bookableOrNotFound } from '../doctors/doctor-access';
import { MAX_BUFFER_MINUTES } from './availability.schemas';
import {
  computeSlots,
  type Interval,
  MAX_SLOT_RANGE_DAYS,
  mergeUnits,
  type Slot,
  type SlotRules,
  type SpecialDay,
} from './slots';

/**
 * Free slots from a doctor's rules: the public slots of a date range, the check of one start a booking
 * or move asks for, and the nearest free starts around an instant (rebooking). Reads go into one batch
 * each; the computation is the pure `computeSlots` (slots.ts).
 */

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** The UTC calendar date of an instant. */
const utcDate = (instant: number) => new Date(instant).toISOString().slice(0, 10);

/**
 * Free slots of a bookable doctor for one of their active services on local dates `fromDate`…`toDate`
 * (inclusive, in the doctor's zone, at most MAX_SLOT_RANGE_DAYS), for the public slots route. Booking
 * checks one chosen start by the same rules with `offersStart`, then claims its units.
 * @throws AppError NOT_FOUND (doctor not bookable, service not theirs or inactive), VALIDATION_FAILED (range)
 */
export async function freeSlots(
  ctx: ServiceContext,
  doctorId: string,
  serviceId: string,
  fromDate: string,
  toDate: string,
): Promise<{ timeZone: string; slots: Slot[] }> {
  const span = daysBetween(fromDate, toDate);
  if (span < 0) throw invalid('to', 'Must not be before from');
  if (span >= MAX_SLOT_RANGE_DAYS) throw invalid('to', `At most ${MAX_SLOT_RANGE_DAYS} days from from`);
  const now = ctx.clock.now().getTime();
  // Every instant of the range, widened by a day each side (offsets) plus the longest buffer a
  // practice may set, so the doctor, their rules and their claims are read together in one round trip.
  const pad = DAY_MS + MAX_BUFFER_MINUTES * 60_000;
  const rangeStart = Date.parse(`${fromDate}T00:00:00Z`) - pad;
  const rangeEnd = Date.parse(`${addDays(toDate, 1)}T00:00:00Z`) + pad;

  const [doctors, services, hours, special, off, claims] = await ctx.db.batch([
    bookableDoctorQuery(ctx, doctorId),
    ctx.db
      .select({ durationMinutes: doctorServices.durationMinutes })
      .from(doctorServices)
      .where(
        and(eq(doctorServices.id, serviceId), eq(doctorServices.doctorId, doctorId), eq(doctorServices.active, true)),
      ),
    ctx.db.select().from(weeklyHours).where(eq(weeklyHours.doctorId, doctorId)),
    specialDaysQuery(ctx, doctorId, fromDate, toDate),
    ctx.db
      .select({ start: timeOff.startsAt, end: timeOff.endsAt })
      .from(timeOff)
      .where(and(eq(timeOff.doctorId, doctorId), lt(timeOff.startsAt, rangeEnd), gt(timeOff.endsAt, rangeStart))),
    ctx.db
      .select({ unitStart: slotClaims.unitStart })
      .from(slotClaims)
      .where(
        and(
          eq(slotClaims.doctorId, doctorId),
          gte(slotClaims.unitStart, rangeStart),
          lt(slotClaims.unitStart, rangeEnd),
          or(isNull(slotClaims.expiresAt), gt(slotClaims.expiresAt, now)),
        ),
      ),
  ]);
  const { profile } = bookableOrNotFound(doctors[0]);
  const zone = profile.timeZone;
  const service = services[0];
  if (!service) throw notFound('Service');

  const slots = computeSlots(slotRules(profile, hours, special), {
    fromDate,
    toDate,
    durationMinutes: service.durationMinutes,
    now,
    timeOff: off,
    busy: mergeUnits(claims.map((c) => c.unitStart)),
  });
  return { timeZone: zone, slots };
}

/** A doctor's special hours on local dates `fromDate`…`toDate` (inclusive), as the slot rules take them. */
function specialDaysQuery(ctx: ServiceContext, doctorId: string | SQLWrapper, fromDate: string, toDate: string) {
  return ctx.db
    .select({ date: specialHours.date, hours: specialHours.hours })
    .from(specialHours)
    .where(and(eq(specialHours.doctorId, doctorId), gte(specialHours.date, fromDate), lte(specialHours.date, toDate)));
}

/** The pure slot rules of a doctor: their profile's booking rules, weekly hours and special hours. */
function slotRules(profile: DoctorProfileRow, hours: WeeklyHoursRow[], special: SpecialDay[]): SlotRules {
  return {
    timeZone: profile.timeZone,
    slotMinutes: profile.slotMinutes,
    bufferMinutes: profile.bufferMinutes,
    minNoticeMinutes: profile.minNoticeMinutes,
    maxDaysAhead: profile.maxDaysAhead,
    unavailableUntil: profile.unavailableUntil,
    weeklyHours: hours.map((h) => ({ weekday: h.weekday, start: h.startTime, end: h.endTime })),
    specialHours: special,
  };
}

/**
 * The schedule a booking at `startsAt` is checked against, as statements for the caller's read batch:
 * the doctor's weekly hours, the special hours of the local dates `startsAt` may fall on (its UTC date
 * and a day either side) and the time off overlapping the day from `startsAt` (a superset of any
 * service's span; `offersStart` keeps what overlaps). `doctorId` may be SQL reading it from another row
 * of the same batch's request (e.g. the appointment being moved).
 */
export function scheduleQueries(ctx: ServiceContext, doctorId: string | SQLWrapper, startsAt: number) {
  return {
    hours: ctx.db.select().from(weeklyHours).where(eq(weeklyHours.doctorId, doctorId)),
    specialHours: specialDaysQuery(ctx, doctorId, addDays(utcDate(startsAt), -1), addDays(utcDate(startsAt), 1)),
    timeOff: ctx.db
      .select({ start: timeOff.startsAt, end: timeOff.endsAt })
      .from(timeOff)
      .where(
        and(eq(timeOff.doctorId, doctorId), lt(timeOff.startsAt, startsAt + DAY_MS), gt(timeOff.endsAt, startsAt)),
      ),
  };
}

/**
 * Whether the schedule rules of a bookable doctor offer a slot of `durationMinutes` starting exactly at
 * `startsAt` at `now`: weekly and special hours and grid, minimum notice, booking horizon, time off and emergency
 * unavailability, as in `freeSlots`. Pure: `schedule` is what `scheduleQueries` read. Bookings and holds
 * are not considered: the booking module settles taken time atomically by claiming it.
 */
export function offersStart(
  profile: DoctorProfileRow,
  schedule: { hours: WeeklyHoursRow[]; specialHours: SpecialDay[]; timeOff: Interval[] },
  durationMinutes: number,
  startsAt: number,
  now: number,
): boolean {
  const date = localDateAt(startsAt, profile.timeZone);
  const slots = computeSlots(slotRules(profile, schedule.hours, schedule.specialHours), {
    fromDate: date,
    toDate: date,
    durationMinutes,
    now,
    timeOff: schedule.timeOff,
    busy: [],
  });
  return slots.some((slot) => Date.parse(slot.start) === startsAt);
}

/** Local days searched for free slots before and after a date (rebooking options): at most 31 each way. */
export interface DaysAround {
  before: number;
  after: number;
}

/**
 * What the free slots of a doctor on the local days around the instant `around` depend on, for a read
 * batch: weekly hours, special hours, time off and live claims (but those of `ignoreOwner`, the booking
 * being moved). Bounded by UTC instants and dates that hold those days in any zone (offsets are at most
 * ±14 h) plus the longest buffer, as `freeSlots` bounds its range. `doctorId` and `around` may be SQL
 * reading them from another row of the same batch (the appointment being rebooked).
 */
export function slotsAroundQueries(
  ctx: ServiceContext,
  doctorId: string | SQLWrapper,
  around: number | SQLWrapper,
  days: DaysAround,
  ignoreOwner: string,
) {
  const now = ctx.clock.now().getTime();
  const pad = DAY_MS + MAX_BUFFER_MINUTES * 60_000;
  const start = sql<number>`(${around}) - ${(days.before + 1) * DAY_MS + pad}`;
  const end = sql<number>`(${around}) + ${(days.after + 2) * DAY_MS + pad}`;
  const dateOf = (instant: SQL<number>) => sql<string>`date(${instant} / 1000, 'unixepoch')`;
  return {
    hours: ctx.db.select().from(weeklyHours).where(eq(weeklyHours.doctorId, doctorId)),
    specialHours: ctx.db
      .select({ date: specialHours.date, hours: specialHours.hours })
      .from(specialHours)
      .where(
        and(
          eq(specialHours.doctorId, doctorId),
          gte(specialHours.date, dateOf(start)),
          lte(specialHours.date, dateOf(end)),
        ),
      ),
    timeOff: ctx.db
      .select({ start: timeOff.startsAt, end: timeOff.endsAt })
      .from(timeOff)
      .where(and(eq(timeOff.doctorId, doctorId), lt(timeOff.startsAt, end), gt(timeOff.endsAt, start))),
    claims: ctx.db
      .select({ unitStart: slotClaims.unitStart })
      .from(slotClaims)
      .where(
        and(
          eq(slotClaims.doctorId, doctorId),
          gte(slotClaims.unitStart, start),
          lt(slotClaims.unitStart, end),
          or(isNull(slotClaims.expiresAt), gt(slotClaims.expiresAt, now)),
          ne(slotClaims.ownerId, ignoreOwner),
        ),
      ),
  };
}

/**
 * The `limit` free slots of a service of `durationMinutes` nearest the instant `around` (ties: the
 * earlier), on the local days from `days.before` before its local date to `days.after` after it, by
 * the rules of `freeSlots` (so never before now plus the minimum notice, nor past the booking horizon),
 * in start order. `around` itself is left out. Pure: `read` is what `slotsAroundQueries` answered.
 */
export function nearestFreeSlots(
  profile: DoctorProfileRow,
  read: { hours: WeeklyHoursRow[]; specialHours: SpecialDay[]; timeOff: Interval[]; claims: { unitStart: number }[] },
  input: { durationMinutes: number; around: number; now: number; limit: number; days: DaysAround },
): Slot[] {
  const rules = slotRules(profile, read.hours, read.specialHours);
  const busy = mergeUnits(read.claims.map((c) => c.unitStart));
  const date = localDateAt(input.around, profile.timeZone);
  const last = addDays(date, input.days.after);
  const found: Slot[] = [];
  for (let from = addDays(date, -input.days.before); from <= last; from = addDays(from, MAX_SLOT_RANGE_DAYS)) {
    const chunkEnd = addDays(from, MAX_SLOT_RANGE_DAYS - 1);
    const to = chunkEnd < last ? chunkEnd : last;
    found.push(
      ...computeSlots(rules, {
        fromDate: from,
        toDate: to,
        durationMinutes: input.durationMinutes,
        now: input.now,
        timeOff: read.timeOff,
        busy,
      }),
    );
  }
  const distance = (slot: Slot) => Math.abs(Date.parse(slot.start) - input.around);
  return found
    .filter((slot) => Date.parse(slot.start) !== input.around)
    .sort((a, b) => distance(a) - distance(b) || Date.parse(a.start) - Date.parse(b.start))
    .slice(0, input.limit)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}
