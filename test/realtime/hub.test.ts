import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContext } from '../../src/context';
import { sessions, users } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { AppError } from '../../src/lib/errors';
import type { PushEventName } from '../../src/platform/realtime-events';
import type { SocketEventMap } from '../../src/realtime/events';
import { KEEPALIVE, MAX_FRAME_BYTES, RATE } from '../../src/realtime/protocol';
import { HUB_EVENTS, type SocketState } from '../../src/realtime/user-hub';
import { UserHub } from '../../src/realtime/user-hub.do';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { createUser, db, testEnv, uniqueId } from '../helpers';
import { device, hubOf, openSocket, roundTrip, type TestSocket } from '../support/sockets';

const MINUTE = 60_000;

/** Pushes any name: these tests exercise the transport, which treats every pushed event alike. */
function notify(userId: string, event: string, data: unknown) {
  const ctx = createContext(testEnv, cloudflareDeps, { requestId: uniqueId('req') });
  return ctx.ports.realtime.notify(userId, event as PushEventName, data as never);
}

/** A signed-in user with one open socket. */
async function connected(input: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(input);
  const signedIn = await device(user);
  return { user, ...signedIn, socket: await openSocket({ token: signedIn.token }) };
}

/** Sets the hub's clock (the injectable seam) without sleeping. */
async function setHubClock(userId: string, at: number) {
  await runInDurableObject(hubOf(userId), (hub: UserHub) => {
    hub.clock = fixedClock(new Date(at));
  });
}

/** Proves nothing else reached `socket`: a ping sent now is answered before any later frame. */
async function expectNothingElse(socket: TestSocket) {
  await roundTrip(socket);
  expect(socket.pending()).toEqual([]);
}

describe('UserHub frames', () => {
  it('Should answer ping with pong echoing the id, and the bare keep-alive without waking the hub', async () => {
    const { socket } = await connected();
    expect(await socket.request('ping', {}, 'abc')).toMatchObject({ event: 'pong', id: 'abc' });
    socket.send(KEEPALIVE.request);
    expect(await socket.next('pong')).toEqual({ event: 'pong' });
    socket.close();
  });

  it('Should answer malformed JSON, a bad shape, binary and oversized frames with error frames, and keep going', async () => {
    const { socket } = await connected();
    socket.send('not json');
    expect(await socket.next()).toEqual({
      event: 'error',
      data: { code: 'INVALID_FRAME', message: expect.any(String) },
    });

    socket.send({ event: 42, id: 'shape-1' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'shape-1', data: { code: 'INVALID_FRAME' } });

    socket.send({ event: 'no spaces allowed', id: 'shape-2' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'shape-2', data: { code: 'INVALID_FRAME' } });

    socket.send(new TextEncoder().encode('{"event":"ping"}').buffer as ArrayBuffer);
    expect(await socket.next()).toMatchObject({ event: 'error', data: { code: 'INVALID_FRAME' } });

    socket.send({ event: 'ping', id: 'big', data: { pad: 'x'.repeat(MAX_FRAME_BYTES) } });
    expect(await socket.next()).toMatchObject({ event: 'error', data: { code: 'FRAME_TOO_LARGE' } });
    // Multi-byte characters count in bytes: 6,000 × 3 bytes is over 16 KiB though under 16 Ki characters.
    socket.send({ event: 'ping', data: { pad: '€'.repeat(6_000) } });
    expect(await socket.next()).toMatchObject({ event: 'error', data: { code: 'FRAME_TOO_LARGE' } });

    await roundTrip(socket);
    socket.close();
  });

  it('Should answer an unknown event with <event>:error UNKNOWN_EVENT echoing the id', async () => {
    const { socket } = await connected();
    expect(await socket.request('request:teleport', { to: 'mars' }, 'u-1')).toEqual({
      event: 'request:teleport:error',
      id: 'u-1',
      data: { code: 'UNKNOWN_EVENT', message: expect.stringContaining('request:teleport') },
    });
    // Names of Object.prototype are not events either.
    expect(await socket.request('constructor', {}, 'u-2')).toMatchObject({ data: { code: 'UNKNOWN_EVENT' } });
    await roundTrip(socket);
    socket.close();
  });
});

