import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/access/tokens';
import { createContext } from '../../src/context';
import { realtimeTickets, sessions, users } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { sha256Hex } from '../../src/lib/crypto';
import type { PushEventName } from '../../src/platform/realtime-events';
import { authorityHeaders } from '../../src/realtime/hub-auth';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, uniqueId } from '../helpers';
import { device, hubOf, openSocket, roundTrip, upgrade } from '../support/sockets';

const api = client();

async function ticketFor(token: string, clientApi = api) {
  const res = await clientApi.post('/api/v1/realtime/ticket', { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { ticket: string; expiresAt: string };
}

async function ticketRow(ticket: string) {
  return db
    .select()
    .from(realtimeTickets)
    .where(eq(realtimeTickets.tokenHash, await sha256Hex(ticket)))
    .get();
}

async function expectRefused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.webSocket).toBeNull();
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ success: false, error: { code, statusCode: status } });
  expect(body.requestId).toMatch(/^req_/);
}

/** Pushes any name: these tests exercise the transport, which treats every pushed event alike. */
function notify(userId: string, event: string, data: unknown) {
  const ctx = createContext(testEnv, cloudflareDeps, { requestId: uniqueId('req') });
  return ctx.ports.realtime.notify(userId, event as PushEventName, data as never);
}

describe('GET /api/v1/realtime: upgrade with the bearer subprotocol', () => {
  it('Should open a socket in the user’s hub and select kinwell.v1', async () => {
    const user = await createUser();
    const { token } = await device(user);
    const socket = await openSocket({ token });
    expect(socket.protocol).toBe('kinwell.v1');
    const pong = await socket.request('ping', {}, 'p-1');
    expect(pong).toMatchObject({ event: 'pong', id: 'p-1' });
    expect(Date.parse(pong.data.at)).not.toBeNaN();
    expect(await notify(user.id, 'test:hello', { n: 1 })).toBe(1);
    expect(await socket.next('test:hello')).toEqual({ event: 'test:hello', data: { n: 1 } });
    socket.close();
  });

  it('Should let a pending account connect (as the ticket route does)', async () => {
    const user = await createUser({ role: 'caregiver', status: 'pending' });
    const socket = await openSocket({ token: (await device(user)).token });
    await roundTrip(socket);
    socket.close();
  });

  it('Should refuse no credential with 401 UNAUTHENTICATED before upgrading', async () => {
    await expectRefused(await upgrade(), 401, 'UNAUTHENTICATED');
    await expectRefused(await upgrade({ protocols: ['kinwell.v1'] }), 401, 'UNAUTHENTICATED');
  });

  it('Should refuse a malformed, expired or revoked token, and a blocked account', async () => {
    await expectRefused(await upgrade({ token: 'not.a.jwt' }), 401, 'TOKEN_INVALID');

    const user = await createUser();
    const old = await device(user, new Date(Date.now() - 20 * 60_000));
    await expectRefused(await upgrade({ token: old.token }), 401, 'TOKEN_EXPIRED');

    const revoked = await device(user);
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.id, revoked.sessionId));
    await expectRefused(await upgrade({ token: revoked.token }), 401, 'TOKEN_REVOKED');

    const blocked = await createUser({ status: 'blocked' });
    await expectRefused(await upgrade({ token: (await device(blocked)).token }), 403, 'USER_BLOCKED');
    expect(await notify(user.id, 'test:none', {})).toBe(0);
  });

  it('Should refuse a token signed with another key', async () => {
    const user = await createUser();
    const forged = await signAccessToken(
      { JWT_SECRET: 'another-secret-that-is-long-enough-0123456789' },
      { sub: user.id, role: 'user', sid: (await device(user)).sessionId, ver: 0 },
      new Date(),
    );
    await expectRefused(await upgrade({ token: forged }), 401, 'TOKEN_INVALID');
  });

  it('Should never accept an access token in the URL', async () => {
    const user = await createUser();
    const { token } = await device(user);
    await expectRefused(await upgrade({ query: { access_token: token } }), 401, 'TOKEN_INVALID');
    await expectRefused(await upgrade({ query: { token } }), 401, 'TOKEN_INVALID');
    // Not even next to a valid subprotocol token: a client leaking tokens into URLs finds out at once.
    await expectRefused(await upgrade({ token, query: { token } }), 401, 'TOKEN_INVALID');
    expect(await notify(user.id, 'test:none', {})).toBe(0);
  });

  it('Should answer a plain GET with 426 UPGRADE_REQUIRED in the envelope', async () => {
    const user = await createUser();
    const res = await upgrade({ token: (await device(user)).token, noUpgrade: true });
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(await res.json()).toMatchObject({ success: false, error: { code: 'UPGRADE_REQUIRED', statusCode: 426 } });
  });

  it('Should refuse subprotocols without kinwell.v1 and several credentials with 400', async () => {
    const user = await createUser();
    const { token } = await device(user);
    await expectRefused(await upgrade({ protocols: ['chat', `bearer.${token}`] }), 400, 'BAD_REQUEST');
    const { ticket } = await ticketFor(token);
    await expectRefused(await upgrade({ token, ticket }), 400, 'BAD_REQUEST');
    // The refused request did not spend the ticket.
    expect((await ticketRow(ticket))?.usedAt).toBeNull();
  });

  it('Should ignore internal authority headers sent by a client', async () => {
    const alice = await createUser();
    const bob = await createUser();
    // The Worker builds the hub request itself: a client naming another user still lands in its own hub.
    const forged = authorityHeaders({
      userId: bob.id,
      sessionId: 'ses_x',
      tokenVersion: 0,
      role: 'admin',
      expiresAt: Date.now() + 3_600_000,
    });
    const socket = await openSocket({ token: (await device(alice)).token, headers: forged });
    expect(await notify(bob.id, 'test:none', {})).toBe(0);
    expect(await notify(alice.id, 'test:mine', {})).toBe(1);
    expect(await socket.next('test:mine')).toEqual({ event: 'test:mine', data: {} });
    socket.close();
  });
});

