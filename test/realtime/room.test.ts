import { runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/access/tokens';
import { ROUND_TRIPS_HEADER } from '../../src/app';
import {
  appointments,
  callConsents,
  callMessages,
  callParticipants,
  callRecordings,
  callSessions,
  files,
  sessions,
} from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { sessionIdOf } from '../../src/modules/calls/room.service';
import { VideoRoom } from '../../src/realtime/video-room.do';
import { client, createSession, db, testEnv, uniqueId } from '../helpers';
import { account } from '../support/practice';
import {
  expectNothingElse,
  invitation,
  joinRoom,
  refusedJoin,
  roomOf,
  roomPath,
  videoVisit,
  visitInProgress,
} from '../support/rooms';
import { openSocket, upgrade } from '../support/sockets';

const appointmentOf = async (id: string) => (await db.select().from(appointments).where(eq(appointments.id, id)))[0]!;

describe('Joining a video room', () => {
  it('Should refuse a stranger (404), a cancelled visit, a too-early join, an in-person visit and an expired token', async () => {
    const visit = await videoVisit();
    const stranger = await account('user', new Date());
    expect(await refusedJoin(visit.appointment.id, stranger.token)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await refusedJoin('apt_missing', visit.patient.token)).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const cancelled = await videoVisit({ status: 'cancelled' });
    expect(await refusedJoin(cancelled.appointment.id, cancelled.patient.token)).toMatchObject({
      status: 409,
      code: 'ROOM_CLOSED',
      details: { reason: 'cancelled' },
    });

    const later = await videoVisit({ startsInMinutes: 60 });
    const early = await refusedJoin(later.appointment.id, later.doctor.token);
    expect(early).toMatchObject({ status: 409, code: 'ROOM_NOT_OPEN' });
    // The room opens 10 minutes (calls.openMinutesBefore) before the start.
    expect(Date.parse(early.details.opensAt)).toBe(later.appointment.startsAt - 10 * 60_000);

    const over = await videoVisit({ startsInMinutes: -90, minutes: 30 });
    expect(await refusedJoin(over.appointment.id, over.patient.token)).toMatchObject({
      status: 409,
      code: 'ROOM_CLOSED',
      details: { reason: 'over' },
    });

    const inPerson = await videoVisit({ type: 'in-person' });
    expect(await refusedJoin(inPerson.appointment.id, inPerson.patient.token)).toMatchObject({
      status: 409,
      code: 'CONFLICT',
    });

    const past = new Date(Date.now() - 60 * 60_000);
    const sid = await createSession(visit.patient.user.id, past);
    const expired = await signAccessToken(
      testEnv,
      { sub: visit.patient.user.id, role: 'user', sid, ver: visit.patient.user.tokenVersion },
      past,
    );
    expect(await refusedJoin(visit.appointment.id, expired)).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    const plain = await upgrade({ path: `/api/v1/appointments/${visit.appointment.id}/call/connect`, noUpgrade: true });
    expect(plain.status).toBe(426);

    // Nothing of a refused join was stored.
    for (const id of [visit.appointment.id, cancelled.appointment.id, later.appointment.id, inPerson.appointment.id]) {
      expect(await db.select().from(callSessions).where(eq(callSessions.appointmentId, id))).toEqual([]);
    }
  });

  it('Should check the bearer’s session within the join’s one read, and refuse a revoked one', async () => {
    const later = await videoVisit({ startsInMinutes: 60 });
    const early = await upgrade({ path: roomPath(later.appointment.id), token: later.doctor.token });
    expect(early.status).toBe(409);
    expect(Number(early.headers.get(ROUND_TRIPS_HEADER))).toBe(1);

    const visit = await videoVisit();
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.userId, visit.patient.user.id));
    const revoked = await upgrade({ path: roomPath(visit.appointment.id), token: visit.patient.token });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as any).error.code).toBe('TOKEN_REVOKED');
    expect(await db.select().from(callSessions).where(eq(callSessions.appointmentId, visit.appointment.id))).toEqual(
      [],
    );
  });

  it('Should keep the patient waiting until the doctor admits them, then start the visit', async () => {
    const visit = await videoVisit();
    const id = visit.appointment.id;
    const doctor = await joinRoom(id, visit.doctor.token);
    expect(doctor.state).toMatchObject({
      appointmentId: id,
      you: { userId: visit.doctor.user.id, role: 'doctor', state: 'joined' },
      participants: [],
      waiting: [],
      recording: null,
    });

    const patient = await joinRoom(id, visit.patient.token);
    expect(patient.state).toMatchObject({ you: { role: 'patient', state: 'waiting' }, participants: [], waiting: [] });
    expect((await doctor.socket.next('room:waiting')).data).toMatchObject({
      userId: visit.patient.user.id,
      role: 'patient',
      state: 'waiting',
    });
    // Waiting: no signaling, no chat, and only the doctor admits.
    const early = await patient.socket.request('signal:offer', { to: visit.doctor.user.id, sdp: 'v=0' });
    expect(early).toMatchObject({ event: 'signal:offer:error', data: { code: 'FORBIDDEN' } });
    const selfAdmit = await patient.socket.request('room:admit', { userId: visit.patient.user.id });
    expect(selfAdmit).toMatchObject({ event: 'room:admit:error', data: { code: 'FORBIDDEN' } });
    await expectNothingElse(doctor.socket);

    expect((await doctor.socket.request('room:admit', { userId: visit.patient.user.id })).event).toBe(
      'room:admit:success',
    );
    const admitted = await patient.socket.next('room:state');
    expect(admitted.data).toMatchObject({
      you: { state: 'joined' },
      participants: [{ userId: visit.doctor.user.id, role: 'doctor', state: 'joined' }],
    });
    expect((await doctor.socket.next('presence')).data).toMatchObject({
      userId: visit.patient.user.id,
      state: 'joined',
    });

    const session = (
      await db
        .select()
        .from(callSessions)
        .where(eq(callSessions.id, sessionIdOf(id)))
    )[0]!;
    expect(session).toMatchObject({ status: 'live', appointmentId: id });
    expect(session.startedAt).toBeTypeOf('number');
    expect((await appointmentOf(id)).status).toBe('in-progress');
    const seats = await db.select().from(callParticipants).where(eq(callParticipants.sessionId, session.id));
    expect(seats.map((s) => [s.role, s.admittedAt !== null]).sort()).toEqual([
      ['doctor', true],
      ['patient', true],
    ]);
    doctor.socket.close();
    patient.socket.close();
  });
});

