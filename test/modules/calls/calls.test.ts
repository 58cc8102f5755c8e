import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import {
  auditEvents,
  callConsents,
  callInvitations,
  callMessages,
  callParticipants,
  callRecordings,
} from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { sha256Hex } from '../../../src/lib/crypto';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, recordingFetch, testEnv, uniqueId } from '../../helpers';
import { insertCallSession, insertRecording, insertVideoAppointment } from '../../support/calls';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

const NOW = new Date('2026-07-01T08:00:00Z');
const START = '2026-07-01T09:00:00.000Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const A = '/api/v1/appointments';
const MiB = 1024 * 1024;
const OCTET = { 'content-type': 'application/octet-stream' };

const auditRows = (action: string, resourceId: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.resourceId, resourceId)))
    .all();

describe('GET /calls/ice-servers', () => {
  it('Should answer STUN only without a TURN key', async () => {
    const { token } = await account('user', NOW);
    const res = await api.get('/api/v1/calls/ice-servers', { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ iceServers: [{ urls: ['stun:stun.cloudflare.com:3478'] }], ttlSeconds: 86_400 });
    expect(tripsOf(res)).toBeLessThanOrEqual(1);
  });

  it('Should ask Cloudflare TURN for credentials with the key, and pass them on', async () => {
    const turn = {
      iceServers: [
        { urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] },
        { urls: ['turn:turn.cloudflare.com:3478?transport=udp'], username: 'u-123', credential: 'c-456' },
      ],
    };
    const fake = recordingFetch(() => Response.json(turn, { status: 201 }));
    const withTurn = client({ clock, fetch: fake.fetch });
    const { token } = await account('doctor', NOW);
    const res = await withTurn.get('/api/v1/calls/ice-servers', {
      token,
      env: { TURN_KEY_ID: 'key-abc', TURN_KEY_API_TOKEN: 'tok-xyz' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ ...turn, ttlSeconds: 86_400 });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.url).toBe('https://rtc.live.cloudflare.com/v1/turn/keys/key-abc/credentials/generate-ice-servers');
    expect(sent!.headers.get('authorization')).toBe('Bearer tok-xyz');
    expect(await sent!.json()).toEqual({ ttl: 86_400 });
  });

  it('Should fall back to STUN when the provider fails', async () => {
    const fake = recordingFetch(() => new Response('nope', { status: 500 }));
    const { token } = await account('user', NOW);
    const res = await client({ clock, fetch: fake.fetch }).get('/api/v1/calls/ice-servers', {
      token,
      env: { TURN_KEY_ID: 'key-abc', TURN_KEY_API_TOKEN: 'tok-xyz' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.iceServers).toEqual([{ urls: ['stun:stun.cloudflare.com:3478'] }]);
    expect(fake.requests).toHaveLength(1);
  });

  it('Should refuse an anonymous caller', async () => {
    expect((await api.get('/api/v1/calls/ice-servers')).status).toBe(401);
  });
});

describe('invitations', () => {
  it('Should invite a guest: a code once, only its hash stored, expiring at the end plus the grace', async () => {
    const { appointment, doctor } = await insertVideoAppointment({ now: NOW, startsAt: START });
    const res = await api.post(`${A}/${appointment.id}/call/invitations`, {
      token: doctor.token,
      json: { label: 'Interpreter (Spanish)' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const { id, code, label, expiresAt } = res.body.data;
    expect(label).toBe('Interpreter (Spanish)');
    expect(expiresAt).toBe(new Date(appointment.endsAt).toISOString());
    const row = await db.select().from(callInvitations).where(eq(callInvitations.id, id)).get();
    expect(row?.tokenHash).toBe(await sha256Hex(code));
    expect(JSON.stringify(row)).not.toContain(code);
    expect(await auditRows('call.invitation.create', id)).toHaveLength(1);

    const list = await api.get(`${A}/${appointment.id}/call/invitations`, { token: doctor.token });
    expect(list.status).toBe(200);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items).toMatchObject([{ id, state: 'open', usedBy: null, revokedAt: null }]);
    expect(JSON.stringify(list.body)).not.toContain(code);

    const revoked = await api.delete(`${A}/${appointment.id}/call/invitations/${id}`, { token: doctor.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toMatchObject({ id, state: 'revoked', revokedAt: NOW.toISOString() });
    const again = await api.delete(`${A}/${appointment.id}/call/invitations/${id}`, { token: doctor.token });
    expect(again.body.data.revokedAt).toBe(NOW.toISOString());
    expect(await auditRows('call.invitation.revoke', id)).toHaveLength(1);
  });

  it('Should answer 404 to the patient, staff and strangers, and for another appointment’s invitation', async () => {
    const { appointment, doctor, patient } = await insertVideoAppointment({ now: NOW, startsAt: START });
    const other = await insertVideoAppointment({ now: NOW, startsAt: START });
    const stranger = await account('doctor', NOW);
    for (const token of [patient.token, stranger.token]) {
      const res = await api.post(`${A}/${appointment.id}/call/invitations`, { token, json: { label: 'X' } });
      expect(res.status).toBe(patient.token === token ? 403 : 404);
    }
    expect((await api.get(`${A}/${appointment.id}/call/invitations`, { token: stranger.token })).status).toBe(404);
    const made = await api.post(`${A}/${other.appointment.id}/call/invitations`, {
      token: other.doctor.token,
      json: { label: 'Interpreter' },
    });
    const res = await api.delete(`${A}/${appointment.id}/call/invitations/${made.body.data.id}`, {
      token: doctor.token,
    });
    expect(res.status).toBe(404);
    expect(await db.$count(callInvitations, eq(callInvitations.appointmentId, appointment.id))).toBe(0);
  });

  it('Should refuse a cancelled or past appointment (ROOM_CLOSED) and a sixth live invitation (CONFLICT)', async () => {
    const cancelled = await insertVideoAppointment({ now: NOW, startsAt: START, status: 'cancelled' });
    const res = await api.post(`${A}/${cancelled.appointment.id}/call/invitations`, {
      token: cancelled.doctor.token,
      json: { label: 'Interpreter' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ROOM_CLOSED');
    const past = await insertVideoAppointment({ now: NOW, startsAt: '2026-07-01T07:00:00.000Z' });
    const late = await api.post(`${A}/${past.appointment.id}/call/invitations`, {
      token: past.doctor.token,
      json: { label: 'Interpreter' },
    });
    expect(late.body.error?.code).toBe('ROOM_CLOSED');

    const { appointment, doctor } = await insertVideoAppointment({ now: NOW, startsAt: START });
    for (let i = 0; i < 5; i++) {
      const made = await api.post(`${A}/${appointment.id}/call/invitations`, {
        token: doctor.token,
        json: { label: `Guest ${i}` },
      });
      expect(made.status).toBe(201);
    }
    const sixth = await api.post(`${A}/${appointment.id}/call/invitations`, {
      token: doctor.token,
      json: { label: 'Guest 6' },
    });
    expect(sixth.status).toBe(409);
    expect(sixth.body.error.code).toBe('CONFLICT');
    expect(await db.$count(callInvitations, eq(callInvitations.appointmentId, appointment.id))).toBe(5);
  });
});

describe('after the call: summary and chat', () => {
  async function endedCall() {
    const scene = await insertVideoAppointment({ now: NOW, startsAt: '2026-06-30T09:00:00.000Z', status: 'completed' });
    const { appointment, doctor, patient } = scene;
    const startedAt = appointment.startsAt + 30_000;
    const session = await insertCallSession(appointment, {
      status: 'ended',
      startedAt,
      endedAt: startedAt + 1_200_000,
      endedBy: doctor.user.id,
      durationSeconds: 1200,
      outcome: 'complete',
    });
    await db.insert(callParticipants).values([
      {
        sessionId: session.id,
        userId: doctor.user.id,
        role: 'doctor',
        admittedAt: session.openedAt,
        firstJoinedAt: session.openedAt,
        lastJoinedAt: session.openedAt,
        lastLeftAt: startedAt + 1_200_000,
        presentSeconds: 1500,
      },
      {
        sessionId: session.id,
        userId: patient.user.id,
        role: 'patient',
        admittedAt: startedAt,
        firstJoinedAt: startedAt - 60_000,
        lastJoinedAt: startedAt - 60_000,
        lastLeftAt: startedAt + 1_200_000,
        presentSeconds: 1200,
      },
    ]);
    await db.insert(callConsents).values([
      {
        id: uniqueId('ccon'),
        sessionId: session.id,
        appointmentId: appointment.id,
        userId: patient.user.id,
        action: 'given',
        at: startedAt + 1000,
      },
      {
        id: uniqueId('ccon'),
        sessionId: session.id,
        appointmentId: appointment.id,
        userId: doctor.user.id,
        action: 'given',
        at: startedAt + 2000,
      },
    ]);
    const messages = [0, 1, 2].map((i) => ({
      id: uniqueId('cmsg'),
      sessionId: session.id,
      appointmentId: appointment.id,
      senderId: i % 2 ? doctor.user.id : patient.user.id,
      body: `message ${i}`,
      fileId: null,
      createdAt: startedAt + (i + 1) * 60_000,
    }));
    await db.insert(callMessages).values(messages);
    const recording = await insertRecording(session, doctor.user.id, { startedAt: startedAt + 3000 });
    return { ...scene, session, messages, recording };
  }

  it('Should show both parties the session, participants, consents and recordings in one audited round trip', async () => {
    const { appointment, doctor, patient, session, recording } = await endedCall();
    for (const who of [patient, doctor]) {
      const res = await api.get(`${A}/${appointment.id}/call`, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(tripsOf(res)).toBe(1);
      expect(res.body.data).toMatchObject({
        id: session.id,
        status: 'ended',
        durationSeconds: 1200,
        outcome: 'complete',
        endedBy: doctor.user.id,
        participants: [
          { userId: doctor.user.id, role: 'doctor', name: 'Test Person', presentSeconds: 1500, joinCount: 1 },
          { userId: patient.user.id, role: 'patient', presentSeconds: 1200 },
        ],
        consents: [
          { userId: patient.user.id, action: 'given' },
          { userId: doctor.user.id, action: 'given' },
        ],
        recordings: [{ id: recording.id, status: 'stopped', stopReason: 'stopped', sizeBytes: null }],
      });
    }
    const audits = await auditRows('call.summary.read', appointment.id);
    expect(audits.map((a) => a.actorId).sort()).toEqual([patient.user.id, doctor.user.id].sort());
    expect(audits[0]?.patientId).toBe(patient.user.id);
  });

  it('Should answer 404 to staff and strangers (nothing audited), and while nobody has joined', async () => {
    const { appointment } = await endedCall();
    for (const role of ['receptionist', 'admin', 'user', 'doctor'] as const) {
      const { token } = await account(role, NOW);
      expect((await api.get(`${A}/${appointment.id}/call`, { token })).status).toBe(404);
      expect((await api.get(`${A}/${appointment.id}/call/messages`, { token })).status).toBe(404);
    }
    expect(await auditRows('call.summary.read', appointment.id)).toEqual([]);
    expect(await auditRows('call.messages.read', appointment.id)).toEqual([]);

    const fresh = await insertVideoAppointment({ now: NOW, startsAt: START });
    const res = await api.get(`${A}/${fresh.appointment.id}/call`, { token: fresh.patient.token });
    expect(res.status).toBe(404);
    expect(tripsOf(res)).toBe(1);
    expect(await auditRows('call.summary.read', fresh.appointment.id)).toEqual([]);
  });

  it('Should page the chat oldest first in one audited round trip', async () => {
    const { appointment, patient, doctor, messages } = await endedCall();
    const res = await api.get(`${A}/${appointment.id}/call/messages?limit=2`, { token: patient.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.items).toEqual(
      messages.slice(0, 2).map((m) => ({
        id: m.id,
        from: m.senderId,
        body: m.body,
        fileId: null,
        at: new Date(m.createdAt).toISOString(),
      })),
    );
    expect(res.body.data.pagination).toMatchObject({ total: 3, pages: 2, hasNext: true });
    const second = await api.get(`${A}/${appointment.id}/call/messages?page=2&limit=2`, { token: doctor.token });
    expect(second.body.data.items.map((m: { id: string }) => m.id)).toEqual([messages[2]!.id]);
    expect(await auditRows('call.messages.read', appointment.id)).toHaveLength(2);
  });
});

describe('recordings', () => {
  async function stoppedRecording(status: 'recording' | 'stopped' = 'stopped') {
    const scene = await insertVideoAppointment({
      now: NOW,
      startsAt: '2026-07-01T07:30:00.000Z',
      status: 'in-progress',
    });
    const session = await insertCallSession(scene.appointment, {
      status: 'live',
      startedAt: scene.appointment.startsAt,
    });
    const recording = await insertRecording(session, scene.doctor.user.id, { status });
    const base = `${A}/${scene.appointment.id}/call/recordings/${recording.id}`;
    return { ...scene, session, recording, base };
  }

  const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

  it('Should take a multipart upload from whoever started it, store it, and serve it to both parties', async () => {
    const { appointment, doctor, patient, recording, base } = await stoppedRecording();
    const started = await api.post(`${base}/upload`, { token: doctor.token, json: { contentType: 'video/webm' } });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(tripsOf(started)).toBe(2);
    expect(started.body.data).toMatchObject({ contentType: 'video/webm', partSizeBytes: 5 * MiB, maxParts: 10_000 });
    const again = await api.post(`${base}/upload`, { token: doctor.token, json: { contentType: 'video/webm' } });
    expect(again.body.data.uploadId).toBe(started.body.data.uploadId);
    const row = await db.select().from(callRecordings).where(eq(callRecordings.id, recording.id)).get();
    expect(row).toMatchObject({
      storageKey: `recordings/${appointment.id}/${recording.id}`,
      uploadId: started.body.data.uploadId,
    });

    const first = bytes(5 * MiB, 1);
    const last = bytes(1000, 2);
    const p1 = await api.put(`${base}/upload/parts/1`, {
      token: doctor.token,
      body: first,
      headers: OCTET,
    });
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    expect(tripsOf(p1)).toBe(1);
    const p2 = await api.put(`${base}/upload/parts/2`, {
      token: doctor.token,
      body: last,
      headers: OCTET,
    });
    expect(p2.body.data).toMatchObject({ partNumber: 2 });

    const done = await api.post(`${base}/upload/complete`, {
      token: doctor.token,
      json: { parts: [p2.body.data, p1.body.data] },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(tripsOf(done)).toBe(2);
    const size = first.byteLength + last.byteLength;
    expect(done.body.data).toMatchObject({
      status: 'stored',
      sizeBytes: size,
      deleteAfter: new Date(NOW.getTime() + 30 * 86_400_000).toISOString(),
    });

    for (const who of [patient, doctor]) {
      const res = await api.app.request(base, { headers: { authorization: `Bearer ${who.token}` } }, testEnv);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/webm');
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      const got = new Uint8Array(await res.arrayBuffer());
      expect(got.byteLength).toBe(size);
      expect(got[0]).toBe(1);
      expect(got[size - 1]).toBe(2);
    }
    expect(await auditRows('call.recording.read', recording.id)).toHaveLength(2);
    expect(await auditRows('call.recording.store', recording.id)).toHaveLength(1);
    const stranger = await account('receptionist', NOW);
    expect((await api.get(base, { token: stranger.token })).status).toBe(404);
    const noMore = await api.put(`${base}/upload/parts/3`, {
      token: doctor.token,
      body: last,
      headers: OCTET,
    });
    expect(noMore.status).toBe(409);
  });

  it('Should refuse the other party, a wrong type, a stored-less download and completing while recording', async () => {
    const { patient, doctor, base } = await stoppedRecording('recording');
    const notMine = await api.post(`${base}/upload`, { token: patient.token, json: { contentType: 'video/webm' } });
    expect(notMine.status).toBe(404);
    const wrongType = await api.post(`${base}/upload`, { token: doctor.token, json: { contentType: 'image/png' } });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('INVALID_FILE_TYPE');
    const notStarted = await api.put(`${base}/upload/parts/1`, {
      token: doctor.token,
      body: bytes(10),
      headers: OCTET,
    });
    expect(notStarted.status).toBe(409);
    expect((await api.post(`${base}/upload`, { token: doctor.token, json: { contentType: 'audio/ogg' } })).status).toBe(
      200,
    );
    const part = await api.put(`${base}/upload/parts/1`, {
      token: doctor.token,
      body: bytes(10),
      headers: OCTET,
    });
    expect(part.status).toBe(200);
    const early = await api.post(`${base}/upload/complete`, { token: doctor.token, json: { parts: [part.body.data] } });
    expect(early.status).toBe(409);
    const download = await api.get(base, { token: patient.token });
    expect(download.status).toBe(409);
    const badPart = await api.put(`${base}/upload/parts/0`, {
      token: doctor.token,
      body: bytes(10),
      headers: OCTET,
    });
    expect(badPart.status).toBe(422);
  });

  it('Should delete stored recordings past their retention and discard abandoned uploads, by the cron', async () => {
    const { doctor, recording, base } = await stoppedRecording();
    await api.post(`${base}/upload`, { token: doctor.token, json: { contentType: 'video/webm' } });
    const part = await api.put(`${base}/upload/parts/1`, {
      token: doctor.token,
      body: bytes(100),
      headers: OCTET,
    });
    await api.post(`${base}/upload/complete`, { token: doctor.token, json: { parts: [part.body.data] } });
    const key = (await db.select().from(callRecordings).where(eq(callRecordings.id, recording.id)).get())!.storageKey!;
    expect(await testEnv.FILES.head(key)).not.toBeNull();

    const abandoned = await stoppedRecording();
    await api.post(`${abandoned.base}/upload`, { token: abandoned.doctor.token, json: { contentType: 'video/webm' } });

    const tasks = CRON_TASKS.filter((t) => t.name === 'calls.recordings-retention');
    expect(tasks).toHaveLength(1);
    const runAt = async (at: number) =>
      runCron(
        createContext(testEnv, { ...cloudflareDeps, clock: fixedClock(new Date(at)) }, { requestId: 'cron' }),
        tasks,
      );

    await runAt(NOW.getTime() + 29 * 86_400_000);
    expect((await db.select().from(callRecordings).where(eq(callRecordings.id, recording.id)).get())?.status).toBe(
      'stored',
    );
    const reports = await runAt(NOW.getTime() + 30 * 86_400_000 + 1);
    expect(reports[0]).toMatchObject({ ok: true });
    expect(await db.select().from(callRecordings).where(eq(callRecordings.id, recording.id)).get()).toMatchObject({
      status: 'deleted',
      deletedAt: NOW.getTime() + 30 * 86_400_000 + 1,
    });
    expect(await testEnv.FILES.head(key)).toBeNull();
    expect(
      await db.select().from(callRecordings).where(eq(callRecordings.id, abandoned.recording.id)).get(),
    ).toMatchObject({ status: 'deleted', uploadId: null });
  });
});

describe('recording parts: the size cap', () => {
  it('Should refuse a part declared larger than 100 MiB with 413 before reading it', async () => {
    const scene = await insertVideoAppointment({
      now: NOW,
      startsAt: '2026-07-01T07:30:00.000Z',
      status: 'in-progress',
    });
    const session = await insertCallSession(scene.appointment);
    const recording = await insertRecording(session, scene.doctor.user.id);
    const base = `${A}/${scene.appointment.id}/call/recordings/${recording.id}`;
    await api.post(`${base}/upload`, { token: scene.doctor.token, json: { contentType: 'video/webm' } });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(16));
        controller.close();
      },
    });
    const res = await api.put(`${base}/upload/parts/1`, {
      token: scene.doctor.token,
      body: stream,
      headers: { ...OCTET, 'content-length': String(100 * MiB + 1) },
    });
    expect(res.status).toBe(413);
  });
});
