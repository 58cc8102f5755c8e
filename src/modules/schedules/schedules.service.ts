import { and, count, desc, eq, gt, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf, runBatch } from '../../db/batch';
import {
  type DependentRow,
  dependents,
  type Recurrence,
  type ScheduleRow,
  schedules,
  supplements,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { localDateAt } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { personOf } from '../dependents/dependents.schemas';
import { getOwnedDependent, ownedDependentOf, ownedDependentQuery } from '../dependents/dependents.service';
import { scheduleDoseReminders } from './dose-reminders';
import {
  deleteFuturePending,
  doseInserts,
  horizonEnd,
  horizonOccurrences,
  profileTimeZoneQuery,
} from './doses.service';
import {
  type CreateScheduleInput,
  REMOVED_SUPPLEMENT_NAME,
  type ScheduleView,
  type UpdateScheduleInput,
} from './schedules.schemas';

/**
 * Supplement and medicine schedules of the signed-in user, for themself or one of their dependents (set
 * when created, never moved; the doses and reminders are the user's). Another user's schedule, or a
 * dependent that is not the user's, is NOT_FOUND. Every
 * change is audited (ids and field names only) in the same batch as the change, and regenerates the
 * schedule's future pending doses where its timing changed (see doses.service.ts for the rules).
 */

/** Fields whose change replaces the future pending doses. */
const TIMING_FIELDS = ['timesOfDay', 'timeZone', 'recurrence', 'startDate', 'endDate'] as const;

const validation = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** The name a schedule is shown under: the medicine's, or its supplement's catalog name. */
export function scheduleName(row: Pick<ScheduleRow, 'kind' | 'medicineName'>, supplementName: string | null): string {
  return row.kind === 'medicine' ? (row.medicineName ?? '') : (supplementName ?? REMOVED_SUPPLEMENT_NAME);
}

/** The names a schedule's view shows beside its row: its supplement's and its dependent's (when any). */
export interface ScheduleNames {
  supplementName: string | null;
  dependentName: string | null;
}

export function toScheduleView(row: ScheduleRow, names: ScheduleNames): ScheduleView {
  return {
    id: row.id,
    kind: row.kind,
    name: scheduleName(row, names.supplementName),
    person: personOf(row.dependentId, names.dependentName),
    supplementId: row.supplementId,
    medicineName: row.medicineName,
    dosage: row.dosage,
    quantityPerDose: row.quantityPerDose,
    timesOfDay: row.timesOfDay,
    timeZone: row.timeZone,
    recurrence: row.recurrence,
    startDate: row.startDate,
    endDate: row.endDate,
    notes: row.notes,
    status: row.status,
    source: row.source,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/**
 * Schedules with their supplement's catalog name (null for medicines and removed supplements) and their
 * dependent's name (null for the owner's own), to filter. The names are aliased: D1 batches key rows by
 * column name, and both tables have a `name`.
 */
export function withSupplementName(ctx: ServiceContext) {
  return ctx.db
    .select({
      schedule: schedules,
      supplementName: sql<string | null>`${supplements.name}`.as('supplement_name'),
      dependentName: sql<string | null>`${dependents.name}`.as('dependent_name'),
    })
    .from(schedules)
    .leftJoin(supplements, eq(supplements.id, schedules.supplementId))
    .leftJoin(dependents, and(eq(dependents.id, schedules.dependentId), eq(dependents.userId, schedules.ownerId)))
    .$dynamic();
}

/** Schedules of one person of the owner's: `self` (their own) or a dependent's id. */
export function personFilter(person: string): SQL {
  return person === 'self' ? isNull(schedules.dependentId) : eq(schedules.dependentId, person);
}

/**
 * One of the caller's schedules, with its supplement's catalog name.
 * @throws AppError NOT_FOUND (missing or someone else's)
 */
export async function getOwnedSchedule(ctx: AuthedContext, id: string) {
  const row = await withSupplementName(ctx)
    .where(and(eq(schedules.id, id), eq(schedules.ownerId, ctx.actor.id)))
    .get();
  if (!row) throw notFound('Schedule');
  return row;
}

export async function getSchedule(ctx: AuthedContext, id: string): Promise<ScheduleView> {
  const { schedule, ...names } = await getOwnedSchedule(ctx, id);
  return toScheduleView(schedule, names);
}

/**
 * The statement checking a `person` filter names one of the caller's dependents, for the read's batch
 * (undefined for `self` or no filter); `assertPerson` reads its answer.
 */
export const personQuery = (ctx: AuthedContext, person: string | undefined) =>
  person && person !== 'self' ? ownedDependentQuery(ctx, person) : undefined;

/** @throws AppError NOT_FOUND when `personQuery` found no dependent of the caller's */
export function assertPerson(answer: DependentRow[] | undefined): void {
  if (answer) ownedDependentOf(answer);
}

/**
 * The caller's schedules, newest first, of one person when `person` is given; one round trip.
 * @throws AppError NOT_FOUND (`person` is not one of the caller's dependents)
 */
export async function listSchedules(
  ctx: AuthedContext,
  query: { page: number; limit: number; kind?: ScheduleRow['kind']; status?: ScheduleRow['status']; person?: string },
) {
  const filters: SQL[] = [eq(schedules.ownerId, ctx.actor.id)];
  if (query.person) filters.push(personFilter(query.person));
  if (query.kind) filters.push(eq(schedules.kind, query.kind));
  if (query.status) filters.push(eq(schedules.status, query.status));
  const where = and(...filters);
  const read = await batchOf(ctx.db, {
    rows: withSupplementName(ctx)
      .where(where)
      .orderBy(desc(schedules.createdAt), desc(schedules.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(schedules).where(where),
    person: personQuery(ctx, query.person),
  });
  assertPerson(read.person);
  return page(
    read.rows.map(({ schedule, ...names }) => toScheduleView(schedule, names)),
    read.total[0]?.n ?? 0,
    query,
  );
}

/** The statement reading a supplement's catalog name, for a read batch; `catalogNameOf` reads its answer. */
const catalogNameQuery = (ctx: ServiceContext, supplementId: string) =>
  ctx.db.select({ name: supplements.name }).from(supplements).where(eq(supplements.id, supplementId));

/** @throws AppError VALIDATION_FAILED when `catalogNameQuery` found no such supplement in the catalog */
function catalogNameOf(rows: { name: string }[]): string {
  const [row] = rows;
  if (!row) throw validation('supplementId', 'No such supplement in the catalog');
  return row.name;
}

/** The catalog name of a supplement. @throws AppError VALIDATION_FAILED when it is not in the catalog */
async function catalogName(ctx: ServiceContext, supplementId: string): Promise<string> {
  return catalogNameOf(await catalogNameQuery(ctx, supplementId).all());
}

const sortedTimes = (times: string[]) => [...new Set(times)].sort();

function normalisedRecurrence(recurrence: Recurrence): Recurrence {
  return recurrence.type === 'weekly'
    ? { type: 'weekly', daysOfWeek: [...new Set(recurrence.daysOfWeek)].sort((a, b) => a - b) }
    : { type: 'interval', everyNDays: recurrence.everyNDays };
}

function scheduleAudit(ctx: ServiceContext, action: string, row: ScheduleRow, metadata: Record<string, unknown> = {}) {
  return auditInsert(ctx, {
    action: `schedule.${action}`,
    resourceType: 'schedule',
    resourceId: row.id,
    patientId: row.ownerId,
    metadata: { kind: row.kind, ...(row.dependentId ? { dependentId: row.dependentId } : {}), ...metadata },
  });
}

/**
 * Creates a schedule for the caller, or for one of their dependents (`dependentId`), and its doses for
 * today … today + 30 days (from now on), audited, in one batch after one read batch. `timeZone` defaults
 * to the profile's; `startDate` to today in that zone. The doses and their reminders are the caller's.
 * @throws AppError NOT_FOUND (not the caller's dependent), VALIDATION_FAILED (no time zone anywhere,
 *   unknown supplement, endDate before startDate)
 */
export async function createSchedule(ctx: AuthedContext, input: CreateScheduleInput): Promise<ScheduleView> {
  const ownerId = ctx.actor.id;
  const nowDate = ctx.clock.now();
  const now = nowDate.getTime();
  const dependentId = input.dependentId ?? null;
  const read = await batchOf(ctx.db, {
    dependent: dependentId ? ownedDependentQuery(ctx, dependentId) : undefined,
    zone: input.timeZone ? undefined : profileTimeZoneQuery(ctx, ownerId),
    supplement: input.kind === 'supplement' ? catalogNameQuery(ctx, input.supplementId!) : undefined,
  });
  const dependentName = read.dependent ? ownedDependentOf(read.dependent).name : null;
  const timeZone = input.timeZone ?? read.zone?.[0]?.timeZone ?? null;
  if (!timeZone) throw validation('timeZone', 'Required: set it here or in your profile');
  const startDate = input.startDate ?? localDateAt(nowDate, timeZone);
  const endDate = input.endDate ?? null;
  if (endDate && endDate < startDate) throw validation('endDate', 'Must not be before startDate');
  const supplementName = read.supplement ? catalogNameOf(read.supplement) : null;

  const row: ScheduleRow = {
    id: ctx.ids.id('sch'),
    ownerId,
    dependentId,
    kind: input.kind,
    supplementId: input.kind === 'supplement' ? input.supplementId! : null,
    medicineName: input.kind === 'medicine' ? input.medicineName! : null,
    dosage: input.kind === 'medicine' ? (input.dosage ?? null) : null,
    quantityPerDose: input.quantityPerDose,
    timesOfDay: sortedTimes(input.timesOfDay),
    timeZone,
    recurrence: normalisedRecurrence(input.recurrence),
    startDate,
    endDate,
    notes: input.notes ?? null,
    status: 'active',
    source: 'user',
    dosesThrough: horizonEnd({ timeZone }, now),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await runBatch(ctx.db, newScheduleStatements(ctx, row, now));
  } catch (err) {
    // The dependent was removed between the read and the write (see `scheduleInsert`): the batch rolled
    // back, and the re-read says NOT_FOUND.
    if (dependentId) await getOwnedDependent(ctx, dependentId);
    throw err;
  }
  return toScheduleView(row, { supplementName, dependentName });
}

/**
 * The insert of a new schedule row. A dependent's is checked inside the write: when the dependent is
 * no longer the owner's (removed since it was read), the id is NULL, the NOT NULL constraint fails and
 * the whole batch rolls back, so no schedule points at a person who is gone.
 */
function scheduleInsert(ctx: ServiceContext, row: ScheduleRow) {
  if (!row.dependentId) return ctx.db.insert(schedules).values(row);
  const theirs = sql`select 1 from ${dependents} where ${dependents.id} = ${row.dependentId} and ${dependents.userId} = ${row.ownerId}`;
  return ctx.db.insert(schedules).values({ ...row, id: sql`case when exists (${theirs}) then ${row.id} end` });
}

/**
 * The statements storing a new schedule: its row, its doses for the horizon from `now`, their
 * reminders and its audit row, for the caller's one write batch. Every way a schedule is created
 * (the owner's POST, a prescription's acceptance) goes through here.
 */
export function newScheduleStatements(ctx: ServiceContext, row: ScheduleRow, now: number): BatchItem<'sqlite'>[] {
  return [
    scheduleInsert(ctx, row),
    ...doseInserts(ctx, row, horizonOccurrences(row, now), now),
    scheduleDoseReminders(ctx, row, now),
    scheduleAudit(ctx, 'create', row, row.source === 'user' ? {} : { source: row.source }),
  ];
}

/** What another module states to create a medicine schedule for a patient (see `medicineScheduleRow`). */
export interface MedicineScheduleInput {
  ownerId: string;
  medicineName: string;
  dosage: string | null;
  timesOfDay: string[];
  timeZone: string;
  /** Inclusive local dates. */
  startDate: string;
  endDate: string;
  notes: string | null;
  /** Who created it, e.g. `prescription`. */
  source: string;
}

/**
 * A daily medicine schedule row (not stored: pass it to `newScheduleStatements`), with its horizon
 * from `now`. Its times are stored sorted and without repeats, as the owner's own schedules.
 */
export function medicineScheduleRow(ctx: ServiceContext, input: MedicineScheduleInput, now: number): ScheduleRow {
  return {
    id: ctx.ids.id('sch'),
    ownerId: input.ownerId,
    dependentId: null,
    kind: 'medicine',
    supplementId: null,
    medicineName: input.medicineName,
    dosage: input.dosage,
    quantityPerDose: 1,
    timesOfDay: sortedTimes(input.timesOfDay),
    timeZone: input.timeZone,
    recurrence: { type: 'interval', everyNDays: 1 },
    startDate: input.startDate,
    endDate: input.endDate,
    notes: input.notes,
    status: 'active',
    source: input.source,
    dosesThrough: horizonEnd({ timeZone: input.timeZone }, now),
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The statements ending the owner's schedules `ids` on `today` (their local date): the end date
 * becomes today (or their start date, when they start later) unless they already end sooner, and
 * their pending doses due after `now` go with their reminders; past and marked doses stay as history.
 * Schedules the owner has deleted meanwhile are skipped (nothing matches). Audited per schedule.
 */
export function endSchedulesStatements(
  ctx: ServiceContext,
  ownerId: string,
  ids: readonly string[],
  today: string,
  now: number,
): BatchItem<'sqlite'>[] {
  if (!ids.length) return [];
  const mine = and(eq(schedules.ownerId, ownerId), inArray(schedules.id, [...ids]));
  return [
    ctx.db
      .update(schedules)
      .set({ endDate: sql`max(${schedules.startDate}, ${today})`, updatedAt: now })
      .where(and(mine, or(isNull(schedules.endDate), gt(schedules.endDate, today)))),
    ...ids.flatMap((id) => deleteFuturePending(ctx, { id, ownerId }, now)),
    ...ids.map((id) =>
      auditInsert(ctx, {
        action: 'schedule.end',
        resourceType: 'schedule',
        resourceId: id,
        patientId: ownerId,
        metadata: { kind: 'medicine', endDate: today },
      }),
    ),
  ];
}

/**
 * Changes the given fields of one of the caller's schedules. A change of timing (times, zone,
 * recurrence, start or end date) deletes the schedule's future pending doses and generates the new
 * ones; past doses and marked doses are never touched. A new zone keeps the wall-clock times.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, a field of the other kind, unknown
 *   supplement, endDate before startDate)
 */
export async function updateSchedule(
  ctx: AuthedContext,
  id: string,
  input: UpdateScheduleInput,
): Promise<ScheduleView> {
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as UpdateScheduleInput;
  const fields = Object.keys(changes);
  if (!fields.length) throw validation('body', 'Give at least one field to change');
  const { schedule: current, supplementName: currentName, dependentName } = await getOwnedSchedule(ctx, id);

  if (current.kind === 'medicine' && changes.supplementId !== undefined) {
    throw validation('supplementId', 'Only for supplement schedules');
  }
  if (current.kind === 'supplement') {
    for (const field of ['medicineName', 'dosage'] as const) {
      if (changes[field] !== undefined) throw validation(field, 'Only for medicine schedules');
    }
  }
  const supplementName =
    changes.supplementId !== undefined ? await catalogName(ctx, changes.supplementId) : currentName;

  const now = ctx.clock.now().getTime();
  const values = {
    ...changes,
    ...(changes.timesOfDay ? { timesOfDay: sortedTimes(changes.timesOfDay) } : {}),
    ...(changes.recurrence ? { recurrence: normalisedRecurrence(changes.recurrence) } : {}),
    updatedAt: now,
  };
  const next: ScheduleRow = { ...current, ...values };
  if (next.endDate && next.endDate < next.startDate) {
    throw validation(changes.endDate !== undefined ? 'endDate' : 'startDate', 'endDate must not be before startDate');
  }
  const timingChanged = TIMING_FIELDS.some((f) => JSON.stringify(next[f]) !== JSON.stringify(current[f]));
  // The regenerated horizon is what is stored now: reads compute the doses beyond it.
  const regenerate = timingChanged && next.status === 'active';
  if (regenerate) next.dosesThrough = horizonEnd(next, now);

  const statements: BatchItem<'sqlite'>[] = [
    ctx.db
      .update(schedules)
      .set(regenerate ? { ...values, dosesThrough: next.dosesThrough } : values)
      .where(and(eq(schedules.id, current.id), eq(schedules.ownerId, current.ownerId))),
  ];
  if (timingChanged) {
    statements.push(...deleteFuturePending(ctx, current, now));
    if (regenerate) statements.push(...doseInserts(ctx, next, horizonOccurrences(next, now), now));
  }
  // The new doses' reminders, or the stored ones' with the new name or dosage (after the update above).
  if (next.status === 'active') statements.push(scheduleDoseReminders(ctx, next, now));
  statements.push(scheduleAudit(ctx, 'update', current, { fields, dosesRegenerated: timingChanged }));
  await runBatch(ctx.db, statements);
  return toScheduleView(next, { supplementName, dependentName });
}

/**
 * Deletes one of the caller's schedules and its pending doses due after now. Doses already due (taken,
 * skipped, missed, or pending within their grace period and still markable) stay, so history and
 * adherence survive; they then show `schedule: null`.
 * @throws AppError NOT_FOUND
 */
export async function deleteSchedule(ctx: AuthedContext, id: string): Promise<void> {
  const { schedule } = await getOwnedSchedule(ctx, id);
  const now = ctx.clock.now().getTime();
  await runBatch(ctx.db, [
    ...deleteFuturePending(ctx, schedule, now),
    ctx.db.delete(schedules).where(and(eq(schedules.id, schedule.id), eq(schedules.ownerId, schedule.ownerId))),
    scheduleAudit(ctx, 'delete', schedule),
  ]);
}

/**
 * Pauses one of the caller's schedules: its pending doses due after now are removed and none are
 * generated while it is paused. Doses already due can still be marked.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (already paused)
 */
export async function pauseSchedule(ctx: AuthedContext, id: string): Promise<ScheduleView> {
  const { schedule, ...names } = await getOwnedSchedule(ctx, id);
  if (schedule.status === 'paused') throw new AppError('INVALID_TRANSITION', 'This schedule is already paused');
  const now = ctx.clock.now().getTime();
  const [[updated]] = (await runBatch(ctx.db, [
    ctx.db
      .update(schedules)
      .set({ status: 'paused', updatedAt: now })
      .where(
        and(eq(schedules.id, schedule.id), eq(schedules.ownerId, schedule.ownerId), eq(schedules.status, 'active')),
      )
      .returning(),
    ...deleteFuturePending(ctx, schedule, now),
    scheduleAudit(ctx, 'pause', schedule),
  ])) as [ScheduleRow[], ...unknown[]];
  if (!updated) throw new AppError('INVALID_TRANSITION', 'This schedule is already paused');
  return toScheduleView(updated, names);
}

/**
 * Resumes one of the caller's paused schedules and generates its doses from now on (today … today + 30
 * days); nothing is generated for the paused time.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not paused)
 */
export async function resumeSchedule(ctx: AuthedContext, id: string): Promise<ScheduleView> {
  const { schedule, ...names } = await getOwnedSchedule(ctx, id);
  if (schedule.status === 'active') throw new AppError('INVALID_TRANSITION', 'This schedule is already active');
  const now = ctx.clock.now().getTime();
  const next: ScheduleRow = { ...schedule, status: 'active', updatedAt: now, dosesThrough: horizonEnd(schedule, now) };
  const [[updated]] = (await runBatch(ctx.db, [
    ctx.db
      .update(schedules)
      .set({ status: 'active', updatedAt: now, dosesThrough: next.dosesThrough })
      .where(
        and(eq(schedules.id, schedule.id), eq(schedules.ownerId, schedule.ownerId), eq(schedules.status, 'paused')),
      )
      .returning(),
    ...doseInserts(ctx, next, horizonOccurrences(next, now), now),
    scheduleDoseReminders(ctx, next, now),
    scheduleAudit(ctx, 'resume', schedule),
  ])) as [ScheduleRow[], ...unknown[]];
  if (!updated) throw new AppError('INVALID_TRANSITION', 'This schedule is already active');
  return toScheduleView(updated, names);
}
