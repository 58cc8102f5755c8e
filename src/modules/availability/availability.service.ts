import { and, asc, count, eq, gt, gte, isNull, lt, lte, or, type SQLWrapper, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import {
  type DoctorProfileRow,
  doctorProfiles,
  doctorServices,
  type SpecialHoursRow,
  slotClaims,
  specialHours,
  type TimeOffRow,
  timeOff,
  type WeeklyHoursRow,
  weeklyHours,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { addDays, DAY_MS, daysBetween, iso, localDateAt, zonedInstant } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import {
  assertPracticeOpen,
  bookableDoctorQuery,
  bookableOrNotFound,
  ensureDoctorProfile,
  managedDoctor,
} from '../doctors/doctor-access';
import {
  type AvailabilityView,
  type CreateTimeOffInput,
  MAX_BUFFER_MINUTES,
  MAX_SPECIAL_HOURS_DAYS_AHEAD,
  type SetSpecialHoursInput,
  type SetUnavailabilityInput,
  type SpecialHoursView,
  type TimeOffView,
  type UpdateAvailabilityInput,
} from './availability.schemas';
import {
  computeSlots,
  type Interval,
  MAX_SLOT_RANGE_DAYS,
  mergeUnits,
  type Slot,
  type SlotRules,
  type SpecialDay,
} from './slots';

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** A doctor's weekly hours in the order the availability view lists them, for a batch. */
const hoursQuery = (ctx: ServiceContext, doctorId: string) =>
  ctx.db
    .select()
    .from(weeklyHours)
    .where(eq(weeklyHours.doctorId, doctorId))
    .orderBy(asc(weeklyHours.weekday), asc(weeklyHours.startTime));

function availabilityView(profile: DoctorProfileRow, hours: WeeklyHoursRow[]): AvailabilityView {
  return {
    timeZone: profile.timeZone,
    slotMinutes: profile.slotMinutes,
    bufferMinutes: profile.bufferMinutes,
    minNoticeMinutes: profile.minNoticeMinutes,
    maxDaysAhead: profile.maxDaysAhead,
    weeklyHours: hours.map((h) => ({ weekday: h.weekday, start: h.startTime, end: h.endTime })),
    unavailableUntil: profile.unavailableUntil === null ? null : new Date(profile.unavailableUntil).toISOString(),
    unavailableReason: profile.unavailableReason,
  };
}

export async function getAvailability(ctx: ServiceContext, doctorId: string): Promise<AvailabilityView> {
  const { profile, reads } = await managedDoctor(ctx, doctorId, { hours: hoursQuery(ctx, doctorId) });
  return availabilityView(profile, reads.hours);
}

/**
 * Replaces the booking rules and the whole weekly-hours set at once (one batch, audited).
 * @throws AppError NOT_FOUND, CONFLICT (blocked or removed account)
 */
export async function updateAvailability(
  ctx: ServiceContext,
  doctorId: string,
  input: UpdateAvailabilityInput,
): Promise<AvailabilityView> {
  const { user } = await managedDoctor(ctx, doctorId);
  assertPracticeOpen(user);
  const now = ctx.clock.now().getTime();
  const rows = input.weeklyHours.map((h) => ({
    id: ctx.ids.id('wkh'),
    doctorId,
    weekday: h.weekday,
    startTime: h.start,
    endTime: h.end,
  }));
  const results = await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    ctx.db
      .update(doctorProfiles)
      .set({
        timeZone: input.timeZone,
        slotMinutes: input.slotMinutes,
        bufferMinutes: input.bufferMinutes,
        minNoticeMinutes: input.minNoticeMinutes,
        maxDaysAhead: input.maxDaysAhead,
        updatedAt: now,
      })
      .where(eq(doctorProfiles.userId, doctorId))
      .returning(),
    ctx.db.delete(weeklyHours).where(eq(weeklyHours.doctorId, doctorId)),
    ...(rows.length ? [ctx.db.insert(weeklyHours).values(rows)] : []),
    auditInsert(ctx, {
      action: 'doctor.availability.update',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { intervals: rows.length, timeZone: input.timeZone },
    }),
    hoursQuery(ctx, doctorId),
  ]);
  // The profile as updated and the hours as now stored: no read after the write.
  const [updated] = results[1] as DoctorProfileRow[];
  return availabilityView(updated!, results.at(-1) as WeeklyHoursRow[]);
}

