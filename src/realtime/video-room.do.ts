import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import type { Clock } from '../lib/clock';
import { videoRoomName } from '../platform/realtime';
import { cloudflareDeps } from '../runtime/cloudflare';
import { KEEPALIVE } from './protocol';
import { durableObjectHost, hibernatingAccept, responseOf } from './socket-host';
import { forwardedJoin, VideoRoomLogic } from './video-room';

/**
 * A video room on Workers: one Durable Object per visit (named `appointment:<id>`) running
 * `VideoRoomLogic` (src/realtime/video-room.ts) over the hibernation API and the object's storage, so it
 * may be evicted between any two frames.
 */
export class VideoRoom extends DurableObject<Env> {
  private readonly logic: VideoRoomLogic;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(KEEPALIVE.request, KEEPALIVE.response));
    this.logic = new VideoRoomLogic(durableObjectHost(ctx), env, cloudflareDeps);
  }

  /** Time source; tests replace it through `runInDurableObject`. */
  get clock(): Clock {
    return this.logic.clock;
  }
  set clock(clock: Clock) {
    this.logic.clock = clock;
  }

  /** Accepts a socket upgrade forwarded by the Worker, which has authenticated the user and granted the seat. */
  override async fetch(request: Request): Promise<Response> {
    const join = forwardedJoin(request);
    if ('refusal' in join) return join.refusal;
    if (!this.ctx.id.equals(this.env.CALL_ROOM.idFromName(videoRoomName(join.seat.appointmentId)))) {
      return new Response('This room belongs to another visit', { status: 403 });
    }
    return responseOf(await this.logic.open(join.authority, join.seat, hibernatingAccept(this.ctx)));
  }

  /** RPC from the Worker (the realtime port's `closeRoom`): see `VideoRoomLogic.close`. */
  close(reason: string): Promise<void> {
    return this.logic.close(reason);
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
