import { and, asc, count, desc, eq, gt, gte, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type WaitlistEntryRow, type WaitlistOfferRow, waitlistEntries, waitlistOffers } from '../../db/schema';
import { isNotNullViolation } from '../../db/sql';
import { type Page, page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { daysBetween, iso, localDateAt } from '../../lib/time';
import { isStaff } from '../appointments/appointment-access';
import {
  bookingPatientId,
  bookingPatientOf,
  doctorServiceOf,
  doctorServiceQueries,
  invalid,
  patientQuery,
} from '../appointments/booking-target';
import { releaseHoldStatements } from '../appointments/holds.service';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { announceTimeFreed } from '../availability/time-freed';
import {
  type CreateEntryInput,
  type EntryListInput,
  type EntryView,
  MAX_LIVE_ENTRIES,
  MAX_RANGE_DAYS,
  type OfferView,
} from './waitlist.schemas';

/**
 * The waitlist: a patient (or staff for them) asks to be offered a slot of a doctor's service in a date
 * range; offers are made off the request's path by offers.service.ts. Entries are the patient's: anyone
 * else's is NOT_FOUND, but staff and the doctor list a doctor's waitlist.
 */

/** An offer's status at `now`: an `offered` one past its expiry reads `expired` before the cron marks it. */
export function offerStatus(row: Pick<WaitlistOfferRow, 'status' | 'expiresAt'>, now: number) {
  return row.status === 'offered' && row.expiresAt <= now ? 'expired' : row.status;
}

export function toOfferView(row: WaitlistOfferRow, now: number): OfferView {
  return {
    id: row.id,
    entryId: row.entryId,
    patientId: row.patientId,
    doctorId: row.doctorId,
    serviceId: row.serviceId,
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    holdId: row.holdId,
    status: offerStatus(row, now),
    expiresAt: iso(row.expiresAt),
    createdAt: iso(row.createdAt),
  };
}

function toEntryView(row: WaitlistEntryRow, offer: WaitlistOfferRow | undefined, now: number): EntryView {
  return {
    id: row.id,
    patientId: row.patientId,
    doctorId: row.doctorId,
    serviceId: row.serviceId,
    fromDate: row.fromDate,
    toDate: row.toDate,
    timeFrom: row.timeFrom,
    timeTo: row.timeTo,
    timeZone: row.timeZone,
    status: row.status,
    offer: offer ? toOfferView(offer, now) : null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** The latest offer of each entry among `offers` (newest first by creation). */
function latestOffers(offers: WaitlistOfferRow[]): Map<string, WaitlistOfferRow> {
  const latest = new Map<string, WaitlistOfferRow>();
  for (const offer of offers) {
    const seen = latest.get(offer.entryId);
    if (!seen || offer.createdAt > seen.createdAt || (offer.createdAt === seen.createdAt && offer.id > seen.id)) {
      latest.set(offer.entryId, offer);
    }
  }
  return latest;
}

/** Entries `a` and `b` share a day when neither ends before the other starts. */
const overlaps = (a: { fromDate: string; toDate: string }, b: { fromDate: string; toDate: string }) =>
  a.fromDate <= b.toDate && b.fromDate <= a.toDate;

/**
 * Refuses a range that is backwards, longer than MAX_RANGE_DAYS, starts before the doctor's today, or a
 * time window that ends before it starts.
 * @throws AppError VALIDATION_FAILED
 */
function assertRange(input: CreateEntryInput, today: string): void {
  if (input.fromDate < today) throw invalid('fromDate', `Must not be in the past (today is ${today} for this doctor)`);
  const span = daysBetween(input.fromDate, input.toDate);
  if (span < 0) throw invalid('toDate', 'Must not be before fromDate');
  if (span >= MAX_RANGE_DAYS) throw invalid('toDate', `At most ${MAX_RANGE_DAYS} days from fromDate, both included`);
  if (input.timeFrom !== undefined && input.timeTo !== undefined && input.timeFrom >= input.timeTo) {
    throw invalid('timeTo', 'Must be after timeFrom');
  }
}

/**
 * Puts the caller (staff: the patient named) on a doctor's waitlist for one of their services. Two round
 * trips: the patient, doctor, service and the patient's live entries are read together, then one batch
 * writes the entry (its insert refuses, inside the statement, a patient at MAX_LIVE_ENTRIES or with an
 * overlapping live entry for the doctor, so concurrent requests cannot overshoot) and the audit event.
 * Matching starts at once, off the request's path (the time-freed job).
 * @throws AppError VALIDATION_FAILED (patientId, dates, times), NOT_FOUND (doctor, service), CONFLICT
 */
export async function createEntry(ctx: AuthedContext, input: CreateEntryInput): Promise<EntryView> {
  const patientId = bookingPatientId(ctx, input.patientId);
  const read = await batchOf(ctx.db, {
    patient: patientQuery(ctx, patientId),
    ...doctorServiceQueries(ctx, { doctorId: input.doctorId, serviceId: input.serviceId }),
    live: ctx.db
      .select({
        doctorId: waitlistEntries.doctorId,
        fromDate: waitlistEntries.fromDate,
        toDate: waitlistEntries.toDate,
      })
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.patientId, patientId), eq(waitlistEntries.status, 'waiting'))),
  });
  const patient = bookingPatientOf(read.patient);
  const { profile, service } = doctorServiceOf(read);
  const now = ctx.clock.now().getTime();
  assertRange(input, localDateAt(now, profile.timeZone));
  if (read.live.length >= MAX_LIVE_ENTRIES) {
    throw new AppError('CONFLICT', `At most ${MAX_LIVE_ENTRIES} waitlist entries can be live at once: leave one first`);
  }
  const overlapping = () =>
    new AppError(
      'CONFLICT',
      'Already on this doctor’s waitlist for dates overlapping these: change or leave that entry',
    );
  if (read.live.some((e) => e.doctorId === input.doctorId && overlaps(e, input))) throw overlapping();

  const row: WaitlistEntryRow = {
    id: ctx.ids.id('wle'),
    patientId: patient.id,
    doctorId: input.doctorId,
    serviceId: service.id,
    createdBy: ctx.actor.id,
    fromDate: input.fromDate,
    toDate: input.toDate,
    timeFrom: input.timeFrom ?? null,
    timeTo: input.timeTo ?? null,
    timeZone: profile.timeZone,
    status: 'waiting',
    createdAt: now,
    updatedAt: now,
  };
  const live = and(eq(waitlistEntries.patientId, patient.id), eq(waitlistEntries.status, 'waiting'));
  const clash = and(
    live,
    eq(waitlistEntries.doctorId, input.doctorId),
    lte(waitlistEntries.fromDate, input.toDate),
    gte(waitlistEntries.toDate, input.fromDate),
  );
  // patient_id is NOT NULL: a concurrent entry that reached the limit or overlaps fails the insert.
  const guardedPatient = sql<string>`(case when (select count(*) from ${waitlistEntries} where ${live}) < ${MAX_LIVE_ENTRIES} and not exists (select 1 from ${waitlistEntries} where ${clash}) then ${patient.id} end)`;
  try {
    await ctx.db.batch([
      ctx.db.insert(waitlistEntries).values({ ...row, patientId: guardedPatient }),
      auditInsert(ctx, {
        action: 'waitlist.join',
        resourceType: 'waitlist-entry',
        resourceId: row.id,
        patientId: patient.id,
        metadata: { doctorId: row.doctorId, serviceId: row.serviceId, fromDate: row.fromDate, toDate: row.toDate },
      }),
    ]);
  } catch (err) {
    if (isNotNullViolation(err, waitlistEntries.patientId)) throw overlapping();
    throw err;
  }
  announceTimeFreed(ctx, row.doctorId);
  return toEntryView(row, undefined, now);
}

