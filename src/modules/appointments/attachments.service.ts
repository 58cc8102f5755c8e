import { and, eq, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import { appointmentAttachments, files } from '../../db/schema';
import { AppError } from '../../lib/errors';

/** Most files one appointment carries. */
export const MAX_ATTACHMENTS = 5;

const invalidAttachments = (message: string) =>
  new AppError('VALIDATION_FAILED', message, { fields: [{ field: 'attachmentIds', message }] });

/**
 * Statements linking already-uploaded files (POST /files, purpose `attachment`: JPEG, PNG or PDF by
 * their bytes, 10 MiB each) to an appointment, for the caller's batch. Every file must belong to
 * `ownerId`, have purpose `attachment` and not be linked to any appointment yet; with those already
 * linked (`existing`) there are at most MAX_ATTACHMENTS.
 * @throws AppError VALIDATION_FAILED (field attachmentIds)
 */
export async function attachmentLinkStatements(
  ctx: ServiceContext,
  input: { appointmentId: string; ownerId: string; fileIds: string[]; existing?: number },
): Promise<BatchItem<'sqlite'>[]> {
  const fileIds = [...new Set(input.fileIds)];
  if (fileIds.length === 0) return [];
  if (fileIds.length + (input.existing ?? 0) > MAX_ATTACHMENTS) {
    throw invalidAttachments(`At most ${MAX_ATTACHMENTS} files per appointment`);
  }
  const rows = await ctx.db
    .select({ id: files.id, purpose: files.purpose, linked: appointmentAttachments.appointmentId })
    .from(files)
    .leftJoin(appointmentAttachments, eq(appointmentAttachments.fileId, files.id))
    .where(and(inArray(files.id, fileIds), eq(files.ownerId, input.ownerId)))
    .all();
  const found = new Map(rows.map((r) => [r.id, r]));
  for (const id of fileIds) {
    const row = found.get(id);
    if (!row) throw invalidAttachments(`File ${id} not found`);
    if (row.purpose !== 'attachment') throw invalidAttachments(`File ${id} was not uploaded as an attachment`);
    if (row.linked !== null) throw invalidAttachments(`File ${id} is already attached to an appointment`);
  }
  const now = ctx.clock.now().getTime();
  const actorId = ctx.actor?.id ?? input.ownerId;
  return [
    ctx.db
      .insert(appointmentAttachments)
      .values(
        fileIds.map((fileId) => ({ appointmentId: input.appointmentId, fileId, addedBy: actorId, createdAt: now })),
      ),
  ];
}
