import type { z } from 'zod';
import { type AppDeps, type AuthedContext, createContext, type ServiceContext, withActor } from '../context';
import { HOST_ROLES } from '../db/schema';
import type { Env } from '../env';
import { fieldErrors } from '../http/hono';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { createIds } from '../lib/ids';
import { createLogger } from '../lib/log';
import {
  admitToRoom,
  decodeSeat,
  endRoom,
  leaveRoom,
  type RoomSeat,
  recordConsent,
  SEAT_HEADER,
  startRecording,
  stopRecording,
  storeChatMessage,
} from '../modules/calls/room.service';
import { authorityFromToken, checkSession, type SocketAuthority } from './hub-auth';
import { CLOSE, closeReply, errorFrame, readFrame } from './protocol';
import {
  MAX_PENDING_CANDIDATES,
  MAX_ROOM_FRAME_BYTES,
  type PresenceState,
  ROOM_CLIENT_EVENTS,
  ROOM_CLOSE,
  ROOM_RATE,
  type RoomClientData,
  type RoomClientEvent,
  type RoomParticipant,
  type RoomRecording,
  type RoomServerEvents,
  roomFrame,
} from './room-protocol';
import {
  describe,
  endSocket,
  errorDataOf,
  forwardedUpgrade,
  receiveSafely,
  send,
  stateOf,
  type Throttled,
  throttle,
} from './socket-core';
import type { AcceptSocket, HostedSocket, OpenResult, SocketHost, SocketOwner } from './socket-host';

/** Everything a socket needs after a wake-up: kept in its attachment, never only in memory. */
export interface RoomSocketState extends SocketAuthority, Throttled {
  seat: RoomSeat;
  /** When this socket joined (epoch ms): its time in the room is counted from here. */
  joinedAt: number;
  admitted: boolean;
  muted: boolean;
  camera: boolean;
  /** Set when the socket is closed by a later join of the same person, or by leaving on purpose. */
  closing?: 'replaced' | 'left';
}

/** The room's durable state (its host's storage), besides the sockets' attachments. */
export const KEY = {
  ended: 'ended',
  /** Set while the doctor's `call:end` runs, so the appointment's own change does not close the room twice. */
  ending: 'ending',
  consents: 'consents',
  recording: 'recording',
  described: (from: string, to: string) => `described:${from}>${to}`,
  pending: (from: string, to: string) => `pending:${from}>${to}`,
} as const;

interface StoredRecording extends RoomRecording {
  startedAtMs: number;
}

type Candidate = RoomServerEvents['signal:ice']['candidate'];

/** Events that act on shared state re-check the caller's session in D1; signaling and presence check only expiry. */
const SESSION_CHECKED = new Set<RoomClientEvent>([
  'auth:refresh',
  'room:admit',
  'chat:send',
  'recording:consent',
  'recording:withdraw',
  'recording:start',
  'recording:stop',
  'call:end',
]);

/**
 * One video visit's room: holds its participants' sockets, keeps the waiting room, relays signaling
 * between named participants, broadcasts presence and chat, and runs recording consent and the end of
 * the visit. The route decides who may join (src/modules/calls/room.service.ts, joinRoom) and hands the
 * seat over. Runtime-neutral: on Workers a Durable Object per room (named `appointment:<id>`) holds
 * it with the hibernation API (src/realtime/video-room.do.ts); on Bun and Deno the process does
 * (src/runtime/portable/sockets.ts).
 *
 * Nothing lives only in memory: each socket's seat, admission, media state and throttle are in its
 * attachment, and the room's consents, recording, early ICE candidates and end in its storage, so the
 * object can be evicted between any two frames.
 */
export class VideoRoomLogic implements SocketOwner {
  /** Time source; tests replace it. */
  clock: Clock;
  private readonly log = createLogger({ component: 'video-room' });

  constructor(
    private readonly host: SocketHost,
    private readonly env: Env,
    private readonly deps: AppDeps,
  ) {
    this.clock = deps.clock;
  }

