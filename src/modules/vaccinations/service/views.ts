import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../../context';
import {
  dependents,
  userProfiles,
  type VaccineRow,
  type VaccineScheduleRow,
  vaccineSchedules,
  vaccines,
} from '../../../db/schema';
import { notFound } from '../../../lib/errors';
import { personOf } from '../../dependents/dependents.schemas';
import { type AgeRange, ageWarnings } from '../vaccinations.policy';
import type { VaccineScheduleView } from '../vaccinations.schemas';
import type { VaccineReminderContext } from '../vaccine-reminders';
import { SCHEDULE } from './shared';

/** How schedule rows become views: the row with its vaccine, the person's name and birth date. */

/** What a view needs beyond the row: the catalog entry, the person's name and birth date. */
export interface ScheduleContext {
  vaccine: (Pick<VaccineRow, 'code' | 'name' | 'dosesInSeries'> & AgeRange) | null;
  dependentName: string | null;
  /** The person's birth date (the owner's profile or the dependent's), when known. */
  dateOfBirth: string | null;
}

/** A schedule row as the API shows it, with age warnings for the date it is due or was given. */
export function toScheduleView(row: VaccineScheduleRow, extra: ScheduleContext): VaccineScheduleView {
  const { vaccine } = extra;
  return {
    id: row.id,
    vaccineId: row.vaccineId,
    vaccine: vaccine ? { code: vaccine.code, name: vaccine.name, dosesInSeries: vaccine.dosesInSeries } : null,
    person: personOf(row.dependentId, extra.dependentName),
    doseNumber: row.doseNumber,
    dueDate: row.dueDate,
    status: row.status,
    active: row.active,
    administeredOn: row.administeredOn,
    administeredPlace: row.administeredPlace,
    lotNumber: row.lotNumber,
    notes: row.notes,
    warnings: ageWarnings(vaccine, extra.dateOfBirth, row.administeredOn ?? row.dueDate),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/**
 * A joined column under its own result name. D1 batches return rows keyed by column name, so
 * `vaccines.name` and `dependents.name` (or the two `date_of_birth`s) would overwrite each other.
 */
const aliased = <T>(column: SQLiteColumn, alias: string) => sql<T | null>`${column}`.as(alias);

/** Rows with their vaccine, dependent and the owner's profile, for views. */
export function selectWithContext(ctx: ServiceContext) {
  return ctx.db
    .select({
      row: vaccineSchedules,
      vaccineCode: aliased<string>(vaccines.code, 'vaccine_code'),
      vaccineName: aliased<string>(vaccines.name, 'vaccine_name'),
      dosesInSeries: aliased<number>(vaccines.dosesInSeries, 'vaccine_doses_in_series'),
      minAgeMonths: aliased<number>(vaccines.minAgeMonths, 'vaccine_min_age_months'),
      maxAgeMonths: aliased<number>(vaccines.maxAgeMonths, 'vaccine_max_age_months'),
      dependentName: aliased<string>(dependents.name, 'dependent_name'),
      dependentBirth: aliased<string>(dependents.dateOfBirth, 'dependent_date_of_birth'),
      ownerBirth: aliased<string>(userProfiles.dateOfBirth, 'owner_date_of_birth'),
      ownerTimeZone: aliased<string>(userProfiles.timeZone, 'owner_time_zone'),
    })
    .from(vaccineSchedules)
    .leftJoin(vaccines, eq(vaccines.id, vaccineSchedules.vaccineId))
    .leftJoin(
      dependents,
      and(eq(dependents.id, vaccineSchedules.dependentId), eq(dependents.userId, vaccineSchedules.ownerId)),
    )
    .leftJoin(userProfiles, eq(userProfiles.userId, vaccineSchedules.ownerId));
}

export type JoinedRow = Awaited<ReturnType<ReturnType<typeof selectWithContext>['all']>>[number];

export function joinedView(j: JoinedRow): VaccineScheduleView {
  return toScheduleView(j.row, {
    vaccine:
      j.vaccineCode !== null && j.vaccineName !== null && j.dosesInSeries !== null
        ? {
            code: j.vaccineCode,
            name: j.vaccineName,
            dosesInSeries: j.dosesInSeries,
            minAgeMonths: j.minAgeMonths,
            maxAgeMonths: j.maxAgeMonths,
          }
        : null,
    dependentName: j.dependentName,
    dateOfBirth: j.row.dependentId ? j.dependentBirth : j.ownerBirth,
  });
}

/** What the reminders of a joined row's dose say and where they are timed. */
export const reminderContextOf = (j: JoinedRow): VaccineReminderContext => ({
  vaccineName: j.vaccineName,
  forName: j.row.dependentId ? j.dependentName : null,
  timeZone: j.ownerTimeZone,
});

/** The birth date of the person a joined row is for (null when never given). */
export const bornOf = (j: JoinedRow): string | null => (j.row.dependentId ? j.dependentBirth : j.ownerBirth);

/**
 * The caller's rows among `ids` with their context, soonest due first (others' rows are left out), as
 * a statement for a batch: the read before a write, or the rows as written at the end of its batch.
 */
export function viewsQuery(ctx: AuthedContext, ids: string[]) {
  return selectWithContext(ctx)
    .where(and(inArray(vaccineSchedules.id, ids), eq(vaccineSchedules.ownerId, ctx.actor.id)))
    .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.doseNumber), asc(vaccineSchedules.id));
}

/**
 * The one row a `viewsQuery` for one id read.
 * @throws AppError NOT_FOUND (not the caller's, or gone)
 */
export function onlyRow(rows: JoinedRow[]): JoinedRow {
  const [row] = rows;
  if (!row) throw notFound(SCHEDULE);
  return row;
}

/**
 * One of the caller's rows as a view, in one round trip.
 * @throws AppError NOT_FOUND
 */
export async function viewOf(ctx: AuthedContext, id: string): Promise<VaccineScheduleView> {
  return joinedView(onlyRow(await viewsQuery(ctx, [id]).all()));
}
