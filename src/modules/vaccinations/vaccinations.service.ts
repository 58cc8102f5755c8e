import { and, asc, count, eq, gte, inArray, isNull, lte, ne, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { ServiceContext } from '../../context';
import {
  dependents,
  userProfiles,
  type VaccineRow,
  type VaccineScheduleRow,
  vaccineSchedules,
  vaccines,
} from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, type FieldError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { getOwnedDependent } from '../dependents/dependents.service';
import { isFutureDate } from '../users/profile.rules';
import { type AgeRange, addDaysTo, ageWarnings } from './vaccinations.rules';
import type {
  AdministerInput,
  CreateVaccineScheduleInput,
  PlanSwitchInput,
  UpdateVaccineScheduleInput,
  VaccineScheduleQueryInput,
  VaccineScheduleView,
} from './vaccinations.schemas';

const RESOURCE = 'vaccine-schedule';
const SCHEDULE = 'Vaccine schedule';
/** Attempts of a guarded write that lost a race before giving up with CONFLICT. */
const MAX_ATTEMPTS = 3;

// ---- views ----------------------------------------------------------------------------------------

/** What a view needs beyond the row: the catalog entry, the person's name and birth date. */
interface ScheduleContext {
  vaccine: (Pick<VaccineRow, 'code' | 'name' | 'dosesInSeries'> & AgeRange) | null;
  dependentName: string | null;
  /** The person's birth date (the owner's profile or the dependent's), when known. */
  dateOfBirth: string | null;
}

export function toScheduleView(row: VaccineScheduleRow, extra: ScheduleContext): VaccineScheduleView {
  const { vaccine } = extra;
  return {
    id: row.id,
    vaccineId: row.vaccineId,
    vaccine: vaccine ? { code: vaccine.code, name: vaccine.name, dosesInSeries: vaccine.dosesInSeries } : null,
    person: row.dependentId
      ? { type: 'dependent', dependentId: row.dependentId, name: extra.dependentName }
      : { type: 'self' },
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
function selectWithContext(ctx: ServiceContext) {
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
    })
    .from(vaccineSchedules)
    .leftJoin(vaccines, eq(vaccines.id, vaccineSchedules.vaccineId))
    .leftJoin(
      dependents,
      and(eq(dependents.id, vaccineSchedules.dependentId), eq(dependents.userId, vaccineSchedules.ownerId)),
    )
    .leftJoin(userProfiles, eq(userProfiles.userId, vaccineSchedules.ownerId));
}

type JoinedRow = Awaited<ReturnType<ReturnType<typeof selectWithContext>['all']>>[number];

function joinedView(j: JoinedRow): VaccineScheduleView {
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

// ---- helpers --------------------------------------------------------------------------------------

function ownerOf(ctx: ServiceContext): string {
  if (!ctx.actor) throw notFound(SCHEDULE);
  return ctx.actor.id;
}

const invalid = (fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

/** Rows of the same person (owner + dependent or self). */
function samePerson(ownerId: string, dependentId: string | null): SQL {
  return and(
    eq(vaccineSchedules.ownerId, ownerId),
    dependentId === null ? isNull(vaccineSchedules.dependentId) : eq(vaccineSchedules.dependentId, dependentId),
  )!;
}

/** One of the caller's schedule rows; another user's is NOT_FOUND, as if it did not exist. */
async function ownedRow(ctx: ServiceContext, id: string): Promise<VaccineScheduleRow> {
  const row = await ctx.db
    .select()
    .from(vaccineSchedules)
    .where(and(eq(vaccineSchedules.id, id), eq(vaccineSchedules.ownerId, ownerOf(ctx))))
    .get();
  if (!row) throw notFound(SCHEDULE);
  return row;
}

async function viewsOf(ctx: ServiceContext, ids: string[]): Promise<VaccineScheduleView[]> {
  if (!ids.length) return [];
  const rows = await selectWithContext(ctx)
    .where(and(inArray(vaccineSchedules.id, ids), eq(vaccineSchedules.ownerId, ownerOf(ctx))))
    .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.doseNumber), asc(vaccineSchedules.id))
    .all();
  return rows.map(joinedView);
}

async function viewOf(ctx: ServiceContext, id: string): Promise<VaccineScheduleView> {
  const [view] = await viewsOf(ctx, [id]);
  if (!view) throw notFound(SCHEDULE);
  return view;
}

/** The birth date of the person a row is for (null when the owner never gave theirs). */
async function birthDateOf(ctx: ServiceContext, ownerId: string, dependentId: string | null): Promise<string | null> {
  if (dependentId) {
    const dependent = await ctx.db
      .select({ dateOfBirth: dependents.dateOfBirth })
      .from(dependents)
      .where(and(eq(dependents.id, dependentId), eq(dependents.userId, ownerId)))
      .get();
    return dependent?.dateOfBirth ?? null;
  }
  const profile = await ctx.db
    .select({ dateOfBirth: userProfiles.dateOfBirth })
    .from(userProfiles)
    .where(eq(userProfiles.userId, ownerId))
    .get();
  return profile?.dateOfBirth ?? null;
}

function assertNotBeforeBirth(field: string, date: string, born: string | null): void {
  if (born && date < born) throw invalid([{ field, message: `Must not be before the person's date of birth` }]);
}

/**
 * A statement that aborts its batch (rolling back every write in it) unless the statement just before
 * it changed exactly `expected` rows: a NULL id breaks the NOT NULL constraint. It turns "the row was
 * deleted or changed state since we read it" into a failed batch instead of a half-true audit trail.
 */
function expectChanges(ctx: ServiceContext, expected: number) {
  // Inlined (an integer): drizzle's D1 batch cannot bind parameters of raw statements.
  const n = sql.raw(String(Math.trunc(expected)));
  return ctx.db.run(sql`insert into ${vaccineSchedules} (id) select null where changes() <> ${n}`);
}

function isGuardFailure(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/NOT NULL constraint failed: vaccine_schedules\./i.test(e.message)) return true;
  }
  return false;
}

