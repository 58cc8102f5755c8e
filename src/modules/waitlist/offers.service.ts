import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { enqueueNotice } from '../../access/notices';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type WaitlistEntryRow, type WaitlistOfferRow, waitlistEntries, waitlistOffers } from '../../db/schema';
import { isNotNullViolation } from '../../db/sql';
import { formatterFor } from '../../lib/email/locale';
import { AppError } from '../../lib/errors';
import { addDays, localDateAt } from '../../lib/time';
import type { Job } from '../../platform/jobs';
import { partyZonesQuery } from '../appointments/appointment-reminders';
import { isClaimConflict } from '../appointments/claims';
import { systemHold } from '../appointments/holds.service';
import { freeSlots } from '../availability/free-slots.service';
import type { Slot } from '../availability/slots';
import { MAX_SLOT_RANGE_DAYS } from '../availability/slots';
import { TIME_FREED_JOB, type TimeFreedPayload } from '../availability/time-freed';
import { bookableDoctorQuery } from '../doctors/doctor-access';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';

/**
 * Offers, made off the request's path. Whenever a doctor's time may have become free (the time-freed
 * job: a cancellation, a move, a released hold, the doctor opening time, a declined offer, a new entry)
 * `matchDoctor` walks the doctor's waiting entries first come first served and offers each entry without
 * a live offer the earliest free slot of its range and window that it has not let pass, as a hold of
 * `waitlist.offerMinutes`. The slot rules are the free-slot rules (`freeSlots`), and a live offer's hold
 * claims its slot, so nobody else is offered or can book it until the hold ends. The cron expires
 * offers whose hold ran out (re-matching their doctors) and entries whose range has passed.
 */

/** Entries matched in one run: the rest are matched by the next time-freed job. */
const MATCH_LIMIT = 50;
/** Offers and entries expired per cron run. */
const SWEEP_LIMIT = 500;

/** The job that re-matches a doctor's waitlist (the time-freed job of the availability module). */
export const timeFreedJob = (doctorId: string): Job<TimeFreedPayload> => ({
  type: TIME_FREED_JOB,
  payload: { doctorId },
});

