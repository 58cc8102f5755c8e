import { and, eq, gt, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type AppointmentRefundStatus,
  appointments,
  type PaymentRow,
  payments,
  type RefundRow,
  refunds,
} from '../../db/schema';
import { qualified, selectedRow } from '../../db/sql';
import { AppError } from '../../lib/errors';
import { HOUR_MS, MINUTE_MS } from '../../lib/time';
import type { Job } from '../../platform/jobs';
import type { ProviderRefund } from '../../platform/payments';
import { appointmentRefundStatement, CANCELLATION_REFUND_JOB } from '../appointments/payment-state';

/**
 * Money going back: one executor every refund goes through (the cancellation policy's, an admin's, an
 * approved one), the queue consumers that run it, and the cron's sweep for jobs that were lost. The
 * provider call happens outside D1, between the read batch and the write batch; the refund's id is the
 * provider idempotency key, so a retried or duplicated job never moves money twice.
 */

/** The job that executes one pending refund (admin refunds, approved ones, the sweep's re-drives). */
export const REFUND_EXECUTE_JOB = 'payments.refund-execute';

/** The payload of REFUND_EXECUTE_JOB: the refund to send. */
export interface RefundExecutePayload {
  refundId: string;
}

/** The job of a refund ready to go to the provider. */
export const refundExecuteJob = (refundId: string): Job<RefundExecutePayload> => ({
  type: REFUND_EXECUTE_JOB,
  payload: { refundId },
  key: refundId,
});

/** The refund's key for the cancellation policy's refund of an appointment: at most one per appointment. */
export const cancellationRefundKey = (appointmentId: string) => `cancellation:${appointmentId}`;

/** What a new refund must say; the rest starts empty (not sent, not decided). */
export type NewRefund = Pick<
  RefundRow,
  'paymentId' | 'key' | 'amountCents' | 'currency' | 'source' | 'status' | 'reason'
> &
  Partial<Pick<RefundRow, 'id' | 'requestedBy' | 'refundedAt'>>;

