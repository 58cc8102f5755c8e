import type { MiddlewareHandler } from 'hono';
import { admit } from '../access/guard';
import type { RoutePolicy } from '../access/policy';
import { withActor } from '../context';
import type { AppEnv } from './hono';

/**
 * Route middleware enforcing one policy entry: 401 without a valid token, 403 for a role the policy
 * does not list or an account still awaiting verification. The session check costs no round trip of
 * its own: it rides on the handler's first D1 call, and is made here only when the handler made none
 * (or failed before making one, so a revoked token still answers 401 before a validation error). On a
 * signed-in route it leaves the caller in `ctx.actor`, so the handler's context is an `AuthedContext`.
 */
export function guard(policy: RoutePolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (policy.kind === 'public') return next();
    const ctx = c.get('ctx');
    const actor = await admit(ctx, c.req.header('authorization'), policy);
    c.set('ctx', withActor(ctx, actor));
    c.set('user', actor);
    try {
      await next();
    } catch (err) {
      await ctx.settle();
      throw err;
    }
    await ctx.settle();
  };
}
