import { and, asc, count, desc, eq, exists, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import {
  type CaregiverProfileRow,
  caregiverHours,
  caregiverProfiles,
  caregiverSchedules,
  caregiverSpecialties,
  careSpecialties,
  users,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, type FieldError } from '../../lib/errors';
import { isoWeekday } from '../../lib/time';
import { canonicalLanguage } from '../users/profile.policy';
import { type CaregiverSearchInput, type CaregiverSearchResultView, MAX_RADIUS_KM } from './care-profiles.schemas';
import { caregiverRowColumns, specialtiesByCaregiver, specialtiesQuery, toPublicCaregiver } from './profile.service';

/** The mean Earth radius of the haversine formula, in km. */
export const EARTH_RADIUS_KM = 6371.0088;
/** km per degree of latitude, for the bounding box that lets the latitude index narrow the scan. */
const KM_PER_DEGREE_LAT = 111.19;

/** The caregivers the public may find: verified, active caregiver accounts (join their profile). */
export const LISTED_CAREGIVER = and(
  eq(users.role, 'caregiver'),
  eq(users.status, 'active'),
  isNotNull(users.verifiedAt),
);

/**
 * SQL: the great-circle distance in km from (`lat`, `lng`) to a caregiver's service location, by the
 * haversine formula (D1's SQLite has the math functions: sin, cos, asin, sqrt, radians).
 */
export function distanceKmSql(lat: number, lng: number): SQL<number> {
  const dLat = sql`radians(${caregiverProfiles.latitude} - ${lat}) / 2`;
  const dLng = sql`radians(${caregiverProfiles.longitude} - ${lng}) / 2`;
  const a = sql`sin(${dLat}) * sin(${dLat}) + cos(radians(${lat})) * cos(radians(${caregiverProfiles.latitude})) * sin(${dLng}) * sin(${dLng})`;
  return sql<number>`(${2 * EARTH_RADIUS_KM} * asin(min(1.0, sqrt(${a}))))`.mapWith(Number);
}

const invalid = (fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

/**
 * Listed caregivers with a profile, filtered by specialty slug, language, hourly rate (minor units),
 * rating average (`minRating`), weekly hours on a date's weekday (`availableOn`: a schedule row and
 * hours that weekday) and, with a point, only those whose service radius covers it, with
 * `distanceKm`. Sorted by `sort`: nearest first (the default with a point), best rated first, or
 * cheapest first; without a point nor a sort, by name. The page, its total and the page's
 * specialties: one round trip.
 * @throws AppError VALIDATION_FAILED (`lat` without `lng` or the reverse; `minRate` above `maxRate`;
 *   `sort=distance` without a point)
 */
export async function searchCaregivers(ctx: ServiceContext, query: CaregiverSearchInput) {
  const problems: FieldError[] = [];
  if ((query.lat === undefined) !== (query.lng === undefined)) {
    problems.push({ field: query.lat === undefined ? 'lat' : 'lng', message: 'Give both lat and lng, or neither' });
  }
  if (query.minRate !== undefined && query.maxRate !== undefined && query.minRate > query.maxRate) {
    problems.push({ field: 'minRate', message: 'Must not be above maxRate' });
  }
  if (query.sort === 'distance' && query.lat === undefined && query.lng === undefined) {
    problems.push({ field: 'sort', message: 'Sorting by distance needs lat and lng' });
  }
  if (problems.length) throw invalid(problems);

  const filters: (SQL | undefined)[] = [LISTED_CAREGIVER];
  if (query.specialty) {
    filters.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(caregiverSpecialties)
          .innerJoin(careSpecialties, eq(careSpecialties.id, caregiverSpecialties.specialtyId))
          .where(and(eq(caregiverSpecialties.caregiverId, users.id), eq(careSpecialties.slug, query.specialty))),
      ),
    );
  }
  if (query.language) {
    // `en` also finds caregivers who list `en-GB`.
    const tag = canonicalLanguage(query.language) ?? query.language;
    filters.push(
      sql`exists (select 1 from json_each(${caregiverProfiles.languages}) where lower(value) = lower(${tag}) or lower(value) like lower(${`${tag}-%`}))`,
    );
  }
  if (query.minRate !== undefined) filters.push(sql`${caregiverProfiles.hourlyRateCents} >= ${query.minRate}`);
  if (query.maxRate !== undefined) filters.push(sql`${caregiverProfiles.hourlyRateCents} <= ${query.maxRate}`);
  if (query.minRating !== undefined) filters.push(sql`${caregiverProfiles.ratingAverage} >= ${query.minRating}`);
  if (query.availableOn !== undefined) {
    // Bookable (a schedule) with weekly hours on the date's ISO weekday.
    filters.push(
      exists(
        ctx.db.select({ one: sql`1` }).from(caregiverSchedules).where(eq(caregiverSchedules.caregiverId, users.id)),
      ),
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(caregiverHours)
          .where(
            and(eq(caregiverHours.weekday, isoWeekday(query.availableOn)), eq(caregiverHours.caregiverId, users.id)),
          ),
      ),
    );
  }

  const point = query.lat !== undefined && query.lng !== undefined ? { lat: query.lat, lng: query.lng } : null;
  const distance = point ? distanceKmSql(point.lat, point.lng) : sql<null>`null`;
  if (point) {
    // No radius is above MAX_RADIUS_KM: the latitude band lets the index skip the rest of the world.
    const band = MAX_RADIUS_KM / KM_PER_DEGREE_LAT;
    filters.push(
      sql`${caregiverProfiles.latitude} between ${point.lat - band} and ${point.lat + band}`,
      isNotNull(caregiverProfiles.longitude),
      isNotNull(caregiverProfiles.serviceRadiusKm),
      sql`${distance} <= ${caregiverProfiles.serviceRadiusKm}`,
    );
  }
  const where = and(...filters);
  const sort = query.sort ?? (point ? 'distance' : null);
  const order =
    sort === 'distance'
      ? [sql`distance_km`, asc(users.id)]
      : sort === 'rating'
        ? [
            sql`${caregiverProfiles.ratingAverage} is null`,
            desc(caregiverProfiles.ratingAverage),
            desc(caregiverProfiles.ratingCount),
            asc(users.id),
          ]
        : sort === 'price'
          ? [sql`${caregiverProfiles.hourlyRateCents} is null`, asc(caregiverProfiles.hourlyRateCents), asc(users.id)]
          : [asc(users.name), asc(users.id)];
  const pageOf = <T extends SQLiteSelect>(select: T) =>
    select
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit);
  const pageIds = pageOf(
    ctx.db
      .select({ id: users.id, distance: distance.as('distance_km') })
      .from(users)
      .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
      .$dynamic(),
  );
  const [rows, [total], specs] = await ctx.db.batch([
    pageOf(
      ctx.db
        .select({ ...caregiverRowColumns(), distance: distance.as('distance_km') })
        .from(users)
        .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
        .$dynamic(),
    ),
    ctx.db
      .select({ n: count() })
      .from(users)
      .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
      .where(where),
    specialtiesQuery(ctx, ctx.db.select({ id: sql`id` }).from(pageIds.as('page_ids')) as unknown as SQLiteSelect),
  ]);
  const byCaregiver = specialtiesByCaregiver(specs);
  const items: CaregiverSearchResultView[] = rows.map((r) => ({
    ...toPublicCaregiver(r.user, r.profile as CaregiverProfileRow, byCaregiver.get(r.user.id) ?? []),
    distanceKm: r.distance === null ? null : Math.round(Number(r.distance) * 100) / 100,
  }));
  return page(items, total?.n ?? 0, query);
}
