import { and, asc, eq, gt, gte, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import {
  type CaregiverHoursRow,
  type CaregiverScheduleRow,
  caregiverHours,
  caregiverProfiles,
  caregiverSchedules,
  slotClaims,
  users,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { addDays, DAY_MS, daysBetween, localDateAt, MINUTE_MS } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { MAX_BUFFER_MINUTES, type UpdateAvailabilityInput } from '../availability/availability.schemas';
import { computeSlots, MAX_SLOT_RANGE_DAYS, mergeUnits, type Slot, type SlotRules } from '../availability/slots';
import { LISTED_CAREGIVER } from '../care-profiles/search.service';
import type { CaregiverAvailabilityView } from './care-sessions.schemas';

/**
 * Caregivers' weekly availability, set like a doctor's (the same body and validation), and the free
 * slots of a session length, computed by the same pure slot rules from the hours and the caregiver's
 * claimed time. A caregiver is bookable once verified and active, with a profile that has an hourly
 * rate, and a schedule.
 */

const hoursQuery = (ctx: ServiceContext, caregiverId: string) =>
  ctx.db
    .select()
    .from(caregiverHours)
    .where(eq(caregiverHours.caregiverId, caregiverId))
    .orderBy(asc(caregiverHours.weekday), asc(caregiverHours.startTime));

function availabilityView(schedule: CaregiverScheduleRow, hours: CaregiverHoursRow[]): CaregiverAvailabilityView {
  return {
    timeZone: schedule.timeZone,
    slotMinutes: schedule.slotMinutes,
    bufferMinutes: schedule.bufferMinutes,
    minNoticeMinutes: schedule.minNoticeMinutes,
    maxDaysAhead: schedule.maxDaysAhead,
    weeklyHours: hours.map((h) => ({ weekday: h.weekday, start: h.startTime, end: h.endTime })),
  };
}

/**
 * The caller's own availability (caregivers). One round trip.
 * @throws AppError NOT_FOUND (none set yet)
 */
export async function getMyAvailability(ctx: AuthedContext): Promise<CaregiverAvailabilityView> {
  const [schedules, hours] = await ctx.db.batch([
    ctx.db.select().from(caregiverSchedules).where(eq(caregiverSchedules.caregiverId, ctx.actor.id)),
    hoursQuery(ctx, ctx.actor.id),
  ]);
  const schedule = schedules[0];
  if (!schedule) throw notFound('Availability');
  return availabilityView(schedule, hours);
}

/**
 * Replaces the caller's availability (caregivers): zone, grid, buffer, notice, horizon and weekly
 * hours, in one write batch with its audit event. Sessions already booked keep their time.
 */
export async function setMyAvailability(
  ctx: AuthedContext,
  input: UpdateAvailabilityInput,
): Promise<CaregiverAvailabilityView> {
  const caregiverId = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const schedule: CaregiverScheduleRow = {
    caregiverId,
    timeZone: input.timeZone,
    slotMinutes: input.slotMinutes,
    bufferMinutes: input.bufferMinutes,
    minNoticeMinutes: input.minNoticeMinutes,
    maxDaysAhead: input.maxDaysAhead,
    updatedAt: now,
  };
  const hours: CaregiverHoursRow[] = [...input.weeklyHours]
    .sort((a, b) => a.weekday - b.weekday || (a.start < b.start ? -1 : 1))
    .map((h) => ({ id: ctx.ids.id('cgh'), caregiverId, weekday: h.weekday, startTime: h.start, endTime: h.end }));
  const { caregiverId: _key, ...changes } = schedule;
  await ctx.db.batch([
    ctx.db
      .insert(caregiverSchedules)
      .values(schedule)
      .onConflictDoUpdate({ target: caregiverSchedules.caregiverId, set: changes }),
    ctx.db.delete(caregiverHours).where(eq(caregiverHours.caregiverId, caregiverId)),
    ...(hours.length ? [ctx.db.insert(caregiverHours).values(hours)] : []),
    auditInsert(ctx, {
      action: 'care_availability.update',
      resourceType: 'caregiver',
      resourceId: caregiverId,
      metadata: { timeZone: input.timeZone, intervals: hours.length },
    }),
  ]);
  return availabilityView(schedule, hours);
}

/** The caregiver, when bookable: listed (verified, active), with a profile and an hourly rate. */
export function bookableCaregiverQuery(ctx: ServiceContext, caregiverId: string | SQL) {
  return ctx.db
    .select({
      id: users.id,
      name: users.name,
      hourlyRateCents: caregiverProfiles.hourlyRateCents,
      currency: caregiverProfiles.currency,
    })
    .from(users)
    .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
    .where(and(eq(users.id, caregiverId), LISTED_CAREGIVER));
}

/**
 * A caregiver's schedule and hours, and their live claims between `rangeStart` and `rangeEnd`, for a
 * read batch: what the slot rules need.
 */
export function scheduleQueries(ctx: ServiceContext, caregiverId: string | SQL, rangeStart: number, rangeEnd: number) {
  const now = ctx.clock.now().getTime();
  return {
    schedule: ctx.db.select().from(caregiverSchedules).where(eq(caregiverSchedules.caregiverId, caregiverId)),
    hours: ctx.db.select().from(caregiverHours).where(eq(caregiverHours.caregiverId, caregiverId)),
    claims: ctx.db
      .select({ unitStart: slotClaims.unitStart })
      .from(slotClaims)
      .where(
        and(
          eq(slotClaims.doctorId, caregiverId),
          gte(slotClaims.unitStart, rangeStart),
          lt(slotClaims.unitStart, rangeEnd),
          or(isNull(slotClaims.expiresAt), gt(slotClaims.expiresAt, now)),
        ),
      ),
  };
}

/** Every instant of local dates `from`…`to` in any zone, widened by the longest buffer. */
export function dateRange(from: string, to: string): { rangeStart: number; rangeEnd: number } {
  const pad = DAY_MS + MAX_BUFFER_MINUTES * MINUTE_MS;
  return {
    rangeStart: Date.parse(`${from}T00:00:00Z`) - pad,
    rangeEnd: Date.parse(`${addDays(to, 1)}T00:00:00Z`) + pad,
  };
}

const slotRules = (schedule: CaregiverScheduleRow, hours: CaregiverHoursRow[]): SlotRules => ({
  timeZone: schedule.timeZone,
  slotMinutes: schedule.slotMinutes,
  bufferMinutes: schedule.bufferMinutes,
  minNoticeMinutes: schedule.minNoticeMinutes,
  maxDaysAhead: schedule.maxDaysAhead,
  unavailableUntil: null,
  weeklyHours: hours.map((h) => ({ weekday: h.weekday, start: h.startTime, end: h.endTime })),
});

/** The free sessions of `durationMinutes` on local dates `from`…`to`, from what `scheduleQueries` read. */
export function caregiverSlots(
  read: { schedule: CaregiverScheduleRow; hours: CaregiverHoursRow[]; claims: { unitStart: number }[] },
  query: { from: string; to: string; durationMinutes: number; now: number },
): Slot[] {
  return computeSlots(slotRules(read.schedule, read.hours), {
    fromDate: query.from,
    toDate: query.to,
    durationMinutes: query.durationMinutes,
    now: query.now,
    timeOff: [],
    busy: mergeUnits(read.claims.map((c) => c.unitStart)),
  });
}

/**
 * Whether the caregiver's rules offer a session of `durationMinutes` starting exactly at `startsAt`
 * (hours, grid, notice, horizon; taken time is settled by the claim itself).
 */
export function offersSession(
  read: { schedule: CaregiverScheduleRow; hours: CaregiverHoursRow[] },
  durationMinutes: number,
  startsAt: number,
  now: number,
): boolean {
  const date = localDateAt(startsAt, read.schedule.timeZone);
  return caregiverSlots({ ...read, claims: [] }, { from: date, to: date, durationMinutes, now }).some(
    (slot) => Date.parse(slot.start) === startsAt,
  );
}

/**
 * A bookable caregiver's free sessions of `durationMinutes` on local dates `from`…`to` (their zone),
 * for the public. One round trip.
 * @throws AppError NOT_FOUND (not bookable, or no availability), VALIDATION_FAILED (range too long)
 */
export async function freeCareSlots(
  ctx: ServiceContext,
  caregiverId: string,
  query: { from: string; to?: string; durationMinutes: number },
): Promise<{ timeZone: string; slots: Slot[] }> {
  const to = query.to ?? query.from;
  if (daysBetween(query.from, to) >= MAX_SLOT_RANGE_DAYS) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'to', message: `At most ${MAX_SLOT_RANGE_DAYS} days from from` }],
    });
  }
  const { rangeStart, rangeEnd } = dateRange(query.from, to);
  const reads = scheduleQueries(ctx, caregiverId, rangeStart, rangeEnd);
  const [caregivers, schedules, hours, claims] = await ctx.db.batch([
    bookableCaregiverQuery(ctx, caregiverId),
    reads.schedule,
    reads.hours,
    reads.claims,
  ]);
  const schedule = schedules[0];
  if (!caregivers[0]?.hourlyRateCents || !schedule) throw notFound('Caregiver');
  const now = ctx.clock.now().getTime();
  return {
    timeZone: schedule.timeZone,
    slots: caregiverSlots(
      { schedule, hours, claims },
      { from: query.from, to, durationMinutes: query.durationMinutes, now },
    ),
  };
}