  /** Accepts a socket into the seat the route granted (src/modules/calls/room.service.ts, joinRoom). */
  async open(authority: SocketAuthority, seat: RoomSeat, accept: AcceptSocket): Promise<OpenResult> {
    if (await this.host.storage.get(KEY.ended)) {
      return { refused: new Response('This visit has ended', { status: 410 }) };
    }

    const now = this.clock.now().getTime();
    // One socket per person: a new join (another device, a reconnect) replaces the old one, and the
    // negotiation starts over for them.
    for (const old of this.host.sockets(seat.userId)) {
      const state = stateOf<RoomSocketState>(old);
      if (state) old.serializeAttachment({ ...state, closing: 'replaced' } satisfies RoomSocketState);
      endSocket(old, 'REPLACED', 'You joined this room from another connection', ROOM_CLOSE.replaced);
    }
    await this.resetNegotiation(seat.userId);

    const { socket: server, response } = accept([seat.userId]);
    const state: RoomSocketState = {
      ...authority,
      seat,
      joinedAt: now,
      admitted: seat.admitted,
      muted: false,
      camera: true,
      windowStart: now,
      windowCount: 0,
    };
    server.serializeAttachment(state);
    send(server, roomFrame('room:state', await this.stateFor(state)));
    if (state.admitted) {
      this.broadcast('presence', { ...participantOf(state, 'joined'), at: iso(now) }, { except: seat.userId });
    } else {
      for (const doctor of this.host.sockets(seat.doctorId)) {
        send(doctor, roomFrame('room:waiting', participantOf(state, 'waiting')));
      }
    }
    this.callOut(seat);
    return { accepted: response };
  }

  webSocketMessage(socket: HostedSocket, raw: string | ArrayBuffer): Promise<void> {
    return receiveSafely(socket, this.log, 'room.message_failed', () => this.receive(socket, raw));
  }

  async webSocketClose(socket: HostedSocket, code: number): Promise<void> {
    closeReply(socket, code);
    await this.departed(socket, code === 1000 ? 'left' : 'reconnecting');
  }

  async webSocketError(socket: HostedSocket, error: unknown): Promise<void> {
    this.log.log('warn', 'room.socket_error', { error: describe(error) });
    closeReply(socket, 1011);
    await this.departed(socket, 'reconnecting');
  }

  /**
   * RPC from the Worker: the appointment became `reason` (cancelled, rejected, completed, no-show)
   * outside the room. Everyone in it, waiting or not, gets `room:closed` and is disconnected (4410); a
   * recording stops; later joins are refused. Nothing when the room already ended or is ending itself.
   */
  async close(reason: string): Promise<void> {
    if ((await this.host.storage.get(KEY.ended)) || (await this.host.storage.get(KEY.ending))) return;
    const now = this.now();
    await this.host.storage.put(KEY.ended, now);
    const recording = await this.host.storage.get<StoredRecording>(KEY.recording);
    const sockets = this.openSockets();
    if (recording && sockets.length) {
      // Stopped as the doctor would stop it at the end (the recorder's upload may follow).
      const [, someone] = sockets[0]!;
      try {
        const ctx = this.context(createIds(this.clock).id('req'));
        const { actor } = await checkSession(ctx, someone);
        await stopRecording(withActor(ctx, actor), someone.seat, recording.recordingId, 'call-ended');
      } catch (err) {
        this.log.log('error', 'room.close_recording_failed', { error: describe(err) });
      }
      await this.host.storage.delete(KEY.recording);
    }
    const text = roomFrame('room:closed', { reason, at: iso(now) });
    for (const socket of this.host.sockets()) {
      send(socket, text);
      try {
        socket.close(ROOM_CLOSE.ended, 'closed');
      } catch {
        // Already closing.
      }
    }
  }

