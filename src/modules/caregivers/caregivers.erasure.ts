import { and, eq, isNull, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { caregiverLinks, caregiverNotes, caregiverRequests } from '../../db/schema';

/**
 * The caregivers module's part of an account erasure (both modes): its requests, sent and received,
 * are deleted; its active relationships end at once (ended by the account itself, so the other side's
 * lists and access update) and stay as ids for the other side's history; the notes it wrote are
 * deleted (the other person's notes on a shared relationship are theirs and stay, unreachable once
 * the link has ended).
 */
export function caregiversErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
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
    ],
  };
}
