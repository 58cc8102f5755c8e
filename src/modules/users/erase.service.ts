import { and, eq, gt, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import {
  appointmentAttachments,
  appointmentEvents,
  appointmentHolds,
  appointmentNotes,
  appointments,
  calendarFeeds,
  caregiverLinks,
  caregiverNotes,
  caregiverRequests,
  dependents,
  deviceTokens,
  doses,
  emergencyContacts,
  files,
  idempotencyKeys,
  LIVE_STATUSES,
  loginChallenges,
  notificationPreferences,
  oneTimeCodes,
  passkeys,
  recoveryCodes,
  refreshTokens,
  schedules,
  sessions,
  slotClaims,
  userMfa,
  userProfiles,
  users,
  vaccineSchedules,
  webauthnChallenges,
} from '../../db/schema';
import { auditInsert } from '../audit/audit.service';

export type EraseMode = 'anonymize' | 'purge';

/**
 * Statements deleting everything personal that hangs off an account. Modules that add personal data
 * keyed by user (schedules, appointments, care reports…) add their statements here, so account
 * deletion stays complete. Records the law or accounting requires (audit events, payments) are kept
 * and carry only ids.
 */
function personalDataStatements(ctx: ServiceContext, userId: string): BatchItem<'sqlite'>[] {
  const db = ctx.db;
  return [
    db.delete(userProfiles).where(eq(userProfiles.userId, userId)),
    db.delete(emergencyContacts).where(eq(emergencyContacts.userId, userId)),
    db.delete(doses).where(eq(doses.ownerId, userId)),
    db.delete(schedules).where(eq(schedules.ownerId, userId)),
    db.delete(vaccineSchedules).where(eq(vaccineSchedules.ownerId, userId)),
    db.delete(dependents).where(eq(dependents.userId, userId)),
    db.delete(deviceTokens).where(eq(deviceTokens.userId, userId)),
    db.delete(notificationPreferences).where(eq(notificationPreferences.userId, userId)),
    db.delete(passkeys).where(eq(passkeys.userId, userId)),
    db.delete(userMfa).where(eq(userMfa.userId, userId)),
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    db.delete(oneTimeCodes).where(eq(oneTimeCodes.userId, userId)),
    db.delete(loginChallenges).where(eq(loginChallenges.userId, userId)),
    db.delete(webauthnChallenges).where(eq(webauthnChallenges.userId, userId)),
    db.delete(refreshTokens).where(eq(refreshTokens.userId, userId)),
    db.delete(sessions).where(eq(sessions.userId, userId)),
    db.delete(files).where(eq(files.ownerId, userId)),
  ];
}

/** Why appointments were cancelled by an account's erasure (their history and cancellation say so). */
export const ACCOUNT_DELETED_REASON = 'Account deleted';

/**
 * Statements for the appointment data of an erased account; they run first in the erasure batch (the
 * attachment links are found through the account's files, deleted later in the batch).
 * - Always: the account's holds and their slot claims, its calendar feed and idempotency keys, and the
 *   attachment links of its files (the files themselves go with the other personal data).
 * - `anonymize`, as patient: future live appointments are cancelled (by the account, reason
 *   ACCOUNT_DELETED_REASON, a `cancel` history row each, claims released) so the doctors' time frees up,
 *   and their free-text reason and symptoms are cleared, as the visit will not happen. Past appointments
 *   stay with their notes: they are the doctor's records, and the tombstone user row names no one.
 * - `purge`, as patient: every appointment of theirs goes, with its history, notes, attachment links and claims.
 * - As a doctor (both modes): future live appointments are cancelled with a full refund due
 *   (`doctorStatements`); past ones stay, as the patients' records.
 */
function appointmentStatements(ctx: ServiceContext, userId: string, mode: EraseMode): BatchItem<'sqlite'>[] {
  const db = ctx.db;
  const holdIds = db
    .select({ id: appointmentHolds.id })
    .from(appointmentHolds)
    .where(eq(appointmentHolds.patientId, userId));
  const fileIds = db.select({ id: files.id }).from(files).where(eq(files.ownerId, userId));
  const always: BatchItem<'sqlite'>[] = [
    db.delete(slotClaims).where(inArray(slotClaims.ownerId, holdIds)),
    db.delete(appointmentHolds).where(eq(appointmentHolds.patientId, userId)),
    db.delete(appointmentAttachments).where(inArray(appointmentAttachments.fileId, fileIds)),
    db.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId)),
    db.delete(idempotencyKeys).where(eq(idempotencyKeys.userId, userId)),
  ];
  if (mode === 'purge') {
    const theirs = db.select({ id: appointments.id }).from(appointments).where(eq(appointments.patientId, userId));
    return [
      ...always,
      db.delete(slotClaims).where(inArray(slotClaims.ownerId, theirs)),
      db.delete(appointmentEvents).where(inArray(appointmentEvents.appointmentId, theirs)),
      db.delete(appointmentNotes).where(inArray(appointmentNotes.appointmentId, theirs)),
      db.delete(appointmentAttachments).where(inArray(appointmentAttachments.appointmentId, theirs)),
      db.delete(appointments).where(eq(appointments.patientId, userId)),
      ...doctorStatements(ctx, userId),
    ];
  }
  return [
    ...always,
    ...cancelUpcoming(ctx, eq(appointments.patientId, userId), {
      cancelledBy: userId,
      reason: ACCOUNT_DELETED_REASON,
      fullRefund: false,
    }),
    ...doctorStatements(ctx, userId),
  ];
}

