import { and, eq, inArray, isNotNull, ne, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  callConsents,
  callInvitations,
  callMessages,
  callParticipants,
  callRecordings,
  callSessions,
} from '../../db/schema';

/**
 * The calls module's part of an account erasure, the same in both modes. A call is the two parties'
 * alone (no clinical record keeps it; the visit itself stays with the appointment), so:
 * - the sessions of the account's appointments (as patient or doctor) go, with everything in them:
 *   participants, chat, consents, invitations and recordings (their R2 objects deleted and unfinished
 *   uploads aborted after the batch commits);
 * - in other rooms (the account was a guest): its own chat messages, consents and participant rows go;
 * - recordings it started in other rooms go too (it alone could upload them), bytes included;
 * - invitations it made or used go; a room it ended forgets who ended it.
 * Counts `callRecordings`: recordings whose stored bytes or upload were removed.
 */
export async function callsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Promise<Erasure> {
  const db = ctx.db;
  const theirs = or(eq(callSessions.doctorId, userId), eq(callSessions.patientId, userId));
  const sessionIds = db.select({ id: callSessions.id }).from(callSessions).where(theirs);
  const appointmentIds = db.select({ id: callSessions.appointmentId }).from(callSessions).where(theirs);
  const objects = await db
    .select({ key: callRecordings.storageKey, uploadId: callRecordings.uploadId, status: callRecordings.status })
    .from(callRecordings)
    .where(
      and(
        or(inArray(callRecordings.sessionId, sessionIds), eq(callRecordings.startedBy, userId)),
        isNotNull(callRecordings.storageKey),
        ne(callRecordings.status, 'deleted'),
      ),
    )
    .all();
  return {
    statements: [
      db
        .delete(callParticipants)
        .where(or(inArray(callParticipants.sessionId, sessionIds), eq(callParticipants.userId, userId))),
      db.delete(callMessages).where(or(inArray(callMessages.sessionId, sessionIds), eq(callMessages.senderId, userId))),
      db.delete(callConsents).where(or(inArray(callConsents.sessionId, sessionIds), eq(callConsents.userId, userId))),
      db
        .delete(callInvitations)
        .where(
          or(
            inArray(callInvitations.appointmentId, appointmentIds),
            eq(callInvitations.invitedBy, userId),
            eq(callInvitations.usedBy, userId),
          ),
        ),
      db
        .delete(callRecordings)
        .where(or(inArray(callRecordings.sessionId, sessionIds), eq(callRecordings.startedBy, userId))),
      db.delete(callSessions).where(theirs),
      db.update(callSessions).set({ endedBy: null }).where(eq(callSessions.endedBy, userId)),
    ],
    afterCommit: async () => {
      for (const { key, uploadId, status } of objects) {
        if (!key) continue;
        if (status === 'stored') await ctx.ports.storage.delete(key);
        else if (uploadId) await ctx.ports.storage.multipart?.abort(key, uploadId);
      }
    },
    counts: { callRecordings: objects.length },
  };
}
