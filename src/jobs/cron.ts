import type { ServiceContext } from '../context';
import { deleteExpiredHoldClaims } from '../modules/appointments/holds.service';
import { deleteExpiredIdempotencyKeys } from '../modules/appointments/idempotency';
import { releaseOverdueUnpaid } from '../modules/appointments/payment-state';
import { pruneExpiredAuthState } from '../modules/auth/housekeeping';
import { sweepRecordings } from '../modules/calls/recordings.service';
import { flagExpiringCredentials } from '../modules/care-profiles/verification.service';
import { publishDueContent } from '../modules/content/content.service';
import { enqueueDueReminders } from '../modules/notifications/reminders';
import { sweepPendingRefunds } from '../modules/payments/refunds.service';
import { expirePrescriptions } from '../modules/prescriptions/prescriptions.service';
import { extendDoseHorizons, markMissedDoses } from '../modules/schedules/doses.service';
import { rollUpStats } from '../modules/stats/rollup.service';
import { pruneOutbox } from '../modules/system/system.service';
import { expireWaitlist } from '../modules/waitlist/offers.service';

/**
 * Work the every-minute cron finds. Each task only finds due work and enqueues it (or does a small,
 * bounded sweep); delivery happens in queue consumers. Modules append their tasks here.
 */
export interface CronTask {
  name: string;
  run(ctx: ServiceContext): Promise<number>;
}

export const CRON_TASKS: CronTask[] = [
  { name: 'reminders.enqueue', run: (ctx) => enqueueDueReminders(ctx) },
  { name: 'dev-outbox.prune', run: (ctx) => pruneOutbox(ctx) },
  { name: 'auth.prune-expired', run: (ctx) => pruneExpiredAuthState(ctx) },
  { name: 'doses.mark-missed', run: (ctx) => markMissedDoses(ctx) },
  { name: 'doses.extend-horizon', run: (ctx) => extendDoseHorizons(ctx) },
  { name: 'appointments.release-unpaid', run: (ctx) => releaseOverdueUnpaid(ctx) },
  {
    name: 'appointments.sweep',
    run: async (ctx) => (await deleteExpiredHoldClaims(ctx)) + (await deleteExpiredIdempotencyKeys(ctx)),
  },
  { name: 'payments.refunds-sweep', run: (ctx) => sweepPendingRefunds(ctx) },
  { name: 'prescriptions.expire', run: (ctx) => expirePrescriptions(ctx) },
  { name: 'calls.recordings-retention', run: (ctx) => sweepRecordings(ctx) },
  { name: 'caregivers.credentials-expiring', run: (ctx) => flagExpiringCredentials(ctx) },
  { name: 'content.publish-scheduled', run: (ctx) => publishDueContent(ctx) },
  { name: 'waitlist.expire', run: (ctx) => expireWaitlist(ctx) },
  { name: 'stats.rollup', run: (ctx) => rollUpStats(ctx) },
];

export interface CronReport {
  task: string;
  ok: boolean;
  count: number;
}

/** Runs every task; one failing task does not stop the others. */
export async function runCron(ctx: ServiceContext, tasks: CronTask[] = CRON_TASKS): Promise<CronReport[]> {
  const reports: CronReport[] = [];
  for (const task of tasks) {
    try {
      reports.push({ task: task.name, ok: true, count: await task.run(ctx) });
    } catch (err) {
      ctx.log.log('error', 'cron.task_failed', { task: task.name, error: String(err) });
      reports.push({ task: task.name, ok: false, count: 0 });
    }
  }
  ctx.log.log('info', 'cron.run', { reports });
  return reports;
}