export function toTimeOffView(row: TimeOffRow): TimeOffView {
  return {
    id: row.id,
    kind: row.kind,
    startsAt: new Date(row.startsAt).toISOString(),
    endsAt: new Date(row.endsAt).toISOString(),
    reason: row.reason,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** Time off, upcoming (not yet ended) first by start, then past ones most recent first. */
export async function listTimeOff(ctx: ServiceContext, doctorId: string, query: { page: number; limit: number }) {
  const now = ctx.clock.now().getTime();
  const mine = eq(timeOff.doctorId, doctorId);
  const { reads } = await managedDoctor(ctx, doctorId, {
    rows: ctx.db
      .select()
      .from(timeOff)
      .where(mine)
      .orderBy(
        sql`case when ${timeOff.endsAt} > ${now} then 0 else 1 end`,
        sql`case when ${timeOff.endsAt} > ${now} then ${timeOff.startsAt} else -${timeOff.startsAt} end`,
        asc(timeOff.id),
      )
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(timeOff).where(mine),
  });
  return page(reads.rows.map(toTimeOffView), reads.total[0]?.n ?? 0, query);
}

/**
 * Adds time off as a UTC interval: whole local days run from local midnight to local midnight in the
 * doctor's zone (23 or 25 hours on DST days); a partial day is taken as given.
 * @throws AppError NOT_FOUND, CONFLICT
 */
export async function createTimeOff(
  ctx: ServiceContext,
  doctorId: string,
  input: CreateTimeOffInput,
): Promise<TimeOffView> {
  const { user, profile } = await managedDoctor(ctx, doctorId);
  assertPracticeOpen(user);
  const zone = profile.timeZone;
  const [startsAt, endsAt] = input.startDate
    ? [
        zonedInstant(input.startDate, '00:00', zone),
        zonedInstant(addDays(input.endDate ?? input.startDate, 1), '00:00', zone),
      ]
    : [Date.parse(input.startsAt!), Date.parse(input.endsAt!)];
  const row: TimeOffRow = {
    id: ctx.ids.id('tof'),
    doctorId,
    kind: input.kind,
    startsAt,
    endsAt,
    reason: input.reason ?? null,
    createdAt: ctx.clock.now().getTime(),
  };
  await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    ctx.db.insert(timeOff).values(row),
    auditInsert(ctx, {
      action: 'doctor.timeOff.create',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { timeOffId: row.id, kind: row.kind },
    }),
  ]);
  return toTimeOffView(row);
}

/** @throws AppError NOT_FOUND (no such doctor, or no such time off of theirs) */
export async function deleteTimeOff(ctx: ServiceContext, doctorId: string, timeOffId: string): Promise<void> {
  const mine = and(eq(timeOff.id, timeOffId), eq(timeOff.doctorId, doctorId));
  const { reads } = await managedDoctor(ctx, doctorId, {
    existing: ctx.db.select({ id: timeOff.id }).from(timeOff).where(mine),
  });
  if (!reads.existing[0]) throw notFound('Time off');
  await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    ctx.db.delete(timeOff).where(mine),
    auditInsert(ctx, {
      action: 'doctor.timeOff.delete',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { timeOffId },
    }),
  ]);
}

/**
 * Emergency unavailability: from now on no slot starts before `until` (existing appointments stay).
 * @throws AppError NOT_FOUND, CONFLICT, VALIDATION_FAILED (until not in the future)
 */
export async function setUnavailability(
  ctx: ServiceContext,
  doctorId: string,
  input: SetUnavailabilityInput,
): Promise<AvailabilityView> {
  const { user } = await managedDoctor(ctx, doctorId);
  assertPracticeOpen(user);
  const now = ctx.clock.now().getTime();
  const until = Date.parse(input.until);
  if (until <= now) throw invalid('until', 'Must be in the future');
  return writeUnavailability(ctx, doctorId, until, input.reason, 'doctor.unavailability.set');
}

