import type { SocketEventHandler, SocketEventMap } from '../http/socket-events';

export type { SocketEventHandler, SocketEventMap };

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
