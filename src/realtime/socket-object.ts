import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import type { Clock } from '../lib/clock';
import { KEEPALIVE } from './protocol';
import type { SocketOwner } from './socket-host';

/**
 * What the user hub's and the video rooms' Durable Objects share: they run their logic (`logic`, made
 * in the subclass's constructor) and hand it every socket event the runtime delivers, but the
 * keep-alive, which the runtime answers itself without waking the object.
 */
export abstract class SocketObject<L extends SocketOwner & { clock: Clock }> extends DurableObject<Env> {
  protected abstract readonly logic: L;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE.request, KEEPALIVE.response));
  }

  /** Time source; tests replace it through `runInDurableObject` (e.g. to move past a token's expiry). */
  get clock(): Clock {
    return this.logic.clock;
  }
  set clock(clock: Clock) {
    this.logic.clock = clock;
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