type Statements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

/** Runs a guarded batch; false when a guard aborted it (the caller re-reads and decides again). */
async function runGuarded(ctx: ServiceContext, statements: Statements): Promise<boolean> {
  try {
    await ctx.db.batch(statements);
    return true;
  } catch (err) {
    if (isGuardFailure(err)) return false;
    throw err;
  }
}

/** Re-runs `attempt` while its guarded write loses a race (it returns undefined), then gives up. */
async function retrying<T>(attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new AppError('CONFLICT', 'The vaccine schedule changed while saving; try again');
}

function auditOf(ctx: ServiceContext, action: string, row: VaccineScheduleRow, metadata: Record<string, unknown> = {}) {
  return auditInsert(ctx, {
    action: `vaccine_schedule.${action}`,
    resourceType: RESOURCE,
    resourceId: row.id,
    patientId: row.ownerId,
    metadata: { dependentId: row.dependentId, vaccineId: row.vaccineId, ...metadata },
  });
}

function refuseChange(row: VaccineScheduleRow, what: string): never {
  if (row.status === 'administered') {
    throw new AppError(
      'INVALID_TRANSITION',
      `An administered dose is part of the vaccination history and cannot be ${what}`,
    );
  }
  throw new AppError('INVALID_TRANSITION', `A cancelled dose cannot be ${what}`);
}

// ---- list and get ---------------------------------------------------------------------------------

/**
 * The caller's doses (their own and their dependents'), soonest due first.
 * @throws AppError NOT_FOUND (`person` is not one of the caller's dependents)
 */
export async function listSchedules(ctx: ServiceContext, query: VaccineScheduleQueryInput) {
  const ownerId = ownerOf(ctx);
  const filters: SQL[] = [eq(vaccineSchedules.ownerId, ownerId)];
  if (query.person === 'self') filters.push(isNull(vaccineSchedules.dependentId));
  else if (query.person) {
    const dependent = await getOwnedDependent(ctx, query.person);
    filters.push(eq(vaccineSchedules.dependentId, dependent.id));
  }
  if (query.from) filters.push(gte(vaccineSchedules.dueDate, query.from));
  if (query.to) filters.push(lte(vaccineSchedules.dueDate, query.to));
  if (query.vaccineId) filters.push(eq(vaccineSchedules.vaccineId, query.vaccineId));
  if (query.status) filters.push(eq(vaccineSchedules.status, query.status));
  if (query.active !== undefined) filters.push(eq(vaccineSchedules.active, query.active));
  const where = and(...filters);
  const [rows, [total]] = await ctx.db.batch([
    selectWithContext(ctx)
      .where(where)
      .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.doseNumber), asc(vaccineSchedules.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(vaccineSchedules).where(where),
  ]);
  return page(rows.map(joinedView), total?.n ?? 0, query);
}

/** @throws AppError NOT_FOUND */
export async function getSchedule(ctx: ServiceContext, id: string): Promise<VaccineScheduleView> {
  return viewOf(ctx, id);
}

