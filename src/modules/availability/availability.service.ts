import { and, asc, count, eq, gt, gte, lte, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import {
  type DoctorProfileRow,
  doctorProfiles,
  type SpecialHoursRow,
  specialHours,
  type TimeOffRow,
  timeOff,
  type WeeklyHoursRow,
  weeklyHours,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { addDays, DAY_MS, daysBetween, iso, localDateAt, zonedInstant } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { assertPracticeOpen, ensureDoctorProfile, managedDoctor } from '../doctors/doctor-access';
import {
  type AvailabilityView,
  type CreateTimeOffInput,
  MAX_SPECIAL_HOURS_DAYS_AHEAD,
  MAX_TIME_OFF_DAYS,
  type SetSpecialHoursInput,
  type SetUnavailabilityInput,
  type SpecialHoursView,
  type TimeOffView,
  type UpdateAvailabilityInput,
} from './availability.schemas';
import { announceTimeFreed } from './time-freed';

/** The UTC calendar date of an instant. */
const utcDate = (instant: number) => new Date(instant).toISOString().slice(0, 10);

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
  announceTimeFreed(ctx, doctorId);
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
 * The write that adds time off, for the caller's batch, and the row it stores. Whole local days run from
 * local midnight to local midnight in the doctor's zone (23 or 25 hours on DST days); a partial day is
 * taken as given; an emergency given without `startsAt` starts now.
 * @throws AppError VALIDATION_FAILED (field endsAt: an emergency starting now must end after now)
 */
export function stageTimeOff(ctx: ServiceContext, profile: DoctorProfileRow, input: CreateTimeOffInput) {
  const zone = profile.timeZone;
  const now = ctx.clock.now().getTime();
  const [startsAt, endsAt] = input.startDate
    ? [
        zonedInstant(input.startDate, '00:00', zone),
        zonedInstant(addDays(input.endDate ?? input.startDate, 1), '00:00', zone),
      ]
    : [input.startsAt === undefined ? now : Date.parse(input.startsAt), Date.parse(input.endsAt!)];
  if (endsAt <= startsAt) throw invalid('endsAt', 'Must be after now, when the emergency starts');
  if (endsAt - startsAt > MAX_TIME_OFF_DAYS * DAY_MS) throw invalid('endsAt', `At most ${MAX_TIME_OFF_DAYS} days`);
  const row: TimeOffRow = {
    id: ctx.ids.id('tof'),
    doctorId: profile.userId,
    kind: input.kind,
    startsAt,
    endsAt,
    reason: input.reason ?? null,
    createdAt: now,
  };
  return { row, statement: ctx.db.insert(timeOff).values(row) };
}

/** One time off of a doctor (none when it is not theirs), for a read batch. */
export function timeOffQuery(ctx: ServiceContext, doctorId: string, timeOffId: string) {
  return ctx.db
    .select()
    .from(timeOff)
    .where(and(eq(timeOff.id, timeOffId), eq(timeOff.doctorId, doctorId)));
}

/** The write that removes one time off of a doctor. */
export function timeOffDelete(ctx: ServiceContext, doctorId: string, timeOffId: string) {
  return ctx.db.delete(timeOff).where(and(eq(timeOff.id, timeOffId), eq(timeOff.doctorId, doctorId)));
}

/**
 * What of a doctor's schedule may still take bookings' time, for a read batch: their time off not over at
 * `now` and their special hours from the UTC date before `now` on (a superset of the dates from their
 * today), both small sets.
 */
export function upcomingChangesQueries(ctx: ServiceContext, doctorId: string) {
  const now = ctx.clock.now().getTime();
  return {
    upcomingTimeOff: ctx.db
      .select()
      .from(timeOff)
      .where(and(eq(timeOff.doctorId, doctorId), gt(timeOff.endsAt, now)))
      .orderBy(asc(timeOff.startsAt), asc(timeOff.id)),
    upcomingSpecialHours: ctx.db
      .select()
      .from(specialHours)
      .where(and(eq(specialHours.doctorId, doctorId), gte(specialHours.date, addDays(utcDate(now), -1))))
      .orderBy(asc(specialHours.date)),
  };
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
  const view = await writeUnavailability(ctx, doctorId, null, null, 'doctor.unavailability.clear');
  announceTimeFreed(ctx, doctorId);
  return view;
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
