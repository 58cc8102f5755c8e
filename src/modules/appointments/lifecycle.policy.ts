import type { AppointmentAction, AppointmentStatus } from '../../db/schema';
import type { Relation } from './appointment-access';

/**
 * The appointment lifecycle, in one table. Booking, rescheduling and rebooking create or move an
 * appointment and live elsewhere, and a schedule change marking it for rebooking (or clearing that)
 * keeps its status; every other status change is one of these actions:
 *
 *   pending ─confirm─▶ confirmed ─start─▶ in-progress ─complete─▶ completed
 *   pending ─reject─▶ rejected
 *   pending | confirmed ─cancel─▶ cancelled
 *   confirmed | in-progress ─no-show─▶ no-show (once the start time has passed)
 *
 * `by` names who may act, by their relation to the row: its patient, its doctor, or front-desk staff.
 */
export type TransitionAction = Exclude<
  AppointmentAction,
  'book' | 'reschedule' | 'rebook' | 'needs-rebooking' | 'rebooking-cleared' | 'paid' | 'payment-expired'
>;

export interface Transition {
  from: readonly AppointmentStatus[];
  to: AppointmentStatus;
  by: readonly Relation[];
  /**
   * What happens to the appointment's slot claims in the same batch: `reassert` deletes and inserts them
   * again (the booking conflict guard: fails with SLOT_UNAVAILABLE if anything else took a unit),
   * `keep` leaves them, `release` frees the time for booking at once.
   */
  claims: 'reassert' | 'keep' | 'release';
  /**
   * What happens to the appointment's reminders not sent yet, in the same batch: `keep` them, or
   * `cancel` them (the visit will not happen, or it has begun: a "starts in one hour" would be wrong).
   */
  reminders: 'keep' | 'cancel';
  /** The action only makes sense once the appointment's start time has passed. */
  notBeforeStart?: true;
  /** The action in a sentence: "Cannot <verb> this appointment". */
  verb: string;
}

export const TRANSITIONS = {
  confirm: {
    from: ['pending'],
    to: 'confirmed',
    by: ['doctor', 'staff'],
    claims: 'reassert',
    reminders: 'keep',
    verb: 'confirm',
  },
  reject: {
    from: ['pending'],
    to: 'rejected',
    by: ['doctor', 'staff'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'reject',
  },
  cancel: {
    from: ['pending', 'confirmed'],
    to: 'cancelled',
    by: ['patient', 'doctor', 'staff'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'cancel',
  },
  start: { from: ['confirmed'], to: 'in-progress', by: ['doctor'], claims: 'keep', reminders: 'cancel', verb: 'start' },
  complete: {
    from: ['in-progress'],
    to: 'completed',
    by: ['doctor'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'complete',
  },
  'no-show': {
    from: ['confirmed', 'in-progress'],
    to: 'no-show',
    by: ['doctor'],
    claims: 'release',
    reminders: 'cancel',
    notBeforeStart: true,
    verb: 'mark as no-show',
  },
} as const satisfies Record<TransitionAction, Transition>;

/** The outcome of `checkTransition`: the status to move to, or why not (with the error code to answer). */
export type TransitionCheck =
  | { ok: true; to: AppointmentStatus }
  | { ok: false; code: 'FORBIDDEN' | 'INVALID_TRANSITION'; message: string };

const WHO: Record<Relation, string> = { patient: 'the patient', doctor: 'the doctor', staff: 'staff' };

/**
 * Whether `relation` may take `action` on an appointment in `status`. Who is checked before the status,
 * so a caller who may never take the action learns that (FORBIDDEN) rather than the row's state. With
 * `timing`, time rules apply too (no-show only once the start time has passed).
 * @example checkTransition('confirm', 'pending', 'doctor') // { ok: true, to: 'confirmed' }
 * @example checkTransition('complete', 'pending', 'doctor').ok // false (INVALID_TRANSITION)
 */
export function checkTransition(
  action: TransitionAction,
  status: AppointmentStatus,
  relation: Relation,
  timing?: { now: number; startsAt: number },
): TransitionCheck {
  const rule: Transition = TRANSITIONS[action];
  if (!rule.by.includes(relation)) {
    const who = rule.by.map((r) => WHO[r]).join(' or ');
    return { ok: false, code: 'FORBIDDEN', message: `Only ${who} can ${rule.verb} an appointment` };
  }
  if (!rule.from.includes(status)) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `Cannot ${rule.verb} this appointment: it is ${status} (${action} is allowed only when ${rule.from.join(' or ')})`,
    };
  }
  if (rule.notBeforeStart && timing && timing.now < timing.startsAt) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `Cannot ${rule.verb} this appointment before it starts at ${new Date(timing.startsAt).toISOString()}`,
    };
  }
  return { ok: true, to: rule.to };
}
