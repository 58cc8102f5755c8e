import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { appointmentAttachments, type FilePurpose, type FileRow, files } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';

/** Purposes whose files are medical data: reading them is audited. */
const MEDICAL: ReadonlySet<FilePurpose> = new Set(['attachment', 'lab-report', 'recording']);

/** Headers of every private download: never cached by shared caches, never content-sniffed. */
export const PRIVATE_DOWNLOAD_HEADERS = {
  'cache-control': 'private, no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** The response streaming a stored file as a download (bytes as stored, sniffed type, exact length). */
export function fileDownload(file: { contentType: string; size: number }, body: ReadableStream): Response {
  return new Response(body, {
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.size),
      'content-disposition': 'attachment',
      ...PRIVATE_DOWNLOAD_HEADERS,
    },
  });
}

export function toFileView(row: FileRow) {
  return {
    id: row.id,
    purpose: row.purpose,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    fileName: row.fileName,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** A file the caller owns; another owner's file is NOT_FOUND, as if it did not exist. */
async function ownedFile(ctx: AuthedContext, id: string): Promise<FileRow> {
  const row = await ctx.db
    .select()
    .from(files)
    .where(and(eq(files.id, id), eq(files.ownerId, ctx.actor.id)))
    .get();
  if (!row) throw notFound('File');
  return row;
}

/** An upload whose bytes are stored, and the statements that record it, for the caller's write batch. */
export interface StagedUpload {
  row: FileRow;
  /** The file row and its `file.upload` audit event. */
  statements: Statements;
  /** Removes the stored bytes again: call it when the batch holding `statements` failed. */
  discard(): Promise<void>;
}

/**
 * Stores an upload's bytes in R2 and answers the statements that record it, so a caller that changes
 * more (an avatar pointing at it) commits both in one write batch. The bytes are checked against the
 * purpose's size and type rules before anything is stored.
 * @throws AppError FILE_TOO_LARGE, INVALID_FILE_TYPE
 */
export async function stageUpload(
  ctx: AuthedContext,
  input: { purpose: FilePurpose; bytes: Uint8Array; fileName: string | null },
): Promise<StagedUpload> {
  const ownerId = ctx.actor.id;
  const stored = await ctx.ports.storage.put(input.purpose, input.bytes);
  const row: FileRow = {
    id: ctx.ids.id('fil'),
    ownerId,
    purpose: input.purpose,
    storageKey: stored.key,
    contentType: stored.contentType,
    size: stored.size,
    sha256: stored.sha256,
    fileName: input.fileName?.slice(0, 255) ?? null,
    createdAt: ctx.clock.now().getTime(),
  };
  const audit = auditInsert(ctx, {
    action: 'file.upload',
    resourceType: 'file',
    resourceId: row.id,
    patientId: MEDICAL.has(input.purpose) ? ownerId : null,
    metadata: { purpose: input.purpose, size: row.size },
  });
  return {
    row,
    statements: [ctx.db.insert(files).values(row), audit],
    discard: () => ctx.ports.storage.delete(stored.key),
  };
}

/**
 * Stores an upload in R2 and records it (`stageUpload` in a batch of its own). No orphan object is
 * left when the record fails.
 * @throws AppError FILE_TOO_LARGE, INVALID_FILE_TYPE
 */
export async function uploadFile(
  ctx: AuthedContext,
  input: { purpose: FilePurpose; bytes: Uint8Array; fileName: string | null },
) {
  const staged = await stageUpload(ctx, input);
  try {
    await runBatch(ctx.db, staged.statements);
  } catch (err) {
    await staged.discard();
    throw err;
  }
  return toFileView(staged.row);
}

export async function listFiles(ctx: AuthedContext, query: { page: number; limit: number; purpose?: FilePurpose }) {
  const filters: SQL[] = [eq(files.ownerId, ctx.actor.id)];
  if (query.purpose) filters.push(eq(files.purpose, query.purpose));
  return paginate(ctx.db, files, {
    where: and(...filters),
    orderBy: [desc(files.createdAt), desc(files.id)],
    page: query.page,
    limit: query.limit,
    map: toFileView,
  });
}

export async function getFile(ctx: AuthedContext, id: string) {
  return toFileView(await ownedFile(ctx, id));
}

/**
 * The file's bytes, in one D1 round trip: the row is read and, for a medical file, its audit event
 * written in the same batch (only when the file is the caller's; anyone else's is NOT_FOUND and
 * audits nothing). A row whose object is missing from storage answers NOT_FOUND; its read stays
 * audited, as the attempt it was.
 * @throws AppError NOT_FOUND
 */
export async function readFileContent(ctx: AuthedContext, id: string) {
  const mine = and(eq(files.id, id), eq(files.ownerId, ctx.actor.id));
  const { found } = await batchOf(ctx.db, {
    found: ctx.db.select().from(files).where(mine),
    audit: auditInsert(
      ctx,
      { action: 'file.read', resourceType: 'file', resourceId: id, patientId: ctx.actor.id },
      { guard: { from: files, where: and(mine, inArray(files.purpose, [...MEDICAL])) } },
    ),
  });
  const row = found[0];
  if (!row) throw notFound('File');
  const object = await ctx.ports.storage.get(row.storageKey);
  if (!object) throw notFound('File');
  return { file: toFileView(row), body: object.body };
}

export async function deleteFile(ctx: AuthedContext, id: string): Promise<void> {
  const row = await ownedFile(ctx, id);
  await ctx.db.batch([
    ctx.db.delete(files).where(eq(files.id, row.id)),
    // A deleted file leaves any appointment it was attached to (and frees its place there).
    ctx.db.delete(appointmentAttachments).where(eq(appointmentAttachments.fileId, row.id)),
    auditInsert(ctx, {
      action: 'file.delete',
      resourceType: 'file',
      resourceId: row.id,
      patientId: MEDICAL.has(row.purpose) ? row.ownerId : null,
    }),
  ]);
  await ctx.ports.storage.delete(row.storageKey);
}
