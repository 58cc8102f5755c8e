import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, doses, userProfiles } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type ApiResponse, db, form, SAMPLE } from '../../helpers';
import { insertAppointment, practice } from '../../support/practice';
import { API, actingAs, link, type Member, member, tag } from './network';

/**
 * The round-trip budget of docs/architecture.md on every caregiver route, with real data present:
 * a read makes one sequential D1 round trip (the guard's session check and any audit row riding in
 * it), a write at most two (one read batch, one write batch). Counted at the DB port, never timed.
 */
const clock = fixedClock('2026-03-23T20:00:00Z');
const tripsOf = (res: { headers: Headers }) => Number(res.headers.get(ROUND_TRIPS_HEADER));

function ok(res: ApiResponse, status = 200): number {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return tripsOf(res);
}

async function upload(who: Member) {
  const res = await who.call('POST', '/api/v1/files', {
    body: form({ purpose: 'attachment', file: new Blob([SAMPLE.png()]) }, 'chart.png'),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

/** A patient with doses today and upcoming appointments, cared for by two caregivers, with notes. */
async function network() {
  const name = tag();
  const patient = await member(clock, { name: `Ana ${name}` });
  const caregiver = await member(clock, { role: 'caregiver', name: `Maria ${name}` });
  const second = await member(clock, { role: 'caregiver', name: `Joana ${name}` });
  const stranger = await member(clock, { name: `Rui ${name}` });
  await db
    .insert(userProfiles)
    .values({ userId: patient.user.id, timeZone: 'Asia/Tokyo', updatedAt: clock.now().getTime() });
  const schedule = await patient.post('/api/v1/schedules', {
    kind: 'medicine',
    medicineName: 'Metformin',
    dosage: '500 mg',
    timesOfDay: ['08:00', '21:00'],
    timeZone: 'Asia/Tokyo',
    recurrence: { type: 'interval', everyNDays: 1 },
    startDate: '2026-03-24',
  });
  expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
  const { doctor, services } = await practice(clock.now());
  for (const startsAt of ['2026-03-25T09:00:00Z', '2026-03-27T09:00:00Z']) {
    await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
    });
  }
  const { linkId } = await link(patient, caregiver);
  await link(patient, second);
  for (const body of ['Felt dizzy', 'Called the doctor']) {
    expect((await caregiver.post(`${API}/relationships/${linkId}/notes`, { body })).status).toBe(201);
  }
  return { name, patient, caregiver, second, stranger, linkId };
}

describe('round trips of the caregiver routes', () => {
  it('Should answer every read in one round trip and every write in at most two', async () => {
    const { name, patient, caregiver, second, stranger, linkId } = await network();
    const notes = `${API}/relationships/${linkId}/notes`;
    const trips: Record<string, number> = {};

    trips.send = ok(await stranger.post(`${API}/requests`, { receiverId: caregiver.user.id }), 201);
    const again = await patient.post(`${API}/requests`, { receiverId: stranger.user.id });
    trips.sendSecond = ok(again, 201);
    trips.pending = ok(await caregiver.get(`${API}/requests`));
    const incoming = (await caregiver.get(`${API}/requests`)).body.data.incoming;
    trips.accept = ok(await caregiver.patch(`${API}/requests/${incoming[0].id}`, { status: 'accepted' }));
    trips.reject = ok(await stranger.patch(`${API}/requests/${again.body.data.id}`, { status: 'rejected' }));
    trips.suggestions = ok(await patient.get(`${API}/suggestions?search=${name}`));
    const shared = await caregiver.get(`${API}/suggestions`);
    trips.suggestionsNetwork = ok(shared);
    expect(shared.body.data.items.map((i: any) => i.id)).toEqual(
      expect.arrayContaining([patient.user.id, second.user.id]),
    );
    trips.myCaregivers = ok(await patient.get(`${API}/my-caregivers`));
    trips.iCareFor = ok(await caregiver.get(`${API}/i-care-for`));
    const overview = await caregiver.get(`${API}/i-care-for/${patient.user.id}/overview`);
    trips.overview = ok(overview);
    expect(overview.body.data.today.doses).toHaveLength(2);
    expect(overview.body.data.upcomingAppointments).toHaveLength(2);

    const fileId = await upload(caregiver);
    const note = await caregiver.post(notes, { body: 'Chart', fileId });
    trips.noteCreate = ok(note, 201);
    trips.noteList = ok(await patient.get(notes));
    const download = await patient.fetch(`${notes}/${note.body.data.id}/file`);
    expect(download.status).toBe(200);
    await download.arrayBuffer();
    trips.noteFile = tripsOf(download);

    trips.removeCaregiver = ok(await patient.delete(`${API}/my-caregivers/${caregiver.user.id}`));
    trips.leavePatient = ok(await second.delete(`${API}/i-care-for/${patient.user.id}`));

    expect(trips).toEqual({
      // Writes: one read batch (the session check beside it), one write batch.
      send: 2,
      sendSecond: 2,
      accept: 2,
      reject: 2,
      noteCreate: 2,
      removeCaregiver: 2,
      leavePatient: 2,
      // Reads: one batch, audit rows of medical reads included.
      pending: 1,
      suggestions: 1,
      suggestionsNetwork: 1,
      myCaregivers: 1,
      iCareFor: 1,
      noteList: 1,
      noteFile: 1,
      // A read batch, then the audit row: its dose count depends on the patient's zone.
      overview: 2,
    });
  });

  it('Should write no audit row for a refused read of notes or a note’s file', async () => {
    const { patient, caregiver, linkId } = await network();
    const notes = `${API}/relationships/${linkId}/notes`;
    const fileId = await upload(caregiver);
    const note = await caregiver.post(notes, { body: 'Chart', fileId });
    expect(note.status).toBe(201);
    const outsider = await member(clock, { role: 'caregiver' });
    expect((await outsider.get(notes)).status).toBe(404);
    expect((await outsider.get(`${notes}/${note.body.data.id}/file`)).status).toBe(404);
    const plain = await caregiver.post(notes, { body: 'No file' });
    const noFile = await patient.get(`${notes}/${plain.body.data.id}/file`);
    expect([noFile.status, noFile.body.message]).toEqual([404, 'File not found']);

    const audits = await db
      .select({ actorId: auditEvents.actorId, action: auditEvents.action })
      .from(auditEvents)
      .where(inArray(auditEvents.action, ['caregiver.note.list', 'caregiver.note.file.read']))
      .all();
    expect(audits.filter((a) => a.actorId === outsider.user.id)).toEqual([]);
    expect(audits.filter((a) => a.actorId === patient.user.id)).toEqual([]);
  });

  it('Should show a dose past its grace period as missed without writing on the read', async () => {
    const { patient, caregiver } = await network();
    // 22:30 in Tokyo: the 08:00 dose is past its two hours of grace, the 21:00 one is not yet.
    const late = fixedClock('2026-03-24T13:30:00Z');
    const res = await actingAs(caregiver.user, late).get(`${API}/i-care-for/${patient.user.id}/overview`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.today.date).toBe('2026-03-24');
    expect(
      res.body.data.today.doses.map((d: { localTime: string; status: string }) => [d.localTime, d.status]),
    ).toEqual([
      ['08:00', 'missed'],
      ['21:00', 'pending'],
    ]);
    expect(tripsOf(res)).toBe(2);
    const stored = await db
      .select({ status: doses.status })
      .from(doses)
      .where(eq(doses.ownerId, patient.user.id))
      .all();
    expect(stored.every((d) => d.status === 'pending')).toBe(true);
  });
});
