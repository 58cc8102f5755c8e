import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import {
  type AppointmentPaymentStatus,
  type AppointmentRefundStatus,
  type AppointmentRow,
  appointmentEvents,
  appointments,
  type DoctorServiceRow,
  type PaymentTiming,
  slotClaims,
} from '../../db/schema';
import { qualified, selectedRow } from '../../db/sql';
import { MINUTE_MS } from '../../lib/time';
import { getSetting } from '../settings/settings.service';
import { cancelAppointmentRemindersWhere } from './appointment-reminders';

/**
 * An appointment's fee as appointments see it. The payments module owns the money (payments, refunds,
 * provider events) and reports here through these statements, in its own batches: paid (which confirms
 * a pay-at-booking appointment), processing, failed, the refund's state; and the release of a
 * pay-at-booking appointment left unpaid. Appointments never read the payments tables.
 */

/** Who the history shows for changes the payment provider caused. */
const SYSTEM_ACTOR = { id: 'system', role: 'system' } as const;

/** The fee terms a new booking gets: free, or unpaid with its timing (and, at booking, the deadline). */
export interface PaymentTerms {
  paymentTiming: PaymentTiming | null;
  paymentStatus: AppointmentPaymentStatus;
  paymentDueAt: number | null;
}

/**
 * The fee terms of a booking of `service` with `status`, made `now`: nothing to pay for a free
 * service; else the service's timing or the setting 'payments.timing'. A booking the practice makes
 * confirmed is pay-later (they confirmed it already). Pay-at-booking gives the patient
 * 'payments.checkoutMinutes' to pay. Reads the settings (primed by the caller's read batch).
 */
export async function paymentTermsFor(
  ctx: ServiceContext,
  service: Pick<DoctorServiceRow, 'priceCents' | 'paymentTiming'>,
  status: AppointmentRow['status'],
  now: number,
): Promise<PaymentTerms> {
  if (service.priceCents <= 0) return { paymentTiming: null, paymentStatus: 'free', paymentDueAt: null };
  const timing: PaymentTiming =
    status === 'pending' ? (service.paymentTiming ?? (await getSetting(ctx, 'payments.timing'))) : 'later';
  const dueAt = timing === 'at-booking' ? now + (await getSetting(ctx, 'payments.checkoutMinutes')) * MINUTE_MS : null;
  return { paymentTiming: timing, paymentStatus: 'unpaid', paymentDueAt: dueAt };
}

/** Whether staff may not confirm yet: a pay-at-booking appointment whose fee has not arrived. */
export function awaitsPayment(row: Pick<AppointmentRow, 'paymentTiming' | 'paymentStatus'>): boolean {
  return row.paymentTiming === 'at-booking' && row.paymentStatus !== 'paid' && row.paymentStatus !== 'free';
}

/** A history row written by INSERT … SELECT only when the statement before it changed one row. */
function systemEventIfChanged(
  ctx: ServiceContext,
  event: {
    appointmentId: string;
    action: 'paid' | 'payment-expired';
    fromStatus: AppointmentRow['status'];
    data: Record<string, unknown>;
  },
  toStatus: ReturnType<typeof sql>,
) {
  const now = ctx.clock.now().getTime();
  return ctx.db.insert(appointmentEvents).select(
    sql`select ${selectedRow(appointmentEvents, {
      id: ctx.ids.id('aev'),
      appointmentId: event.appointmentId,
      action: event.action,
      fromStatus: event.fromStatus,
      toStatus,
      actorId: SYSTEM_ACTOR.id,
      actorRole: SYSTEM_ACTOR.role,
      reason: null,
      data: event.data,
      at: now,
    })} from ${appointments} where ${qualified(appointments.id)} = ${event.appointmentId} and changes() = 1`,
  );
}

/**
 * Records that the fee arrived: `paid` (once: a second report changes nothing), and a pending
 * pay-at-booking appointment becomes confirmed ("approval after payment"), with a `paid` history event
 * written only by the report that changed it. `fromStatus` is the status the caller read.
 */
export function appointmentPaidStatements(
  ctx: ServiceContext,
  input: { appointmentId: string; fromStatus: AppointmentRow['status']; paymentId: string; paidAt: number },
): BatchItem<'sqlite'>[] {
  const confirms = sql`(${qualified(appointments.status)} = 'pending' and ${qualified(appointments.paymentTiming)} = 'at-booking')`;
  return [
    ctx.db
      .update(appointments)
      .set({
        paymentStatus: 'paid',
        paidAt: input.paidAt,
        paymentDueAt: null,
        status: sql`case when ${confirms} then 'confirmed' else ${qualified(appointments.status)} end`,
        updatedAt: ctx.clock.now().getTime(),
      })
      .where(and(eq(appointments.id, input.appointmentId), sql`${qualified(appointments.paymentStatus)} <> 'paid'`)),
    systemEventIfChanged(
      ctx,
      {
        appointmentId: input.appointmentId,
        action: 'paid',
        fromStatus: input.fromStatus,
        data: { paymentId: input.paymentId },
      },
      sql`${qualified(appointments.status)}`,
    ),
  ];
}

