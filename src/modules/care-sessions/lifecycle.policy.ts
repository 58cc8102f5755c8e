import type { CareSessionAction, CareSessionStatus } from '../../db/schema';
import { MINUTE_MS } from '../../lib/time';
import { BILLING_BLOCK_MINUTES } from './care-sessions.schemas';

/**
 * The care session lifecycle, in one table. Booking creates a session (`requested`); every other status
 * change is one of these actions:
 *
 *   requested ─confirm─▶ confirmed ─check-in─▶ in-progress ─check-out─▶ completed (billed)
 *   requested ─decline─▶ declined
 *   requested | confirmed ─cancel─▶ cancelled
 *   confirmed ─no-show─▶ no-show (once the start time has passed)
 *
 * `by` names who may act, by their relation to the row: the `caregiver`, the `patient` side (the
 * patient, whoever booked, and family or carers linked to the patient) or `staff` (admins).
 */
export type CareRelation = 'caregiver' | 'patient' | 'staff';
export type CareTransitionAction = Exclude<CareSessionAction, 'book'>;

export interface CareTransition {
  from: readonly CareSessionStatus[];
  to: CareSessionStatus;
  by: readonly CareRelation[];
  /** The session's time claims: kept, or released (bookable again) in the same batch. */
  claims: 'keep' | 'release';
  /** Its reminders not sent yet: kept, or cancelled in the same batch. */
  reminders: 'keep' | 'cancel';
  /** When the action is allowed, relative to the session's start and end (epoch ms). */
  window?: (session: { startsAt: number; endsAt: number }) => { from: number; until: number };
  verb: string;
}

/** A caregiver may check in this long before the start (arriving early) until the planned end. */
export const CHECK_IN_EARLY_MINUTES = 30;

export const CARE_TRANSITIONS = {
  confirm: {
    from: ['requested'],
    to: 'confirmed',
    by: ['caregiver'],
    claims: 'keep',
    reminders: 'keep',
    verb: 'confirm',
  },
  decline: {
    from: ['requested'],
    to: 'declined',
    by: ['caregiver'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'decline',
  },
  cancel: {
    from: ['requested', 'confirmed'],
    to: 'cancelled',
    by: ['patient', 'caregiver', 'staff'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'cancel',
  },
  'check-in': {
    from: ['confirmed'],
    to: 'in-progress',
    by: ['caregiver'],
    claims: 'keep',
    reminders: 'cancel',
    window: (s) => ({ from: s.startsAt - CHECK_IN_EARLY_MINUTES * MINUTE_MS, until: s.endsAt }),
    verb: 'check in to',
  },
  'check-out': {
    from: ['in-progress'],
    to: 'completed',
    by: ['caregiver'],
    claims: 'release',
    reminders: 'cancel',
    verb: 'check out of',
  },
  'no-show': {
    from: ['confirmed'],
    to: 'no-show',
    by: ['caregiver'],
    claims: 'release',
    reminders: 'cancel',
    window: (s) => ({ from: s.startsAt, until: Number.POSITIVE_INFINITY }),
    verb: 'mark as no-show',
  },
} as const satisfies Record<CareTransitionAction, CareTransition>;

export type CareTransitionCheck =
  | { ok: true; to: CareSessionStatus }
  | { ok: false; code: 'FORBIDDEN' | 'INVALID_TRANSITION'; message: string };

const WHO: Record<CareRelation, string> = {
  caregiver: 'the caregiver',
  patient: 'the patient or their family',
  staff: 'staff',
};

/**
 * Whether `relation` may take `action` on a session in `status` at `now`: who first (FORBIDDEN), then
 * the status and the time window (INVALID_TRANSITION).
 * @example checkCareTransition('confirm', 'requested', 'caregiver', timing).ok // true
 */
export function checkCareTransition(
  action: CareTransitionAction,
  status: CareSessionStatus,
  relation: CareRelation,
  timing: { now: number; startsAt: number; endsAt: number },
): CareTransitionCheck {
  const rule: CareTransition = CARE_TRANSITIONS[action];
  if (!rule.by.includes(relation)) {
    const who = rule.by.map((r) => WHO[r]).join(' or ');
    return { ok: false, code: 'FORBIDDEN', message: `Only ${who} can ${rule.verb} a care session` };
  }
  if (!rule.from.includes(status)) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `Cannot ${rule.verb} this care session: it is ${status} (${action} is allowed only when ${rule.from.join(' or ')})`,
    };
  }
  const window = rule.window?.(timing);
  if (window && (timing.now < window.from || timing.now > window.until)) {
    const when =
      timing.now < window.from
        ? `before ${new Date(window.from).toISOString()}`
        : `after ${new Date(window.until).toISOString()}`;
    return { ok: false, code: 'INVALID_TRANSITION', message: `Cannot ${rule.verb} this care session ${when}` };
  }
  return { ok: true, to: rule.to };
}

/**
 * The bill of a session checked in at `checkedInAt` and out at `checkedOutAt`: the actual whole
 * minutes (rounded up), billed in started blocks of BILLING_BLOCK_MINUTES (at least one), times the
 * hourly rate, rounded half up to the currency's minor unit.
 * @example careBill(2500, 0, 127 * 60_000) // { actualMinutes: 127, billedMinutes: 135, amountCents: 5625 }
 */
export function careBill(hourlyRateCents: number, checkedInAt: number, checkedOutAt: number) {
  const actualMinutes = Math.max(1, Math.ceil((checkedOutAt - checkedInAt) / MINUTE_MS));
  const billedMinutes = Math.ceil(actualMinutes / BILLING_BLOCK_MINUTES) * BILLING_BLOCK_MINUTES;
  const amountCents = Math.round((hourlyRateCents * billedMinutes) / 60);
  return { actualMinutes, billedMinutes, amountCents };
}
