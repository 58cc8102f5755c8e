import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type ApiResponse, client, db, form, SAMPLE, uniqueId } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

/**
 * The round-trip budget of docs/architecture.md for every appointments endpoint, counted at the DB port
 * (never timed) with real data present: a read makes one sequential D1 round trip (the guard's session
 * check and the read's audit row ride in it), a write two (one read batch, one write batch), a refused
 * booking (409 SLOT_UNAVAILABLE) three.
 */
const NOW = new Date('2026-03-23T08:00:00Z');
const clock = fixedClock(NOW);
const api = client({ clock });
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));
const A = '/api/v1/appointments';
/** A completed visit's start, before NOW. */
const PAST = '2026-03-02T10:00:00.000Z';

type Account = Awaited<ReturnType<typeof account>>;

/**
 * A practice with history: a patient's appointment booked, given a file, confirmed and annotated through
 * the API, two more of theirs and one of another patient, a live hold and a calendar feed.
 */
async function scene() {
  const { doctor, services } = await practice(NOW);
  const service = services[0]!;
  const patient = await account('user', NOW);
  const other = await account('user', NOW);
  const receptionist = await account('receptionist', NOW);
  const manager = await account('admin', NOW, ['appointment-manager']);
  const at = (patientId: string, startsAt: string, status: Parameters<typeof insertAppointment>[0]['status']) =>
    insertAppointment({ patientId, doctorId: doctor.user.id, serviceId: service.id, startsAt, status });

  const booked = await api.post(A, {
    token: patient.token,
    json: { doctorId: doctor.user.id, serviceId: service.id, startsAt: '2026-03-24T10:00:00.000Z', type: 'video' },
  });
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  const main = booked.body.data.id as string;
  const attached = await api.post(`${A}/${main}/attachments`, {
    token: patient.token,
    body: form({ file: new Blob([SAMPLE.pdf()]) }, 'referral.pdf'),
  });
  expect(attached.status, JSON.stringify(attached.body)).toBe(201);
  const fileId = attached.body.data.items[0].id as string;
  expect((await api.post(`${A}/${main}/confirm`, { token: doctor.token })).status).toBe(200);
  const note = await api.post(`${A}/${main}/notes`, { token: doctor.token, json: { body: 'Dry cough.' } });
  expect(note.status, JSON.stringify(note.body)).toBe(201);

  await at(patient.user.id, '2026-03-25T10:00:00.000Z', 'pending');
  await at(patient.user.id, '2026-03-10T10:00:00.000Z', 'completed');
  await at(other.user.id, '2026-03-26T10:00:00.000Z', 'confirmed');
  const hold = await api.post(`${A}/holds`, {
    token: patient.token,
    json: { doctorId: doctor.user.id, serviceId: service.id, startsAt: '2026-03-27T10:00:00.000Z' },
  });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  const feed = await api.post('/api/v1/calendar/feed', { token: patient.token });
  expect(feed.status).toBe(201);
  return {
    doctor,
    service,
    patient,
    other,
    receptionist,
    manager,
    main,
    fileId,
    noteId: note.body.data.id as string,
    holdId: hold.body.data.id as string,
    feedPath: new URL(feed.body.data.url).pathname,
    at,
  };
}

type Scene = Awaited<ReturnType<typeof scene>>;

interface Case {
  name: string;
  /** Most sequential round trips allowed. */
  budget: number;
  status: number;
  request: (s: Scene) => Promise<ApiResponse>;
}

const bookBody = (s: Scene, startsAt: string, extra: Record<string, unknown> = {}) => ({
  doctorId: s.doctor.user.id,
  serviceId: s.service.id,
  startsAt,
  type: 'video',
  ...extra,
});

/** An appointment of the scene's patient, in `status`, for a write to act on. */
const appointmentIn = async (s: Scene, status: Parameters<Scene['at']>[2], startsAt = '2026-03-30T11:00:00.000Z') =>
  (await s.at(s.patient.user.id, startsAt, status)).id;

const post = (path: string, who: Account, json?: unknown) => api.post(path, { token: who.token, json });

