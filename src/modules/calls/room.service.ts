import { and, eq, isNull, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  appointments,
  type CallConsentAction,
  type CallRecordingStopReason,
  type CallRole,
  callConsents,
  callInvitations,
  callMessages,
  callParticipants,
  callRecordings,
  callSessions,
  careSessions,
  files,
  HOST_ROLES,
  LIVE_CARE_SESSION_STATUSES,
  LIVE_STATUSES,
  users,
} from '../../db/schema';
import { sha256Hex } from '../../lib/crypto';
import { AppError, notFound } from '../../lib/errors';
import { transitionAppointment } from '../appointments/lifecycle.service';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { transitionCareSession } from '../care-sessions/lifecycle.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';

const MINUTE_MS = 60_000;

/**
 * The room's session id for an appointment: derived, so two first joins racing write the same row
 * (the second insert is a no-op) instead of two sessions.
 */
export const sessionIdOf = (appointmentId: string) => `call_${appointmentId}`;

/**
 * Rooms serve appointments (video visits) and virtual care sessions alike: a care session's id
 * (`cse_…`) takes the place of the appointment's, its caregiver the doctor's (as host).
 */
export const isCareSession = (visitId: string) => visitId.startsWith('cse_');

/** What a room needs of its visit, an appointment or a care session, in one shape, for a read batch. */
function visitQuery(ctx: ServiceContext, visitId: string) {
  if (isCareSession(visitId)) {
    return ctx.db
      .select({
        doctorId: careSessions.caregiverId,
        patientId: careSessions.patientId,
        type: sql<string>`${careSessions.mode}`.as('type'),
        remote: sql<boolean>`${careSessions.mode} = 'virtual'`.mapWith(Boolean).as('remote'),
        status: sql<string>`${careSessions.status}`.as('status'),
        startsAt: careSessions.startsAt,
        endsAt: careSessions.endsAt,
      })
      .from(careSessions)
      .where(eq(careSessions.id, visitId));
  }
  return ctx.db
    .select({
      doctorId: appointments.doctorId,
      patientId: appointments.patientId,
      type: sql<string>`${appointments.type}`.as('type'),
      remote: sql<boolean>`${appointments.type} = 'video'`.mapWith(Boolean).as('remote'),
      status: sql<string>`${appointments.status}`.as('status'),
      startsAt: appointments.startsAt,
      endsAt: appointments.endsAt,
    })
    .from(appointments)
    .where(eq(appointments.id, visitId));
}

/** The trusted header carrying the seat `joinRoom` granted, from the Worker to the room (never from a client). */
export const SEAT_HEADER = 'x-kinwell-room-seat';

/** The seat as a header value (URI-encoded JSON: names need not be Latin-1). */
export const encodeSeat = (seat: RoomSeat) => encodeURIComponent(JSON.stringify(seat));

/** The seat the Worker attached; null when missing or malformed. */
export function decodeSeat(header: string | null): RoomSeat | null {
  if (!header) return null;
  try {
    const seat = JSON.parse(decodeURIComponent(header)) as RoomSeat;
    return typeof seat?.userId === 'string' && typeof seat.appointmentId === 'string' ? seat : null;
  } catch {
    return null;
  }
}

/**
 * What the Worker hands the room with a join, after `joinRoom` allowed it: the visit, and who joins
 * as what. The room keeps it in the socket's attachment.
 */
export interface RoomSeat {
  sessionId: string;
  /** The visit: an appointment's id, or a virtual care session's (its caregiver is then `doctorId`). */
  appointmentId: string;
  doctorId: string;
  patientId: string;
  /** The appointment's end (epoch ms). */
  endsAt: number;
  userId: string;
  role: CallRole;
  name: string;
  label: string | null;
  /** Already let in by the doctor (the doctor always; a patient or guest rejoining after admission). */
  admitted: boolean;
}

/**
 * Lets the caller into an appointment's room, or says why not, in two round trips: one read (the
 * appointment with its names, the session, the caller's participant row, the invitation, the
 * settings), one write (the session on a first join, the participant's join, the invitation used, an
 * audit event).
 *
 * The same for a virtual care session (`appointmentId` a `cse_` id): its caregiver hosts as `caregiver`,
 * its patient waits to be admitted, and its requested, confirmed or in-progress status keeps it open.
 *
 * Who: the appointment's patient or doctor; anyone else only with an invitation of this appointment
 * (unused, or used by them before), not revoked or expired. When: a video appointment, pending,
 * confirmed or in progress, from 'calls.openMinutesBefore' before its start to
 * 'calls.joinGraceMinutes' after its end (an in-progress visit until the doctor ends it), and never
 * after the room was ended.
 * @throws AppError NOT_FOUND (not the caller's, or no such appointment), CONFLICT (not a video visit),
 *   ROOM_NOT_OPEN (too early; details.opensAt), ROOM_CLOSED (over, cancelled or ended; details.reason)
 */
