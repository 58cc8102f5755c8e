import type { Env } from '../env';
import { videoRoomName } from '../platform/realtime';
import { cloudflareDeps } from '../runtime/cloudflare';
import { durableObjectHost, hibernatingAccept, responseOf } from './socket-host';
import { SocketObject } from './socket-object';
import { forwardedJoin, VideoRoomLogic } from './video-room';

/**
 * A video room on Workers: one Durable Object per visit (named `appointment:<id>`) running
 * `VideoRoomLogic` (src/realtime/video-room.ts) over the hibernation API and the object's storage, so it
 * may be evicted between any two frames.
 */
export class VideoRoom extends SocketObject<VideoRoomLogic> {
  protected readonly logic: VideoRoomLogic;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logic = new VideoRoomLogic(durableObjectHost(ctx), env, cloudflareDeps);
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
}
