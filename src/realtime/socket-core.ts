import type { ServiceContext } from '../context';
import { AppError } from '../lib/errors';
import { languageFor, translate, translateFields } from '../lib/i18n';
import type { Logger } from '../lib/log';
import { authorityFromHeaders, type SocketAuthority } from './hub-auth';
import { type ErrorData, errorFrame } from './protocol';
import type { HostedSocket } from './socket-host';

/**
 * What the user hub and the video rooms do alike with a hibernatable socket: read its state from its
 * attachment (never from memory: the object may have been evicted since), throttle its frames, send
 * without throwing, close with a last error frame, and turn a handler's failure into an error frame.
 */

/** A socket's frame throttle, kept in its attachment. */
export interface Throttled {
  /** Start of the current throttling window (epoch ms) and frames counted in it. */
  windowStart: number;
  windowCount: number;
}

/** A per-socket frame allowance: `limit` frames per `windowMs`; the `closeAt`-th closes the socket. */
export interface FrameRate {
  limit: number;
  windowMs: number;
  closeAt: number;
}

/** The state a socket was accepted with, from its attachment; null when it has none. */
export function stateOf<S>(socket: HostedSocket): S | null {
  try {
    return (socket.deserializeAttachment() as S | null) ?? null;
  } catch {
    return null;
  }
}

/** Sends without throwing (the peer may have gone between the check and the send). */
export function send(socket: HostedSocket, text: string): boolean {
  try {
    socket.send(text);
    return true;
  } catch {
    return false;
  }
}

/** Sends a last error frame and closes the socket with `closeCode`. */
export function endSocket(socket: HostedSocket, code: string, message: string, closeCode: number, id?: string): void {
  send(socket, errorFrame({ code, message }, id));
  try {
    socket.close(closeCode, code);
  } catch {
    // Already closing.
  }
}

/**
 * Counts one frame in the socket's current window (stored in its attachment, and in `state`);
 * returns the count.
 */
export function countFrame<S extends Throttled>(socket: HostedSocket, state: S, now: number, rate: FrameRate): number {
  const fresh = now - state.windowStart >= rate.windowMs || now < state.windowStart;
  const next: S = fresh
    ? { ...state, windowStart: now, windowCount: 1 }
    : { ...state, windowCount: state.windowCount + 1 };
  socket.serializeAttachment(next);
  Object.assign(state, next);
  return next.windowCount;
}

/**
 * The throttle's verdict on one more frame: `close` (the socket flooded: close it), `drop` (answer
 * RATE_LIMITED, retry in `retryAfter` seconds) or `ok`.
 */
export function throttle<S extends Throttled>(
  socket: HostedSocket,
  state: S,
  now: number,
  rate: FrameRate,
): { verdict: 'ok' | 'close' } | { verdict: 'drop'; retryAfter: number } {
  const count = countFrame(socket, state, now, rate);
  if (count >= rate.closeAt) return { verdict: 'close' };
  if (count > rate.limit) {
    return { verdict: 'drop', retryAfter: Math.max(1, Math.ceil((state.windowStart + rate.windowMs - now) / 1000)) };
  }
  return { verdict: 'ok' };
}

/**
 * The code and message of a failed handler, the message in the caller's language (their profile's, read
 * with the session; docs/api.md#language); anything but an AppError is logged and hidden.
 */
export function errorDataOf(err: unknown, ctx: ServiceContext, event: string): ErrorData {
  if (err instanceof AppError) {
    const language = languageFor(ctx.actor?.language, null);
    return {
      code: err.code,
      message: translate(err.message, language),
      ...(err.fields?.length ? { fields: translateFields(err.fields, language) } : {}),
      ...(err.details !== undefined ? { details: err.details } : {}),
    };
  }
  ctx.log.log('error', event, { error: describe(err), stack: (err as Error)?.stack });
  return { code: 'INTERNAL', message: 'Something went wrong', requestId: ctx.requestId };
}

/**
 * Runs the handling of one inbound frame so that nothing escapes it (on Workers a throw would reset the
 * Durable Object and every socket it holds): a failure is logged as `event` and answered INTERNAL.
 */
export async function receiveSafely(
  socket: HostedSocket,
  log: Logger,
  event: string,
  receive: () => Promise<void>,
): Promise<void> {
  try {
    await receive();
  } catch (err) {
    log.log('error', event, { error: describe(err) });
    send(socket, errorFrame({ code: 'INTERNAL', message: 'Something went wrong' }));
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * The authority of an upgrade the Worker forwarded to a Durable Object, or the answer refusing it:
 * 426 for a request that is no WebSocket upgrade, 400 when the trusted authority headers are missing.
 */
export function forwardedUpgrade(request: Request): { authority: SocketAuthority } | { refusal: Response } {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return { refusal: new Response('Expected a WebSocket upgrade', { status: 426 }) };
  }
  const authority = authorityFromHeaders(request.headers);
  if (!authority) return { refusal: new Response('Missing socket authority', { status: 400 }) };
  return { authority };
}
