import { and, eq, gte, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import {
  dependents,
  userProfiles,
  VACCINE_SCHEDULE_SUBJECT,
  type VaccineScheduleRow,
  vaccineSchedules,
  vaccines,
} from '../../db/schema';
import { addDays, zonedInstant } from '../../lib/time';
import type { Job } from '../../platform/jobs';
import { cancelReminders, type ReminderInput, scheduleReminders } from '../notifications/reminders';

/**
 * Vaccine due-date reminders: a `reminder` notice to the dose's owner (the guardian, for a dependent's
 * dose, named in `forName`) at VACCINE_REMINDER_TIME local time the day before the due date and on the
 * due date itself, in the owner's profile zone (UTC when the profile has none). The due date is stored
 * (a calendar date), so both instants are computed with `zonedInstant` (DST-correct) when the dose is
 * written, and written in the same batch:
 * - scheduling a dose (or a series: every dose of it at once, however far ahead) and moving its due
 *   date schedule or move them; one whose time has passed is not scheduled;
 * - administering, deleting or switching off a dose removes its pending ones, switching it on again
 *   schedules them again; removing a dependent removes those of their doses;
 * - a change of the owner's profile zone re-times the reminders still ahead, from the queue
 *   (`retimeOwnerVaccineReminders`, the consumer of the users module's `users.time-zone-changed`).
 */

export const VACCINE_SUBJECT = VACCINE_SCHEDULE_SUBJECT;
export const VACCINE_DAY_BEFORE = 'vaccine.day-before';
export const VACCINE_MORNING_OF = 'vaccine.morning-of';
/** The local time of both reminders: a morning, when a clinic can be called and a visit planned. */
export const VACCINE_REMINDER_TIME = '08:00';
/** The zone of an owner whose profile has none. */
const FALLBACK_ZONE = 'UTC';

/** What the reminders of a dose say and where they are timed, beyond the row. */
export interface VaccineReminderContext {
  /** Null when the vaccine has left the catalog: nothing to name, no reminder. */
  vaccineName: string | null;
  /** The dependent's name, null for the owner's own dose. */
  forName: string | null;
  /** The owner's profile zone. */
  timeZone: string | null;
}

/** The two reminders of a dose due on `row.dueDate`. */
export function vaccineReminders(
  row: Pick<VaccineScheduleRow, 'id' | 'ownerId' | 'dueDate'>,
  context: VaccineReminderContext & { vaccineName: string },
): ReminderInput<'vaccine-due'>[] {
  const zone = context.timeZone ?? FALLBACK_ZONE;
  const base = {
    subject: { type: VACCINE_SUBJECT, id: row.id },
    recipientId: row.ownerId,
    type: 'reminder' as const,
    template: 'vaccine-due' as const,
  };
  const data = {
    vaccineName: context.vaccineName,
    dueDate: row.dueDate,
    forName: context.forName,
    vaccineScheduleId: row.id,
  };
  return [
    {
      ...base,
      kind: VACCINE_DAY_BEFORE,
      dueAt: zonedInstant(addDays(row.dueDate, -1), VACCINE_REMINDER_TIME, zone),
      data: { ...data, when: 'tomorrow' },
    },
    {
      ...base,
      kind: VACCINE_MORNING_OF,
      dueAt: zonedInstant(row.dueDate, VACCINE_REMINDER_TIME, zone),
      data: { ...data, when: 'today' },
    },
  ];
}

/**
 * The statements (for the batch that writes `row` as it now stands) that bring its reminders in line:
 * a scheduled, active dose gets both (moved when they exist; none whose time is not after `now`), any
 * other dose loses its pending ones.
 */
export function syncVaccineReminders(
  ctx: ServiceContext,
  row: Pick<VaccineScheduleRow, 'id' | 'ownerId' | 'dueDate' | 'status' | 'active'>,
  context: VaccineReminderContext,
  now: number,
): Statements {
  const { vaccineName } = context;
  if (row.status !== 'scheduled' || !row.active || vaccineName === null) {
    return [cancelVaccineReminders(ctx, row.id)];
  }
  return scheduleReminders(ctx, vaccineReminders(row, { ...context, vaccineName }), now);
}

/** The statement removing a dose's pending reminders. */
export function cancelVaccineReminders(ctx: ServiceContext, id: string) {
  return cancelReminders(ctx, { type: VACCINE_SUBJECT, id });
}

/**
 * The read (for the batch that reads before a profile change) of an owner's doses whose reminders may
 * still be ahead: scheduled, active, due from yesterday (UTC) on, so every zone's today is covered; with
 * what their reminders say.
 */
export function remindableVaccineDosesQuery(ctx: ServiceContext, ownerId: string, now: number) {
  const yesterday = addDays(new Date(now).toISOString().slice(0, 10), -1);
  return ctx.db
    .select({
      id: vaccineSchedules.id,
      ownerId: vaccineSchedules.ownerId,
      dueDate: vaccineSchedules.dueDate,
      status: vaccineSchedules.status,
      active: vaccineSchedules.active,
      // Aliased: D1 batches key rows by column name, and both tables call theirs `name`.
      vaccineName: sql<string | null>`${vaccines.name}`.as('vaccine_name'),
      forName: sql<string | null>`${dependents.name}`.as('dependent_name'),
    })
    .from(vaccineSchedules)
    .leftJoin(vaccines, eq(vaccines.id, vaccineSchedules.vaccineId))
    .leftJoin(
      dependents,
      and(eq(dependents.id, vaccineSchedules.dependentId), eq(dependents.userId, vaccineSchedules.ownerId)),
    )
    .where(
      and(
        eq(vaccineSchedules.ownerId, ownerId),
        eq(vaccineSchedules.status, 'scheduled'),
        eq(vaccineSchedules.active, true),
        gte(vaccineSchedules.dueDate, yesterday),
      ),
    );
}

export type RemindableVaccineDose = Awaited<ReturnType<ReturnType<typeof remindableVaccineDosesQuery>['all']>>[number];

/**
 * The statements re-timing the reminders of `doses` (read by `remindableVaccineDosesQuery`) in the
 * owner's zone: 08:00 is 08:00 where the owner now is.
 */
function retimeVaccineReminders(
  ctx: ServiceContext,
  doses: readonly RemindableVaccineDose[],
  timeZone: string | null,
  now: number,
): Statements {
  return doses.flatMap((dose) =>
    syncVaccineReminders(ctx, dose, { vaccineName: dose.vaccineName, forName: dose.forName, timeZone }, now),
  );
}

/**
 * The `users.time-zone-changed` consumer: re-times an owner's vaccine reminders still ahead in the zone
 * their profile has now (read here, so a late or repeated job converges on the latest zone). Two round
 * trips, none written when nothing is ahead.
 * @throws Error for a payload without a user id (it can never succeed: dead-letter queue)
 */
export async function retimeOwnerVaccineReminders(ctx: ServiceContext, job: Job): Promise<void> {
  const { userId } = (job.payload ?? {}) as { userId?: unknown };
  if (typeof userId !== 'string' || !userId) throw new Error(`Malformed ${job.type} payload: no userId`);
  const now = ctx.clock.now().getTime();
  const read = await batchOf(ctx.db, {
    doses: remindableVaccineDosesQuery(ctx, userId, now),
    profile: ctx.db
      .select({ timeZone: userProfiles.timeZone })
      .from(userProfiles)
      .where(eq(userProfiles.userId, userId)),
  });
  const statements = retimeVaccineReminders(ctx, read.doses, read.profile[0]?.timeZone ?? null, now);
  if (statements.length) await runBatch(ctx.db, statements);
}
