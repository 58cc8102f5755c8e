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
import { account, insertAppointment, type PracticeOptions, practice } from '../../support/practice';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const OLD = '2026-03-24T10:00:00.000Z';
const NEW = '2026-03-25T11:00:00.000Z';

async function setup(status: AppointmentStatus = 'pending', options: PracticeOptions = {}, minutes = 30) {
  const p = await practice(now(), options);
  const patient = await account('user', now());
  const service = p.services.find((s) => s.minutes === minutes)!;
  const appointment = await insertAppointment({
    patientId: patient.user.id,
    doctorId: p.doctor.user.id,
    serviceId: service.id,
    startsAt: OLD,
    minutes,
    status,
    timeZone: options.timeZone,
  });
  return { ...p, service, patient, appointment };
}

const reschedule = (id: string, token: string, json: unknown) =>
  api.post(`/api/v1/appointments/${id}/reschedule`, { token, json });
const rowOf = (id: string) => db.select().from(appointments).where(eq(appointments.id, id)).get();
const unitsOf = async (id: string) =>
  (await db.select().from(slotClaims).where(eq(slotClaims.ownerId, id)).all())
    .map((c) => c.unitStart)
    .sort((a, b) => a - b);
const eventsOf = (id: string) =>
  db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, id)).all();
const unitsFrom = (iso: string, count: number) =>
  Array.from({ length: count }, (_, i) => Date.parse(iso) + i * 300_000);

