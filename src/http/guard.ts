import type { MiddlewareHandler } from 'hono';
import { authenticate } from '../access/guard';
import { allows, type RoutePolicy } from '../access/policy';
import { AppError } from '../lib/errors';
import type { AppEnv } from './hono';

/**
 * Route middleware enforcing one policy entry: 401 without a valid token, 403 for a role the policy
 * does not list or an account still awaiting verification.
 */
export function guard(policy: RoutePolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (policy.kind === 'public') return next();
    const ctx = c.get('ctx');
    const actor = await authenticate(ctx, c.req.header('authorization'));
    if (actor.status === 'pending' && !policy.allowPending) {
      throw new AppError('FORBIDDEN', 'This account is awaiting verification');
    }
    if (!allows(policy, actor.role, actor.subRoles)) {
      throw new AppError('FORBIDDEN', 'You do not have access to this resource');
    }
    ctx.actor = actor;
    c.set('user', actor);
    await next();
  };
}
