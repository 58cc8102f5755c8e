import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { type RefundRow, refunds } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { paymentQuery, type RefundView, seenPayment, toRefundView } from './payment-access';
import type { RefundListInput } from './refunds.schemas';
import { committedCents, guardedRefundInsert, newRefundRow, readRefund, refundExecuteJob } from './refunds.service';

/**
 * Admin refunds: full or partial, with a reason, and the second admin's approval above the setting
 * 'payments.refundApprovalCents'. Each request is one read batch and one write batch (the refund with
 * its audit row); the provider is asked by the REFUND_EXECUTE_JOB consumer after the response, so a
 * request never waits on the provider and an outage is retried by the queue (the cron's sweep picks up
 * a lost enqueue). The answer shows the refund `pending` (or `awaiting-approval`).
 */

/**
 * Refunds `amountCents` of payment `paymentId` for `reason`. At or below 'payments.refundApprovalCents'
 * the refund is `pending` and goes to the provider from the queue; above it, it is `awaiting-approval`
 * and nothing is sent until a second admin approves. Audited (`payment.refund.request`).
 * @throws AppError NOT_FOUND (no such payment), INVALID_TRANSITION (the payment is not `paid`),
 *   VALIDATION_FAILED (more than is paid and not yet refunded or refunding), CONFLICT (another refund
 *   took part of that amount meanwhile)
 */
