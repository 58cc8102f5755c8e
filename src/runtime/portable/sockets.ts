/**
 * Real time on Bun and Deno: the process holds every user hub and video room in memory and runs the
 * same `UserHubLogic` and `VideoRoomLogic` as the Durable Objects do on Workers, so the protocol, the
 * per-frame authority and the throttling are identical. The entry supplies `Upgrade`, its runtime's
 * WebSocket upgrade (`Bun.serve`'s `server.upgrade`, `Deno.upgradeWebSocket`).
 *
 * One process only: a push reaches the sockets this process holds, so several instances behind a load
 * balancer would need a pub/sub service between them (docs/runtimes.md). Nothing hibernates: an idle
 * socket holds its connection and a little memory. A room's state (consents, recording, early ICE
 * candidates) lives in the process until its visit ends, or a day after the last person left.
 */

import type { AppDeps } from '../../context';
import type { Env } from '../../env';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { Handshake, RealtimePort, SocketAnswer } from '../../platform/realtime';
import { videoRoomName } from '../../platform/realtime';
import { authorityFromHeaders } from '../../realtime/hub-auth';
import { KEEPALIVE } from '../../realtime/protocol';
import type {
  AcceptSocket,
  HostedSocket,
  HostStorage,
  OpenResult,
  SocketHost,
  SocketOwner,
} from '../../realtime/socket-host';
import { UserHubLogic } from '../../realtime/user-hub';
import { joinOf, KEY as ROOM_KEY, VideoRoomLogic } from '../../realtime/video-room';

/** One upgraded connection as the runtime hands it over. */
export interface RawSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** What the entry reports about one upgraded connection. */
export interface ConnectionEvents {
  open(raw: RawSocket): void;
  message(data: string | ArrayBuffer): void;
  close(code: number): void;
  error(error: unknown): void;
}

/**
 * The runtime's upgrade: switches `request` to a WebSocket answering the subprotocol `protocol` (when
 * given) and reports the connection to `events`; returns the response the fetch handler returns, or
 * null when the request cannot be upgraded.
 */
export type Upgrade = (request: Request, protocol: string | undefined, events: ConnectionEvents) => Response | null;

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A server-side socket as the hub and rooms see it (a Durable Object's WebSocket, in shape): open from
 * the moment it is accepted, so frames sent before the runtime reports the connection open are queued,
 * and its attachment is structured-cloned as Cloudflare's is.
 */
export class PortableSocket implements HostedSocket {
  readyState = OPEN;
  private raw: RawSocket | null = null;
  private queued: string[] = [];
  private closeWith: [number | undefined, string | undefined] | null = null;
  private attachment: unknown = null;

  constructor(readonly tags: readonly string[]) {}

  send(text: string): void {
    if (this.readyState !== OPEN) throw new TypeError('WebSocket is not open');
    if (this.raw) this.raw.send(text);
    else this.queued.push(text);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    if (this.raw) this.raw.close(code, reason);
    else this.closeWith = [code, reason];
  }

  serializeAttachment(value: unknown): void {
    this.attachment = value === null || value === undefined ? null : structuredClone(value);
  }

  deserializeAttachment(): unknown {
    return this.attachment === null ? null : structuredClone(this.attachment);
  }

  /** The runtime opened the connection: flushes what was sent meanwhile. */
  opened(raw: RawSocket): void {
    this.raw = raw;
    for (const text of this.queued) raw.send(text);
    this.queued = [];
    if (this.closeWith) raw.close(...this.closeWith);
  }

  /** The connection is gone. */
  closed(): void {
    this.readyState = CLOSED;
    this.raw = null;
  }
}

/** A Durable Object's storage, in memory: values are structured-cloned in and out, as they are stored. */
export function memoryStorage(): HostStorage & { size(): number; has(key: string): boolean } {
  const entries = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => (entries.has(key) ? (structuredClone(entries.get(key)) as T) : undefined),
    put: async (key, value) => {
      entries.set(key, structuredClone(value));
    },
    delete: async (keys) => {
      let deleted = 0;
      for (const key of typeof keys === 'string' ? [keys] : keys) if (entries.delete(key)) deleted++;
      return deleted;
    },
    list: async <T>({ prefix }: { prefix: string }) =>
      new Map(
        [...entries]
          .filter(([key]) => key.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, value]) => [key, structuredClone(value) as T]),
      ),
    size: () => entries.size,
    has: (key) => entries.has(key),
  };
}