describe('UserHub dispatch to registered events', () => {
  const events: SocketEventMap = {
    'test:whoami': async (ctx, data) => ({
      actorId: ctx.actor?.id,
      role: ctx.actor?.role,
      status: ctx.actor?.status,
      sessionId: ctx.actor?.sessionId,
      data,
    }),
    'test:strict': async (_ctx, data) => {
      const parsed = z.strictObject({ receiverId: z.string() }).safeParse(data);
      if (!parsed.success) {
        throw new AppError('VALIDATION_FAILED', 'Validation failed', {
          fields: [{ field: 'receiverId', message: 'Required' }],
        });
      }
      throw new AppError('CONFLICT', 'A request is already pending', { details: { requestId: 'crq_1' } });
    },
    'test:crash': async () => {
      throw new Error('SELECT * FROM secrets failed');
    },
  };

  async function withEvents(userId: string) {
    await runInDurableObject(hubOf(userId), (hub: UserHub) => {
      hub.events = events;
    });
  }

  it('Should run the handler as the socket’s caller (re-read from D1) and reply <event>:success', async () => {
    const { user, sessionId, socket } = await connected({ role: 'caregiver' });
    await withEvents(user.id);
    // The stored role wins over the token's, as with the HTTP guard.
    await db.update(users).set({ role: 'user' }).where(eq(users.id, user.id));
    expect(await socket.request('test:whoami', { q: 1 }, 'w-1')).toEqual({
      event: 'test:whoami:success',
      id: 'w-1',
      data: { actorId: user.id, role: 'user', status: 'active', sessionId, data: { q: 1 } },
    });
    // Absent data reaches the handler as {}.
    socket.send({ event: 'test:whoami', id: 'w-2' });
    expect(await socket.next((f) => f.id === 'w-2')).toMatchObject({ data: { data: {} } });
    socket.close();
  });

  it('Should turn an AppError into <event>:error with code, message, fields and details', async () => {
    const { user, socket } = await connected();
    await withEvents(user.id);
    expect(await socket.request('test:strict', {}, 's-1')).toEqual({
      event: 'test:strict:error',
      id: 's-1',
      data: {
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        fields: [{ field: 'receiverId', message: 'Required' }],
      },
    });
    expect(await socket.request('test:strict', { receiverId: 'usr_1' }, 's-2')).toEqual({
      event: 'test:strict:error',
      id: 's-2',
      data: { code: 'CONFLICT', message: 'A request is already pending', details: { requestId: 'crq_1' } },
    });
    socket.close();
  });

  it('Should answer an unexpected failure with INTERNAL and a request id, never its message', async () => {
    const { user, socket } = await connected();
    await withEvents(user.id);
    const reply = await socket.request('test:crash', {}, 'c-1');
    expect(reply).toEqual({
      event: 'test:crash:error',
      id: 'c-1',
      data: { code: 'INTERNAL', message: 'Something went wrong', requestId: expect.stringMatching(/^req_/) },
    });
    expect(JSON.stringify(reply)).not.toContain('secrets');
    await roundTrip(socket);
    socket.close();
  });

  it('Should hand the account status to the handler, which applies its route’s policy', async () => {
    const { user, socket } = await connected({ role: 'caregiver', status: 'pending' });
    await withEvents(user.id);
    expect(await socket.request('test:whoami', {})).toMatchObject({ data: { status: 'pending' } });
    socket.close();
  });

  it('Should register the caregiver and bot events of docs/api.md', async () => {
    expect(Object.keys(HUB_EVENTS).sort()).toEqual(
      [
        'bot:message',
        'request:send',
        'request:updateStatus',
        'request:getAllPending',
        'user:getSuggestedUsers',
        'request:removeCaregiver',
      ].sort(),
    );
    const { socket } = await connected();
    expect(await socket.request('request:getAllPending', {}, 'g-1')).toMatchObject({
      event: 'request:getAllPending:success',
      id: 'g-1',
    });
    socket.close();
  });
});

