import { eq } from 'drizzle-orm';
import { createContext } from '../../../src/context';
import { type AppointmentStatus, appointments, payments, type Role, refunds, users } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { createUser, db, testEnv, tokenFor, uniqueId } from '../../helpers';
import { insertAppointment } from '../../support/practice';

/** What the stats tests share: accounts, appointments and money made at chosen instants, and the cron. */

export const at = (instant: string) => Date.parse(instant);

/** An account created at `createdAt` (the factories stamp the real clock). */
export async function accountAt(role: Role, createdAt: string, status: 'active' | 'removed' = 'active') {
  const user = await createUser({ role, name: `${role} ${createdAt}` });
  await db
    .update(users)
    .set({ createdAt: at(createdAt), status })
    .where(eq(users.id, user.id));
  return { ...user, createdAt: at(createdAt) };
}

/** An account created at `createdAt` with a token valid at `now`. */
export async function signedInAt(role: Role, createdAt: string, now: Date) {
  const user = await accountAt(role, createdAt);
  return { user, token: await tokenFor(user, now) };
}

/** An appointment starting at `startsAt`, booked at `createdAt` (default a day before). */
export async function appointmentAt(input: {
  patientId: string;
  doctorId: string;
  startsAt: string;
  status?: AppointmentStatus;
  createdAt?: string;
  cancelledAt?: string;
}) {
  const row = await insertAppointment({
    patientId: input.patientId,
    doctorId: input.doctorId,
    serviceId: 'svc_stats',
    startsAt: input.startsAt,
    status: input.status ?? 'confirmed',
  });
  const changes: Partial<typeof appointments.$inferInsert> = {};
  if (input.createdAt) changes.createdAt = at(input.createdAt);
  if (input.cancelledAt) changes.cancelledAt = at(input.cancelledAt);
  if (Object.keys(changes).length) await db.update(appointments).set(changes).where(eq(appointments.id, row.id));
  return row;
}

/** A payment paid at `paidAt`. */
export async function paymentAt(input: {
  payerId: string;
  payeeId: string;
  paidAt: string;
  cents: number;
  currency?: string;
}) {
  const id = uniqueId('pay');
  const paidAt = at(input.paidAt);
  await db.insert(payments).values({
    id,
    subjectType: 'appointment',
    subjectId: uniqueId('apt'),
    payerId: input.payerId,
    payeeId: input.payeeId,
    description: 'Consultation',
    amountCents: input.cents,
    currency: input.currency ?? 'EUR',
    provider: 'local',
    status: 'paid',
    checkoutSessionId: uniqueId('cs'),
    checkoutUrl: 'https://example.test/checkout',
    expiresAt: paidAt + 3600_000,
    paidAt,
    createdAt: paidAt - 60_000,
    updatedAt: paidAt,
  });
  return id;
}

/** A refund of `paymentId` that succeeded at `refundedAt`. */
export async function refundAt(paymentId: string, refundedAt: string, cents: number, currency = 'EUR') {
  await db.insert(refunds).values({
    id: uniqueId('rfd'),
    paymentId,
    key: uniqueId('key'),
    amountCents: cents,
    currency,
    source: 'admin',
    status: 'succeeded',
    refundedAt: at(refundedAt),
    createdAt: at(refundedAt) - 60_000,
    updatedAt: at(refundedAt),
  });
}

/** Runs the cron task `stats.rollup` at `instant` (as the scheduled handler would); answers the days rolled. */
export async function rollUpAt(instant: Date | number): Promise<number> {
  const ctx = createContext(
    testEnv,
    { ...cloudflareDeps, clock: fixedClock(new Date(instant)) },
    { requestId: 'cron' },
  );
  const [report] = await runCron(
    ctx,
    CRON_TASKS.filter((task) => task.name === 'stats.rollup'),
  );
  if (!report?.ok) throw new Error('stats.rollup failed');
  return report.count;
}

/** Runs the rollup until the backlog is rolled (each run rolls at most 31 days). */
export async function rollUpAllAt(instant: Date | number): Promise<number> {
  let runs = 0;
  while ((await rollUpAt(instant)) > 0) {
    runs++;
    if (runs > 50) throw new Error('the rollup never caught up');
  }
  return runs;
}
