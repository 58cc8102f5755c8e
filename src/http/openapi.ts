import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RoutePolicy } from '../access/policy';
import { type OperationId, ROUTE_POLICIES } from '../access/route-policies';
import { AppError } from '../lib/errors';
import { isLocalDate, isLocalTime } from '../lib/time';
import { guard } from './guard';
import type { AppEnv, RouteEnv } from './hono';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export const FieldErrorSchema = z.object({ field: z.string(), message: z.string() }).openapi('FieldError');

export const ErrorSchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    error: z.object({ code: z.string(), statusCode: z.number().int(), details: z.unknown().optional() }),
    errors: z.array(FieldErrorSchema).optional(),
    requestId: z.string(),
    timestamp: z.string(),
  })
  .openapi('Error', {
    example: {
      success: false,
      message: 'Validation failed',
      error: { code: 'VALIDATION_FAILED', statusCode: 422 },
      errors: [{ field: 'mobileNumber', message: 'Invalid phone number' }],
      requestId: 'req_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      timestamp: '2026-01-15T10:30:00.000Z',
    },
  });

const ERROR_CONTENT = { 'application/json': { schema: ErrorSchema } };

/**
 * A documented error response in the envelope, for a route's `responses`.
 * @example responses: { 404: errorOf('No such appointment, or not yours (NOT_FOUND)') }
 */
export const errorOf = (description: string) => ({ description, content: ERROR_CONTENT });

export const PaginationSchema = z
  .object({
    current: z.number().int(),
    pages: z.number().int(),
    total: z.number().int(),
    limit: z.number().int(),
    hasNext: z.boolean(),
    hasPrev: z.boolean(),
  })
  .openapi('Pagination');

/** `?page=&limit=`: page from 1, limit 1–100 (default 20). */
/** A calendar date `YYYY-MM-DD` (whose calendar, the route says: the doctor's, the patient's). */
export const LocalDateSchema = z.string().refine(isLocalDate, 'Must be a calendar date as YYYY-MM-DD');

/** A 24-hour wall-clock time `HH:MM`, 00:00 to 23:59. */
export const LocalTimeSchema = z.string().refine(isLocalTime, 'Must be a 24-hour time HH:MM, 00:00 to 23:59');

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
});

/**
 * A path parameter `{id}` holding an id of one kind (`prefix_` + ULID, as `ctx.ids.id(prefix)` makes):
 * anything else is 422 before the handler runs.
 * @example request: { params: idParam('ntf', 'notification') }
 */
export function idParam(prefix: string, what: string) {
  return z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `Not a ${what} id`)
      .openapi({ param: { name: 'id', in: 'path' }, example: `${prefix}_01JF8ZS5X0V6M3A2Q9K1T7B4CE` }),
  });
}

/** The success envelope around `data`. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({
    success: z.literal(true),
    message: z.string(),
    data,
    timestamp: z.string(),
  });
}

/** A page of `item`s: `{ items, pagination }`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), pagination: PaginationSchema });
}

/** A JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, content: { 'application/json': { schema } }, ...(description ? { description } : {}) };
}

/** A JSON success response in the envelope. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema: envelope(schema) } } };
}

/**
 * Every operation may answer 429: the per-address request ceiling covers the whole API, and the
 * per-action limits some routes add answer the same way.
 */
const RATE_LIMITED_RESPONSE = {
  ...errorOf(
    'Too many requests (RATE_LIMITED): the per-address request ceiling, or a limit of this action; or too many wrong codes (OTP_MAX_ATTEMPTS)',
  ),
  headers: {
    'Retry-After': {
      description: 'Seconds to wait before retrying (with RATE_LIMITED).',
      schema: { type: 'integer' as const, minimum: 1, example: 60 },
    },
    'RateLimit-Policy': {
      description:
        'The limit that refused, as in the IETF RateLimit header fields draft: its name, requests allowed (`q`) and window in seconds (`w`).',
      schema: { type: 'string' as const, example: '"ceiling";q=1200;w=60' },
    },
    RateLimit: {
      description: 'What is left of that limit: `r` requests, for `t` more seconds.',
      schema: { type: 'string' as const, example: '"ceiling";r=0;t=60' },
    },
  },
};

