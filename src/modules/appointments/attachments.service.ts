import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import {
  type AppointmentStatus,
  appointmentAttachments,
  appointments,
  type FileRow,
  files,
  LIVE_STATUSES,
} from '../../db/schema';
import { isNotNullViolation, qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { checkUpload, type StoredObject } from '../../platform/files';
import { auditInsert } from '../audit/audit.service';
import { seenBy, seenWhere, visibleAppointment } from './appointment-access';
import { MAX_ATTACHMENTS } from './appointments.schemas';
import type { AttachmentView } from './records.schemas';

const invalidAttachments = (message: string) =>
  new AppError('VALIDATION_FAILED', message, { fields: [{ field: 'attachmentIds', message }] });

/**
 * The read `attachmentLinkStatements` checks, for the caller's read batch: the files among `fileIds`
 * that belong to `ownerId`, with their purpose and any appointment they are linked to already.
 * Undefined when there are no files to link.
 */
export function attachableFilesQuery(ctx: ServiceContext, ownerId: string, fileIds: string[]) {
  if (fileIds.length === 0) return undefined;
  return ctx.db
    .select({ id: files.id, purpose: files.purpose, linked: appointmentAttachments.appointmentId })
    .from(files)
    .leftJoin(appointmentAttachments, eq(appointmentAttachments.fileId, files.id))
    .where(and(inArray(files.id, [...new Set(fileIds)]), eq(files.ownerId, ownerId)));
}

/**
 * Statements linking already-uploaded files (POST /files, purpose `attachment`: JPEG, PNG or PDF by
 * their bytes, 10 MiB each) to an appointment, for the caller's batch, given what `attachableFilesQuery`
 * read. Every file must belong to the owner, have purpose `attachment` and not be linked to any
 * appointment yet; with those already linked (`existing`) there are at most MAX_ATTACHMENTS.
 * @throws AppError VALIDATION_FAILED (field attachmentIds)
 */
export function attachmentLinkStatements(
  ctx: AuthedContext,
  input: {
    appointmentId: string;
    fileIds: string[];
    found: { id: string; purpose: string; linked: string | null }[] | undefined;
    existing?: number;
  },
): BatchItem<'sqlite'>[] {
  const fileIds = [...new Set(input.fileIds)];
  if (fileIds.length === 0) return [];
  if (fileIds.length + (input.existing ?? 0) > MAX_ATTACHMENTS) {
    throw invalidAttachments(`At most ${MAX_ATTACHMENTS} files per appointment`);
  }
  const found = new Map((input.found ?? []).map((r) => [r.id, r]));
  for (const id of fileIds) {
    const row = found.get(id);
    if (!row) throw invalidAttachments(`File ${id} not found`);
    if (row.purpose !== 'attachment') throw invalidAttachments(`File ${id} was not uploaded as an attachment`);
    if (row.linked !== null) throw invalidAttachments(`File ${id} is already attached to an appointment`);
  }
  const now = ctx.clock.now().getTime();
  const actorId = ctx.actor.id;
  return [
    ctx.db
      .insert(appointmentAttachments)
      .values(
        fileIds.map((fileId) => ({ appointmentId: input.appointmentId, fileId, addedBy: actorId, createdAt: now })),
      ),
  ];
}

/** Appointments whose files may still change: not yet finished, cancelled or rejected. */
const OPEN_STATUSES: readonly AppointmentStatus[] = LIVE_STATUSES;

const toAttachmentView = (row: {
  fileId: string;
  contentType: string;
  size: number;
  fileName: string | null;
  addedBy: string;
  createdAt: number;
}): AttachmentView => ({
  id: row.fileId,
  contentType: row.contentType,
  size: row.size,
  fileName: row.fileName,
  createdAt: new Date(row.createdAt).toISOString(),
  addedBy: row.addedBy,
});

const attachmentColumns = {
  fileId: appointmentAttachments.fileId,
  contentType: files.contentType,
  size: files.size,
  fileName: files.fileName,
  addedBy: appointmentAttachments.addedBy,
  createdAt: appointmentAttachments.createdAt,
  storageKey: files.storageKey,
};

/** The link's `added_by`, NULL (so the batch fails) unless the appointment is open and has room for one more file. */
function linkGuard(appointmentId: string, actorId: string) {
  return sql<string>`(case when (select ${qualified(appointments.status)} from ${appointments} where ${qualified(appointments.id)} = ${appointmentId}) in (${sql.join(
    OPEN_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  )}) and (select count(*) from ${appointmentAttachments} where ${qualified(appointmentAttachments.appointmentId)} = ${appointmentId}) < ${MAX_ATTACHMENTS} then ${actorId} end)`;
}

const notOpen = (status: AppointmentStatus) =>
  new AppError('INVALID_TRANSITION', `Files can no longer be attached to a ${status} appointment`);

/**
 * Uploads files and attaches them to an appointment, all or nothing: every file is checked (JPEG, PNG
 * or PDF by its bytes, 10 MiB each) before any is stored, and a failed write deletes what was stored.
 * Callers: the appointment's patient, or front-desk staff. The files belong to the patient (their
 * medical documents: listed under their files, erased with their account).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not pending/confirmed/in progress), VALIDATION_FAILED
 *   (more than MAX_ATTACHMENTS in all), FILE_TOO_LARGE, INVALID_FILE_TYPE
 */
export async function addAttachments(
  ctx: AuthedContext,
  appointmentId: string,
  uploads: { bytes: Uint8Array; fileName: string | null }[],
): Promise<AttachmentView[]> {
  // The row read with its view's names carries the attachment count: one read before the write.
  const { row } = await visibleAppointment(ctx, appointmentId, ['patient', 'staff']);
  if (!OPEN_STATUSES.includes(row.status)) throw notOpen(row.status);
  const existing = Number(row.attachmentCount);
  if (existing + uploads.length > MAX_ATTACHMENTS) throw tooMany(existing);
  for (const upload of uploads) checkUpload('attachment', upload.bytes);

  const stored: StoredObject[] = [];
  try {
    for (const upload of uploads) stored.push(await ctx.ports.storage.put('attachment', upload.bytes));
    const actorId = ctx.actor.id;
    const now = ctx.clock.now().getTime();
    const fileRows: FileRow[] = stored.map((object, i) => ({
      id: ctx.ids.id('fil'),
      ownerId: row.patientId,
      purpose: 'attachment',
      storageKey: object.key,
      contentType: object.contentType,
      size: object.size,
      sha256: object.sha256,
      fileName: uploads[i]!.fileName?.slice(0, 255) || null,
      createdAt: now,
    }));
    await ctx.db.batch([
      ctx.db.insert(files).values(fileRows),
      // One INSERT per file: each guard counts the links the statements before it added.
      ...fileRows.map((file) =>
        ctx.db
          .insert(appointmentAttachments)
          .values({ appointmentId: row.id, fileId: file.id, addedBy: linkGuard(row.id, actorId), createdAt: now }),
      ),
      auditInsert(ctx, {
        action: 'appointment.attachment.add',
        resourceType: 'appointment',
        resourceId: row.id,
        patientId: row.patientId,
        metadata: { fileIds: fileRows.map((f) => f.id) },
      }),
    ]);
    return fileRows.map((file) => toAttachmentView({ ...file, fileId: file.id, addedBy: actorId }));
  } catch (err) {
    // Leave no object behind when any part fails.
    for (const object of stored) await ctx.ports.storage.delete(object.key);
    if (!isNotNullViolation(err, appointmentAttachments.addedBy)) throw err;
    // Another request changed the appointment or added files since the checks above.
    const current = await ctx.db.select().from(appointments).where(eq(appointments.id, row.id)).get();
    if (current && !OPEN_STATUSES.includes(current.status)) throw notOpen(current.status);
    throw tooMany(await ctx.db.$count(appointmentAttachments, eq(appointmentAttachments.appointmentId, row.id)));
  }
}

function tooMany(existing: number): AppError {
  const message = `At most ${MAX_ATTACHMENTS} files per appointment (it has ${existing})`;
  return new AppError('VALIDATION_FAILED', message, { fields: [{ field: 'file', message }] });
}

/**
 * A page of an appointment's files, oldest first, for its patient, its doctor and permitted staff; one
 * round trip: the row, the page, the total and the read's audit event (written exactly when the caller
 * may see the appointment) go in one batch.
 * @throws AppError NOT_FOUND
 */
export async function listAttachments(
  ctx: AuthedContext,
  appointmentId: string,
  query: { page: number; limit: number },
) {
  const linked = eq(appointmentAttachments.appointmentId, appointmentId);
  const [found, rows, [total]] = await ctx.db.batch([
    ctx.db
      .select({ patientId: appointments.patientId, doctorId: appointments.doctorId })
      .from(appointments)
      .where(eq(appointments.id, appointmentId)),
    ctx.db
      .select(attachmentColumns)
      .from(appointmentAttachments)
      .innerJoin(files, eq(files.id, appointmentAttachments.fileId))
      .where(linked)
      .orderBy(asc(appointmentAttachments.createdAt), asc(appointmentAttachments.fileId))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db
      .select({ n: count() })
      .from(appointmentAttachments)
      .innerJoin(files, eq(files.id, appointmentAttachments.fileId))
      .where(linked),
    auditInsert(
      ctx,
      {
        action: 'appointment.attachment.list',
        resourceType: 'appointment',
        resourceId: appointmentId,
        patientId: qualified(appointments.patientId),
      },
      { guard: { from: appointments, where: seenWhere(ctx, appointmentId) } },
    ),
  ]);
  seenBy(ctx, found[0]);
  return page(rows.map(toAttachmentView), total?.n ?? 0, query);
}

/**
 * One attached file's bytes. The file must be linked to this appointment (another appointment's file
 * is NOT_FOUND). The read is audited before any byte is sent, in the batch that reads the row and the
 * file (one round trip): the audit row is written exactly when the caller may see the appointment and
 * the file is linked to it.
 * @throws AppError NOT_FOUND
 */
export async function readAttachment(ctx: AuthedContext, appointmentId: string, fileId: string) {
  const link = and(eq(appointmentAttachments.appointmentId, appointmentId), eq(appointmentAttachments.fileId, fileId));
  const [found, linkedFiles] = await ctx.db.batch([
    ctx.db
      .select({ patientId: appointments.patientId, doctorId: appointments.doctorId })
      .from(appointments)
      .where(eq(appointments.id, appointmentId)),
    ctx.db
      .select(attachmentColumns)
      .from(appointmentAttachments)
      .innerJoin(files, eq(files.id, appointmentAttachments.fileId))
      .where(link),
    auditInsert(
      ctx,
      {
        action: 'appointment.attachment.read',
        resourceType: 'file',
        resourceId: fileId,
        patientId: qualified(appointments.patientId),
        metadata: { appointmentId },
      },
      {
        guard: {
          from: appointments,
          where: and(
            seenWhere(ctx, appointmentId),
            sql`exists ${ctx.db.select({ one: sql`1` }).from(appointmentAttachments).where(link)}`,
          ),
        },
      },
    ),
  ]);
  seenBy(ctx, found[0]);
  const file = linkedFiles[0];
  const object = file ? await ctx.ports.storage.get(file.storageKey) : null;
  if (!file || !object) throw notFound('Attachment');
  return { file: toAttachmentView(file), body: object.body };
}
