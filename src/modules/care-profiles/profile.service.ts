import { and, asc, eq, inArray, notInArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import { type BatchResults, batchOf, type Named } from '../../db/batch';
import {
  type CaregiverCredentialRow,
  type CaregiverProfileRow,
  caregiverCredentials,
  caregiverProfiles,
  caregiverSpecialties,
  careSpecialties,
  files,
  type UserRow,
  users,
} from '../../db/schema';
import { aliasedColumns } from '../../db/sql';
import { AppError, type FieldError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { canonicalLanguage } from '../users/profile.policy';
import type { CaregiverProfileView, PublicCaregiverView, UpdateCaregiverProfileInput } from './care-profiles.schemas';

/** File purposes a caregiver's photo may come from (as a doctor's). */
const PHOTO_PURPOSES = ['avatar', 'content'] as const;

type SpecialtyRef = { caregiverId: string; id: string; slug: string; name: string };

/**
 * The statement reading the specialties of the caregivers `ids` selects (a list or a subquery), by
 * name, for the caller's batch.
 */
export function specialtiesQuery(ctx: ServiceContext, ids: string[] | SQLiteSelect) {
  return ctx.db
    .select({
      caregiverId: caregiverSpecialties.caregiverId,
      id: careSpecialties.id,
      slug: careSpecialties.slug,
      name: careSpecialties.name,
    })
    .from(caregiverSpecialties)
    .innerJoin(careSpecialties, eq(careSpecialties.id, caregiverSpecialties.specialtyId))
    .where(inArray(caregiverSpecialties.caregiverId, ids))
    .orderBy(asc(careSpecialties.name));
}

/** Groups what `specialtiesQuery` read by caregiver. */
export function specialtiesByCaregiver(rows: SpecialtyRef[]): Map<string, PublicCaregiverView['specialties']> {
  const map = new Map<string, PublicCaregiverView['specialties']>();
  for (const { caregiverId, ...ref } of rows) map.set(caregiverId, [...(map.get(caregiverId) ?? []), ref]);
  return map;
}

/**
 * A caregiver's account and profile as one row of `users` joined with `caregiver_profiles`; the
 * profile's columns are aliased (both tables have an `updated_at`).
 */
export function caregiverRowColumns() {
  return { user: users, profile: aliasedColumns(caregiverProfiles, 'profile') };
}

/** The public view of a caregiver: what search results and recommendations show. */
export function toPublicCaregiver(
  user: Pick<UserRow, 'id' | 'name'>,
  profile: CaregiverProfileRow,
  specialties: PublicCaregiverView['specialties'],
): PublicCaregiverView {
  const located = profile.address !== null && profile.latitude !== null && profile.longitude !== null;
  return {
    id: user.id,
    name: user.name,
    photo: profile.photoFileId,
    specialties,
    hourlyRateCents: profile.hourlyRateCents,
    currency: profile.currency,
    languages: profile.languages,
    yearsOfExperience: profile.yearsOfExperience,
    bio: profile.bio,
    serviceLocation: located
      ? { address: profile.address!, latitude: profile.latitude!, longitude: profile.longitude! }
      : null,
    serviceRadiusKm: profile.serviceRadiusKm,
    ratingAverage: profile.ratingAverage === null ? null : Math.round(profile.ratingAverage * 100) / 100,
    ratingCount: profile.ratingCount,
  };
}

export function toCredentialView(row: CaregiverCredentialRow) {
  return {
    id: row.id,
    type: row.type,
    number: row.number,
    issuer: row.issuer,
    expiresAt: row.expiresAt,
    documentFileIds: row.documentFileIds,
  };
}

/** The profile as the caregiver (or an admin) manages it. */
export function toManagedProfile(
  user: UserRow,
  profile: CaregiverProfileRow,
  specialties: PublicCaregiverView['specialties'],
  credentials: CaregiverCredentialRow[],
  stored: boolean,
): CaregiverProfileView {
  return {
    ...toPublicCaregiver(user, profile, specialties),
    status: user.status,
    verifiedAt: iso(user.verifiedAt),
    // A rejection stands until the caregiver is verified.
    rejection:
      user.verifiedAt === null && profile.rejectionReason !== null && profile.rejectedAt !== null
        ? { reason: profile.rejectionReason, at: iso(profile.rejectedAt) }
        : null,
    credentials: credentials.map(toCredentialView),
    updatedAt: stored ? iso(profile.updatedAt) : null,
  };
}

/** The credentials of one caregiver, oldest first, for a batch. */
export const credentialsQuery = (ctx: ServiceContext, caregiverId: string) =>
  ctx.db
    .select()
    .from(caregiverCredentials)
    .where(eq(caregiverCredentials.caregiverId, caregiverId))
    .orderBy(asc(caregiverCredentials.createdAt), asc(caregiverCredentials.id));

/** A profile as the table's defaults make it, for a caregiver who has none stored yet. */
function defaultProfile(userId: string, now: number): CaregiverProfileRow {
  return {
    userId,
    bio: null,
    yearsOfExperience: null,
    languages: [],
    hourlyRateCents: null,
    currency: 'EUR',
    photoFileId: null,
    address: null,
    latitude: null,
    longitude: null,
    serviceRadiusKm: null,
    rejectionReason: null,
    rejectedAt: null,
    ratingAverage: null,
    ratingCount: 0,
    updatedAt: now,
  };
}

/**
 * The caregiver a profile route acts on: the caller themselves when they are that caregiver, or any
 * caregiver for an admin or superadmin. Anyone else's profile is NOT_FOUND, as if it did not exist.
 * Read in one batch with the caller's own `reads`, with the caregiver's specialties and credentials.
 * @throws AppError NOT_FOUND
 */
export async function managedCaregiver<S extends Named = Record<string, never>>(
  ctx: ServiceContext,
  caregiverId: string,
  reads?: S,
) {
  const actor = ctx.actor;
  const isStaff = actor?.role === 'admin' || actor?.role === 'superadmin';
  if (!actor || (!isStaff && actor.id !== caregiverId)) throw notFound('Caregiver');
  const { caregiver, specs, credentials, ...rest } = await batchOf(ctx.db, {
    caregiver: ctx.db
      .select({ ...caregiverRowColumns(), stored: caregiverProfiles.userId })
      .from(users)
      .leftJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
      .where(and(eq(users.id, caregiverId), eq(users.role, 'caregiver'))),
    specs: specialtiesQuery(ctx, [caregiverId]),
    credentials: credentialsQuery(ctx, caregiverId),
    ...reads,
  });
  const row = caregiver[0];
  if (!row || row.user.status === 'removed') throw notFound('Caregiver');
  const stored = row.stored !== null;
  const profile = stored
    ? (row.profile as CaregiverProfileRow)
    : defaultProfile(caregiverId, ctx.clock.now().getTime());
  return {
    user: row.user,
    profile,
    stored,
    specialties: specialtiesByCaregiver(specs).get(caregiverId) ?? [],
    credentials,
    reads: rest as unknown as BatchResults<S>,
  };
}

/**
 * A caregiver's profile as they (or an admin) manage it: the public part, the account status,
 * any rejection and the credentials. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function getCaregiverProfile(ctx: ServiceContext, caregiverId: string): Promise<CaregiverProfileView> {
  const { user, profile, stored, specialties, credentials } = await managedCaregiver(ctx, caregiverId);
  return toManagedProfile(user, profile, specialties, credentials, stored);
}

const invalid = (fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

/** The fields a request gives (for the audit event). */
const givenFields = (input: UpdateCaregiverProfileInput) =>
  Object.keys(input).filter((k) => input[k as keyof UpdateCaregiverProfileInput] !== undefined);

/**
 * Changes the given fields of a caregiver's profile; `specialtyIds` and `credentials` replace the
 * whole set (a credential with the same type and number keeps its id and its expiry notice while its
 * expiry date stays). Every referenced specialty must exist and every file must be the caregiver's
 * own; on any problem nothing is written. A read batch, then one write batch that also reads the
 * profile back.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, unknown specialty, a file not
 *   theirs or unusable as a photo), CONFLICT (account blocked)
 */
export async function updateCaregiverProfile(
  ctx: ServiceContext,
  caregiverId: string,
  input: UpdateCaregiverProfileInput,
): Promise<CaregiverProfileView> {
  const fields = givenFields(input);
  if (!fields.length) throw invalid([{ field: 'body', message: 'Give at least one profile field to change' }]);
  const specialtyIds = input.specialtyIds ? [...new Set(input.specialtyIds)] : undefined;
  const documentIds = [...new Set((input.credentials ?? []).flatMap((c) => c.documentFileIds))];
  const {
    user,
    reads,
    credentials: existing,
  } = await managedCaregiver(ctx, caregiverId, {
    known: specialtyIds?.length
      ? ctx.db.select({ id: careSpecialties.id }).from(careSpecialties).where(inArray(careSpecialties.id, specialtyIds))
      : undefined,
    documents: documentIds.length
      ? ctx.db
          .select({ id: files.id })
          .from(files)
          .where(and(inArray(files.id, documentIds), eq(files.ownerId, caregiverId)))
      : undefined,
    photo: input.photoFileId
      ? ctx.db
          .select({ id: files.id })
          .from(files)
          .where(
            and(
              eq(files.id, input.photoFileId),
              eq(files.ownerId, caregiverId),
              inArray(files.purpose, [...PHOTO_PURPOSES]),
            ),
          )
      : undefined,
  });
  if (user.status === 'blocked') throw new AppError('CONFLICT', 'This caregiver account is not active');

  const problems: FieldError[] = [];
  if (specialtyIds?.length) {
    const known = new Set((reads.known ?? []).map((k) => k.id));
    const unknown = specialtyIds.filter((id) => !known.has(id));
    if (unknown.length) problems.push({ field: 'specialtyIds', message: `Unknown specialty: ${unknown.join(', ')}` });
  }
  if (input.credentials) {
    const owned = new Set((reads.documents ?? []).map((d) => d.id));
    input.credentials.forEach((credential, i) => {
      credential.documentFileIds.forEach((fileId, j) => {
        if (!owned.has(fileId)) {
          problems.push({
            field: `credentials.${i}.documentFileIds.${j}`,
            message: 'Must be a file the caregiver uploaded',
          });
        }
      });
    });
  }
  if (input.photoFileId && !reads.photo?.[0]) {
    problems.push({
      field: 'photoFileId',
      message: "Must be an uploaded file of the caregiver's with purpose avatar or content",
    });
  }
  if (problems.length) throw invalid(problems);

  const now = ctx.clock.now().getTime();
  const changes: Partial<CaregiverProfileRow> = { updatedAt: now };
  if (input.bio !== undefined) changes.bio = input.bio;
  if (input.yearsOfExperience !== undefined) changes.yearsOfExperience = input.yearsOfExperience;
  if (input.languages !== undefined) {
    changes.languages = [...new Set(input.languages.map((tag) => canonicalLanguage(tag) ?? tag))];
  }
  if (input.hourlyRateCents !== undefined) changes.hourlyRateCents = input.hourlyRateCents;
  if (input.currency !== undefined) changes.currency = input.currency;
  if (input.photoFileId !== undefined) changes.photoFileId = input.photoFileId;
  if (input.serviceLocation !== undefined) {
    changes.address = input.serviceLocation?.address ?? null;
    changes.latitude = input.serviceLocation?.latitude ?? null;
    changes.longitude = input.serviceLocation?.longitude ?? null;
  }
  if (input.serviceRadiusKm !== undefined) changes.serviceRadiusKm = input.serviceRadiusKm;

  const writes: BatchItem<'sqlite'>[] = [
    ctx.db.insert(caregiverProfiles).values(defaultProfile(caregiverId, now)).onConflictDoNothing(),
    ctx.db.update(caregiverProfiles).set(changes).where(eq(caregiverProfiles.userId, caregiverId)),
  ];
  if (specialtyIds) {
    writes.push(ctx.db.delete(caregiverSpecialties).where(eq(caregiverSpecialties.caregiverId, caregiverId)));
    if (specialtyIds.length) {
      writes.push(
        ctx.db.insert(caregiverSpecialties).values(specialtyIds.map((specialtyId) => ({ caregiverId, specialtyId }))),
      );
    }
  }
  if (input.credentials) writes.push(...credentialWrites(ctx, caregiverId, input.credentials, existing, now));
  writes.push(
    auditInsert(ctx, {
      action: 'caregiver.profile.update',
      resourceType: 'caregiver',
      resourceId: caregiverId,
      metadata: { fields },
    }),
  );
  // The profile as it now is rides at the end of the write batch: no read after the write.
  const results = await ctx.db.batch([
    ...(writes as [BatchItem<'sqlite'>]),
    ctx.db.select().from(caregiverProfiles).where(eq(caregiverProfiles.userId, caregiverId)),
    specialtiesQuery(ctx, [caregiverId]),
    credentialsQuery(ctx, caregiverId),
  ]);
  const [profiles, specs, credentials] = results.slice(-3) as [
    CaregiverProfileRow[],
    SpecialtyRef[],
    CaregiverCredentialRow[],
  ];
  return toManagedProfile(user, profiles[0]!, specialtiesByCaregiver(specs).get(caregiverId) ?? [], credentials, true);
}

/**
 * The statements replacing a caregiver's credentials with `wanted`: one with the same type and number
 * as a stored one keeps its id (and its expiry notice, unless the expiry date changed); the rest are
 * new; stored ones no longer wanted go.
 */
function credentialWrites(
  ctx: ServiceContext,
  caregiverId: string,
  wanted: NonNullable<UpdateCaregiverProfileInput['credentials']>,
  existing: CaregiverCredentialRow[],
  now: number,
): BatchItem<'sqlite'>[] {
  const key = (c: { type: string; number: string }) => `${c.type.toLowerCase()}\u0000${c.number}`;
  const stored = new Map(existing.map((row) => [key(row), row]));
  const seen = new Set<string>();
  const rows: CaregiverCredentialRow[] = [];
  for (const c of wanted) {
    if (seen.has(key(c))) continue;
    seen.add(key(c));
    const previous = stored.get(key(c));
    rows.push({
      id: previous?.id ?? ctx.ids.id('ccr'),
      caregiverId,
      type: c.type,
      number: c.number,
      issuer: c.issuer,
      expiresAt: c.expiresAt,
      documentFileIds: [...new Set(c.documentFileIds)],
      expiryNoticeAt: previous && previous.expiresAt === c.expiresAt ? previous.expiryNoticeAt : null,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    });
  }
  const keep = rows.map((r) => r.id);
  const statements: BatchItem<'sqlite'>[] = [
    ctx.db
      .delete(caregiverCredentials)
      .where(
        keep.length
          ? and(eq(caregiverCredentials.caregiverId, caregiverId), notInArray(caregiverCredentials.id, keep))
          : eq(caregiverCredentials.caregiverId, caregiverId),
      ),
  ];
  for (const row of rows) {
    statements.push(
      ctx.db
        .insert(caregiverCredentials)
        .values(row)
        .onConflictDoUpdate({
          target: caregiverCredentials.id,
          set: {
            issuer: row.issuer,
            expiresAt: row.expiresAt,
            documentFileIds: row.documentFileIds,
            expiryNoticeAt: row.expiryNoticeAt,
            updatedAt: now,
          },
        }),
    );
  }
  return statements;
}