// ---- create ---------------------------------------------------------------------------------------

/**
 * Schedules one dose, or with `series: true` every dose of the vaccine's series (dose 1 on
 * `firstDueDate`, then every `intervalDays`), all in one batch with their audit events. Ages outside
 * the vaccine's range only warn.
 * @throws AppError NOT_FOUND (vaccine, or not the caller's dependent), VALIDATION_FAILED (dose number
 *   beyond the series, date before birth), CONFLICT (a dose already scheduled for the person)
 */
export async function createSchedules(
  ctx: ServiceContext,
  input: CreateVaccineScheduleInput,
): Promise<{ items: VaccineScheduleView[]; warnings: string[] }> {
  const ownerId = ownerOf(ctx);
  const vaccine = await ctx.db.select().from(vaccines).where(eq(vaccines.id, input.vaccineId)).get();
  if (!vaccine) throw notFound('Vaccine');
  const dependent = input.dependentId ? await getOwnedDependent(ctx, input.dependentId) : null;
  const dependentId = dependent?.id ?? null;
  const born = dependent ? dependent.dateOfBirth : await birthDateOf(ctx, ownerId, null);

  let doses: { doseNumber: number; dueDate: string }[];
  if (input.series) {
    assertNotBeforeBirth('firstDueDate', input.firstDueDate, born);
    doses = Array.from({ length: vaccine.dosesInSeries }, (_, i) => ({
      doseNumber: i + 1,
      dueDate: addDaysTo(input.firstDueDate, i * vaccine.intervalDays),
    }));
  } else {
    if (input.doseNumber > vaccine.dosesInSeries) {
      throw invalid([
        { field: 'doseNumber', message: `This vaccine has ${vaccine.dosesInSeries} dose(s) in its series` },
      ]);
    }
    assertNotBeforeBirth('dueDate', input.dueDate, born);
    doses = [{ doseNumber: input.doseNumber, dueDate: input.dueDate }];
  }

  const taken = await ctx.db
    .select({ doseNumber: vaccineSchedules.doseNumber })
    .from(vaccineSchedules)
    .where(
      and(
        samePerson(ownerId, dependentId),
        eq(vaccineSchedules.vaccineId, vaccine.id),
        inArray(
          vaccineSchedules.doseNumber,
          doses.map((d) => d.doseNumber),
        ),
      ),
    )
    .all();
  const duplicate = () =>
    new AppError('CONFLICT', 'This dose of this vaccine is already scheduled for this person', {
      details: { doseNumbers: taken.map((t) => t.doseNumber).sort((a, b) => a - b) },
    });
  if (taken.length) throw duplicate();

  const now = ctx.clock.now().getTime();
  const rows: VaccineScheduleRow[] = doses.map((d) => ({
    id: ctx.ids.id('vsc'),
    ownerId,
    dependentId,
    vaccineId: vaccine.id,
    doseNumber: d.doseNumber,
    dueDate: d.dueDate,
    status: 'scheduled',
    active: true,
    administeredOn: null,
    administeredPlace: null,
    lotNumber: null,
    notes: input.notes ?? null,
    createdAt: now,
    updatedAt: now,
  }));
  try {
    await ctx.db.batch([
      ctx.db.insert(vaccineSchedules).values(rows),
      ...rows.map((row) => auditOf(ctx, 'create', row, { doseNumber: row.doseNumber, series: Boolean(input.series) })),
    ]);
  } catch (err) {
    // A parallel request scheduled the same dose between the check and the write.
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', duplicate().message);
    throw err;
  }
  const extra: ScheduleContext = { vaccine, dependentName: dependent?.name ?? null, dateOfBirth: born };
  const items = rows.map((row) => toScheduleView(row, extra));
  return { items, warnings: [...new Set(items.flatMap((i) => i.warnings))] };
}

// ---- update and delete ----------------------------------------------------------------------------

/**
 * Moves the due date or changes the notes of a dose that is still scheduled.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, date before birth),
 *   INVALID_TRANSITION (administered or cancelled)
 */