describe('Calling out through the user hub', () => {
  it('Should tell the absent doctor that someone waits, and the absent patient that the doctor is ready', async () => {
    const visit = await videoVisit();
    const id = visit.appointment.id;
    const doctorHub = await openSocket({ token: visit.doctor.token });
    const patient = await joinRoom(id, visit.patient.token);
    expect(await doctorHub.next('call:waiting')).toEqual({
      event: 'call:waiting',
      data: {
        appointmentId: id,
        participant: { id: visit.patient.user.id, name: visit.patient.user.name, role: 'patient' },
      },
    });
    patient.socket.close();
    await patient.socket.closed();

    const patientHub = await openSocket({ token: visit.patient.token });
    const doctor = await joinRoom(id, visit.doctor.token);
    expect((await patientHub.next('call:doctor-ready')).data).toEqual({
      appointmentId: id,
      doctor: { id: visit.doctor.user.id, name: visit.doctor.user.name },
    });
    for (const s of [doctorHub, patientHub, doctor.socket]) s.close();
  });
});

describe('Signaling and presence', () => {
  it('Should relay offer, answer and ICE only to the named peer, keeping early candidates until the offer', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    const interpreter = await account('user', new Date());
    const code = await invitation(id, visit.doctor.user.id);
    const guest = await joinRoom(id, interpreter.token, code);
    expect(guest.state.you).toMatchObject({ role: 'guest', label: 'Interpreter', state: 'waiting' });
    await doctor.next('room:waiting');
    await doctor.request('room:admit', { userId: interpreter.user.id });
    await guest.socket.next('room:state');
    await doctor.next('presence');
    await patient.next('presence');

    const candidate = {
      candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    // A candidate before the description is kept, not delivered.
    const early = await patient.request('signal:ice', { to: visit.doctor.user.id, candidate });
    expect(early).toMatchObject({ event: 'signal:ice:success', data: { queued: true } });
    await expectNothingElse(doctor);

    patient.send({ event: 'signal:offer', data: { to: visit.doctor.user.id, sdp: 'v=0 offer' } });
    expect(await doctor.next('signal:offer')).toEqual({
      event: 'signal:offer',
      data: { from: visit.patient.user.id, sdp: 'v=0 offer' },
    });
    expect(await doctor.next('signal:ice')).toEqual({
      event: 'signal:ice',
      data: { from: visit.patient.user.id, candidate },
    });
    doctor.send({ event: 'signal:answer', data: { to: visit.patient.user.id, sdp: 'v=0 answer' } });
    expect((await patient.next('signal:answer')).data).toEqual({ from: visit.doctor.user.id, sdp: 'v=0 answer' });
    // After the description, candidates go straight through; end-of-candidates is null.
    patient.send({ event: 'signal:ice', data: { to: visit.doctor.user.id, candidate: null } });
    expect((await doctor.next('signal:ice')).data).toEqual({ from: visit.patient.user.id, candidate: null });
    // The guest saw none of it.
    await expectNothingElse(guest.socket);

    // A peer that is not here, yourself, and a malformed frame.
    expect(await patient.request('signal:offer', { to: 'usr_nobody', sdp: 'v=0' })).toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    expect(await patient.request('signal:offer', { to: visit.patient.user.id, sdp: 'v=0' })).toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    expect(await patient.request('signal:ice', { to: visit.doctor.user.id, candidate: { sdp: 1 } })).toMatchObject({
      event: 'signal:ice:error',
      data: { code: 'VALIDATION_FAILED' },
    });
    expect(await patient.request('signal:wave', {})).toMatchObject({ data: { code: 'UNKNOWN_EVENT' } });
    for (const s of [doctor, patient, guest.socket]) s.close();
  });

  it('Should broadcast media state, a drop as reconnecting, and let an admitted patient back in without waiting', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    patient.send({ event: 'presence:update', data: { muted: true } });
    expect((await doctor.next('presence')).data).toMatchObject({
      userId: visit.patient.user.id,
      state: 'joined',
      muted: true,
      camera: true,
    });

    patient.ws.close(4000, 'network lost');
    expect((await doctor.next('presence')).data).toMatchObject({
      userId: visit.patient.user.id,
      state: 'reconnecting',
    });
    const back = await joinRoom(id, visit.patient.token);
    expect(back.state.you.state).toBe('joined');
    expect((await doctor.next('presence')).data).toMatchObject({ userId: visit.patient.user.id, state: 'joined' });

    back.socket.send({ event: 'room:leave' });
    expect((await doctor.next('presence')).data).toMatchObject({ userId: visit.patient.user.id, state: 'left' });
    const [seat] = await db
      .select()
      .from(callParticipants)
      .where(and(eq(callParticipants.sessionId, sessionIdOf(id)), eq(callParticipants.userId, visit.patient.user.id)));
    expect(seat).toMatchObject({ joinCount: 2 });
    expect(seat!.lastLeftAt).toBeTypeOf('number');
    doctor.close();
  });
});