  /**
   * Tells whoever the join concerns and who is not in the room, through their user hub (off the join's
   * path): the patient that the doctor is ready, the doctor that someone waits.
   */
  private callOut(seat: RoomSeat): void {
    const realtime = this.context(createIds(this.clock).id('req')).ports.realtime;
    const person = { id: seat.userId, name: seat.name };
    const absent = (userId: string) => this.socketsOf(userId).length === 0;
    const { role } = seat;
    if (role === 'doctor' || role === 'caregiver') {
      if (absent(seat.patientId)) {
        this.host.waitUntil(
          realtime.notify(seat.patientId, 'call:doctor-ready', { appointmentId: seat.appointmentId, doctor: person }),
        );
      }
    } else if (!seat.admitted && absent(seat.doctorId)) {
      const participant = { ...person, role };
      this.host.waitUntil(
        realtime.notify(seat.doctorId, 'call:waiting', { appointmentId: seat.appointmentId, participant }),
      );
    }
  }

  /** A socket is gone: its time in the room is stored, and the room told it left or dropped. */
  private async departed(socket: HostedSocket, how: 'left' | 'reconnecting'): Promise<void> {
    const state = stateOf<RoomSocketState>(socket);
    if (!state) return;
    socket.serializeAttachment(null);
    try {
      await leaveRoom(this.context(createIds(this.clock).id('req')), state.seat, state.joinedAt);
    } catch (err) {
      this.log.log('error', 'room.leave_failed', { error: describe(err) });
    }
    if (state.closing === 'replaced' || (await this.host.storage.get(KEY.ended))) return;
    const presence = { ...participantOf(state, state.closing === 'left' ? 'left' : how), at: iso(this.now()) };
    if (state.admitted) this.broadcast('presence', presence, { except: state.seat.userId });
    else for (const doctor of this.host.sockets(state.seat.doctorId)) send(doctor, roomFrame('presence', presence));
  }

  /** One inbound frame: throttle, expiry, shape, data, session (for events that change shared state), then dispatch. */
  private async receive(socket: HostedSocket, raw: string | ArrayBuffer): Promise<void> {
    const state = stateOf<RoomSocketState>(socket);
    if (!state) {
      endSocket(socket, 'TOKEN_REVOKED', 'This socket has no authority', CLOSE.revoked);
      return;
    }
    const read = readFrame(raw, MAX_ROOM_FRAME_BYTES);
    const id = read.ok ? read.frame.id : read.id;
    const now = this.now();
    const throttled = throttle(socket, state, now, ROOM_RATE);
    if (throttled.verdict === 'close') {
      endSocket(socket, 'RATE_LIMITED', 'Too many frames; closing', CLOSE.flooded, id);
      return;
    }
    if (throttled.verdict === 'drop') {
      const message = `Too many frames; retry in ${throttled.retryAfter} s`;
      send(socket, errorFrame({ code: 'RATE_LIMITED', message }, id));
      return;
    }
    if (now >= state.expiresAt) {
      const message = 'The access token has expired; reconnect with a fresh one';
      endSocket(socket, 'TOKEN_EXPIRED', message, CLOSE.expired, id);
      return;
    }
    if (!read.ok) {
      send(socket, errorFrame({ code: read.code, message: read.message }, id));
      return;
    }
    const { event } = read.frame;
    if (!Object.hasOwn(ROOM_CLIENT_EVENTS, event)) {
      send(socket, errorFrame({ code: 'UNKNOWN_EVENT', message: `Unknown event "${event}"` }, id, `${event}:error`));
      return;
    }
    const name = event as RoomClientEvent;
    const schema: z.ZodType = ROOM_CLIENT_EVENTS[name];
    const parsed = schema.safeParse(read.frame.data);
    if (!parsed.success) {
      const failure = {
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        fields: fieldErrors(parsed.error, 'data'),
      };
      send(socket, errorFrame(failure, id, `${event}:error`));
      return;
    }

    const ctx = this.context(createIds(this.clock).id('req'));
    let authed: AuthedContext;
    if (SESSION_CHECKED.has(name)) {
      try {
        const { actor } = await checkSession(ctx, state);
        authed = withActor(ctx, actor);
      } catch (err) {
        if (err instanceof AppError) endSocket(socket, err.code, err.message, CLOSE.revoked, id);
        else send(socket, errorFrame(errorDataOf(err, ctx, 'room.session_check_failed'), id));
        return;
      }
    } else {
      authed = ctx as AuthedContext;
    }
    try {
      const result = await this.dispatch(socket, state, name, parsed.data, authed);
      if (name === 'ping') send(socket, roomFrame('pong', { at: iso(now) }, id));
      else if (id !== undefined) send(socket, roomFrame(`${event}:success`, result ?? null, id));
    } catch (err) {
      send(socket, errorFrame(errorDataOf(err, ctx, 'room.handler_failed'), id, `${event}:error`));
    }
  }

