import { and, eq, isNotNull, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { type DoctorProfileRow, doctorProfiles, type UserRow, users } from '../../db/schema';
import { aliasedColumns } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';

/**
 * The doctor a practice-management route acts on: the caller themselves when they are that doctor, or
 * any doctor when the caller is an admin or superadmin. Another doctor's practice is NOT_FOUND, as if
 * it did not exist. Creates the profile row on first use so every doctor has one.
 * @throws AppError NOT_FOUND (no such doctor, or another doctor's practice)
 */
export async function managedDoctor(
  ctx: ServiceContext,
  doctorId: string,
): Promise<{ user: UserRow; profile: DoctorProfileRow }> {
  const actor = ctx.actor;
  const isStaff = actor?.role === 'admin' || actor?.role === 'superadmin';
  if (!actor || (!isStaff && actor.id !== doctorId)) throw notFound('Doctor');
  const user = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.id, doctorId), eq(users.role, 'doctor')))
    .get();
  if (!user || user.status === 'removed') throw notFound('Doctor');
  return { user, profile: await ensureDoctorProfile(ctx, doctorId) };
}

/** The doctor's profile row, created with defaults the first time. */
export async function ensureDoctorProfile(ctx: ServiceContext, doctorId: string): Promise<DoctorProfileRow> {
  await ctx.db
    .insert(doctorProfiles)
    .values({ userId: doctorId, qualifications: [], languages: [], updatedAt: ctx.clock.now().getTime() })
    .onConflictDoNothing();
  return (await ctx.db.select().from(doctorProfiles).where(eq(doctorProfiles.userId, doctorId)).get())!;
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
