import type { AuthedContext } from '../context';

/**
 * A socket event a client may send: it validates `data` itself (zod), runs the same service as the
 * matching REST route with the socket's caller as `ctx.actor`, and returns the payload of the
 * `<event>:success` reply. An AppError it throws becomes the `<event>:error` reply (code, message,
 * field errors). Pushes to other users go through `ctx.ports.realtime.notify` inside the service, so
 * REST and socket callers trigger the same notifications.
 */
export type SocketEventHandler = (ctx: AuthedContext, data: unknown) => Promise<unknown>;

export type SocketEventMap = Record<string, SocketEventHandler>;

/**
 * Every application event the hub dispatches, by name. Modules export their map and it is merged
 * here; the hub itself also answers `ping` and `auth:refresh` (src/realtime/user-hub.do.ts).
 */
export function socketEvents(...maps: SocketEventMap[]): SocketEventMap {
  const all: SocketEventMap = {};
  for (const map of maps) {
    for (const [name, handler] of Object.entries(map)) {
      if (Object.hasOwn(all, name)) throw new Error(`Socket event registered twice: ${name}`);
      all[name] = handler;
    }
  }
  return all;
}
