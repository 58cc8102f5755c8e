import type { Env } from '../env';
import type { PushEventName, PushEvents } from '../platform/realtime-events';
import { cloudflareDeps } from '../runtime/cloudflare';
import type { SocketEventMap } from './events';
import { forwardedUpgrade } from './socket-core';
import { durableObjectHost, hibernatingAccept, responseOf } from './socket-host';
import { SocketObject } from './socket-object';
import { UserHubLogic } from './user-hub';

/**
 * The user hub on Workers: one Durable Object per user (named by the user id) running `UserHubLogic`
 * (src/realtime/user-hub.ts) over the hibernation API, so idle sockets cost nothing and any frame may
 * wake a fresh object: everything it needs is in the sockets' attachments.
 */
export class UserHub extends SocketObject<UserHubLogic> {
  protected readonly logic: UserHubLogic;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logic = new UserHubLogic(durableObjectHost(ctx), env, cloudflareDeps);
  }

  /** The dispatch table; tests replace it through `runInDurableObject`. */
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
}
