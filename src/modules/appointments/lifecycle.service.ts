import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type AppointmentRow, appointments } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { announceTimeFreed } from '../availability/time-freed';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import {
  type AppointmentDetail,
  type AppointmentView,
  appointmentDetails,
  detailView,
  eventGuardTripped,
  guardedEventStatement,
  needsRebooking,
  notifyParties,
  type Relation,
  seenBy,
} from './appointment-access';
import { sequenceQuery } from './appointment-notices';
import { cancelAppointmentReminders } from './appointment-reminders';
import { type ClaimSpan, claimStatements, releaseClaims, runClaimingBatch } from './claims';
import { checkTransition, TRANSITIONS, type TransitionAction } from './lifecycle.policy';
import { awaitsPayment, CANCELLATION_REFUND_JOB, cancellationRefundChanges } from './payment-state';
import { refundCents, refundFor, sortedTiers } from './refund.policy';

type Statements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

const spanOf = (row: AppointmentRow): ClaimSpan => ({
  doctorId: row.doctorId,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  bufferMinutes: row.bufferMinutes,
});

/**
 * The appointment of `id` with the names its view shows, and the settings when `withSettings`, in one
 * round trip; the caller's relation to it.
 * @throws AppError NOT_FOUND (missing or not the caller's)
 */
async function readAppointment(ctx: ServiceContext, id: string, withSettings: boolean, extra?: BatchItem<'sqlite'>) {
  const { rows, settings, sequence, added } = await batchOf(ctx.db, {
    rows: appointmentDetails(ctx).where(eq(appointments.id, id)),
    settings: withSettings ? settingsQuery(ctx) : undefined,
    // The calendar SEQUENCE before the change, for the notice's .ics.
    sequence: sequenceQuery(ctx, id),
    added: extra,
  });
  primeSettings(ctx, settings);
  return { ...seenBy(ctx, rows[0]), sequence: Number(sequence[0]?.n ?? 0), added: added as unknown };
}

/**
 * What a module composing a transition adds to it (a prescription carried by `complete`): a read for
 * the transition's read batch, and statements for its write batch built from the appointment and that
 * read, placed after the history event, so they roll back with the transition when it loses a race.
 */
export interface TransitionAddOn {
  read?: BatchItem<'sqlite'>;
  statements: (row: AppointmentDetail, read: unknown) => BatchItem<'sqlite'>[];
}

/** Actions after which a video visit's room closes. */
const ROOM_CLOSING: readonly TransitionAction[] = ['cancel', 'reject', 'complete', 'no-show'];

/**
 * The refund due for a cancellation by `relation` now (settings already read): the cancellation
 * policy's, except for an appointment waiting to be rebooked, whose time the doctor's schedule took:
 * cancelling it refunds everything, whoever cancels and however late.
 */
async function refundNow(ctx: ServiceContext, row: AppointmentRow, relation: Relation, now: number) {
  const policy = await getSetting(ctx, 'appointments.cancellationPolicy');
  const refund = needsRebooking(row)
    ? { percent: 100, amountCents: refundCents(row.priceCents, 100) }
    : refundFor(policy, {
        startsAt: row.startsAt,
        cancelledAt: now,
        priceCents: row.priceCents,
        cancelledBy: relation,
      });
  return { policy, refund };
}

/**
 * Moves an appointment the caller can see through one lifecycle action (see TRANSITIONS), in two round
 * trips: one read (the row with its names, and the settings for a cancellation), then one D1 batch:
 * the UPDATE conditional on the status read, its history event (which rolls the batch back if another
 * request changed the status first), the claims change of the action, the removal of the reminders not
 * sent yet when the action ends or starts the visit, and an audit event. A cancellation
 * also stores the refund due by 'appointments.cancellationPolicy' (in full for an appointment waiting to
 * be rebooked, which it also takes off the rebooking list).
 * @throws AppError NOT_FOUND (not the caller's), FORBIDDEN (their relation may not take this action),
 *   INVALID_TRANSITION (not from this status, no-show before the start, or lost a race),
 *   SLOT_UNAVAILABLE (confirm: another booking or hold took part of the time)
 */