describe('UserHub throttling', () => {
  it(`Should answer frames past ${RATE.limit} per window with RATE_LIMITED, then accept again in the next window`, async () => {
    const { user, socket } = await connected();
    const start = Date.now();
    await setHubClock(user.id, start);
    for (let i = 0; i < RATE.limit; i++) socket.send({ event: 'ping', id: `ok-${i}` });
    for (let i = 0; i < RATE.limit; i++)
      expect(await socket.next((f) => f.id === `ok-${i}`)).toMatchObject({ event: 'pong' });
    socket.send({ event: 'ping', id: 'over' });
    expect(await socket.next((f) => f.id === 'over')).toMatchObject({ event: 'error', data: { code: 'RATE_LIMITED' } });

    await setHubClock(user.id, start + RATE.windowMs);
    expect(await socket.request('ping', {}, 'next-window')).toMatchObject({ event: 'pong' });
    socket.close();
  });

  it(`Should close a socket that sends ${RATE.closeAt} frames in one window with 4429`, async () => {
    const { user, socket } = await connected();
    await setHubClock(user.id, Date.now());
    // Malformed frames count too, and are answered without I/O, so replies come in order.
    for (let i = 0; i < RATE.closeAt; i++) socket.send(`garbage ${i}`);
    const closed = await socket.closed();
    expect(closed.code).toBe(4429);
    const codes = socket.frames.map((f) => f.data.code);
    expect(codes.filter((c) => c === 'INVALID_FRAME')).toHaveLength(RATE.limit);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(RATE.closeAt - RATE.limit);
    expect(await notify(user.id, 'test:gone', {})).toBe(0);
  });

  it('Should keep the counters per socket', async () => {
    const user = await createUser();
    const a = await openSocket({ token: (await device(user)).token });
    const b = await openSocket({ token: (await device(user)).token });
    await setHubClock(user.id, Date.now());
    for (let i = 0; i <= RATE.limit; i++) a.send(`garbage ${i}`);
    await a.next((f) => f.data?.code === 'RATE_LIMITED');
    await roundTrip(b);
    a.close();
    b.close();
  });
});