/** A refund row as every path creates it: the one place its columns are listed. */
export function newRefundRow(ctx: ServiceContext, input: NewRefund): RefundRow {
  const now = ctx.clock.now().getTime();
  return {
    id: input.id ?? ctx.ids.id('rfd'),
    paymentId: input.paymentId,
    key: input.key,
    amountCents: input.amountCents,
    currency: input.currency,
    source: input.source,
    status: input.status,
    reason: input.reason,
    requestedBy: input.requestedBy ?? null,
    approvedBy: null,
    decidedAt: null,
    providerRefundId: null,
    balanceTransactionId: null,
    failureReason: null,
    refundedAt: input.refundedAt ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** States whose amount is spoken for: a new refund may only take what these leave of the payment. */
const COMMITTED: RefundRow['status'][] = ['awaiting-approval', 'pending', 'succeeded'];

/** Refunded or refunding on `rows` (awaiting approval included), in minor units. */
export const committedCents = (rows: readonly RefundRow[]): number =>
  rows.filter((row) => COMMITTED.includes(row.status)).reduce((sum, row) => sum + row.amountCents, 0);

/** The SQL sum of the refunds of `paymentId` in `statuses`. */
function refundSumSql(paymentId: string | SQL, statuses: readonly RefundRow['status'][]): SQL<number> {
  return sql<number>`(select coalesce(sum(${qualified(refunds.amountCents)}), 0) from ${refunds} where ${qualified(refunds.paymentId)} = ${paymentId} and ${qualified(refunds.status)} in (${sql.join(
    statuses.map((status) => sql`${status}`),
    sql`, `,
  )}))`;
}

/**
 * An INSERT … SELECT of `row` that writes it only while its payment is `paid` and the amount fits in
 * what the committed refunds leave (checked when the statement runs, so two refunds racing cannot
 * refund more than was paid together), and a second refund with the same key writes nothing.
 */
export function guardedRefundInsert(ctx: ServiceContext, row: RefundRow) {
  return ctx.db
    .insert(refunds)
    .select(
      sql`select ${selectedRow(refunds, row)} from ${payments} where ${qualified(payments.id)} = ${row.paymentId} and ${qualified(payments.status)} = 'paid' and ${qualified(payments.amountCents)} - ${refundSumSql(row.paymentId, COMMITTED)} >= ${row.amountCents}`,
    )
    .onConflictDoNothing();
}

/** A payment of `paymentId`'s refunds and the payment, for a read batch. */
const paymentRefundsQuery = (ctx: ServiceContext, paymentId: string | SQL) =>
  ctx.db.select().from(refunds).where(eq(refunds.paymentId, paymentId));

/** The payment id of refund `refundId`, as a subquery. */
const paymentIdOf = (refundId: string) =>
  sql<string>`(select ${qualified(refunds.paymentId)} from ${refunds} where ${qualified(refunds.id)} = ${refundId})`;

/**
 * Refund `refundId`, its payment and every refund of that payment (itself included), in one round
 * trip; undefined parts when the refund does not exist.
 */
export async function readRefund(ctx: ServiceContext, refundId: string) {
  const { siblings, paid } = await batchOf(ctx.db, {
    siblings: paymentRefundsQuery(ctx, paymentIdOf(refundId)),
    paid: ctx.db
      .select()
      .from(payments)
      .where(eq(payments.id, paymentIdOf(refundId))),
  });
  return { refund: siblings.find((row) => row.id === refundId), payment: paid[0], siblings };
}

/**
 * What an appointment shows of the money going back, from all the refunds of its payment: `pending`
 * while any is with the provider, `failed` when the latest one sent failed, else `succeeded`; the
 * amount refunded or refunding (pending and succeeded); when it succeeded. Null when no refund was
 * sent yet (awaiting approval or rejected ones are not the patient's concern).
 */
export function appointmentRefundSummary(
  rows: readonly RefundRow[],
): { status: AppointmentRefundStatus; amountCents: number; refundedAt: number | null } | null {
  const sent = rows
    .filter((row) => row.status === 'pending' || row.status === 'succeeded' || row.status === 'failed')
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  if (!sent.length) return null;
  const amountCents = sent.filter((row) => row.status !== 'failed').reduce((sum, row) => sum + row.amountCents, 0);
  const status: AppointmentRefundStatus = sent.some((row) => row.status === 'pending')
    ? 'pending'
    : sent.at(-1)!.status === 'failed'
      ? 'failed'
      : 'succeeded';
  const succeededAt = sent.flatMap((row) =>
    row.status === 'succeeded' && row.refundedAt !== null ? [row.refundedAt] : [],
  );
  const refundedAt = status === 'succeeded' && succeededAt.length ? Math.max(...succeededAt) : null;
  return { status, amountCents, refundedAt };
}

/**
 * The statements that follow a change to a payment's refunds (for the write batch that makes it): the
 * payment's `refundedCents` summed in SQL from its succeeded refunds, and, for an appointment's
 * payment, the appointment's refund state from `after` (the payment's refunds as they are once the
 * batch has run). The webhook's refund events use the same statements.
 */
export function refundSettledStatements(
  ctx: ServiceContext,
  payment: Pick<PaymentRow, 'id' | 'subjectType' | 'subjectId'>,
  after: readonly RefundRow[],
): BatchItem<'sqlite'>[] {
  const statements: BatchItem<'sqlite'>[] = [
    ctx.db
      .update(payments)
      .set({ refundedCents: refundSumSql(payment.id, ['succeeded']), updatedAt: ctx.clock.now().getTime() })
      .where(eq(payments.id, payment.id)),
  ];
  const summary = appointmentRefundSummary(after);
  if (payment.subjectType === 'appointment' && summary) {
    statements.push(appointmentRefundStatement(ctx, payment.subjectId, summary));
  }
  return statements;
}

/** What became of a refund sent: the provider's answer, or its refusal (no provider refund then). */
type RefundOutcome = Omit<ProviderRefund, 'id'> & { id: string | null };

/** A provider refusal turned into the refund's outcome; an outage (or anything else) is thrown for a retry. */
function refusedOutcome(err: unknown): RefundOutcome {
  if (err instanceof AppError && err.code === 'PAYMENT_FAILED') {
    return { id: null, status: 'failed', balanceTransactionId: null, failureReason: err.message };
  }
  throw err;
}

/**
 * Sends refund `refundId` to the provider when it is `pending` and not sent yet, then records the
 * answer in one batch: the refund (provider id, status, balance transaction, failure reason, when it
 * succeeded), the payment's refunded total and the appointment's refund state. A refund already sent,
 * decided otherwise or missing is left as it is (a duplicated job is a no-op). The provider refusing
 * (PAYMENT_FAILED) makes the refund `failed`. Answers the refund as it now is (undefined when missing).
 * @throws AppError SERVICE_UNAVAILABLE (the provider is unreachable or not configured: nothing is
 *   written, the queue retries and the provider's idempotency key makes the retry safe)
 */
export async function executeRefund(ctx: ServiceContext, refundId: string): Promise<RefundRow | undefined> {
  const { refund, payment, siblings } = await readRefund(ctx, refundId);
  if (!refund || !payment) {
    ctx.log.log('warn', 'refund.missing', { refundId });
    return undefined;
  }
  if (refund.status !== 'pending' || refund.providerRefundId !== null) return refund;
  const outcome: RefundOutcome = payment.paymentIntentId
    ? await ctx.ports.payments
        .refund({
          paymentIntentId: payment.paymentIntentId,
          amountCents: refund.amountCents,
          idempotencyKey: refund.id,
          metadata: { refundId: refund.id, paymentId: payment.id, subjectId: payment.subjectId },
        })
        .catch(refusedOutcome)
    : { id: null, status: 'failed', balanceTransactionId: null, failureReason: 'The payment has nothing to refund' };
  const now = ctx.clock.now().getTime();
  const changes = {
    providerRefundId: outcome.id,
    status: outcome.status,
    balanceTransactionId: outcome.balanceTransactionId,
    failureReason: outcome.failureReason,
    refundedAt: outcome.status === 'succeeded' ? now : null,
    updatedAt: now,
  } satisfies Partial<RefundRow>;
  const updated: RefundRow = { ...refund, ...changes };
  await ctx.db.batch([
    // A concurrent run of the same refund got the same answer (same idempotency key); the first write stands.
    ctx.db
      .update(refunds)
      .set(changes)
      .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'pending'), isNull(refunds.providerRefundId))),
    ...refundSettledStatements(
      ctx,
      payment,
      siblings.map((row) => (row.id === refund.id ? updated : row)),
    ),
  ]);
  ctx.log.log(outcome.status === 'failed' ? 'warn' : 'info', 'refund.executed', {
    refundId,
    status: outcome.status,
    failureReason: outcome.failureReason,
  });
  return updated;
}

