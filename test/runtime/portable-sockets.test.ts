import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/context';
import { callParticipants, sessions } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import type { Logger } from '../../src/lib/log';
import { sessionIdOf } from '../../src/modules/calls/room.service';
import type { PushEvents } from '../../src/platform/realtime-events';
import { CLOSE, KEEPALIVE, RATE, SUBPROTOCOL } from '../../src/realtime/protocol';
import { ROOM_CLOSE } from '../../src/realtime/room-protocol';
import { cloudflareAdapters, cloudflareDeps } from '../../src/runtime/cloudflare';
import {
  type ConnectionEvents,
  IDLE_ROOM_KEPT_MS,
  socketObjects,
  type Upgrade,
} from '../../src/runtime/portable/sockets';
import { createUser, db, testEnv } from '../helpers';
import { roomPath, videoVisit } from '../support/rooms';
import { device, roundTrip, TestSocket } from '../support/sockets';

/**
 * Real time as Bun and Deno run it: the process holds the hubs and rooms (src/runtime/portable/sockets.ts)
 * and the runtime's upgrade is a fake that records what the route handed it. Every socket is opened
 * through the app's HTTP routes, as a client would, and never reaches a Durable Object.
 */

const MINUTE = 60_000;
/** How long a wait for the objects to settle may take before the test fails (a safety net only). */
const SAFETY_MS = 5_000;

/** The client end of a connection the fake runtime upgraded: a WebSocket in shape, for TestSocket. */
class FakeClientSocket extends EventTarget {
  constructor(private readonly events: ConnectionEvents) {
    super();
  }

  /** A frame from the client. */
  send(data: string | ArrayBuffer): void {
    this.events.message(data);
  }

  /** The peer closes: the runtime reports it to the server side. */
  close(code = 1000): void {
    this.events.close(code);
  }
}

/** One upgrade the route handed the runtime. */
interface Upgraded {
  protocol: string | undefined;
  /** What the server side sent and how it closed, as the client sees it. */
  socket: TestSocket;
  /** The runtime reports the connection open; frames the server sent before then arrive now. */
  open(): void;
  /** Frames and closes the server sent, in order, before and after the open. */
  wire: string[];
}

