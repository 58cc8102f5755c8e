import {
  and,
  asc,
  count,
  desc,
  eq,
  exists,
  inArray,
  isNotNull,
  like,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import {
  type DoctorProfileRow,
  type DoctorServiceRow,
  doctorProfiles,
  doctorRatings,
  doctorServices,
  doctorSpecializations,
  files,
  specializations,
  type UserRow,
  users,
} from '../../db/schema';
import { escapeLike } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, type FieldError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { integerSettingSql } from '../settings/settings.service';
import { canonicalLanguage } from '../users/profile.policy';
import { doctorCompleteness } from './completeness.policy';
import {
  assertPracticeOpen,
  bookableDoctorQuery,
  bookableOrNotFound,
  doctorRowColumns,
  ensureDoctorProfile,
  managedDoctor,
} from './doctor-access';
import {
  type DoctorListQueryInput,
  type DoctorSummaryView,
  type DoctorView,
  fromCents,
  toCents,
  type UpdateDoctorProfileInput,
} from './doctors.schemas';
import { specializationSubtreeBySlug } from './specializations.service';

/** File purposes a doctor's photo may come from. */
const PHOTO_PURPOSES = ['avatar', 'content'] as const;

/** The doctors the public may see: verified, active doctor accounts with a profile. */
const LISTED = and(eq(users.role, 'doctor'), eq(users.status, 'active'), isNotNull(users.verifiedAt));

/**
 * The rating columns of a statement joining `doctor_ratings` (kept current by the reviews module in the
 * batch of every review change; read here, in the directory's own query, so showing and sorting by it
 * costs no round trip). Averages are null below `reviews.minCountToShow` published reviews, applied in
 * SQL so the rule needs no settings read first.
 */
const ratingCount = () => sql<number>`coalesce(${doctorRatings.reviewCount}, 0)`;
const shownRating = (column: SQLWrapper) =>
  sql<number | null>`case when ${ratingCount()} >= ${integerSettingSql('reviews.minCountToShow')} then ${column} end`;

function ratingColumns() {
  const ifShown = (column: SQLWrapper, alias: string) => shownRating(column).as(alias);
  return {
    count: ratingCount().as('rating_count'),
    average: ifShown(doctorRatings.average, 'rating_average'),
    punctuality: ifShown(doctorRatings.punctuality, 'rating_punctuality'),
    bedsideManner: ifShown(doctorRatings.bedsideManner, 'rating_bedside_manner'),
    communication: ifShown(doctorRatings.communication, 'rating_communication'),
    waitTime: ifShown(doctorRatings.waitTime, 'rating_wait_time'),
  };
}

type RatingRow = { count: number; average: number | null } & Record<
  'punctuality' | 'bedsideManner' | 'communication' | 'waitTime',
  number | null
>;

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** The public rating: averages rounded to 2 decimals, null below the minimum count. */
function ratingView(row: RatingRow | undefined): DoctorSummaryView['rating'] {
  if (!row) return { count: 0, average: null, categories: null };
  return {
    count: row.count,
    average: round2(row.average),
    categories:
      row.average === null
        ? null
        : {
            punctuality: round2(row.punctuality),
            bedsideManner: round2(row.bedsideManner),
            communication: round2(row.communication),
            waitTime: round2(row.waitTime),
          },
  };
}

/** The rating of one doctor, for a batch (no row when `doctorId` is no account). */
function ratingQuery(ctx: ServiceContext, doctorId: string) {
  return ctx.db
    .select(ratingColumns())
    .from(users)
    .leftJoin(doctorRatings, eq(doctorRatings.doctorId, users.id))
    .where(eq(users.id, doctorId));
}

interface Extras {
  specializations: Map<string, { slug: string; name: string }[]>;
  services: Map<string, DoctorSummaryView['services']>;
}

/**
 * The statements reading the specializations and active services of the doctors `ids` selects (a list
 * or a subquery), to go into the caller's batch so a directory page or a profile is one round trip.
 */
function extrasQueries(ctx: ServiceContext, ids: string[] | SQLiteSelect) {
  return [
    ctx.db
      .select({ doctorId: doctorSpecializations.doctorId, slug: specializations.slug, name: specializations.name })
      .from(doctorSpecializations)
      .innerJoin(specializations, eq(specializations.id, doctorSpecializations.specializationId))
      .where(inArray(doctorSpecializations.doctorId, ids))
      .orderBy(asc(specializations.name)),
    ctx.db
      .select()
      .from(doctorServices)
      .where(and(inArray(doctorServices.doctorId, ids), eq(doctorServices.active, true)))
      .orderBy(asc(doctorServices.name), asc(doctorServices.id)),
  ] as const;
}

/** Groups what `extrasQueries` read by doctor. */
function extrasOf(specs: { doctorId: string; slug: string; name: string }[], services: DoctorServiceRow[]): Extras {
  const extras: Extras = { specializations: new Map(), services: new Map() };
  for (const { doctorId, slug, name } of specs) {
    extras.specializations.set(doctorId, [...(extras.specializations.get(doctorId) ?? []), { slug, name }]);
  }
  for (const s of services) {
    extras.services.set(s.doctorId, [
      ...(extras.services.get(s.doctorId) ?? []),
      {
        id: s.id,
        name: s.name,
        durationMinutes: s.durationMinutes,
        price: { amount: fromCents(s.priceCents), currency: s.currency },
      },
    ]);
  }
  return extras;
}

/** Where GET /doctors/{id}/photo is served: API_PREFIX of src/app.ts (importing it here would be circular). */
const DOCTORS_PATH = '/api/v1/doctors';

/**
 * The public URL of a doctor's profile photo: stable while the photo is (`v` is its file id, so a new
 * photo is a new URL and caches never serve the old one). `origin` is the API's public origin.
 */
const photoUrlOf = (origin: string, doctorId: string, fileId: string | null) =>
  fileId ? `${origin}${DOCTORS_PATH}/${doctorId}/photo?v=${fileId}` : null;

function toSummary(
  user: UserRow,
  profile: DoctorProfileRow,
  extras: Extras,
  origin: string,
  rating?: RatingRow,
): DoctorSummaryView {
  return {
    id: user.id,
    name: user.name,
    photo: profile.photoFileId,
    photoUrl: photoUrlOf(origin, user.id, profile.photoFileId),
    specializations: extras.specializations.get(user.id) ?? [],
    languages: profile.languages,
    yearsOfExperience: profile.yearsOfExperience,
    consultationFee:
      profile.consultationFeeCents === null
        ? null
        : { amount: fromCents(profile.consultationFeeCents), currency: profile.currency },
    services: extras.services.get(user.id) ?? [],
    rating: ratingView(rating),
  };
}

function toDoctorView(
  user: UserRow,
  profile: DoctorProfileRow,
  extras: Extras,
  origin: string,
  rating?: RatingRow,
): DoctorView {
  return {
    ...toSummary(user, profile, extras, origin, rating),
    bio: profile.bio,
    qualifications: profile.qualifications,
    registrationNumber: profile.registrationNumber,
    timeZone: profile.timeZone,
  };
}

/**
 * Listed doctors by name, filtered by specialization slug (that specialization or any below it),
 * service name, language and doctor name. One round trip.
 */
export async function listDoctors(ctx: ServiceContext, query: DoctorListQueryInput, origin: string) {
  const filters: (SQL | undefined)[] = [LISTED];
  if (query.specialization) {
    // A parent finds the doctors of everything under it too: Cardiology finds pediatric cardiologists.
    filters.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(doctorSpecializations)
          .where(
            and(
              eq(doctorSpecializations.doctorId, users.id),
              inArray(doctorSpecializations.specializationId, specializationSubtreeBySlug(query.specialization)),
            ),
          ),
      ),
    );
  }
  if (query.service) {
    filters.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(doctorServices)
          .where(
            and(
              eq(doctorServices.doctorId, users.id),
              eq(doctorServices.active, true),
              sql`${doctorServices.name} like ${`%${escapeLike(query.service)}%`} escape '\\'`,
            ),
          ),
      ),
    );
  }
  if (query.language) {
    // `en` also finds doctors who list `en-GB`.
    const tag = canonicalLanguage(query.language) ?? query.language;
    filters.push(
      sql`exists (select 1 from json_each(${doctorProfiles.languages}) where lower(value) = lower(${tag}) or lower(value) like lower(${`${tag}-%`}))`,
    );
  }
  if (query.search) filters.push(sql`${users.name} like ${`%${escapeLike(query.search)}%`} escape '\\'`);
  const where = and(...filters);
  const rating = ratingColumns();
  // By rating: the rated (shown) first, best average first, then more reviews, then by name.
  const shown = shownRating(doctorRatings.average);
  const order =
    query.sort === 'rating'
      ? [sql`${shown} is null`, desc(shown), desc(ratingCount()), asc(users.name), asc(users.id)]
      : [asc(users.name), asc(users.id)];
  const pageOf = <T extends SQLiteSelect>(select: T) =>
    select
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit);
  // The page, its total and the page's specializations and services: one round trip.
  const pageIds = pageOf(
    ctx.db
      .select({ id: users.id })
      .from(users)
      .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
      .leftJoin(doctorRatings, eq(doctorRatings.doctorId, users.id))
      .$dynamic(),
  );
  const [rows, [total], specs, services] = await ctx.db.batch([
    pageOf(
      ctx.db
        .select({ ...doctorRowColumns(), rating })
        .from(users)
        .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
        .leftJoin(doctorRatings, eq(doctorRatings.doctorId, users.id))
        .$dynamic(),
    ),
    ctx.db
      .select({ n: count() })
      .from(users)
      .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
      .where(where),
    ...extrasQueries(ctx, pageIds),
  ]);
  const extras = extrasOf(specs, services);
  return page(
    rows.map((r) => toSummary(r.user, r.profile, extras, origin, r.rating)),
    total?.n ?? 0,
    query,
  );
}