describe('In-call chat', () => {
  it('Should store each message and send it to everyone admitted; a file must be the sender’s', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    const sent = await patient.request('chat:send', { body: 'Can you hear me?' });
    expect(sent).toMatchObject({ event: 'chat:send:success' });
    const message = await doctor.next('chat:message');
    expect(message.data).toMatchObject({ from: visit.patient.user.id, body: 'Can you hear me?', fileId: null });
    expect((await patient.next('chat:message')).data.id).toBe(sent.data.id);

    const fileId = uniqueId('fil');
    await db.insert(files).values({
      id: fileId,
      ownerId: visit.doctor.user.id,
      purpose: 'attachment',
      fileName: 'plan.pdf',
      contentType: 'application/pdf',
      size: 10,
      storageKey: `test/${fileId}`,
      sha256: '0'.repeat(64),
      createdAt: Date.now(),
    });
    expect(await patient.request('chat:send', { fileId })).toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect(await doctor.request('chat:send', { fileId, body: 'Your plan' })).toMatchObject({
      event: 'chat:send:success',
    });
    expect(await patient.request('chat:send', {})).toMatchObject({ data: { code: 'VALIDATION_FAILED' } });

    const stored = await db.select().from(callMessages).where(eq(callMessages.appointmentId, id));
    expect(stored.map((m) => [m.senderId, m.body, m.fileId]).sort()).toEqual(
      [
        [visit.patient.user.id, 'Can you hear me?', null],
        [visit.doctor.user.id, 'Your plan', fileId],
      ].sort(),
    );
    // After the call, both parties read the same chat through the API (audited), in order.
    doctor.send({ event: 'call:end' });
    await patient.next('call:ended');
    for (const token of [visit.patient.token, visit.doctor.token]) {
      const res = await client().get(`/api/v1/appointments/${id}/call/messages`, { token });
      expect(res.status).toBe(200);
      expect(res.body.data.items.map((m: any) => [m.from, m.body, m.fileId])).toEqual([
        [visit.patient.user.id, 'Can you hear me?', null],
        [visit.doctor.user.id, 'Your plan', fileId],
      ]);
    }
    const stranger = await account('user', new Date());
    expect((await client().get(`/api/v1/appointments/${id}/call/messages`, { token: stranger.token })).status).toBe(
      404,
    );
  });
});

