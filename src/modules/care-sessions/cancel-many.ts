import { and, inArray, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import { careSessionEvents, careSessions, LIVE_CARE_SESSION_STATUSES, slotClaims } from '../../db/schema';
import { qualified } from '../../db/sql';
import { cancelRemindersIn } from '../notifications/reminders';

/**
 * Statements (for the caller's batch) cancelling every live session `where` selects, set-based: their
 * time released, their reminders removed, a `cancel` event each by `by` with `reason`, then the status.
 * For protocols that end many sessions at once (a patient's death, a caregiver's account erased).
 */
export function cancelLiveSessions(
  ctx: ServiceContext,
  where: SQL | undefined,
  by: { id: string; role: string },
  reason: string,
): Statements {
  const now = ctx.clock.now().getTime();
  const live = and(where, inArray(careSessions.status, [...LIVE_CARE_SESSION_STATUSES]));
  const ids = ctx.db.select({ id: careSessions.id }).from(careSessions).where(live);
  return [
    ctx.db.delete(slotClaims).where(inArray(slotClaims.ownerId, ids)),
    cancelRemindersIn(ctx, 'care-session', ids),
    ctx.db.insert(careSessionEvents).select(
      ctx.db
        .select({
          id: sql<string>`'cevt_' || ${qualified(careSessions.id)} || '_' || ${now}`.as('id'),
          sessionId: sql<string>`${qualified(careSessions.id)}`.as('session_id'),
          action: sql<string>`'cancel'`.as('action'),
          fromStatus: sql<string>`${qualified(careSessions.status)}`.as('from_status'),
          toStatus: sql<string>`'cancelled'`.as('to_status'),
          actorId: sql<string>`${by.id}`.as('actor_id'),
          actorRole: sql<string>`${by.role}`.as('actor_role'),
          reason: sql<string>`${reason}`.as('reason'),
          data: sql<null>`null`.as('data'),
          at: sql<number>`${now}`.as('at'),
        })
        .from(careSessions)
        .where(live),
    ),
    ctx.db
      .update(careSessions)
      .set({ status: 'cancelled', cancelledBy: by.id, cancelReason: reason, updatedAt: now })
      .where(live),
  ];
}
