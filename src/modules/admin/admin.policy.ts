import { PROFESSIONAL_ROLES, type Role, type UserStatus } from '../../db/schema';

/**
 * Pure rules of the back office: who may act on whom, and which status changes are allowed. No I/O;
 * the service reads the rows, asks these functions, and only then writes.
 */

/** What an admin can do to an account. */
export type AdminAction = 'activate' | 'deactivate' | 'block' | 'unblock' | 'verify' | 'subRoles' | 'logout' | 'delete';

export type StatusAction = 'activate' | 'deactivate' | 'block' | 'unblock';

/** Roles an admin may create through POST /admin/users (never superadmins or patients). */
export const CREATABLE_ROLES = ['doctor', 'receptionist', 'caregiver', 'admin'] as const;
export type CreatableRole = (typeof CREATABLE_ROLES)[number];

export interface Party {
  id: string;
  role: Role;
}

export interface Target extends Party {
  status: UserStatus;
  verifiedAt: number | null;
}

export type RefusalCode = 'FORBIDDEN' | 'INVALID_TRANSITION' | 'CONFLICT';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

const refuse = (code: RefusalCode, message: string): Refusal => ({ code, message });

/** Actions that take an account out of service: never allowed on the last active superadmin. */
const REMOVING: readonly AdminAction[] = ['deactivate', 'block', 'delete'];

/**
 * Whether `actor` may perform `action` on `target` at all (before looking at the target's state).
 * - nobody acts on their own account through the back office (use the /auth routes);
 * - only superadmins manage admins and superadmins;
 * - only admins and superadmins act at all.
 */
export function authorityRefusal(actor: Party, target: Party, action: AdminAction): Refusal | null {
  if (actor.role !== 'admin' && actor.role !== 'superadmin') {
    return refuse('FORBIDDEN', 'Only admins manage accounts');
  }
  if (actor.id === target.id) {
    return refuse('FORBIDDEN', `You cannot ${describe(action)} your own account`);
  }
  if (actor.role === 'admin' && (target.role === 'admin' || target.role === 'superadmin')) {
    return refuse('FORBIDDEN', 'Only superadmins manage admin accounts');
  }
  return null;
}

/**
 * The status an account returns to when activated or unblocked: `active`, except a doctor or caregiver
 * whose credentials were never verified goes back to `pending` (verification stays the only way in).
 */
export function restoredStatus(target: Target): UserStatus {
  return PROFESSIONAL_ROLES.includes(target.role) && target.verifiedAt === null ? 'pending' : 'active';
}

/**
 * The status after a status action, or why the transition is not allowed:
 * - activate: inactive → active (a pending doctor/caregiver is verified instead; a pending admin is
 *   approved by a superadmin; a blocked account is unblocked);
 * - deactivate: active or pending → inactive;
 * - block: active, pending or inactive → blocked;
 * - unblock: blocked → active;
 * - a removed (erased) account takes no status change.
 */
export function statusTransition(target: Target, action: StatusAction): { status: UserStatus } | Refusal {
  const from = target.status;
  if (from === 'removed') return refuse('INVALID_TRANSITION', 'This account has been removed');
  switch (action) {
    case 'activate':
      if (from === 'inactive') return { status: restoredStatus(target) };
      if (from === 'pending' && PROFESSIONAL_ROLES.includes(target.role)) {
        return refuse('INVALID_TRANSITION', 'A pending doctor or caregiver is activated by verifying them');
      }
      if (from === 'pending' && target.role === 'admin') {
        return refuse('INVALID_TRANSITION', 'A pending admin is activated by a superadmin approving them');
      }
      if (from === 'blocked') return refuse('INVALID_TRANSITION', 'A blocked account is unblocked, not activated');
      return refuse('INVALID_TRANSITION', `Cannot activate an account that is ${from}`);
    case 'deactivate':
      if (from === 'active' || from === 'pending') return { status: 'inactive' };
      return refuse('INVALID_TRANSITION', `Cannot deactivate an account that is ${from}`);
    case 'block':
      if (from === 'active' || from === 'pending' || from === 'inactive') return { status: 'blocked' };
      return refuse('INVALID_TRANSITION', 'This account is already blocked');
    case 'unblock':
      if (from === 'blocked') return { status: restoredStatus(target) };
      return refuse('INVALID_TRANSITION', 'Only a blocked account can be unblocked');
  }
}

/** Verification turns a pending doctor or caregiver active; nothing else can be verified. */
export function verifyRefusal(target: Target): Refusal | null {
  if (!PROFESSIONAL_ROLES.includes(target.role)) {
    return refuse('INVALID_TRANSITION', 'Only doctors and caregivers are verified');
  }
  if (target.status !== 'pending') {
    return refuse('INVALID_TRANSITION', `Only a pending account can be verified; this one is ${target.status}`);
  }
  return null;
}

/** Sub-roles belong to admin accounts only. */
export function subRolesRefusal(target: Target): Refusal | null {
  if (target.status === 'removed') return refuse('INVALID_TRANSITION', 'This account has been removed');
  if (target.role !== 'admin') return refuse('INVALID_TRANSITION', 'Only admin accounts have sub-roles');
  return null;
}

/** A forced logout needs an account that still exists as such. */
export function logoutRefusal(target: Target): Refusal | null {
  return target.status === 'removed' ? refuse('INVALID_TRANSITION', 'This account has been removed') : null;
}

/**
 * Whether the action would leave no active superadmin: `otherActiveSuperadmins` counts active
 * superadmins other than the target.
 */
export function lastSuperadminRefusal(
  target: Target,
  action: AdminAction,
  otherActiveSuperadmins: number,
): Refusal | null {
  if (target.role !== 'superadmin' || target.status !== 'active' || !REMOVING.includes(action)) return null;
  return otherActiveSuperadmins > 0 ? null : refuse('CONFLICT', 'The last active superadmin cannot be removed');
}

/** Whether an action can take an active superadmin out of service (the service then counts them). */
export function mayRemoveSuperadmin(target: Target, action: AdminAction): boolean {
  return target.role === 'superadmin' && target.status === 'active' && REMOVING.includes(action);
}

/**
 * The status a new account starts in: admins created by an admin wait for a superadmin's approval;
 * everyone else (doctors and caregivers included: an admin vouches for them) starts active.
 */
export function initialStatus(actorRole: Role, role: CreatableRole): UserStatus {
  if (role === 'admin' && actorRole !== 'superadmin') return 'pending';
  return 'active';
}

function describe(action: AdminAction): string {
  switch (action) {
    case 'subRoles':
      return 'change the sub-roles of';
    case 'logout':
      return 'force a logout of';
    default:
      return action;
  }
}
