import { and, count, desc, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import {
  type MedicalRecordVersionRow,
  medicalRecordAccessLog,
  medicalRecordVersions,
  RECORD_SECTIONS,
  type RecordSection,
} from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { openWithKeyring, sealWithKeyring } from '../../lib/crypto';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import {
  EMPTY_CONTENT,
  type MedicalRecordView,
  type RecordChangeInput,
  type RecordContent,
  RecordContentSchema,
} from './medical-records.schemas';
import { accessStatements, basisOf, basisQuery, contentBinding, patientOf, recordKeyring } from './record-access';

const newest = (ctx: AuthedContext, patientId: string) =>
  ctx.db
    .select()
    .from(medicalRecordVersions)
    .where(eq(medicalRecordVersions.patientId, patientId))
    .orderBy(desc(medicalRecordVersions.version))
    .limit(1);

async function contentOf(ctx: AuthedContext, row: MedicalRecordVersionRow): Promise<RecordContent> {
  const plain = await openWithKeyring(
    recordKeyring(ctx),
    row.keyId,
    row.content,
    contentBinding(row.patientId, row.version),
  );
  return RecordContentSchema.parse(JSON.parse(plain));
}

function metaOf(row: MedicalRecordVersionRow) {
  return {
    version: row.version,
    authorId: row.authorId,
    authorRole: row.authorRole,
    sectionsChanged: row.sectionsChanged,
    createdAt: iso(row.createdAt),
  };
}

async function viewOf(
  ctx: AuthedContext,
  patientId: string,
  row: MedicalRecordVersionRow | undefined,
  access: MedicalRecordView['access'],
): Promise<MedicalRecordView> {
  if (!row) {
    return {
      patientId,
      version: 0,
      authorId: null,
      authorRole: null,
      sectionsChanged: [],
      createdAt: null,
      content: EMPTY_CONTENT,
      access,
    };
  }
  return { patientId, ...metaOf(row), content: await contentOf(ctx, row), access };
}

/**
 * A patient's record as its newest version says (version 0 and empty sections while nobody has written
 * it), for whoever may read it (`basisSql`); anyone else gets NOT_FOUND. One round trip: the access
 * check, the version, the patient's access-log row and the audit event go in one batch, the last two
 * written exactly when the check passes.
 * @throws AppError NOT_FOUND
 */
export async function getRecord(ctx: AuthedContext, patientParam: string): Promise<MedicalRecordView> {
  const patientId = patientOf(ctx, patientParam);
  const [log, audit] = accessStatements(ctx, { patientId, need: 'read', resource: 'record' });
  const { basis, rows } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'read'),
    rows: newest(ctx, patientId),
    log,
    audit,
  });
  return viewOf(ctx, patientId, rows[0], basisOf(basis));
}

/**
 * One version of a record, as it was written. Same access and audit as `getRecord`.
 * @throws AppError NOT_FOUND (no such version, or not the caller's to read)
 */
export async function getVersion(
  ctx: AuthedContext,
  patientParam: string,
  version: number,
): Promise<MedicalRecordView> {
  const patientId = patientOf(ctx, patientParam);
  const [log, audit] = accessStatements(ctx, { patientId, need: 'read', resource: 'version', metadata: { version } });
  const { basis, rows } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'read'),
    rows: ctx.db
      .select()
      .from(medicalRecordVersions)
      .where(and(eq(medicalRecordVersions.patientId, patientId), eq(medicalRecordVersions.version, version))),
    log,
    audit,
  });
  const access = basisOf(basis);
  if (!rows[0]) throw notFound('Medical record version');
  return viewOf(ctx, patientId, rows[0], access);
}

/**
 * The history of a record, newest first: each version's number, author, time and the sections it
 * changed (no content). Same access and audit as `getRecord`, in one round trip.
 * @throws AppError NOT_FOUND
 */
