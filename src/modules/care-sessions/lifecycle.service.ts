import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf, type Statements } from '../../db/batch';
import { type CareSessionRow, careSessionEvents, careSessions, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { releaseClaims } from '../appointments/claims';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { seenSession, sessionDetails, toCareSessionView } from './care-session-access';
import type { CareSessionView } from './care-sessions.schemas';
import {
  CARE_TRANSITIONS,
  type CareTransition,
  type CareTransitionAction,
  careBill,
  checkCareTransition,
} from './lifecycle.policy';
import { cancelCareReminders, noticeCareChange } from './session-notices';

/**
 * Takes one lifecycle action on a care session (lifecycle.policy.ts decides who and when), in two round
 * trips: the session with the caller's relation, then one batch that changes it only if its status is
 * still the one read (a concurrent change loses with INVALID_TRANSITION and writes nothing), appends
 * the event, releases its time or cancels its reminders as the table says, and audits. Check-in and
 * check-out record the instants; check-out fixes the bill. The other side is told after the response.
 * @throws AppError NOT_FOUND (not the caller's), FORBIDDEN (the caller's relation may not act),
 *   INVALID_TRANSITION (wrong status or time, or a concurrent change)
 */
export async function transitionCareSession(
  ctx: AuthedContext,
  id: string,
  action: CareTransitionAction,
  input: { reason?: string },
): Promise<CareSessionView> {
  const read = await batchOf(ctx.db, {
    rows: sessionDetails(ctx).where(eq(careSessions.id, id)),
    me: ctx.db.select({ name: users.name }).from(users).where(eq(users.id, ctx.actor.id)),
  });
  const detail = seenSession(read.rows[0]);
  const now = ctx.clock.now().getTime();
  const check = checkCareTransition(action, detail.status, detail.relation, { now, ...detail });
  if (!check.ok) throw new AppError(check.code, check.message, { details: { action, status: detail.status } });
  const rule: CareTransition = CARE_TRANSITIONS[action];

  const changes: Partial<CareSessionRow> = { status: check.to, updatedAt: now };
  if (action === 'cancel') Object.assign(changes, { cancelledBy: ctx.actor.id, cancelReason: input.reason ?? null });
  if (action === 'check-in') changes.checkedInAt = now;
  if (action === 'check-out') {
    Object.assign(changes, { checkedOutAt: now, ...careBill(detail.hourlyRateCents, detail.checkedInAt ?? now, now) });
  }
  const statements: Statements = [
    ctx.db
      .update(careSessions)
      .set(changes)
      .where(and(eq(careSessions.id, id), eq(careSessions.status, detail.status))),
    auditInsert(
      ctx,
      {
        action: `care_session.${action}`,
        resourceType: 'care_session',
        resourceId: id,
        patientId: detail.patientId,
        metadata: { from: detail.status, to: check.to, ...(input.reason ? { reason: input.reason } : {}) },
      },
      { guard: 'one-row-changed' },
    ),
    ctx.db.insert(careSessionEvents).values({
      id: ctx.ids.id('cevt'),
      sessionId: id,
      action,
      fromStatus: detail.status,
      toStatus: check.to,
      actorId: ctx.actor.id,
      actorRole: ctx.actor.role,
      reason: input.reason ?? null,
      data:
        action === 'check-out'
          ? {
              actualMinutes: changes.actualMinutes,
              billedMinutes: changes.billedMinutes,
              amountCents: changes.amountCents,
            }
          : null,
      at: now,
    }),
  ];
  if (rule.claims === 'release') statements.push(releaseClaims(ctx, [id]));
  if (rule.reminders === 'cancel') statements.push(cancelCareReminders(ctx, id));
  try {
    await ctx.db.batch(statements as [Statements[number], ...Statements]);
  } catch (err) {
    if (!auditGuardTripped(err)) throw err;
    throw new AppError('INVALID_TRANSITION', 'Another request changed this care session first; read it again', {
      details: { action },
    });
  }
  if (detail.mode === 'virtual' && rule.claims === 'release') {
    // Whoever is in the session's call room is told and disconnected (a no-op when the room ended it).
    ctx.defer(ctx.ports.realtime.closeRoom(id, check.to));
  }
  noticeCareChange(ctx, action, detail, read.me[0]?.name ?? null);
  return toCareSessionView(detail, changes);
}
