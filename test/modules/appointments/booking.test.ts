import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  appointmentAttachments,
  appointmentEvents,
  appointments,
  auditEvents,
  doctorProfiles,
  doctorServices,
  slotClaims,
  timeOff,
  users,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, form, SAMPLE, uniqueId } from '../../helpers';
import { account, type PracticeOptions, practice } from '../../support/practice';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const SLOT = '2026-03-24T10:00:00.000Z';

async function setup(options: PracticeOptions = {}) {
  const p = await practice(now(), options);
  const patient = await account('user', now());
  return { ...p, service: p.services[0]!, patient };
}

const bookBody = (doctorId: string, serviceId: string, extra: Record<string, unknown> = {}) => ({
  doctorId,
  serviceId,
  startsAt: SLOT,
  type: 'video',
  ...extra,
});

const book = (token: string, json: unknown) => api.post('/api/v1/appointments', { token, json });
const appointmentsOf = (patientId: string) =>
  db.select().from(appointments).where(eq(appointments.patientId, patientId)).all();
const claimsOf = (ownerId: string) => db.select().from(slotClaims).where(eq(slotClaims.ownerId, ownerId)).all();

async function upload(token: string, purpose = 'attachment') {
  const res = await api.post('/api/v1/files', {
    token,
    body: form({ purpose, file: new Blob([SAMPLE.pdf()]) }, 'report.pdf'),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

describe('booking an appointment', () => {
  it('Should book a pending appointment: stored row with snapshots, history event, claims with buffer, audit', async () => {
    const { doctor, service, patient } = await setup({
      bufferMinutes: 10,
      timeZone: 'Europe/Berlin',
      priceCents: 7500,
    });
    // 11:00 Berlin (CET, +01:00) on Tuesday 2026-03-24.
    const res = await book(
      patient.token,
      bookBody(doctor.user.id, service.id, { reason: '  Persistent cough ', symptoms: 'Dry cough\nno fever' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.data.id;
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^apt_/),
      status: 'pending',
      type: 'video',
      patient: { id: patient.user.id, name: patient.user.name },
      doctor: { id: doctor.user.id, name: doctor.user.name },
      service: { id: service.id, name: 'Consultation 30 min', durationMinutes: 30 },
      startsAt: SLOT,
      endsAt: '2026-03-24T10:30:00.000Z',
      timeZone: 'Europe/Berlin',
      localStart: '2026-03-24T11:00',
      localEnd: '2026-03-24T11:30',
      reason: 'Persistent cough',
      symptoms: 'Dry cough\nno fever',
      price: { amountCents: 7500, currency: 'EUR' },
      followUpOfId: null,
      holdId: null,
      cancellation: null,
      payment: { status: 'unpaid', timing: 'later', dueAt: null, paidAt: null },
      refund: null,
      rescheduleCount: 0,
      needsRebooking: false,
      affectedBy: null,
      attachmentCount: 0,
      createdAt: now().toISOString(),
      updatedAt: now().toISOString(),
    });
    const row = await db.select().from(appointments).where(eq(appointments.id, id)).get();
    expect(row).toMatchObject({
      patientId: patient.user.id,
      bookedBy: patient.user.id,
      status: 'pending',
      startsAt: Date.parse(SLOT),
      bufferMinutes: 10,
      timeZone: 'Europe/Berlin',
      priceCents: 7500,
      currency: 'EUR',
    });
    const events = await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, id));
    expect(events).toEqual([
      expect.objectContaining({
        action: 'book',
        fromStatus: null,
        toStatus: 'pending',
        actorId: patient.user.id,
        actorRole: 'user',
        at: now().getTime(),
      }),
    ]);
    const claims = await claimsOf(id);
    expect(claims).toHaveLength((30 + 10) / 5);
    expect(claims.map((c) => c.unitStart).sort((a, b) => a - b)[7]).toBe(Date.parse('2026-03-24T10:35:00Z'));
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, id));
    expect(audits).toEqual([
      expect.objectContaining({ action: 'appointment.book', resourceType: 'appointment', patientId: patient.user.id }),
    ]);
  });

  it('Should refuse malformed bodies with 422 and write nothing', async () => {
    const { doctor, service, patient } = await setup();
    const base = bookBody(doctor.user.id, service.id);
    const { type: _type, ...withoutType } = base;
    const cases: [unknown, string][] = [
      [withoutType, 'type'],
      [{ ...base, startsAt: 1774346400000 }, 'startsAt'],
      [{ ...base, startsAt: '2026-03-24 10:00' }, 'startsAt'],
      [{ ...base, status: 'confirmed' }, 'status'],
      [{ ...base, type: 'phone' }, 'type'],
      [{ ...base, reason: 'x'.repeat(501) }, 'reason'],
      [{ ...base, symptoms: 'bad\u0007bell' }, 'symptoms'],
      [{ ...base, attachmentIds: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'attachmentIds'],
      [{ ...base, doctorId: '' }, 'doctorId'],
    ];
    for (const [json, field] of cases) {
      const res = await book(patient.token, json);
      expect([res.status, res.body.error?.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const notJson = await api.post('/api/v1/appointments', {
      token: patient.token,
      body: '{"doctorId":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(await appointmentsOf(patient.user.id)).toEqual([]);
  });

  it('Should refuse starts the schedule does not offer with 422 on startsAt', async () => {
    const { doctor, service, patient } = await setup({ minNoticeMinutes: 120 });
    const doctorId = doctor.user.id;
    await db.insert(timeOff).values({
      id: uniqueId('tof'),
      doctorId,
      kind: 'time-off',
      startsAt: Date.parse('2026-03-24T13:00:00Z'),
      endsAt: Date.parse('2026-03-24T15:00:00Z'),
      reason: null,
      createdAt: now().getTime(),
    });
    const cases = {
      'off the grid': '2026-03-24T10:10:00Z',
      'outside hours': '2026-03-24T17:00:00Z',
      'before the minimum notice': '2026-03-23T09:30:00Z',
      'in the past': '2026-03-20T10:00:00Z',
      'beyond the horizon': '2026-06-01T10:00:00Z',
      'during time off': '2026-03-24T13:30:00Z',
    };
    for (const [label, startsAt] of Object.entries(cases)) {
      const res = await book(patient.token, bookBody(doctorId, service.id, { startsAt }));
      expect([res.status, res.body.errors?.[0]?.field], label).toEqual([422, 'startsAt']);
    }
    // Far enough ahead: allowed.
    expect(
      (await book(patient.token, bookBody(doctorId, service.id, { startsAt: '2026-03-23T10:00:00Z' }))).status,
    ).toBe(201);
    // Emergency unavailability until tomorrow noon.
    await db
      .update(doctorProfiles)
      .set({ unavailableUntil: Date.parse('2026-03-24T12:00:00Z'), unavailableReason: 'Emergency' })
      .where(eq(doctorProfiles.userId, doctorId));
    const during = await book(patient.token, bookBody(doctorId, service.id));
    expect([during.status, during.body.errors?.[0]?.field]).toEqual([422, 'startsAt']);
    const after = await book(patient.token, bookBody(doctorId, service.id, { startsAt: '2026-03-24T12:00:00Z' }));
    expect(after.status).toBe(201);
    expect(await appointmentsOf(patient.user.id)).toHaveLength(2);
  });

  it('Should answer 404 for a doctor who is not bookable or a service not theirs or inactive', async () => {
    const { doctor, services, patient } = await setup();
    const other = await practice(now());
    const blocked = await practice(now());
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.doctor.user.id));
    const unverified = await practice(now());
    await db.update(users).set({ verifiedAt: null }).where(eq(users.id, unverified.doctor.user.id));
    await db.update(doctorServices).set({ active: false }).where(eq(doctorServices.id, services[1]!.id));
    const cases = [
      bookBody(blocked.doctor.user.id, blocked.services[0]!.id),
      bookBody(unverified.doctor.user.id, unverified.services[0]!.id),
      bookBody(patient.user.id, services[0]!.id),
      bookBody('usr_nobody', services[0]!.id),
      bookBody(doctor.user.id, other.services[0]!.id),
      bookBody(doctor.user.id, services[1]!.id),
    ];
    for (const json of cases) {
      const res = await book(patient.token, json);
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([404, 'NOT_FOUND']);
    }
    expect(await appointmentsOf(patient.user.id)).toEqual([]);
  });

  it('Should refuse a patient booking for someone else (422 patientId) but take their own id', async () => {
    const { doctor, service, patient } = await setup();
    const other = await account('user', now());
    const res = await book(patient.token, bookBody(doctor.user.id, service.id, { patientId: other.user.id }));
    expect([res.status, res.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    expect(await appointmentsOf(other.user.id)).toEqual([]);
    const own = await book(patient.token, bookBody(doctor.user.id, service.id, { patientId: patient.user.id }));
    expect(own.status).toBe(201);
    expect(own.body.data.patient.id).toBe(patient.user.id);
  });

  it('Should let staff book for an active patient (bookedBy = staff), requiring patientId', async () => {
    const { doctor, service, patient } = await setup();
    const receptionist = await account('receptionist', now());
    const missing = await book(receptionist.token, bookBody(doctor.user.id, service.id));
    expect([missing.status, missing.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    const blockedPatient = await account('user', now());
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blockedPatient.user.id));
    for (const patientId of [doctor.user.id, blockedPatient.user.id, 'usr_nobody']) {
      const res = await book(receptionist.token, bookBody(doctor.user.id, service.id, { patientId }));
      expect([res.status, res.body.errors?.[0]?.field], patientId).toEqual([422, 'patientId']);
    }
    const res = await book(receptionist.token, bookBody(doctor.user.id, service.id, { patientId: patient.user.id }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const row = await db.select().from(appointments).where(eq(appointments.id, res.body.data.id)).get();
    expect(row).toMatchObject({ patientId: patient.user.id, bookedBy: receptionist.user.id, status: 'pending' });
    const event = await db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, row!.id)).get();
    expect(event).toMatchObject({ actorId: receptionist.user.id, actorRole: 'receptionist' });
    const admin = await account('admin', now());
    const byAdmin = await book(
      admin.token,
      bookBody(doctor.user.id, service.id, { patientId: patient.user.id, startsAt: '2026-03-24T11:00:00Z' }),
    );
    expect(byAdmin.status).toBe(201);
  });

  it('Should refuse unauthenticated callers (401) and roles that do not book (403)', async () => {
    const { doctor, service } = await setup();
    expect((await api.post('/api/v1/appointments', { json: bookBody(doctor.user.id, service.id) })).status).toBe(401);
    for (const role of ['doctor', 'caregiver'] as const) {
      const caller = await account(role, now());
      expect((await book(caller.token, bookBody(doctor.user.id, service.id))).status, role).toBe(403);
    }
    expect(await db.select().from(appointments).where(eq(appointments.doctorId, doctor.user.id))).toEqual([]);
  });

  it('Should link uploaded attachments in the same write, and refuse files that are not the caller’s attachments', async () => {
    const { doctor, service, patient } = await setup();
    const other = await account('user', now());
    const mine = [await upload(patient.token), await upload(patient.token)];
    const labReport = await upload(patient.token, 'lab-report');
    const theirs = await upload(other.token);
    for (const fileId of [labReport, theirs, 'fil_nothing']) {
      const res = await book(patient.token, bookBody(doctor.user.id, service.id, { attachmentIds: [mine[0], fileId] }));
      expect([res.status, res.body.errors?.[0]?.field], fileId).toEqual([422, 'attachmentIds']);
    }
    expect(await appointmentsOf(patient.user.id)).toEqual([]);
    expect(await db.select().from(slotClaims).where(eq(slotClaims.doctorId, doctor.user.id))).toEqual([]);
    const res = await book(patient.token, bookBody(doctor.user.id, service.id, { attachmentIds: mine }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.attachmentCount).toBe(2);
    const links = await db
      .select()
      .from(appointmentAttachments)
      .where(eq(appointmentAttachments.appointmentId, res.body.data.id));
    expect(links.map((l) => l.fileId).sort()).toEqual([...mine].sort());
    expect(links.every((l) => l.addedBy === patient.user.id)).toBe(true);
    // A file already attached cannot be attached again.
    const again = await book(
      patient.token,
      bookBody(doctor.user.id, service.id, { attachmentIds: [mine[0]], startsAt: '2026-03-24T12:00:00Z' }),
    );
    expect([again.status, again.body.errors?.[0]?.field]).toEqual([422, 'attachmentIds']);
  });

  it('Should keep the doctor’s buffer free after a booking (409) and book right after it', async () => {
    const { doctor, services, patient } = await setup({ bufferMinutes: 10, slotMinutes: 10 });
    const other = await account('user', now());
    const [thirty, sixty] = services;
    expect((await book(patient.token, bookBody(doctor.user.id, thirty!.id))).status).toBe(201);
    // 10:30 is inside the 10-minute buffer of 10:00–10:30.
    const inBuffer = await book(
      other.token,
      bookBody(doctor.user.id, thirty!.id, { startsAt: '2026-03-24T10:30:00Z' }),
    );
    expect([inBuffer.status, inBuffer.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(inBuffer.body.error.details.blockedBy).toMatchObject({ type: 'appointment', id: null, startsAt: SLOT });
    // A 60-minute visit at 09:00 would end at 10:00 and its own buffer would run into 10:00–10:10.
    const before = await book(other.token, bookBody(doctor.user.id, sixty!.id, { startsAt: '2026-03-24T09:00:00Z' }));
    expect([before.status, before.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(await appointmentsOf(other.user.id)).toEqual([]);
    const after = await book(other.token, bookBody(doctor.user.id, thirty!.id, { startsAt: '2026-03-24T10:40:00Z' }));
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    const earlier = await book(other.token, bookBody(doctor.user.id, sixty!.id, { startsAt: '2026-03-24T08:50:00Z' }));
    expect(earlier.status).toBe(422); // outside hours: 09:00 is the first start
    const fits = await book(other.token, bookBody(doctor.user.id, thirty!.id, { startsAt: '2026-03-24T09:20:00Z' }));
    expect(fits.status).toBe(201);
    expect(
      await db
        .select()
        .from(slotClaims)
        .where(and(eq(slotClaims.doctorId, doctor.user.id), eq(slotClaims.ownerType, 'appointment'))),
    ).toHaveLength(3 * 8);
  });
});