/**
 * A doctor's erasure (both modes) cancels their future live appointments with a full refund due, as
 * any cancellation by the doctor, so patients are not left holding bookings nobody will attend. The
 * appointments themselves stay: they are the patients' records too.
 */
function doctorStatements(ctx: ServiceContext, userId: string): BatchItem<'sqlite'>[] {
  return cancelUpcoming(ctx, eq(appointments.doctorId, userId), {
    cancelledBy: userId,
    reason: DOCTOR_DELETED_REASON,
    fullRefund: true,
  });
}

/** Why a doctor's upcoming appointments were cancelled by their account's erasure. */
export const DOCTOR_DELETED_REASON = 'The doctor is no longer available';

/**
 * Statements cancelling the future live appointments matching `scope`: a `cancel` history row each
 * (written first, while the rows still match), their claims released (the time frees up at once), and
 * the rows cancelled with the free-text reason and symptoms cleared (the visit will not happen). With
 * `fullRefund` the whole price is due back (recorded for the payments module); otherwise no refund is
 * computed.
 */
function cancelUpcoming(
  ctx: ServiceContext,
  scope: SQL,
  options: { cancelledBy: string; reason: string; fullRefund: boolean },
): BatchItem<'sqlite'>[] {
  const db = ctx.db;
  const now = ctx.clock.now().getTime();
  const upcoming = and(scope, inArray(appointments.status, LIVE_STATUSES), gt(appointments.startsAt, now));
  // Event ids in SQL (one per cancelled row): this instant's ULID time part plus 64 random bits.
  const eventId = sql<string>`${ctx.ids.id('aev').slice(0, 14)} || substr(hex(randomblob(8)), 1, 16)`;
  return [
    db.insert(appointmentEvents).select(
      db
        .select({
          id: eventId.as('id'),
          appointmentId: appointments.id,
          action: sql<'cancel'>`'cancel'`.as('action'),
          fromStatus: appointments.status,
          toStatus: sql<'cancelled'>`'cancelled'`.as('toStatus'),
          actorId: sql<string>`${ctx.actor?.id ?? options.cancelledBy}`.as('actorId'),
          actorRole: sql<string>`${ctx.actor?.role ?? 'user'}`.as('actorRole'),
          reason: sql<string>`${options.reason}`.as('reason'),
          data: sql<null>`null`.as('data'),
          at: sql<number>`${now}`.as('at'),
        })
        .from(appointments)
        .where(upcoming),
    ),
    db
      .delete(slotClaims)
      .where(inArray(slotClaims.ownerId, db.select({ id: appointments.id }).from(appointments).where(upcoming))),
    db
      .update(appointments)
      .set({
        status: 'cancelled',
        cancelledBy: options.cancelledBy,
        cancellationReason: options.reason,
        cancelledAt: now,
        reason: null,
        symptoms: null,
        ...(options.fullRefund ? { refundPercent: 100, refundDueCents: sql`${appointments.priceCents}` } : {}),
        updatedAt: now,
      })
      .where(upcoming),
  ];
}

