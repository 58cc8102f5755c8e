import { and, count, desc, eq, exists, isNotNull, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type CaregiverLinkRow, caregiverLinks, caregiverNotes, files, users } from '../../db/schema';
import { isNotNullViolation, qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { patientOfLink, sharedLinkIn, sharedLinkQuery, sharesLink } from './care-access';
import type { CreateNoteInput, NoteView } from './caregivers.schemas';

/**
 * Notes on a caregiver relationship: both its patient and its caregiver write and read them while the
 * link is active; nobody else, and nobody once it has ended (NOT_FOUND). A new link between the same
 * two people starts with no notes. Every read and write is audited with ids only (never the text).
 */

// Joined columns get their own aliases: D1 batches key rows by column name, so the file's `id` and
// `created_at` would otherwise overwrite the note's.
const noteColumns = {
  id: caregiverNotes.id,
  linkId: caregiverNotes.linkId,
  authorId: caregiverNotes.authorId,
  body: caregiverNotes.body,
  createdAt: caregiverNotes.createdAt,
  authorName: sql<string | null>`${users.name}`.as('author_name'),
  fileId: sql<string | null>`${files.id}`.as('file_ref'),
  contentType: sql<string | null>`${files.contentType}`.as('file_content_type'),
  size: sql<number | null>`${files.size}`.as('file_size'),
  fileName: sql<string | null>`${files.fileName}`.as('file_name_'),
};

type NoteJoinRow = {
  id: string;
  linkId: string;
  authorId: string;
  body: string;
  createdAt: number;
  authorName: string | null;
  fileId: string | null;
  contentType: string | null;
  size: number | null;
  fileName: string | null;
};

function toNoteView(row: NoteJoinRow): NoteView {
  return {
    id: row.id,
    linkId: row.linkId,
    author: { id: row.authorId, name: row.authorName },
    body: row.body,
    file:
      row.fileId === null
        ? null
        : { id: row.fileId, contentType: row.contentType ?? '', size: row.size ?? 0, fileName: row.fileName },
    createdAt: iso(row.createdAt),
  };
}

function joinedNotes(ctx: ServiceContext) {
  return ctx.db
    .select(noteColumns)
    .from(caregiverNotes)
    .leftJoin(users, eq(users.id, caregiverNotes.authorId))
    .leftJoin(files, eq(files.id, caregiverNotes.fileId))
    .$dynamic();
}

const noteAudit = (ctx: ServiceContext, link: CaregiverLinkRow, action: string, extra: Record<string, unknown>) =>
  auditInsert(ctx, {
    action,
    resourceType: 'caregiver_link',
    resourceId: link.id,
    patientId: link.patientId,
    metadata: extra,
  });

/**
 * A page of the notes on a relationship the caller is part of, newest first, in one round trip: the
 * relationship, the page, the total and the read's audit row in one batch (the audit row is written
 * only while the caller shares the relationship, or the batch rolls back and nothing is handed over).
 * @throws AppError NOT_FOUND (not the caller's, or ended)
 */
export async function listCareNotes(ctx: AuthedContext, linkId: string, query: { page: number; limit: number }) {
  const where = eq(caregiverNotes.linkId, linkId);
  const read = await batchOf(ctx.db, {
    link: sharedLinkQuery(ctx, linkId),
    rows: joinedNotes(ctx)
      .where(where)
      .orderBy(desc(caregiverNotes.createdAt), desc(caregiverNotes.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(caregiverNotes).where(where),
    // Written only when the caller shares the link, so a refused read leaves no audit row.
    audit: auditInsert(
      ctx,
      {
        action: 'caregiver.note.list',
        resourceType: 'caregiver_link',
        resourceId: linkId,
        patientId: patientOfLink(linkId),
        metadata: { page: query.page, limit: query.limit },
      },
      { guard: { where: sharesLink(ctx, linkId) } },
    ),
  });
  sharedLinkIn(read.link);
  return page((read.rows as NoteJoinRow[]).map(toNoteView), read.total[0]?.n ?? 0, query);
}

const badFile = (message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'fileId', message }] });

/**
 * Adds a note to a relationship the caller is part of, optionally with a file the caller uploaded as
 * an `attachment`; audited in the same batch. Two round trips: the relationship, the author's name and
 * the file in one read batch, then the insert with its audit row. The insert re-checks that the link
 * is still active, so a note cannot land on a relationship that ended meanwhile.
 * @throws AppError NOT_FOUND (not the caller's, or ended), VALIDATION_FAILED (fileId not the caller's
 *   attachment)
 */
