import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import {
  type AppointmentStatus,
  auditEvents,
  doses,
  prescriptions,
  reminders,
  schedules,
  userProfiles,
} from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, tokenFor } from '../../helpers';
import { pdfText } from '../../support/pdf';
import { account, insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

/**
 * Prescriptions through HTTP: written by the appointment's doctor only and on the right statuses, read
 * by the patient and the writing doctor (each read audited), printed as a PDF, accepted into medicine
 * schedules whose doses and reminders follow, changed and withdrawn by the doctor, expired by the cron.
 */

const NOW = new Date('2026-04-01T10:45:00Z');
const DAY = 24 * 3600_000;
const clock = fixedClock(NOW);
const api = client({ clock });
const V1 = '/api/v1';
const LISBON = 'Europe/Lisbon';

const AMOXICILLIN = {
  name: 'Amoxicillin',
  dosage: '500 mg',
  frequency: { timesPerDay: 3 },
  duration: { days: 7 },
  instructions: 'After meals',
};
const IBUPROFEN = {
  name: 'Ibuprofen',
  dosage: '200 mg',
  frequency: { times: ['09:00', '21:00'] },
  duration: { days: 3 },
};

async function setup(status: AppointmentStatus = 'confirmed', timeZone: string | null = LISBON) {
  clock.set(NOW);
  const { doctor, services } = await practice(NOW);
  const patient = await account('user', NOW);
  if (timeZone) await db.insert(userProfiles).values({ userId: patient.user.id, timeZone, updatedAt: NOW.getTime() });
  const appointment = await insertAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: '2026-04-01T10:00:00Z',
    status,
  });
  return { doctor, patient, appointment };
}

const write = (appointmentId: string, token: string, json: unknown = { medications: [AMOXICILLIN, IBUPROFEN] }) =>
  api.post(`${V1}/appointments/${appointmentId}/prescriptions`, { token, json });

async function written(status: AppointmentStatus = 'confirmed') {
  const s = await setup(status);
  const res = await write(s.appointment.id, s.doctor.token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...s, rx: res.body.data as { id: string; scheduleIds: string[] } };
}

const auditsOf = (resourceId: string, action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceId, resourceId), eq(auditEvents.action, action)))
    .all();
const rowOf = (id: string) => db.select().from(prescriptions).where(eq(prescriptions.id, id)).get();
const schedulesOf = (ids: string[]) =>
  db.select().from(schedules).where(inArray(schedules.id, ids)).orderBy(asc(schedules.medicineName)).all();