/** An app whose real time is the portable layer, with a movable clock and a fake runtime upgrade. */
function portable() {
  const clock = fixedClock(new Date());
  const upgraded: Upgraded[] = [];
  const upgrade: Upgrade = (_request, protocol, events) => {
    const client = new FakeClientSocket(events);
    const wire: string[] = [];
    const socket = new TestSocket(client as unknown as WebSocket, protocol ?? null);
    const raw = {
      send: (text: string) => {
        wire.push(text);
        client.dispatchEvent(new MessageEvent('message', { data: text }));
      },
      close: (code?: number, reason?: string) => {
        wire.push(`close ${code}`);
        client.dispatchEvent(new CloseEvent('close', { code, reason }));
      },
    };
    upgraded.push({ protocol, socket, wire, open: () => events.open(raw) });
    // What Bun's entry answers (src/runtime/bun.ts): 101 with the subprotocol. workerd builds a 101 only
    // around a WebSocket, so an unused pair's client end carries it; the frames go through `raw` above.
    const [unused] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const headers: Record<string, string> = protocol ? { 'sec-websocket-protocol': protocol } : {};
    return new Response(null, { status: 101, webSocket: unused, headers });
  };
  const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = { log: (level, msg, fields) => void logged.push({ level, msg, fields }) };
  const objects = socketObjects({ upgrade, deps: () => deps, log });
  const deps: AppDeps = {
    ...cloudflareDeps,
    clock,
    adapters: (env, d) => ({ ...cloudflareAdapters(env, d), realtime: objects.port(env) }),
  };
  const app = createApp(deps);

  async function fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(new URL(path, 'http://localhost'), init), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  /**
   * Opens a socket through the route at `path` with the bearer subprotocol; the runtime reports it
   * open at once unless `open` is false.
   */
  async function connect(token: string, options: { path?: string; open?: boolean } = {}): Promise<Upgraded> {
    const before = upgraded.length;
    const res = await fetch(options.path ?? '/api/v1/realtime', {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `${SUBPROTOCOL}, bearer.${token}` },
    });
    expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101);
    expect(upgraded).toHaveLength(before + 1);
    const connection = upgraded[before]!;
    expect(res.headers.get('sec-websocket-protocol')).toBe(connection.protocol);
    if (options.open ?? true) connection.open();
    return connection;
  }

  /**
   * Resolves once `done` holds: the logic's close handling may await D1 before the object is
   * forgotten, so this yields to the event loop until it has (failing after the safety net).
   */
  async function settled(done: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + SAFETY_MS;
    while (!(await done())) {
      if (Date.now() > deadline)
        throw new Error(`Not settled within ${SAFETY_MS} ms: ${JSON.stringify(objects.counts())}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  return { clock, objects, port: objects.port(testEnv), connect, fetch, settled, logged, upgraded };
}

/** A signed-in user (a session and an access token issued now). */
async function signedIn() {
  const user = await createUser();
  return { user, ...(await device(user)) };
}

/** A `notification:new` push as the notifications module sends it. */
const notice = (title: string): PushEvents['notification:new'] => ({
  notification: {
    id: `ntf_${title}`,
    type: 'system',
    title,
    body: 'Body',
    data: {},
    readAt: null,
    createdAt: '2026-11-21T08:00:00.000Z',
  },
  unreadCount: 1,
});

describe('the portable user hub, through GET /api/v1/realtime', () => {
  it('Should answer ping with pong echoing the id, and the bare keep-alive without the logic', async () => {
    const { connect, objects, logged } = portable();
    const { token } = await signedIn();
    const { socket, protocol } = await connect(token);
    expect(protocol).toBe(SUBPROTOCOL);
    expect(objects.counts()).toEqual({ hubs: 1, rooms: 0, sockets: 1 });

    expect(await socket.request('ping', {}, 'abc')).toEqual({
      event: 'pong',
      id: 'abc',
      data: { at: expect.any(String) },
    });
    // Answered synchronously, before any logic could run: no `data`, no `at`.
    socket.send(KEEPALIVE.request);
    expect(socket.pending()).toEqual([{ event: 'pong' }]);
    expect(await socket.next('pong')).toEqual({ event: 'pong' });
    expect(logged).toEqual([]);
  });

  it('Should refuse a request without the upgrade (426) and hand nothing to the runtime', async () => {
    const { fetch, objects, upgraded } = portable();
    const { token } = await signedIn();
    const res = await fetch('/api/v1/realtime', {
      headers: { 'sec-websocket-protocol': `${SUBPROTOCOL}, bearer.${token}` },
    });
    expect(res.status).toBe(426);
    expect(upgraded).toEqual([]);
    expect(objects.counts()).toEqual({ hubs: 0, rooms: 0, sockets: 0 });
  });

  it('Should queue frames pushed before the runtime reports the socket open, and deliver them on open', async () => {
    const { connect, port } = portable();
    const { user, token } = await signedIn();
    const connection = await connect(token, { open: false });
    expect(await port.notify(user.id, 'notification:new', notice('early'))).toBe(1);
    expect(connection.wire).toEqual([]);
    connection.open();
    expect(await connection.socket.next('notification:new')).toEqual({
      event: 'notification:new',
      data: notice('early'),
    });
    await roundTrip(connection.socket);
  });

  it('Should push to the user’s open sockets only: 1 for them, nothing to another user, 0 with no socket', async () => {
    const { connect, port } = portable();
    const alice = await signedIn();
    const bob = await signedIn();
    const aliceSocket = (await connect(alice.token)).socket;
    const bobSocket = (await connect(bob.token)).socket;

    expect(await port.notify(alice.user.id, 'notification:new', notice('for-alice'))).toBe(1);
    expect(await aliceSocket.next('notification:new')).toEqual({
      event: 'notification:new',
      data: notice('for-alice'),
    });
    await roundTrip(bobSocket);
    expect(bobSocket.pending()).toEqual([]);

    const nobody = await createUser();
    expect(await port.notify(nobody.id, 'notification:new', notice('lost'))).toBe(0);
  });
});

describe('the portable user hub’s per-frame authority', () => {
  it('Should end a socket whose token expired on its next frame: TOKEN_EXPIRED, then close 4401', async () => {
    const { connect, clock } = portable();
    const { token } = await signedIn();
    const { socket } = await connect(token);
    await roundTrip(socket);
    clock.advance(16 * MINUTE);
    socket.send({ event: 'ping', id: 'late' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'late', data: { code: 'TOKEN_EXPIRED' } });
    expect((await socket.closed()).code).toBe(CLOSE.expired);
  });

  it('Should close with 4403 on the next frame once the session is signed out through HTTP', async () => {
    const { connect, fetch } = portable();
    const { token, sessionId } = await signedIn();
    const { socket } = await connect(token);
    await roundTrip(socket);

    const out = await fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(200);
    const [session] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(session!.revokedAt).not.toBeNull();

    socket.send({ event: 'ping', id: 'after' });
    expect(await socket.next()).toMatchObject({ event: 'error', id: 'after', data: { code: 'TOKEN_REVOKED' } });
    expect((await socket.closed()).code).toBe(CLOSE.revoked);
  });

  it(`Should answer frames past ${RATE.limit} per window with RATE_LIMITED and close the ${RATE.closeAt}th with 4429`, async () => {
    const { connect, port } = portable();
    const { user, token } = await signedIn();
    const { socket } = await connect(token);
    // Malformed frames count too and are answered without I/O, so the replies come in order.
    for (let i = 0; i < RATE.closeAt; i++) socket.send(`garbage ${i}`);
    expect((await socket.closed()).code).toBe(CLOSE.flooded);
    const codes = socket.frames.map((f) => f.data.code);
    expect(codes.slice(0, RATE.limit)).toEqual(Array(RATE.limit).fill('INVALID_FRAME'));
    expect(codes.slice(RATE.limit)).toEqual(Array(RATE.closeAt - RATE.limit).fill('RATE_LIMITED'));
    // The closed socket receives no push, though the runtime has not reported it gone yet.
    expect(await port.notify(user.id, 'notification:new', notice('gone'))).toBe(0);
  });
});

describe('the portable objects’ lifetime', () => {
  it('Should drop a socket the peer closed, and forget the hub when it was the last', async () => {
    const { connect, objects, port, settled, logged } = portable();
    const { user, token } = await signedIn();
    const phone = await connect(token);
    const laptop = await connect(token);
    expect(objects.counts()).toEqual({ hubs: 1, rooms: 0, sockets: 2 });

    await roundTrip(phone.socket);
    phone.socket.close();
    expect(objects.counts()).toEqual({ hubs: 1, rooms: 0, sockets: 1 });
    expect(await port.notify(user.id, 'notification:new', notice('one'))).toBe(1);
    expect(await laptop.socket.next('notification:new')).toMatchObject({ data: notice('one') });
    // The runtime closed that connection itself: nothing more went out on it, not even a close.
    expect(phone.wire).toHaveLength(1);

    laptop.socket.close();
    await settled(() => objects.counts().hubs === 0);
    expect(objects.counts()).toEqual({ hubs: 0, rooms: 0, sockets: 0 });
    expect(await port.notify(user.id, 'notification:new', notice('none'))).toBe(0);
    expect(logged).toEqual([]);
  });
});

describe('a portable video room, through GET /api/v1/appointments/{id}/call/connect', () => {
  /** Joins the visit's room with `token` through HTTP. */
  const join = (app: ReturnType<typeof portable>, id: string, token: string, open = true) =>
    app.connect(token, { path: roomPath(id), open });

  /** The doctor in, the patient admitted; the admission's frames read. */
  async function inProgress(app: ReturnType<typeof portable>) {
    const visit = await videoVisit();
    const id = visit.appointment.id;
    const doctor = (await join(app, id, visit.doctor.token)).socket;
    expect((await doctor.next('room:state')).data).toMatchObject({ you: { role: 'doctor', state: 'joined' } });
    const patient = (await join(app, id, visit.patient.token)).socket;
    expect((await patient.next('room:state')).data).toMatchObject({ you: { role: 'patient', state: 'waiting' } });
    expect((await doctor.next('room:waiting')).data).toMatchObject({ userId: visit.patient.user.id });
    expect(await doctor.request('room:admit', { userId: visit.patient.user.id }, 'admit')).toMatchObject({
      event: 'room:admit:success',
    });
    expect((await patient.next('room:state')).data).toMatchObject({
      you: { state: 'joined' },
      participants: [{ userId: visit.doctor.user.id, role: 'doctor', state: 'joined' }],
    });
    expect((await doctor.next('presence')).data).toMatchObject({ userId: visit.patient.user.id, state: 'joined' });
    return { visit, id, doctor, patient };
  }

  it('Should queue the room:state of a join until the runtime reports the socket open', async () => {
    const app = portable();
    const visit = await videoVisit();
    const connection = await join(app, visit.appointment.id, visit.doctor.token, false);
    // The room sent its state while accepting, before the connection was open: nothing went out yet.
    expect(connection.wire).toEqual([]);
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 1, sockets: 1 });
    connection.open();
    expect(connection.socket.frames.map((f) => f.event)).toEqual(['room:state']);
    expect(connection.socket.frames[0]!.data).toMatchObject({
      appointmentId: visit.appointment.id,
      you: { userId: visit.doctor.user.id, role: 'doctor', state: 'joined' },
    });
    expect(connection.socket.protocol).toBe(SUBPROTOCOL);
  });

  it('Should deliver a queued close after the queued frames: a join replaced before it opened', async () => {
    const app = portable();
    const visit = await videoVisit();
    const first = await join(app, visit.appointment.id, visit.doctor.token, false);
    const second = await join(app, visit.appointment.id, visit.doctor.token);
    await second.socket.next('room:state');
    expect(first.wire).toEqual([]);
    first.open();
    expect(first.wire).toEqual([
      expect.stringContaining('"room:state"'),
      expect.stringContaining('"REPLACED"'),
      `close ${ROOM_CLOSE.replaced}`,
    ]);
    expect((await first.socket.closed()).code).toBe(ROOM_CLOSE.replaced);
  });

  it('Should relay an offer to the named peer, broadcast presence, and drop the sockets the peers closed', async () => {
    const app = portable();
    const { visit, id, doctor, patient } = await inProgress(app);
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 1, sockets: 2 });

    expect(await doctor.request('signal:offer', { to: visit.patient.user.id, sdp: 'v=0 offer' }, 'o-1')).toEqual({
      event: 'signal:offer:success',
      id: 'o-1',
      data: { delivered: true },
    });
    expect(await patient.next('signal:offer')).toEqual({
      event: 'signal:offer',
      data: { from: visit.doctor.user.id, sdp: 'v=0 offer' },
    });

    patient.send({ event: 'presence:update', data: { muted: true } });
    expect((await doctor.next('presence')).data).toMatchObject({
      userId: visit.patient.user.id,
      state: 'joined',
      muted: true,
    });

    app.clock.advance(90_000);
    patient.close();
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 1, sockets: 1 });
    expect((await doctor.next('presence')).data).toMatchObject({ userId: visit.patient.user.id, state: 'left' });
    doctor.close();
    expect(app.objects.counts().sockets).toBe(0);
    // Both departures are stored, with the time each spent in the room by the test clock.
    const seats = () =>
      db
        .select()
        .from(callParticipants)
        .where(eq(callParticipants.sessionId, sessionIdOf(id)));
    await app.settled(async () => (await seats()).every((seat) => seat.lastLeftAt !== null));
    expect((await seats()).map((seat) => seat.presentSeconds)).toEqual([90, 90]);

    // The room keeps what a later join needs (the negotiation) until it ends; then it is forgotten.
    expect(app.objects.counts().rooms).toBe(1);
    await app.port.closeRoom(id, 'cancelled');
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 0, sockets: 0 });
    expect(app.logged).toEqual([]);
  });

  it('Should forget a room nobody has been in for a day when its visit never ended through it', async () => {
    const app = portable();
    const { visit, doctor, patient } = await inProgress(app);
    await doctor.request('signal:offer', { to: visit.patient.user.id, sdp: 'v=0 offer' }, 'o-1');
    patient.close();
    doctor.close();
    await app.settled(() => app.objects.counts().sockets === 0);

    // Kept for what it stored (the negotiation) while a rejoin may still need it.
    app.clock.advance(IDLE_ROOM_KEPT_MS - 1);
    expect(app.objects.sweep()).toBe(0);
    expect(app.objects.counts().rooms).toBe(1);

    app.clock.advance(1);
    expect(app.objects.sweep()).toBe(1);
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 0, sockets: 0 });
  });

  it('Should tell everyone room:closed and close 4410 on closeRoom, then refuse joins until the room is gone', async () => {
    const app = portable();
    const { visit, id, doctor, patient } = await inProgress(app);

    await app.port.closeRoom(id, 'cancelled');
    for (const socket of [doctor, patient]) {
      expect(await socket.next('room:closed')).toEqual({
        event: 'room:closed',
        data: { reason: 'cancelled', at: expect.any(String) },
      });
      expect((await socket.closed()).code).toBe(ROOM_CLOSE.ended);
    }

    // While the ended room is held, a join is refused by the room itself (410, answered 409 ROOM_CLOSED).
    const refused = await app.fetch(roomPath(id), {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `${SUBPROTOCOL}, bearer.${visit.patient.token}` },
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { code: 'ROOM_CLOSED', details: { reason: 'ended' } } });

    // The runtime reports both closes: the room holds nothing more and is forgotten.
    doctor.close();
    patient.close();
    expect(app.objects.counts().sockets).toBe(0);
    await app.settled(() => app.objects.counts().rooms === 0);
    expect(app.objects.counts()).toEqual({ hubs: 0, rooms: 0, sockets: 0 });
  });
});