describe('POST /api/v1/realtime/ticket and ?ticket=', () => {
  it('Should issue a 30-second ticket stored only as its SHA-256, bound to the caller’s session', async () => {
    const user = await createUser();
    const { token, sessionId } = await device(user);
    const before = Date.now();
    const { ticket, expiresAt } = await ticketFor(token);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await ticketRow(ticket);
    expect(row).toMatchObject({ userId: user.id, sessionId, usedAt: null });
    expect(row!.expiresAt - row!.createdAt).toBe(30_000);
    expect(Date.parse(expiresAt)).toBe(row!.expiresAt);
    expect(row!.createdAt).toBeGreaterThanOrEqual(before);
    const stored = await db.select().from(realtimeTickets).where(eq(realtimeTickets.tokenHash, ticket)).get();
    expect(stored).toBeUndefined();
  });

  it('Should refuse an anonymous ticket request with 401', async () => {
    const res = await api.post('/api/v1/realtime/ticket');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('Should open a socket with a ticket exactly once', async () => {
    const user = await createUser();
    const { ticket } = await ticketFor((await device(user)).token);
    const socket = await openSocket({ ticket });
    expect(socket.protocol).toBeNull();
    await roundTrip(socket);
    expect((await ticketRow(ticket))?.usedAt).toEqual(expect.any(Number));
    await expectRefused(await upgrade({ ticket }), 401, 'TOKEN_INVALID');
    expect(await notify(user.id, 'test:once', {})).toBe(1);
    socket.close();
  });

  it('Should select kinwell.v1 when a ticket client offers it', async () => {
    const user = await createUser();
    const { ticket } = await ticketFor((await device(user)).token);
    const socket = await openSocket({ ticket, protocols: ['kinwell.v1'] });
    expect(socket.protocol).toBe('kinwell.v1');
    socket.close();
  });

  it('Should refuse an expired or unknown ticket with 401 and leave it unused', async () => {
    const user = await createUser();
    const { token } = await device(user);
    // Issued by an app whose clock reads 31 s ago: already past its 30 s when SELF (real clock) sees it.
    const past = client({ clock: fixedClock(new Date(Date.now() - 31_000)) });
    const { ticket } = await ticketFor(token, past);
    await expectRefused(await upgrade({ ticket }), 401, 'TOKEN_INVALID');
    expect((await ticketRow(ticket))?.usedAt).toBeNull();
    await expectRefused(await upgrade({ ticket: 'A'.repeat(43) }), 401, 'TOKEN_INVALID');
  });

  it('Should refuse a ticket whose session was revoked after it was issued', async () => {
    const user = await createUser();
    const { token, sessionId } = await device(user);
    const { ticket } = await ticketFor(token);
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.id, sessionId));
    await expectRefused(await upgrade({ ticket }), 401, 'TOKEN_REVOKED');
  });

  it('Should refuse a ticket of an account blocked after it was issued', async () => {
    const user = await createUser();
    const { ticket } = await ticketFor((await device(user)).token);
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, user.id));
    await expectRefused(await upgrade({ ticket }), 403, 'USER_BLOCKED');
  });
});

describe('UserHub upgrade (Worker → hub only)', () => {
  it('Should refuse an upgrade without the Worker’s authority headers, or for another user’s hub', async () => {
    const user = await createUser();
    const hub = hubOf(user.id);
    expect((await hub.fetch('https://hub/connect', { headers: { upgrade: 'websocket' } })).status).toBe(400);
    const other = authorityHeaders({
      userId: uniqueId('usr'),
      sessionId: 'ses_x',
      tokenVersion: 0,
      role: 'user',
      expiresAt: Date.now() + 60_000,
    });
    expect((await hub.fetch('https://hub/connect', { headers: { upgrade: 'websocket', ...other } })).status).toBe(403);
    expect((await hub.fetch('https://hub/connect')).status).toBe(426);
  });
});
