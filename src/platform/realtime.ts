import type { Env } from '../env';
import type { PushEventName, PushEvents } from './realtime-events';

/** The socket upgrade a route completes: the client's request, and the subprotocol to answer with (if any). */
export interface Handshake {
  request: Request;
  protocol?: string;
}

/**
 * A hub's or room's answer to an upgrade: the response that completes it (on Workers, 101 with the
 * socket; the entry's own on Bun and Deno), or the HTTP status it refused with (410: the visit ended).
 */
export type SocketAnswer = { accepted: Response } | { refused: number };

/** Port: pushes an event to a user's open sockets (their USER_HUB Durable Object). */
export interface RealtimePort {
  /**
   * Sends `{ event, data }` to every socket the user has open and whose authority is still valid.
   * `event` is one of the pushed events of src/realtime/push-events.ts, with its payload. Resolves with
   * how many sockets received it; 0 when none is open (callers store what matters first, so nothing is
   * lost). Never throws for an unreachable hub: the push is best effort.
   */
  notify<E extends PushEventName>(userId: string, event: E, data: PushEvents[E]): Promise<number>;
  /**
   * Hands an authenticated WebSocket upgrade to the user's hub with the trusted `headers` that carry
   * its authority (src/realtime/hub-auth.ts), and resolves with the hub's answer.
   */
  connect(userId: string, headers: Record<string, string>, handshake: Handshake): Promise<SocketAnswer>;
  /**
   * Hands an authenticated WebSocket upgrade to the video room of `appointmentId`
   * (src/realtime/video-room.ts) with the trusted `headers` carrying the socket's authority and seat;
   * resolves with the room's answer.
   */
  joinRoom(appointmentId: string, headers: Record<string, string>, handshake: Handshake): Promise<SocketAnswer>;
  /**
   * Closes the video room of `appointmentId` because the appointment became `reason` (cancelled,
   * rejected, …) outside it: everyone in it is told and disconnected. Best effort, never throws.
   */
  closeRoom(appointmentId: string, reason: string): Promise<void>;
}

/** The Durable Object name of an appointment's video room. */
export const videoRoomName = (appointmentId: string) => `appointment:${appointmentId}`;

/** What a video room exposes over RPC to the Worker. */
export interface VideoRoomRpc {
  close(reason: string): Promise<void>;
}

/** What the hub exposes over RPC to the Worker (see src/realtime/user-hub.do.ts and user-hub.ts). */
export interface UserHubRpc {
  emit<E extends PushEventName>(event: E, data: PushEvents[E]): Promise<number>;
}

/**
 * The Cloudflare adapter over the USER_HUB namespace (one Durable Object per user, named by the user id)
 * and the CALL_ROOM namespace (one per video room, named by the room).
 */
export function durableObjectRealtime(
  namespace: Env['USER_HUB'],
  rooms: Env['CALL_ROOM'],
  onError: (err: unknown) => void,
): RealtimePort {
  const hubOf = (userId: string) => namespace.get(namespace.idFromName(userId));
  const roomOf = (appointmentId: string) => rooms.get(rooms.idFromName(videoRoomName(appointmentId)));
  return {
    async notify(userId, event, data) {
      try {
        return await (hubOf(userId) as unknown as UserHubRpc).emit(event, data);
      } catch (err) {
        onError(err);
        return 0;
      }
    },
    async connect(userId, headers, { protocol }) {
      const res = await hubOf(userId).fetch('https://user-hub/connect', {
        headers: { upgrade: 'websocket', ...headers },
      });
      return answerOf(res, protocol);
    },
    async joinRoom(appointmentId, headers, { protocol }) {
      const res = await roomOf(appointmentId).fetch('https://video-room/join', {
        headers: { upgrade: 'websocket', ...headers },
      });
      return answerOf(res, protocol);
    },
    async closeRoom(appointmentId, reason) {
      try {
        await (roomOf(appointmentId) as unknown as VideoRoomRpc).close(reason);
      } catch (err) {
        onError(err);
      }
    },
  };
}

/** A Durable Object's answer to a forwarded upgrade, as the route returns it to the client. */
function answerOf(res: Response, protocol: string | undefined): SocketAnswer {
  if (res.status !== 101 || !res.webSocket) return { refused: res.status };
  const headers: Record<string, string> = protocol ? { 'sec-websocket-protocol': protocol } : {};
  return { accepted: new Response(null, { status: 101, webSocket: res.webSocket, headers }) };
}
