import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { signAccessToken } from '../../src/access/tokens';
import type { UserRow } from '../../src/db/schema';
import type { UserHub } from '../../src/realtime/user-hub.do';
import { createSession, testEnv } from '../helpers';

/** A frame as the client sees it. */
export interface ReceivedFrame {
  event: string;
  data?: any;
  id?: string;
}

/** How long a test waits for a frame or a close before it fails (a safety net: tests never wait on time). */
const SAFETY_MS = 5_000;

export interface UpgradeOptions {
  /** The socket's path; default the user hub's, `/api/v1/realtime`. */
  path?: string;
  /** Sent as the subprotocols `kinwell.v1, bearer.<token>`. */
  token?: string;
  /** Sent as `?ticket=`. */
  ticket?: string;
  /** Replaces the whole `Sec-WebSocket-Protocol` offer. */
  protocols?: string[];
  /** Extra query string, e.g. `access_token=…`. */
  query?: Record<string, string>;
  /** Leave out `Upgrade: websocket`. */
  noUpgrade?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Sends the upgrade request through the real Worker (SELF) and returns its raw answer. */
export async function upgrade(options: UpgradeOptions = {}): Promise<Response> {
  const url = new URL(options.path ?? '/api/v1/realtime', 'http://localhost');
  if (options.ticket) url.searchParams.set('ticket', options.ticket);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const headers = new Headers(options.headers);
  if (!options.noUpgrade) headers.set('upgrade', 'websocket');
  const protocols = options.protocols ?? (options.token ? ['kinwell.v1', `bearer.${options.token}`] : []);
  if (protocols.length) headers.set('sec-websocket-protocol', protocols.join(', '));
  return SELF.fetch(url, { headers });
}

/**
 * The client end of one socket: every frame it receives is kept in order, and `next` hands them out
 * one by one (a frame taken by one `next` is not seen by another).
 */
export class TestSocket {
  readonly frames: ReceivedFrame[] = [];
  private readonly unread: ReceivedFrame[] = [];
  private readonly waiters: { match: (f: ReceivedFrame) => boolean; resolve: (f: ReceivedFrame) => void }[] = [];
  private closeEvent: { code: number; reason: string } | null = null;
  private readonly closeWaiters: ((e: { code: number; reason: string }) => void)[] = [];

  constructor(
    readonly ws: WebSocket,
    /** The `Sec-WebSocket-Protocol` the server selected (null when none). */
    readonly protocol: string | null,
  ) {
    ws.addEventListener('message', (e) => {
      const received = JSON.parse(e.data as string) as ReceivedFrame;
      this.frames.push(received);
      const waiter = this.waiters.findIndex((w) => w.match(received));
      if (waiter >= 0) this.waiters.splice(waiter, 1)[0]!.resolve(received);
      else this.unread.push(received);
    });
    ws.addEventListener('close', (e) => {
      this.closeEvent = { code: e.code, reason: e.reason };
      for (const resolve of this.closeWaiters.splice(0)) resolve(this.closeEvent);
    });
  }

  /** Sends a frame (an object is JSON-encoded; a string or bytes go as they are). */
  send(message: object | string | ArrayBuffer): void {
    this.ws.send(typeof message === 'string' || message instanceof ArrayBuffer ? message : JSON.stringify(message));
  }

  /** The next unread frame with this event (or matching the predicate); fails the test after a safety timeout. */
  next(match?: string | ((f: ReceivedFrame) => boolean)): Promise<ReceivedFrame> {
    const test = typeof match === 'function' ? match : (f: ReceivedFrame) => match === undefined || f.event === match;
    const index = this.unread.findIndex(test);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match: test,
        resolve: (f: ReceivedFrame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`No frame ${String(match ?? '(any)')} within ${SAFETY_MS} ms; got ${JSON.stringify(this.frames)}`),
        );
      }, SAFETY_MS);
      this.waiters.push(waiter);
    });
  }

  /** Sends `{ event, data, id }` and resolves with the reply that echoes `id`. */
  async request(event: string, data: unknown, id = `r${Math.random().toString(36).slice(2)}`): Promise<ReceivedFrame> {
    this.send({ event, data, id });
    return this.next((f) => f.id === id);
  }

  /** Resolves with the close code and reason once the server closed the socket. */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.closeEvent) return Promise.resolve(this.closeEvent);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Socket not closed within ${SAFETY_MS} ms`)), SAFETY_MS);
      this.closeWaiters.push((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }

  /** Frames received but not handed out by `next` yet. */
  pending(): ReceivedFrame[] {
    return [...this.unread];
  }

  close(): void {
    try {
      this.ws.close(1000, 'test done');
    } catch {
      // Already closed.
    }
  }
}

/** Opens a socket through the Worker (`token` by subprotocol, or `ticket`) and expects 101. */
export async function openSocket(options: UpgradeOptions): Promise<TestSocket> {
  const res = await upgrade(options);
  expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  return new TestSocket(ws, res.headers.get('sec-websocket-protocol'));
}

/** A round trip proving the socket is open and its hub answers: ping with an id, pong echoing it. */
export async function roundTrip(socket: TestSocket): Promise<void> {
  const pong = await socket.request('ping', {});
  expect(pong.event).toBe('pong');
}

/** A signed-in device of `user`: a fresh session and an access token issued at `now`. */
export async function device(
  user: Pick<UserRow, 'id' | 'role' | 'tokenVersion'>,
  now = new Date(),
): Promise<{ token: string; sessionId: string }> {
  const sessionId = await createSession(user.id, now);
  const token = await signAccessToken(
    testEnv,
    { sub: user.id, role: user.role, sid: sessionId, ver: user.tokenVersion },
    now,
  );
  return { token, sessionId };
}

/** The user's hub, as the Worker addresses it. */
export function hubOf(userId: string): DurableObjectStub<UserHub> {
  return testEnv.USER_HUB.get(testEnv.USER_HUB.idFromName(userId)) as DurableObjectStub<UserHub>;
}