  /** Runs one valid frame; resolves with the reply's payload (sent only to frames that carried an id). */
  private async dispatch(
    socket: HostedSocket,
    state: RoomSocketState,
    event: RoomClientEvent,
    data: unknown,
    ctx: AuthedContext,
  ): Promise<unknown> {
    switch (event) {
      case 'ping':
        return null;
      case 'auth:refresh':
        return this.refresh(socket, state, ctx, data as RoomClientData<'auth:refresh'>);
      case 'room:admit':
        return this.admit(state, ctx, (data as RoomClientData<'room:admit'>).userId);
      case 'room:leave':
        socket.serializeAttachment({ ...state, closing: 'left' } satisfies RoomSocketState);
        socket.close(1000, 'left');
        return null;
      case 'signal:offer':
      case 'signal:answer':
        return this.describe(state, event, data as RoomClientData<'signal:offer'>);
      case 'signal:ice':
        return this.candidate(state, data as RoomClientData<'signal:ice'>);
      case 'presence:update':
        return this.media(socket, state, data as RoomClientData<'presence:update'>);
      case 'chat:send':
        return this.chat(state, ctx, data as RoomClientData<'chat:send'>);
      case 'recording:consent':
      case 'recording:withdraw':
        return this.consent(state, ctx, event === 'recording:consent');
      case 'recording:start':
        return this.startRecording(state, ctx);
      case 'recording:stop':
        return this.stopRecording(state, ctx);
      case 'call:end':
        return this.end(state, ctx);
    }
  }

  /** `auth:refresh { token }`: a fresh access token of the same user extends the socket's authority. */
  private async refresh(
    socket: HostedSocket,
    state: RoomSocketState,
    ctx: ServiceContext,
    data: RoomClientData<'auth:refresh'>,
  ): Promise<{ expiresAt: string }> {
    const { authority } = await authorityFromToken(ctx, data.token);
    if (authority.userId !== state.userId) throw new AppError('TOKEN_INVALID', 'The token belongs to another account');
    const current = stateOf<RoomSocketState>(socket) ?? state;
    socket.serializeAttachment({ ...current, ...authority } satisfies RoomSocketState);
    return { expiresAt: iso(authority.expiresAt) };
  }

  /**
   * `room:admit { userId }` (the doctor): lets a waiting participant in. They get the room's state, the
   * others their presence; the first admission of the patient starts the visit. A recording running
   * without the newcomer's consent stops.
   */
  private async admit(state: RoomSocketState, ctx: AuthedContext, userId: string): Promise<{ userId: string }> {
    requireRole(state, HOST_ROLES, 'Only the host (the doctor or the caregiver) admits participants');
    const target = this.socketsOf(userId).find(([, s]) => !s.admitted);
    if (!target) throw new AppError('NOT_FOUND', 'No one by that id is waiting');
    const [socket, waiting] = target;
    await admitToRoom(ctx, state.seat, userId);
    const admitted: RoomSocketState = { ...waiting, admitted: true, seat: { ...waiting.seat, admitted: true } };
    socket.serializeAttachment(admitted);
    send(socket, roomFrame('room:state', await this.stateFor(admitted)));
    this.broadcast('presence', { ...participantOf(admitted, 'joined'), at: iso(this.now()) }, { except: userId });
    const consents = await this.consents();
    if (!consents.includes(userId)) await this.stopIfRecording(state, ctx, 'participant-joined');
    return { userId };
  }

