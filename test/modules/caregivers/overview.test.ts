import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, userProfiles, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { db } from '../../helpers';
import { insertAppointment, practice } from '../../support/practice';
import { API, link, member, outcome } from './network';

// 20:00 UTC is 05:00 the next day in Tokyo: "today" is the patient's day, not the server's.
const clock = fixedClock('2026-03-23T20:00:00Z');
const TOKYO = 'Asia/Tokyo';

async function patientWithDay() {
  const patient = await member(clock, { name: 'Ana Silva' });
  await db.insert(userProfiles).values({ userId: patient.user.id, timeZone: TOKYO, updatedAt: clock.now().getTime() });
  const schedule = await patient.post('/api/v1/schedules', {
    kind: 'medicine',
    medicineName: 'Metformin',
    dosage: '500 mg',
    timesOfDay: ['08:00', '21:00'],
    timeZone: TOKYO,
    recurrence: { type: 'interval', everyNDays: 1 },
    startDate: '2026-03-24',
  });
  expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
  const doses = await patient.get('/api/v1/doses');
  expect(doses.body.data.items).toHaveLength(2);
  const morning = doses.body.data.items[0];
  const taken = await patient.post(`/api/v1/doses/${morning.id}/take`, { note: 'private note' });
  expect(taken.status, JSON.stringify(taken.body)).toBe(200);
  return { patient, morning };
}

describe('patient overview for a caregiver', () => {
  it('Should show today’s doses in the patient’s zone and upcoming appointments without clinical text, audited', async () => {
    const { patient, morning } = await patientWithDay();
    const caregiver = await member(clock, { role: 'caregiver' });
    const { linkId } = await link(patient, caregiver);
    const { doctor, services } = await practice(clock.now());
    const soon = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-25T09:00:00Z',
      status: 'confirmed',
    });
    const later = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-27T09:00:00Z',
    });
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-26T09:00:00Z',
      status: 'cancelled',
    });
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-03-20T09:00:00Z',
      status: 'completed',
    });

    const res = await caregiver.get(`${API}/i-care-for/${patient.user.id}/overview`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const data = res.body.data;
    expect(data.patient).toEqual({ id: patient.user.id, name: 'Ana Silva' });
    expect(data.linkId).toBe(linkId);
    expect(data.today).toMatchObject({ date: '2026-03-24', timeZone: TOKYO });
    expect(data.today.doses).toEqual([
      {
        id: morning.id,
        name: 'Metformin',
        kind: 'medicine',
        dosage: '500 mg',
        quantityPerDose: 1,
        localTime: '08:00',
        scheduledAt: '2026-03-23T23:00:00.000Z',
        status: 'taken',
        takenAt: '2026-03-23T20:00:00.000Z',
      },
      expect.objectContaining({ localTime: '21:00', scheduledAt: '2026-03-24T12:00:00.000Z', status: 'pending' }),
    ]);
    expect(JSON.stringify(data)).not.toContain('private note');
    expect(data.upcomingAppointments.map((a: any) => [a.id, a.status])).toEqual([
      [soon.id, 'confirmed'],
      [later.id, 'pending'],
    ]);
    expect(data.upcomingAppointments[0]).toEqual({
      id: soon.id,
      startsAt: '2026-03-25T09:00:00.000Z',
      endsAt: '2026-03-25T09:30:00.000Z',
      timeZone: 'UTC',
      localStart: '2026-03-25T09:00',
      status: 'confirmed',
      type: 'video',
      doctor: { id: doctor.user.id, name: doctor.user.name },
    });
    expect(JSON.stringify(data)).not.toContain('Check-up');

    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'caregiver.patient.overview'), eq(auditEvents.patientId, patient.user.id)))
      .all();
    expect(audit.map((a) => [a.actorId, a.resourceId, a.metadata])).toEqual([
      [caregiver.user.id, linkId, { doses: 2, appointmentIds: [soon.id, later.id] }],
    ]);
  });

  it('Should answer 404 to anyone but an active caregiver of the patient', async () => {
    const { patient } = await patientWithDay();
    const caregiver = await member(clock);
    const outsider = await member(clock, { role: 'caregiver' });
    await link(patient, caregiver);
    const path = `${API}/i-care-for/${patient.user.id}/overview`;
    expect(outcome(await outsider.get(path))).toEqual([404, 'NOT_FOUND']);
    // The patient is not their own caregiver, and the caregiver's own id is not a patient of theirs.
    expect(outcome(await patient.get(path))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await patient.get(`${API}/i-care-for/${caregiver.user.id}/overview`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await caregiver.get(`${API}/i-care-for/not-an-id/overview`))).toEqual([422, 'VALIDATION_FAILED']);

    // A blocked patient's data is not shown either, while the link stays for when they come back.
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, patient.user.id));
    expect(outcome(await caregiver.get(path))).toEqual([404, 'NOT_FOUND']);
    expect((await caregiver.get(`${API}/i-care-for`)).body.data.items).toEqual([]);
    await db.update(users).set({ status: 'active' }).where(eq(users.id, patient.user.id));
    expect((await caregiver.get(path)).status).toBe(200);

    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'caregiver.patient.overview'), eq(auditEvents.patientId, patient.user.id)))
      .all();
    expect(audits.map((a) => a.actorId)).toEqual([caregiver.user.id]);
  });
});