export async function updateSchedule(
  ctx: ServiceContext,
  id: string,
  input: UpdateVaccineScheduleInput,
): Promise<VaccineScheduleView> {
  const changes = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as UpdateVaccineScheduleInput;
  const fields = Object.keys(changes);
  if (!fields.length) {
    throw invalid([{ field: 'body', message: 'Give at least one of dueDate, notes' }]);
  }
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status !== 'scheduled') refuseChange(row, 'changed');
    if (changes.dueDate) {
      assertNotBeforeBirth('dueDate', changes.dueDate, await birthDateOf(ctx, row.ownerId, row.dependentId));
    }
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
        .where(and(eq(vaccineSchedules.id, row.id), eq(vaccineSchedules.status, 'scheduled'))),
      expectChanges(ctx, 1),
      auditOf(ctx, 'update', row, { fields }),
    ]);
    return done || undefined;
  });
  return viewOf(ctx, id);
}

/**
 * Removes a dose that was not administered (administered ones are the person's vaccination history).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (administered)
 */
export async function deleteSchedule(ctx: ServiceContext, id: string): Promise<void> {
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status === 'administered') refuseChange(row, 'deleted');
    const done = await runGuarded(ctx, [
      ctx.db
        .delete(vaccineSchedules)
        .where(and(eq(vaccineSchedules.id, row.id), ne(vaccineSchedules.status, 'administered'))),
      expectChanges(ctx, 1),
      auditOf(ctx, 'delete', row, { doseNumber: row.doseNumber }),
    ]);
    return done || undefined;
  });
}

// ---- administer -----------------------------------------------------------------------------------

/**
 * Records that a scheduled dose was given: when (not in the future), where and which lot.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (future date, before birth), INVALID_TRANSITION
 *   (already administered, cancelled)
 */
export async function administerSchedule(
  ctx: ServiceContext,
  id: string,
  input: AdministerInput,
): Promise<VaccineScheduleView> {
  if (isFutureDate(input.administeredOn, ctx.clock.now())) {
    throw invalid([{ field: 'administeredOn', message: 'Must not be in the future' }]);
  }
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status === 'administered') throw new AppError('INVALID_TRANSITION', 'This dose is already administered');
    if (row.status !== 'scheduled') refuseChange(row, 'administered');
    assertNotBeforeBirth('administeredOn', input.administeredOn, await birthDateOf(ctx, row.ownerId, row.dependentId));
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({
          status: 'administered',
          administeredOn: input.administeredOn,
          administeredPlace: input.place,
          lotNumber: input.lotNumber,
          ...(input.notes !== undefined ? { notes: input.notes } : {}),
          updatedAt: ctx.clock.now().getTime(),
        })
        .where(and(eq(vaccineSchedules.id, row.id), eq(vaccineSchedules.status, 'scheduled'))),
      expectChanges(ctx, 1),
      auditOf(ctx, 'administer', row, { doseNumber: row.doseNumber }),
    ]);
    return done || undefined;
  });
  return viewOf(ctx, id);
}

// ---- activate / deactivate ------------------------------------------------------------------------

/**
 * Switches a dose, or with `plan: true` every not-administered dose of the same person and vaccine,
 * on or off. Doses already in that state are left alone (idempotent: 200 with `changed: 0`).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (a single administered dose)
 */
export async function switchSchedule(
  ctx: ServiceContext,
  id: string,
  active: boolean,
  input: PlanSwitchInput | undefined,
): Promise<{ active: boolean; changed: number; items: VaccineScheduleView[] }> {
  const plan = input?.plan === true;
  const action = active ? 'activate' : 'deactivate';
  const { scope, changed } = await retrying(async () => {
    const row = await ownedRow(ctx, id);
    let scope: VaccineScheduleRow[];
    if (plan) {
      scope = await ctx.db
        .select()
        .from(vaccineSchedules)
        .where(
          and(
            samePerson(row.ownerId, row.dependentId),
            eq(vaccineSchedules.vaccineId, row.vaccineId),
            ne(vaccineSchedules.status, 'administered'),
          ),
        )
        .all();
    } else {
      if (row.status === 'administered') refuseChange(row, active ? 'activated' : 'deactivated');
      scope = [row];
    }
    const toChange = scope.filter((r) => r.active !== active);
    if (!toChange.length) return { scope, changed: 0 };
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({ active, updatedAt: ctx.clock.now().getTime() })
        .where(
          and(
            inArray(
              vaccineSchedules.id,
              toChange.map((r) => r.id),
            ),
            ne(vaccineSchedules.active, active),
            ne(vaccineSchedules.status, 'administered'),
          ),
        ),
      expectChanges(ctx, toChange.length),
      ...toChange.map((r) => auditOf(ctx, action, r, { plan })),
    ]);
    return done ? { scope, changed: toChange.length } : undefined;
  });
  return {
    active,
    changed,
    items: await viewsOf(
      ctx,
      scope.map((r) => r.id),
    ),
  };
}
