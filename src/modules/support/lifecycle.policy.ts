import type { SupportStatus } from '../../db/schema';
import { DAY_MS } from '../../lib/time';

/**
 * The support ticket lifecycle, in one table. Opening creates a ticket (`open`); every other status
 * change is one of these actions:
 *
 *   open ─start─▶ in-progress ─resolve─▶ resolved ─close─▶ closed (final)
 *   open ─resolve─▶ resolved;  open | in-progress ─close─▶ closed
 *   resolved ─reopen─▶ open (the owner, within `support.reopenDays` of the resolution)
 *
 * `by` names who may act: the ticket's `owner` or `staff` (support agents and superadmins).
 */
export type SupportRelation = 'owner' | 'staff';
export type SupportAction = 'start' | 'resolve' | 'close' | 'reopen';

export interface SupportTransition {
  from: readonly SupportStatus[];
  to: SupportStatus;
  by: readonly SupportRelation[];
  /** Only within this many days of `resolvedAt` (the `support.reopenDays` setting). */
  windowed?: true;
  verb: string;
}

export const SUPPORT_TRANSITIONS = {
  start: { from: ['open'], to: 'in-progress', by: ['staff'], verb: 'start work on' },
  resolve: { from: ['open', 'in-progress'], to: 'resolved', by: ['staff'], verb: 'resolve' },
  close: { from: ['open', 'in-progress', 'resolved'], to: 'closed', by: ['staff'], verb: 'close' },
  reopen: { from: ['resolved'], to: 'open', by: ['owner'], windowed: true, verb: 'reopen' },
} as const satisfies Record<SupportAction, SupportTransition>;

/** The staff action that leads to a status (the body of the staff status change). */
export const ACTION_TO: Record<Exclude<SupportStatus, 'open'>, SupportAction> = {
  'in-progress': 'start',
  resolved: 'resolve',
  closed: 'close',
};

/** Statuses in which the thread still takes messages from the owner (a resolved ticket is reopened first). */
export const OWNER_WRITABLE: readonly SupportStatus[] = ['open', 'in-progress'];

export type SupportTransitionCheck =
  | { ok: true; to: SupportStatus }
  | { ok: false; code: 'FORBIDDEN' | 'INVALID_TRANSITION'; message: string };

/**
 * Whether `relation` may take `action` on a ticket in `status` at `now`: who first (FORBIDDEN), then
 * the status and, for a reopen, the window since the resolution (INVALID_TRANSITION).
 * @example checkSupportTransition('reopen', 'resolved', 'owner', { now, resolvedAt, reopenDays: 7 }).ok
 */
export function checkSupportTransition(
  action: SupportAction,
  status: SupportStatus,
  relation: SupportRelation,
  timing: { now: number; resolvedAt: number | null; reopenDays: number },
): SupportTransitionCheck {
  const rule: SupportTransition = SUPPORT_TRANSITIONS[action];
  if (!rule.by.includes(relation)) {
    const who = rule.by.map((r) => (r === 'owner' ? "the ticket's owner" : 'support staff')).join(' or ');
    return { ok: false, code: 'FORBIDDEN', message: `Only ${who} can ${rule.verb} a ticket` };
  }
  if (!rule.from.includes(status)) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `Cannot ${rule.verb} this ticket: it is ${status} (${action} is allowed only when ${rule.from.join(' or ')})`,
    };
  }
  if (rule.windowed) {
    const until = (timing.resolvedAt ?? 0) + timing.reopenDays * DAY_MS;
    if (timing.now > until) {
      return {
        ok: false,
        code: 'INVALID_TRANSITION',
        message: `Cannot ${rule.verb} this ticket after ${new Date(until).toISOString()} (${timing.reopenDays} days after it was resolved)`,
      };
    }
  }
  return { ok: true, to: rule.to };
}

/** When the owner may no longer reopen a resolved ticket (null unless resolved). */
export function reopenableUntil(status: SupportStatus, resolvedAt: number | null, reopenDays: number): number | null {
  return status === 'resolved' && resolvedAt !== null ? resolvedAt + reopenDays * DAY_MS : null;
}