export async function createCareNote(ctx: AuthedContext, linkId: string, input: CreateNoteInput): Promise<NoteView> {
  const authorId = ctx.actor.id;
  const read = await batchOf(ctx.db, {
    link: sharedLinkQuery(ctx, linkId),
    author: ctx.db.select({ name: users.name }).from(users).where(eq(users.id, authorId)),
    file: input.fileId
      ? ctx.db
          .select({
            id: files.id,
            purpose: files.purpose,
            contentType: files.contentType,
            size: files.size,
            fileName: files.fileName,
          })
          .from(files)
          .where(and(eq(files.id, input.fileId), eq(files.ownerId, authorId)))
      : undefined,
  });
  const link = sharedLinkIn(read.link);
  let file: { id: string; contentType: string; size: number; fileName: string | null } | null = null;
  if (input.fileId) {
    const row = read.file?.[0];
    if (!row) throw badFile('No such file of yours; upload it first with POST /api/v1/files');
    if (row.purpose !== 'attachment') throw badFile('The file was not uploaded with purpose "attachment"');
    file = { id: row.id, contentType: row.contentType, size: row.size, fileName: row.fileName };
  }
  const id = ctx.ids.id('cgn');
  const now = ctx.clock.now().getTime();
  try {
    await ctx.db.batch([
      ctx.db.insert(caregiverNotes).values({
        id,
        // NULL (so the insert fails) unless the link is still active.
        linkId: sql<string>`(select ${qualified(caregiverLinks.id)} from ${caregiverLinks} where ${qualified(caregiverLinks.id)} = ${link.id} and ${qualified(caregiverLinks.endedAt)} is null)`,
        authorId,
        body: input.body,
        fileId: file?.id ?? null,
        createdAt: now,
      }),
      noteAudit(ctx, link, 'caregiver.note.create', { noteId: id, fileId: file?.id ?? null }),
    ]);
  } catch (err) {
    if (isNotNullViolation(err, caregiverNotes.linkId)) throw notFound('Relationship');
    throw err;
  }
  return {
    id,
    linkId: link.id,
    author: { id: authorId, name: read.author[0]?.name ?? null },
    body: input.body,
    file,
    createdAt: iso(now),
  };
}

/**
 * The bytes of a note's attachment, for either side of the active relationship. One round trip to D1:
 * the relationship, the note with its file and the read's audit row in one batch (the audit row is
 * written only when the caller shares the relationship and the note carries a stored file, so before
 * any byte is sent), then the bytes from storage.
 * @throws AppError NOT_FOUND (relationship not the caller's or ended, no such note on it, no file, or
 *   the file was deleted)
 */
export async function readCareNoteFile(ctx: AuthedContext, linkId: string, noteId: string) {
  // Qualified: the audit row's subqueries sit inside a single-table INSERT.
  const onLink = and(
    eq(qualified(caregiverNotes.id), noteId),
    eq(qualified(caregiverNotes.linkId), linkId),
    isNotNull(qualified(caregiverNotes.fileId)),
  )!;
  const withFile = eq(files.id, caregiverNotes.fileId);
  const read = await batchOf(ctx.db, {
    link: sharedLinkQuery(ctx, linkId),
    note: ctx.db
      .select({ ...noteColumns, storageKey: sql<string>`${files.storageKey}`.as('file_storage_key') })
      .from(caregiverNotes)
      .leftJoin(users, eq(users.id, caregiverNotes.authorId))
      .innerJoin(files, withFile)
      .where(onLink),
    // Written only when the caller shares the link and the note has a file, as the read hands over.
    audit: auditInsert(
      ctx,
      {
        action: 'caregiver.note.file.read',
        resourceType: 'file',
        resourceId: sql`(select ${qualified(caregiverNotes.fileId)} from ${caregiverNotes} where ${onLink})`,
        patientId: patientOfLink(linkId),
        metadata: { linkId, noteId },
      },
      {
        guard: {
          where: and(
            sharesLink(ctx, linkId),
            exists(ctx.db.select({ one: sql`1` }).from(caregiverNotes).innerJoin(files, withFile).where(onLink)),
          ),
        },
      },
    ),
  });
  sharedLinkIn(read.link);
  const row = read.note[0];
  const object = row ? await ctx.ports.storage.get(row.storageKey) : null;
  if (!row || !object) throw notFound('File');
  return { file: toNoteView(row as NoteJoinRow).file!, body: object.body };
}
