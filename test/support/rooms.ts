import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { appointments, callInvitations } from '../../src/db/schema';
import { sha256Hex } from '../../src/lib/crypto';
import { videoRoomName } from '../../src/platform/realtime';
import type { VideoRoom } from '../../src/realtime/video-room.do';
import { db, testEnv, uniqueId } from '../helpers';
import { account, insertAppointment, practice } from './practice';
import { openSocket, type TestSocket, upgrade } from './sockets';

const MINUTE = 60_000;

/**
 * A video visit between a new doctor and a new patient, written to D1, starting `startsInMinutes`
 * from now by the real clock (the Worker and the room run on it): confirmed unless told otherwise.
 */
export async function videoVisit(
  options: {
    startsInMinutes?: number;
    minutes?: number;
    status?: 'pending' | 'confirmed' | 'in-progress' | 'cancelled';
    type?: 'video' | 'in-person';
  } = {},
) {
  const now = new Date();
  const { doctor, services } = await practice(now);
  const patient = await account('user', now);
  const appointment = await insertAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: new Date(now.getTime() + (options.startsInMinutes ?? 0) * MINUTE).toISOString(),
    minutes: options.minutes ?? 30,
    status: options.status ?? 'confirmed',
  });
  if (options.type === 'in-person') {
    await db.update(appointments).set({ type: 'in-person' }).where(eq(appointments.id, appointment.id));
  }
  return { doctor, patient, appointment };
}

/** The room's socket path of an appointment. */
export const roomPath = (appointmentId: string, query = '') =>
  `/api/v1/appointments/${appointmentId}/call/connect${query}`;

/** Joins the room with `token` (and an invitation code); expects the upgrade and the first `room:state`. */
export async function joinRoom(appointmentId: string, token: string, invite?: string) {
  const socket = await openSocket({ path: roomPath(appointmentId, invite ? `?invite=${invite}` : ''), token });
  const state = await socket.next('room:state');
  return { socket, state: state.data };
}

/** Tries to join and returns the refusal's status and error code. */
export async function refusedJoin(appointmentId: string, token: string, invite?: string) {
  const res = await upgrade({ path: roomPath(appointmentId, invite ? `?invite=${invite}` : ''), token });
  expect(res.status).not.toBe(101);
  const body = (await res.json()) as { error: { code: string; details?: any } };
  return { status: res.status, code: body.error.code, details: body.error.details };
}

/** An invitation of the appointment's doctor, written to D1; returns its code. */
export async function invitation(appointmentId: string, doctorId: string, label = 'Interpreter') {
  const code = uniqueId('inv');
  const now = Date.now();
  await db.insert(callInvitations).values({
    id: uniqueId('cinv'),
    appointmentId,
    tokenHash: await sha256Hex(code),
    label,
    invitedBy: doctorId,
    expiresAt: now + 2 * 3600_000,
    createdAt: now,
  });
  return code;
}

/** The room of an appointment, as the Worker addresses it. */
export function roomOf(appointmentId: string): DurableObjectStub<VideoRoom> {
  return testEnv.CALL_ROOM.get(
    testEnv.CALL_ROOM.idFromName(videoRoomName(appointmentId)),
  ) as DurableObjectStub<VideoRoom>;
}

/** The doctor in, the patient waiting then admitted: both sockets, with the admission's frames read. */
export async function admittedPair(
  appointmentId: string,
  doctorToken: string,
  patientToken: string,
  patientId: string,
) {
  const doctor = await joinRoom(appointmentId, doctorToken);
  const patient = await joinRoom(appointmentId, patientToken);
  await doctor.socket.next('room:waiting');
  expect((await doctor.socket.request('room:admit', { userId: patientId })).event).toBe('room:admit:success');
  await patient.socket.next('room:state');
  await doctor.socket.next('presence');
  return { doctor: doctor.socket, patient: patient.socket };
}

/** A video visit now, its doctor in the room and its patient admitted. */
export async function visitInProgress() {
  const visit = await videoVisit();
  const id = visit.appointment.id;
  const { doctor, patient } = await admittedPair(id, visit.doctor.token, visit.patient.token, visit.patient.user.id);
  return { visit, id, doctor, patient };
}

/** Proves nothing else arrived: a ping answered, and no frame unread. */
export async function expectNothingElse(socket: TestSocket) {
  expect((await socket.request('ping', {})).event).toBe('pong');
  expect(socket.pending()).toEqual([]);
}