export async function clearUnavailability(ctx: ServiceContext, doctorId: string): Promise<AvailabilityView> {
  await managedDoctor(ctx, doctorId);
  return writeUnavailability(ctx, doctorId, null, null, 'doctor.unavailability.clear');
}

async function writeUnavailability(
  ctx: ServiceContext,
  doctorId: string,
  until: number | null,
  reason: string | null,
  action: string,
): Promise<AvailabilityView> {
  const [, updated, , hours] = await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    ctx.db
      .update(doctorProfiles)
      .set({ unavailableUntil: until, unavailableReason: reason, updatedAt: ctx.clock.now().getTime() })
      .where(eq(doctorProfiles.userId, doctorId))
      .returning(),
    auditInsert(ctx, {
      action,
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: until === null ? {} : { until: new Date(until).toISOString() },
    }),
    hoursQuery(ctx, doctorId),
  ]);
  return availabilityView(updated[0]!, hours);
}

const utcDate = (instant: number) => new Date(instant).toISOString().slice(0, 10);

export function toSpecialHoursView(row: SpecialHoursRow): SpecialHoursView {
  return {
    id: row.id,
    date: row.date,
    closed: row.hours.length === 0,
    hours: row.hours,
    reason: row.reason,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** A doctor's special hours by date, `from`…`to` when given (inclusive local dates). */
export async function listSpecialHours(
  ctx: ServiceContext,
  doctorId: string,
  query: { page: number; limit: number; from?: string; to?: string },
) {
  const where = and(
    eq(specialHours.doctorId, doctorId),
    query.from === undefined ? undefined : gte(specialHours.date, query.from),
    query.to === undefined ? undefined : lte(specialHours.date, query.to),
  );
  const { reads } = await managedDoctor(ctx, doctorId, {
    rows: ctx.db
      .select()
      .from(specialHours)
      .where(where)
      .orderBy(asc(specialHours.date))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(specialHours).where(where),
  });
  return page(reads.rows.map(toSpecialHoursView), reads.total[0]?.n ?? 0, query);
}

/** The special hours a doctor has on one local date (none or one row), for a read batch. */
export function specialHoursOnQuery(ctx: ServiceContext, doctorId: string, date: string) {
  return ctx.db
    .select()
    .from(specialHours)
    .where(and(eq(specialHours.doctorId, doctorId), eq(specialHours.date, date)));
}

/**
 * The write that sets a doctor's hours on one local date (replacing what that date had, keeping its
 * id), for the caller's batch, and the row as it will be stored (the write returns it as stored). The date is the doctor's: from their
 * today (in `profile.timeZone`) to MAX_SPECIAL_HOURS_DAYS_AHEAD days after it.
 * @throws AppError VALIDATION_FAILED (field date: in the past, or too far ahead)
 */
export function stageSpecialHours(
  ctx: ServiceContext,
  profile: DoctorProfileRow,
  date: string,
  input: SetSpecialHoursInput,
  existing: SpecialHoursRow | undefined,
) {
  const now = ctx.clock.now().getTime();
  const today = localDateAt(now, profile.timeZone);
  if (date < today) throw invalid('date', `Must not be before the doctor's today (${today} in ${profile.timeZone})`);
  if (daysBetween(today, date) > MAX_SPECIAL_HOURS_DAYS_AHEAD) {
    throw invalid('date', `Must be at most ${MAX_SPECIAL_HOURS_DAYS_AHEAD} days after the doctor's today (${today})`);
  }
  const row: SpecialHoursRow = {
    id: existing?.id ?? ctx.ids.id('sph'),
    doctorId: profile.userId,
    date,
    hours: input.closed ? [] : input.hours!.map((h) => ({ start: h.start, end: h.end })),
    reason: input.reason ?? null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const statement = ctx.db
    .insert(specialHours)
    .values(row)
    .onConflictDoUpdate({
      target: [specialHours.doctorId, specialHours.date],
      set: { hours: row.hours, reason: row.reason, updatedAt: now },
    })
    .returning();
  return { row, statement };
}

/** The write that removes a doctor's special hours of one date (the weekly hours apply again). */
export function specialHoursDelete(ctx: ServiceContext, doctorId: string, date: string) {
  return ctx.db.delete(specialHours).where(and(eq(specialHours.doctorId, doctorId), eq(specialHours.date, date)));
}

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