function errorResponses(policy: RoutePolicy, hasBody: boolean) {
  return {
    ...(hasBody ? { 400: errorOf('Malformed JSON (INVALID_JSON)') } : {}),
    ...(policy.kind === 'public'
      ? {}
      : {
          401: errorOf('No, invalid, expired or revoked token'),
          403: errorOf('Signed in but not allowed'),
        }),
    ...(hasBody ? { 413: errorOf('Body too large'), 415: errorOf('Wrong content type') } : {}),
    422: errorOf('Validation failed'),
    429: RATE_LIMITED_RESPONSE,
    500: errorOf('Unexpected error (see requestId)'),
  };
}

/**
 * Every error status answers the error envelope, so one a route documents with a description alone
 * (`404: { description: 'No such account' }`) gets the `Error` schema here instead of an empty body.
 */
function withErrorBodies(responses: RouteConfig['responses']): RouteConfig['responses'] {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) =>
      Number(status) >= 400 && !('$ref' in response) && !response.content
        ? [status, { ...response, content: ERROR_CONTENT }]
        : [status, response],
    ),
  );
}

function describePolicy(policy: RoutePolicy): string {
  if (policy.kind === 'public') return 'Access: public.';
  const who = policy.roles.length ? policy.roles.join(', ') : 'any signed-in account';
  const sub = policy.subRoles ? ` (admins need sub-role ${policy.subRoles.join(' or ')})` : '';
  return `Access: ${who}${sub}.`;
}

function limitBody(maxBytes: number | undefined): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    bodyLimit({
      maxSize: maxBytes ?? (Number(c.env.MAX_BODY_BYTES) || DEFAULT_BODY_LIMIT),
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
      },
    })(c, next);
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/** Whether a request's Content-Type matches one a route declares (any `+json` counts as JSON). */
export function acceptsMediaType(declared: readonly string[], header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return declared.some((d) => d === type || (d === 'application/json' && JSON_TYPE.test(type)));
}

/**
 * A bodied route refuses undeclared media types with 415 instead of validating an empty body. A route
 * whose body is optional also takes a request with no body at all (e.g. a DELETE).
 */
function requireMediaType(declared: string[], optional: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type');
    const empty = !type && !c.req.header('transfer-encoding') && Number(c.req.header('content-length') ?? 0) === 0;
    if (optional && empty) return next();
    if (!acceptsMediaType(declared, type)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${declared.join(' or ')}`);
    }
    await next();
  };
}

type DefineRouteConfig = Omit<RouteConfig, 'operationId' | 'security' | 'middleware'> & {
  operationId: OperationId;
  /** Body limit in bytes for this route (default MAX_BODY_BYTES). */
  bodyLimit?: number;
};

/**
 * `createRoute` plus the house rules: the route's access policy from ROUTE_POLICIES (guard
 * middleware, bearer security in the document), the body limit, and the shared error responses; every
 * 4xx/5xx response in the document carries the `Error` schema.
 */
export function defineRoute<const R extends DefineRouteConfig>(config: R) {
  const { bodyLimit: maxBytes, ...route } = config;
  const policy: RoutePolicy = ROUTE_POLICIES[config.operationId];
  const body = route.request?.body;
  const hasBody = Boolean(body);
  // The body checks are one middleware (limit, then media type) so the list below stays a pair.
  const limit = limitBody(maxBytes);
  const mediaType = body && requireMediaType(Object.keys(body.content), !body.required);
  const bodyChecks: MiddlewareHandler<AppEnv> = mediaType
    ? (c, next) =>
        limit(c, async () => {
          await mediaType(c, next);
        })
    : limit;
  // Exactly two middleware, the guard first: @hono/zod-openapi types a handler with its route's
  // middleware env, so behind a signed-in policy `c.get('ctx')` is the AuthedContext the guard set.
  const guarded = guard(policy) as MiddlewareHandler<RouteEnv<(typeof ROUTE_POLICIES)[R['operationId']]>>;
  const middleware: [typeof guarded, MiddlewareHandler<AppEnv>] = [guarded, bodyChecks];
  return createRoute({
    ...route,
    description: [route.description, describePolicy(policy)].filter(Boolean).join('\n\n'),
    security: policy.kind === 'public' ? [] : [{ bearerAuth: [] }],
    middleware,
    // The cast keeps the route's own response types for its handlers; only bodies of errors are added.
    responses: { ...errorResponses(policy, hasBody), ...(withErrorBodies(route.responses) as R['responses']) },
  });
}
