import { afterEach, describe, expect, it } from 'vitest';
import type { UserRow } from '../../src/db/schema';
import { client, tokenFor } from '../helpers';
import { account, insertAppointment, practice } from '../support/practice';
import { device, openSocket, roundTrip, type TestSocket } from '../support/sockets';

/**
 * Appointment changes reach the other party's open sockets as `appointment:updated`
 * `{ action, appointment }`; the caller who made the change gets the HTTP answer only. Sockets run on
 * the real clock, so the appointments here are a day ahead of it.
 */

const api = client();
const open: TestSocket[] = [];

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function connect(user: UserRow): Promise<TestSocket> {
  const socket = await openSocket({ token: (await device(user)).token });
  open.push(socket);
  return socket;
}

/** Tomorrow at `hour`:00 UTC (the practice is open every day 09:00–17:00 UTC with no notice). */
const tomorrowAt = (hour: number) => {
  const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  return `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`;
};

/** Frames of the appointment event the socket has received and not yet read. */
const appointmentFrames = (socket: TestSocket) => socket.pending().filter((f) => f.event === 'appointment:updated');

describe('appointment:updated pushes', () => {
  it('Should tell the doctor about a booking and the patient about its confirmation, never the actor', async () => {
    const now = new Date();
    const { doctor, services } = await practice(now);
    const patient = await account('user', now);
    const doctorSocket = await connect(doctor.user);
    const patientSocket = await connect(patient.user);

    const booked = await api.post('/api/v1/appointments', {
      token: await tokenFor(patient.user),
      json: { doctorId: doctor.user.id, serviceId: services[0]!.id, startsAt: tomorrowAt(10), type: 'video' },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const toDoctor = await doctorSocket.next('appointment:updated');
    expect(toDoctor.data).toMatchObject({
      action: 'book',
      appointment: { id: booked.body.data.id, status: 'pending', patient: { id: patient.user.id } },
    });

    const confirmed = await api.post(`/api/v1/appointments/${booked.body.data.id}/confirm`, {
      token: await tokenFor(doctor.user),
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const toPatient = await patientSocket.next('appointment:updated');
    expect(toPatient.data).toMatchObject({
      action: 'confirm',
      appointment: { id: booked.body.data.id, status: 'confirmed' },
    });

    // Neither actor was pushed their own change: a round trip flushes anything in flight first.
    await roundTrip(patientSocket);
    await roundTrip(doctorSocket);
    expect(appointmentFrames(patientSocket)).toEqual([]);
    expect(appointmentFrames(doctorSocket)).toEqual([]);
  });

  it('Should push a cancellation and a reschedule to the other party only', async () => {
    const now = new Date();
    const { doctor, services } = await practice(now);
    const patient = await account('user', now);
    const stranger = await account('user', now);
    const appointment = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: tomorrowAt(11),
      status: 'confirmed',
    });
    const doctorSocket = await connect(doctor.user);
    const patientSocket = await connect(patient.user);
    const strangerSocket = await connect(stranger.user);

    const moved = await api.post(`/api/v1/appointments/${appointment.id}/reschedule`, {
      token: await tokenFor(doctor.user),
      json: { startsAt: tomorrowAt(14) },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await patientSocket.next('appointment:updated')).data).toMatchObject({
      action: 'reschedule',
      appointment: { id: appointment.id, startsAt: tomorrowAt(14) },
    });

    const cancelled = await api.post(`/api/v1/appointments/${appointment.id}/cancel`, {
      token: await tokenFor(patient.user),
      json: { reason: 'Feeling better' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((await doctorSocket.next('appointment:updated')).data).toMatchObject({
      action: 'cancel',
      appointment: { id: appointment.id, status: 'cancelled' },
    });

    await roundTrip(strangerSocket);
    expect(appointmentFrames(strangerSocket)).toEqual([]);
  });
});
