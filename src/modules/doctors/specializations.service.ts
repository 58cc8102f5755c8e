import { and, asc, eq, notExists } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { doctorSpecializations, specializations } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import type { CreateSpecializationInput, SpecializationView, UpdateSpecializationInput } from './doctors.schemas';

type SpecializationRow = typeof specializations.$inferSelect;

export function toSpecializationView(row: SpecializationRow): SpecializationView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

const duplicateSlug = () => new AppError('CONFLICT', 'A specialization with this slug already exists');

/** All specializations by name, a page at a time. */
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
 * Adds a specialization to the taxonomy and audits it, atomically.
 * @throws AppError CONFLICT (slug taken)
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
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(specializations).values(row),
      auditInsert(ctx, { action: 'specialization.create', resourceType: 'specialization', resourceId: row.id }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    throw err;
  }
  return toSpecializationView(row);
}

/**
 * Changes the given fields of a specialization and audits which fields changed.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change), CONFLICT (slug taken)
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
      fields: [{ field: 'body', message: 'Give at least one of slug, name, description' }],
    });
  }
  let updated: SpecializationRow | undefined;
  try {
    [[updated]] = await ctx.db.batch([
      ctx.db
        .update(specializations)
        .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
        .where(eq(specializations.id, id))
        .returning(),
      auditInsert(ctx, {
        action: 'specialization.update',
        resourceType: 'specialization',
        resourceId: id,
        metadata: { fields },
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    throw err;
  }
  if (!updated) throw notFound('Specialization');
  return toSpecializationView(updated);
}

/**
 * Removes a specialization no doctor uses. The "in use" check is part of the DELETE itself, so a doctor
 * picking it at the same moment cannot leave a dangling link.
 * @throws AppError NOT_FOUND, CONFLICT (a doctor lists it)
 */
export async function deleteSpecialization(ctx: ServiceContext, id: string): Promise<void> {
  const listed = ctx.db
    .select({ id: doctorSpecializations.doctorId })
    .from(doctorSpecializations)
    .where(eq(doctorSpecializations.specializationId, id));
  const { existing, inUse } = await batchOf(ctx.db, {
    existing: ctx.db.select({ id: specializations.id }).from(specializations).where(eq(specializations.id, id)),
    inUse: listed.limit(1),
  });
  if (!existing[0]) throw notFound('Specialization');
  const stillListed = () =>
    new AppError('CONFLICT', 'Doctors still list this specialization; remove it from them first');
  if (inUse[0]) throw stillListed();
  try {
    // A doctor who lists it between the read and the delete leaves it in place: the guarded audit
    // row rolls the batch back.
    await ctx.db.batch([
      ctx.db.delete(specializations).where(and(eq(specializations.id, id), notExists(listed))),
      auditInsert(
        ctx,
        { action: 'specialization.delete', resourceType: 'specialization', resourceId: id },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw stillListed();
    throw err;
  }
}
