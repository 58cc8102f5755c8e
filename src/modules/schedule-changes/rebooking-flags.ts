import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext } from '../../context';
import {
  type AffectedBy,
  type AwaitingReminderFacts,
  flaggedView,
  flagStatements,
  relinkStatement,
  restoredView,
  restoreStatements,
} from '../appointments/affected';
import type { AppointmentDetail, AppointmentView } from '../appointments/appointment-access';
import { detailView } from '../appointments/appointment-access';
import { type Cause, released, takenBy } from './schedule-changes.policy';

/**
 * What one change of a doctor's schedule does to their bookings, planned from what the read batch
 * found, as statements for the change's write batch and the views to answer once it committed:
 * - `cause` (new or changed) flags the movable bookings it takes that nothing flagged yet (their pending
 *   reminders removed);
 * - the bookings `undone` flagged that it (or what replaced it) no longer takes are linked to the first of
 *   `remaining` that still takes them, or restored (their reminders scheduled again from `undone.facts`,
 *   `awaitingReminderFactsQuery` in the read batch).
 */
export function planRebooking(
  ctx: AuthedContext,
  change: {
    cause?: Cause;
    movable?: readonly AppointmentDetail[];
    undone?: { id: string; flagged: readonly AppointmentDetail[]; facts: readonly AwaitingReminderFacts[] };
    remaining: readonly Cause[];
  },
) {
  const now = ctx.clock.now().getTime();
  const { taken, flag } = change.cause ? takenBy(change.cause, change.movable ?? []) : { taken: [], flag: [] };
  const stillTaken = (a: AppointmentDetail) => change.cause?.takes({ start: a.startsAt, end: a.endsAt }) ?? false;
  const undone = change.undone ? change.undone.flagged.filter((a) => !stillTaken(a)) : [];
  const { restored, relinked } = released(undone, change.remaining);
  const cause: AffectedBy | null = change.cause ? { id: change.cause.id, kind: change.cause.kind } : null;

  const flagging = cause ? flagStatements(ctx, ids(flag), cause) : [];
  const statements: BatchItem<'sqlite'>[] = [
    ...flagging,
    ...(change.undone ? restoreStatements(ctx, restored, change.undone.id, change.undone.facts) : []),
    ...[...relinked].map(([to, bookings]) =>
      relinkStatement(ctx, ids(bookings), change.undone!.id, { id: to.id, kind: to.kind }),
    ),
  ];
  // The flag UPDATE, the last of `flagging`, returns the ids it flagged (rows changed meanwhile drop out).
  const flaggedAt = flagging.length - 1;
  return {
    statements,
    /**
     * The answer once the batch committed (`results`, with `statements` at index `start`): every booking
     * the cause takes (flagged now or before), those flagged now, and the restored; the caller tells patients.
     */
    outcome(
      results: readonly unknown[],
      start: number,
    ): { affected: AppointmentView[]; flagged: AppointmentView[]; restored: AppointmentView[] } {
      const flaggedIds = new Set(
        flaggedAt < 0 ? [] : (results[start + flaggedAt] as { id: string }[]).map((r) => r.id),
      );
      const flagged = taken.filter((a) => flaggedIds.has(a.id)).map((a) => flaggedView(a, cause!, now));
      const affected = taken
        .filter((a) => flaggedIds.has(a.id) || a.needsRebooking)
        .map((a) => (flaggedIds.has(a.id) ? flaggedView(a, cause!, now) : detailView(a)));
      return { affected, flagged, restored: restored.map((a) => restoredView(a, now)) };
    },
  };
}

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);
