import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type CallInvitationRow, callInvitations, LIVE_STATUSES } from '../../db/schema';
import { selectedRow } from '../../db/sql';
import { sha256Hex } from '../../lib/crypto';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { seenBy } from '../appointments/appointment-access';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import type { CreateInvitationInput, InvitationView } from './calls.schemas';
import { callAppointment } from './history.service';

/** Invitations not revoked and not expired that one appointment may have at once. */
export const MAX_LIVE_INVITATIONS = 5;

const MINUTE = 60_000;

export function toInvitationView(row: CallInvitationRow, now: number): InvitationView {
  const state =
    row.revokedAt !== null ? 'revoked' : row.usedBy !== null ? 'used' : row.expiresAt <= now ? 'expired' : 'open';
  return {
    id: row.id,
    label: row.label,
    state,
    expiresAt: iso(row.expiresAt),
    usedBy: row.usedBy,
    usedAt: iso(row.usedAt),
    revokedAt: iso(row.revokedAt),
    createdAt: iso(row.createdAt),
  };
}

const liveOf = (appointmentId: string, now: number) =>
  and(
    eq(callInvitations.appointmentId, appointmentId),
    isNull(callInvitations.revokedAt),
    gt(callInvitations.expiresAt, now),
  );

/**
 * A single-use invitation into the room of the calling doctor's video appointment: its code is
 * answered once and only its SHA-256 kept; it expires when the room stops admitting
 * (`endsAt + calls.joinGraceMinutes`). At most MAX_LIVE_INVITATIONS live at once, held by the insert
 * itself (two racing requests cannot make a sixth). Two round trips.
 * @throws AppError NOT_FOUND (not the caller's appointment as doctor), CONFLICT (not a video
 *   appointment, or too many live invitations), ROOM_CLOSED (cancelled, ended, or past its end)
 */
export async function createInvitation(ctx: AuthedContext, appointmentId: string, input: CreateInvitationInput) {
  const now = ctx.clock.now().getTime();
  const { appointment, live, settings } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    live: ctx.db.select({ n: count() }).from(callInvitations).where(liveOf(appointmentId, now)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const { row } = seenBy(ctx, appointment[0], ['doctor']);
  if (row.type !== 'video') {
    throw new AppError('CONFLICT', 'Only a video appointment has a room to invite to', { details: { type: row.type } });
  }
  const expiresAt = row.endsAt + (await getSetting(ctx, 'calls.joinGraceMinutes')) * MINUTE;
  if (!LIVE_STATUSES.includes(row.status) || (row.status !== 'in-progress' && expiresAt <= now)) {
    throw new AppError('ROOM_CLOSED', 'The room of this appointment no longer admits anyone', {
      details: { status: row.status, closedAt: iso(expiresAt) },
    });
  }
  if ((live[0]?.n ?? 0) >= MAX_LIVE_INVITATIONS) throw tooMany();
  const code = ctx.ids.token(24);
  const invitation: CallInvitationRow = {
    id: ctx.ids.id('cinv'),
    appointmentId,
    tokenHash: await sha256Hex(code),
    label: input.label,
    invitedBy: ctx.actor.id,
    // An in-progress visit running past its end keeps its room open: the invitation lives an hour more.
    expiresAt: expiresAt > now ? expiresAt : now + 60 * MINUTE,
    usedBy: null,
    usedAt: null,
    revokedAt: null,
    createdAt: now,
  };
  const belowCap = sql`(select count(*) from ${callInvitations} where ${liveOf(appointmentId, now)}) < ${MAX_LIVE_INVITATIONS}`;
  try {
    await ctx.db.batch([
      ctx.db.insert(callInvitations).select(sql`select ${selectedRow(callInvitations, invitation)} where ${belowCap}`),
      auditInsert(
        ctx,
        {
          action: 'call.invitation.create',
          resourceType: 'call_invitation',
          resourceId: invitation.id,
          patientId: row.patientId,
          metadata: { appointmentId },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw tooMany();
    throw err;
  }
  return { id: invitation.id, code, label: invitation.label, expiresAt: iso(invitation.expiresAt) };
}

const tooMany = () =>
  new AppError('CONFLICT', `An appointment may have at most ${MAX_LIVE_INVITATIONS} live invitations`, {
    details: { max: MAX_LIVE_INVITATIONS },
  });

/**
 * The invitations of the calling doctor's appointment, oldest first, without their codes. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function listInvitations(ctx: AuthedContext, appointmentId: string) {
  const { appointment, rows } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    rows: ctx.db
      .select()
      .from(callInvitations)
      .where(eq(callInvitations.appointmentId, appointmentId))
      .orderBy(asc(callInvitations.createdAt), asc(callInvitations.id)),
  });
  seenBy(ctx, appointment[0], ['doctor']);
  const now = ctx.clock.now().getTime();
  return { items: rows.map((row) => toInvitationView(row, now)) };
}

/**
 * Revokes an invitation of the calling doctor's appointment: nobody can join with it from now on (a
 * guest already in is not removed by this). Revoking again answers the same. Two round trips.
 * @throws AppError NOT_FOUND (no such invitation on this appointment of the caller's)
 */
export async function revokeInvitation(
  ctx: AuthedContext,
  appointmentId: string,
  invitationId: string,
): Promise<InvitationView> {
  const { appointment, found } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    found: ctx.db
      .select()
      .from(callInvitations)
      .where(and(eq(callInvitations.id, invitationId), eq(callInvitations.appointmentId, appointmentId))),
  });
  const { row } = seenBy(ctx, appointment[0], ['doctor']);
  const invitation = found[0];
  if (!invitation) throw notFound('Invitation');
  const now = ctx.clock.now().getTime();
  if (invitation.revokedAt !== null) return toInvitationView(invitation, now);
  await ctx.db.batch([
    ctx.db
      .update(callInvitations)
      .set({ revokedAt: now })
      .where(and(eq(callInvitations.id, invitationId), isNull(callInvitations.revokedAt))),
    auditInsert(ctx, {
      action: 'call.invitation.revoke',
      resourceType: 'call_invitation',
      resourceId: invitationId,
      patientId: row.patientId,
      metadata: { appointmentId },
    }),
  ]);
  return toInvitationView({ ...invitation, revokedAt: now }, now);
}
