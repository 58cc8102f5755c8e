import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type AppointmentHoldRow, appointmentHolds, slotClaims } from '../../db/schema';
import { isNotNullViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { announceTimeFreed } from '../availability/time-freed';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { isStaff } from './appointment-access';
import type { CreateHoldInput, HoldStatus, HoldView } from './booking.schemas';
import {
  assertSlotAllowed,
  bookingPatientId,
  bookingPatientOf,
  bookingSpan,
  bookingTargetOf,
  bookingTargetQueries,
  patientQuery,
} from './booking-target';
import { type ClaimSpan, claimStatements, releaseClaims, runClaimingBatch } from './claims';

/**
 * Holds: a slot kept for a patient for `appointments.holdTtlMinutes` while they fill in the booking
 * form. A hold owns the slot's claim units with an expiry, so it blocks others exactly like a booking
 * until then, and nobody once it has passed (sweep or not).
 */

/** Unexpired, unconverted, unreleased holds one patient may have at once. */
export const MAX_LIVE_HOLDS = 3;

/** A hold's status at `now`: converted and released are final; otherwise it expires at `expiresAt`. */
export function holdStatus(row: AppointmentHoldRow, now: number): HoldStatus {
  if (row.appointmentId !== null) return 'converted';
  if (row.releasedAt !== null) return 'released';
  return row.expiresAt <= now ? 'expired' : 'active';
}

function toHoldView(row: AppointmentHoldRow, now: number): HoldView {
  return {
    id: row.id,
    doctorId: row.doctorId,
    serviceId: row.serviceId,
    patientId: row.patientId,
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    expiresAt: iso(row.expiresAt),
    status: holdStatus(row, now),
  };
}

/** The patient's own hold, or any as staff; anyone else's is NOT_FOUND. */
async function visibleHold(ctx: AuthedContext, id: string): Promise<AppointmentHoldRow> {
  const actor = ctx.actor;
  const row = await ctx.db.select().from(appointmentHolds).where(eq(appointmentHolds.id, id)).get();
  if (!row || (row.patientId !== actor.id && !isStaff(actor))) throw notFound('Hold');
  return row;
}

/**
 * Holds a slot the schedule offers for the caller (staff: for the patient named) until now + the hold
 * TTL, in two round trips: one batch reads the patient, doctor, service, schedule and settings. The hold row and its claim units go in one batch; the row's insert refuses a patient who already
 * has MAX_LIVE_HOLDS live holds, counted inside the same statement so concurrent holds cannot overshoot.
 * @throws AppError NOT_FOUND (doctor, service), VALIDATION_FAILED (startsAt, patientId),
 *   SLOT_UNAVAILABLE, CONFLICT (too many live holds)
 */
export async function createHold(ctx: AuthedContext, input: CreateHoldInput): Promise<HoldView> {
  const startsAt = Date.parse(input.startsAt);
  const read = await batchOf(ctx.db, {
    patient: patientQuery(ctx, bookingPatientId(ctx, input.patientId)),
    ...bookingTargetQueries(ctx, { doctorId: input.doctorId, serviceId: input.serviceId }, startsAt),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const patient = bookingPatientOf(read.patient);
  const target = bookingTargetOf(read);
  assertSlotAllowed(ctx, target, startsAt);
  const span = bookingSpan(target, startsAt);
  const now = ctx.clock.now().getTime();
  const ttlMinutes = await getSetting(ctx, 'appointments.holdTtlMinutes');
  const row: AppointmentHoldRow = {
    id: ctx.ids.id('hld'),
    patientId: patient.id,
    doctorId: span.doctorId,
    serviceId: target.service.id,
    startsAt: span.startsAt,
    endsAt: span.endsAt,
    bufferMinutes: span.bufferMinutes,
    expiresAt: now + ttlMinutes * 60_000,
    appointmentId: null,
    releasedAt: null,
    createdAt: now,
  };
  // patient_id is NOT NULL: the insert fails (and the batch rolls back) when the limit is reached.
  const live = and(
    eq(appointmentHolds.patientId, patient.id),
    isNull(appointmentHolds.appointmentId),
    isNull(appointmentHolds.releasedAt),
    gt(appointmentHolds.expiresAt, now),
  );
  const guardedPatient = sql<string>`(case when (select count(*) from ${appointmentHolds} where ${live}) < ${MAX_LIVE_HOLDS} then ${patient.id} end)`;
  try {
    await runClaimingBatch(ctx, span, [
      ctx.db.insert(appointmentHolds).values({ ...row, patientId: guardedPatient }),
      ...claimStatements(ctx, span, { type: 'hold', id: row.id, expiresAt: row.expiresAt }),
    ]);
  } catch (err) {
    if (isNotNullViolation(err, appointmentHolds.patientId)) {
      throw new AppError(
        'CONFLICT',
        `At most ${MAX_LIVE_HOLDS} slots can be held at once: book or release one of the held slots first`,
      );
    }
    throw err;
  }
  return toHoldView(row, now);
}

/**
 * A hold made by the system for a patient (a waitlist offer) rather than by the patient's own request:
 * the row and the statements claiming its span, for the caller's batch (`runClaimingBatch`: a taken
 * unit fails the batch). The span must be a free slot of the doctor's schedule (the caller found it
 * with the free-slot rules). Unlike `createHold` it does not count toward MAX_LIVE_HOLDS as a refusal.
 */
export function systemHold(
  ctx: ServiceContext,
  input: { patientId: string; serviceId: string; span: ClaimSpan; expiresAt: number },
): { row: AppointmentHoldRow; statements: BatchItem<'sqlite'>[] } {
  const row: AppointmentHoldRow = {
    id: ctx.ids.id('hld'),
    patientId: input.patientId,
    doctorId: input.span.doctorId,
    serviceId: input.serviceId,
    startsAt: input.span.startsAt,
    endsAt: input.span.endsAt,
    bufferMinutes: input.span.bufferMinutes,
    expiresAt: input.expiresAt,
    appointmentId: null,
    releasedAt: null,
    createdAt: ctx.clock.now().getTime(),
  };
  return {
    row,
    statements: [
      ctx.db.insert(appointmentHolds).values(row),
      ...claimStatements(ctx, input.span, { type: 'hold', id: row.id, expiresAt: row.expiresAt }),
    ],
  };
}

/** Statements releasing live holds (not converted, not released) and freeing their units, for a batch. */
export function releaseHoldStatements(ctx: ServiceContext, ids: string[]): BatchItem<'sqlite'>[] {
  return [
    ctx.db
      .update(appointmentHolds)
      .set({ releasedAt: ctx.clock.now().getTime() })
      .where(
        and(
          inArray(appointmentHolds.id, ids),
          isNull(appointmentHolds.appointmentId),
          isNull(appointmentHolds.releasedAt),
        ),
      ),
    releaseClaims(ctx, ids),
  ];
}

/** @throws AppError NOT_FOUND */
export async function getHold(ctx: AuthedContext, id: string): Promise<HoldView> {
  return toHoldView(await visibleHold(ctx, id), ctx.clock.now().getTime());
}

/**
 * Lets a hold go: its claim units are freed and it is marked released. Releasing a released or expired
 * hold is harmless; a hold that became an appointment stays (cancel the appointment instead).
 * @throws AppError NOT_FOUND, CONFLICT (already converted)
 */
export async function releaseHold(ctx: AuthedContext, id: string): Promise<HoldView> {
  const row = await visibleHold(ctx, id);
  const converted = () => new AppError('CONFLICT', 'This hold has already been booked; cancel the appointment instead');
  if (row.appointmentId !== null) throw converted();
  const now = ctx.clock.now().getTime();
  if (row.releasedAt !== null) return toHoldView(row, now);
  const [updated] = await ctx.db.batch([
    ctx.db
      .update(appointmentHolds)
      .set({ releasedAt: now })
      .where(
        and(eq(appointmentHolds.id, id), isNull(appointmentHolds.appointmentId), isNull(appointmentHolds.releasedAt)),
      )
      .returning(),
    releaseClaims(ctx, [id]),
  ]);
  if (updated[0]) {
    announceTimeFreed(ctx, row.doctorId);
    return toHoldView(updated[0], now);
  }
  // Booked or released by a concurrent request between the read and the batch.
  const current = await visibleHold(ctx, id);
  if (current.appointmentId !== null) throw converted();
  return toHoldView(current, now);
}

/**
 * Deletes the claim units of expired holds (the every-minute sweep). They already block nobody; this
 * keeps slot_claims small. Hold rows stay, so their status still reads `expired`.
 */
export async function deleteExpiredHoldClaims(ctx: ServiceContext): Promise<number> {
  const result = await ctx.db
    .delete(slotClaims)
    .where(and(eq(slotClaims.ownerType, 'hold'), lte(slotClaims.expiresAt, ctx.clock.now().getTime())))
    .run();
  return result.meta?.changes ?? 0;
}