describe('Recording consent', () => {
  it('Should start a recording only with everyone’s consent and stop it when consent is withdrawn', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    const refused = await doctor.request('recording:start', {});
    expect(refused).toMatchObject({ event: 'recording:start:error', data: { code: 'CONFLICT' } });
    expect(refused.data.details.missing.sort()).toEqual([visit.doctor.user.id, visit.patient.user.id].sort());

    await doctor.request('recording:consent', {});
    await patient.next('recording:consents');
    await doctor.next('recording:consents');
    expect(await doctor.request('recording:start', {})).toMatchObject({
      data: { details: { missing: [visit.patient.user.id] } },
    });
    await patient.request('recording:consent', {});
    await patient.next('recording:consents');
    expect((await doctor.next('recording:consents')).data.consents.sort()).toEqual(
      [visit.doctor.user.id, visit.patient.user.id].sort(),
    );
    const started = await doctor.request('recording:start', {});
    expect(started).toMatchObject({ event: 'recording:start:success', data: { startedBy: visit.doctor.user.id } });
    expect((await patient.next('recording:started')).data.recordingId).toBe(started.data.recordingId);

    await patient.request('recording:withdraw', {});
    expect((await doctor.next('recording:stopped')).data).toMatchObject({
      recordingId: started.data.recordingId,
      reason: 'consent-withdrawn',
    });
    const [recording] = await db.select().from(callRecordings).where(eq(callRecordings.id, started.data.recordingId));
    expect(recording).toMatchObject({
      status: 'stopped',
      stopReason: 'consent-withdrawn',
      startedBy: visit.doctor.user.id,
    });
    const consents = await db.select().from(callConsents).where(eq(callConsents.appointmentId, id));
    expect(consents.map((c) => [c.userId === visit.patient.user.id ? 'patient' : 'doctor', c.action]).sort()).toEqual([
      ['doctor', 'given'],
      ['patient', 'given'],
      ['patient', 'withdrawn'],
    ]);
    // Without the patient's consent again, no new recording.
    expect(await doctor.request('recording:start', {})).toMatchObject({ data: { code: 'CONFLICT' } });
    doctor.close();
    patient.close();
  });
});

