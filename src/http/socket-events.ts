import type { z } from '@hono/zod-openapi';
import { assertAllowed } from '../access/policy';
import { type OperationId, ROUTE_POLICIES } from '../access/route-policies';
import type { AuthedContext } from '../context';
import { AppError } from '../lib/errors';
import { fieldErrors } from './hono';

/**
 * A socket event a client may send: it validates `data` itself (zod), runs the same service as the
 * matching REST route with the socket's caller as `ctx.actor`, and returns the payload of its reply:
 * `<event>:success`, or the event it names in `reply` (`bot:message` answers `bot:reply`). An AppError it
 * throws becomes the `<event>:error` reply (code, message, field errors). Pushes to other users go
 * through `ctx.ports.realtime.notify` inside the service, so REST and socket callers trigger the same
 * notifications.
 */
export type SocketEventHandler = ((ctx: AuthedContext, data: unknown) => Promise<unknown>) & {
  reply?: `${string}:reply`;
};

export type SocketEventMap = Record<string, SocketEventHandler>;

/**
 * A socket event backed by the same service as a REST route: the caller must pass that route's policy
 * (roles, verification) exactly as over HTTP, then `data` is validated (a ZodError becomes
 * VALIDATION_FAILED with the same field errors as a REST body), then the service runs.
 */
export function socketEvent<S extends z.ZodType>(
  operationId: OperationId,
  schema: S,
  run: (ctx: AuthedContext, input: z.output<S>) => Promise<unknown>,
  options: { reply?: `${string}:reply` } = {},
): SocketEventHandler {
  const policy = ROUTE_POLICIES[operationId];
  const handler: SocketEventHandler = async (ctx, data) => {
    assertAllowed(policy, ctx.actor);
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(parsed.error, 'data') });
    }
    return run(ctx, parsed.data);
  };
  if (options.reply) handler.reply = options.reply;
  return handler;
}