describe('UserHub authority', () => {
  it('Should end a socket whose token expired on its next frame: TOKEN_EXPIRED, then close 4401', async () => {
    const { user, socket } = await connected();
    await setHubClock(user.id, Date.now() + 16 * MINUTE);
    socket.send({ event: 'ping', id: 'late' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'late', data: { code: 'TOKEN_EXPIRED' } });
    expect((await socket.closed()).code).toBe(4401);
  });

  it('Should not push to a socket past its expiry, and close it with 4401', async () => {
    const user = await createUser();
    const now = Date.now();
    const fresh = await openSocket({ token: (await device(user, new Date(now))).token });
    const stale = await openSocket({ token: (await device(user, new Date(now - 10 * MINUTE))).token });
    await setHubClock(user.id, now + 6 * MINUTE); // past the stale token's exp, not the fresh one's
    expect(await notify(user.id, 'test:push', { n: 1 })).toBe(1);
    expect(await fresh.next('test:push')).toEqual({ event: 'test:push', data: { n: 1 } });
    expect((await stale.closed()).code).toBe(4401);
    expect(stale.frames.map((f) => f.event)).not.toContain('test:push');
    expect(stale.frames.at(-1)).toMatchObject({ event: 'error', data: { code: 'TOKEN_EXPIRED' } });
    fresh.close();
  });

  it('Should extend authority with auth:refresh and a fresh token of the same user', async () => {
    const { user, socket } = await connected();
    const now = Date.now();
    await setHubClock(user.id, now + 14 * MINUTE);
    const next = await device(user, new Date(now + 14 * MINUTE));
    expect(await socket.request('auth:refresh', { token: next.token }, 'r-1')).toEqual({
      event: 'auth:refresh:success',
      id: 'r-1',
      data: { expiresAt: new Date(Math.floor((now + 14 * MINUTE) / 1000) * 1000 + 15 * MINUTE).toISOString() },
    });
    await setHubClock(user.id, now + 20 * MINUTE);
    expect(await socket.request('ping', {}, 'after')).toMatchObject({ event: 'pong' });
    // The socket now rests on the new session: revoking the old one no longer matters, the new one does.
    const [state] = await runInDurableObject(hubOf(user.id), (_hub, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment() as SocketState),
    );
    expect(state).toMatchObject({ userId: user.id, sessionId: next.sessionId });
    await db.update(sessions).set({ revokedAt: now }).where(eq(sessions.id, next.sessionId));
    socket.send({ event: 'ping', id: 'revoked' });
    expect((await socket.closed()).code).toBe(4403);
  });

  it('Should refuse auth:refresh with another user’s, a bad or a missing token, and keep the socket', async () => {
    const { socket } = await connected();
    const stranger = await device(await createUser());
    expect(await socket.request('auth:refresh', { token: stranger.token })).toMatchObject({
      event: 'auth:refresh:error',
      data: { code: 'TOKEN_INVALID' },
    });
    expect(await socket.request('auth:refresh', { token: 'nope' })).toMatchObject({ data: { code: 'TOKEN_INVALID' } });
    expect(await socket.request('auth:refresh', {})).toMatchObject({
      event: 'auth:refresh:error',
      data: { code: 'VALIDATION_FAILED', fields: [{ field: 'token' }] },
    });
    expect(await socket.request('auth:refresh', { token: 'x', role: 'admin' })).toMatchObject({
      data: { code: 'VALIDATION_FAILED', fields: [{ field: 'role' }] },
    });
    await roundTrip(socket);
    socket.close();
  });

  it('Should refuse auth:refresh with an expired token of the same user', async () => {
    const { user, socket } = await connected();
    const old = await device(user, new Date(Date.now() - 20 * MINUTE));
    expect(await socket.request('auth:refresh', { token: old.token })).toMatchObject({
      data: { code: 'TOKEN_EXPIRED' },
    });
    socket.close();
  });

  it('Should close with 4403 on the next frame once the session is revoked', async () => {
    const { sessionId, socket } = await connected();
    await roundTrip(socket);
    await db.update(sessions).set({ revokedAt: Date.now(), revokedReason: 'test' }).where(eq(sessions.id, sessionId));
    socket.send({ event: 'ping', id: 'after-revoke' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'after-revoke', data: { code: 'TOKEN_REVOKED' } });
    expect((await socket.closed()).code).toBe(4403);
  });

  it('Should close with 4403 once the token version is bumped or the account blocked', async () => {
    const bumped = await connected();
    await db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, bumped.user.id));
    bumped.socket.send({ event: 'ping', id: 'b' });
    expect(await bumped.socket.next()).toMatchObject({ data: { code: 'TOKEN_REVOKED' } });
    expect((await bumped.socket.closed()).code).toBe(4403);

    const blocked = await connected();
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.user.id));
    blocked.socket.send({ event: 'ping', id: 'b' });
    expect(await blocked.socket.next()).toMatchObject({ data: { code: 'USER_BLOCKED' } });
    expect((await blocked.socket.closed()).code).toBe(4403);
  });

  it('Should not push to a revoked session, and close its socket with 4403', async () => {
    const user = await createUser();
    const kept = await device(user);
    const lost = await device(user);
    const keptSocket = await openSocket({ token: kept.token });
    const lostSocket = await openSocket({ token: lost.token });
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.id, lost.sessionId));
    expect(await notify(user.id, 'test:push', {})).toBe(1);
    expect(await keptSocket.next('test:push')).toEqual({ event: 'test:push', data: {} });
    expect((await lostSocket.closed()).code).toBe(4403);
    expect(lostSocket.frames.map((f) => f.event)).toEqual(['error']);
    keptSocket.close();
  });
});