/** Records a delayed method's progress (`processing`) or failure (`failed`); never moves a paid fee back. */
export function appointmentPaymentStatusStatement(
  ctx: ServiceContext,
  appointmentId: string,
  status: Extract<AppointmentPaymentStatus, 'processing' | 'failed'>,
) {
  return ctx.db
    .update(appointments)
    .set({ paymentStatus: status, updatedAt: ctx.clock.now().getTime() })
    .where(and(eq(appointments.id, appointmentId), sql`${qualified(appointments.paymentStatus)} <> 'paid'`));
}

/** Records the state of the money going back: the total refunded or refunding, and when it succeeded. */
export function appointmentRefundStatement(
  ctx: ServiceContext,
  appointmentId: string,
  refund: { status: AppointmentRefundStatus; amountCents: number; refundedAt: number | null },
) {
  return ctx.db
    .update(appointments)
    .set({
      refundStatus: refund.status,
      refundCents: refund.amountCents,
      refundedAt: refund.refundedAt,
      updatedAt: ctx.clock.now().getTime(),
    })
    .where(eq(appointments.id, appointmentId));
}

/** The condition of a pay-at-booking appointment still waiting for its fee. */
const unpaidAtBooking = and(
  eq(appointments.status, 'pending'),
  eq(appointments.paymentTiming, 'at-booking'),
  inArray(appointments.paymentStatus, ['unpaid', 'failed']),
);

/**
 * Releases a pay-at-booking appointment whose checkout expired unpaid: cancelled (no refund: nothing
 * was paid), its time freed at once and its reminders removed, with a `payment-expired` history event.
 * Every statement is conditional on the appointment still waiting for its fee, so a payment that won a
 * race keeps its appointment, and a second report changes nothing.
 */
export function releaseUnpaidStatements(
  ctx: ServiceContext,
  appointmentId: string,
  reason: string,
): BatchItem<'sqlite'>[] {
  const now = ctx.clock.now().getTime();
  const released = and(
    eq(appointments.id, appointmentId),
    eq(appointments.status, 'cancelled'),
    eq(appointments.cancelledBy, SYSTEM_ACTOR.id),
  );
  return [
    ctx.db
      .update(appointments)
      .set({
        status: 'cancelled',
        cancelledAt: now,
        cancelledBy: SYSTEM_ACTOR.id,
        cancellationReason: reason,
        refundPercent: 0,
        refundDueCents: 0,
        paymentDueAt: null,
        updatedAt: now,
      })
      .where(and(eq(appointments.id, appointmentId), unpaidAtBooking)),
    systemEventIfChanged(
      ctx,
      { appointmentId, action: 'payment-expired', fromStatus: 'pending', data: { reason } },
      sql`'cancelled'`,
    ),
    ctx.db
      .delete(slotClaims)
      .where(and(eq(slotClaims.ownerId, appointmentId), sql`exists (select 1 from ${appointments} where ${released})`)),
    cancelAppointmentRemindersWhere(ctx, released),
  ];
}

/** How long after its deadline the cron releases an unpaid appointment: Stripe's expiry event goes first. */
export const RELEASE_GRACE_MS = 5 * MINUTE_MS;

/**
 * Cron: releases pay-at-booking appointments left unpaid past their deadline (plus a grace period for
 * the provider's own expiry event), up to 100 a run, in one batch. Returns how many were released.
 */
export async function releaseOverdueUnpaid(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const due = await ctx.db
    .select({ id: appointments.id })
    .from(appointments)
    .where(and(lt(appointments.paymentDueAt, now - RELEASE_GRACE_MS), unpaidAtBooking))
    .limit(100);
  if (!due.length) return 0;
  const statements = due.flatMap((row) => releaseUnpaidStatements(ctx, row.id, 'Payment not received in time')) as [
    BatchItem<'sqlite'>,
    ...BatchItem<'sqlite'>[],
  ];
  await ctx.db.batch(statements);
  return due.length;
}

/**
 * The job that executes a cancellation's refund (consumed by the payments module): enqueued after a
 * paid appointment is cancelled, keyed by the appointment, and idempotent on it.
 */
export const CANCELLATION_REFUND_JOB = 'payments.cancellation-refund';

/** What a cancellation does to a paid fee: the refund due becomes `pending` until the provider answers. */
export function cancellationRefundChanges(
  row: Pick<AppointmentRow, 'paymentStatus'>,
  dueCents: number,
): Pick<AppointmentRow, 'refundStatus' | 'refundCents'> | null {
  return row.paymentStatus === 'paid' && dueCents > 0 ? { refundStatus: 'pending', refundCents: dueCents } : null;
}

/** Moves a pay-at-booking appointment's deadline to its checkout session's expiry (a later attempt). */
export function paymentDueStatement(ctx: ServiceContext, appointmentId: string, dueAt: number) {
  return ctx.db
    .update(appointments)
    .set({ paymentDueAt: dueAt })
    .where(and(eq(appointments.id, appointmentId), unpaidAtBooking));
}
