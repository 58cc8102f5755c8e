import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppointmentRow,
  appointmentAttachments,
  appointmentEvents,
  appointmentHolds,
  appointmentNotes,
  appointments,
  calendarFeeds,
  doctorProfiles,
  doctorServices,
  doctorSpecializations,
  files,
  idempotencyKeys,
  slotClaims,
  timeOff,
  weeklyHours,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { DOCTOR_DELETED_REASON } from '../../../src/modules/appointments/appointments.erasure';
import { client, db, SAMPLE, testEnv, tokenFor, uniqueId } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { account, insertAppointment, practice } from '../../support/practice';
import { resetSettings, setSetting } from '../../support/settings';

const NOW = new Date('2026-03-23T08:00:00Z');
const HOUR = 3_600_000;
const api = client({ clock: fixedClock(NOW) });

const rowOf = (id: string) => db.select().from(appointments).where(eq(appointments.id, id)).get();
const claimsOf = (ownerId: string) => db.$count(slotClaims, eq(slotClaims.ownerId, ownerId));
const linksOf = (appointmentId: string) =>
  db.$count(appointmentAttachments, eq(appointmentAttachments.appointmentId, appointmentId));
const eventsOf = (appointmentId: string) =>
  db.select().from(appointmentEvents).where(eq(appointmentEvents.appointmentId, appointmentId)).all();