/** Minutes since midnight of a local `HH:MM`. */
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * Whether a slot lies inside an entry's time-of-day window: it starts at or after `timeFrom` and ends by
 * `timeTo` (local wall clock of the doctor's zone, on the same day).
 */
export function inWindow(slot: Slot, entry: Pick<WaitlistEntryRow, 'timeFrom' | 'timeTo'>): boolean {
  const start = minutesOf(slot.localStart.slice(11, 16));
  const sameDay = slot.localStart.slice(0, 10) === slot.localEnd.slice(0, 10);
  const end = sameDay ? minutesOf(slot.localEnd.slice(11, 16)) : 24 * 60;
  if (entry.timeFrom !== null && start < minutesOf(entry.timeFrom)) return false;
  if (entry.timeTo !== null && end > minutesOf(entry.timeTo)) return false;
  return true;
}

/**
 * The earliest free slot of the entry's service in its range (from the doctor's today) and window, that
 * the entry has not let pass, or null. Reads the free slots by the public rules, in ranges of at most
 * MAX_SLOT_RANGE_DAYS (one round trip each, stopping at the first range with a match).
 */
async function firstFreeSlot(
  ctx: ServiceContext,
  entry: WaitlistEntryRow,
  passed: Set<number>,
  today: string,
): Promise<Slot | null> {
  const start = entry.fromDate > today ? entry.fromDate : today;
  for (let from = start; from <= entry.toDate; from = addDays(from, MAX_SLOT_RANGE_DAYS)) {
    const chunkEnd = addDays(from, MAX_SLOT_RANGE_DAYS - 1);
    const to = chunkEnd < entry.toDate ? chunkEnd : entry.toDate;
    const { slots } = await freeSlots(ctx, entry.doctorId, entry.serviceId, from, to);
    const found = slots.find((slot) => inWindow(slot, entry) && !passed.has(Date.parse(slot.start)));
    if (found) return found;
  }
  return null;
}

/**
 * Re-matches a doctor's waitlist (the consumer of the time-freed job); answers the offers made. Entries
 * whose doctor or service is no longer bookable are skipped. An offer is written in one batch: the hold
 * and its claim units, the offer (its insert refuses an entry that stopped waiting or got a live offer
 * meanwhile) and the patient's zone is read back for the notice; a slot taken meanwhile skips to the
 * next entry. The patient is told through the notification pipeline.
 */
export async function matchDoctor(ctx: ServiceContext, doctorId: string): Promise<number> {
  const now = ctx.clock.now().getTime();
  const read = await batchOf(ctx.db, {
    doctor: bookableDoctorQuery(ctx, doctorId),
    entries: ctx.db
      .select()
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.doctorId, doctorId), eq(waitlistEntries.status, 'waiting')))
      .orderBy(asc(waitlistEntries.createdAt), asc(waitlistEntries.id))
      .limit(MATCH_LIMIT),
    offers: ctx.db
      .select({
        entryId: waitlistOffers.entryId,
        startsAt: waitlistOffers.startsAt,
        status: waitlistOffers.status,
        expiresAt: waitlistOffers.expiresAt,
      })
      .from(waitlistOffers)
      .where(
        inArray(
          waitlistOffers.entryId,
          ctx.db
            .select({ id: waitlistEntries.id })
            .from(waitlistEntries)
            .where(and(eq(waitlistEntries.doctorId, doctorId), eq(waitlistEntries.status, 'waiting'))),
        ),
      ),
    settings: settingsQuery(ctx),
  });
  const doctor = read.doctor[0];
  if (!doctor || doctor.user.verifiedAt === null) return 0;
  primeSettings(ctx, read.settings);
  const offerMinutes = await getSetting(ctx, 'waitlist.offerMinutes');
  const today = localDateAt(now, doctor.profile.timeZone);
  let made = 0;
  for (const entry of read.entries) {
    if (entry.toDate < today) continue;
    const mine = read.offers.filter((o) => o.entryId === entry.id);
    if (mine.some((o) => o.status === 'offered' && o.expiresAt > now)) continue;
    const passed = new Set(mine.filter((o) => o.status !== 'offered' || o.expiresAt <= now).map((o) => o.startsAt));
    let slot: Slot | null;
    try {
      slot = await firstFreeSlot(ctx, entry, passed, today);
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') continue; // the service is gone
      throw err;
    }
    if (slot && (await offerSlot(ctx, entry, slot, doctor, offerMinutes))) made++;
  }
  return made;
}

/** Writes one offer and tells the patient; false when the slot or the entry changed meanwhile. */
async function offerSlot(
  ctx: ServiceContext,
  entry: WaitlistEntryRow,
  slot: Slot,
  doctor: { user: { name: string }; profile: { bufferMinutes: number; timeZone: string } },
  offerMinutes: number,
): Promise<boolean> {
  const now = ctx.clock.now().getTime();
  const expiresAt = now + offerMinutes * 60_000;
  const span = {
    doctorId: entry.doctorId,
    startsAt: Date.parse(slot.start),
    endsAt: Date.parse(slot.end),
    bufferMinutes: doctor.profile.bufferMinutes,
  };
  const hold = systemHold(ctx, { patientId: entry.patientId, serviceId: entry.serviceId, span, expiresAt });
  const row: WaitlistOfferRow = {
    id: ctx.ids.id('wlo'),
    entryId: entry.id,
    patientId: entry.patientId,
    doctorId: entry.doctorId,
    serviceId: entry.serviceId,
    startsAt: span.startsAt,
    endsAt: span.endsAt,
    holdId: hold.row.id,
    status: 'offered',
    expiresAt,
    createdAt: now,
    endedAt: null,
  };
  // entry_id is NOT NULL: an entry that stopped waiting or has a live offer fails the batch.
  const guardedEntry = sql<string>`(case when exists (select 1 from ${waitlistEntries} where ${waitlistEntries.id} = ${entry.id} and ${waitlistEntries.status} = 'waiting') and not exists (select 1 from ${waitlistOffers} where ${waitlistOffers.entryId} = ${entry.id} and ${waitlistOffers.status} = 'offered' and ${waitlistOffers.expiresAt} > ${now}) then ${entry.id} end)`;
  let zones: { userId: string; timeZone: string | null }[];
  try {
    const results = await ctx.db.batch([
      ctx.db.insert(waitlistOffers).values({ ...row, entryId: guardedEntry }),
      ...hold.statements,
      partyZonesQuery(ctx, { patientId: entry.patientId, doctorId: entry.doctorId }),
    ] as const);
    zones = results.at(-1) as typeof zones;
  } catch (err) {
    if (isClaimConflict(err) || isNotNullViolation(err, waitlistOffers.entryId)) return false;
    throw err;
  }
  const zone = zones.find((z) => z.userId === entry.patientId)?.timeZone ?? entry.timeZone;
  const format = formatterFor(null, zone);
  const doctorName = doctor.user.name;
  await enqueueNotice(ctx, {
    recipients: [entry.patientId],
    kind: 'waitlist.offer',
    type: 'appointment',
    template: 'notice',
    data: {
      title: `A slot with ${doctorName} is free`,
      message: [
        `${doctorName} has a free slot on ${format.dateTime(row.startsAt)}, and it is held for you until ${format.time(expiresAt)}.`,
        'Book it with the hold in the app before then, or decline it so it passes to the next patient on the waitlist.',
      ].join('\n\n'),
      offerId: row.id,
      entryId: entry.id,
      holdId: row.holdId,
      doctorId: entry.doctorId,
      startsAt: row.startsAt,
      expiresAt,
      timeZone: zone,
    },
    subject: { type: 'waitlist-offer', id: row.id },
  });
  return true;
}

