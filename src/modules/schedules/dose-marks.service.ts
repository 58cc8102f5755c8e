import { and, eq, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { runBatch } from '../../db/batch';
import { type DoseRow, doses, schedules } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { type ScheduleInfo, toDoseView } from './dose-reads.service';
import { cancelDoseReminder } from './dose-reminders';
import { MARK_AHEAD_MS, pendingDose, unstoredOccurrenceById } from './doses.service';
import type { DoseView, SkipDoseInput, TakeDoseInput } from './schedules.schemas';
import { withSupplementName } from './schedules.service';

/**
 * Marking doses taken or skipped: one read batch, one write batch (two D1 round trips). Transitions are
 * checked against the stored status, as they always were: a pending dose past its grace, which reads
 * already show missed, can still be skipped until the cron stores it missed (within a minute or so).
 */

const validation = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

interface Markable {
  dose: DoseRow;
  info: ScheduleInfo | undefined;
  /** False for a dose a read listed beyond its schedule's stored horizon: marking stores it first. */
  stored: boolean;
}

/**
 * One of the caller's doses by id: a stored one, or one a read lists beyond its active schedule's
 * stored horizon (its id is derived from the occurrence, see `doseIdOf`). One round trip.
 * @throws AppError NOT_FOUND (no such dose of the caller's)
 */
async function markableDose(ctx: AuthedContext, id: string): Promise<Markable> {
  const ownerId = ctx.actor.id;
  const [[row], owned] = await ctx.db.batch([
    ctx.db
      .select()
      .from(doses)
      .where(and(eq(doses.id, id), eq(doses.ownerId, ownerId)))
      .limit(1),
    withSupplementName(ctx).where(eq(schedules.ownerId, ownerId)),
  ]);
  if (row) return { dose: row, info: owned.find((o) => o.schedule.id === row.scheduleId), stored: true };
  const now = ctx.clock.now().getTime();
  for (const info of owned) {
    const occurrence = unstoredOccurrenceById(info.schedule, id);
    if (occurrence) return { dose: pendingDose(info.schedule, occurrence, now), info, stored: false };
  }
  throw notFound('Dose');
}

/**
 * Changes a dose's status in one batch with its audit event, storing it first when it was not stored
 * yet (ON CONFLICT DO NOTHING: the cron may have stored it meanwhile, under the same id). The update is
 * guarded on the statuses it may leave.
 * @throws AppError INVALID_TRANSITION (the dose changed meanwhile)
 */
async function setDoseStatus(
  ctx: ServiceContext,
  current: Markable,
  from: DoseRow['status'][],
  changes: Pick<DoseRow, 'status'> & Partial<Pick<DoseRow, 'takenAt' | 'note'>>,
): Promise<DoseView> {
  const { dose } = current;
  const now = ctx.clock.now().getTime();
  const statements: BatchItem<'sqlite'>[] = [];
  if (!current.stored) statements.push(ctx.db.insert(doses).values(dose).onConflictDoNothing());
  statements.push(
    ctx.db
      .update(doses)
      .set({ ...changes, updatedAt: now })
      .where(and(eq(doses.id, dose.id), eq(doses.ownerId, dose.ownerId), inArray(doses.status, from)))
      .returning(),
    auditInsert(ctx, {
      action: changes.status === 'taken' ? 'dose.take' : 'dose.skip',
      resourceType: 'dose',
      resourceId: dose.id,
      patientId: dose.ownerId,
      metadata: { scheduleId: dose.scheduleId, from: dose.status, to: changes.status },
    }),
    // Done before its reminder went out: the reminder would ask for what is done. Also when the update
    // found the dose marked meanwhile (then it is done all the same).
    cancelDoseReminder(ctx, dose.id),
  );
  const results = await runBatch(ctx.db, statements);
  const [updated] = results[current.stored ? 0 : 1] as DoseRow[];
  if (!updated) throw new AppError('INVALID_TRANSITION', 'This dose changed meanwhile; read it again');
  return toDoseView(updated, current.info, now);
}

/**
 * Marks one of the caller's doses taken at `takenAt` (default now). Pending and missed doses can be
 * taken, also of a paused or deleted schedule, and a dose listed beyond its schedule's stored horizon
 * (stored first).
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (takenAt in the future or over 24 h before the dose is
 *   due), INVALID_TRANSITION (already taken, or skipped)
 */
export async function takeDose(ctx: AuthedContext, id: string, input: TakeDoseInput): Promise<DoseView> {
  const current = await markableDose(ctx, id);
  const now = ctx.clock.now().getTime();
  const takenAt = input.takenAt ? Date.parse(input.takenAt) : now;
  if (takenAt > now) throw validation('takenAt', 'Must not be in the future');
  if (takenAt < current.dose.scheduledAt - MARK_AHEAD_MS) {
    throw validation('takenAt', 'Must not be more than 24 hours before the dose is due');
  }
  const { status } = current.dose;
  if (status !== 'pending' && status !== 'missed') {
    throw new AppError('INVALID_TRANSITION', `A ${status} dose cannot be marked taken`);
  }
  return setDoseStatus(ctx, current, ['pending', 'missed'], {
    status: 'taken',
    takenAt,
    ...(input.note !== undefined ? { note: input.note } : {}),
  });
}

/**
 * Marks one of the caller's pending doses skipped (from 24 h before it is due), also a dose listed
 * beyond its schedule's stored horizon (stored first).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not pending, or due more than 24 h from now)
 */
export async function skipDose(ctx: AuthedContext, id: string, input: SkipDoseInput): Promise<DoseView> {
  const current = await markableDose(ctx, id);
  if (current.dose.status !== 'pending') {
    throw new AppError('INVALID_TRANSITION', `A ${current.dose.status} dose cannot be skipped`);
  }
  if (current.dose.scheduledAt - MARK_AHEAD_MS > ctx.clock.now().getTime()) {
    throw new AppError('INVALID_TRANSITION', 'A dose can be skipped from 24 hours before it is due');
  }
  return setDoseStatus(ctx, current, ['pending'], {
    status: 'skipped',
    ...(input.note !== undefined ? { note: input.note } : {}),
  });
}
