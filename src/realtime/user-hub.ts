import { z } from 'zod';
import {
  type Actor,
  type AppDeps,
  type AuthedContext,
  createContext,
  type ServiceContext,
  withActor,
} from '../context';
import type { Env } from '../env';
import { fieldErrors } from '../http/hono';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { createIds } from '../lib/ids';
import { createLogger } from '../lib/log';
import { botSocketEvents } from '../modules/bot/bot.events';
import { caregiverSocketEvents } from '../modules/caregivers/caregivers.events';
import type { PushEventName, PushEvents } from '../platform/realtime-events';
import { type SocketEventHandler, type SocketEventMap, socketEvents } from './events';
import { authorityFromToken, checkSession, type SocketAuthority } from './hub-auth';
import { CLOSE, closeReply, errorFrame, type Frame, frame, RATE, readFrame } from './protocol';
import {
  describe,
  endSocket,
  errorDataOf,
  receiveSafely,
  send,
  stateOf,
  type Throttled,
  throttle,
} from './socket-core';
import type { AcceptSocket, HostedSocket, OpenResult, SocketHost, SocketOwner } from './socket-host';

/** Everything a socket needs after a wake-up: kept in its attachment, never only in memory. */
export interface SocketState extends SocketAuthority, Throttled {
  connectedAt: number;
}

/**
 * The application events of every module (the hub itself answers `ping` and `auth:refresh`). Each
 * handler enforces its matching REST route's policy (roles, pending accounts) itself.
 */
export const HUB_EVENTS: SocketEventMap = socketEvents(caregiverSocketEvents, botSocketEvents);

const RefreshData = z.strictObject({ token: z.string().min(1).max(4096) });

/**
 * One user's hub: holds that user's sockets, dispatches the frames they send and fans pushes out to
 * them. Runtime-neutral: on Workers a Durable Object per user holds it (src/realtime/user-hub.do.ts,
 * with the hibernation API, so idle sockets cost nothing); on Bun and Deno the process does
 * (src/runtime/portable/sockets.ts). The protocol, authority and throttling are this class's, so they
 * are the same everywhere.
 *
 * Authority: the route authenticates before the upgrade; the hub then checks, on every frame, the
 * token's expiry (clock only) and the session in D1 (revoked, ended, token version bumped, account
 * blocked or removed), and on every push the expiry and the session. Nothing lives only in memory:
 * per-socket state is each socket's attachment, so the object can be evicted between any two frames.
 */
export class UserHubLogic implements SocketOwner {
  /** Time source; tests replace it to move past a token's expiry. */
  clock: Clock;
  /** The dispatch table; tests may replace it. */
  events: SocketEventMap = HUB_EVENTS;
  private readonly log = createLogger({ component: 'user-hub' });

  constructor(
    private readonly host: SocketHost,
    private readonly env: Env,
    private readonly deps: AppDeps,
  ) {
    this.clock = deps.clock;
  }

  /** Accepts a socket whose authority the route established (the user's, for this hub). */
  open(authority: SocketAuthority, accept: AcceptSocket): OpenResult {
    const now = this.clock.now().getTime();
    const { socket, response } = accept([]);
    const state: SocketState = { ...authority, connectedAt: now, windowStart: now, windowCount: 0 };
    socket.serializeAttachment(state);
    return { accepted: response };
  }

  /**
   * Sends one event to every open socket of this user whose authority holds: a socket past its token's
   * expiry is closed with 4401, one whose session was revoked with 4403, and neither receives it.
   * Resolves with how many sockets received it.
   */
  async emit<E extends PushEventName>(event: E, data: PushEvents[E]): Promise<number> {
    const now = this.clock.now().getTime();
    const live: [HostedSocket, SocketState][] = [];
    for (const socket of this.host.sockets()) {
      const state = stateOf<SocketState>(socket);
      if (!state || socket.readyState !== WebSocket.OPEN) continue;
      if (now >= state.expiresAt) this.end(socket, 'TOKEN_EXPIRED', 'The access token has expired', CLOSE.expired);
      else live.push([socket, state]);
    }
    if (!live.length) return 0;
    const verdicts = await this.sessionVerdicts(live.map(([, state]) => state));
    const text = frame<PushEventName>(event, data);
    let sent = 0;
    for (const [socket, state] of live) {
      const verdict = verdicts.get(sessionKey(state));
      if (verdict instanceof AppError) this.end(socket, verdict.code, verdict.message, CLOSE.revoked);
      else if (verdict === 'ok' && send(socket, text)) sent++;
    }
    return sent;
  }

  webSocketMessage(socket: HostedSocket, raw: string | ArrayBuffer): Promise<void> {
    return receiveSafely(socket, this.log, 'hub.message_failed', () => this.receive(socket, raw));
  }

  async webSocketClose(socket: HostedSocket, code: number): Promise<void> {
    closeReply(socket, code);
  }

  async webSocketError(socket: HostedSocket, error: unknown): Promise<void> {
    this.log.log('warn', 'hub.socket_error', { error: describe(error) });
    closeReply(socket, 1011);
  }

