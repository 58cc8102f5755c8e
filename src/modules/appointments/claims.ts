import { and, eq, gt, gte, inArray, isNull, lte, notInArray, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import { appointmentHolds, appointments, careSessions, slotClaims } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError } from '../../lib/errors';
import { MINUTE_MS } from '../../lib/time';
import { UNIT_MS } from '../availability/slots';

/**
 * No double booking, by construction. Every live appointment, unexpired hold and live care session owns
 * one slot_claims row per 5-minute unit of [start, end + buffer), and slot_claims is unique on
 * (provider, unit): the provider is the doctor, or the caregiver of a care session (`doctorId` below
 * names either, by user id). A booking
 * inserts its units in the same D1 batch (one transaction) as the appointment row: when any unit is
 * taken the whole batch fails on the primary key and nothing is written. Services of different lengths
 * collide on the units they share, so no read-then-write race exists to lose. Expired hold units are
 * deleted by the same batch just before the insert, so an expired hold never blocks.
 */

/** Rows per INSERT: D1 binds at most 100 parameters a statement and a claim row has 5. */
const ROWS_PER_INSERT = 20;

export interface ClaimSpan {
  doctorId: string;
  startsAt: number;
  endsAt: number;
  bufferMinutes: number;
}

export interface ClaimOwner {
  type: 'hold' | 'appointment' | 'care-session';
  id: string;
  /** Holds only: the claim stops counting at this instant. */
  expiresAt: number | null;
}

/**
 * The unit starts a span claims: every 5-minute unit touching [startsAt, endsAt + buffer).
 * @example claimUnits({ startsAt: 0, endsAt: 1_800_000, bufferMinutes: 10, doctorId: 'd' }).length // 8
 */
export function claimUnits(span: ClaimSpan): number[] {
  const first = Math.floor(span.startsAt / UNIT_MS) * UNIT_MS;
  const end = span.endsAt + span.bufferMinutes * MINUTE_MS;
  const units: number[] = [];
  for (let unit = first; unit < end; unit += UNIT_MS) units.push(unit);
  return units;
}

/**
 * Statements that claim a span for an owner, to run inside the caller's batch (with the row that
 * owns the claim). First they drop expired hold units in the span and the units of `release` owners
 * (the caller's own hold being converted, the old time of a reschedule), then insert the new units.
 */
export function claimStatements(
  ctx: ServiceContext,
  span: ClaimSpan,
  owner: ClaimOwner,
  options: { release?: string[] } = {},
): BatchItem<'sqlite'>[] {
  const units = claimUnits(span);
  const now = ctx.clock.now().getTime();
  const inSpan = and(
    eq(slotClaims.doctorId, span.doctorId),
    gte(slotClaims.unitStart, units[0]!),
    lte(slotClaims.unitStart, units[units.length - 1]!),
  );
  const statements: BatchItem<'sqlite'>[] = [
    ctx.db.delete(slotClaims).where(and(inSpan, eq(slotClaims.ownerType, 'hold'), lte(slotClaims.expiresAt, now))),
  ];
  if (options.release?.length) statements.push(releaseClaims(ctx, options.release));
  for (let i = 0; i < units.length; i += ROWS_PER_INSERT) {
    statements.push(
      ctx.db.insert(slotClaims).values(
        units.slice(i, i + ROWS_PER_INSERT).map((unitStart) => ({
          doctorId: span.doctorId,
          unitStart,
          ownerType: owner.type,
          ownerId: owner.id,
          expiresAt: owner.expiresAt,
        })),
      ),
    );
  }
  return statements;
}

/** Frees every unit the owners hold (cancellation, completion, a hold released or converted). */
export function releaseClaims(ctx: ServiceContext, ownerIds: string[]): BatchItem<'sqlite'> {
  return ctx.db.delete(slotClaims).where(inArray(slotClaims.ownerId, ownerIds));
}

/** Whether a batch failed because a unit was already claimed. */
export function isClaimConflict(err: unknown): boolean {
  return isUniqueViolation(err, slotClaims);
}