/**
 * Statements for the caregiver network of an erased account (both modes): its requests, sent and
 * received, are deleted; its active relationships end at once (ended by the account itself, so the
 * other side's lists and access update); the notes it wrote are deleted (the other person's notes on
 * a shared relationship are theirs and stay, unreachable once the link has ended).
 */
function caregiverStatements(ctx: ServiceContext, userId: string): BatchItem<'sqlite'>[] {
  const db = ctx.db;
  return [
    db
      .delete(caregiverRequests)
      .where(or(eq(caregiverRequests.requesterId, userId), eq(caregiverRequests.receiverId, userId))),
    db
      .update(caregiverLinks)
      .set({ endedAt: ctx.clock.now().getTime(), endedBy: userId })
      .where(
        and(
          or(eq(caregiverLinks.patientId, userId), eq(caregiverLinks.caregiverId, userId)),
          isNull(caregiverLinks.endedAt),
        ),
      ),
    db.delete(caregiverNotes).where(eq(caregiverNotes.authorId, userId)),
  ];
}

/**
 * Erases an account's personal data and files in one atomic batch, then deletes the stored objects
 * (appointments: see `appointmentStatements`; caregiver network: `caregiverStatements`).
 * - `anonymize` (self-deletion): the user row stays as a tombstone (`removed`, name "Deleted user", no
 *   email, number, password or Google link) so ids in kept records (audit, payments) still resolve.
 * - `purge` (admin permanent delete): the user row goes too.
 * Every access token dies at once: the row is gone or its token version is bumped and its sessions deleted.
 * @returns how many stored files were deleted
 */
export async function eraseAccount(
  ctx: ServiceContext,
  userId: string,
  mode: EraseMode,
  reason: string | null = null,
): Promise<{ filesDeleted: number }> {
  const keys = await ctx.db.select({ key: files.storageKey }).from(files).where(eq(files.ownerId, userId)).all();
  const now = ctx.clock.now().getTime();
  const userStatement =
    mode === 'purge'
      ? ctx.db.delete(users).where(eq(users.id, userId))
      : ctx.db
          .update(users)
          .set({
            email: null,
            mobileNumber: null,
            name: 'Deleted user',
            passwordHash: null,
            googleSub: null,
            subRoles: [],
            status: 'removed',
            statusReason: null,
            deletedAt: now,
            tokenVersion: sql`${users.tokenVersion} + 1`,
            updatedAt: now,
          })
          .where(eq(users.id, userId));
  await ctx.db.batch([
    ...appointmentStatements(ctx, userId, mode),
    ...caregiverStatements(ctx, userId),
    ...personalDataStatements(ctx, userId),
    userStatement,
    auditInsert(ctx, {
      action: mode === 'purge' ? 'user.purge' : 'user.anonymize',
      resourceType: 'user',
      resourceId: userId,
      reason,
      metadata: { files: keys.length },
    }),
  ] as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  // Objects go after the rows: a failure here leaves unreachable bytes under random keys, never a row
  // pointing at nothing. The cron can sweep orphans later.
  for (const { key } of keys) await ctx.ports.storage.delete(key);
  return { filesDeleted: keys.length };
}
