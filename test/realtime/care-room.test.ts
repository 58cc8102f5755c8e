import { runInDurableObject } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type CareSessionRow, callParticipants, callSessions, careSessions } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { sessionIdOf } from '../../src/modules/calls/room.service';
import type { VideoRoom } from '../../src/realtime/video-room.do';
import { client, db, uniqueId } from '../helpers';
import { account } from '../support/practice';
import { roomOf } from '../support/rooms';
import { openSocket, upgrade } from '../support/sockets';

const MINUTE = 60_000;
const careRoomPath = (id: string) => `/api/v1/care-sessions/${id}/call/connect`;

/**
 * A care session between a new caregiver and a new patient, written to D1, starting now by the real
 * clock (the Worker and the room run on it): virtual and confirmed unless told otherwise.
 */
async function careVisit(options: Partial<Pick<CareSessionRow, 'mode' | 'status'>> = {}) {
  const now = Date.now();
  const caregiver = await account('caregiver', new Date(now));
  const patient = await account('user', new Date(now));
  const row: CareSessionRow = {
    id: uniqueId('cse'),
    patientId: patient.user.id,
    caregiverId: caregiver.user.id,
    bookedBy: patient.user.id,
    recommendationId: null,
    mode: options.mode ?? 'virtual',
    status: options.status ?? 'confirmed',
    startsAt: now,
    endsAt: now + 60 * MINUTE,
    bufferMinutes: 0,
    timeZone: 'Europe/Berlin',
    address: null,
    notes: null,
    hourlyRateCents: 2500,
    currency: 'EUR',
    checkedInAt: null,
    checkedOutAt: null,
    actualMinutes: null,
    billedMinutes: null,
    amountCents: null,
    cancelledBy: null,
    cancelReason: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(careSessions).values(row);
  return { caregiver, patient, id: row.id };
}

const sessionOf = async (id: string) => (await db.select().from(careSessions).where(eq(careSessions.id, id)))[0]!;

async function refused(id: string, token: string) {
  const res = await upgrade({ path: careRoomPath(id), token });
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: body.error.code };
}

describe('The call room of a virtual care session', () => {
  it('Should let the caregiver host: admitting the patient checks the session in, call:end checks it out with the bill', async () => {
    const { caregiver, patient, id } = await careVisit();
    const host = await openSocket({ path: careRoomPath(id), token: caregiver.token });
    const hostState = await host.next('room:state');
    expect(hostState.data.you).toMatchObject({ userId: caregiver.user.id, role: 'caregiver' });

    const guest = await openSocket({ path: careRoomPath(id), token: patient.token });
    const waiting = await guest.next('room:state');
    expect(waiting.data.you).toMatchObject({ role: 'patient' });
    // Only the host admits.
    expect(await guest.request('room:admit', { userId: patient.user.id })).toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await host.next('room:waiting');
    expect((await host.request('room:admit', { userId: patient.user.id })).event).toBe('room:admit:success');
    await guest.next('room:state');

    const checkedIn = await sessionOf(id);
    expect(checkedIn.status).toBe('in-progress');
    expect(checkedIn.checkedInAt).not.toBeNull();

    // Twelve minutes after the check-in, by the room's clock: billed as one quarter hour.
    await runInDurableObject(roomOf(id), (room: VideoRoom) => {
      room.clock = fixedClock(new Date(checkedIn.checkedInAt! + 12 * MINUTE));
    });
    expect(await guest.request('call:end', {})).toMatchObject({ data: { code: 'FORBIDDEN' } });
    host.send({ event: 'call:end' });
    const ended = await guest.next('call:ended');
    expect(ended.data).toMatchObject({ endedBy: caregiver.user.id, appointmentStatus: 'completed' });
    expect((await guest.closed()).code).toBe(4410);

    expect(await sessionOf(id)).toMatchObject({
      status: 'completed',
      actualMinutes: 12,
      billedMinutes: 15,
      amountCents: 625,
    });
    const [call] = await db
      .select()
      .from(callSessions)
      .where(eq(callSessions.id, sessionIdOf(id)));
    expect(call).toMatchObject({
      appointmentId: id,
      doctorId: caregiver.user.id,
      status: 'ended',
      outcome: 'complete',
    });
    const roles = await db
      .select()
      .from(callParticipants)
      .where(eq(callParticipants.sessionId, sessionIdOf(id)));
    expect(roles.map((r) => r.role).sort()).toEqual(['caregiver', 'patient']);
    // The patient sees the completed session with its bill through the API.
    const read = await client().get(`/api/v1/care-sessions/${id}`, { token: patient.token });
    expect(read.body.data.bill).toMatchObject({ amountCents: 625, billedMinutes: 15 });
  });

  it('Should refuse a stranger (404), an in-person session (409) and a cancelled one (ROOM_CLOSED)', async () => {
    const visit = await careVisit();
    const stranger = await account('user', new Date());
    expect(await refused(visit.id, stranger.token)).toEqual({ status: 404, code: 'NOT_FOUND' });
    const atHome = await careVisit({ mode: 'in-person' });
    expect(await refused(atHome.id, atHome.caregiver.token)).toEqual({ status: 409, code: 'CONFLICT' });
    const cancelled = await careVisit({ status: 'cancelled' });
    expect(await refused(cancelled.id, cancelled.patient.token)).toEqual({ status: 409, code: 'ROOM_CLOSED' });
  });

  it('Should close the room for everyone when the session is cancelled through the API', async () => {
    const { caregiver, patient, id } = await careVisit({ status: 'requested' });
    const host = await openSocket({ path: careRoomPath(id), token: caregiver.token });
    await host.next('room:state');
    const cancel = await client().post(`/api/v1/care-sessions/${id}/cancel`, {
      token: patient.token,
      json: { reason: 'Feeling better' },
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const closed = await host.next('room:closed');
    expect(closed.data).toMatchObject({ reason: 'cancelled' });
  });
});