async function attach(appointmentId: string, token: string): Promise<string> {
  const body = new FormData();
  body.append('file', new Blob([SAMPLE.pdf()]), 'scan.pdf');
  const res = await api.post(`/api/v1/appointments/${appointmentId}/attachments`, { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.items[0].id;
}

async function freeStarts(doctorId: string, serviceId: string, date: string): Promise<string[]> {
  const res = await api.get(`/api/v1/doctors/${doctorId}/slots?serviceId=${serviceId}&date=${date}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.slots.map((s: { start: string }) => s.start);
}

/**
 * A patient (with a password) holding every kind of appointment data: two upcoming appointments
 * (pending, confirmed) with an attachment, a past completed visit with a note, history and an attachment,
 * a live hold, a calendar feed and an idempotency key. Another patient of the same doctor has an
 * upcoming appointment with an attachment.
 */
async function patientWithAppointments() {
  const { doctor, services } = await practice(NOW);
  const serviceId = services[0]!.id;
  const user = await userWithPassword();
  const patient = { user, token: await tokenFor(user, NOW) };
  const book = (patientId: string, startsAt: string, status: AppointmentRow['status']) =>
    insertAppointment({ patientId, doctorId: doctor.user.id, serviceId, startsAt, status });
  const pending = await book(user.id, '2026-04-01T10:00:00Z', 'pending');
  const confirmed = await book(user.id, '2026-04-02T10:00:00Z', 'confirmed');
  const past = await book(user.id, '2026-03-20T10:00:00Z', 'confirmed');
  const pendingFile = await attach(pending.id, patient.token);
  const pastFile = await attach(past.id, patient.token);
  await db.update(appointments).set({ status: 'completed' }).where(eq(appointments.id, past.id));
  await db.insert(appointmentEvents).values({
    id: uniqueId('aev'),
    appointmentId: past.id,
    action: 'complete',
    fromStatus: 'in-progress',
    toStatus: 'completed',
    actorId: doctor.user.id,
    actorRole: 'doctor',
    at: NOW.getTime() - 86_400_000,
  });
  const note = await api.post(`/api/v1/appointments/${past.id}/notes`, {
    token: doctor.token,
    json: { body: 'Follow up in a month' },
  });
  expect(note.status).toBe(201);

  const holdId = uniqueId('hld');
  const holdStart = Date.parse('2026-04-03T10:00:00Z');
  await db.insert(appointmentHolds).values({
    id: holdId,
    patientId: user.id,
    doctorId: doctor.user.id,
    serviceId,
    startsAt: holdStart,
    endsAt: holdStart + 30 * 60_000,
    bufferMinutes: 0,
    expiresAt: NOW.getTime() + 10 * 60_000,
    createdAt: NOW.getTime(),
  });
  await db.insert(slotClaims).values(
    [0, 1, 2, 3, 4, 5].map((i) => ({
      doctorId: doctor.user.id,
      unitStart: holdStart + i * 5 * 60_000,
      ownerType: 'hold' as const,
      ownerId: holdId,
      expiresAt: NOW.getTime() + 10 * 60_000,
    })),
  );
  const feed = await api.post('/api/v1/calendar/feed', { token: patient.token });
  expect(feed.status).toBe(201);
  await db.insert(idempotencyKeys).values({
    userId: user.id,
    scope: 'appointments.book',
    key: uniqueId('idk'),
    requestHash: 'x'.repeat(64),
    responseStatus: 201,
    responseBody: { ok: true },
    createdAt: NOW.getTime(),
    expiresAt: NOW.getTime() + 86_400_000,
  });

  const other = await account('user', NOW);
  const othersAppointment = await book(other.user.id, '2026-04-01T11:00:00Z', 'confirmed');
  const othersFile = await attach(othersAppointment.id, other.token);
  return {
    doctor,
    serviceId,
    patient,
    pending,
    confirmed,
    past,
    pendingFile,
    pastFile,
    noteId: note.body.data.id as string,
    holdId,
    feedPath: new URL(feed.body.data.url).pathname,
    othersAppointment,
    othersFile,
  };
}

type Fixture = Awaited<ReturnType<typeof patientWithAppointments>>;

/** What every erasure removes whatever the mode: holds, feed, idempotency keys, the patient's files and links. */
async function expectSessionDataGone(f: Fixture) {
  expect(await db.$count(appointmentHolds, eq(appointmentHolds.patientId, f.patient.user.id))).toBe(0);
  expect(await claimsOf(f.holdId)).toBe(0);
  expect(await db.$count(calendarFeeds, eq(calendarFeeds.userId, f.patient.user.id))).toBe(0);
  expect((await api.get(f.feedPath)).status).toBe(404);
  expect(await db.$count(idempotencyKeys, eq(idempotencyKeys.userId, f.patient.user.id))).toBe(0);
  expect(
    await db.$count(appointmentAttachments, inArray(appointmentAttachments.fileId, [f.pendingFile, f.pastFile])),
  ).toBe(0);
  expect(await db.$count(files, eq(files.ownerId, f.patient.user.id))).toBe(0);
}

/** The other patient's appointment, claims and file are untouched. */
async function expectOthersUntouched(f: Fixture) {
  expect((await rowOf(f.othersAppointment.id))?.status).toBe('confirmed');
  expect(await claimsOf(f.othersAppointment.id)).toBe(6);
  expect(await linksOf(f.othersAppointment.id)).toBe(1);
  expect(await db.$count(files, eq(files.id, f.othersFile))).toBe(1);
}

describe('account self-deletion and appointments', () => {
  it('Should cancel upcoming appointments (freeing the time), keep past records, and drop holds, feed and links', async () => {
    const f = await patientWithAppointments();
    expect(await freeStarts(f.doctor.user.id, f.serviceId, '2026-04-01')).not.toContain('2026-04-01T10:00:00.000Z');
    const objects = (await db.select().from(files).where(eq(files.ownerId, f.patient.user.id)).all()).map(
      (file) => file.storageKey,
    );
    expect(objects).toHaveLength(2);

    const res = await api.delete('/api/v1/users/me', { token: f.patient.token, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    for (const [appointment, from] of [
      [f.pending, 'pending'],
      [f.confirmed, 'confirmed'],
    ] as const) {
      expect(await rowOf(appointment.id)).toMatchObject({
        status: 'cancelled',
        cancelledBy: f.patient.user.id,
        cancellationReason: 'Account deleted',
        cancelledAt: NOW.getTime(),
        updatedAt: NOW.getTime(),
        reason: null,
        symptoms: null,
      });
      expect(await claimsOf(appointment.id)).toBe(0);
      const events = await eventsOf(appointment.id);
      expect(events).toMatchObject([
        {
          action: 'cancel',
          fromStatus: from,
          toStatus: 'cancelled',
          actorId: f.patient.user.id,
          actorRole: 'user',
          reason: 'Account deleted',
          at: NOW.getTime(),
        },
      ]);
      expect(events[0]!.id).toMatch(/^aev_[0-9A-Z]{26}$/);
    }
    expect(
      new Set([...(await eventsOf(f.pending.id)), ...(await eventsOf(f.confirmed.id))].map((e) => e.id)).size,
    ).toBe(2);
    expect(await freeStarts(f.doctor.user.id, f.serviceId, '2026-04-01')).toContain('2026-04-01T10:00:00.000Z');

    // The past visit stays as the doctor's record: status, history and note; its file went with the account.
    expect(await rowOf(f.past.id)).toMatchObject({ status: 'completed', reason: 'Check-up', cancelledAt: null });
    expect(await eventsOf(f.past.id)).toHaveLength(1);
    expect(await db.$count(appointmentNotes, eq(appointmentNotes.id, f.noteId))).toBe(1);
    expect(await linksOf(f.past.id)).toBe(0);
    await expectSessionDataGone(f);
    for (const key of objects) expect(await testEnv.FILES.head(key)).toBeNull();
    await expectOthersUntouched(f);
  });

  it("Should cancel a deleted doctor's upcoming appointments with a full refund, keep past ones, and drop the feed", async () => {
    const doctorUser = await userWithPassword({ role: 'doctor' });
    const doctor = { user: doctorUser, token: await tokenFor(doctorUser, NOW) };
    const patient = await account('user', NOW);
    const appointmentOf = (startsAt: string, status: AppointmentRow['status']) =>
      insertAppointment({
        patientId: patient.user.id,
        doctorId: doctorUser.id,
        serviceId: uniqueId('svc'),
        startsAt,
        status,
        priceCents: 7000,
      });
    const upcoming = await appointmentOf('2026-04-01T10:00:00Z', 'confirmed');
    const past = await appointmentOf('2026-03-20T10:00:00Z', 'completed');
    const feed = await api.post('/api/v1/calendar/feed', { token: doctor.token });
    expect(feed.status).toBe(201);
    const res = await api.delete('/api/v1/users/me', { token: doctor.token, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await db.$count(calendarFeeds, eq(calendarFeeds.userId, doctorUser.id))).toBe(0);
    expect((await api.get(new URL(feed.body.data.url).pathname)).status).toBe(404);

    expect(await rowOf(upcoming.id)).toMatchObject({
      status: 'cancelled',
      cancelledBy: doctorUser.id,
      cancellationReason: DOCTOR_DELETED_REASON,
      cancelledAt: NOW.getTime(),
      refundPercent: 100,
      refundDueCents: 7000,
      reason: null,
    });
    expect(await claimsOf(upcoming.id)).toBe(0);
    expect(await eventsOf(upcoming.id)).toMatchObject([
      { action: 'cancel', fromStatus: 'confirmed', toStatus: 'cancelled', reason: DOCTOR_DELETED_REASON },
    ]);
    // The patient still sees it, cancelled, with the refund due.
    const seen = await api.get(`/api/v1/appointments/${upcoming.id}`, { token: patient.token });
    expect(seen.body.data).toMatchObject({
      status: 'cancelled',
      cancellation: { refund: { percent: 100, amountCents: 7000 } },
    });
    expect(await rowOf(past.id)).toEqual(past);
  });
});

describe('admin permanent deletion (purge) and appointments', () => {
  it("Should delete every appointment of the patient with its history, notes, links and claims; others' stay", async () => {
    const f = await patientWithAppointments();
    const admin = await account('admin', NOW);
    const ids = [f.pending.id, f.confirmed.id, f.past.id];
    const res = await api.delete(`/api/v1/admin/users/${f.patient.user.id}`, {
      token: admin.token,
      json: { reason: 'Requested by the account holder' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({ id: f.patient.user.id, filesDeleted: 2 });

    expect(await db.$count(appointments, eq(appointments.patientId, f.patient.user.id))).toBe(0);
    expect(await db.$count(appointmentEvents, inArray(appointmentEvents.appointmentId, ids))).toBe(0);
    expect(await db.$count(appointmentNotes, inArray(appointmentNotes.appointmentId, ids))).toBe(0);
    expect(await db.$count(appointmentAttachments, inArray(appointmentAttachments.appointmentId, ids))).toBe(0);
    expect(await db.$count(slotClaims, inArray(slotClaims.ownerId, ids))).toBe(0);
    expect(await freeStarts(f.doctor.user.id, f.serviceId, '2026-04-01')).toContain('2026-04-01T10:00:00.000Z');
    await expectSessionDataGone(f);
    await expectOthersUntouched(f);
    expect(
      await db.$count(
        appointmentEvents,
        and(eq(appointmentEvents.appointmentId, f.othersAppointment.id), eq(appointmentEvents.action, 'cancel')),
      ),
    ).toBe(0);
  });
});

describe('refunds of the appointments an erasure cancels', () => {
  afterEach(resetSettings);

  /** A patient with a password and a doctor's practice; `book` makes a 49.99 EUR appointment `hours` from NOW. */
  async function patientAndDoctor() {
    const { doctor, services } = await practice(NOW);
    const user = await userWithPassword();
    const patient = { user, token: await tokenFor(user, NOW) };
    const book = (hours: number, status: AppointmentRow['status'], patientId = user.id) =>
      insertAppointment({
        patientId,
        doctorId: doctor.user.id,
        serviceId: services[0]!.id,
        startsAt: new Date(NOW.getTime() + hours * HOUR).toISOString(),
        status,
        priceCents: 4999,
      });
    return { doctor, patient, book };
  }
  const refundOf = async (id: string) => {
    const row = await rowOf(id);
    return [row?.status, row?.refundPercent, row?.refundDueCents];
  };

  it("Should refund a deleted patient's upcoming appointments as the patient cancelling at that moment", async () => {
    const { doctor, patient, book } = await patientAndDoctor();
    const dayAhead = await book(72, 'confirmed');
    const threeHours = await book(3, 'pending');
    const oneHour = await book(1, 'confirmed');
    const res = await api.delete('/api/v1/users/me', { token: patient.token, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    // The default policy: 100 % a day or more ahead, 50 % two hours or more ahead, nothing later.
    expect(await refundOf(dayAhead.id)).toEqual(['cancelled', 100, 4999]);
    expect(await refundOf(threeHours.id)).toEqual(['cancelled', 50, 2499]);
    expect(await refundOf(oneHour.id)).toEqual(['cancelled', 0, 0]);
    expect(await eventsOf(threeHours.id)).toMatchObject([
      {
        action: 'cancel',
        fromStatus: 'pending',
        reason: 'Account deleted',
        data: { refund: { percent: 50, amountCents: 2499, currency: 'EUR' }, cancelledBy: 'patient' },
      },
    ]);
    // The doctor sees the refund due on the cancelled visit.
    const seen = await api.get(`/api/v1/appointments/${threeHours.id}`, { token: doctor.token });
    expect(seen.body.data.cancellation).toEqual({
      at: NOW.toISOString(),
      byUserId: patient.user.id,
      reason: 'Account deleted',
      refund: { percent: 50, amountCents: 2499, currency: 'EUR' },
    });
  });

  it('Should follow the policy setting: a deleted patient by its tiers, a deleted doctor in full', async () => {
    await setSetting('appointments.cancellationPolicy', [{ minHoursBefore: 48, refundPercent: 80 }]);
    const first = await patientAndDoctor();
    const threeDays = await first.book(72, 'confirmed');
    const oneDay = await first.book(24, 'confirmed');
    const gone = await api.delete('/api/v1/users/me', {
      token: first.patient.token,
      json: { password: STRONG_PASSWORD },
    });
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(await refundOf(threeDays.id)).toEqual(['cancelled', 80, 3999]);
    expect(await refundOf(oneDay.id)).toEqual(['cancelled', 0, 0]);

    // A doctor's cancellation refunds everything whatever the notice, also when an admin deletes the doctor.
    const second = await patientAndDoctor();
    const soon = await second.book(1, 'confirmed');
    const later = await second.book(72, 'pending');
    const admin = await account('admin', NOW);
    const purged = await api.delete(`/api/v1/admin/users/${second.doctor.user.id}`, { token: admin.token, json: {} });
    expect(purged.status, JSON.stringify(purged.body)).toBe(200);
    expect(await refundOf(soon.id)).toEqual(['cancelled', 100, 4999]);
    expect(await refundOf(later.id)).toEqual(['cancelled', 100, 4999]);
    expect(await rowOf(soon.id)).toMatchObject({
      cancelledBy: second.doctor.user.id,
      cancellationReason: DOCTOR_DELETED_REASON,
    });
    // The history names the admin who ran the erasure, and the refund as a doctor's cancellation.
    expect(await eventsOf(soon.id)).toMatchObject([
      {
        action: 'cancel',
        actorId: admin.user.id,
        actorRole: 'admin',
        data: { refund: { percent: 100, amountCents: 4999, currency: 'EUR' }, cancelledBy: 'doctor' },
      },
    ]);
  });

  it('Should leave in-progress and finished appointments alone, as the lifecycle cannot cancel them', async () => {
    const { patient, book } = await patientAndDoctor();
    const started = await book(2, 'in-progress');
    const rejected = await book(5, 'rejected');
    const res = await api.delete('/api/v1/users/me', { token: patient.token, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await rowOf(started.id)).toEqual(started);
    expect(await rowOf(rejected.id)).toEqual(rejected);
    expect(await eventsOf(started.id)).toEqual([]);
  });
});

describe("a deleted doctor's practice", () => {
  it('Should erase the profile, specializations, hours, time off and the holds on their time; services are withdrawn', async () => {
    const { doctor, services } = await practice(NOW);
    const doctorId = doctor.user.id;
    const at = NOW.getTime();
    await db.insert(doctorSpecializations).values({ doctorId, specializationId: uniqueId('spc') });
    await db.insert(timeOff).values({
      id: uniqueId('tof'),
      doctorId,
      kind: 'time-off',
      startsAt: at + 48 * HOUR,
      endsAt: at + 72 * HOUR,
      reason: 'Surgery',
      createdAt: at,
    });
    const patient = await account('user', NOW);
    const hold = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: { doctorId, serviceId: services[0]!.id, startsAt: '2026-03-24T10:00:00.000Z' },
    });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const past = await insertAppointment({
      patientId: patient.user.id,
      doctorId,
      serviceId: services[0]!.id,
      startsAt: '2026-03-20T10:00:00Z',
      status: 'completed',
    });
    expect((await api.get(`/api/v1/doctors/${doctorId}`)).status).toBe(200);

    const admin = await account('admin', NOW);
    const res = await api.delete(`/api/v1/admin/users/${doctorId}`, { token: admin.token, json: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    expect((await api.get(`/api/v1/doctors/${doctorId}`)).status).toBe(404);
    expect(await db.$count(doctorProfiles, eq(doctorProfiles.userId, doctorId))).toBe(0);
    expect(await db.$count(doctorSpecializations, eq(doctorSpecializations.doctorId, doctorId))).toBe(0);
    expect(await db.$count(weeklyHours, eq(weeklyHours.doctorId, doctorId))).toBe(0);
    expect(await db.$count(timeOff, eq(timeOff.doctorId, doctorId))).toBe(0);
    expect(await db.$count(appointmentHolds, eq(appointmentHolds.doctorId, doctorId))).toBe(0);
    expect(await claimsOf(hold.body.data.id)).toBe(0);
    const offered = await db.select().from(doctorServices).where(eq(doctorServices.doctorId, doctorId)).all();
    expect(offered.map((s) => s.active)).toEqual([false, false]);
    // The patient's kept visit still names the service booked.
    const seen = await api.get(`/api/v1/appointments/${past.id}`, { token: patient.token });
    expect(seen.body.data.service).toMatchObject({ id: services[0]!.id, name: 'Consultation 30 min' });
  });
});