describe('writing a prescription', () => {
  it('Should let the appointment’s doctor write one, dated in the patient’s zone, audited', async () => {
    const { doctor, patient, appointment } = await setup();
    const res = await write(appointment.id, doctor.token, {
      medications: [AMOXICILLIN, IBUPROFEN],
      notes: 'Come back if the fever lasts',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const rx = res.body.data;
    expect(rx).toMatchObject({
      appointmentId: appointment.id,
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      status: 'active',
      timeZone: LISBON,
      startDate: '2026-04-01',
      // Midnight in Lisbon (UTC+1 in April) after the 7-day course's last day, 2026-04-07.
      expiresAt: '2026-04-07T23:00:00.000Z',
      acceptedAt: null,
      scheduleIds: [],
      notes: 'Come back if the fever lasts',
    });
    expect(rx.medications).toEqual([
      { ...AMOXICILLIN, timesOfDay: ['08:00', '14:00', '20:00'], lastDate: '2026-04-07' },
      { ...IBUPROFEN, instructions: null, timesOfDay: ['09:00', '21:00'], lastDate: '2026-04-03' },
    ]);
    expect(await rowOf(rx.id)).toMatchObject({ status: 'active', expiresAt: Date.parse('2026-04-07T23:00:00Z') });
    const [audit] = await auditsOf(rx.id, 'prescription.create');
    expect(audit).toMatchObject({ actorId: doctor.user.id, patientId: patient.user.id });
    expect(JSON.stringify(audit?.metadata)).not.toContain('Amoxicillin');
  });

  it('Should count in UTC for a patient without a profile zone', async () => {
    const { doctor, appointment } = await setup('completed', null);
    const res = await write(appointment.id, doctor.token, { medications: [IBUPROFEN] });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ timeZone: 'UTC', expiresAt: '2026-04-04T00:00:00.000Z' });
  });

  it('Should refuse another doctor (404), the patient and staff (403), and a wrong status (409)', async () => {
    const { patient, appointment } = await setup();
    const other = await practice(NOW);
    const refused = await write(appointment.id, other.doctor.token);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('NOT_FOUND');
    expect((await write(appointment.id, patient.token)).status).toBe(403);
    const staff = await account('receptionist', NOW);
    expect((await write(appointment.id, staff.token)).status).toBe(403);
    for (const status of ['pending', 'cancelled', 'rejected'] as const) {
      const s = await setup(status);
      const res = await write(s.appointment.id, s.doctor.token);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('INVALID_TRANSITION');
      expect(await db.select().from(prescriptions).where(eq(prescriptions.appointmentId, s.appointment.id))).toEqual(
        [],
      );
    }
    expect(await db.select().from(prescriptions).where(eq(prescriptions.appointmentId, appointment.id))).toEqual([]);
  });

  it('Should refuse bad medications with 422 and store nothing', async () => {
    const { doctor, appointment } = await setup('in-progress');
    const bad = [
      { medications: [] },
      { medications: Array.from({ length: 21 }, () => AMOXICILLIN) },
      { medications: [{ ...AMOXICILLIN, frequency: { timesPerDay: 7 } }] },
      { medications: [{ ...AMOXICILLIN, frequency: { times: ['25:00'] } }] },
      { medications: [{ ...AMOXICILLIN, duration: { days: 0 } }] },
      { medications: [{ ...AMOXICILLIN, duration: { days: 366 } }] },
      { medications: [{ ...AMOXICILLIN, name: '' }] },
      { medications: [AMOXICILLIN], status: 'expired' },
    ];
    for (const json of bad) {
      const res = await write(appointment.id, doctor.token, json);
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(await db.select().from(prescriptions).where(eq(prescriptions.appointmentId, appointment.id))).toEqual([]);
  });
});

describe('reading prescriptions', () => {
  it('Should let the patient and the writing doctor read it, each read audited, in one round trip', async () => {
    const { doctor, patient, rx } = await written();
    for (const reader of [patient, doctor]) {
      const res = await api.get(`${V1}/prescriptions/${rx.id}`, { token: reader.token });
      expect(res.status).toBe(200);
      expect(tripsOf(res)).toBe(1);
      expect(res.body.data).toMatchObject({ id: rx.id, patientName: patient.user.name, doctorName: doctor.user.name });
    }
    const reads = await auditsOf(rx.id, 'prescription.read');
    expect(reads.map((a) => a.actorId).sort()).toEqual([patient.user.id, doctor.user.id].sort());
    expect(reads[0]).toMatchObject({ patientId: patient.user.id, resourceType: 'prescription' });
  });

  it('Should answer 404 to another patient and another doctor, and audit nothing for them', async () => {
    const { rx } = await written();
    const stranger = await account('user', NOW);
    const otherDoctor = await account('doctor', NOW);
    for (const caller of [stranger, otherDoctor]) {
      expect((await api.get(`${V1}/prescriptions/${rx.id}`, { token: caller.token })).status).toBe(404);
      expect((await api.get(`${V1}/prescriptions/${rx.id}/pdf`, { token: caller.token })).status).toBe(404);
      const listed = await api.get(`${V1}/prescriptions`, { token: caller.token });
      expect(listed.body.data.items).toEqual([]);
    }
    expect(await auditsOf(rx.id, 'prescription.read')).toEqual([]);
    expect(await auditsOf(rx.id, 'prescription.pdf')).toEqual([]);
  });

  it('Should let a caregiver the patient granted their record read it, until the grant is revoked', async () => {
    const { rx, patient } = await written();
    const caregiver = await account('caregiver', NOW);
    const read = () => api.get(`${V1}/prescriptions/${rx.id}`, { token: caregiver.token });
    expect((await read()).status).toBe(404);
    const grant = (scope: string) =>
      api.post(`${V1}/patients/me/record-grants`, {
        token: patient.token,
        json: { granteeId: caregiver.user.id, scope, expiresAt: new Date(NOW.getTime() + DAY).toISOString() },
      });
    // The documents only: not the prescriptions.
    expect((await grant('documents')).status).toBe(201);
    expect((await read()).status).toBe(404);
    const whole = await grant('record');
    expect(whole.status, JSON.stringify(whole.body)).toBe(201);
    const allowed = await read();
    expect(allowed.status).toBe(200);
    expect(allowed.body.data.id).toBe(rx.id);
    expect((await api.get(`${V1}/prescriptions/${rx.id}/pdf`, { token: caregiver.token })).status).toBe(200);
    expect(await auditsOf(rx.id, 'prescription.read')).toEqual([
      expect.objectContaining({ actorId: caregiver.user.id }),
    ]);
    const revoked = await api.delete(`${V1}/patients/me/record-grants/${whole.body.data.id}`, { token: patient.token });
    expect(revoked.status).toBe(200);
    expect((await read()).status).toBe(404);
  });

  it('Should list the patient’s own and the doctor’s written ones, filtered by status, audited', async () => {
    const { doctor, patient, appointment, rx } = await written();
    const second = await write(appointment.id, doctor.token, { medications: [IBUPROFEN] });
    await api.delete(`${V1}/prescriptions/${second.body.data.id}`, {
      token: doctor.token,
      json: { reason: 'Duplicate' },
    });
    for (const reader of [patient, doctor]) {
      const all = await api.get(`${V1}/prescriptions`, { token: reader.token });
      expect(all.status).toBe(200);
      expect(tripsOf(all)).toBe(1);
      expect(all.body.data.items.map((p: { id: string }) => p.id)).toEqual([second.body.data.id, rx.id]);
      const active = await api.get(`${V1}/prescriptions?status=active`, { token: reader.token });
      expect(active.body.data.items.map((p: { id: string }) => p.id)).toEqual([rx.id]);
      expect(active.body.data.pagination).toMatchObject({ total: 1 });
    }
    const lists = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, patient.user.id), eq(auditEvents.action, 'prescription.list')))
      .all();
    expect(lists).toHaveLength(2);
    expect(lists[0]?.metadata).toMatchObject({ as: 'patient' });
    expect([...lists.flatMap((l) => (l.metadata as { ids: string[] }).ids)].sort()).toEqual(
      [second.body.data.id, rx.id, rx.id].sort(),
    );
  });

  it('Should print a PDF with the doctor, the patient, the date and the medications', async () => {
    const { doctor, patient, rx } = await written();
    const execution = createExecutionContext();
    const res = await api.app.request(
      `${V1}/prescriptions/${rx.id}/pdf`,
      { headers: { authorization: `Bearer ${patient.token}` } },
      testEnv,
      execution,
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    await waitOnExecutionContext(execution);
    expect(res.status).toBe(200);
    expect(tripsOf({ status: res.status, headers: res.headers, body: null })).toBe(1);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="prescription-${rx.id}.pdf"`);
    const { pages } = await pdfText(bytes);
    const text = pages.flat().join('\n');
    expect(text).toContain(`Doctor: ${doctor.user.name}`);
    expect(text).toContain(`Patient: ${patient.user.name}`);
    expect(text).toContain('Date: 2026-04-01 (Europe/Lisbon)');
    expect(text).toContain('1. Amoxicillin 500 mg');
    expect(text).toContain('3 times a day (08:00, 14:00, 20:00), for 7 days (until 2026-04-07)');
    expect(text).toContain('After meals');
    expect(text).toContain('2. Ibuprofen 200 mg');
    expect(await auditsOf(rx.id, 'prescription.pdf')).toMatchObject([{ actorId: patient.user.id }]);
  });
});

describe('accepting, changing and withdrawing', () => {
  it('Should create one medicine schedule per medication on accept, with doses listed and reminded', async () => {
    const { patient, rx } = await written();
    const res = await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: patient.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    const ids: string[] = res.body.data.scheduleIds;
    expect(ids).toHaveLength(2);
    expect(res.body.data.acceptedAt).toBe(NOW.toISOString());
    expect(await schedulesOf(ids)).toMatchObject([
      {
        medicineName: 'Amoxicillin',
        dosage: '500 mg',
        ownerId: patient.user.id,
        timesOfDay: ['08:00', '14:00', '20:00'],
        timeZone: LISBON,
        startDate: '2026-04-01',
        endDate: '2026-04-07',
        notes: 'After meals',
        source: 'prescription',
        status: 'active',
      },
      { medicineName: 'Ibuprofen', timesOfDay: ['09:00', '21:00'], endDate: '2026-04-03', source: 'prescription' },
    ]);
    // Today in Lisbon (11:45 local): the 14:00 and 20:00 doses, and the 21:00 one.
    const today = await api.get(`${V1}/doses?date=2026-04-01&tz=${LISBON}`, { token: patient.token });
    expect(today.status).toBe(200);
    expect(today.body.data.items.map((d: { localTime: string }) => d.localTime)).toEqual(['14:00', '20:00', '21:00']);
    const last = await api.get(`${V1}/doses?date=2026-04-07&tz=${LISBON}`, { token: patient.token });
    expect(last.body.data.items.map((d: { localTime: string }) => d.localTime)).toEqual(['08:00', '14:00', '20:00']);
    const after = await api.get(`${V1}/doses?date=2026-04-08&tz=${LISBON}`, { token: patient.token });
    expect(after.body.data.items).toEqual([]);
    const pending = await db
      .select()
      .from(reminders)
      .where(and(eq(reminders.recipientId, patient.user.id), eq(reminders.kind, 'dose.10m')))
      .all();
    // 3 × 7 − 1 (08:00 today is past) + 2 × 3 − 1 (09:00 today is past) doses, each reminded.
    expect(pending).toHaveLength(20 + 5);
    expect(await auditsOf(rx.id, 'prescription.accept')).toMatchObject([{ actorId: patient.user.id }]);

    // Idempotent: a second accept answers the same and creates nothing.
    const again = await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: patient.token });
    expect(again.status).toBe(200);
    expect(again.body.data.scheduleIds).toEqual(ids);
    expect(await db.select().from(schedules).where(eq(schedules.ownerId, patient.user.id))).toHaveLength(2);
  });

  it('Should refuse accepting to the doctor (403) and another patient (404)', async () => {
    const { doctor, rx } = await written();
    expect((await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: doctor.token })).status).toBe(403);
    const stranger = await account('user', NOW);
    expect((await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: stranger.token })).status).toBe(404);
    expect(await rowOf(rx.id)).toMatchObject({ acceptedAt: null, scheduleIds: [] });
  });

  it('Should end the schedules on delete, keep the prescription with its reason, and refuse a second delete', async () => {
    const { doctor, patient, rx } = await written();
    const accepted = await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: patient.token });
    const ids: string[] = accepted.body.data.scheduleIds;
    clock.set(new Date(NOW.getTime() + DAY)); // 2026-04-02 11:45 Lisbon
    doctor.token = await tokenFor(doctor.user, clock.now());
    patient.token = await tokenFor(patient.user, clock.now());
    expect(
      (await api.delete(`${V1}/prescriptions/${rx.id}`, { token: patient.token, json: { reason: 'x' } })).status,
    ).toBe(403);
    const other = await account('doctor', clock.now());
    expect(
      (await api.delete(`${V1}/prescriptions/${rx.id}`, { token: other.token, json: { reason: 'x' } })).status,
    ).toBe(404);
    expect((await api.delete(`${V1}/prescriptions/${rx.id}`, { token: doctor.token, json: {} })).status).toBe(422);
    const res = await api.delete(`${V1}/prescriptions/${rx.id}`, {
      token: doctor.token,
      json: { reason: 'Allergy reported' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    expect(res.body.data).toMatchObject({ status: 'deleted', deleteReason: 'Allergy reported' });
    expect(await rowOf(rx.id)).toMatchObject({ status: 'deleted', deleteReason: 'Allergy reported' });
    expect((await schedulesOf(ids)).map((s) => s.endDate)).toEqual(['2026-04-02', '2026-04-02']);
    const future = await db
      .select()
      .from(doses)
      .where(and(inArray(doses.scheduleId, ids), eq(doses.status, 'pending')))
      .all();
    expect(future.every((d) => d.scheduledAt <= clock.now().getTime())).toBe(true);
    const tomorrow = await api.get(`${V1}/doses?date=2026-04-03&tz=${LISBON}`, { token: patient.token });
    expect(tomorrow.body.data.items).toEqual([]);
    const reminded = await db
      .select()
      .from(reminders)
      .where(
        and(
          eq(reminders.recipientId, patient.user.id),
          eq(reminders.kind, 'dose.10m'),
          eq(reminders.status, 'pending'),
          gt(reminders.dueAt, clock.now().getTime()),
        ),
      )
      .all();
    // Reminders of the doses already due before the withdrawal are the cron's to send or drop.
    expect(reminded).toEqual([]);
    expect(await auditsOf(rx.id, 'prescription.delete')).toMatchObject([{ actorId: doctor.user.id }]);
    const again = await api.delete(`${V1}/prescriptions/${rx.id}`, { token: doctor.token, json: { reason: 'again' } });
    expect(again.status).toBe(409);
    // The patient still reads it, withdrawn, and cannot accept it.
    expect((await api.get(`${V1}/prescriptions/${rx.id}`, { token: patient.token })).body.data.status).toBe('deleted');
  });

  it('Should replace the schedules when the doctor changes the medications of an accepted prescription', async () => {
    const { doctor, patient, rx } = await written();
    const accepted = await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token: patient.token });
    const oldIds: string[] = accepted.body.data.scheduleIds;
    expect((await api.patch(`${V1}/prescriptions/${rx.id}`, { token: doctor.token, json: {} })).status).toBe(422);
    const res = await api.patch(`${V1}/prescriptions/${rx.id}`, {
      token: doctor.token,
      json: {
        medications: [{ ...AMOXICILLIN, dosage: '250 mg', frequency: { timesPerDay: 2 }, duration: { days: 10 } }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    expect(res.body.data.expiresAt).toBe('2026-04-10T23:00:00.000Z');
    const newIds: string[] = res.body.data.scheduleIds;
    expect(newIds).toHaveLength(1);
    expect((await schedulesOf(oldIds)).map((s) => s.endDate)).toEqual(['2026-04-01', '2026-04-01']);
    expect(await schedulesOf(newIds)).toMatchObject([
      { medicineName: 'Amoxicillin', dosage: '250 mg', timesOfDay: ['08:00', '20:00'], endDate: '2026-04-10' },
    ]);
    const day5 = await api.get(`${V1}/doses?date=2026-04-05&tz=${LISBON}`, { token: patient.token });
    expect(
      day5.body.data.items.map((d: { localTime: string; scheduleId: string }) => [d.localTime, d.scheduleId]),
    ).toEqual([
      ['08:00', newIds[0]],
      ['20:00', newIds[0]],
    ]);
    expect(await auditsOf(rx.id, 'prescription.update')).toMatchObject([{ actorId: doctor.user.id }]);
    const other = await account('doctor', NOW);
    expect((await api.patch(`${V1}/prescriptions/${rx.id}`, { token: other.token, json: { notes: 'x' } })).status).toBe(
      404,
    );
  });
});

describe('expiry', () => {
  it('Should mark prescriptions expired by the cron once their expiry has passed, and refuse accepting them', async () => {
    const { patient, rx } = await written();
    const cronAt = (at: number) =>
      runCron(
        createContext(testEnv, { ...cloudflareDeps, clock: fixedClock(new Date(at)) }, { requestId: 'cron' }),
        CRON_TASKS,
      );
    await cronAt(Date.parse('2026-04-07T22:59:00Z'));
    expect(await rowOf(rx.id)).toMatchObject({ status: 'active' });
    await cronAt(Date.parse('2026-04-07T23:00:00Z'));
    expect(await rowOf(rx.id)).toMatchObject({ status: 'expired' });
    expect(await auditsOf(rx.id, 'prescription.expire')).toMatchObject([{ actorId: null, patientId: patient.user.id }]);
    clock.set(new Date('2026-04-08T08:00:00Z'));
    const token = await tokenFor(patient.user, clock.now());
    const res = await api.post(`${V1}/prescriptions/${rx.id}/accept`, { token });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_TRANSITION');
  });
});

describe('completing with a prescription (Arthomed)', () => {
  const complete = (id: string, token: string, json?: unknown) =>
    api.post(`${V1}/appointments/${id}/complete`, { token, ...(json === undefined ? {} : { json }) });

  it('Should write the prescription in the same write as the completion, in two round trips', async () => {
    const { doctor, patient, appointment } = await setup('in-progress');
    const res = await complete(appointment.id, doctor.token, {
      reason: 'Seen',
      prescription: { medications: [AMOXICILLIN] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    expect(res.body.data).toMatchObject({ id: appointment.id, status: 'completed' });
    expect(res.body.data.prescription).toMatchObject({
      appointmentId: appointment.id,
      patientId: patient.user.id,
      doctorName: doctor.user.name,
      timeZone: LISBON,
      status: 'active',
    });
    const rows = await db.select().from(prescriptions).where(eq(prescriptions.appointmentId, appointment.id));
    expect(rows).toMatchObject([{ id: res.body.data.prescription.id, doctorId: doctor.user.id }]);
    expect(await auditsOf(res.body.data.prescription.id, 'prescription.create')).toHaveLength(1);
  });

  it('Should complete without one as before, and write none when the completion is refused', async () => {
    const plain = await setup('in-progress');
    const res = await complete(plain.appointment.id, plain.doctor.token);
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('completed');
    expect(res.body.data.prescription).toBeUndefined();

    const pending = await setup('pending');
    const refused = await complete(pending.appointment.id, pending.doctor.token, {
      prescription: { medications: [AMOXICILLIN] },
    });
    expect(refused.status).toBe(409);
    const bad = await complete(plain.appointment.id, plain.doctor.token, { prescription: { medications: [] } });
    expect(bad.status).toBe(422);
    for (const id of [plain.appointment.id, pending.appointment.id]) {
      expect(await db.select().from(prescriptions).where(eq(prescriptions.appointmentId, id))).toEqual([]);
    }
  });
});

describe('account erasure', () => {
  it('Should delete a purged patient’s prescriptions and keep a purged doctor’s as the patients’ records', async () => {
    const admin = await account('admin', NOW);
    const first = await written();
    const second = await written();
    const purgePatient = await api.delete(`${V1}/admin/users/${first.patient.user.id}`, {
      token: admin.token,
      json: { reason: 'Requested by the account holder' },
    });
    expect(purgePatient.status, JSON.stringify(purgePatient.body)).toBe(200);
    expect(await rowOf(first.rx.id)).toBeUndefined();
    const purgeDoctor = await api.delete(`${V1}/admin/users/${second.doctor.user.id}`, {
      token: admin.token,
      json: {},
    });
    expect(purgeDoctor.status, JSON.stringify(purgeDoctor.body)).toBe(200);
    expect(await rowOf(second.rx.id)).toMatchObject({ doctorId: second.doctor.user.id, status: 'active' });
    const read = await api.get(`${V1}/prescriptions/${second.rx.id}`, { token: second.patient.token });
    expect(read.body.data).toMatchObject({ id: second.rx.id, doctorName: null });
  });
});