/** The caller's entries (patients), newest first, with each one's latest offer: one round trip. */
export async function listMyEntries(ctx: AuthedContext, query: EntryListInput): Promise<Page<EntryView>> {
  return listEntries(ctx, eq(waitlistEntries.patientId, ctx.actor.id), query);
}

/**
 * A doctor's waitlist, in offer order (oldest entry first): the doctor's own, or any doctor's for
 * receptionists and admins; another doctor's is NOT_FOUND. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function listDoctorEntries(
  ctx: AuthedContext,
  doctorId: string,
  query: EntryListInput,
): Promise<Page<EntryView>> {
  if (!isStaff(ctx.actor) && ctx.actor.id !== doctorId) throw notFound('Doctor');
  return listEntries(ctx, eq(waitlistEntries.doctorId, doctorId), query, 'queue');
}

async function listEntries(
  ctx: ServiceContext,
  scope: SQL,
  query: EntryListInput,
  order: 'newest' | 'queue' = 'newest',
): Promise<Page<EntryView>> {
  const where = and(scope, query.status ? eq(waitlistEntries.status, query.status) : undefined);
  const ids = ctx.db
    .select({ id: waitlistEntries.id })
    .from(waitlistEntries)
    .where(where)
    .orderBy(
      ...(order === 'newest'
        ? [desc(waitlistEntries.createdAt), desc(waitlistEntries.id)]
        : [asc(waitlistEntries.createdAt), asc(waitlistEntries.id)]),
    )
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const read = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(waitlistEntries)
      .where(inArray(waitlistEntries.id, ids))
      .orderBy(
        ...(order === 'newest'
          ? [desc(waitlistEntries.createdAt), desc(waitlistEntries.id)]
          : [asc(waitlistEntries.createdAt), asc(waitlistEntries.id)]),
      ),
    total: ctx.db.select({ n: count() }).from(waitlistEntries).where(where),
    offers: ctx.db.select().from(waitlistOffers).where(inArray(waitlistOffers.entryId, ids)),
  });
  const now = ctx.clock.now().getTime();
  const latest = latestOffers(read.offers);
  return page(
    read.rows.map((row) => toEntryView(row, latest.get(row.id), now)),
    read.total[0]?.n ?? 0,
    query,
  );
}

/** The entry and its offers, when it is the caller's (staff: anyone's; its doctor: theirs). */
async function visibleEntry(ctx: AuthedContext, id: string) {
  const read = await batchOf(ctx.db, {
    entry: ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, id)),
    offers: ctx.db.select().from(waitlistOffers).where(eq(waitlistOffers.entryId, id)),
  });
  const entry = read.entry[0];
  const actor = ctx.actor;
  if (!entry || (entry.patientId !== actor.id && entry.doctorId !== actor.id && !isStaff(actor))) {
    throw notFound('Waitlist entry');
  }
  return { entry, offers: read.offers };
}