describe('rescheduling an appointment', () => {
  it('Should move a pending appointment: new time, history event, claims moved, audited, status kept', async () => {
    const { patient, appointment } = await setup();
    const res = await reschedule(appointment.id, patient.token, { startsAt: NEW, reason: 'Clash at work' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({
      id: appointment.id,
      status: 'pending',
      startsAt: NEW,
      endsAt: '2026-03-25T11:30:00.000Z',
      rescheduleCount: 1,
      updatedAt: now().toISOString(),
    });
    expect(await rowOf(appointment.id)).toMatchObject({
      startsAt: Date.parse(NEW),
      endsAt: Date.parse('2026-03-25T11:30:00Z'),
      rescheduleCount: 1,
      status: 'pending',
    });
    expect(await eventsOf(appointment.id)).toEqual([
      expect.objectContaining({
        action: 'reschedule',
        fromStatus: 'pending',
        toStatus: 'pending',
        actorId: patient.user.id,
        reason: 'Clash at work',
        data: { from: OLD, to: NEW },
      }),
    ]);
    expect(await unitsOf(appointment.id)).toEqual(unitsFrom(NEW, 6));
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, appointment.id)).all();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'appointment.reschedule',
        patientId: patient.user.id,
        reason: 'Clash at work',
      }),
    ]);
  });

  it('Should keep a confirmed appointment confirmed, and move onto time overlapping its own old time', async () => {
    const { doctor, appointment } = await setup('confirmed', {}, 60);
    const res = await reschedule(appointment.id, doctor.token, { startsAt: '2026-03-24T10:30:00Z' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.status).toBe('confirmed');
    expect(await rowOf(appointment.id)).toMatchObject({
      status: 'confirmed',
      startsAt: Date.parse('2026-03-24T10:30:00Z'),
    });
    expect(await unitsOf(appointment.id)).toEqual(unitsFrom('2026-03-24T10:30:00Z', 12));
    expect((await eventsOf(appointment.id))[0]).toMatchObject({ fromStatus: 'confirmed', toStatus: 'confirmed' });
  });

  it('Should refuse a taken slot with 409 SLOT_UNAVAILABLE and change nothing', async () => {
    const { doctor, service, patient, appointment } = await setup();
    const other = await account('user', now());
    await insertAppointment({
      patientId: other.user.id,
      doctorId: doctor.user.id,
      serviceId: service.id,
      startsAt: NEW,
    });
    const res = await reschedule(appointment.id, patient.token, { startsAt: '2026-03-25T10:45:00Z' });
    expect(res.status).toBe(422); // off the 30-minute grid
    const taken = await reschedule(appointment.id, patient.token, { startsAt: NEW });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(await rowOf(appointment.id)).toEqual(appointment);
    expect(await unitsOf(appointment.id)).toEqual(unitsFrom(OLD, 6));
    expect(await eventsOf(appointment.id)).toEqual([]);
  });

  it('Should let the doctor and staff reschedule, hide it from other patients and doctors (404), refuse caregivers (403)', async () => {
    const { doctor, patient, appointment } = await setup();
    const stranger = await account('user', now());
    const otherDoctor = await account('doctor', now());
    const caregiver = await account('caregiver', now());
    const receptionist = await account('receptionist', now());
    expect((await reschedule(appointment.id, stranger.token, { startsAt: NEW })).status).toBe(404);
    expect((await reschedule(appointment.id, otherDoctor.token, { startsAt: NEW })).status).toBe(404);
    expect((await reschedule('apt_nothing', patient.token, { startsAt: NEW })).status).toBe(404);
    expect((await reschedule(appointment.id, caregiver.token, { startsAt: NEW })).status).toBe(403);
    expect(await rowOf(appointment.id)).toEqual(appointment);
    const byDoctor = await reschedule(appointment.id, doctor.token, { startsAt: NEW });
    expect(byDoctor.status).toBe(200);
    const byStaff = await reschedule(appointment.id, receptionist.token, { startsAt: '2026-03-25T15:00:00Z' });
    expect(byStaff.status).toBe(200);
    expect(await rowOf(appointment.id)).toMatchObject({
      startsAt: Date.parse('2026-03-25T15:00:00Z'),
      rescheduleCount: 2,
    });
    expect((await eventsOf(appointment.id)).map((e) => e.actorRole).sort()).toEqual(['doctor', 'receptionist']);
  });

  it('Should refuse appointments that are no longer pending or confirmed with 409 INVALID_TRANSITION', async () => {
    for (const status of ['cancelled', 'completed', 'rejected', 'no-show', 'in-progress'] as const) {
      const { patient, appointment } = await setup(status);
      const res = await reschedule(appointment.id, patient.token, { startsAt: NEW });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect(await rowOf(appointment.id)).toEqual(appointment);
      expect(await eventsOf(appointment.id)).toEqual([]);
    }
  });

  it('Should refuse invalid starts and bodies with 422', async () => {
    const { patient, appointment } = await setup('pending', { minNoticeMinutes: 60 });
    const cases: [unknown, string][] = [
      [{ startsAt: OLD }, 'startsAt'], // the same time
      [{ startsAt: '2026-03-25T18:00:00Z' }, 'startsAt'], // outside hours
      [{ startsAt: '2026-03-23T08:30:00Z' }, 'startsAt'], // before the minimum notice
      [{ startsAt: 'next week' }, 'startsAt'],
      [{}, 'startsAt'],
      [{ startsAt: NEW, status: 'confirmed' }, 'status'],
      [{ startsAt: NEW, reason: 42 }, 'reason'],
    ];
    for (const [json, field] of cases) {
      const res = await reschedule(appointment.id, patient.token, json);
      expect([res.status, res.body.errors?.[0]?.field], JSON.stringify(json)).toEqual([422, field]);
    }
    expect(await rowOf(appointment.id)).toEqual(appointment);
  });

  it('Should keep local 10:00 across the 2026-10-25 DST change in Europe/Berlin (08:00Z → 09:00Z)', async () => {
    const p = await practice(now(), { timeZone: 'Europe/Berlin', maxDaysAhead: 365 });
    const patient = await account('user', now());
    const appointment = await insertAppointment({
      patientId: patient.user.id,
      doctorId: p.doctor.user.id,
      serviceId: p.services[0]!.id,
      startsAt: '2026-10-22T08:00:00Z',
      timeZone: 'Europe/Berlin',
    });
    // One week later 10:00 Berlin is CET (+01:00): 09:00Z; 08:00Z would be 09:00 local.
    const slots = await api.get(
      `/api/v1/doctors/${p.doctor.user.id}/slots?serviceId=${p.services[0]!.id}&date=2026-10-29`,
    );
    expect(slots.body.data.slots[2]).toMatchObject({
      start: '2026-10-29T09:00:00.000Z',
      localStart: '2026-10-29T10:00',
    });
    const res = await reschedule(appointment.id, patient.token, { startsAt: '2026-10-29T09:00:00Z' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({
      startsAt: '2026-10-29T09:00:00.000Z',
      localStart: '2026-10-29T10:00',
      localEnd: '2026-10-29T10:30',
      timeZone: 'Europe/Berlin',
    });
    expect((await eventsOf(appointment.id))[0]!.data).toEqual({
      from: '2026-10-22T08:00:00.000Z',
      to: '2026-10-29T09:00:00.000Z',
    });
    expect(await unitsOf(appointment.id)).toEqual(unitsFrom('2026-10-29T09:00:00Z', 6));
  });
});