/** The time-freed job's consumer: re-matches the doctor's waitlist. */
export async function consumeTimeFreed(ctx: ServiceContext, job: Job): Promise<void> {
  const { doctorId } = job.payload as TimeFreedPayload;
  if (typeof doctorId === 'string') await matchDoctor(ctx, doctorId);
}

/**
 * The cron's sweep: offers whose hold ran out become `expired` and their doctors are re-matched (a
 * time-freed job each, so the slot passes to the next patient); waiting entries whose last date has
 * passed in the doctor's zone become `expired`. Answers how many rows changed.
 */
export async function expireWaitlist(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  // Every zone's today is within a day of the UTC date: candidates end before tomorrow (UTC).
  const utcTomorrow = addDays(new Date(now).toISOString().slice(0, 10), 1);
  const read = await batchOf(ctx.db, {
    offers: ctx.db
      .select({ id: waitlistOffers.id, doctorId: waitlistOffers.doctorId })
      .from(waitlistOffers)
      .where(and(eq(waitlistOffers.status, 'offered'), lte(waitlistOffers.expiresAt, now)))
      .limit(SWEEP_LIMIT),
    entries: ctx.db
      .select({ id: waitlistEntries.id, toDate: waitlistEntries.toDate, timeZone: waitlistEntries.timeZone })
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.status, 'waiting'), lte(waitlistEntries.toDate, utcTomorrow)))
      .limit(SWEEP_LIMIT),
  });
  const ended = read.entries.filter((e) => e.toDate < localDateAt(now, e.timeZone)).map((e) => e.id);
  if (!read.offers.length && !ended.length) return 0;
  const offerIds = read.offers.map((o) => o.id);
  const [offers, entries] = await ctx.db.batch([
    ctx.db
      .update(waitlistOffers)
      .set({ status: 'expired', endedAt: now })
      .where(and(inArray(waitlistOffers.id, offerIds), eq(waitlistOffers.status, 'offered')))
      .returning({ doctorId: waitlistOffers.doctorId }),
    ctx.db
      .update(waitlistEntries)
      .set({ status: 'expired', updatedAt: now })
      .where(and(inArray(waitlistEntries.id, ended), eq(waitlistEntries.status, 'waiting')))
      .returning({ id: waitlistEntries.id }),
  ]);
  const doctors = [...new Set(offers.map((o) => o.doctorId))];
  if (doctors.length) await ctx.ports.jobs.enqueue(doctors.map(timeFreedJob));
  return offers.length + entries.length;
}
