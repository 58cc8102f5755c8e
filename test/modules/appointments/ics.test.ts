import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appointmentEvents, appointments, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { parseIcs } from '../../support/ics';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = new Date('2026-10-01T08:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const icsPath = (id: string) => `/api/v1/appointments/${id}/calendar.ics`;

/** A Berlin practice whose doctor is "Dana Demo", and a patient "Pat Patient". */
async function berlin() {
  const { doctor, services } = await practice(NOW, { timeZone: 'Europe/Berlin' });
  const patient = await account('user', NOW);
  await db.update(users).set({ name: 'Dana Demo' }).where(eq(users.id, doctor.user.id));
  await db.update(users).set({ name: 'Pat Patient' }).where(eq(users.id, patient.user.id));
  const book = (startsAt: string, status: 'pending' | 'confirmed' | 'cancelled' = 'confirmed') =>
    insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
      status,
      timeZone: 'Europe/Berlin',
    });
  return { doctor, patient, book };
}

describe('GET /appointments/{id}/calendar.ics', () => {
  it('Should answer a valid iCalendar event for the patient, with CRLF lines and the download headers', async () => {
    const { patient, book } = await berlin();
    const appointment = await book('2026-10-24T08:00:00Z');
    const res = await api.get(icsPath(appointment.id), { token: patient.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="appointment-${appointment.id}.ics"`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const text = res.body as string;
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);

    const { lines, events } = parseIcs(text);
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('VERSION:2.0');
    expect(lines).toContain('METHOD:PUBLISH');
    expect(lines.some((l) => l.startsWith('PRODID:') && l.includes('Kinwell'))).toBe(true);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.UID?.value).toBe(`${appointment.id}@kinwell.health`);
    expect(event.DTSTAMP?.value).toBe('20261001T080000Z');
    expect(event.DTSTART?.value).toBe('20261024T080000Z');
    expect(event.DTEND?.value).toBe('20261024T083000Z');
    expect(event.SUMMARY?.value).toBe('Consultation 30 min with Dr. Dana Demo');
    expect(event.STATUS?.value).toBe('CONFIRMED');
    expect(event.SEQUENCE?.value).toBe('0');
    expect(event.DESCRIPTION?.value).toContain('Video consultation');
  });

  it('Should place local 10:00 in Berlin at 08:00Z before the 2026-10-25 DST change and 09:00Z after', async () => {
    const { doctor, book } = await berlin();
    const summer = await book('2026-10-24T08:00:00Z');
    const winter = await book('2026-10-26T09:00:00Z');
    for (const [appointment, utc, date] of [
      [summer, '20261024T080000Z', '2026-10-24'],
      [winter, '20261026T090000Z', '2026-10-26'],
    ] as const) {
      const event = parseIcs((await api.get(icsPath(appointment.id), { token: doctor.token })).body).events[0]!;
      expect(event.DTSTART?.value).toBe(utc);
      expect(event.DTSTART?.params).toBe('');
      expect(event.DESCRIPTION?.value).toContain(`${date} 10:00–10:30 (Europe/Berlin)`);
    }
  });

  it('Should map pending to TENTATIVE and cancelled to CANCELLED, and bump SEQUENCE with every change', async () => {
    const { patient, book } = await berlin();
    const pending = await book('2026-10-20T08:00:00Z', 'pending');
    const cancelled = await book('2026-10-21T08:00:00Z', 'cancelled');
    const events = ['book', 'confirm', 'reschedule', 'cancel'] as const;
    for (const [i, action] of events.entries()) {
      await db.insert(appointmentEvents).values({
        id: uniqueId('aev'),
        appointmentId: cancelled.id,
        action,
        fromStatus: null,
        toStatus: action === 'cancel' ? 'cancelled' : 'confirmed',
        actorId: patient.user.id,
        actorRole: 'user',
        at: NOW.getTime() + i,
      });
    }
    const get = async (id: string) => parseIcs((await api.get(icsPath(id), { token: patient.token })).body).events[0]!;
    const tentative = await get(pending.id);
    expect([tentative.STATUS?.value, tentative.SEQUENCE?.value]).toEqual(['TENTATIVE', '0']);
    expect(tentative.DESCRIPTION?.value).toContain('Awaiting confirmation');
    const gone = await get(cancelled.id);
    expect([gone.STATUS?.value, gone.SEQUENCE?.value, gone.TRANSP?.value]).toEqual(['CANCELLED', '3', 'TRANSPARENT']);
  });

  it('Should name the patient in the doctor’s and staff’s event and leave clinical text out', async () => {
    const { doctor, book } = await berlin();
    const appointment = await book('2026-10-24T08:00:00Z');
    await db
      .update(appointments)
      .set({ reason: 'Secret reason text', symptoms: 'Secret symptom text' })
      .where(eq(appointments.id, appointment.id));
    const receptionist = await account('receptionist', NOW);
    const forDoctor = await api.get(icsPath(appointment.id), { token: doctor.token });
    expect(parseIcs(forDoctor.body).events[0]?.SUMMARY?.value).toBe('Consultation 30 min with Pat Patient');
    const forStaff = await api.get(icsPath(appointment.id), { token: receptionist.token });
    expect(forStaff.status).toBe(200);
    expect(parseIcs(forStaff.body).events[0]?.SUMMARY?.value).toBe(
      'Consultation 30 min: Pat Patient with Dr. Dana Demo',
    );
    for (const text of [forDoctor.body, forStaff.body]) expect(text).not.toMatch(/Secret/);
  });

  it('Should fold long lines at 75 octets without splitting a character', async () => {
    const { patient, doctor, book } = await berlin();
    const name = 'Dr. Zoë Ångström-Øverby Świętosławska Müller-Lüdenscheidt Ærøskøbing';
    await db.update(users).set({ name }).where(eq(users.id, doctor.user.id));
    const appointment = await book('2026-10-24T08:00:00Z');
    const text = (await api.get(icsPath(appointment.id), { token: patient.token })).body as string;
    const raw = text.split('\r\n');
    expect(raw.some((l) => l.startsWith(' '))).toBe(true);
    for (const line of raw) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    expect(parseIcs(text).events[0]?.SUMMARY?.value).toBe(`Consultation 30 min with ${name}`);
  });

  it('Should answer 404 to a stranger and another doctor, 401 without a token', async () => {
    const { book } = await berlin();
    const appointment = await book('2026-10-24T08:00:00Z');
    for (const role of ['user', 'doctor'] as const) {
      const stranger = await account(role, NOW);
      const res = await api.get(icsPath(appointment.id), { token: stranger.token });
      expect([res.status, res.body.error.code], role).toEqual([404, 'NOT_FOUND']);
    }
    const patient = await account('user', NOW);
    expect((await api.get(icsPath('apt_00000000000000000000000000'), { token: patient.token })).status).toBe(404);
    expect((await api.get(icsPath(appointment.id))).status).toBe(401);
  });
});
