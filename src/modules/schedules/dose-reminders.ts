import { and, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { DOSE_SUBJECT, dependents, doses, type ScheduleRow, schedules, supplements } from '../../db/schema';
import { MINUTE_MS } from '../../lib/time';
import { cancelReminders, cancelRemindersOf, scheduleSelectedReminders } from '../notifications/reminders';
import { REMOVED_SUPPLEMENT_NAME } from './schedules.schemas';

/**
 * Dose reminders: a `medication` notice to the schedule's owner DOSE_REMINDER_LEAD_MS before each
 * stored pending dose. They are written in the same batch as the doses (one INSERT … SELECT over the
 * schedule's doses, so no read and no bound parameter per dose), and follow the doses' life:
 * - stored doses get theirs (create, edit, resume, the cron's horizon extension); a dose due less than
 *   the lead from now gets none;
 * - a dose's instant never changes under its id (`doseIdOf`), so a reminder never moves: an edit of
 *   the timing deletes the future doses with their reminders and stores the new ones with theirs; an
 *   edit of the name or dosage rewrites the pending reminders' text;
 * - pausing, deleting the schedule or deleting future doses removes their pending reminders, and so does
 *   marking a dose taken or skipped before its reminder went out (the reminder would only ask for what
 *   is already done).
 * A schedule of one of the owner's dependents still reminds the owner (the dependent has no account);
 * `forName` names the dependent (null for the owner's own schedules). A dependent's removal takes their
 * schedules, doses and pending reminders with it (see deleteDependent).
 */

export { DOSE_SUBJECT };
export const DOSE_REMINDER_KIND = 'dose.10m';
export const DOSE_REMINDER_LEAD_MS = 10 * MINUTE_MS;

/** The shown name: the medicine's, or the supplement's catalog name (see `scheduleName`). */
const nameOf = sql<string>`case when ${schedules.kind} = 'medicine' then coalesce(${schedules.medicineName}, '')
    else coalesce(${supplements.name}, ${REMOVED_SUPPLEMENT_NAME}) end`;

/** How much: "2 × 500 mg", "500 mg", "2" (a quantity without a dosage), or null for one of nothing stated. */
const doseOf = sql<string | null>`case
    when ${schedules.dosage} is null then
      case when ${schedules.quantityPerDose} > 1 then cast(${schedules.quantityPerDose} as text) end
    when ${schedules.quantityPerDose} > 1 then ${schedules.quantityPerDose} || ' × ' || ${schedules.dosage}
    else ${schedules.dosage} end`;

/**
 * The statement (for the batch that stores a schedule's doses, after them) scheduling a reminder for
 * each of the schedule's stored pending doses whose reminder time is after `now`, with the schedule as
 * it stands at that point of the batch. Idempotent: a pending reminder is rewritten, a sent one kept.
 */
export function scheduleDoseReminders(ctx: ServiceContext, schedule: Pick<ScheduleRow, 'id' | 'ownerId'>, now: number) {
  return scheduleSelectedReminders(
    ctx,
    {
      subjectType: DOSE_SUBJECT,
      kind: DOSE_REMINDER_KIND,
      type: 'medication',
      template: 'medication-reminder',
      from: sql`${doses} join ${schedules} on ${schedules.id} = ${doses.scheduleId}
        left join ${supplements} on ${supplements.id} = ${schedules.supplementId}
        left join ${dependents} on ${dependents.id} = ${schedules.dependentId} and ${dependents.userId} = ${schedules.ownerId}`,
      where: and(
        eq(doses.scheduleId, schedule.id),
        eq(doses.ownerId, schedule.ownerId),
        eq(doses.status, 'pending'),
        eq(schedules.status, 'active'),
      )!,
      subjectId: doses.id,
      recipientId: doses.ownerId,
      dueAt: sql`${doses.scheduledAt} - ${DOSE_REMINDER_LEAD_MS}`,
      data: {
        medicineName: nameOf,
        dose: doseOf,
        at: doses.scheduledAt,
        forName: dependents.name,
        timeZone: schedules.timeZone,
        doseId: doses.id,
        scheduleId: doses.scheduleId,
      },
    },
    now,
  );
}

/** The ids of a schedule's pending doses due after `now`: what `deleteFuturePending` deletes. */
export function futurePendingDoseIds(
  ctx: ServiceContext,
  schedule: Pick<ScheduleRow, 'id' | 'ownerId'>,
  now: number,
): SQL {
  return sql`${ctx.db
    .select({ id: doses.id })
    .from(doses)
    .where(
      and(
        eq(doses.scheduleId, schedule.id),
        eq(doses.ownerId, schedule.ownerId),
        eq(doses.status, 'pending'),
        gt(doses.scheduledAt, now),
      ),
    )}`;
}

/** The statement removing the pending reminders of a schedule's future pending doses (before they go). */
export function cancelFutureDoseReminders(
  ctx: ServiceContext,
  schedule: Pick<ScheduleRow, 'id' | 'ownerId'>,
  now: number,
) {
  return cancelRemindersOf(ctx, DOSE_SUBJECT, futurePendingDoseIds(ctx, schedule, now));
}

/** The statement removing one dose's pending reminder (it was marked taken or skipped). */
export function cancelDoseReminder(ctx: ServiceContext, doseId: string) {
  return cancelReminders(ctx, { type: DOSE_SUBJECT, id: doseId }, { kinds: [DOSE_REMINDER_KIND] });
}