/** A read: one round trip. */
const read = (name: string, request: Case['request'], status = 200): Case => ({ name, budget: 1, status, request });
/** A write: one read batch and one write batch. */
const write = (name: string, request: Case['request'], status = 200): Case => ({ name, budget: 2, status, request });
/** A booking refused for taken time: the two of a write and the read naming what holds the time. */
const conflict = (name: string, request: Case['request']): Case => ({ name, budget: 3, status: 409, request });

const READS: Case[] = [
  read('GET /appointments as the patient', (s) => api.get(A, { token: s.patient.token })),
  read('GET /appointments as the doctor (audited)', (s) => api.get(`${A}?upcoming=true`, { token: s.doctor.token })),
  read('GET /appointments by doctor as the patient', (s) =>
    api.get(`${A}?doctorId=${s.doctor.user.id}&status=pending,confirmed`, { token: s.patient.token }),
  ),
  read('GET /staff/appointments (audited)', (s) =>
    api.get(`/api/v1/staff/appointments?doctorId=${s.doctor.user.id}`, { token: s.receptionist.token }),
  ),
  read('GET /appointments/{id} as the patient', (s) => api.get(`${A}/${s.main}`, { token: s.patient.token })),
  read('GET /appointments/{id} as the doctor', (s) => api.get(`${A}/${s.main}`, { token: s.doctor.token })),
  read('GET /appointments/{id} as staff', (s) => api.get(`${A}/${s.main}`, { token: s.receptionist.token })),
  read('GET /appointments/{id} of another patient', (s) => api.get(`${A}/${s.main}`, { token: s.other.token }), 404),
  read('GET /appointments/{id}/history', (s) => api.get(`${A}/${s.main}/history`, { token: s.patient.token })),
  read('GET /appointments/{id}/cancellation-quote', (s) =>
    api.get(`${A}/${s.main}/cancellation-quote`, { token: s.patient.token }),
  ),
  read('GET /appointments/{id}/attachments as the doctor', (s) =>
    api.get(`${A}/${s.main}/attachments`, { token: s.doctor.token }),
  ),
  read('GET /appointments/{id}/attachments as a manager', (s) =>
    api.get(`${A}/${s.main}/attachments`, { token: s.manager.token }),
  ),
  read('GET /appointments/{id}/attachments/{fileId}', (s) =>
    api.get(`${A}/${s.main}/attachments/${s.fileId}`, { token: s.patient.token }),
  ),
  read('GET /appointments/{id}/notes', (s) => api.get(`${A}/${s.main}/notes`, { token: s.doctor.token })),
  read('GET /appointments/{id}/calendar.ics', (s) =>
    api.get(`${A}/${s.main}/calendar.ics`, { token: s.patient.token }),
  ),
  read('GET /appointments/holds/{id}', (s) => api.get(`${A}/holds/${s.holdId}`, { token: s.patient.token })),
  read('GET /calendar/feed', (s) => api.get('/api/v1/calendar/feed', { token: s.patient.token })),
  read('GET /calendar/feed/{token}.ics (no sign-in)', (s) => api.get(s.feedPath)),
];

/** A free start on the scene's practice (every day 09:00–17:00 UTC). */
const FREE = '2026-03-31T09:00:00.000Z';
const withKey = (s: Scene, json: unknown, key: string) =>
  api.post(A, { token: s.patient.token, json, headers: { 'Idempotency-Key': key } });

