import { and, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type AppointmentStatus, appointmentNotes, appointments, auditEvents } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = new Date('2026-04-01T10:45:00Z');
const clock = fixedClock(NOW);
const api = client({ clock });
const notesPath = (id: string) => `/api/v1/appointments/${id}/notes`;
const TEXT = 'BP 128/82. Dry cough, chest clear.\nReview in 2 weeks if not better.';

const notesOf = (appointmentId: string) =>
  db.select().from(appointmentNotes).where(eq(appointmentNotes.appointmentId, appointmentId)).all();
const auditsOf = (patientId: string, action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.patientId, patientId), eq(auditEvents.action, action)))
    .all();

async function setup(status: AppointmentStatus = 'confirmed') {
  const { doctor, services } = await practice(NOW);
  const patient = await account('user', NOW);
  const appointment = await insertAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: '2026-04-01T10:00:00Z',
    status,
  });
  return { doctor, patient, appointment };
}

describe('doctor notes', () => {
  it('Should let the doctor create, list and update notes, each audited without the text', async () => {
    const { doctor, patient, appointment } = await setup();
    const created = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: TEXT } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const note = created.body.data;
    expect(note).toMatchObject({
      appointmentId: appointment.id,
      body: TEXT,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expect(await notesOf(appointment.id)).toMatchObject([{ id: note.id, doctorId: doctor.user.id, body: TEXT }]);

    const second = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: 'Second note' } });
    expect(second.status).toBe(201);
    const listed = await api.get(notesPath(appointment.id), { token: doctor.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.items.map((n: { id: string }) => n.id)).toEqual([note.id, second.body.data.id]);
    expect(listed.body.data.pagination).toMatchObject({ total: 2, current: 1, hasNext: false });
    const paged = await api.get(`${notesPath(appointment.id)}?limit=1&page=2`, { token: doctor.token });
    expect(paged.body.data.items.map((n: { id: string }) => n.id)).toEqual([second.body.data.id]);

    clock.advance(5 * 60_000);
    const updated = await api.patch(`${notesPath(appointment.id)}/${note.id}`, {
      token: doctor.token,
      json: { body: 'Corrected: BP 126/80.' },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.data).toMatchObject({
      id: note.id,
      body: 'Corrected: BP 126/80.',
      createdAt: NOW.toISOString(),
      updatedAt: new Date(NOW.getTime() + 5 * 60_000).toISOString(),
    });
    const row = (await notesOf(appointment.id)).find((n) => n.id === note.id);
    expect(row).toMatchObject({ body: 'Corrected: BP 126/80.', updatedAt: NOW.getTime() + 5 * 60_000 });
    clock.set(NOW);

    const creates = await auditsOf(patient.user.id, 'appointment.note.create');
    expect(creates.map((a) => a.resourceId).sort()).toEqual([note.id, second.body.data.id].sort());
    expect(creates[0]).toMatchObject({ actorId: doctor.user.id, resourceType: 'appointment_note' });
    expect(await auditsOf(patient.user.id, 'appointment.note.read')).toHaveLength(2);
    expect(await auditsOf(patient.user.id, 'appointment.note.update')).toMatchObject([
      { resourceId: note.id, actorId: doctor.user.id, metadata: { appointmentId: appointment.id } },
    ]);
    const leaked = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.patientId, patient.user.id), like(auditEvents.metadata, '%BP 12%')))
      .all();
    expect(leaked).toEqual([]);
  });

  it('Should refuse the patient and staff by role (403) and another doctor as not found (404)', async () => {
    const { doctor, patient, appointment } = await setup();
    const created = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: TEXT } });
    const notePath = `${notesPath(appointment.id)}/${created.body.data.id}`;
    const receptionist = await account('receptionist', NOW);
    const admin = await account('admin', NOW, ['appointment-manager']);
    for (const caller of [patient, receptionist, admin]) {
      for (const res of [
        await api.get(notesPath(appointment.id), { token: caller.token }),
        await api.post(notesPath(appointment.id), { token: caller.token, json: { body: 'x' } }),
        await api.patch(notePath, { token: caller.token, json: { body: 'x' } }),
      ]) {
        expect([res.status, res.body.error.code], caller.user.role).toEqual([403, 'FORBIDDEN']);
      }
    }
    const otherDoctor = await account('doctor', NOW);
    for (const res of [
      await api.get(notesPath(appointment.id), { token: otherDoctor.token }),
      await api.post(notesPath(appointment.id), { token: otherDoctor.token, json: { body: 'x' } }),
      await api.patch(notePath, { token: otherDoctor.token, json: { body: 'x' } }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await api.get(notesPath(appointment.id))).status).toBe(401);
    expect((await notesOf(appointment.id)).map((n) => n.body)).toEqual([TEXT]);
    const byOthers = await db.select().from(auditEvents).where(eq(auditEvents.actorId, otherDoctor.user.id)).all();
    expect(byOthers).toEqual([]);
  });

  it('Should answer 404 for a note of another appointment or an unknown note', async () => {
    const { doctor, appointment } = await setup();
    const sibling = await insertAppointment({
      patientId: appointment.patientId,
      doctorId: doctor.user.id,
      serviceId: appointment.serviceId,
      startsAt: '2026-04-02T10:00:00Z',
      status: 'confirmed',
    });
    const note = await api.post(notesPath(sibling.id), { token: doctor.token, json: { body: TEXT } });
    for (const path of [
      `${notesPath(appointment.id)}/${note.body.data.id}`,
      `${notesPath(appointment.id)}/ant_00000000000000000000000000`,
    ]) {
      const res = await api.patch(path, { token: doctor.token, json: { body: 'changed' } });
      expect([res.status, res.body.error.code], path).toEqual([404, 'NOT_FOUND']);
    }
    expect((await notesOf(sibling.id)).map((n) => n.body)).toEqual([TEXT]);
  });

  it('Should refuse notes while pending and on rejected or cancelled appointments (409), allow them after the visit', async () => {
    for (const status of ['pending', 'rejected', 'cancelled'] as const) {
      const { doctor, appointment } = await setup(status);
      const res = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: TEXT } });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect(await notesOf(appointment.id)).toEqual([]);
    }
    for (const status of ['in-progress', 'completed', 'no-show'] as const) {
      const { doctor, appointment } = await setup(status);
      const res = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: TEXT } });
      expect(res.status, status).toBe(201);
    }
    // A note written before a cancellation stays readable but can no longer change.
    const { doctor, appointment } = await setup('confirmed');
    const note = await api.post(notesPath(appointment.id), { token: doctor.token, json: { body: TEXT } });
    await db.update(appointments).set({ status: 'cancelled' }).where(eq(appointments.id, appointment.id));
    const edit = await api.patch(`${notesPath(appointment.id)}/${note.body.data.id}`, {
      token: doctor.token,
      json: { body: 'too late' },
    });
    expect([edit.status, edit.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await notesOf(appointment.id)).map((n) => n.body)).toEqual([TEXT]);
    expect((await api.get(notesPath(appointment.id), { token: doctor.token })).body.data.items).toHaveLength(1);
  });

  it('Should validate the body: empty, blank, too long, wrong type, missing, control characters, unknown keys (422)', async () => {
    const { doctor, appointment } = await setup();
    const cases: [unknown, string][] = [
      [{ body: '' }, 'body'],
      [{ body: '   \n ' }, 'body'],
      [{ body: 'x'.repeat(10_001) }, 'body'],
      [{ body: 42 }, 'body'],
      [{}, 'body'],
      [{ body: 'bell\u0007' }, 'body'],
      [{ body: 'ok', doctorId: 'usr_x' }, 'doctorId'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(notesPath(appointment.id), { token: doctor.token, json });
      expect([res.status, res.body.error.code], JSON.stringify(json).slice(0, 40)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const bad = await api.post(notesPath(appointment.id), {
      token: doctor.token,
      body: '{"body":',
      headers: { 'content-type': 'application/json' },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_JSON']);
    expect(await notesOf(appointment.id)).toEqual([]);

    const longest = await api.post(notesPath(appointment.id), {
      token: doctor.token,
      json: { body: 'y'.repeat(10_000) },
    });
    expect(longest.status).toBe(201);
    const patch = await api.patch(`${notesPath(appointment.id)}/${longest.body.data.id}`, {
      token: doctor.token,
      json: { body: 'fine', appointmentId: 'apt_other' },
    });
    expect([patch.status, patch.body.errors?.map((e: { field: string }) => e.field)]).toEqual([422, ['appointmentId']]);
    expect((await notesOf(appointment.id))[0]?.body).toBe('y'.repeat(10_000));
  });
});
