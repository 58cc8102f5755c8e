import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appointmentAttachments, appointments, auditEvents, files } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, SAMPLE, testEnv, uniqueId } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = new Date('2026-03-23T08:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const base = (id: string) => `/api/v1/appointments/${id}/attachments`;

/** Multipart body with one `file` field per upload. */
function filesForm(...uploads: [Uint8Array, string][]): FormData {
  const data = new FormData();
  for (const [bytes, name] of uploads) data.append('file', new Blob([bytes]), name);
  return data;
}

const linksOf = (appointmentId: string) =>
  db.select().from(appointmentAttachments).where(eq(appointmentAttachments.appointmentId, appointmentId)).all();
const attachmentObjects = async () => (await testEnv.FILES.list({ prefix: 'attachment/' })).objects.length;
const attachmentFilesOf = (ownerId: string) =>
  db
    .select()
    .from(files)
    .where(and(eq(files.ownerId, ownerId), eq(files.purpose, 'attachment')))
    .all();

/** GET returning the raw bytes (the test client reads non-JSON bodies as text). */
async function download(path: string, token: string) {
  const res = await api.app.request(path, { headers: { authorization: `Bearer ${token}` } }, testEnv);
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/**
 * The R2 bucket with `beforePut` run before each store: lets a test change the database while a request
 * is between its checks and its write, as a concurrent request would.
 */
function racingBucket(beforePut: () => Promise<void>): R2Bucket {
  const bucket = testEnv.FILES;
  return {
    put: async (...args: Parameters<R2Bucket['put']>) => {
      await beforePut();
      return bucket.put(...args);
    },
    get: (...args: Parameters<R2Bucket['get']>) => bucket.get(...args),
    head: (...args: Parameters<R2Bucket['head']>) => bucket.head(...args),
    delete: (...args: Parameters<R2Bucket['delete']>) => bucket.delete(...args),
    list: (...args: Parameters<R2Bucket['list']>) => bucket.list(...args),
  } as unknown as R2Bucket;
}

/** A patient with a pending appointment at a fresh practice. */
async function setup(status: 'pending' | 'confirmed' | 'in-progress' | 'completed' | 'cancelled' = 'pending') {
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

describe('POST /appointments/{id}/attachments', () => {
  it('Should attach a PNG and a PDF in one request, owned by the patient, stored and audited', async () => {
    const { patient, appointment } = await setup();
    const objectsBefore = await attachmentObjects();
    const res = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.png(), 'rash.png'], [SAMPLE.pdf(), 'referral.pdf']),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const items = res.body.data.items;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      contentType: 'image/png',
      size: SAMPLE.png().byteLength,
      fileName: 'rash.png',
      addedBy: patient.user.id,
      createdAt: NOW.toISOString(),
    });
    expect(items[1]).toMatchObject({ contentType: 'application/pdf', fileName: 'referral.pdf' });

    const links = await linksOf(appointment.id);
    expect(links.map((l) => l.fileId).sort()).toEqual(items.map((i: { id: string }) => i.id).sort());
    expect(links.every((l) => l.addedBy === patient.user.id)).toBe(true);
    const stored = await attachmentFilesOf(patient.user.id);
    expect(stored.map((f) => f.id).sort()).toEqual(links.map((l) => l.fileId).sort());
    for (const file of stored) expect(await testEnv.FILES.head(file.storageKey)).not.toBeNull();
    expect(await attachmentObjects()).toBe(objectsBefore + 2);
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, appointment.id), eq(auditEvents.action, 'appointment.attachment.add')))
      .all();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: patient.user.id, patientId: patient.user.id });
    expect((audit[0]!.metadata as { fileIds: string[] }).fileIds.sort()).toEqual(stored.map((f) => f.id).sort());
  });

  it('Should drop the link when the patient deletes the file, freeing its place', async () => {
    const { patient, appointment } = await setup();
    const added = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.png(), 'a.png']),
    });
    expect(added.status).toBe(201);
    const fileId = added.body.data.items[0].id as string;
    const removed = await api.delete(`/api/v1/files/${fileId}`, { token: patient.token });
    expect(removed.status).toBe(200);
    expect(await linksOf(appointment.id)).toEqual([]);
    const list = await api.get(base(appointment.id), { token: patient.token });
    expect(list.body.data.items).toEqual([]);
    expect(list.body.data.pagination.total).toBe(0);
  });

  it('Should let a receptionist attach a file for the patient (owned by the patient, added by staff)', async () => {
    const { patient, appointment } = await setup('confirmed');
    const receptionist = await account('receptionist', NOW);
    const res = await api.post(base(appointment.id), {
      token: receptionist.token,
      body: filesForm([SAMPLE.pdf(), 'scan.pdf']),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.items[0].addedBy).toBe(receptionist.user.id);
    const [file] = await attachmentFilesOf(patient.user.id);
    expect(file?.id).toBe(res.body.data.items[0].id);
    expect(await attachmentFilesOf(receptionist.user.id)).toEqual([]);
  });

  it('Should refuse a file of the wrong type with 415 and store none of the request', async () => {
    const { patient, appointment } = await setup();
    const objectsBefore = await attachmentObjects();
    const res = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.png(), 'ok.png'], [SAMPLE.exe(), 'setup.exe']),
    });
    expect([res.status, res.body.error.code]).toEqual([415, 'INVALID_FILE_TYPE']);
    expect(await linksOf(appointment.id)).toEqual([]);
    expect(await attachmentFilesOf(patient.user.id)).toEqual([]);
    expect(await attachmentObjects()).toBe(objectsBefore);
  });

  it('Should refuse a file over 10 MiB with 413 and store nothing', async () => {
    const { patient, appointment } = await setup();
    const objectsBefore = await attachmentObjects();
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(SAMPLE.png());
    const res = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.pdf(), 'small.pdf'], [big, 'huge.png']),
    });
    expect([res.status, res.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(await linksOf(appointment.id)).toEqual([]);
    expect(await attachmentFilesOf(patient.user.id)).toEqual([]);
    expect(await attachmentObjects()).toBe(objectsBefore);
  });

  it('Should refuse a sixth file with 422 (five already attached, or six at once) and store nothing', async () => {
    const { patient, appointment } = await setup();
    const six = Array.from({ length: 6 }, (_, i) => [SAMPLE.png(), `p${i}.png`] as [Uint8Array, string]);
    const atOnce = await api.post(base(appointment.id), { token: patient.token, body: filesForm(...six) });
    expect([atOnce.status, atOnce.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(await linksOf(appointment.id)).toEqual([]);

    const five = await api.post(base(appointment.id), { token: patient.token, body: filesForm(...six.slice(0, 5)) });
    expect(five.status).toBe(201);
    const objectsBefore = await attachmentObjects();
    const sixth = await api.post(base(appointment.id), { token: patient.token, body: filesForm(six[5]!) });
    expect([sixth.status, sixth.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(sixth.body.errors.map((e: { field: string }) => e.field)).toEqual(['file']);
    expect(await linksOf(appointment.id)).toHaveLength(5);
    expect(await attachmentFilesOf(patient.user.id)).toHaveLength(5);
    expect(await attachmentObjects()).toBe(objectsBefore);
  });

  it('Should roll back when the appointment fills up or is cancelled while the files are being stored', async () => {
    const { patient, appointment } = await setup();
    const objectsBefore = await attachmentObjects();
    let filled = false;
    const fillUp = racingBucket(async () => {
      if (filled) return;
      filled = true;
      await db.insert(appointmentAttachments).values(
        Array.from({ length: 4 }, () => ({
          appointmentId: appointment.id,
          fileId: uniqueId('fil'),
          addedBy: patient.user.id,
          createdAt: NOW.getTime(),
        })),
      );
    });
    const full = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.png(), 'a.png'], [SAMPLE.pdf(), 'b.pdf']),
      env: { FILES: fillUp },
    });
    expect([full.status, full.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(await linksOf(appointment.id)).toHaveLength(4);
    expect(await attachmentFilesOf(patient.user.id)).toEqual([]);
    expect(await attachmentObjects()).toBe(objectsBefore);

    await db.delete(appointmentAttachments).where(eq(appointmentAttachments.appointmentId, appointment.id));
    const cancel = racingBucket(async () => {
      await db.update(appointments).set({ status: 'cancelled' }).where(eq(appointments.id, appointment.id));
    });
    const cancelled = await api.post(base(appointment.id), {
      token: patient.token,
      body: filesForm([SAMPLE.png(), 'a.png']),
      env: { FILES: cancel },
    });
    expect([cancelled.status, cancelled.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(await linksOf(appointment.id)).toEqual([]);
    expect(await attachmentFilesOf(patient.user.id)).toEqual([]);
    expect(await attachmentObjects()).toBe(objectsBefore);
  });

  it('Should refuse a missing file or a text field with 422', async () => {
    const { patient, appointment } = await setup();
    const empty = new FormData();
    empty.append('note', 'no file here');
    const none = await api.post(base(appointment.id), { token: patient.token, body: empty });
    expect([none.status, none.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const text = new FormData();
    text.append('file', 'just text');
    const notFile = await api.post(base(appointment.id), { token: patient.token, body: text });
    expect([notFile.status, notFile.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const json = await api.post(base(appointment.id), { token: patient.token, json: { file: 'x' } });
    expect([json.status, json.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await linksOf(appointment.id)).toEqual([]);
  });

  it('Should refuse finished, cancelled or rejected appointments with 409 INVALID_TRANSITION', async () => {
    for (const status of ['completed', 'cancelled'] as const) {
      const { patient, appointment } = await setup(status);
      const res = await api.post(base(appointment.id), {
        token: patient.token,
        body: filesForm([SAMPLE.png(), 'a.png']),
      });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect(await linksOf(appointment.id)).toEqual([]);
      expect(await attachmentFilesOf(patient.user.id)).toEqual([]);
    }
    const live = await setup('in-progress');
    const ok = await api.post(base(live.appointment.id), {
      token: live.patient.token,
      body: filesForm([SAMPLE.png(), 'a.png']),
    });
    expect(ok.status).toBe(201);
  });

  it('Should answer 404 to another patient, 403 to a doctor and 401 without a token', async () => {
    const { doctor, appointment } = await setup();
    const stranger = await account('user', NOW);
    const body = () => filesForm([SAMPLE.png(), 'a.png']);
    const other = await api.post(base(appointment.id), { token: stranger.token, body: body() });
    expect([other.status, other.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const missing = await api.post(base('apt_00000000000000000000000000'), { token: stranger.token, body: body() });
    expect(missing.status).toBe(404);
    const byDoctor = await api.post(base(appointment.id), { token: doctor.token, body: body() });
    expect([byDoctor.status, byDoctor.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await api.post(base(appointment.id), { body: body() })).status).toBe(401);
    expect(await linksOf(appointment.id)).toEqual([]);
    expect(await attachmentFilesOf(stranger.user.id)).toEqual([]);
  });
});

describe('GET /appointments/{id}/attachments[/{fileId}]', () => {
  /** An appointment with a PDF attached by its patient. */
  async function withFile() {
    const ctx = await setup('confirmed');
    const res = await api.post(base(ctx.appointment.id), {
      token: ctx.patient.token,
      body: filesForm([SAMPLE.pdf(), 'labs.pdf']),
    });
    expect(res.status).toBe(201);
    return { ...ctx, fileId: res.body.data.items[0].id as string };
  }

  const readAudits = (fileId: string) =>
    db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, fileId), eq(auditEvents.action, 'appointment.attachment.read')))
      .all();

  it('Should let the doctor download the bytes with safe headers, audited', async () => {
    const { doctor, patient, appointment, fileId } = await withFile();
    const res = await download(`${base(appointment.id)}/${fileId}`, doctor.token);
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(SAMPLE.pdf());
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const audits = await readAudits(fileId);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actorId: doctor.user.id,
      actorRole: 'doctor',
      patientId: patient.user.id,
      resourceType: 'file',
      metadata: { appointmentId: appointment.id },
    });
  });

  it('Should list the files for the patient and the doctor, audited', async () => {
    const { doctor, patient, appointment, fileId } = await withFile();
    for (const caller of [patient, doctor]) {
      const res = await api.get(base(appointment.id), { token: caller.token });
      expect(res.status).toBe(200);
      expect(res.body.data.items).toEqual([
        {
          id: fileId,
          contentType: 'application/pdf',
          size: SAMPLE.pdf().byteLength,
          fileName: 'labs.pdf',
          createdAt: NOW.toISOString(),
          addedBy: patient.user.id,
        },
      ]);
      expect(res.body.data.pagination).toMatchObject({ total: 1, current: 1 });
    }
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, appointment.id), eq(auditEvents.action, 'appointment.attachment.list')))
      .all();
    expect(audits.map((a) => a.actorId).sort()).toEqual([patient.user.id, doctor.user.id].sort());
  });

  it('Should hide the file from another patient and another doctor (404), audit nothing', async () => {
    const { appointment, fileId } = await withFile();
    const stranger = await account('user', NOW);
    const otherDoctor = await account('doctor', NOW);
    for (const caller of [stranger, otherDoctor]) {
      const download = await api.get(`${base(appointment.id)}/${fileId}`, { token: caller.token });
      expect([download.status, download.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect((await api.get(base(appointment.id), { token: caller.token })).status).toBe(404);
    }
    expect(await readAudits(fileId)).toEqual([]);
  });

  it('Should let only admins with appointment-manager and superadmins among staff read files', async () => {
    const { appointment, fileId } = await withFile();
    const path = `${base(appointment.id)}/${fileId}`;
    const plainAdmin = await account('admin', NOW);
    const manager = await account('admin', NOW, ['appointment-manager']);
    const superadmin = await account('superadmin', NOW);
    const receptionist = await account('receptionist', NOW);
    for (const caller of [plainAdmin, receptionist]) {
      const res = await api.get(path, { token: caller.token });
      expect([res.status, res.body.error.code], caller.user.role).toEqual([403, 'FORBIDDEN']);
      expect((await api.get(base(appointment.id), { token: caller.token })).status).toBe(403);
    }
    for (const caller of [manager, superadmin]) {
      const res = await download(path, caller.token);
      expect(res.status, caller.user.role).toBe(200);
      expect(res.bytes).toEqual(SAMPLE.pdf());
    }
    expect((await readAudits(fileId)).map((a) => a.actorId).sort()).toEqual(
      [manager.user.id, superadmin.user.id].sort(),
    );
  });

  it("Should answer 404 for a file of another appointment, even the caller's own", async () => {
    const first = await withFile();
    const second = await insertAppointment({
      patientId: first.patient.user.id,
      doctorId: first.doctor.user.id,
      serviceId: first.appointment.serviceId,
      startsAt: '2026-04-02T10:00:00Z',
    });
    const res = await api.get(`${base(second.id)}/${first.fileId}`, { token: first.patient.token });
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const unknown = await api.get(`${base(first.appointment.id)}/fil_00000000000000000000000000`, {
      token: first.patient.token,
    });
    expect(unknown.status).toBe(404);
    expect(await readAudits(first.fileId)).toEqual([]);
  });
});