/** One hub or room held by the process: its logic, its sockets and its storage. */
interface Held<L extends SocketOwner> {
  logic: L;
  sockets: Set<PortableSocket>;
  storage: ReturnType<typeof memoryStorage>;
  /** When its last socket went, while it is kept for its storage (epoch ms); null while it holds sockets. */
  emptySince: number | null;
}

/**
 * How long a room nobody is in is kept for what it stored (consents, a recording, negotiation) when its
 * visit never ended through it: a day, longer than any visit's window, after which the process forgets
 * it (what matters is in the database).
 */
export const IDLE_ROOM_KEPT_MS = 24 * 60 * 60_000;

/** The hubs and rooms the process holds, and the realtime port over them. */
export interface SocketObjects {
  /** The realtime port of the portable adapters. */
  port(env: Env): RealtimePort;
  /** How many hubs and rooms, and sockets in all, the process holds (for tests and logs). */
  counts(): { hubs: number; rooms: number; sockets: number };
  /** Forgets the rooms nobody has been in for IDLE_ROOM_KEPT_MS (the entry's cron runs it); returns how many. */
  sweep(): number;
  /** Closes every socket the process holds with `code` (a stopping server: 1001, going away); returns how many. */
  closeAll(code: number, reason: string): number;
}

/**
 * Holds the hubs and rooms of one process. `deps` is read when an object is first made (the app's
 * dependencies, which hold the adapters this port is part of).
 */