export async function requestRefund(
  ctx: AuthedContext,
  paymentId: string,
  input: { amountCents: number; reason: string },
): Promise<RefundView> {
  const { paid, siblings, settings } = await batchOf(ctx.db, {
    paid: paymentQuery(ctx, paymentId),
    siblings: ctx.db.select().from(refunds).where(eq(refunds.paymentId, paymentId)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const payment = seenPayment(ctx, paid[0]);
  if (payment.status !== 'paid') {
    throw new AppError('INVALID_TRANSITION', `Only a paid payment can be refunded; this one is ${payment.status}`, {
      details: { status: payment.status },
    });
  }
  const refundableCents = payment.amountCents - committedCents(siblings);
  if (input.amountCents > refundableCents) {
    throw new AppError('VALIDATION_FAILED', 'The refund is more than is left to refund', {
      fields: [
        {
          field: 'amountCents',
          message: `At most ${refundableCents} can be refunded (paid ${payment.amountCents}, refunded or refunding ${payment.amountCents - refundableCents})`,
        },
      ],
      details: { refundableCents },
    });
  }
  const threshold = await getSetting(ctx, 'payments.refundApprovalCents');
  const id = ctx.ids.id('rfd');
  const row = newRefundRow(ctx, {
    id,
    paymentId: payment.id,
    key: `admin:${id}`,
    amountCents: input.amountCents,
    currency: payment.currency,
    source: 'admin',
    status: input.amountCents > threshold ? 'awaiting-approval' : 'pending',
    reason: input.reason,
    requestedBy: ctx.actor.id,
  });
  try {
    await ctx.db.batch([
      guardedRefundInsert(ctx, row),
      auditInsert(
        ctx,
        {
          action: 'payment.refund.request',
          resourceType: 'refund',
          resourceId: id,
          patientId: payment.payerId,
          reason: input.reason,
          metadata: {
            paymentId: payment.id,
            amountCents: row.amountCents,
            currency: row.currency,
            status: row.status,
            approvalThresholdCents: threshold,
          },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (!auditGuardTripped(err)) throw err;
    throw new AppError('CONFLICT', 'The payment changed meanwhile (another refund was made); reload it', {
      details: { paymentId: payment.id },
    });
  }
  if (row.status === 'pending') ctx.defer(ctx.ports.jobs.enqueue([refundExecuteJob(id)]));
  return toRefundView(row);
}

/**
 * A refund awaiting approval, for a second admin's decision.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not awaiting approval), FORBIDDEN (the caller asked for it)
 */
async function awaitingDecision(ctx: AuthedContext, refundId: string) {
  const { refund, payment } = await readRefund(ctx, refundId);
  if (!refund || !payment) throw notFound('Refund');
  seenPayment(ctx, payment);
  if (refund.status !== 'awaiting-approval') {
    throw new AppError(
      'INVALID_TRANSITION',
      `Only a refund awaiting approval can be decided; this one is ${refund.status}`,
      {
        details: { status: refund.status },
      },
    );
  }
  if (refund.requestedBy === ctx.actor.id) {
    throw new AppError(
      'FORBIDDEN',
      'A refund above the approval amount needs a second admin: its requester cannot decide it',
    );
  }
  return { refund, payment };
}

/**
 * Writes a second admin's decision on an awaiting refund, with its audit row, only if it is still
 * awaiting approval when the batch runs.
 * @throws AppError INVALID_TRANSITION (another admin decided first)
 */
async function decide(
  ctx: AuthedContext,
  refund: RefundRow,
  patientId: string,
  changes: Pick<RefundRow, 'status' | 'approvedBy' | 'failureReason'>,
  reason: string | null,
): Promise<RefundRow> {
  const now = ctx.clock.now().getTime();
  const decided: RefundRow = { ...refund, ...changes, decidedAt: now, updatedAt: now };
  try {
    await ctx.db.batch([
      ctx.db
        .update(refunds)
        .set({ ...changes, decidedAt: now, updatedAt: now })
        .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'awaiting-approval'))),
      auditInsert(
        ctx,
        {
          action: changes.status === 'pending' ? 'payment.refund.approve' : 'payment.refund.reject',
          resourceType: 'refund',
          resourceId: refund.id,
          patientId,
          reason,
          metadata: {
            paymentId: refund.paymentId,
            amountCents: refund.amountCents,
            currency: refund.currency,
            requestedBy: refund.requestedBy,
          },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (!auditGuardTripped(err)) throw err;
    throw new AppError('INVALID_TRANSITION', 'Another admin decided this refund first; reload it', {
      details: { status: 'changed' },
    });
  }
  return decided;
}

/**
 * A second admin approves a refund awaiting approval: it becomes `pending` and goes to the provider
 * from the queue. Audited (`payment.refund.approve`).
 * @throws AppError NOT_FOUND, FORBIDDEN (the requester), INVALID_TRANSITION (not awaiting approval)
 */
export async function approveRefund(ctx: AuthedContext, refundId: string, input: { reason?: string }) {
  const { refund, payment } = await awaitingDecision(ctx, refundId);
  const decided = await decide(
    ctx,
    refund,
    payment.payerId,
    { status: 'pending', approvedBy: ctx.actor.id, failureReason: null },
    input.reason ?? null,
  );
  ctx.defer(ctx.ports.jobs.enqueue([refundExecuteJob(refund.id)]));
  return toRefundView(decided);
}

/**
 * A second admin rejects a refund awaiting approval: it becomes `rejected` (its amount is free to
 * refund again) and nothing is sent; the reason, if given, is kept as its `failureReason`. Audited
 * (`payment.refund.reject`, naming who rejected).
 * @throws AppError NOT_FOUND, FORBIDDEN (the requester), INVALID_TRANSITION (not awaiting approval)
 */
export async function rejectRefund(ctx: AuthedContext, refundId: string, input: { reason?: string }) {
  const { refund, payment } = await awaitingDecision(ctx, refundId);
  const reason = input.reason ?? null;
  const decided = await decide(
    ctx,
    refund,
    payment.payerId,
    { status: 'rejected', approvedBy: null, failureReason: reason ? `Rejected: ${reason}` : 'Rejected' },
    reason,
  );
  return toRefundView(decided);
}

/** Refunds newest first, by status and payment: e.g. `status=awaiting-approval` for the approval queue. */
export async function listRefunds(ctx: ServiceContext, query: RefundListInput) {
  const filters: SQL[] = [];
  if (query.status) filters.push(eq(refunds.status, query.status));
  if (query.paymentId) filters.push(eq(refunds.paymentId, query.paymentId));
  return paginate(ctx.db, refunds, {
    where: filters.length ? and(...filters) : undefined,
    orderBy: [desc(refunds.createdAt), desc(refunds.id)],
    page: query.page,
    limit: query.limit,
    map: toRefundView,
  });
}