  /**
   * `signal:offer|answer { to, sdp }`: delivered to the named participant only, as `{ from, sdp }`; the
   * candidates the sender trickled before it are delivered right after it.
   */
  private async describe(
    state: RoomSocketState,
    event: 'signal:offer' | 'signal:answer',
    data: RoomClientData<'signal:offer'>,
  ): Promise<{ delivered: true }> {
    const to = this.peer(state, data.to);
    const from = state.userId;
    send(to, roomFrame(event, { from, sdp: data.sdp }));
    const pending = (await this.host.storage.get<Candidate[]>(KEY.pending(from, data.to))) ?? [];
    for (const candidate of pending) send(to, roomFrame('signal:ice', { from, candidate }));
    await this.host.storage.put(KEY.described(from, data.to), true);
    if (pending.length) await this.host.storage.delete(KEY.pending(from, data.to));
    return { delivered: true };
  }

  /**
   * `signal:ice { to, candidate }`: delivered to the named participant once the sender's description
   * reached them; before that it is kept (at most MAX_PENDING_CANDIDATES) and follows the description.
   */
  private async candidate(state: RoomSocketState, data: RoomClientData<'signal:ice'>): Promise<{ queued: boolean }> {
    const to = this.peer(state, data.to);
    const from = state.userId;
    if (await this.host.storage.get(KEY.described(from, data.to))) {
      send(to, roomFrame('signal:ice', { from, candidate: data.candidate }));
      return { queued: false };
    }
    const pending = (await this.host.storage.get<Candidate[]>(KEY.pending(from, data.to))) ?? [];
    if (pending.length >= MAX_PENDING_CANDIDATES) {
      throw new AppError('CONFLICT', `At most ${MAX_PENDING_CANDIDATES} candidates wait for a description`);
    }
    await this.host.storage.put(KEY.pending(from, data.to), [...pending, data.candidate]);
    return { queued: true };
  }

  /** `presence:update { muted?, camera? }`: stored on the socket and broadcast to the room. */
  private media(socket: HostedSocket, state: RoomSocketState, data: RoomClientData<'presence:update'>): null {
    const next: RoomSocketState = {
      ...state,
      muted: data.muted ?? state.muted,
      camera: data.camera ?? state.camera,
    };
    socket.serializeAttachment(next);
    if (next.admitted) {
      this.broadcast('presence', { ...participantOf(next, 'joined'), at: iso(this.now()) }, { except: state.userId });
    }
    return null;
  }

  /** `chat:send { body?, fileId? }`: stored (D1), then sent to everyone admitted, the sender included. */
  private async chat(
    state: RoomSocketState,
    ctx: AuthedContext,
    data: RoomClientData<'chat:send'>,
  ): Promise<{ id: string }> {
    requireAdmitted(state);
    const stored = await storeChatMessage(ctx, state.seat, data);
    this.broadcast('chat:message', {
      id: stored.id,
      from: state.userId,
      body: data.body ?? null,
      fileId: data.fileId ?? null,
      at: iso(stored.at),
    });
    return { id: stored.id };
  }

  /**
   * `recording:consent` / `recording:withdraw`: stored (D1, with the time and the person) and shown to
   * the room; withdrawing stops a recording at once.
   */
  private async consent(state: RoomSocketState, ctx: AuthedContext, given: boolean): Promise<{ consents: string[] }> {
    requireAdmitted(state);
    await recordConsent(ctx, state.seat, given ? 'given' : 'withdrawn');
    const current = (await this.consents()).filter((u) => u !== state.userId);
    const consents = given ? [...current, state.userId] : current;
    await this.host.storage.put(KEY.consents, consents);
    this.broadcast('recording:consents', { consents, required: this.admittedIds() });
    if (!given) await this.stopIfRecording(state, ctx, 'consent-withdrawn');
    return { consents };
  }

  /**
   * `recording:start` (the doctor or the patient, who then uploads it): only when everyone admitted and
   * present has consented.
   * @throws AppError CONFLICT (already recording; or consents missing, details.missing)
   */
  private async startRecording(state: RoomSocketState, ctx: AuthedContext): Promise<RoomRecording> {
    requireRole(state, [...HOST_ROLES, 'patient'], 'Only the host or the patient records a visit');
    requireAdmitted(state);
    if (await this.host.storage.get(KEY.recording))
      throw new AppError('CONFLICT', 'This visit is already being recorded');
    const consents = await this.consents();
    const missing = this.admittedIds().filter((u) => !consents.includes(u));
    if (missing.length) {
      throw new AppError('CONFLICT', 'Everyone in the room must consent to recording first', { details: { missing } });
    }
    const started = await startRecording(ctx, state.seat);
    const recording: StoredRecording = {
      recordingId: started.id,
      startedBy: state.userId,
      startedAt: iso(started.at),
      startedAtMs: started.at,
    };
    await this.host.storage.put(KEY.recording, recording);
    const { startedAtMs: _, ...shown } = recording;
    this.broadcast('recording:started', shown);
    return shown;
  }

