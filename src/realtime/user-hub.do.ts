import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import type { Clock } from '../lib/clock';
import type { PushEventName, PushEvents } from '../platform/realtime-events';
import { cloudflareDeps } from '../runtime/cloudflare';
import type { SocketEventMap } from './events';
import { KEEPALIVE } from './protocol';
import { forwardedUpgrade } from './socket-core';
import { durableObjectHost, hibernatingAccept, responseOf } from './socket-host';
import { UserHubLogic } from './user-hub';

/**
 * The user hub on Workers: one Durable Object per user (named by the user id) running `UserHubLogic`
 * (src/realtime/user-hub.ts) over the hibernation API, so idle sockets cost nothing and any frame may
 * wake a fresh object: everything it needs is in the sockets' attachments.
 */
export class UserHub extends DurableObject<Env> {
  private readonly logic: UserHubLogic;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE.request, KEEPALIVE.response));
    this.logic = new UserHubLogic(durableObjectHost(ctx), env, cloudflareDeps);
  }

  /** Time source; tests replace it through `runInDurableObject` to move past a token's expiry. */
  get clock(): Clock {
    return this.logic.clock;
  }
  set clock(clock: Clock) {
    this.logic.clock = clock;
  }

  /** The dispatch table; tests may replace it the same way. */
  get events(): SocketEventMap {
    return this.logic.events;
  }
  set events(events: SocketEventMap) {
    this.logic.events = events;
  }

  /** Accepts a socket upgrade forwarded by the Worker, which has authenticated the user. */
  override async fetch(request: Request): Promise<Response> {
    const upgrade = forwardedUpgrade(request);
    if ('refusal' in upgrade) return upgrade.refusal;
    if (!this.ctx.id.equals(this.env.USER_HUB.idFromName(upgrade.authority.userId))) {
      return new Response('This hub belongs to another user', { status: 403 });
    }
    return responseOf(this.logic.open(upgrade.authority, hibernatingAccept(this.ctx)));
  }

  /** RPC from the Worker (the realtime port's `notify`): see `UserHubLogic.emit`. */
  emit<E extends PushEventName>(event: E, data: PushEvents[E]): Promise<number> {
    return this.logic.emit(event, data);
  }

  override webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    return this.logic.webSocketMessage(socket, raw);
  }

  override webSocketClose(socket: WebSocket, code: number): Promise<void> {
    return this.logic.webSocketClose(socket, code);
  }

  override webSocketError(socket: WebSocket, error: unknown): Promise<void> {
    return this.logic.webSocketError(socket, error);
  }
}
