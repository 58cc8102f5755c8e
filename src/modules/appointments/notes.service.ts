import { and, asc, count, eq } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import {
  type AppointmentNoteRow,
  type AppointmentRow,
  type AppointmentStatus,
  appointmentNotes,
  appointments,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { seenBy, seenWhere, visibleAppointment } from './appointment-access';
import type { NoteInput, NoteView } from './records.schemas';

/**
 * Clinical notes are the doctor's record of a visit that takes place: they can be written once the
 * doctor has confirmed the appointment, during it and after it (completed or missed), but not while it
 * is still a request (pending) nor on one that will never happen (rejected, cancelled). Notes already
 * written stay readable whatever happens to the appointment later.
 */
const WRITABLE: readonly AppointmentStatus[] = ['confirmed', 'in-progress', 'completed', 'no-show'];

export function toNoteView(row: AppointmentNoteRow): NoteView {
  return {
    id: row.id,
    appointmentId: row.appointmentId,
    body: row.body,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** The appointment of the calling doctor; any other caller's or doctor's is NOT_FOUND. */
const doctorsAppointment = async (ctx: ServiceContext, id: string) =>
  (await visibleAppointment(ctx, id, ['doctor'])).row;

function requireWritable(row: AppointmentRow): void {
  if (!WRITABLE.includes(row.status)) {
    throw new AppError('INVALID_TRANSITION', `Notes cannot be written on a ${row.status} appointment`, {
      details: { status: row.status, allowed: WRITABLE },
    });
  }
}

const noteAudit = (ctx: ServiceContext, row: AppointmentRow, action: string, noteId: string | null) =>
  auditInsert(ctx, {
    action,
    resourceType: noteId ? 'appointment_note' : 'appointment',
    resourceId: noteId ?? row.id,
    patientId: row.patientId,
    // Ids only: the note text is clinical and never goes into the audit trail.
    metadata: { appointmentId: row.id },
  });

/**
 * A page of the notes on the calling doctor's appointment, oldest first. One round trip: the row, the
 * page, the total and the read's audit event (written exactly when the caller is the appointment's
 * doctor) go in one batch.
 * @throws AppError NOT_FOUND
 */
export async function listNotes(ctx: AuthedContext, appointmentId: string, query: { page: number; limit: number }) {
  const where = eq(appointmentNotes.appointmentId, appointmentId);
  const [found, rows, [total]] = await ctx.db.batch([
    ctx.db
      .select({ patientId: appointments.patientId, doctorId: appointments.doctorId })
      .from(appointments)
      .where(eq(appointments.id, appointmentId)),
    ctx.db
      .select()
      .from(appointmentNotes)
      .where(where)
      .orderBy(asc(appointmentNotes.createdAt), asc(appointmentNotes.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(appointmentNotes).where(where),
    auditInsert(
      ctx,
      {
        action: 'appointment.note.read',
        resourceType: 'appointment',
        resourceId: appointmentId,
        patientId: qualified(appointments.patientId),
        metadata: { appointmentId },
      },
      { guard: { from: appointments, where: seenWhere(ctx, appointmentId, ['doctor']) } },
    ),
  ]);
  seenBy(ctx, found[0], ['doctor']);
  return page(rows.map(toNoteView), total?.n ?? 0, query);
}

/**
 * Adds a note to the calling doctor's appointment, audited in the same batch.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (pending, rejected or cancelled)
 */
export async function createNote(ctx: ServiceContext, appointmentId: string, input: NoteInput): Promise<NoteView> {
  const row = await doctorsAppointment(ctx, appointmentId);
  requireWritable(row);
  const now = ctx.clock.now().getTime();
  const note: AppointmentNoteRow = {
    id: ctx.ids.id('ant'),
    appointmentId: row.id,
    doctorId: row.doctorId,
    body: input.body,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.batch([
    ctx.db.insert(appointmentNotes).values(note),
    noteAudit(ctx, row, 'appointment.note.create', note.id),
  ]);
  return toNoteView(note);
}

/**
 * Replaces the text of one of the calling doctor's notes on this appointment, audited in the same batch.
 * @throws AppError NOT_FOUND (no such note on this appointment), INVALID_TRANSITION
 */
export async function updateNote(
  ctx: ServiceContext,
  appointmentId: string,
  noteId: string,
  input: NoteInput,
): Promise<NoteView> {
  // The row and the note are read together; the note counts only when it is the appointment doctor's.
  const [found, notes] = await ctx.db.batch([
    ctx.db.select().from(appointments).where(eq(appointments.id, appointmentId)),
    ctx.db
      .select()
      .from(appointmentNotes)
      .where(and(eq(appointmentNotes.id, noteId), eq(appointmentNotes.appointmentId, appointmentId))),
  ]);
  const { row } = seenBy(ctx, found[0], ['doctor']);
  const note = notes.find((n) => n.doctorId === row.doctorId);
  if (!note) throw notFound('Note');
  const mine = and(
    eq(appointmentNotes.id, noteId),
    eq(appointmentNotes.appointmentId, row.id),
    eq(appointmentNotes.doctorId, row.doctorId),
  );
  requireWritable(row);
  const updated: AppointmentNoteRow = { ...note, body: input.body, updatedAt: ctx.clock.now().getTime() };
  await ctx.db.batch([
    ctx.db.update(appointmentNotes).set({ body: updated.body, updatedAt: updated.updatedAt }).where(mine),
    noteAudit(ctx, row, 'appointment.note.update', note.id),
  ]);
  return toNoteView(updated);
}