const WRITES: Case[] = [
  write(
    'POST /appointments/holds',
    (s) => post(`${A}/holds`, s.patient, { doctorId: s.doctor.user.id, serviceId: s.service.id, startsAt: FREE }),
    201,
  ),
  write('DELETE /appointments/holds/{id}', (s) => api.delete(`${A}/holds/${s.holdId}`, { token: s.patient.token })),
  write('POST /appointments without a hold', (s) => post(A, s.patient, bookBody(s, FREE, { reason: 'Cough' })), 201),
  write(
    'POST /appointments converting the hold',
    (s) => post(A, s.patient, bookBody(s, '2026-03-27T10:00:00.000Z', { holdId: s.holdId })),
    201,
  ),
  write(
    'POST /appointments by staff for a patient',
    (s) => post(A, s.receptionist, bookBody(s, FREE, { patientId: s.patient.user.id })),
    201,
  ),
  write('POST /appointments with an Idempotency-Key', (s) => withKey(s, bookBody(s, FREE), uniqueId('key')), 201),
  read(
    'POST /appointments replayed for its Idempotency-Key',
    async (s) => {
      const key = uniqueId('key');
      expect((await withKey(s, bookBody(s, FREE), key)).status).toBe(201);
      return withKey(s, bookBody(s, FREE), key);
    },
    201,
  ),
  write(
    'POST /appointments with uploaded files and a followUpOfId',
    async (s) => {
      const upload = await api.post('/api/v1/files', {
        token: s.patient.token,
        body: form({ purpose: 'attachment', file: new Blob([SAMPLE.pdf()]) }, 'scan.pdf'),
      });
      expect(upload.status).toBe(201);
      const visit = await appointmentIn(s, 'completed', PAST);
      return post(A, s.patient, bookBody(s, FREE, { attachmentIds: [upload.body.data.id], followUpOfId: visit }));
    },
    201,
  ),
  write('POST /appointments/{id}/confirm', async (s) =>
    post(`${A}/${await appointmentIn(s, 'pending')}/confirm`, s.doctor),
  ),
  write('POST /appointments/{id}/reject', async (s) =>
    post(`${A}/${await appointmentIn(s, 'pending')}/reject`, s.doctor, { reason: 'Not my field' }),
  ),
  write('POST /appointments/{id}/cancel by the patient (refund policy)', async (s) =>
    post(`${A}/${await appointmentIn(s, 'confirmed')}/cancel`, s.patient, { reason: 'Better' }),
  ),
  write('POST /appointments/{id}/cancel by staff', async (s) =>
    post(`${A}/${await appointmentIn(s, 'pending')}/cancel`, s.receptionist),
  ),
  write('POST /appointments/{id}/start', async (s) =>
    post(`${A}/${await appointmentIn(s, 'confirmed')}/start`, s.doctor),
  ),
  write('POST /appointments/{id}/complete', async (s) =>
    post(`${A}/${await appointmentIn(s, 'in-progress')}/complete`, s.doctor),
  ),
  write('POST /appointments/{id}/no-show', async (s) =>
    post(`${A}/${await appointmentIn(s, 'confirmed', '2026-03-23T07:00:00.000Z')}/no-show`, s.doctor),
  ),
  write('POST /appointments/{id}/reschedule', async (s) =>
    post(`${A}/${await appointmentIn(s, 'confirmed')}/reschedule`, s.patient, { startsAt: '2026-03-31T14:00:00.000Z' }),
  ),
  write(
    'POST /appointments/{id}/follow-ups',
    async (s) =>
      post(`${A}/${await appointmentIn(s, 'completed', PAST)}/follow-ups`, s.doctor, {
        startsAt: '2026-03-31T15:00:00.000Z',
      }),
    201,
  ),
  write(
    'POST /appointments/{id}/attachments',
    async (s) =>
      api.post(`${A}/${await appointmentIn(s, 'pending')}/attachments`, {
        token: s.patient.token,
        body: form({ file: new Blob([SAMPLE.png()]) }, 'rash.png'),
      }),
    201,
  ),
  write(
    'POST /appointments/{id}/notes',
    (s) => post(`${A}/${s.main}/notes`, s.doctor, { body: 'Review in a week.' }),
    201,
  ),
  write('PATCH /appointments/{id}/notes/{noteId}', (s) =>
    api.patch(`${A}/${s.main}/notes/${s.noteId}`, { token: s.doctor.token, json: { body: 'Dry cough, no fever.' } }),
  ),
  write('POST /calendar/feed', (s) => api.post('/api/v1/calendar/feed', { token: s.patient.token }), 201),
  write('DELETE /calendar/feed', (s) => api.delete('/api/v1/calendar/feed', { token: s.patient.token })),
];

/** The other patient's confirmed appointment holds 2026-03-26 10:00. */
const TAKEN = '2026-03-26T10:00:00.000Z';

