import { and, eq, gt, gte, inArray, lt, not, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  appointmentAttachments,
  appointmentEvents,
  appointmentHolds,
  appointmentNotes,
  appointments,
  calendarFeeds,
  files,
  idempotencyKeys,
  slotClaims,
} from '../../db/schema';
import { getSetting } from '../settings/settings.service';
import { type Relation, sqlEventId } from './appointment-access';
import { cancelAppointmentRemindersWhere } from './appointment-reminders';
import { TRANSITIONS } from './lifecycle.policy';
import { type RefundBand, type RefundTier, refundBands } from './refund.policy';

/** Why a patient's upcoming appointments were cancelled by their account's erasure. */
export const ACCOUNT_DELETED_REASON = 'Account deleted';

/** Why a doctor's upcoming appointments were cancelled by their account's erasure. */
export const DOCTOR_DELETED_REASON = 'The doctor is no longer available';

const CANCEL = TRANSITIONS.cancel;

/**
 * The appointments module's part of an account erasure, and the only code that cancels or refunds
 * appointments on one. It must run before the files module's part (attachment links are found
 * through the account's files).
 * - Always: the account's holds with their slot claims, the holds other patients have on the
 *   account's time as a doctor (never bookable again) with theirs, its calendar feed and idempotency
 *   keys, and the attachment links of its files (the files go with the files module's part).
 * - Its upcoming appointments (`cancelUpcoming`) are cancelled by the lifecycle's `cancel` rule with
 *   the refund of the cancellation policy ('appointments.cancellationPolicy') for the erased
 *   account's relation to each:
 *   - as their doctor (both modes): a cancellation by the doctor, whoever runs the erasure, so the
 *     refund is the policy's for doctors and staff (the full price), reason DOCTOR_DELETED_REASON;
 *   - as their patient (`anonymize`, which only the patient's own self-deletion runs): deleting one's
 *     account is the patient cancelling, so the refund is what the policy gives a patient cancelling
 *     at that moment, by notice (under the default tiers 100 % a day or more ahead, 50 % two hours or
 *     more ahead, nothing later), or 100 % for one waiting to be rebooked (the doctor's time off or
 *     special hours took its time, as a cancellation of it would be), reason ACCOUNT_DELETED_REASON.
 * - Past appointments stay with their history and notes, as the other party's records (the tombstone
 *   user row names no one); so do appointments in progress, which `cancel` does not apply to.
 * - `purge`, as patient: every appointment of theirs goes instead, with its history, notes,
 *   attachment links, claims and the doctor's reminders of it.
 */
export async function appointmentsErasure(ctx: ServiceContext, userId: string, mode: EraseMode): Promise<Erasure> {
  const db = ctx.db;
  const policy = await getSetting(ctx, 'appointments.cancellationPolicy');
  const holdsWhere = (where: SQL) => db.select({ id: appointmentHolds.id }).from(appointmentHolds).where(where);
  const fileIds = db.select({ id: files.id }).from(files).where(eq(files.ownerId, userId));
  const statements: BatchItem<'sqlite'>[] = [
    db.delete(slotClaims).where(inArray(slotClaims.ownerId, holdsWhere(eq(appointmentHolds.patientId, userId)))),
    db.delete(appointmentHolds).where(eq(appointmentHolds.patientId, userId)),
    db.delete(slotClaims).where(inArray(slotClaims.ownerId, holdsWhere(eq(appointmentHolds.doctorId, userId)))),
    db.delete(appointmentHolds).where(eq(appointmentHolds.doctorId, userId)),
    db.delete(appointmentAttachments).where(inArray(appointmentAttachments.fileId, fileIds)),
    db.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId)),
    db.delete(idempotencyKeys).where(eq(idempotencyKeys.userId, userId)),
  ];
  const cancelling = { userId, policy };
  if (mode === 'anonymize') {
    statements.push(...cancelUpcoming(ctx, eq(appointments.patientId, userId), 'patient', cancelling));
  }
  statements.push(...cancelUpcoming(ctx, eq(appointments.doctorId, userId), 'doctor', cancelling));
  if (mode === 'purge') {
    const theirs = db.select({ id: appointments.id }).from(appointments).where(eq(appointments.patientId, userId));
    statements.push(
      cancelAppointmentRemindersWhere(ctx, eq(appointments.patientId, userId)),
      db.delete(slotClaims).where(inArray(slotClaims.ownerId, theirs)),
      db.delete(appointmentEvents).where(inArray(appointmentEvents.appointmentId, theirs)),
      db.delete(appointmentNotes).where(inArray(appointmentNotes.appointmentId, theirs)),
      db.delete(appointmentAttachments).where(inArray(appointmentAttachments.appointmentId, theirs)),
      db.delete(appointments).where(eq(appointments.patientId, userId)),
    );
  }
  return { statements };
}

/**
 * Statements cancelling, as the erased account in `relation`, the appointments in `scope` that start
 * after now and that the lifecycle's `cancel` applies to (TRANSITIONS.cancel: its statuses, its
 * relations, its claims rule). Set-based, so a doctor with hundreds of bookings still erases in one
 * batch of a few statements and nothing read beforehand can go stale: for each notice range of the
 * policy (`refundBands`, the ranges `refundFor` looks up) a `cancel` history row per appointment
 * (written first, while the rows still match; by the caller, or with none the erased account, with
 * the refund in its data as a cancellation's), their claims released (the time frees up at once) and
 * their reminders not sent yet removed (the other party's too),
 * and the rows cancelled by the erased account with the range's refund (`refundCents`' rounding, in
 * SQL), the reason given, and the free-text reason and symptoms cleared (the visit will not happen).
 */
