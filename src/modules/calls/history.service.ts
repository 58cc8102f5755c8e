import { and, asc, count, eq, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  appointments,
  type CallRecordingRow,
  callConsents,
  callMessages,
  callParticipants,
  callRecordings,
  callSessions,
  users,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { type Relation, seenBy, seenWhere } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import type { CallSummary, RecordingView } from './calls.schemas';

/** Who may read what a call left (summary, chat, recordings): the appointment's two parties, never staff. */
export const PARTIES: readonly Relation[] = ['patient', 'doctor'];

/** The appointment columns the calls routes decide on, for a read batch (`seenBy` then checks the caller). */
export const callAppointment = (ctx: AuthedContext, appointmentId: string) =>
  ctx.db
    .select({
      id: appointments.id,
      patientId: appointments.patientId,
      doctorId: appointments.doctorId,
      type: appointments.type,
      status: appointments.status,
      startsAt: appointments.startsAt,
      endsAt: appointments.endsAt,
    })
    .from(appointments)
    .where(eq(appointments.id, appointmentId));

/**
 * The audit row of a party's read of call data, for the read's own batch: an INSERT … SELECT from the
 * appointment row, written exactly when the caller is its patient or doctor and `also` holds.
 */
export function partyReadAudit(
  ctx: AuthedContext,
  appointmentId: string,
  event: { action: string; resourceType: string; resourceId: string; metadata?: Record<string, unknown> },
  also?: SQL,
) {
  const seen = seenWhere(ctx, appointmentId, PARTIES);
  return auditInsert(
    ctx,
    { ...event, patientId: qualified(appointments.patientId), metadata: { appointmentId, ...event.metadata } },
    { guard: { from: appointments, where: also ? and(seen, also)! : seen } },
  );
}

export function toRecordingView(row: CallRecordingRow): RecordingView {
  return {
    id: row.id,
    status: row.status,
    startedBy: row.startedBy,
    startedAt: iso(row.startedAt),
    stoppedAt: iso(row.stoppedAt),
    stopReason: row.stopReason,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    deleteAfter: iso(row.deleteAfter),
  };
}

/**
 * What the room of a video appointment recorded: the session, everyone who joined, every consent
 * given or withdrawn, and the recordings. For the appointment's patient and doctor (anyone else, staff
 * included: NOT_FOUND); NOT_FOUND too while nobody has joined. One round trip: the appointment, the
 * session and its rows, and the read's audit event (written only when the read is allowed and there is
 * a session) go in one batch.
 * @throws AppError NOT_FOUND
 */
export async function callSummary(ctx: AuthedContext, appointmentId: string): Promise<CallSummary> {
  const hasSession = sql`exists (select 1 from ${callSessions} where ${callSessions.appointmentId} = ${appointmentId})`;
  const sessionOf = ctx.db
    .select({ id: callSessions.id })
    .from(callSessions)
    .where(eq(callSessions.appointmentId, appointmentId));
  const { appointment, session, participants, consents, recordings } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    session: ctx.db.select().from(callSessions).where(eq(callSessions.appointmentId, appointmentId)),
    participants: ctx.db
      .select({ row: callParticipants, name: sql<string | null>`${users.name}`.as('participant_name') })
      .from(callParticipants)
      .leftJoin(users, eq(users.id, callParticipants.userId))
      .where(eq(callParticipants.sessionId, sql`(${sessionOf})`))
      .orderBy(asc(callParticipants.firstJoinedAt), asc(callParticipants.userId)),
    consents: ctx.db
      .select()
      .from(callConsents)
      .where(eq(callConsents.appointmentId, appointmentId))
      .orderBy(asc(callConsents.at), asc(callConsents.id)),
    recordings: ctx.db
      .select()
      .from(callRecordings)
      .where(eq(callRecordings.appointmentId, appointmentId))
      .orderBy(asc(callRecordings.startedAt), asc(callRecordings.id)),
    audit: partyReadAudit(
      ctx,
      appointmentId,
      { action: 'call.summary.read', resourceType: 'appointment', resourceId: appointmentId },
      hasSession,
    ),
  });
  seenBy(ctx, appointment[0], PARTIES);
  const row = session[0];
  if (!row) throw notFound('Call');
  return {
    id: row.id,
    appointmentId: row.appointmentId,
    status: row.status,
    openedAt: iso(row.openedAt),
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
    endedBy: row.endedBy,
    durationSeconds: row.durationSeconds,
    outcome: row.outcome,
    participants: participants.map(({ row: p, name }) => ({
      userId: p.userId,
      role: p.role,
      name,
      admittedAt: iso(p.admittedAt),
      firstJoinedAt: iso(p.firstJoinedAt),
      lastLeftAt: iso(p.lastLeftAt),
      joinCount: p.joinCount,
      presentSeconds: p.presentSeconds,
    })),
    consents: consents.map((c) => ({ userId: c.userId, action: c.action, at: iso(c.at) })),
    recordings: recordings.map(toRecordingView),
  };
}

/**
 * A page of the appointment's in-call chat, oldest first, for its patient and doctor (anyone else:
 * NOT_FOUND; an empty page while nobody has written). One round trip: the appointment, the page, the
 * total and the read's audit event in one batch (as `listNotes`; `paginate` sends a batch of its own,
 * so the page is read here the same way beside the guard).
 * @throws AppError NOT_FOUND
 */
export async function callMessagesPage(
  ctx: AuthedContext,
  appointmentId: string,
  query: { page: number; limit: number },
) {
  const where = eq(callMessages.appointmentId, appointmentId);
  const { appointment, rows, total } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    rows: ctx.db
      .select()
      .from(callMessages)
      .where(where)
      .orderBy(asc(callMessages.createdAt), asc(callMessages.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(callMessages).where(where),
    audit: partyReadAudit(ctx, appointmentId, {
      action: 'call.messages.read',
      resourceType: 'appointment',
      resourceId: appointmentId,
      metadata: { page: query.page },
    }),
  });
  seenBy(ctx, appointment[0], PARTIES);
  const items = rows.map((m) => ({
    id: m.id,
    from: m.senderId,
    body: m.body,
    fileId: m.fileId,
    at: iso(m.createdAt),
  }));
  return page(items, total[0]?.n ?? 0, query);
}
