import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { UserRow } from '../../src/db/schema';
import { authorityHeaders } from '../../src/realtime/hub-auth';
import { createSession, createUser } from '../helpers';

function nextMessage(socket: WebSocket): Promise<any> {
  return new Promise((resolve) =>
    socket.addEventListener('message', (e) => resolve(JSON.parse(e.data as string)), { once: true }),
  );
}

async function connect(
  namespace: DurableObjectNamespace,
  name: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  const stub = namespace.get(namespace.idFromName(name));
  const res = await stub.fetch('https://do/connect', { headers: { upgrade: 'websocket', ...headers } });
  expect(res.status).toBe(101);
  const socket = res.webSocket!;
  socket.accept();
  return socket;
}

/** The authority the Worker hands the hub after authenticating `user` (see src/realtime/realtime.routes.ts). */
async function hubAuthority(user: UserRow) {
  const sessionId = await createSession(user.id);
  return authorityHeaders({
    userId: user.id,
    sessionId,
    tokenVersion: 0,
    role: user.role,
    expiresAt: Date.now() + 60_000,
  });
}

describe('durable objects', () => {
  it('UserHub Should answer ping with pong, refuse bad frames, and emit to open sockets', async () => {
    const user = await createUser();
    const socket = await connect(env.USER_HUB, user.id, await hubAuthority(user));
    const pong = nextMessage(socket);
    socket.send(JSON.stringify({ event: 'ping', id: 'p1' }));
    expect(await pong).toMatchObject({ event: 'pong', id: 'p1' });
    const bad = nextMessage(socket);
    socket.send('not json');
    expect(await bad).toMatchObject({ event: 'error', data: { code: 'INVALID_FRAME' } });
    const pushed = nextMessage(socket);
    const stub = env.USER_HUB.get(env.USER_HUB.idFromName(user.id)) as unknown as {
      emit(event: string, data: unknown): Promise<number>;
    };
    expect(await stub.emit('notification:new', { id: 'ntf_1' })).toBe(1);
    expect(await pushed).toEqual({ event: 'notification:new', data: { id: 'ntf_1' } });
    socket.close();
  });

  it('UserHub Should refuse a plain request with 426', async () => {
    const stub = env.USER_HUB.get(env.USER_HUB.idFromName('usr_hub_2'));
    expect((await stub.fetch('https://do/connect')).status).toBe(426);
  });
});