/** The consumer of REFUND_EXECUTE_JOB. @throws AppError SERVICE_UNAVAILABLE (retried) */
export async function executeRefundJob(ctx: ServiceContext, job: Job): Promise<void> {
  const { refundId } = (job.payload ?? {}) as Partial<RefundExecutePayload>;
  if (typeof refundId !== 'string') {
    ctx.log.log('warn', 'refund.job_malformed', { type: job.type });
    return;
  }
  await executeRefund(ctx, refundId);
}

const WHO: Record<'patient' | 'doctor' | 'system' | 'staff', string> = {
  patient: 'the patient',
  doctor: 'the doctor',
  system: 'the system',
  staff: 'the practice',
};

/** How much notice a cancellation gave, for people: "3 h", "45 min", or after the start. */
function noticeLabel(noticeMs: number): string {
  if (noticeMs <= 0) return 'after the start';
  if (noticeMs < HOUR_MS) return `${Math.floor(noticeMs / MINUTE_MS)} min before the start`;
  return `${Math.floor(noticeMs / HOUR_MS)} h before the start`;
}

/**
 * Why a cancellation refund was made, in the policy's terms.
 * @example "Cancelled by the patient 3 h before the start: 50 %"
 */
export function cancellationRefundReason(row: {
  patientId: string;
  doctorId: string;
  cancelledBy: string | null;
  cancelledAt: number | null;
  startsAt: number;
  refundPercent: number | null;
}): string {
  const who =
    row.cancelledBy === row.patientId
      ? WHO.patient
      : row.cancelledBy === row.doctorId
        ? WHO.doctor
        : row.cancelledBy === 'system'
          ? WHO.system
          : WHO.staff;
  const notice = noticeLabel(row.startsAt - (row.cancelledAt ?? row.startsAt));
  return `Cancelled by ${who} ${notice}: ${row.refundPercent ?? 100} %`;
}

/**
 * The consumer of CANCELLATION_REFUND_JOB: refunds what the cancellation policy computed for a
 * cancelled, paid appointment. The refund row is keyed by the appointment (`cancellation:<id>`), so a
 * second job, a redelivery or the sweep's re-enqueue finds the same refund and the provider is asked
 * once. It never refunds more than the payment has left (an admin may have refunded part already);
 * when nothing can be refunded, the appointment's refund state is set from the refunds there are
 * (failed when there are none), so it does not stay pending.
 * @throws AppError SERVICE_UNAVAILABLE (the provider is unreachable: retried)
 */
