import { and, asc, eq, notExists } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { type CareSpecialtyRow, caregiverSpecialties, careSpecialties } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import type { CareSpecialtyView, CreateCareSpecialtyInput, UpdateCareSpecialtyInput } from './care-profiles.schemas';

export function toCareSpecialtyView(row: CareSpecialtyRow): CareSpecialtyView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

const duplicateSlug = () => new AppError('CONFLICT', 'A care specialty with this slug already exists');

/** The care specialties by name, a page at a time. One round trip. */
export function listCareSpecialties(ctx: ServiceContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, careSpecialties, {
    where: undefined,
    orderBy: [asc(careSpecialties.name), asc(careSpecialties.id)],
    page: query.page,
    limit: query.limit,
    map: toCareSpecialtyView,
  });
}

/**
 * Adds a care specialty and audits it, atomically. One round trip.
 * @throws AppError CONFLICT (slug taken)
 */
export async function createCareSpecialty(
  ctx: ServiceContext,
  input: CreateCareSpecialtyInput,
): Promise<CareSpecialtyView> {
  const now = ctx.clock.now().getTime();
  const row: CareSpecialtyRow = {
    id: ctx.ids.id('csp'),
    slug: input.slug,
    name: input.name,
    description: input.description ?? null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(careSpecialties).values(row),
      auditInsert(ctx, { action: 'care-specialty.create', resourceType: 'care-specialty', resourceId: row.id }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    throw err;
  }
  return toCareSpecialtyView(row);
}

/**
 * Changes the given fields of a care specialty and audits which changed. One round trip.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change), CONFLICT (slug taken)
 */
export async function updateCareSpecialty(
  ctx: ServiceContext,
  id: string,
  input: UpdateCareSpecialtyInput,
): Promise<CareSpecialtyView> {
  const changes = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as UpdateCareSpecialtyInput;
  const fields = Object.keys(changes);
  if (!fields.length) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one field to change', {
      fields: [{ field: 'body', message: 'Give at least one of slug, name, description' }],
    });
  }
  let updated: CareSpecialtyRow | undefined;
  try {
    [[updated]] = await ctx.db.batch([
      ctx.db
        .update(careSpecialties)
        .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
        .where(eq(careSpecialties.id, id))
        .returning(),
      auditInsert(
        ctx,
        { action: 'care-specialty.update', resourceType: 'care-specialty', resourceId: id, metadata: { fields } },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateSlug();
    if (auditGuardTripped(err)) throw notFound('Care specialty');
    throw err;
  }
  if (!updated) throw notFound('Care specialty');
  return toCareSpecialtyView(updated);
}

/**
 * Removes a care specialty no caregiver lists. The check is part of the DELETE itself, so a caregiver
 * picking it at the same moment cannot leave a dangling link. A read, then the guarded delete.
 * @throws AppError NOT_FOUND, CONFLICT (a caregiver lists it)
 */
export async function deleteCareSpecialty(ctx: ServiceContext, id: string): Promise<void> {
  const listed = ctx.db
    .select({ id: caregiverSpecialties.caregiverId })
    .from(caregiverSpecialties)
    .where(eq(caregiverSpecialties.specialtyId, id));
  const { existing, inUse } = await batchOf(ctx.db, {
    existing: ctx.db.select({ id: careSpecialties.id }).from(careSpecialties).where(eq(careSpecialties.id, id)),
    inUse: listed.limit(1),
  });
  if (!existing[0]) throw notFound('Care specialty');
  const stillListed = () => new AppError('CONFLICT', 'Caregivers still list this specialty; remove it from them first');
  if (inUse[0]) throw stillListed();
  try {
    await ctx.db.batch([
      ctx.db.delete(careSpecialties).where(and(eq(careSpecialties.id, id), notExists(listed))),
      auditInsert(
        ctx,
        { action: 'care-specialty.delete', resourceType: 'care-specialty', resourceId: id },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw stillListed();
    throw err;
  }
}
