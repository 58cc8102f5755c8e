import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  type AppointmentStatus,
  appointmentEvents,
  appointments,
  auditEvents,
  slotClaims,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const NEXT = '2026-03-30T10:00:00.000Z';

async function setup(status: AppointmentStatus = 'completed') {
  const p = await practice(now());
  const patient = await account('user', now());
  const original = await insertAppointment({
    patientId: patient.user.id,
    doctorId: p.doctor.user.id,
    serviceId: p.services[0]!.id,
    startsAt: '2026-03-20T10:00:00Z',
    status,
  });
  return { ...p, patient, original };
}

const followUp = (id: string, token: string, json: unknown) =>
  api.post(`/api/v1/appointments/${id}/follow-ups`, { token, json });
const followUpsOf = (id: string) => db.select().from(appointments).where(eq(appointments.followUpOfId, id)).all();

describe('follow-up appointments', () => {
  it('Should let the doctor book a confirmed follow-up of a completed appointment', async () => {
    const { doctor, patient, original, services } = await setup();
    const res = await followUp(original.id, doctor.token, { startsAt: NEXT, reason: 'Review blood tests' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({
      status: 'confirmed',
      type: original.type,
      followUpOfId: original.id,
      patient: { id: patient.user.id },
      doctor: { id: doctor.user.id },
      service: { id: services[0]!.id, durationMinutes: 30 },
      startsAt: NEXT,
      reason: 'Review blood tests',
    });
    const [row] = await followUpsOf(original.id);
    expect(row).toMatchObject({ id: res.body.data.id, patientId: patient.user.id, bookedBy: doctor.user.id });
    const events = await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, row!.id));
    expect(events).toEqual([
      expect.objectContaining({
        action: 'book',
        fromStatus: null,
        toStatus: 'confirmed',
        actorId: doctor.user.id,
        data: { followUpOf: original.id },
      }),
    ]);
    expect(await db.select().from(slotClaims).where(eq(slotClaims.ownerId, row!.id))).toHaveLength(6);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, row!.id));
    expect(audit).toEqual([
      expect.objectContaining({ action: 'appointment.followUp.create', patientId: patient.user.id }),
    ]);
  });

  it('Should let staff follow up a missed appointment with another service and type', async () => {
    const { services, original } = await setup('no-show');
    const admin = await account('admin', now());
    const res = await followUp(original.id, admin.token, {
      startsAt: NEXT,
      serviceId: services[1]!.id,
      type: 'in-person',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({
      status: 'confirmed',
      type: 'in-person',
      service: { id: services[1]!.id, durationMinutes: 60 },
      endsAt: '2026-03-30T11:00:00.000Z',
    });
    expect(await followUpsOf(original.id)).toHaveLength(1);
  });

  it('Should refuse a follow-up of an appointment that is not completed or missed (409 INVALID_TRANSITION)', async () => {
    for (const status of ['pending', 'confirmed', 'cancelled'] as const) {
      const { doctor, original } = await setup(status);
      const res = await followUp(original.id, doctor.token, { startsAt: NEXT });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect(await followUpsOf(original.id)).toEqual([]);
    }
  });

  it('Should hide the appointment from another doctor (404) and refuse patients (403)', async () => {
    const { patient, original } = await setup();
    const otherDoctor = await account('doctor', now());
    expect((await followUp(original.id, otherDoctor.token, { startsAt: NEXT })).status).toBe(404);
    expect((await followUp('apt_nothing', otherDoctor.token, { startsAt: NEXT })).status).toBe(404);
    expect((await followUp(original.id, patient.token, { startsAt: NEXT })).status).toBe(403);
    expect(await followUpsOf(original.id)).toEqual([]);
  });

  it('Should validate the follow-up’s start, service and body like any booking', async () => {
    const { doctor, original, patient, services } = await setup();
    const other = await practice(now());
    const offGrid = await followUp(original.id, doctor.token, { startsAt: '2026-03-30T10:05:00Z' });
    expect([offGrid.status, offGrid.body.errors?.[0]?.field]).toEqual([422, 'startsAt']);
    const foreign = await followUp(original.id, doctor.token, { startsAt: NEXT, serviceId: other.services[0]!.id });
    expect(foreign.status).toBe(404);
    const unknownKey = await followUp(original.id, doctor.token, { startsAt: NEXT, patientId: patient.user.id });
    expect([unknownKey.status, unknownKey.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    await insertAppointment({
      patientId: (await account('user', now())).user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: NEXT,
    });
    const taken = await followUp(original.id, doctor.token, { startsAt: NEXT });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(await followUpsOf(original.id)).toEqual([]);
  });

  it('Should let a patient book a follow-up of their own completed appointment (pending)', async () => {
    const { doctor, patient, original, services } = await setup();
    const res = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: {
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt: NEXT,
        type: 'video',
        followUpOfId: original.id,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ status: 'pending', followUpOfId: original.id });
    const event = await db
      .select()
      .from(appointmentEvents)
      .where(eq(appointmentEvents.appointmentId, res.body.data.id))
      .get();
    expect(event).toMatchObject({ toStatus: 'pending', data: { followUpOf: original.id } });
  });

  it('Should refuse a patient’s followUpOfId of someone else’s (404), another doctor’s or an unfinished appointment (422)', async () => {
    const { doctor, patient, services } = await setup();
    const stranger = await setup();
    const otherPractice = await practice(now());
    const withOtherDoctor = await insertAppointment({
      patientId: patient.user.id,
      doctorId: otherPractice.doctor.user.id,
      serviceId: otherPractice.services[0]!.id,
      startsAt: '2026-03-19T10:00:00Z',
      status: 'completed',
    });
    const pending = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-26T10:00:00Z',
    });
    const body = (followUpOfId: string) => ({
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: NEXT,
      type: 'video',
      followUpOfId,
    });
    const someoneElses = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: body(stranger.original.id),
    });
    expect([someoneElses.status, someoneElses.body.error.code]).toEqual([404, 'NOT_FOUND']);
    for (const followUpOfId of [withOtherDoctor.id, pending.id]) {
      const res = await api.post('/api/v1/appointments', { token: patient.token, json: body(followUpOfId) });
      expect([res.status, res.body.errors?.[0]?.field]).toEqual([422, 'followUpOfId']);
    }
    const booked = await db.select().from(appointments).where(eq(appointments.patientId, patient.user.id)).all();
    expect(booked.map((a) => a.startsAt)).not.toContain(Date.parse(NEXT));
  });
});
