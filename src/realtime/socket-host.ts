/**
 * What the user hub and the video rooms need from whatever holds their sockets, so their logic runs the
 * same on Workers (a Durable Object with the hibernation API: src/realtime/*.do.ts) and on Bun and Deno
 * (one process holding them in memory: src/runtime/portable/sockets.ts). The shapes are the subset of
 * Cloudflare's own that the logic uses, so a Durable Object's WebSocket and storage fit unchanged.
 */

/** One accepted server-side socket. */
export interface HostedSocket {
  /** `WebSocket.OPEN` (1) until the server closes it (2) or the peer has (3). */
  readonly readyState: number;
  /** Throws when the socket is no longer open. */
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Per-socket state that outlives the object holding it (structured-cloned). */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** The object's own key-value state (a Durable Object's storage). */
export interface HostStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(keys: string | string[]): Promise<unknown>;
  /** The entries whose key starts with `prefix`. */
  list<T>(options: { prefix: string }): Promise<Map<string, T>>;
}

/** The object holding the sockets. */
export interface SocketHost {
  /** The accepted sockets not yet closed, or only those accepted with `tag`. */
  sockets(tag?: string): HostedSocket[];
  storage: HostStorage;
  /** Keeps `task` running after the event that started it has been answered. */
  waitUntil(task: Promise<unknown>): void;
}

/**
 * Accepts the socket being upgraded, tagged with `tags`: the socket to keep, and the response that
 * completes the upgrade (on Workers, 101 with the client end).
 */
export type AcceptSocket = (tags: string[]) => { socket: HostedSocket; response: Response };

/** An object's answer to an upgrade: the accepted socket's response, or its refusal (an HTTP status). */
export type OpenResult = { accepted: Response } | { refused: Response };

/** What a socket host delivers to the hub or room that owns a socket. */
export interface SocketOwner {
  webSocketMessage(socket: HostedSocket, raw: string | ArrayBuffer): Promise<void>;
  webSocketClose(socket: HostedSocket, code: number): Promise<void>;
  webSocketError(socket: HostedSocket, error: unknown): Promise<void>;
}

/** The host of a Durable Object: its WebSockets, storage and waitUntil. */
export function durableObjectHost(state: DurableObjectState): SocketHost {
  return {
    sockets: (tag) => state.getWebSockets(tag),
    storage: {
      get: (key) => state.storage.get(key),
      put: (key, value) => state.storage.put(key, value),
      delete: (keys) => (typeof keys === 'string' ? state.storage.delete(keys) : state.storage.delete(keys)),
      list: (options) => state.storage.list(options),
    },
    waitUntil: (task) => state.waitUntil(task),
  };
}

/** Accepts with the hibernation API: a WebSocketPair whose server end the object keeps. */
export function hibernatingAccept(state: DurableObjectState): AcceptSocket {
  return (tags) => {
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    state.acceptWebSocket(server, tags);
    return { socket: server, response: new Response(null, { status: 101, webSocket: client }) };
  };
}

/** The Durable Object's answer to the Worker's forwarded upgrade. */
export const responseOf = (result: OpenResult): Response => ('accepted' in result ? result.accepted : result.refused);
