/**
 * The one error type services throw. It knows nothing of HTTP: `statusOf` maps its code to a status in
 * one place, and the app's `onError` turns it into the error envelope of docs/api.md.
 */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  TOKEN_REVOKED: 401,
  USER_INACTIVE: 403,
  USER_BLOCKED: 403,
  EMAIL_NOT_VERIFIED: 403,
  FORBIDDEN: 403,
  TWO_FACTOR_REQUIRED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SLOT_UNAVAILABLE: 409,
  HOLD_EXPIRED: 409,
  INVALID_TRANSITION: 409,
  ROOM_NOT_OPEN: 409,
  ROOM_CLOSED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYMENT_REQUIRED: 402,
  PAYMENT_FAILED: 402,
  FILE_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_FILE_TYPE: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPGRADE_REQUIRED: 426,
  VALIDATION_FAILED: 422,
  OTP_INVALID: 422,
  OTP_EXPIRED: 422,
  OTP_MAX_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** One invalid input field, as listed in the `errors` array of the envelope. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A rate limit as its refusals advertise it (the `RateLimit-Policy` field of the IETF draft
 * draft-ietf-httpapi-ratelimit-headers): its name, the requests it allows and in how many seconds.
 */
export interface RateLimitPolicy {
  /** The policy's name in the fields, e.g. `ceiling` or `login:ip`. */
  name: string;
  /** Requests allowed per window. */
  quota: number;
  windowSeconds: number;
}

export interface AppErrorOptions {
  /** Free-form detail for clients (never internals). */
  details?: unknown;
  /** Field-level validation errors. */
  fields?: FieldError[];
  /** Seconds until a retry may succeed; sent as `Retry-After`. */
  retryAfter?: number;
  /** The limit a RATE_LIMITED refusal passed; sent as `RateLimit-Policy` and `RateLimit` (with `retryAfter`). */
  rateLimit?: RateLimitPolicy;
  /** Extra data a client needs to continue (e.g. a 2FA challenge id). */
  data?: unknown;
  cause?: unknown;
}

/**
 * A failure with a stable code from docs/api.md.
 * @example throw new AppError('NOT_FOUND', 'Appointment not found')
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly fields?: FieldError[];
  readonly retryAfter?: number;
  readonly rateLimit?: RateLimitPolicy;
  readonly data?: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.fields = options.fields;
    this.retryAfter = options.retryAfter;
    this.rateLimit = options.rateLimit;
    this.data = options.data;
  }

  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
}

/** A structured-field string (RFC 9651): quoted, with `\\` and `"` escaped. */
const sfString = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * The response headers an error brings: `Retry-After` (seconds) when it says when to retry and, for a
 * rate limit's refusal, the IETF draft fields naming the limit and what is left of it:
 * `RateLimit-Policy: "ceiling";q=1200;w=60` and `RateLimit: "ceiling";r=0;t=<Retry-After>`. The one
 * place these headers are written, for every limit alike.
 */
export function errorHeaders(err: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (err.retryAfter !== undefined) headers['Retry-After'] = String(err.retryAfter);
  if (err.rateLimit) {
    const name = sfString(err.rateLimit.name);
    headers['RateLimit-Policy'] = `${name};q=${err.rateLimit.quota};w=${err.rateLimit.windowSeconds}`;
    headers.RateLimit = `${name};r=0${err.retryAfter === undefined ? '' : `;t=${err.retryAfter}`}`;
  }
  return headers;
}

/** Shorthand for the 404 that also hides rows owned by someone else. */
export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} not found`);
}