const CONFLICTS: Case[] = [
  conflict('POST /appointments on a taken slot', (s) => post(A, s.patient, bookBody(s, TAKEN))),
  conflict('POST /appointments on a taken slot with an Idempotency-Key', (s) =>
    withKey(s, bookBody(s, TAKEN), uniqueId('key')),
  ),
  conflict('POST /appointments/holds on a taken slot', (s) =>
    post(`${A}/holds`, s.patient, { doctorId: s.doctor.user.id, serviceId: s.service.id, startsAt: TAKEN }),
  ),
  conflict('POST /appointments/{id}/reschedule onto a taken slot', async (s) =>
    post(`${A}/${await appointmentIn(s, 'pending')}/reschedule`, s.patient, { startsAt: TAKEN }),
  ),
  conflict('POST /appointments/{id}/follow-ups on a taken slot', async (s) =>
    post(`${A}/${await appointmentIn(s, 'completed', PAST)}/follow-ups`, s.doctor, { startsAt: TAKEN }),
  ),
];

describe('appointments round-trip budget, with data present', () => {
  for (const c of [...READS, ...WRITES, ...CONFLICTS]) {
    it(`Should answer ${c.name} in at most ${c.budget} round trip${c.budget > 1 ? 's' : ''}`, async () => {
      const s = await scene();
      const res = await c.request(s);
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(tripsOf(res)).toBeLessThanOrEqual(c.budget);
    });
  }
});

const auditsOf = (action: string, resourceId?: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), resourceId ? eq(auditEvents.resourceId, resourceId) : undefined))
    .all();

describe('reads audited inside their one round trip', () => {
  it('Should audit a read of one appointment as the caller’s relation to it, and a refused read not at all', async () => {
    const s = await scene();
    expect((await api.get(`${A}/${s.main}`, { token: s.other.token })).status).toBe(404);
    expect(await auditsOf('appointment.read', s.main)).toEqual([]);
    for (const [who, as] of [
      [s.patient, 'patient'],
      [s.doctor, 'doctor'],
      [s.receptionist, 'staff'],
    ] as const) {
      const res = await api.get(`${A}/${s.main}`, { token: who.token });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        id: s.main,
        status: 'confirmed',
        patient: { id: s.patient.user.id, name: s.patient.user.name },
        doctor: { id: s.doctor.user.id, name: s.doctor.user.name },
        service: { id: s.service.id, name: `Consultation 30 min`, durationMinutes: 30 },
        attachmentCount: 1,
      });
      const audits = (await auditsOf('appointment.read', s.main)).filter((a) => a.actorId === who.user.id);
      expect(audits).toMatchObject([{ patientId: s.patient.user.id, actorRole: who.user.role, metadata: { as } }]);
    }
  });

  it('Should audit a doctor’s and a receptionist’s page of appointments with its ids, and an empty page not at all', async () => {
    const s = await scene();
    const mine = await api.get(`${A}?limit=2`, { token: s.doctor.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.pagination).toMatchObject({ total: 4, limit: 2, hasNext: true });
    const ids = mine.body.data.items.map((a: { id: string }) => a.id);
    expect(ids).toHaveLength(2);
    const doctorAudits = (await auditsOf('appointment.list')).filter((a) => a.actorId === s.doctor.user.id);
    expect(doctorAudits).toMatchObject([{ resourceType: 'appointment', metadata: { as: 'doctor', ids } }]);

    const desk = await api.get(`/api/v1/staff/appointments?patientId=${s.other.user.id}`, {
      token: s.receptionist.token,
    });
    expect(desk.body.data.items.map((a: { patient: { id: string } }) => a.patient.id)).toEqual([s.other.user.id]);
    const none = await api.get(`/api/v1/staff/appointments?patientId=${s.other.user.id}&status=cancelled`, {
      token: s.receptionist.token,
    });
    expect(none.body.data.items).toEqual([]);
    const deskAudits = (await auditsOf('appointment.list')).filter((a) => a.actorId === s.receptionist.user.id);
    expect(deskAudits).toMatchObject([{ metadata: { as: 'staff', ids: [desk.body.data.items[0].id] } }]);
  });
});