  /** One inbound frame: throttle, expiry, shape, session, then dispatch. */
  private async receive(socket: HostedSocket, raw: string | ArrayBuffer): Promise<void> {
    const state = stateOf<SocketState>(socket);
    if (!state) {
      this.end(socket, 'TOKEN_REVOKED', 'This socket has no authority', CLOSE.revoked);
      return;
    }
    const read = readFrame(raw);
    const id = read.ok ? read.frame.id : read.id;
    const now = this.clock.now().getTime();

    const throttled = throttle(socket, state, now, RATE);
    if (throttled.verdict === 'close') {
      this.end(socket, 'RATE_LIMITED', 'Too many frames; closing', CLOSE.flooded, id);
      return;
    }
    if (throttled.verdict === 'drop') {
      const message = `Too many frames; retry in ${throttled.retryAfter} s`;
      send(socket, errorFrame({ code: 'RATE_LIMITED', message }, id));
      return;
    }
    if (now >= state.expiresAt) {
      this.end(socket, 'TOKEN_EXPIRED', 'The access token has expired; reconnect with a fresh one', CLOSE.expired, id);
      return;
    }
    if (!read.ok) {
      send(socket, errorFrame({ code: read.code, message: read.message }, id));
      return;
    }

    const requestId = createIds(this.clock).id('req');
    let actor: Actor;
    try {
      ({ actor } = await checkSession(this.context(requestId), state));
    } catch (err) {
      if (err instanceof AppError) this.end(socket, err.code, err.message, CLOSE.revoked, id);
      else {
        this.log.log('error', 'hub.session_check_failed', { requestId, error: describe(err) });
        send(socket, errorFrame({ code: 'INTERNAL', message: 'Something went wrong', requestId }, id));
      }
      return;
    }
    await this.dispatch(socket, read.frame, withActor(this.context(requestId), actor));
  }

  /** Runs one well-formed frame from a socket whose authority was just checked. */
  private async dispatch(socket: HostedSocket, message: Frame, ctx: AuthedContext): Promise<void> {
    const { event, id } = message;
    if (event === 'ping') {
      send(socket, frame('pong', { at: ctx.clock.now().toISOString() }, id));
      return;
    }
    const handler: SocketEventHandler | undefined =
      event === 'auth:refresh' ? (c, data) => this.refresh(socket, c, data) : this.handlerOf(event);
    if (!handler) {
      send(socket, errorFrame({ code: 'UNKNOWN_EVENT', message: `Unknown event "${event}"` }, id, `${event}:error`));
      return;
    }
    try {
      const result = await handler(ctx, message.data ?? {});
      send(socket, frame(handler.reply ?? `${event}:success`, result ?? null, id));
    } catch (err) {
      send(socket, errorFrame(errorDataOf(err, ctx, 'hub.handler_failed'), id, `${event}:error`));
    }
  }

  /** A registered application event's handler (own keys only: `constructor` is not an event). */
  private handlerOf(event: string): SocketEventHandler | undefined {
    return Object.hasOwn(this.events, event) ? this.events[event] : undefined;
  }

  /**
   * `auth:refresh { token }`: a fresh access token of the same user extends the socket's authority to
   * that token's expiry (and moves it to the token's session).
   * @throws AppError VALIDATION_FAILED, TOKEN_INVALID (bad token or another user's), TOKEN_EXPIRED, TOKEN_REVOKED
   */
  private async refresh(socket: HostedSocket, ctx: AuthedContext, data: unknown): Promise<{ expiresAt: string }> {
    const parsed = RefreshData.safeParse(data);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(parsed.error, 'data') });
    }
    const { authority } = await authorityFromToken(ctx, parsed.data.token);
    const current = stateOf<SocketState>(socket);
    if (!current || authority.userId !== current.userId) {
      throw new AppError('TOKEN_INVALID', 'The token belongs to another account');
    }
    // Re-read right before writing: other frames may have moved the throttle counters meanwhile.
    socket.serializeAttachment({ ...current, ...authority } satisfies SocketState);
    return { expiresAt: new Date(authority.expiresAt).toISOString() };
  }

  /**
   * One session check per distinct (session, token version) among the sockets: 'ok', the refusal
   * (an AppError), or 'unknown' when D1 could not be asked (then nothing is sent, nothing closed).
   */
  private async sessionVerdicts(states: SocketState[]): Promise<Map<string, 'ok' | 'unknown' | AppError>> {
    const ctx = this.context(createIds(this.clock).id('req'));
    const distinct = new Map(states.map((state) => [sessionKey(state), state]));
    const verdicts = new Map<string, 'ok' | 'unknown' | AppError>();
    await Promise.all(
      [...distinct].map(async ([key, state]) => {
        try {
          await checkSession(ctx, state);
          verdicts.set(key, 'ok');
        } catch (err) {
          if (err instanceof AppError) verdicts.set(key, err);
          else {
            this.log.log('error', 'hub.session_check_failed', { error: describe(err) });
            verdicts.set(key, 'unknown');
          }
        }
      }),
    );
    return verdicts;
  }

  /** Sends a last error frame and closes the socket with `closeCode`. */
  private end(socket: HostedSocket, code: string, message: string, closeCode: number, id?: string): void {
    endSocket(socket, code, message, closeCode, id);
  }

  /** A context with no caller yet: `withActor` once the frame's session checked out. */
  private context(requestId: string): ServiceContext {
    return createContext(
      this.env,
      { ...this.deps, clock: this.clock },
      { requestId, waitUntil: (task) => this.host.waitUntil(task) },
    );
  }
}

const sessionKey = (state: SocketState) => `${state.sessionId}:${state.tokenVersion}`;