/**
 * A listed doctor's public profile.
 * @throws AppError NOT_FOUND (no such doctor, or not verified and active)
 */
export async function getDoctor(ctx: ServiceContext, id: string, origin: string): Promise<DoctorView> {
  const [rows, specs, services, ratings] = await ctx.db.batch([
    bookableDoctorQuery(ctx, id),
    ...extrasQueries(ctx, [id]),
    ratingQuery(ctx, id),
  ]);
  const { user, profile } = bookableOrNotFound(rows[0]);
  return toDoctorView(user, profile, extrasOf(specs, services), origin, ratings[0]);
}

/**
 * A listed doctor's profile photo, for anyone: only the file the profile points at, and only while it
 * is still one of the doctor's image files of a photo purpose; never any other file. One round trip.
 * @throws AppError NOT_FOUND (no such listed doctor, no photo, or its file or object is gone)
 */
export async function readDoctorPhoto(ctx: ServiceContext, doctorId: string) {
  const row = await ctx.db
    .select({ storageKey: files.storageKey, contentType: files.contentType, size: files.size, sha256: files.sha256 })
    .from(doctorProfiles)
    .innerJoin(users, and(eq(users.id, doctorProfiles.userId), LISTED))
    .innerJoin(
      files,
      and(
        eq(files.id, doctorProfiles.photoFileId),
        eq(files.ownerId, doctorProfiles.userId),
        inArray(files.purpose, [...PHOTO_PURPOSES]),
        like(files.contentType, 'image/%'),
      ),
    )
    .where(eq(doctorProfiles.userId, doctorId))
    .get();
  const object = row && (await ctx.ports.storage.get(row.storageKey));
  if (!row || !object) throw notFound('Photo');
  return { body: object.body, contentType: row.contentType, size: row.size, etag: `"${row.sha256}"` };
}

