import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { type Actor, type AuthedContext, createContext, type ServiceContext, withActor } from '../context';
import type { Env } from '../env';
import { fieldErrors } from '../http/hono';
import { type Clock, systemClock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { createIds } from '../lib/ids';
import { createLogger } from '../lib/log';
import { botSocketEvents } from '../modules/bot/bot.events';
import { caregiverSocketEvents } from '../modules/caregivers/caregivers.events';
import type { PushEventName, PushEvents } from '../platform/realtime-events';
import { cloudflareDeps } from '../runtime/cloudflare';
import { type SocketEventHandler, type SocketEventMap, socketEvents } from './events';
import { authorityFromToken, checkSession, type SocketAuthority } from './hub-auth';
import { CLOSE, closeReply, errorFrame, type Frame, frame, KEEPALIVE, RATE, readFrame } from './protocol';
import {
  describe,
  endSocket,
  errorDataOf,
  forwardedUpgrade,
  send,
  stateOf,
  type Throttled,
  throttle,
} from './socket-core';

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
 * One object per user (named by the user id): holds that user's WebSockets with the hibernation API,
 * so idle sockets cost nothing, dispatches the frames they send and fans pushes out to them.
 *
 * Authority: the Worker authenticates before the upgrade; the hub then checks, on every frame, the
 * token's expiry (clock only) and the session in D1 (revoked, ended, token version bumped, account
 * blocked or removed), and on every push the expiry and the session. Nothing lives only in memory:
 * per-socket state is each socket's attachment, so the object can be evicted between any two frames.
 */
export class UserHub extends DurableObject<Env> {
  /** Time source; tests replace it through `runInDurableObject` to move past a token's expiry. */
  clock: Clock = systemClock;
  /** The dispatch table; tests may replace it the same way. */
  events: SocketEventMap = HUB_EVENTS;
  private readonly log = createLogger({ component: 'user-hub' });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE.request, KEEPALIVE.response));
  }

  /** Accepts a socket upgrade forwarded by the Worker, which has authenticated the user. */
  override async fetch(request: Request): Promise<Response> {
    const upgrade = forwardedUpgrade(request);
    if ('refusal' in upgrade) return upgrade.refusal;
    const { authority } = upgrade;
    if (!this.ctx.id.equals(this.env.USER_HUB.idFromName(authority.userId))) {
      return new Response('This hub belongs to another user', { status: 403 });
    }
    const now = this.clock.now().getTime();
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const state: SocketState = { ...authority, connectedAt: now, windowStart: now, windowCount: 0 };
    server.serializeAttachment(state);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends one event to every open socket of this user whose authority holds: a socket past its token's
   * expiry is closed with 4401, one whose session was revoked with 4403, and neither receives it.
   * Resolves with how many sockets received it.
   */
  async emit<E extends PushEventName>(event: E, data: PushEvents[E]): Promise<number> {
    const now = this.clock.now().getTime();
    const live: [WebSocket, SocketState][] = [];
    for (const socket of this.ctx.getWebSockets()) {
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

  override async webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    try {
      await this.receive(socket, raw);
    } catch (err) {
      // Nothing escapes: a throw here would reset the object and every socket it holds.
      this.log.log('error', 'hub.message_failed', { error: describe(err) });
      send(socket, errorFrame({ code: 'INTERNAL', message: 'Something went wrong' }));
    }
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    closeReply(socket, code);
  }

  override async webSocketError(socket: WebSocket, error: unknown): Promise<void> {
    this.log.log('warn', 'hub.socket_error', { error: describe(error) });
    closeReply(socket, 1011);
  }

  /** One inbound frame: throttle, expiry, shape, session, then dispatch. */
  private async receive(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
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
  private async dispatch(socket: WebSocket, message: Frame, ctx: AuthedContext): Promise<void> {
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
  private async refresh(socket: WebSocket, ctx: AuthedContext, data: unknown): Promise<{ expiresAt: string }> {
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
  private end(socket: WebSocket, code: string, message: string, closeCode: number, id?: string): void {
    endSocket(socket, code, message, closeCode, id);
  }

  /** A context with no caller yet: `withActor` once the frame's session checked out. */
  private context(requestId: string): ServiceContext {
    return createContext(
      this.env,
      { ...cloudflareDeps, clock: this.clock },
      { requestId, waitUntil: (task) => this.ctx.waitUntil(task) },
    );
  }
}

const sessionKey = (state: SocketState) => `${state.sessionId}:${state.tokenVersion}`;