export async function executeCancellationRefund(ctx: ServiceContext, job: Job): Promise<void> {
  const { appointmentId } = (job.payload ?? {}) as { appointmentId?: unknown };
  if (typeof appointmentId !== 'string') {
    ctx.log.log('warn', 'refund.job_malformed', { type: job.type });
    return;
  }
  const key = cancellationRefundKey(appointmentId);
  const paymentOf = and(eq(payments.subjectType, 'appointment'), eq(payments.subjectId, appointmentId));
  const paymentId = sql<string>`(select ${qualified(payments.id)} from ${payments} where ${paymentOf})`;
  const { found, paid, siblings } = await batchOf(ctx.db, {
    found: ctx.db
      .select({
        status: appointments.status,
        patientId: appointments.patientId,
        doctorId: appointments.doctorId,
        startsAt: appointments.startsAt,
        cancelledBy: appointments.cancelledBy,
        cancelledAt: appointments.cancelledAt,
        refundPercent: appointments.refundPercent,
        refundDueCents: appointments.refundDueCents,
      })
      .from(appointments)
      .where(eq(appointments.id, appointmentId)),
    paid: ctx.db.select().from(payments).where(paymentOf),
    siblings: paymentRefundsQuery(ctx, paymentId),
  });
  const appointment = found[0];
  const due = appointment?.refundDueCents ?? 0;
  if (appointment?.status !== 'cancelled' || due <= 0) return;
  const existing = siblings.find((row) => row.key === key);
  if (existing) {
    await executeRefund(ctx, existing.id);
    return;
  }
  const payment = paid[0];
  const amountCents = payment?.status === 'paid' ? Math.min(due, payment.amountCents - committedCents(siblings)) : 0;
  if (!payment || amountCents <= 0) {
    ctx.log.log('warn', 'refund.nothing_to_refund', { appointmentId, paymentStatus: payment?.status ?? null });
    await appointmentRefundStatement(
      ctx,
      appointmentId,
      appointmentRefundSummary(siblings) ?? { status: 'failed', amountCents: 0, refundedAt: null },
    );
    return;
  }
  const row = newRefundRow(ctx, {
    paymentId: payment.id,
    key,
    amountCents,
    currency: payment.currency,
    source: 'cancellation',
    status: 'pending',
    reason: cancellationRefundReason(appointment),
  });
  // Ours, or the one a concurrent job inserted first under the same key (executing it is then a no-op
  // or the same idempotent provider call); none when an admin refund took what was left meanwhile.
  const [, written] = await ctx.db.batch([
    guardedRefundInsert(ctx, row),
    ctx.db.select({ id: refunds.id }).from(refunds).where(eq(refunds.key, key)),
  ]);
  if (written[0]) await executeRefund(ctx, written[0].id);
}

/** How long a cancellation refund or a pending refund may wait for its job before the sweep re-enqueues it. */
export const REFUND_SWEEP_AFTER_MS = 5 * MINUTE_MS;
const SWEEP_LIMIT = 100;

/**
 * Cron: re-enqueues refunds whose job was lost: cancelled appointments still `pending` a refund due
 * with no refund row, and pending refunds never sent to the provider, both older than five minutes.
 * At most 100 jobs a run. Returns how many it enqueued.
 */
export async function sweepPendingRefunds(ctx: ServiceContext): Promise<number> {
  const cutoff = ctx.clock.now().getTime() - REFUND_SWEEP_AFTER_MS;
  const [lost, unsent] = await ctx.db.batch([
    ctx.db
      .select({ id: appointments.id })
      .from(appointments)
      .where(
        and(
          eq(appointments.status, 'cancelled'),
          eq(appointments.refundStatus, 'pending'),
          gt(appointments.refundDueCents, 0),
          lt(appointments.cancelledAt, cutoff),
          sql`not exists (select 1 from ${refunds} where ${qualified(refunds.key)} = 'cancellation:' || ${qualified(appointments.id)})`,
        ),
      )
      .limit(SWEEP_LIMIT),
    ctx.db
      .select({ id: refunds.id })
      .from(refunds)
      .where(and(eq(refunds.status, 'pending'), isNull(refunds.providerRefundId), lt(refunds.updatedAt, cutoff)))
      .limit(SWEEP_LIMIT),
  ]);
  const jobs: Job[] = [
    ...lost.map(({ id }) => ({ type: CANCELLATION_REFUND_JOB, payload: { appointmentId: id }, key: id })),
    ...unsent.map(({ id }) => refundExecuteJob(id)),
  ].slice(0, SWEEP_LIMIT);
  if (jobs.length) await ctx.ports.jobs.enqueue(jobs);
  return jobs.length;
}