/** What holds a span, as told to the client in a 409 SLOT_UNAVAILABLE. */
export interface Blocker {
  type: 'appointment' | 'hold' | 'care-session';
  /** The blocking row's id when the caller may know it (their own), else null. */
  id: string | null;
  startsAt: string;
  endsAt: string;
}

/**
 * The live claim overlapping a span, described for the 409, in one query (the claim joined with the
 * appointment or hold owning it). Another patient's appointment or hold is named by kind and time only:
 * its id would leak someone else's booking.
 */
export async function findBlocker(
  ctx: ServiceContext,
  span: ClaimSpan,
  ignore: string[] = [],
): Promise<Blocker | null> {
  const units = claimUnits(span);
  const now = ctx.clock.now().getTime();
  // The claim's owner is the appointment, the hold or the care session, whichever join found a row.
  const claim = await ctx.db
    .select({
      ownerType: slotClaims.ownerType,
      ownerId: slotClaims.ownerId,
      patientId: sql<
        string | null
      >`coalesce(${appointments.patientId}, ${appointmentHolds.patientId}, ${careSessions.patientId})`,
      startsAt: sql<
        number | null
      >`coalesce(${appointments.startsAt}, ${appointmentHolds.startsAt}, ${careSessions.startsAt})`,
      endsAt: sql<number | null>`coalesce(${appointments.endsAt}, ${appointmentHolds.endsAt}, ${careSessions.endsAt})`,
    })
    .from(slotClaims)
    .leftJoin(appointments, and(eq(slotClaims.ownerType, 'appointment'), eq(appointments.id, slotClaims.ownerId)))
    .leftJoin(appointmentHolds, and(eq(slotClaims.ownerType, 'hold'), eq(appointmentHolds.id, slotClaims.ownerId)))
    .leftJoin(careSessions, and(eq(slotClaims.ownerType, 'care-session'), eq(careSessions.id, slotClaims.ownerId)))
    .where(
      and(
        eq(slotClaims.doctorId, span.doctorId),
        gte(slotClaims.unitStart, units[0]!),
        lte(slotClaims.unitStart, units[units.length - 1]!),
        or(isNull(slotClaims.expiresAt), gt(slotClaims.expiresAt, now)),
        ignore.length ? notInArray(slotClaims.ownerId, ignore) : undefined,
      ),
    )
    .limit(1)
    .get();
  if (!claim) return null;
  const mine = claim.patientId !== null && claim.patientId === ctx.actor?.id;
  return {
    type: claim.ownerType,
    id: mine ? claim.ownerId : null,
    startsAt: new Date(claim.startsAt ?? 0).toISOString(),
    endsAt: new Date(claim.endsAt ?? 0).toISOString(),
  };
}

/** The 409 for a span that is taken, naming what takes it. */
export function slotUnavailable(blocker: Blocker | null): AppError {
  const kinds = { hold: 'a hold', appointment: 'another appointment', 'care-session': 'another care session' };
  const what = blocker ? `${kinds[blocker.type]} from ${blocker.startsAt} to ${blocker.endsAt}` : 'another booking';
  return new AppError('SLOT_UNAVAILABLE', `This time is no longer available: it overlaps ${what}`, {
    details: { blockedBy: blocker },
  });
}

/**
 * Runs a batch that claims `span`; a taken unit becomes 409 SLOT_UNAVAILABLE naming the blocker (one more
 * round trip, shared with `alongside`: a read the caller needs after a failure, such as the
 * idempotency recheck), and the batch leaves nothing behind. Other failures pass through.
 * @throws AppError SLOT_UNAVAILABLE
 */
export async function runClaimingBatch<T extends [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]>(
  ctx: ServiceContext,
  span: ClaimSpan,
  statements: T,
  options: { ignore?: string[]; alongside?: () => Promise<unknown> } = {},
) {
  try {
    return await ctx.db.batch(statements);
  } catch (err) {
    if (!isClaimConflict(err)) throw err;
    const [blocker] = await Promise.all([findBlocker(ctx, span, options.ignore), options.alongside?.()]);
    throw slotUnavailable(blocker);
  }
}
