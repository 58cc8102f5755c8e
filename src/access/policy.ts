import type { Actor } from '../context';
import type { AdminSubRole, Role } from '../db/schema';
import { AppError } from '../lib/errors';

/**
 * Who may call a route. Every route's operationId must have one entry in ROUTE_POLICIES
 * (src/access/route-policies.ts); `defineRoute` refuses to build a route without one.
 */
export type RoutePolicy = PublicPolicy | SignedInPolicy;

export interface PublicPolicy {
  kind: 'public';
}

/** A route for signed-in callers: its handler's context is an `AuthedContext`. */
export interface SignedInPolicy {
  kind: 'signed-in';
  /** Roles allowed; empty means any signed-in role. */
  roles: readonly Role[];
  /** For admins: at least one of these sub-roles is required (superadmins always pass). */
  subRoles?: readonly AdminSubRole[];
  /** Lets accounts still awaiting verification (doctor/caregiver `pending`) through. */
  allowPending?: boolean;
}

/** Anyone, no token needed. */
export const PUBLIC: PublicPolicy = { kind: 'public' };

/** Any signed-in, active account. */
export function signedIn(options: { allowPending?: boolean } = {}): SignedInPolicy {
  return { kind: 'signed-in', roles: [], ...options };
}

/** Only these roles. @example roles('admin', 'superadmin') */
export function roles(...allowed: Role[]): SignedInPolicy {
  return { kind: 'signed-in', roles: allowed };
}

/** Admins holding one of `subRoles`, and superadmins. @example adminWith('appointment-manager') */
export function adminWith(...subRoles: AdminSubRole[]): SignedInPolicy {
  return { kind: 'signed-in', roles: ['admin', 'superadmin'], subRoles };
}

/** Whether a role (and its sub-roles) satisfies a signed-in policy. Pure; the guard calls it. */
export function allows(policy: RoutePolicy, role: Role, subRoles: readonly AdminSubRole[]): boolean {
  if (policy.kind === 'public') return true;
  if (policy.roles.length > 0 && !policy.roles.includes(role)) return false;
  if (policy.subRoles && role === 'admin') return policy.subRoles.some((s) => subRoles.includes(s));
  return true;
}

/**
 * Refuses a caller a policy does not admit: nobody signed in, an account still awaiting verification
 * (unless the policy lets pending accounts through), then a role or sub-role the policy does not list.
 * The HTTP guard and the socket events apply exactly this, so both paths refuse the same callers.
 * @throws AppError UNAUTHENTICATED, FORBIDDEN
 */
export function assertAllowed(policy: RoutePolicy, actor: Pick<Actor, 'role' | 'subRoles' | 'status'> | null): void {
  if (policy.kind === 'public') return;
  if (!actor) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  if (actor.status === 'pending' && !policy.allowPending) {
    throw new AppError('FORBIDDEN', 'This account is awaiting verification');
  }
  if (!allows(policy, actor.role, actor.subRoles)) {
    throw new AppError('FORBIDDEN', 'You do not have access to this resource');
  }
}
