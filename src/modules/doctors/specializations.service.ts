import { and, asc, eq, getTableColumns, notExists, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { doctorSpecializations, specializations } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import type { CreateSpecializationInput, SpecializationView, UpdateSpecializationInput } from './doctors.schemas';
import { MAX_SPECIALIZATION_DEPTH, parentProblem } from './specializations.policy';

type SpecializationRow = typeof specializations.$inferSelect;

export function toSpecializationView(row: SpecializationRow): SpecializationView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    parentId: row.parentId,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

const duplicateSlug = () => new AppError('CONFLICT', 'A specialization with this slug already exists');
const badParent = (message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'parentId', message }] });
const treeChanged = () => new AppError('CONFLICT', 'The specializations changed meanwhile; read them again and retry');

// ---------------------------------------------------------------------------------------------------
// The tree, in SQL. Every walk is bounded one level past MAX_SPECIALIZATION_DEPTH, so it ends even on
// rows that somehow formed a loop, and still sees a chain that is too deep.

const WALK_LIMIT = MAX_SPECIALIZATION_DEPTH + 1;

/** `up(id, parent_id, n)`: `id` itself (n = 1) and its ancestors; empty when `id` does not exist. */
const up = (id: string) =>
  sql`with recursive up(id, parent_id, n) as (select id, parent_id, 1 from ${specializations} where id = ${id} union all select s.id, s.parent_id, up.n + 1 from ${specializations} s join up on s.id = up.parent_id where up.n < ${WALK_LIMIT})`;

/** `down(id, n)`: the specialization `where` picks (n = 0) and everything below it. */
const down = (where: SQL) =>
  sql`with recursive down(id, n) as (select id, 0 from ${specializations} where ${where} union all select s.id, down.n + 1 from ${specializations} s join down on s.parent_id = down.id where down.n < ${WALK_LIMIT})`;

/** The level of `id` (1 for a top-level specialization), 0 when there is none. */
const levelOf = (id: string) => sql<number>`(${up(id)} select count(*) from up)`.mapWith(Number);

/** Whether `ancestor` is `id` or above it. */
const isAtOrAbove = (ancestor: string, id: string) =>
  sql<boolean>`exists (${up(id)} select 1 from up where up.id = ${ancestor})`.mapWith(Boolean);

/** How many levels sit below `id` (0 for a leaf or an unknown id). */
const heightOf = (id: string) =>
  sql<number>`(${down(sql`id = ${id}`)} select coalesce(max(n), 0) from down)`.mapWith(Number);

/**
 * SQL for "`parentId` may hold `childId` (null: a new one)": the rule of `parentProblem`, re-asserted
 * inside the write itself, so two moves racing each other cannot together close a loop or pass the
 * depth limit.
 */
function fitsUnder(parentId: string, childId: string | null): SQL {
  const room = childId
    ? sql`${MAX_SPECIALIZATION_DEPTH - 1} - ${heightOf(childId)}`
    : sql`${MAX_SPECIALIZATION_DEPTH - 1}`;
  const level = sql`${levelOf(parentId)} between 1 and ${room}`;
  return childId ? sql`${level} and not ${isAtOrAbove(childId, parentId)}` : level;
}

/**
 * The ids of the specialization with `slug` and of every specialization below it, as a subquery (for
 * `IN (…)`): a filter by a parent also finds what sits under it. Empty for an unknown slug.
 */
export const specializationSubtreeBySlug = (slug: string) => sql`(${down(sql`slug = ${slug}`)} select id from down)`;

/**
 * What a read batch learns about `parentId` as the parent of `childId` (null: a new specialization).
 * Columns are aliased: D1 answers a batch's rows keyed by column name, and `0` as a name would sort
 * first and shift the values.
 */
const parentFactsQuery = (ctx: ServiceContext, parentId: string, childId: string | null) =>
  ctx.db
    .select({
      level: levelOf(parentId).as('level'),
      childAbove: (childId ? isAtOrAbove(childId, parentId) : sql<boolean>`0`.mapWith(Boolean)).as('child_above'),
    })
    .from(specializations)
    .where(eq(specializations.id, parentId));

/** Throws the field error of `parentProblem` for the facts a read batch found. */
function assertParent(
  parentId: string,
  childId: string | null,
  found: { level: number; childAbove: boolean } | undefined,
  childHeight = 0,
) {
  const problem = parentProblem({
    childId,
    parentId,
    parentLevel: found?.level ?? 0,
    childAboveParent: found?.childAbove ?? false,
    childHeight,
  });
  if (problem) throw badParent(problem);
}

/** All specializations by name, a page at a time; each names its `parentId`, so a page is a tree. */
export async function listSpecializations(ctx: ServiceContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, specializations, {
    where: undefined,
    orderBy: [asc(specializations.name), asc(specializations.id)],
    page: query.page,
    limit: query.limit,
    map: toSpecializationView,
  });
}

/**
 * Adds a specialization to the taxonomy, under `parentId` when given, and audits it, atomically. One
 * round trip without a parent; with one, a read of the parent's place in the tree, then the insert,
 * which re-asserts it.
 * @throws AppError CONFLICT (slug taken; the tree changed between the read and the write),
 *   VALIDATION_FAILED (`parentId` unknown, or too deep to hold a child)
 */