describe('RealtimePort.notify', () => {
  it('Should reach every socket of the user (two devices) and no other user’s', async () => {
    const user = await createUser();
    const phone = await openSocket({ token: (await device(user)).token });
    const laptop = await openSocket({ token: (await device(user)).token });
    const other = await connected();
    expect(await notify(user.id, 'request:incoming', { requestId: 'crq_1' })).toBe(2);
    for (const socket of [phone, laptop]) {
      expect(await socket.next('request:incoming')).toEqual({
        event: 'request:incoming',
        data: { requestId: 'crq_1' },
      });
    }
    await expectNothingElse(other.socket);
    for (const socket of [phone, laptop, other.socket]) socket.close();
  });

  it('Should resolve 0 for a user with no open socket', async () => {
    expect(await notify(uniqueId('usr'), 'request:incoming', {})).toBe(0);
    const { user, socket } = await connected();
    socket.close();
    await socket.closed();
    await roundTripAfterClose(user.id);
  });
});

/** After a client closed its only socket and the close handshake finished, pushes reach nobody. */
async function roundTripAfterClose(userId: string) {
  const open = await runInDurableObject(hubOf(userId), (_hub, state) =>
    state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN),
  );
  expect(open).toHaveLength(0);
  expect(await notify(userId, 'test:gone', {})).toBe(0);
}

describe('UserHub hibernation', () => {
  // This pool (vitest-pool-workers 0.15.1) cannot evict an object while keeping its hibernatable sockets:
  // abortAllDurableObjects() and state.abort() both disconnect them, and evictDurableObject() only exists
  // from 0.16.20 (Node 22). A wake-up from hibernation is a new instance of the class over the same state
  // and sockets, so the test builds exactly that — a fresh UserHub with empty memory on the object's state —
  // and drives the existing sockets through it. Everything it needs must come from the attachments.
  it('Should serve existing sockets from a fresh instance (state from attachments only)', async () => {
    const user = await createUser();
    const phone = await openSocket({ token: (await device(user)).token });
    const laptop = await openSocket({ token: (await device(user)).token });
    const stranger = await connected();
    for (let i = 0; i < 3; i++) await roundTrip(phone);

    const woken = await runInDurableObject(hubOf(user.id), async (_old, state) => {
      const fresh = new UserHub(state, env);
      const sockets = state.getWebSockets();
      const attachments = sockets.map((ws) => ws.deserializeAttachment() as SocketState);
      for (const [i, ws] of sockets.entries())
        await fresh.webSocketMessage(ws, JSON.stringify({ event: 'ping', id: `wake-${i}` }));
      const pushed = await fresh.emit('test:after-wake' as PushEventName, { ok: true } as never);
      return { pushed, attachments, autoResponse: state.getWebSocketAutoResponse()?.request };
    });

    expect(woken.pushed).toBe(2);
    expect(woken.autoResponse).toBe(KEEPALIVE.request);
    expect(woken.attachments).toHaveLength(2);
    for (const attachment of woken.attachments) {
      expect(attachment).toMatchObject({ userId: user.id, role: 'user', tokenVersion: 0 });
      expect(attachment.expiresAt).toBeGreaterThan(Date.now());
    }
    // The phone's throttle window survived in its attachment: 3 round trips, then the wake-up ping.
    expect(woken.attachments.map((a) => a.windowCount).sort()).toEqual([0, 3]);
    for (const socket of [phone, laptop]) {
      expect(await socket.next((f) => f.id?.startsWith('wake-') ?? false)).toMatchObject({ event: 'pong' });
      expect(await socket.next('test:after-wake')).toEqual({ event: 'test:after-wake', data: { ok: true } });
    }
    await expectNothingElse(stranger.socket);
    // And the live object keeps serving them.
    await roundTrip(phone);
    await roundTrip(laptop);
    for (const socket of [phone, laptop, stranger.socket]) socket.close();
  });
});
