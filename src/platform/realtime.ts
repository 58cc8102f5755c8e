import type { Env } from '../env';
import type { PushEventName, PushEvents } from './realtime-events';

/** Port: pushes an event to a user's open sockets (their USER_HUB Durable Object). */
export interface RealtimePort {
  /**
   * Sends `{ event, data }` to every socket the user has open and whose authority is still valid.
   * `event` is one of the pushed events of src/realtime/push-events.ts, with its payload. Resolves with
   * how many sockets received it; 0 when none is open (callers store what matters first, so nothing is
   * lost). Never throws for an unreachable hub: the push is best effort.
   */
  notify<E extends PushEventName>(userId: string, event: E, data: PushEvents[E]): Promise<number>;
}

/** What the hub exposes over RPC to the Worker (see src/realtime/user-hub.do.ts). */
export interface UserHubRpc {
  emit<E extends PushEventName>(event: E, data: PushEvents[E]): Promise<number>;
}

/** The adapter over the USER_HUB namespace: one object per user, named by the user id. */
export function durableObjectRealtime(namespace: Env['USER_HUB'], onError: (err: unknown) => void): RealtimePort {
  return {
    async notify(userId, event, data) {
      try {
        const stub = namespace.get(namespace.idFromName(userId)) as unknown as UserHubRpc;
        return await stub.emit(event, data);
      } catch (err) {
        onError(err);
        return 0;
      }
    },
  };
}
