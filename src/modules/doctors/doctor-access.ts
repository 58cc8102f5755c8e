import { and, eq, getTableColumns, isNotNull, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { type BatchResults, batchOf, type Named } from '../../db/batch';
import { type DoctorProfileRow, doctorProfiles, type UserRow, users } from '../../db/schema';
import { aliasedColumns } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';

/**
 * The doctor a practice-management route acts on: the caller themselves when they are that doctor, or
 * any doctor when the caller is an admin or superadmin. Another doctor's practice is NOT_FOUND, as if
 * it did not exist. The doctor is read in one batch with the caller's own `reads` (one round trip); a
 * doctor without a profile row yet gets the profile's defaults, written by the first write
 * (`ensureDoctorProfile` in its batch), never by a read.
 * @throws AppError NOT_FOUND (no such doctor, or another doctor's practice)
 */
export async function managedDoctor<S extends Named = Record<string, never>>(
  ctx: ServiceContext,
  doctorId: string,
  reads?: S,
): Promise<{ user: UserRow; profile: DoctorProfileRow; reads: BatchResults<S> }> {
  const actor = ctx.actor;
  const isStaff = actor?.role === 'admin' || actor?.role === 'superadmin';
  if (!actor || (!isStaff && actor.id !== doctorId)) throw notFound('Doctor');
  const { doctor, ...rest } = await batchOf(ctx.db, {
    doctor: ctx.db
      .select({ ...doctorRowColumns(), stored: doctorProfiles.userId })
      .from(users)
      .leftJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
      .where(and(eq(users.id, doctorId), eq(users.role, 'doctor'))),
    ...reads,
  });
  const row = doctor[0];
  if (!row || row.user.status === 'removed') throw notFound('Doctor');
  const profile = row.stored === null ? defaultProfile(doctorId, ctx.clock.now().getTime()) : row.profile;
  return { user: row.user, profile: profile as DoctorProfileRow, reads: rest as unknown as BatchResults<S> };
}

/** A profile as the table's defaults make it, for a doctor who has none stored yet. */
function defaultProfile(doctorId: string, now: number): DoctorProfileRow {
  const defaults: Record<string, unknown> = Object.fromEntries(
    Object.entries(getTableColumns(doctorProfiles)).map(([key, column]) => [
      key,
      column.hasDefault ? column.default : null,
    ]),
  );
  return {
    ...defaults,
    userId: doctorId,
    qualifications: [],
    languages: [],
    updatedAt: now,
  } as unknown as DoctorProfileRow;
}

/**
 * The statement that gives a doctor their profile row, with defaults, unless they have one: every
 * practice write puts it first in its batch, so every doctor who manages their practice has one.
 */
export function ensureDoctorProfile(ctx: ServiceContext, doctorId: string) {
  return ctx.db
    .insert(doctorProfiles)
    .values({ userId: doctorId, qualifications: [], languages: [], updatedAt: ctx.clock.now().getTime() })
    .onConflictDoNothing();
}

/**
 * SQL: `users` is a doctor patients may see and book: verified, active account (join `doctor_profiles`
 * for the profile). `doctorId` may be SQL reading it from another row (e.g. the appointment being moved).
 */
export function bookableWhere(doctorId: string | SQLWrapper): SQL {
  return and(
    eq(users.id, doctorId),
    eq(users.role, 'doctor'),
    eq(users.status, 'active'),
    isNotNull(users.verifiedAt),
  )!;
}

/**
 * A doctor patients may see and book: verified, active account with a profile. Anyone else is NOT_FOUND.
 * @throws AppError NOT_FOUND
 */
export async function bookableDoctor(
  ctx: ServiceContext,
  doctorId: string,
): Promise<{ user: UserRow; profile: DoctorProfileRow }> {
  return bookableOrNotFound(await bookableDoctorQuery(ctx, doctorId).get());
}

/**
 * A doctor's account and profile as one row of `users` joined with `doctor_profiles` (join on
 * `doctor_profiles.user_id = users.id`). The profile's columns are aliased: both tables have an
 * `updated_at`, and in a D1 batch same-named columns overwrite each other.
 */
export function doctorRowColumns() {
  return { user: users, profile: aliasedColumns(doctorProfiles, 'profile') };
}

/** The read behind `bookableDoctor`, for a caller's batch; judge its row with `bookableOrNotFound`. */
export function bookableDoctorQuery(ctx: ServiceContext, doctorId: string) {
  return ctx.db
    .select(doctorRowColumns())
    .from(users)
    .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
    .where(bookableWhere(doctorId));
}

/**
 * The bookable doctor of a `bookableDoctorQuery` row.
 * @throws AppError NOT_FOUND (no row, or not verified)
 */
export function bookableOrNotFound(row: { user: UserRow; profile: DoctorProfileRow } | undefined): {
  user: UserRow;
  profile: DoctorProfileRow;
} {
  if (!row || row.user.verifiedAt === null) throw notFound('Doctor');
  return row;
}

/** Refuses writes that would make no sense for a removed or blocked doctor account. */
export function assertPracticeOpen(user: UserRow): void {
  if (user.status === 'blocked' || user.status === 'removed') {
    throw new AppError('CONFLICT', 'This doctor account is not active');
  }
}
