import type { AdminSubRole, Role } from '../db/schema';

/**
 * Who may call a route. Every route's operationId must have one entry in ROUTE_POLICIES
 * (src/access/route-policies.ts); `defineRoute` refuses to build a route without one.
 */
export type RoutePolicy =
  | { kind: 'public' }
  | {
      kind: 'signed-in';
      /** Roles allowed; empty means any signed-in role. */
      roles: readonly Role[];
      /** For admins: at least one of these sub-roles is required (superadmins always pass). */
      subRoles?: readonly AdminSubRole[];
      /** Lets accounts still awaiting verification (doctor/caregiver `pending`) through. */
      allowPending?: boolean;
    };

/** Anyone, no token needed. */
export const PUBLIC: RoutePolicy = { kind: 'public' };

/** Any signed-in, active account. */
export function signedIn(options: { allowPending?: boolean } = {}): RoutePolicy {
  return { kind: 'signed-in', roles: [], ...options };
}

/** Only these roles. @example roles('admin', 'superadmin') */
export function roles(...allowed: Role[]): RoutePolicy {
  return { kind: 'signed-in', roles: allowed };
}

/** Admins holding one of `subRoles`, and superadmins. @example adminWith('appointment-manager') */
export function adminWith(...subRoles: AdminSubRole[]): RoutePolicy {
  return { kind: 'signed-in', roles: ['admin', 'superadmin'], subRoles };
}

/** Whether a role (and its sub-roles) satisfies a signed-in policy. Pure; the guard calls it. */
export function allows(policy: RoutePolicy, role: Role, subRoles: readonly AdminSubRole[]): boolean {
  if (policy.kind === 'public') return true;
  if (policy.roles.length > 0 && !policy.roles.includes(role)) return false;
  if (policy.subRoles && role === 'admin') return policy.subRoles.some((s) => subRoles.includes(s));
  return true;
}
