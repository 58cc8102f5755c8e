import { and, asc, count, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { files, medicalRecordDocuments, type RecordDocumentType } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { accessStatements, basisOf, basisQuery, patientOf } from './record-access';

/** The upload purposes a record document may have been uploaded with (POST /files). */
const DOCUMENT_PURPOSES = ['attachment', 'lab-report'] as const;

const invalidFile = (message: string) =>
  new AppError('VALIDATION_FAILED', message, { fields: [{ field: 'fileId', message }] });

const documentColumns = {
  id: medicalRecordDocuments.id,
  fileId: medicalRecordDocuments.fileId,
  type: medicalRecordDocuments.type,
  contentType: files.contentType,
  size: files.size,
  fileName: files.fileName,
  addedBy: medicalRecordDocuments.addedBy,
  createdAt: medicalRecordDocuments.createdAt,
};

interface DocumentRow {
  id: string;
  fileId: string;
  type: RecordDocumentType;
  contentType: string;
  size: number;
  fileName: string | null;
  addedBy: string;
  createdAt: number;
}

const toDocumentView = (row: DocumentRow) => ({ ...row, createdAt: iso(row.createdAt) });

/**
 * Links a file the caller uploaded (POST /files, purpose `attachment` or `lab-report`) to a patient's
 * record as a document of `type`. Whoever may change the record may add documents (the patient, their
 * doctor, a doctor with a whole-record grant); anyone else gets NOT_FOUND. A file is linked to one
 * record at most. Two round trips: the access check and the file, then the link with its log and audit.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (fileId: not the caller's, wrong purpose, already linked)
 */
export async function addDocument(
  ctx: AuthedContext,
  patientParam: string,
  input: { fileId: string; type: RecordDocumentType },
) {
  const patientId = patientOf(ctx, patientParam);
  const { basis, file } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'write'),
    file: ctx.db
      .select({
        id: files.id,
        purpose: files.purpose,
        contentType: files.contentType,
        size: files.size,
        fileName: files.fileName,
      })
      .from(files)
      .where(and(eq(files.id, input.fileId), eq(files.ownerId, ctx.actor.id))),
  });
  basisOf(basis);
  const found = file[0];
  if (!found) throw invalidFile(`File ${input.fileId} not found`);
  if (!(DOCUMENT_PURPOSES as readonly string[]).includes(found.purpose)) {
    throw invalidFile(`File ${input.fileId} was not uploaded as an attachment or lab report`);
  }
  const row = {
    id: ctx.ids.id('rdc'),
    patientId,
    fileId: found.id,
    type: input.type,
    addedBy: ctx.actor.id,
    createdAt: ctx.clock.now().getTime(),
  };
  const [log, audit] = accessStatements(ctx, {
    patientId,
    need: 'write',
    resource: 'documents',
    metadata: { documentId: row.id, fileId: row.fileId },
  });
  try {
    await ctx.db.batch([ctx.db.insert(medicalRecordDocuments).values(row), log, audit]);
  } catch (err) {
    if (isUniqueViolation(err, medicalRecordDocuments))
      throw invalidFile(`File ${input.fileId} is already a record document`);
    throw err;
  }
  return toDocumentView({ ...row, contentType: found.contentType, size: found.size, fileName: found.fileName });
}

/**
 * A page of a record's documents, oldest first (a deleted file leaves the list). Readable by whoever may
 * read the record, and by holders of a `documents` grant; logged and audited in the same batch.
 * @throws AppError NOT_FOUND
 */
export async function listDocuments(ctx: AuthedContext, patientParam: string, query: { page: number; limit: number }) {
  const patientId = patientOf(ctx, patientParam);
  const mine = eq(medicalRecordDocuments.patientId, patientId);
  const [log, audit] = accessStatements(ctx, { patientId, need: 'documents', resource: 'documents' });
  const { basis, rows, total } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'documents'),
    rows: ctx.db
      .select(documentColumns)
      .from(medicalRecordDocuments)
      .innerJoin(files, eq(files.id, medicalRecordDocuments.fileId))
      .where(mine)
      .orderBy(asc(medicalRecordDocuments.createdAt), asc(medicalRecordDocuments.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db
      .select({ n: count() })
      .from(medicalRecordDocuments)
      .innerJoin(files, eq(files.id, medicalRecordDocuments.fileId))
      .where(mine),
    log,
    audit,
  });
  basisOf(basis);
  return page(rows.map(toDocumentView), total[0]?.n ?? 0, query);
}

/**
 * One document's bytes, for whoever may read the record's documents (the record's readers and holders
 * of a `documents` grant), with its access-log row and audit event in the same round trip as the
 * check. A file missing from storage (or a document of another record) is NOT_FOUND; its read stays
 * logged, as the check passed.
 * @throws AppError NOT_FOUND
 */
export async function readDocument(ctx: AuthedContext, patientParam: string, documentId: string) {
  const patientId = patientOf(ctx, patientParam);
  const [log, audit] = accessStatements(ctx, {
    patientId,
    need: 'documents',
    resource: 'document',
    metadata: { documentId },
  });
  const { basis, rows } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'documents'),
    rows: ctx.db
      .select({ ...documentColumns, storageKey: files.storageKey })
      .from(medicalRecordDocuments)
      .innerJoin(files, eq(files.id, medicalRecordDocuments.fileId))
      .where(and(eq(medicalRecordDocuments.patientId, patientId), eq(medicalRecordDocuments.id, documentId))),
    log,
    audit,
  });
  basisOf(basis);
  const found = rows[0];
  const object = found ? await ctx.ports.storage.get(found.storageKey) : null;
  if (!found || !object) throw notFound('Document');
  const { storageKey: _key, ...document } = found;
  return { document: toDocumentView(document), body: object.body };
}