export async function listVersions(ctx: AuthedContext, patientParam: string, query: { page: number; limit: number }) {
  const patientId = patientOf(ctx, patientParam);
  const mine = eq(medicalRecordVersions.patientId, patientId);
  const [log, audit] = accessStatements(ctx, { patientId, need: 'read', resource: 'versions' });
  const { basis, rows, total } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'read'),
    rows: ctx.db
      .select()
      .from(medicalRecordVersions)
      .where(mine)
      .orderBy(desc(medicalRecordVersions.version))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(medicalRecordVersions).where(mine),
    log,
    audit,
  });
  basisOf(basis);
  return page(rows.map(metaOf), total[0]?.n ?? 0, query);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes a new version of a record: `replace` (PUT) empties the sections the body leaves out, a merge
 * (PATCH) keeps them. The patient writes their own; a doctor with a care relationship or a
 * whole-record grant writes their patients'; anyone else gets NOT_FOUND. `baseVersion` must be the
 * newest version (0 for a record nobody wrote yet): another is CONFLICT, also when a concurrent write
 * took the next version first (the unique version number collides). Two round trips: the read batch,
 * then the version with its access-log row and audit event.
 * @throws AppError NOT_FOUND, CONFLICT
 */
export async function writeRecord(
  ctx: AuthedContext,
  patientParam: string,
  input: RecordChangeInput,
  mode: 'replace' | 'merge',
): Promise<MedicalRecordView> {
  const patientId = patientOf(ctx, patientParam);
  const { basis, rows } = await batchOf(ctx.db, {
    basis: basisQuery(ctx, patientId, 'write'),
    rows: newest(ctx, patientId),
  });
  const access = basisOf(basis);
  const current = rows[0];
  const currentVersion = current?.version ?? 0;
  if (input.baseVersion !== currentVersion) throw staleVersion(currentVersion);
  const before = current ? await contentOf(ctx, current) : EMPTY_CONTENT;
  const { baseVersion: _, ...sections } = input;
  const after: RecordContent = mode === 'replace' ? { ...EMPTY_CONTENT, ...sections } : { ...before, ...sections };
  const changed: RecordSection[] = RECORD_SECTIONS.filter((s) => !sameJson(before[s], after[s]));
  const version = currentVersion + 1;
  const { keyId, sealed } = await sealWithKeyring(
    recordKeyring(ctx),
    JSON.stringify(after),
    contentBinding(patientId, version),
  );
  const row: MedicalRecordVersionRow = {
    id: ctx.ids.id('mrv'),
    patientId,
    version,
    keyId,
    content: sealed,
    sectionsChanged: changed,
    authorId: ctx.actor.id,
    authorRole: ctx.actor.role,
    createdAt: ctx.clock.now().getTime(),
  };
  const [log, audit] = accessStatements(ctx, {
    patientId,
    need: 'write',
    resource: 'record',
    metadata: { version, sections: changed },
  });
  try {
    await ctx.db.batch([ctx.db.insert(medicalRecordVersions).values(row), log, audit]);
  } catch (err) {
    if (isUniqueViolation(err, medicalRecordVersions)) throw staleVersion(null);
    throw err;
  }
  return { patientId, ...metaOf(row), content: after, access };
}

function staleVersion(current: number | null): AppError {
  return new AppError(
    'CONFLICT',
    current === null
      ? 'The record changed meanwhile: read it again and apply your change to the newest version'
      : `The record is at version ${current}: read it again and apply your change to it`,
    { details: { reason: 'stale-version', ...(current === null ? {} : { currentVersion: current }) } },
  );
}

/** Who opened the caller's own record, when and why, newest first (one round trip). */
export async function listAccessLog(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, medicalRecordAccessLog, {
    where: eq(medicalRecordAccessLog.patientId, ctx.actor.id),
    orderBy: [desc(medicalRecordAccessLog.at), desc(medicalRecordAccessLog.id)],
    page: query.page,
    limit: query.limit,
    map: (row) => ({
      id: row.id,
      actorId: row.actorId,
      actorRole: row.actorRole,
      action: row.action,
      resource: row.resource,
      basis: row.basis,
      reason: row.reason,
      at: iso(row.at),
    }),
  });
}
