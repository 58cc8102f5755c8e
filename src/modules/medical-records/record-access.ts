import { and, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import {
  emergencyAccesses,
  medicalRecordAccessLog,
  type RecordAccessBasis,
  type RecordGrantScope,
  recordGrants,
} from '../../db/schema';
import { selectedRow } from '../../db/sql';
import type { Keyring } from '../../lib/crypto';
import { AppError, notFound } from '../../lib/errors';
import { careRelationSql } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import { integerSettingSql } from '../settings/settings.service';

const DAY_MS = 86_400_000;

/** `me` names the caller; any other value is a user id. */
export function patientOf(ctx: AuthedContext, patientId: string): string {
  return patientId === 'me' ? ctx.actor.id : patientId;
}

/**
 * What a caller wants to do with a record: read all of it, read its documents only, or change it.
 * A `documents` grant opens only the documents; emergency access never opens a change.
 */
export type RecordNeed = 'read' | 'documents' | 'write';

/**
 * SQL true while the caller holds a live grant (not revoked, not expired at the context's clock) of one
 * of `scopes` on `patientId`'s record: for this module's access check, and for other modules whose
 * data a patient opens with the same grant (a caregiver reading prescriptions).
 */
export function liveGrantSql(ctx: AuthedContext, patientId: string | SQL, scopes: readonly RecordGrantScope[]): SQL {
  const live = and(
    eq(recordGrants.patientId, patientId),
    eq(recordGrants.granteeId, ctx.actor.id),
    isNull(recordGrants.revokedAt),
    gt(recordGrants.expiresAt, ctx.clock.now().getTime()),
    inArray(recordGrants.scope, [...scopes]),
  );
  return sql`exists (select 1 from ${recordGrants} where ${live})`;
}

/**
 * SQL answering why the caller may do `need` on `patientId`'s record at the context's clock, or NULL
 * when they may not: the patient themself; a doctor with a confirmed, in-progress or completed
 * appointment with the patient within `records.doctorAccessDays` (`relation`); a live grant
 * (`grant`: not revoked, not expired; a change needs a whole-record grant held by a doctor); a live
 * emergency access (`emergency`, reads only). Evaluated inside the statement, so a grant revoked or
 * expired a moment ago opens nothing.
 */
export function basisSql(ctx: AuthedContext, patientId: string, need: RecordNeed): SQL<RecordAccessBasis | null> {
  const { actor } = ctx;
  if (actor.id === patientId) return sql<RecordAccessBasis>`'patient'`;
  const now = ctx.clock.now().getTime();
  const isDoctor = actor.role === 'doctor';
  const cases: SQL[] = [];
  if (isDoctor) {
    const since = sql<number>`(${now} - ${integerSettingSql('records.doctorAccessDays')} * ${DAY_MS})`;
    cases.push(sql`when ${careRelationSql(patientId, actor.id, since)} then 'relation'`);
  }
  const scopes: RecordGrantScope[] = need === 'documents' ? ['record', 'documents'] : ['record'];
  if (need !== 'write' || isDoctor) {
    cases.push(sql`when ${liveGrantSql(ctx, patientId, scopes)} then 'grant'`);
  }
  if (isDoctor && need !== 'write')
    cases.push(
      sql`when exists (select 1 from ${emergencyAccesses} where ${liveEmergency(ctx, patientId)}) then 'emergency'`,
    );
  if (cases.length === 0) return sql<null>`null`;
  return sql<RecordAccessBasis | null>`(case ${sql.join(cases, sql` `)} end)`;
}

/** The caller's live emergency accesses to `patientId`'s record, as SQL conditions on `emergency_accesses`. */
function liveEmergency(ctx: AuthedContext, patientId: string): SQL {
  return and(
    eq(emergencyAccesses.patientId, patientId),
    eq(emergencyAccesses.doctorId, ctx.actor.id),
    gt(emergencyAccesses.expiresAt, ctx.clock.now().getTime()),
  )!;
}

/**
 * A one-row derived table `access(basis, reason)`: the caller's basis and, for emergency access, the
 * reason they gave. The log and audit rows of a read select from it, so they are written exactly when
 * the read is allowed, with the basis that allowed it.
 */
function accessTable(ctx: AuthedContext, patientId: string, need: RecordNeed): SQL {
  const reason =
    ctx.actor.id !== patientId && ctx.actor.role === 'doctor'
      ? sql`(select ${emergencyAccesses.reason} from ${emergencyAccesses} where ${liveEmergency(ctx, patientId)} order by ${emergencyAccesses.createdAt} desc limit 1)`
      : sql`null`;
  return sql`(select ${basisSql(ctx, patientId, need)} as basis, ${reason} as reason) as access`;
}

/** The basis read for the batch: one row `{ basis }` (NULL when the caller may not). */
export function basisQuery(ctx: AuthedContext, patientId: string, need: RecordNeed) {
  // A one-row source: the answer is a row even when the caller may not (its basis then NULL).
  return ctx.db.select({ basis: basisSql(ctx, patientId, need) }).from(sql`(select 1) as one`);
}

/**
 * The basis `basisQuery` read.
 * @throws AppError NOT_FOUND when the caller may not (as if the record did not exist)
 */
export function basisOf(rows: readonly { basis: RecordAccessBasis | null }[]): RecordAccessBasis {
  const basis = rows[0]?.basis;
  if (!basis) throw notFound('Medical record');
  return basis;
}

/**
 * The statements that record one access for the caller's batch: the patient's access-log row and the
 * audit event, both INSERT … SELECT from the access check (nothing is written when it fails).
 */
export function accessStatements(
  ctx: AuthedContext,
  input: { patientId: string; need: RecordNeed; resource: string; metadata?: Record<string, unknown> },
) {
  const { actor } = ctx;
  const action = input.need === 'write' ? 'write' : 'read';
  const from = accessTable(ctx, input.patientId, input.need);
  const where = sql`access.basis is not null`;
  const row = {
    id: ctx.ids.id('ral'),
    patientId: input.patientId,
    actorId: actor.id,
    actorRole: actor.role,
    action,
    resource: input.resource,
    basis: sql`access.basis`,
    reason: sql`access.reason`,
    at: ctx.clock.now().getTime(),
  } satisfies Record<keyof typeof medicalRecordAccessLog.$inferInsert, unknown>;
  return [
    ctx.db
      .insert(medicalRecordAccessLog)
      .select(sql`select ${selectedRow(medicalRecordAccessLog, row)} from ${from} where ${where}`),
    auditInsert(
      ctx,
      {
        action: `medical_record.${action}`,
        resourceType: 'medical_record',
        resourceId: input.patientId,
        patientId: input.patientId,
        metadata: sql`json_object('resource', ${input.resource}, 'basis', access.basis${
          input.metadata ? sql`, 'details', json(${JSON.stringify(input.metadata)})` : sql``
        })`,
      },
      { guard: { from, where } },
    ),
  ] as const;
}

/**
 * The keys record content is sealed with: ENCRYPTION_KEY under ENCRYPTION_KEY_ID (default `k1`) seals
 * new versions; ENCRYPTION_KEYS_RETIRED (`{ "<id>": "<key>" }`) still opens versions sealed before a
 * rotation.
 * @throws AppError INTERNAL when no key is configured
 */
export function recordKeyring(ctx: ServiceContext): Keyring {
  const current = ctx.env.ENCRYPTION_KEY;
  if (!current) throw new AppError('INTERNAL', 'ENCRYPTION_KEY is not configured');
  const retired = ctx.env.ENCRYPTION_KEYS_RETIRED
    ? (JSON.parse(ctx.env.ENCRYPTION_KEYS_RETIRED) as Record<string, string>)
    : {};
  const currentId = ctx.env.ENCRYPTION_KEY_ID || 'k1';
  return { currentId, keys: { ...retired, [currentId]: current } };
}

/** What the content of one version is bound to: ciphertext moved to another row fails to open. */
export const contentBinding = (patientId: string, version: number) => `medical-record:${patientId}:${version}`;