/**
 * A doctor's profile as the doctor (or an admin) manages it: the public view, the account status
 * (a pending doctor is not listed yet) and how complete it is. One round trip.
 * @throws AppError NOT_FOUND (not a doctor the caller manages)
 */
export async function getManagedProfile(ctx: ServiceContext, doctorId: string, origin: string) {
  const [specs, services] = extrasQueries(ctx, [doctorId]);
  const { user, profile, reads } = await managedDoctor(ctx, doctorId, {
    specs,
    services,
    rating: ratingQuery(ctx, doctorId),
  });
  const view = toDoctorView(user, profile, extrasOf(reads.specs, reads.services), origin, reads.rating[0]);
  return { ...view, status: user.status, completeness: doctorCompleteness(view) };
}

const invalid = (fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

/**
 * Changes the given fields of a doctor's profile; `specializationIds` replaces the whole set. The
 * profile, the set and the audit event commit together in one batch.
 * @throws AppError NOT_FOUND (not a doctor the caller manages), VALIDATION_FAILED (nothing to change,
 *   unknown specialization, unusable photo), CONFLICT (account blocked)
 */
export async function updateDoctorProfile(
  ctx: ServiceContext,
  doctorId: string,
  input: UpdateDoctorProfileInput,
  origin: string,
): Promise<DoctorView> {
  const fields = Object.keys(input).filter((k) => input[k as keyof UpdateDoctorProfileInput] !== undefined);
  if (!fields.length) {
    throw invalid([{ field: 'body', message: 'Give at least one profile field to change' }]);
  }
  const specializationIds = input.specializationIds ? [...new Set(input.specializationIds)] : undefined;
  // The doctor, the specializations named and the photo are read together, in one round trip.
  const { user, reads } = await managedDoctor(ctx, doctorId, {
    known: specializationIds?.length
      ? ctx.db
          .select({ id: specializations.id })
          .from(specializations)
          .where(inArray(specializations.id, specializationIds))
      : undefined,
    photo: input.photoFileId
      ? ctx.db
          .select({ id: files.id })
          .from(files)
          .where(
            and(
              eq(files.id, input.photoFileId),
              eq(files.ownerId, doctorId),
              inArray(files.purpose, [...PHOTO_PURPOSES]),
            ),
          )
      : undefined,
  });
  assertPracticeOpen(user);

  if (specializationIds?.length) {
    const known = reads.known ?? [];
    const unknown = specializationIds.filter((id) => !known.some((k) => k.id === id));
    if (unknown.length) {
      throw invalid([{ field: 'specializationIds', message: `Unknown specialization: ${unknown.join(', ')}` }]);
    }
  }
  if (input.photoFileId) {
    if (!reads.photo?.[0]) {
      throw invalid([
        { field: 'photoFileId', message: "Must be an uploaded file of the doctor's with purpose avatar or content" },
      ]);
    }
  }

  const changes: Partial<DoctorProfileRow> = { updatedAt: ctx.clock.now().getTime() };
  if (input.bio !== undefined) changes.bio = input.bio;
  if (input.qualifications !== undefined) changes.qualifications = input.qualifications;
  if (input.yearsOfExperience !== undefined) changes.yearsOfExperience = input.yearsOfExperience;
  if (input.languages !== undefined) {
    changes.languages = [...new Set(input.languages.map((tag) => canonicalLanguage(tag) ?? tag))];
  }
  if (input.consultationFee !== undefined) {
    changes.consultationFeeCents = input.consultationFee ? toCents(input.consultationFee.amount) : null;
    if (input.consultationFee) changes.currency = input.consultationFee.currency;
  }
  if (input.registrationNumber !== undefined) changes.registrationNumber = input.registrationNumber;
  if (input.photoFileId !== undefined) changes.photoFileId = input.photoFileId;

  const audit = auditInsert(ctx, {
    action: 'doctor.profile.update',
    resourceType: 'doctor',
    resourceId: user.id,
    metadata: { fields },
  });
  const update = ctx.db.update(doctorProfiles).set(changes).where(eq(doctorProfiles.userId, user.id));
  const writes: BatchItem<'sqlite'>[] = [ensureDoctorProfile(ctx, user.id), update];
  if (specializationIds) {
    writes.push(ctx.db.delete(doctorSpecializations).where(eq(doctorSpecializations.doctorId, user.id)));
    if (specializationIds.length) {
      writes.push(
        ctx.db
          .insert(doctorSpecializations)
          .values(specializationIds.map((specializationId) => ({ doctorId: user.id, specializationId }))),
      );
    }
  }
  // The profile as it now is rides at the end of the write batch: no read after the write.
  const [specs, services] = extrasQueries(ctx, [user.id]);
  const results = await ctx.db.batch([
    ...(writes as [BatchItem<'sqlite'>]),
    audit,
    ctx.db.select().from(doctorProfiles).where(eq(doctorProfiles.userId, user.id)),
    specs,
    services,
    ratingQuery(ctx, user.id),
  ]);
  const [profiles, specRows, serviceRows, ratings] = results.slice(-4) as [
    DoctorProfileRow[],
    { doctorId: string; slug: string; name: string }[],
    DoctorServiceRow[],
    RatingRow[],
  ];
  return toDoctorView(user, profiles[0]!, extrasOf(specRows, serviceRows), origin, ratings[0]);
}