describe('Ending the visit', () => {
  it('Should end for the doctor only, with the duration, the appointment completed and the room closed', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    expect(await patient.request('call:end', {})).toMatchObject({ data: { code: 'FORBIDDEN' } });

    const session = (
      await db
        .select()
        .from(callSessions)
        .where(eq(callSessions.id, sessionIdOf(id)))
    )[0]!;
    // Twelve minutes into the visit, by the room's clock.
    await runInDurableObject(roomOf(id), (room: VideoRoom) => {
      room.clock = fixedClock(new Date(session.startedAt! + 12 * 60_000));
    });
    doctor.send({ event: 'call:end' });
    const ended = await patient.next('call:ended');
    expect(ended.data).toMatchObject({
      endedBy: visit.doctor.user.id,
      durationSeconds: 720,
      appointmentStatus: 'completed',
    });
    expect((await patient.closed()).code).toBe(4410);
    expect((await doctor.closed()).code).toBe(4410);

    expect((await appointmentOf(id)).status).toBe('completed');
    const [after] = await db.select().from(callSessions).where(eq(callSessions.id, session.id));
    expect(after).toMatchObject({
      status: 'ended',
      durationSeconds: 720,
      outcome: 'complete',
      endedBy: visit.doctor.user.id,
    });
    expect(await refusedJoin(id, visit.patient.token)).toMatchObject({ status: 409, code: 'ROOM_CLOSED' });
  });

  it('Should mark a no-show when the patient never came', async () => {
    const visit = await videoVisit({ startsInMinutes: -5 });
    const doctor = await joinRoom(visit.appointment.id, visit.doctor.token);
    // The answer to call:end is call:ended, to everyone, before the room closes the sockets.
    doctor.socket.send({ event: 'call:end', data: {} });
    expect((await doctor.socket.next('call:ended')).data).toMatchObject({
      durationSeconds: null,
      appointmentStatus: 'no-show',
    });
    expect((await appointmentOf(visit.appointment.id)).status).toBe('no-show');
  });
});

describe('The appointment changing outside the room', () => {
  it('Should close the room for everyone, waiting or not, when the visit is cancelled, and refuse later joins', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    const interpreter = await account('user', new Date());
    const guest = await joinRoom(id, interpreter.token, await invitation(id, visit.doctor.user.id));
    await doctor.next('room:waiting');
    // The doctor marks the visit no-show over REST while everyone is still connected.
    const res = await client().post(`/api/v1/appointments/${id}/no-show`, { token: visit.doctor.token, json: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const socket of [doctor, patient, guest.socket]) {
      expect((await socket.next('room:closed')).data).toMatchObject({ reason: 'no-show' });
      expect((await socket.closed()).code).toBe(4410);
    }
    expect(await refusedJoin(id, visit.patient.token)).toMatchObject({ status: 409, code: 'ROOM_CLOSED' });
  });
});

describe('VideoRoom hibernation', () => {
  // As for the user hub (test/realtime/hub.test.ts): a wake-up is a fresh instance over the same state
  // and sockets; everything it needs must come from the attachments and storage.
  it('Should keep relaying, admitting and counting consents from a fresh instance', async () => {
    const { visit, id, doctor, patient } = await visitInProgress();
    await patient.request('recording:consent', {});
    await doctor.next('recording:consents');

    await runInDurableObject(roomOf(id), async (_old, state) => {
      const fresh = new VideoRoom(state, testEnv);
      const byUser = new Map(state.getWebSockets().map((ws) => [(ws.deserializeAttachment() as any).userId, ws]));
      await fresh.webSocketMessage(
        byUser.get(visit.patient.user.id)!,
        JSON.stringify({ event: 'signal:offer', data: { to: visit.doctor.user.id, sdp: 'v=0 after wake' } }),
      );
      await fresh.webSocketMessage(
        byUser.get(visit.doctor.user.id)!,
        JSON.stringify({ event: 'recording:consent', id: 'c' }),
      );
    });
    expect((await doctor.next('signal:offer')).data).toEqual({ from: visit.patient.user.id, sdp: 'v=0 after wake' });
    expect((await doctor.next((f) => f.id === 'c')).data.consents.sort()).toEqual(
      [visit.doctor.user.id, visit.patient.user.id].sort(),
    );
    // The live object goes on from the same state.
    expect(await doctor.request('recording:start', {})).toMatchObject({ event: 'recording:start:success' });
    doctor.close();
    patient.close();
  });
});