export function socketObjects(options: { upgrade: Upgrade; deps: () => AppDeps; log: Logger }): SocketObjects {
  const { upgrade, log } = options;
  const hubs = new Map<string, Held<UserHubLogic>>();
  const rooms = new Map<string, Held<VideoRoomLogic>>();
  const now = () => options.deps().clock.now().getTime();
  const failed = (event: string) => (err: unknown) => log.log('error', event, { error: String(err) });

  function hold<L extends SocketOwner>(
    map: Map<string, Held<L>>,
    name: string,
    make: (host: SocketHost) => L,
  ): Held<L> {
    const existing = map.get(name);
    if (existing) return existing;
    const sockets = new Set<PortableSocket>();
    const storage = memoryStorage();
    const host: SocketHost = {
      sockets: (tag) => [...sockets].filter((socket) => tag === undefined || socket.tags.includes(tag)),
      storage,
      waitUntil: (task) => void task.catch(failed('realtime.wait_until_failed')),
    };
    const held: Held<L> = { logic: make(host), sockets, storage, emptySince: null };
    map.set(name, held);
    return held;
  }

  /**
   * Forgets an object once it holds no sockets and its storage says nothing a later join needs: a hub
   * always (it stores nothing), a room when it stored nothing or it ended (D1 then refuses joins).
   */
  function release<L extends SocketOwner>(map: Map<string, Held<L>>, name: string): void {
    const held = map.get(name);
    if (!held || held.sockets.size > 0) return;
    if (held.storage.size() === 0 || held.storage.has(ROOM_KEY.ended)) map.delete(name);
  }

  /** The runtime reported `socket` gone: it is no longer held (and its object empty since now, if it was the last). */
  function dropped<L extends SocketOwner>(held: Held<L>, socket: PortableSocket): void {
    socket.closed();
    held.sockets.delete(socket);
    if (held.sockets.size === 0) held.emptySince = now();
  }

  function accept<L extends SocketOwner>(held: Held<L>, handshake: Handshake, onGone: () => void): AcceptSocket {
    return (tags) => {
      const socket = new PortableSocket(tags);
      const response = upgrade(handshake.request, handshake.protocol, {
        open: (raw) => socket.opened(raw),
        message: (data) => {
          // What a Durable Object's auto-response does: the keep-alive is answered without the logic.
          if (data === KEEPALIVE.request) send(socket, KEEPALIVE.response);
          else held.logic.webSocketMessage(socket, data).catch(failed('realtime.message_failed'));
        },
        close: (code) => {
          dropped(held, socket);
          held.logic.webSocketClose(socket, code).catch(failed('realtime.close_failed')).finally(onGone);
        },
        error: (error) => {
          dropped(held, socket);
          held.logic.webSocketError(socket, error).catch(failed('realtime.error_failed')).finally(onGone);
        },
      });
      if (!response) throw new AppError('UPGRADE_REQUIRED', 'Connect with a WebSocket upgrade (Upgrade: websocket)');
      held.sockets.add(socket);
      held.emptySince = null;
      return { socket, response };
    };
  }

  const answer = (result: OpenResult): SocketAnswer =>
    'accepted' in result ? result : { refused: result.refused.status };

  return {
    port(env) {
      const deps = () => options.deps();
      return {
        async notify(userId, event, data) {
          const held = hubs.get(userId);
          if (!held) return 0;
          try {
            return await held.logic.emit(event, data);
          } catch (err) {
            failed('realtime.notify_failed')(err);
            return 0;
          }
        },
        async connect(userId, headers, handshake) {
          // The trusted headers the route wrote, read as a Durable Object reads them (src/realtime/hub-auth.ts).
          const authority = authorityFromHeaders(new Headers(headers));
          if (!authority) return { refused: 400 };
          if (authority.userId !== userId) return { refused: 403 };
          const held = hold(hubs, userId, (host) => new UserHubLogic(host, env, deps()));
          try {
            return answer(
              held.logic.open(
                authority,
                accept(held, handshake, () => release(hubs, userId)),
              ),
            );
          } finally {
            release(hubs, userId);
          }
        },
        async joinRoom(appointmentId, headers, handshake) {
          const trusted = new Headers(headers);
          const authority = authorityFromHeaders(trusted);
          const join = authority && joinOf(authority, trusted);
          if (!join) return { refused: 400 };
          if (join.seat.appointmentId !== appointmentId) return { refused: 403 };
          const name = videoRoomName(appointmentId);
          const held = hold(rooms, name, (host) => new VideoRoomLogic(host, env, deps()));
          const gone = () => release(rooms, name);
          try {
            return answer(await held.logic.open(join.authority, join.seat, accept(held, handshake, gone)));
          } finally {
            gone();
          }
        },
        async closeRoom(appointmentId, reason) {
          const name = videoRoomName(appointmentId);
          const held = rooms.get(name);
          if (!held) return;
          try {
            await held.logic.close(reason);
          } catch (err) {
            failed('realtime.close_room_failed')(err);
          } finally {
            release(rooms, name);
          }
        },
      };
    },
    closeAll(code, reason) {
      let closed = 0;
      for (const held of [...hubs.values(), ...rooms.values()]) {
        for (const socket of held.sockets) {
          try {
            socket.close(code, reason);
            closed++;
          } catch {
            // Already going.
          }
        }
      }
      return closed;
    },
    sweep() {
      let forgotten = 0;
      for (const [name, held] of rooms) {
        if (held.sockets.size === 0 && held.emptySince !== null && now() - held.emptySince >= IDLE_ROOM_KEPT_MS) {
          rooms.delete(name);
          forgotten++;
        }
      }
      return forgotten;
    },
    counts: () => ({
      hubs: hubs.size,
      rooms: rooms.size,
      sockets: [...hubs.values(), ...rooms.values()].reduce((sum, held) => sum + held.sockets.size, 0),
    }),
  };
}

function send(socket: HostedSocket, text: string): void {
  try {
    socket.send(text);
  } catch {
    // The peer went meanwhile.
  }
}