  /** `recording:stop` (who started it, or the doctor). */
  private async stopRecording(state: RoomSocketState, ctx: AuthedContext): Promise<{ recordingId: string }> {
    const recording = await this.host.storage.get<StoredRecording>(KEY.recording);
    if (!recording) throw new AppError('CONFLICT', 'Nothing is being recorded');
    if (recording.startedBy !== state.userId && !HOST_ROLES.includes(state.seat.role)) {
      throw new AppError('FORBIDDEN', 'Only who started the recording, or the doctor, stops it');
    }
    await this.stopIfRecording(state, ctx, 'stopped');
    return { recordingId: recording.recordingId };
  }

  private async stopIfRecording(
    state: RoomSocketState,
    ctx: AuthedContext,
    reason: RoomServerEvents['recording:stopped']['reason'],
  ): Promise<void> {
    const recording = await this.host.storage.get<StoredRecording>(KEY.recording);
    if (!recording) return;
    const at = await stopRecording(ctx, state.seat, recording.recordingId, reason);
    await this.host.storage.delete(KEY.recording);
    this.broadcast('recording:stopped', { recordingId: recording.recordingId, reason, at: iso(at) });
  }

  /**
   * `call:end` (the doctor): stops a recording, ends the session and moves the appointment (completed,
   * or no-show when the patient never came), tells everyone, waiting or not, and closes every socket.
   */
  private async end(state: RoomSocketState, ctx: AuthedContext): Promise<RoomServerEvents['call:ended']> {
    requireRole(state, HOST_ROLES, 'Only the host (the doctor or the caregiver) ends the visit');
    await this.host.storage.put(KEY.ending, true);
    let ended: Awaited<ReturnType<typeof endRoom>>;
    try {
      await this.stopIfRecording(state, ctx, 'call-ended');
      ended = await endRoom(ctx, state.seat);
    } catch (err) {
      await this.host.storage.delete(KEY.ending);
      throw err;
    }
    await this.host.storage.put(KEY.ended, ended.at);
    const payload = {
      endedBy: state.userId,
      durationSeconds: ended.durationSeconds,
      appointmentStatus: ended.appointmentStatus,
      at: iso(ended.at),
    };
    const text = roomFrame('call:ended', payload);
    for (const socket of this.host.sockets()) {
      send(socket, text);
      try {
        socket.close(ROOM_CLOSE.ended, 'ended');
      } catch {
        // Already closing.
      }
    }
    return payload;
  }

  /** The open socket of an admitted participant other than the sender, for signaling. */
  private peer(state: RoomSocketState, to: string): HostedSocket {
    requireAdmitted(state);
    if (to === state.userId) throw new AppError('BAD_REQUEST', 'Signal another participant, not yourself');
    const found = this.socketsOf(to).find(([, s]) => s.admitted);
    if (!found) throw new AppError('NOT_FOUND', 'No admitted participant by that id is in the room');
    return found[0];
  }

  /** A participant's state as the one joining sees the room: who is in, who waits (the doctor), recording, consents. */
  private async stateFor(state: RoomSocketState): Promise<RoomServerEvents['room:state']> {
    const others = this.openSockets().filter(([, s]) => s.userId !== state.userId);
    const recording = await this.host.storage.get<StoredRecording>(KEY.recording);
    return {
      appointmentId: state.seat.appointmentId,
      you: participantOf(state, state.admitted ? 'joined' : 'waiting'),
      participants: state.admitted
        ? others.filter(([, s]) => s.admitted).map(([, s]) => participantOf(s, 'joined'))
        : [],
      waiting: HOST_ROLES.includes(state.seat.role)
        ? others.filter(([, s]) => !s.admitted).map(([, s]) => participantOf(s, 'waiting'))
        : [],
      recording: recording
        ? { recordingId: recording.recordingId, startedBy: recording.startedBy, startedAt: recording.startedAt }
        : null,
      consents: await this.consents(),
      endsAt: iso(state.seat.endsAt),
    };
  }