export async function createSpecialization(
  ctx: ServiceContext,
  input: CreateSpecializationInput,
): Promise<SpecializationView> {
  const now = ctx.clock.now().getTime();
  const row: SpecializationRow = {
    id: ctx.ids.id('spc'),
    slug: input.slug,
    name: input.name,
    description: input.description ?? null,
    parentId: input.parentId ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const audit = { action: 'specialization.create', resourceType: 'specialization', resourceId: row.id };
  const { parentId } = row;
  if (parentId) {
    const { parent } = await batchOf(ctx.db, { parent: parentFactsQuery(ctx, parentId, null) });
    assertParent(parentId, null, parent[0]);
  }
  try {
    await ctx.db.batch(
      parentId
        ? [insertUnder(ctx, row, parentId), auditInsert(ctx, audit, { guard: 'one-row-changed' })]
        : [ctx.db.insert(specializations).values(row), auditInsert(ctx, audit)],
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    if (auditGuardTripped(err)) throw treeChanged();
    throw err;
  }
  return toSpecializationView(row);
}

/** INSERT … SELECT of `row` that inserts nothing unless `parentId` may still hold a new child. */
function insertUnder(ctx: ServiceContext, row: SpecializationRow, parentId: string) {
  // Every column in table order; plain values are encoded by their column.
  const columns = getTableColumns(specializations);
  const values = (Object.keys(columns) as (keyof typeof columns)[]).map((key) => sql.param(row[key], columns[key]));
  return ctx.db
    .insert(specializations)
    .select(sql`select ${sql.join(values, sql`, `)} where ${fitsUnder(parentId, null)}`);
}

/**
 * Changes the given fields of a specialization and audits which fields changed. `parentId` moves it
 * (with everything below it) under another specialization; `null` makes it top-level. A move reads
 * the tree first and its update re-asserts what it read; anything else is one round trip.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change; `parentId` unknown, itself, below
 *   it, or too deep), CONFLICT (slug taken; the tree changed between the read and the write)
 */
export async function updateSpecialization(
  ctx: ServiceContext,
  id: string,
  input: UpdateSpecializationInput,
): Promise<SpecializationView> {
  const changes = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as UpdateSpecializationInput;
  const fields = Object.keys(changes);
  if (!fields.length) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one field to change', {
      fields: [{ field: 'body', message: 'Give at least one of slug, name, description, parentId' }],
    });
  }
  const parentId = changes.parentId ?? null;
  if (parentId) {
    const { child, parent } = await batchOf(ctx.db, {
      child: ctx.db
        .select({ height: heightOf(id).as('height') })
        .from(specializations)
        .where(eq(specializations.id, id)),
      parent: parentFactsQuery(ctx, parentId, id),
    });
    if (!child[0]) throw notFound('Specialization');
    assertParent(parentId, id, parent[0], child[0].height);
  }
  const where = parentId ? and(eq(specializations.id, id), fitsUnder(parentId, id)) : eq(specializations.id, id);
  const audit = {
    action: 'specialization.update',
    resourceType: 'specialization',
    resourceId: id,
    metadata: { fields },
  };
  let updated: SpecializationRow | undefined;
  try {
    [[updated]] = await ctx.db.batch([
      ctx.db
        .update(specializations)
        .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
        .where(where)
        .returning(),
      // A move that lost a race to another change of the tree writes nothing, its audit row included.
      parentId ? auditInsert(ctx, audit, { guard: 'one-row-changed' }) : auditInsert(ctx, audit),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    if (auditGuardTripped(err)) throw treeChanged();
    throw err;
  }
  if (!updated) throw notFound('Specialization');
  return toSpecializationView(updated);
}

/**
 * Removes a specialization no doctor uses and nothing sits under (children are moved or removed
 * first, so a doctor listing a child never loses its place in the tree). Both checks are part of the
 * DELETE itself, so a doctor picking it, or a child added under it, at the same moment cannot leave a
 * dangling link.
 * @throws AppError NOT_FOUND, CONFLICT (a doctor lists it; specializations sit under it)
 */
export async function deleteSpecialization(ctx: ServiceContext, id: string): Promise<void> {
  const listed = ctx.db
    .select({ id: doctorSpecializations.doctorId })
    .from(doctorSpecializations)
    .where(eq(doctorSpecializations.specializationId, id));
  const below = ctx.db
    .select({ id: sql`1` })
    .from(sql`${specializations} as child`)
    .where(sql`child.parent_id = ${id}`);
  const { existing, inUse, hasChildren } = await batchOf(ctx.db, {
    existing: ctx.db.select({ id: specializations.id }).from(specializations).where(eq(specializations.id, id)),
    inUse: listed.limit(1),
    hasChildren: below.limit(1),
  });
  if (!existing[0]) throw notFound('Specialization');
  const stillListed = () =>
    new AppError('CONFLICT', 'Doctors still list this specialization; remove it from them first');
  const stillParent = () => new AppError('CONFLICT', 'Specializations sit under this one; move or remove them first');
  if (inUse[0]) throw stillListed();
  if (hasChildren[0]) throw stillParent();
  try {
    // A doctor who lists it, or a child added under it, between the read and the delete leaves it in
    // place: the guarded audit row rolls the batch back.
    await ctx.db.batch([
      ctx.db.delete(specializations).where(and(eq(specializations.id, id), notExists(listed), notExists(below))),
      auditInsert(
        ctx,
        { action: 'specialization.delete', resourceType: 'specialization', resourceId: id },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err))
      throw new AppError('CONFLICT', 'The specialization came into use meanwhile; read it again');
    throw err;
  }
}