export async function transitionAppointment(
  ctx: AuthedContext,
  id: string,
  action: TransitionAction,
  input: { reason?: string },
  addOn?: TransitionAddOn,
): Promise<AppointmentView> {
  const { row, relation, sequence, added } = await readAppointment(ctx, id, action === 'cancel', addOn?.read);
  const now = ctx.clock.now().getTime();
  const check = checkTransition(action, row.status, relation, { now, startsAt: row.startsAt });
  if (!check.ok) throw new AppError(check.code, check.message, { details: { action, status: row.status } });
  if (action === 'confirm' && awaitsPayment(row)) {
    throw new AppError('PAYMENT_REQUIRED', 'This appointment is confirmed once its fee is paid (pay at booking)', {
      details: {
        paymentStatus: row.paymentStatus,
        paymentDueAt: row.paymentDueAt && new Date(row.paymentDueAt).toISOString(),
      },
    });
  }

  const reason = input.reason ?? null;
  const changes: Partial<AppointmentRow> = { status: check.to, updatedAt: now };
  let data: Record<string, unknown> | null = null;
  if (action === 'cancel') {
    const { refund } = await refundNow(ctx, row, relation, now);
    Object.assign(changes, {
      refundPercent: refund.percent,
      refundDueCents: refund.amountCents,
      cancelledBy: ctx.actor.id,
      cancellationReason: reason,
      cancelledAt: now,
      needsRebooking: false,
      paymentDueAt: null,
      ...cancellationRefundChanges(row, refund.amountCents),
    });
    data = {
      refund: { ...refund, currency: row.currency },
      cancelledBy: relation,
      ...(needsRebooking(row) ? { fullRefund: 'needs-rebooking' } : {}),
    };
  }

  const span = spanOf(row);
  const claims = TRANSITIONS[action].claims;
  const statements: Statements = [
    ctx.db
      .update(appointments)
      .set(changes)
      .where(and(eq(appointments.id, id), eq(appointments.status, row.status))),
    guardedEventStatement(ctx, { appointmentId: id, action, fromStatus: row.status, toStatus: check.to, reason, data }),
    ...(addOn ? addOn.statements(row, added) : []),
    ...(claims === 'reassert'
      ? claimStatements(ctx, span, { type: 'appointment', id, expiresAt: null }, { release: [id] })
      : claims === 'release'
        ? [releaseClaims(ctx, [id])]
        : []),
    ...(TRANSITIONS[action].reminders === 'cancel' ? [cancelAppointmentReminders(ctx, id)] : []),
    auditInsert(ctx, {
      action: `appointment.${action}`,
      resourceType: 'appointment',
      resourceId: id,
      patientId: row.patientId,
      reason,
      metadata: { fromStatus: row.status, toStatus: check.to, ...(data ?? {}) },
    }),
  ];
  try {
    if (claims === 'reassert') await runClaimingBatch(ctx, span, statements, { ignore: [id] });
    else await ctx.db.batch(statements);
  } catch (err) {
    if (!eventGuardTripped(err)) throw err;
    throw await lostRace(ctx, id, action);
  }
  const view = detailView(row, changes);
  if (claims === 'release') announceTimeFreed(ctx, row.doctorId);
  if (changes.refundStatus === 'pending') {
    // The refund leaves the request's path: the payments consumer asks the provider (idempotent on the
    // appointment); a lost enqueue is picked up by the cron's sweep of pending cancellation refunds.
    ctx.defer(ctx.ports.jobs.enqueue([{ type: CANCELLATION_REFUND_JOB, payload: { appointmentId: id }, key: id }]));
  }
  if (row.type === 'video' && ROOM_CLOSING.includes(action)) {
    // Whoever is in the visit's room is told and disconnected (a no-op when the room ended it itself).
    ctx.defer(ctx.ports.realtime.closeRoom(id, check.to));
  }
  // The change added one event: the calendar SEQUENCE after it.
  notifyParties(ctx, action, view, { sequence: sequence + 1 });
  return view;
}

/** The 409 for a transition whose status another request changed between our read and our write. */
async function lostRace(ctx: ServiceContext, id: string, action: TransitionAction): Promise<AppError> {
  const current = await ctx.db
    .select({ status: appointments.status })
    .from(appointments)
    .where(eq(appointments.id, id))
    .get();
  const status = current?.status ?? 'unknown';
  return new AppError(
    'INVALID_TRANSITION',
    `Cannot ${TRANSITIONS[action].verb} this appointment: another request changed it first (it is now ${status})`,
    { details: { action, status } },
  );
}

/**
 * What the caller would get by cancelling now: whether they may, the refund (by the cancellation
 * policy for the patient, 100 % for the doctor or staff) and the policy's tiers. One round trip: the
 * row and the settings are read together.
 * @throws AppError NOT_FOUND (not the caller's)
 */
export async function cancellationQuote(ctx: ServiceContext, id: string) {
  const { row, relation } = await readAppointment(ctx, id, true);
  const now = ctx.clock.now().getTime();
  const { policy, refund: due } = await refundNow(ctx, row, relation, now);
  const check = checkTransition('cancel', row.status, relation, { now, startsAt: row.startsAt });
  const refund = check.ok ? due : { percent: 0, amountCents: 0 };
  return {
    cancellable: check.ok,
    reason: check.ok ? null : check.message,
    refund: { ...refund, currency: row.currency },
    policy: sortedTiers(policy),
  };
}
