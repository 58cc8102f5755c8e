import { z } from 'zod';
import type { PushEvents } from '../platform/realtime-events';

/**
 * The socket protocol of the UserHub (docs/api.md, Real-time socket): JSON text frames
 * `{ event, data?, id? }`; a reply echoes the `id` of the frame it answers.
 */

/** The subprotocol a client offers (and the server selects) on `GET /api/v1/realtime`. */
export const SUBPROTOCOL = 'kinwell.v1';

/** Inbound text frames larger than this (in UTF-8 bytes) are refused with FRAME_TOO_LARGE. */
export const MAX_FRAME_BYTES = 16 * 1024;

/**
 * Per-socket frame allowance: more than `limit` frames in one `windowMs` window are answered
 * RATE_LIMITED and dropped; the `closeAt`-th frame of a window closes the socket (CLOSE.flooded).
 */
export const RATE = { limit: 30, windowMs: 10_000, closeAt: 60 } as const;

/**
 * The keep-alive the runtime answers itself without waking the hub: this exact text gets this exact
 * reply, with no id and no checks (a `ping` with an id or data goes through the hub).
 */
export const KEEPALIVE = { request: '{"event":"ping"}', response: '{"event":"pong"}' } as const;

/**
 * Close codes the hub uses. 4401 and 4403 mirror the HTTP statuses a client already handles
 * (re-authenticate, then reconnect; or stop), 4429 tells a flooding client to back off.
 */
export const CLOSE = {
  /** A normal close. */
  normal: 1000,
  /** The access token's expiry passed: refresh the token and reconnect. */
  expired: 4401,
  /** The session was revoked or ended, the token version bumped, or the account blocked/removed. */
  revoked: 4403,
  /** The socket sent twice its frame allowance in one window. */
  flooded: 4429,
} as const;

/** Every socket frame: `{ event, data, id? }`. */
export const FrameSchema = z.object({
  event: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9:._-]+$/),
  data: z.unknown().optional(),
  id: z.string().min(1).max(64).optional(),
});

export type Frame = z.infer<typeof FrameSchema>;

/** Error codes of frames that never reached a handler. */
export type FrameErrorCode = 'INVALID_FRAME' | 'FRAME_TOO_LARGE';

export type ReadFrame = { ok: true; frame: Frame } | { ok: false; code: FrameErrorCode; message: string; id?: string };

const encoder = new TextEncoder();

/** UTF-8 size of a string, without encoding it when its length already decides. */
function tooLarge(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return encoder.encode(text).byteLength > maxBytes;
}

/**
 * Reads one inbound frame and says why it is refused when it is not a valid one. The `id` of a
 * well-formed JSON object is kept on a refusal, so the error reply can still echo it. `maxBytes`: the
 * socket's frame limit (the hub's by default).
 * @example readFrame('{"event":"ping","id":"1"}') // { ok: true, frame: { event: 'ping', id: '1' } }
 */
export function readFrame(raw: string | ArrayBuffer, maxBytes: number = MAX_FRAME_BYTES): ReadFrame {
  if (typeof raw !== 'string') {
    return { ok: false, code: 'INVALID_FRAME', message: 'Binary frames are not supported; send JSON text' };
  }
  if (tooLarge(raw, maxBytes)) {
    return { ok: false, code: 'FRAME_TOO_LARGE', message: `Frames are limited to ${maxBytes} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'INVALID_FRAME', message: 'Frames are JSON: { "event", "data"?, "id"? }' };
  }
  const parsed = FrameSchema.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const id = (json as { id?: unknown } | null)?.id;
  return {
    ok: false,
    code: 'INVALID_FRAME',
    message: 'A frame is { "event": "name", "data"?: any, "id"?: "string of at most 64 characters" }',
    ...(typeof id === 'string' && id.length > 0 && id.length <= 64 ? { id } : {}),
  };
}

/** Parses one inbound text frame; null when it is not a valid frame. */
export function parseFrame(raw: string | ArrayBuffer): Frame | null {
  const read = readFrame(raw);
  return read.ok ? read.frame : null;
}

/**
 * Every event the server sends, by name → payload: the pushes of src/realtime/push-events.ts, the
 * hub's own `pong` and `error`, and the reply to a client's event, `<event>:success` or the `…:reply` it names (the handler's
 * payload) or `<event>:error` (an ErrorData). `frame` accepts nothing else, so a misspelt name does
 * not compile.
 */
export type ServerEvents = PushEvents & {
  pong: { at: string };
  error: ErrorData;
  [reply: `${string}:success`]: unknown;
  /** The reply a handler names instead of `<event>:success` (`bot:message` → `bot:reply`). */
  [answer: `${string}:reply`]: unknown;
  [failure: `${string}:error`]: ErrorData;
};

/** Serializes an outbound frame; `id` is echoed only when the frame answers one that carried it. */
export function frame<E extends keyof ServerEvents & string>(event: E, data: ServerEvents[E], id?: string): string {
  return JSON.stringify(id === undefined ? { event, data } : { event, data, id });
}

/** The payload of every error frame (`error` and `<event>:error`). */
export interface ErrorData {
  code: string;
  message: string;
  fields?: { field: string; message: string }[];
  /** Extra detail an AppError carried for clients (e.g. until when a cooldown runs). */
  details?: unknown;
  /** On INTERNAL: the id of the log line to quote when reporting it. */
  requestId?: string;
}

/** An `error` frame (or `<event>:error` when `event` is given). */
export function errorFrame(data: ErrorData, id?: string, event: 'error' | `${string}:error` = 'error'): string {
  return frame(event, data, id);
}

/** Completes a close handshake; codes the peer may not send back (1005, 1006, 1015) become 1000. */
export function closeReply(socket: { close(code?: number, reason?: string): void }, code: number): void {
  const sendable =
    code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
  try {
    socket.close(sendable ? code : 1000, 'closing');
  } catch {
    // Already closed by the runtime.
  }
}