/** @throws AppError NOT_FOUND */
export async function getEntry(ctx: AuthedContext, id: string): Promise<EntryView> {
  const { entry, offers } = await visibleEntry(ctx, id);
  return toEntryView(entry, latestOffers(offers).get(id), ctx.clock.now().getTime());
}

/**
 * Takes a waiting entry off the list (the patient, or staff): it becomes `left`, and a live offer is
 * declined and its hold released, so the slot passes on (the time-freed job). Leaving an entry that is
 * no longer waiting changes nothing. Two round trips.
 * @throws AppError NOT_FOUND (not mine; the doctor may read but not remove)
 */
export async function leaveEntry(ctx: AuthedContext, id: string): Promise<EntryView> {
  const { entry, offers } = await visibleEntry(ctx, id);
  if (entry.patientId !== ctx.actor.id && !isStaff(ctx.actor)) throw notFound('Waitlist entry');
  const now = ctx.clock.now().getTime();
  const latest = latestOffers(offers).get(id);
  if (entry.status !== 'waiting') return toEntryView(entry, latest, now);
  const live = offers.filter((o) => offerStatus(o, now) === 'offered');
  const [updated, declined] = await ctx.db.batch([
    ctx.db
      .update(waitlistEntries)
      .set({ status: 'left', updatedAt: now })
      .where(and(eq(waitlistEntries.id, id), eq(waitlistEntries.status, 'waiting')))
      .returning(),
    ctx.db
      .update(waitlistOffers)
      .set({ status: 'declined', endedAt: now })
      .where(
        and(eq(waitlistOffers.entryId, id), eq(waitlistOffers.status, 'offered'), gt(waitlistOffers.expiresAt, now)),
      )
      .returning(),
    ...(live.length
      ? releaseHoldStatements(
          ctx,
          live.map((o) => o.holdId),
        )
      : []),
    auditInsert(ctx, {
      action: 'waitlist.leave',
      resourceType: 'waitlist-entry',
      resourceId: id,
      patientId: entry.patientId,
      metadata: { offersDeclined: live.length },
    }),
  ]);
  if (live.length) announceTimeFreed(ctx, entry.doctorId);
  const offer = declined.find((o) => o.id === latest?.id) ?? latest;
  return toEntryView(updated[0] ?? entry, offer, now);
}

/**
 * Declines a live offer of the caller's (staff: anyone's): it becomes `declined`, its hold is released,
 * the entry keeps waiting (this slot is never offered to it again) and the slot passes on at once (the
 * time-freed job). Two round trips.
 * @throws AppError NOT_FOUND, CONFLICT (no longer offered: accepted, declined or expired)
 */
export async function declineOffer(ctx: AuthedContext, id: string): Promise<OfferView> {
  const row = await ctx.db.select().from(waitlistOffers).where(eq(waitlistOffers.id, id)).get();
  if (!row || (row.patientId !== ctx.actor.id && !isStaff(ctx.actor))) throw notFound('Waitlist offer');
  const now = ctx.clock.now().getTime();
  const status = offerStatus(row, now);
  if (status !== 'offered') throw new AppError('CONFLICT', `This offer is ${status} and can no longer be declined`);
  // The audit row is guarded on the update: an offer booked or expired meanwhile rolls the batch
  // back (hold release included) and answers 409, leaving nothing written.
  let updated: WaitlistOfferRow[];
  try {
    [updated] = await ctx.db.batch([
      ctx.db
        .update(waitlistOffers)
        .set({ status: 'declined', endedAt: now })
        .where(and(eq(waitlistOffers.id, id), eq(waitlistOffers.status, 'offered'), gt(waitlistOffers.expiresAt, now)))
        .returning(),
      auditInsert(
        ctx,
        {
          action: 'waitlist.decline',
          resourceType: 'waitlist-offer',
          resourceId: id,
          patientId: row.patientId,
          metadata: { entryId: row.entryId, startsAt: iso(row.startsAt) },
        },
        { guard: 'one-row-changed' },
      ),
      ...releaseHoldStatements(ctx, [row.holdId]),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw new AppError('CONFLICT', 'This offer changed meanwhile (booked or expired)');
    throw err;
  }
  const done = updated[0]!;
  announceTimeFreed(ctx, row.doctorId);
  return toOfferView(done, now);
}
