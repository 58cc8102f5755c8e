import { and, eq, gt, lte } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { idempotencyKeys } from '../../db/schema';
import { sha256Hex } from '../../lib/crypto';
import { AppError } from '../../lib/errors';

type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

/**
 * `Idempotency-Key` for writes that create bookings or money (docs/api.md), for any module: the first
 * committed response to (caller, scope, key) is stored with the SHA-256 of the request body, in the
 * same batch as the write itself, so a key is stored exactly when its write committed. A retry with
 * the same body gets that response back; with another body, 409 IDEMPOTENCY_CONFLICT. A failed request
 * stores nothing, so the client may retry it with the same key.
 */

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** One request under an idempotency key. */
export interface IdempotentRequest {
  userId: string;
  /** The operation, e.g. `appointments.book`: the same key may be used once per scope. */
  scope: string;
  key: string;
  requestHash: string;
}

export interface StoredResponse<T> {
  status: number;
  body: T;
}

/**
 * JSON with object keys sorted at every depth, so equal bodies hash equally whatever their key order.
 * @example canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The caller's request under `key` in `scope`, with the hash of its (validated) body. */
export async function idempotentRequest(
  ctx: AuthedContext,
  scope: string,
  key: string,
  body: unknown,
): Promise<IdempotentRequest> {
  return { userId: ctx.actor.id, scope, key, requestHash: await sha256Hex(canonicalJson(body)) };
}

const keyOf = (request: IdempotentRequest) =>
  and(
    eq(idempotencyKeys.userId, request.userId),
    eq(idempotencyKeys.scope, request.scope),
    eq(idempotencyKeys.key, request.key),
  );

/** The stored row for this key, not yet expired, as a statement for a read batch (see `answerOf`). */
function storedQuery(ctx: ServiceContext, request: IdempotentRequest) {
  return ctx.db
    .select()
    .from(idempotencyKeys)
    .where(and(keyOf(request), gt(idempotencyKeys.expiresAt, ctx.clock.now().getTime())));
}

/**
 * The response a `storedQuery` found for this key, or null.
 * @throws AppError IDEMPOTENCY_CONFLICT when the key was used with another body
 */
function answerOf<T>(request: IdempotentRequest, rows: IdempotencyKeyRow[]): StoredResponse<T> | null {
  const row = rows[0];
  if (!row) return null;
  if (row.requestHash !== request.requestHash) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was already used with a different request body', {
      details: { key: request.key },
    });
  }
  return { status: row.responseStatus, body: row.responseBody as T };
}

/**
 * Statements that store a response, for the batch that commits the write: an expired row under the
 * same key goes first; the insert then fails on the primary key when a concurrent request with the
 * key committed first, which rolls this write back.
 */
export function storeResponseStatements<T>(
  ctx: ServiceContext,
  request: IdempotentRequest,
  response: StoredResponse<T>,
): BatchItem<'sqlite'>[] {
  const now = ctx.clock.now().getTime();
  return [
    ctx.db.delete(idempotencyKeys).where(and(keyOf(request), lte(idempotencyKeys.expiresAt, now))),
    ctx.db.insert(idempotencyKeys).values({
      userId: request.userId,
      scope: request.scope,
      key: request.key,
      requestHash: request.requestHash,
      responseStatus: response.status,
      responseBody: response.body,
      createdAt: now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    }),
  ];
}

/** What `runIdempotent` hands the write it guards. */
export interface IdempotentRun<T> {
  /**
   * The read of an earlier answer under the key, for the write's first read batch (undefined without a
   * key); the write hands what it answered to `replay` before anything else.
   */
  lookup: BatchItem<'sqlite'> | undefined;
  /**
   * The earlier answer to replay (the write must return it as is, doing nothing), or null to go on.
   * @throws AppError IDEMPOTENCY_CONFLICT when the key was used with another body
   */
  replay(rows: IdempotencyKeyRow[] | undefined): StoredResponse<T> | null;
  /** Statements that store the answer, for the batch that commits the write (none without a key). */
  store(response: StoredResponse<T>): BatchItem<'sqlite'>[];
  /**
   * Starts (once) the read that finds whether a concurrent request with the key committed first. A write
   * that fails may start it beside its own failure handling (e.g. describing a taken slot), so the
   * check costs no round trip of its own.
   */
  recheck(): Promise<void>;
}

/**
 * Runs `write` at most once per key. Without a request (no header) it just runs. With one, the write
 * reads `lookup` in its first batch and returns `replay`'s stored response when there is one; otherwise
 * it must put `store(response)` into the batch that commits it. When `write` fails and a concurrent
 * request with the same key has committed meanwhile, that request's response is the answer (the loser's
 * own error, typically a taken slot or the key's primary key, is moot).
 * @throws AppError IDEMPOTENCY_CONFLICT, or whatever `write` throws
 */
export async function runIdempotent<T>(
  ctx: ServiceContext,
  request: IdempotentRequest | null,
  write: (run: IdempotentRun<T>) => Promise<StoredResponse<T>>,
): Promise<StoredResponse<T> & { replayed: boolean }> {
  let replayed = false;
  let winner: Promise<{ found: StoredResponse<T> | null } | { error: unknown }> | undefined;
  const recheck = async () => {
    if (!request) return;
    // Never rejects: what it found (or the refusal of another body) is weighed after the failure.
    winner ??= storedQuery(ctx, request).then(
      (rows) => ({ found: answerOf<T>(request, rows) }),
      (error: unknown) => ({ error }),
    );
    await winner;
  };
  const run: IdempotentRun<T> = {
    lookup: request ? storedQuery(ctx, request) : undefined,
    replay: (rows) => {
      const earlier = request && rows ? answerOf<T>(request, rows) : null;
      replayed = earlier !== null;
      return earlier;
    },
    store: (response) => (request ? storeResponseStatements(ctx, request, response) : []),
    recheck,
  };
  try {
    return { ...(await write(run)), replayed };
  } catch (err) {
    if (!request || (err instanceof AppError && err.code === 'IDEMPOTENCY_CONFLICT')) throw err;
    await recheck();
    const outcome = (await winner)!;
    if ('error' in outcome) throw outcome.error;
    if (outcome.found) return { ...outcome.found, replayed: true };
    throw err;
  }
}

/** Deletes expired keys (the every-minute sweep); returns how many went. */
export async function deleteExpiredIdempotencyKeys(ctx: ServiceContext): Promise<number> {
  const result = await ctx.db
    .delete(idempotencyKeys)
    .where(lte(idempotencyKeys.expiresAt, ctx.clock.now().getTime()))
    .run();
  return result.meta?.changes ?? 0;
}