  /** Sends one event to every admitted participant (but `except`). */
  private broadcast<E extends keyof RoomServerEvents & string>(
    event: E,
    data: RoomServerEvents[E],
    options: { except?: string } = {},
  ): void {
    const text = roomFrame(event, data);
    for (const [socket, s] of this.openSockets()) if (s.admitted && s.userId !== options.except) send(socket, text);
  }

  private openSockets(): [HostedSocket, RoomSocketState][] {
    const sockets: [HostedSocket, RoomSocketState][] = [];
    for (const socket of this.host.sockets()) {
      const s = stateOf<RoomSocketState>(socket);
      if (s && !s.closing && socket.readyState === WebSocket.OPEN) sockets.push([socket, s]);
    }
    return sockets;
  }

  private socketsOf(userId: string): [HostedSocket, RoomSocketState][] {
    return this.openSockets().filter(([, s]) => s.userId === userId);
  }

  private admittedIds(): string[] {
    return [
      ...new Set(
        this.openSockets()
          .filter(([, s]) => s.admitted)
          .map(([, s]) => s.userId),
      ),
    ];
  }

  private async consents(): Promise<string[]> {
    return (await this.host.storage.get<string[]>(KEY.consents)) ?? [];
  }

  /** A new connection of `userId` negotiates afresh: what was delivered to or from them no longer holds. */
  private async resetNegotiation(userId: string): Promise<void> {
    const keys = [
      ...(await this.host.storage.list({ prefix: 'described:' })).keys(),
      ...(await this.host.storage.list({ prefix: 'pending:' })).keys(),
    ].filter((key) => {
      const [from, to] = key.slice(key.indexOf(':') + 1).split('>');
      return from === userId || to === userId;
    });
    if (keys.length) await this.host.storage.delete(keys);
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** A context with no caller yet: `withActor` once the frame's session checked out. */
  private context(requestId: string): ServiceContext {
    return createContext(
      this.env,
      { ...this.deps, clock: this.clock },
      { requestId, waitUntil: (task) => this.host.waitUntil(task) },
    );
  }
}

function participantOf(state: RoomSocketState, presence: PresenceState): RoomParticipant {
  return {
    userId: state.userId,
    role: state.seat.role,
    name: state.seat.name,
    label: state.seat.label,
    state: presence,
    muted: state.muted,
    camera: state.camera,
  };
}

function requireRole(state: RoomSocketState, roles: readonly RoomSeat['role'][], message: string): void {
  if (!roles.includes(state.seat.role)) throw new AppError('FORBIDDEN', message);
}

function requireAdmitted(state: RoomSocketState): void {
  if (!state.admitted) throw new AppError('FORBIDDEN', 'Wait for the host to admit you');
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The authority and seat of a join forwarded with the trusted headers (`authorityHeaders` and the
 * seat's), or the refusal: 426 without an upgrade, 400 without them or when they disagree.
 */
export function forwardedJoin(
  request: Request,
): { authority: SocketAuthority; seat: RoomSeat } | { refusal: Response } {
  const upgrade = forwardedUpgrade(request);
  if ('refusal' in upgrade) return upgrade;
  const join = joinOf(upgrade.authority, request.headers);
  return join ?? { refusal: new Response('Missing socket authority', { status: 400 }) };
}

/** The seat the trusted headers grant `authority`; null when they carry none, or another person's. */
export function joinOf(
  authority: SocketAuthority,
  headers: Headers,
): { authority: SocketAuthority; seat: RoomSeat } | null {
  const seat = decodeSeat(headers.get(SEAT_HEADER));
  return seat && seat.userId === authority.userId ? { authority, seat } : null;
}
