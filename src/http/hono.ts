import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import type { ZodError } from 'zod';
import type { RoutePolicy, SignedInPolicy } from '../access/policy';
import type { Actor, AuthedContext, ServiceContext } from '../context';
import type { Env } from '../env';
import { AppError, type FieldError } from '../lib/errors';
import { withIssue } from '../lib/i18n';

/** Hono typing shared by the app and every module router. */
export type AppEnv = {
  Bindings: Env;
  /** `user` is the signed-in caller on protected routes (the same object as `ctx.actor`). */
  Variables: RequestIdVariables & { ctx: ServiceContext; user: Actor };
};

/** What a signed-in route's handler sees once the guard has run: `c.get('ctx')` is an `AuthedContext`. */
export type AuthedEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & { ctx: AuthedContext; user: Actor };
};

/** The env of a route's handler under `policy`; `defineRoute` types each handler with it. */
export type RouteEnv<P extends RoutePolicy> = [P] extends [SignedInPolicy] ? AuthedEnv : AppEnv;

/**
 * Turns zod issues into the `errors` array of the envelope (`field` is a dotted path). An unknown key in
 * a `.strict()` body (mass assignment: `role`, `status`…) is named as its own field.
 */
export function fieldErrors(error: ZodError, fallbackField: string): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: [...issue.path, key].map(String).join('.'),
          message: 'This field cannot be set here',
        }))
      : [
          // The issue stays reachable (not in the JSON) so the message can be rendered in the caller's language.
          withIssue(
            { field: issue.path.length ? issue.path.map(String).join('.') : fallbackField, message: issue.message },
            issue,
          ),
        ],
  );
}

/** The API's public origin, for absolute URLs in answers (signed avatar links, doctors' photos). */
export const originOf = <E extends AppEnv>(c: Context<E>) => new URL(c.req.url).origin;

/**
 * A module router. Its validation hook throws VALIDATION_FAILED (422) with field errors, so every
 * route answers bad input the same way.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError('VALIDATION_FAILED', 'Validation failed', {
          fields: fieldErrors(result.error, result.target),
        });
      }
    },
  });
}