function cancelUpcoming(
  ctx: ServiceContext,
  scope: SQL,
  relation: Relation,
  erasure: { userId: string; policy: readonly RefundTier[]; reason?: string },
): BatchItem<'sqlite'>[] {
  if (!(CANCEL.by as readonly Relation[]).includes(relation)) return [];
  const db = ctx.db;
  const now = ctx.clock.now().getTime();
  const reason = erasure.reason ?? (relation === 'doctor' ? DOCTOR_DELETED_REASON : ACCOUNT_DELETED_REASON);
  const actorId = ctx.actor?.id ?? erasure.userId;
  const actorRole = ctx.actor?.role ?? (relation === 'doctor' ? 'doctor' : 'user');
  const eventId = sqlEventId(ctx);
  // A patient's appointment waiting to be rebooked (the doctor took its time) is refunded in full, as
  // cancelling it would be; the policy's bands apply to the others.
  const awaiting = eq(appointments.needsRebooking, true);
  const ranges: { percent: number; where: SQL[] }[] =
    relation === 'patient'
      ? [
          ...refundBands(erasure.policy, relation).map((band) => ({
            percent: band.percent,
            where: [...noticeWithin(band, now), not(awaiting)],
          })),
          { percent: 100, where: [awaiting] },
        ]
      : refundBands(erasure.policy, relation).map((band) => ({
          percent: band.percent,
          where: noticeWithin(band, now),
        }));
  return ranges.flatMap((band) => {
    const rows = and(scope, inArray(appointments.status, CANCEL.from), gt(appointments.startsAt, now), ...band.where);
    // refundCents in SQL: integer arithmetic floors a non-negative price times a whole percent.
    const refundDue = sql<number>`cast(${appointments.priceCents} * ${band.percent} / 100 as integer)`;
    const statements: BatchItem<'sqlite'>[] = [
      db.insert(appointmentEvents).select(
        db
          .select({
            id: eventId.as('id'),
            appointmentId: appointments.id,
            action: sql<'cancel'>`'cancel'`.as('action'),
            fromStatus: appointments.status,
            toStatus: sql<typeof CANCEL.to>`${CANCEL.to}`.as('toStatus'),
            actorId: sql<string>`${actorId}`.as('actorId'),
            actorRole: sql<string>`${actorRole}`.as('actorRole'),
            reason: sql<string>`${reason}`.as('reason'),
            data: sql<string>`json_object('refund', json_object('percent', ${band.percent}, 'amountCents', ${refundDue}, 'currency', ${appointments.currency}), 'cancelledBy', ${relation})`.as(
              'data',
            ),
            at: sql<number>`${now}`.as('at'),
          })
          .from(appointments)
          .where(rows),
      ),
    ];
    if (CANCEL.claims === 'release') {
      statements.push(
        db
          .delete(slotClaims)
          .where(inArray(slotClaims.ownerId, db.select({ id: appointments.id }).from(appointments).where(rows))),
      );
    }
    if (CANCEL.reminders === 'cancel') statements.push(cancelAppointmentRemindersWhere(ctx, rows));
    statements.push(
      db
        .update(appointments)
        .set({
          status: CANCEL.to,
          cancelledBy: erasure.userId,
          cancellationReason: reason,
          cancelledAt: now,
          refundPercent: band.percent,
          refundDueCents: refundDue,
          // A paid visit's refund goes out as a cancellation's would (the payments cron sweep sends it).
          refundStatus: sql`case when ${appointments.paymentStatus} = 'paid' and ${refundDue} > 0 then 'pending' else ${appointments.refundStatus} end`,
          refundCents: sql`case when ${appointments.paymentStatus} = 'paid' and ${refundDue} > 0 then ${refundDue} else ${appointments.refundCents} end`,
          paymentDueAt: null,
          needsRebooking: false,
          reason: null,
          symptoms: null,
          updatedAt: now,
        })
        .where(rows),
    );
    return statements;
  });
}

/** Why a patient's upcoming appointments were cancelled when a care report recorded their death. */
export const PATIENT_DECEASED_REASON = 'The patient has passed away';

/**
 * Statements cancelling a patient's upcoming appointments on their death (a care report's `deceased`),
 * set-based like an erasure's: by staff (the platform, the reporting caregiver named as who cancelled),
 * so the cancellation policy refunds each in full, and a paid one's refund goes out with the payments
 * sweep. Appointments already cancelled or under way are left alone, so running it twice changes nothing.
 */
export function cancelUpcomingOfDeceased(ctx: ServiceContext, patientId: string, byId: string): BatchItem<'sqlite'>[] {
  return cancelUpcoming(ctx, eq(appointments.patientId, patientId), 'staff', {
    userId: byId,
    policy: [],
    reason: PATIENT_DECEASED_REASON,
  });
}

/** The conditions that an appointment's notice (its start less `now`) lies in `band`. */
function noticeWithin(band: RefundBand, now: number): SQL[] {
  const conditions: SQL[] = [];
  if (band.minNoticeMs !== null) conditions.push(gte(appointments.startsAt, now + band.minNoticeMs));
  if (band.maxNoticeMs !== null) conditions.push(lt(appointments.startsAt, now + band.maxNoticeMs));
  return conditions;
}