export async function joinRoom(ctx: AuthedContext, appointmentId: string, invite?: string): Promise<RoomSeat> {
  const actor = ctx.actor;
  const care = isCareSession(appointmentId);
  const what = care ? 'Care session' : 'Appointment';
  const sessionId = sessionIdOf(appointmentId);
  const inviteHash = invite ? await sha256Hex(invite) : undefined;
  const read = await batchOf(ctx.db, {
    rows: visitQuery(ctx, appointmentId),
    session: ctx.db.select().from(callSessions).where(eq(callSessions.id, sessionId)),
    seat: ctx.db
      .select({ role: callParticipants.role, admittedAt: callParticipants.admittedAt, label: callInvitations.label })
      .from(callParticipants)
      .leftJoin(callInvitations, eq(callInvitations.id, callParticipants.invitationId))
      .where(and(eq(callParticipants.sessionId, sessionId), eq(callParticipants.userId, actor.id))),
    invitation: inviteHash
      ? ctx.db
          .select()
          .from(callInvitations)
          .where(and(eq(callInvitations.tokenHash, inviteHash), eq(callInvitations.appointmentId, appointmentId)))
      : undefined,
    me: ctx.db.select({ name: users.name }).from(users).where(eq(users.id, actor.id)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const row = read.rows[0];
  const now = ctx.clock.now().getTime();
  if (!row) throw notFound(what);

  const previous = read.seat[0];
  const invitation = read.invitation?.[0];
  const invitationUsable =
    invitation &&
    invitation.revokedAt === null &&
    invitation.expiresAt > now &&
    (invitation.usedBy === null || invitation.usedBy === actor.id);
  let role: CallRole;
  if (row.doctorId === actor.id) role = care ? 'caregiver' : 'doctor';
  else if (row.patientId === actor.id) role = 'patient';
  else if (previous?.role === 'guest' || invitationUsable) role = 'guest';
  else throw notFound(what);

  if (!row.remote) {
    throw new AppError('CONFLICT', `This ${what.toLowerCase()} is in person: it has no call room`, {
      details: { type: row.type },
    });
  }
  const session = read.session[0];
  if (session?.status === 'ended') {
    throw new AppError('ROOM_CLOSED', 'This visit has ended', { details: { reason: 'ended' } });
  }
  // A room takes joins while its visit is live (pending or requested, confirmed, in progress).
  if (!(care ? LIVE_CARE_SESSION_STATUSES : LIVE_STATUSES).includes(row.status as never)) {
    throw new AppError('ROOM_CLOSED', `This ${what.toLowerCase()} is ${row.status}: its room is closed`, {
      details: { reason: row.status },
    });
  }
  const opensAt = row.startsAt - (await getSetting(ctx, 'calls.openMinutesBefore')) * MINUTE_MS;
  if (now < opensAt) {
    throw new AppError('ROOM_NOT_OPEN', `The room opens at ${new Date(opensAt).toISOString()}`, {
      details: { opensAt: new Date(opensAt).toISOString() },
    });
  }
  const closesAt = row.endsAt + (await getSetting(ctx, 'calls.joinGraceMinutes')) * MINUTE_MS;
  if (now > closesAt && row.status !== 'in-progress') {
    throw new AppError('ROOM_CLOSED', `This ${what.toLowerCase()}'s time is over`, { details: { reason: 'over' } });
  }

  const usesInvitation = role === 'guest' && !previous && invitation;
  const host = HOST_ROLES.includes(role);
  const admittedAt = host ? now : null;
  try {
    await ctx.db.batch([
      ctx.db
        .insert(callSessions)
        .values({
          id: sessionId,
          appointmentId,
          doctorId: row.doctorId,
          patientId: row.patientId,
          status: 'open',
          openedAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
      ...(usesInvitation
        ? [
            ctx.db
              .update(callInvitations)
              .set({ usedBy: actor.id, usedAt: now })
              .where(
                and(
                  eq(callInvitations.id, invitation.id),
                  sql`(${callInvitations.usedBy} is null or ${callInvitations.usedBy} = ${actor.id})`,
                  isNull(callInvitations.revokedAt),
                ),
              ),
            // The invitation is single use: another user who took it meanwhile rolls this join back.
            auditInsert(
              ctx,
              {
                action: 'call.invitation_used',
                resourceType: 'call_invitation',
                resourceId: invitation.id,
                patientId: row.patientId,
                metadata: { appointmentId },
              },
              { guard: 'one-row-changed' },
            ),
          ]
        : []),
      ctx.db
        .insert(callParticipants)
        .values({
          sessionId,
          userId: actor.id,
          role,
          invitationId: usesInvitation ? invitation.id : null,
          admittedAt,
          firstJoinedAt: now,
          lastJoinedAt: now,
        })
        .onConflictDoUpdate({
          target: [callParticipants.sessionId, callParticipants.userId],
          set: { lastJoinedAt: now, joinCount: sql`${callParticipants.joinCount} + 1` },
        }),
      auditInsert(ctx, {
        action: 'call.join',
        resourceType: care ? 'care_session' : 'appointment',
        resourceId: appointmentId,
        patientId: row.patientId,
        metadata: { role },
      }),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw notFound(what);
    throw err;
  }
  return {
    sessionId,
    appointmentId,
    doctorId: row.doctorId,
    patientId: row.patientId,
    endsAt: row.endsAt,
    userId: actor.id,
    role,
    name: read.me[0]?.name ?? '',
    label: role === 'guest' ? (previous?.label ?? invitation?.label ?? null) : null,
    admitted: host || previous?.admittedAt != null,
  };
}

/**
 * The doctor let `userId` in: their participant row says when (the first admission counts). When
 * that makes the doctor and the patient both in for the first time, the visit starts: the session goes
 * `live` and a confirmed appointment moves to in progress (by the lifecycle table, as the doctor).
 * Resolves with the session's start (epoch ms) when this admission started it.
 */
export async function admitToRoom(ctx: AuthedContext, seat: RoomSeat, userId: string): Promise<number | null> {
  const now = ctx.clock.now().getTime();
  const starts = userId === seat.patientId;
  const [, started] = await ctx.db.batch([
    ctx.db
      .update(callParticipants)
      .set({ admittedAt: now })
      .where(
        and(
          eq(callParticipants.sessionId, seat.sessionId),
          eq(callParticipants.userId, userId),
          isNull(callParticipants.admittedAt),
        ),
      ),
    ctx.db
      .update(callSessions)
      .set({ status: 'live', startedAt: now, updatedAt: now })
      .where(and(eq(callSessions.id, seat.sessionId), isNull(callSessions.startedAt), sql`${starts ? 1 : 0} = 1`))
      .returning({ startedAt: callSessions.startedAt }),
  ]);
  if (!started.length) return null;
  await moveAppointment(ctx, seat.appointmentId, 'start');
  return now;
}

/** A participant's socket closed: when, and how long they were in (from `joinedAt`). */
export async function leaveRoom(ctx: ServiceContext, seat: RoomSeat, joinedAt: number): Promise<void> {
  const now = ctx.clock.now().getTime();
  const seconds = Math.max(0, Math.round((now - joinedAt) / 1000));
  await ctx.db
    .update(callParticipants)
    .set({ lastLeftAt: now, presentSeconds: sql`${callParticipants.presentSeconds} + ${seconds}` })
    .where(and(eq(callParticipants.sessionId, seat.sessionId), eq(callParticipants.userId, seat.userId)));
}

/**
 * Stores a chat message of the caller's. A file must be one of the sender's own (files module), or
 * the message is refused as if the file did not exist.
 * @throws AppError NOT_FOUND (the file)
 */
export async function storeChatMessage(
  ctx: AuthedContext,
  seat: RoomSeat,
  message: { body?: string; fileId?: string },
): Promise<{ id: string; at: number }> {
  const id = ctx.ids.id('cmsg');
  const now = ctx.clock.now().getTime();
  if (!message.fileId) {
    await ctx.db.insert(callMessages).values({
      id,
      sessionId: seat.sessionId,
      appointmentId: seat.appointmentId,
      senderId: ctx.actor.id,
      body: message.body ?? null,
      fileId: null,
      createdAt: now,
    });
    return { id, at: now };
  }
  // One round trip: the insert only happens when the file is the sender's (INSERT … SELECT).
  const stored = await ctx.db
    .insert(callMessages)
    .select(
      ctx.db
        .select({
          id: sql`${id}`.as('id'),
          sessionId: sql`${seat.sessionId}`.as('session_id'),
          appointmentId: sql`${seat.appointmentId}`.as('appointment_id'),
          senderId: sql`${ctx.actor.id}`.as('sender_id'),
          body: sql`${message.body ?? null}`.as('body'),
          fileId: files.id,
          createdAt: sql`${now}`.as('created_at'),
        })
        .from(files)
        .where(and(eq(files.id, message.fileId), eq(files.ownerId, ctx.actor.id))),
    )
    .returning({ id: callMessages.id });
  if (!stored.length) throw notFound('File');
  return { id, at: now };
}

/** Records the caller giving or withdrawing consent to recording, with an audit event. */
export async function recordConsent(ctx: AuthedContext, seat: RoomSeat, action: CallConsentAction): Promise<void> {
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db.insert(callConsents).values({
      id: ctx.ids.id('ccon'),
      sessionId: seat.sessionId,
      appointmentId: seat.appointmentId,
      userId: ctx.actor.id,
      action,
      at: now,
    }),
    auditInsert(ctx, {
      action: `call.recording_consent_${action}`,
      resourceType: 'appointment',
      resourceId: seat.appointmentId,
      patientId: seat.patientId,
    }),
  ]);
}

/** Starts a recording by the caller (who will upload it); resolves with its id and start. */
export async function startRecording(ctx: AuthedContext, seat: RoomSeat): Promise<{ id: string; at: number }> {
  const id = ctx.ids.id('crec');
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db.insert(callRecordings).values({
      id,
      sessionId: seat.sessionId,
      appointmentId: seat.appointmentId,
      startedBy: ctx.actor.id,
      status: 'recording',
      startedAt: now,
      createdAt: now,
    }),
    auditInsert(ctx, {
      action: 'call.recording_started',
      resourceType: 'call_recording',
      resourceId: id,
      patientId: seat.patientId,
      metadata: { appointmentId: seat.appointmentId },
    }),
  ]);
  return { id, at: now };
}

/** Stops a recording (no more media; its upload may follow), with why. */
export async function stopRecording(
  ctx: AuthedContext,
  seat: RoomSeat,
  recordingId: string,
  reason: CallRecordingStopReason,
): Promise<number> {
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .update(callRecordings)
      .set({ status: 'stopped', stoppedAt: now, stopReason: reason })
      .where(and(eq(callRecordings.id, recordingId), eq(callRecordings.status, 'recording'))),
    auditInsert(ctx, {
      action: 'call.recording_stopped',
      resourceType: 'call_recording',
      resourceId: recordingId,
      patientId: seat.patientId,
      metadata: { appointmentId: seat.appointmentId, reason },
    }),
  ]);
  return now;
}

/**
 * The doctor ends the visit: the session is `ended` with its duration (from the start, when doctor and
 * patient were both in, to now), and the appointment moves by the lifecycle table: an in-progress
 * visit is completed; one the patient never came to is marked no-show once its start has passed.
 * Resolves with the duration and the appointment's status after.
 */
export async function endRoom(
  ctx: AuthedContext,
  seat: RoomSeat,
): Promise<{ durationSeconds: number | null; appointmentStatus: string; at: number }> {
  const now = ctx.clock.now().getTime();
  const [session] = await ctx.db.select().from(callSessions).where(eq(callSessions.id, seat.sessionId));
  const durationSeconds = session?.startedAt != null ? Math.max(0, Math.round((now - session.startedAt) / 1000)) : null;
  const action = durationSeconds !== null ? 'complete' : 'no-show';
  const status = await moveAppointment(ctx, seat.appointmentId, action);
  await ctx.db.batch([
    ctx.db
      .update(callSessions)
      .set({
        status: 'ended',
        endedAt: now,
        endedBy: ctx.actor.id,
        durationSeconds,
        outcome: status.moved ? action : null,
        updatedAt: now,
      })
      .where(eq(callSessions.id, seat.sessionId)),
    auditInsert(ctx, {
      action: 'call.ended',
      resourceType: 'appointment',
      resourceId: seat.appointmentId,
      patientId: seat.patientId,
      metadata: { durationSeconds, appointmentStatus: status.status },
    }),
  ]);
  return { durationSeconds, appointmentStatus: status.status, at: now };
}

/** The care session lifecycle's action for each of the room's moves: the call is the session. */
const CARE_ACTIONS = { start: 'check-in', complete: 'check-out', 'no-show': 'no-show' } as const;

/**
 * Takes a lifecycle action on the visit as its host (the appointment's, or for a care session the
 * matching check-in, check-out or no-show), when its status allows it; an action the table refuses (an
 * unconfirmed visit cannot start, a no-show before the start time) leaves it as it is.
 */
async function moveAppointment(
  ctx: AuthedContext,
  appointmentId: string,
  action: 'start' | 'complete' | 'no-show',
): Promise<{ moved: boolean; status: string }> {
  try {
    const view = isCareSession(appointmentId)
      ? await transitionCareSession(ctx, appointmentId, CARE_ACTIONS[action], {})
      : await transitionAppointment(ctx, appointmentId, action, {});
    return { moved: true, status: view.status };
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'INVALID_TRANSITION') throw err;
    const details = err.details as { status?: string } | undefined;
    return { moved: false, status: details?.status ?? 'unknown' };
  }
}
