import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import { auditEvents, medicalRecordAccessLog } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, form, SAMPLE } from '../../helpers';
import { capturingQueue } from '../../support/notifications';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';
import { api, DAY, FIRST, later, NOW, patientWithDoctor, RECORD } from './support';

const logOf = (patientId: string) =>
  db.select().from(medicalRecordAccessLog).where(eq(medicalRecordAccessLog.patientId, patientId));

afterEach(resetSettings);

describe('who may open a medical record', () => {
  it('opens it to the doctor of a recent appointment, who may add to it', async () => {
    const { patient, doctor } = await patientWithDoctor({ daysAgo: 10 });
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });

    const read = await api.get(RECORD(patient.user.id), { token: doctor.token });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.data).toMatchObject({ version: 1, access: 'relation' });
    expect(tripsOf(read)).toBe(1);

    const added = await api.patch(RECORD(patient.user.id), {
      token: doctor.token,
      json: { baseVersion: 1, currentMedications: [{ name: 'Metformin', dosage: '500 mg' }] },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data).toMatchObject({ version: 2, authorId: doctor.user.id, authorRole: 'doctor' });
    expect(tripsOf(added)).toBe(2);

    const log = await api.get(`${RECORD('me')}/access-log`, { token: patient.token });
    const doctorEntries = log.body.data.items.filter((e: { actorId: string }) => e.actorId === doctor.user.id);
    // Entries of one instant (the fixed clock) come in any order.
    expect(doctorEntries.map((e: { action: string; basis: string }) => [e.action, e.basis]).sort()).toEqual([
      ['read', 'relation'],
      ['write', 'relation'],
    ]);
  });

  it('refuses a doctor outside the window, an unconfirmed appointment, another patient and staff (404, nothing logged)', async () => {
    const { patient, doctor } = await patientWithDoctor({ daysAgo: 40 });
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    // Inside the default window of 365 days.
    expect((await api.get(RECORD(patient.user.id), { token: doctor.token })).status).toBe(200);
    await setSetting('records.doctorAccessDays', 30);
    const outside = await api.get(RECORD(patient.user.id), { token: doctor.token });
    expect([outside.status, outside.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(tripsOf(outside)).toBe(1);
    expect(
      (await api.patch(RECORD(patient.user.id), { token: doctor.token, json: { baseVersion: 1, allergies: [] } }))
        .status,
    ).toBe(404);

    const pending = await patientWithDoctor({ daysAgo: 1, status: 'pending' });
    expect((await api.get(RECORD(pending.patient.user.id), { token: pending.doctor.token })).status).toBe(404);

    const other = await account('user', NOW);
    const admin = await account('admin', NOW);
    for (const token of [other.token, admin.token]) {
      expect((await api.get(RECORD(patient.user.id), { token })).status).toBe(404);
      expect((await api.get(`${RECORD(patient.user.id)}/versions`, { token })).status).toBe(404);
      expect((await api.get(`${RECORD(patient.user.id)}/versions/1`, { token })).status).toBe(404);
      expect((await api.put(RECORD(patient.user.id), { token, json: FIRST })).status).toBe(404);
    }
    const logged = await logOf(patient.user.id);
    // The patient's write and the doctor's one allowed read; no refused attempt.
    expect(logged.map((r) => [r.actorId, r.action])).toEqual(
      expect.arrayContaining([
        [patient.user.id, 'write'],
        [doctor.user.id, 'read'],
      ]),
    );
    expect(logged).toHaveLength(2);
    const refusedAudits = await db.select().from(auditEvents).where(eq(auditEvents.actorId, other.user.id));
    expect(refusedAudits).toEqual([]);
  });
});

describe('access grants', () => {
  it('opens the record to a grantee until it expires', async () => {
    const patient = await account('user', NOW);
    const caregiver = await account('caregiver', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    expect((await api.get(RECORD(patient.user.id), { token: caregiver.token })).status).toBe(404);

    const expiresAt = new Date(NOW.getTime() + 2 * DAY).toISOString();
    const granted = await api.post('/api/v1/patients/me/record-grants', {
      token: patient.token,
      json: { granteeId: caregiver.user.id, scope: 'record', expiresAt },
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body.data).toMatchObject({ granteeId: caregiver.user.id, scope: 'record', live: true });
    expect(tripsOf(granted)).toBe(2);

    const read = await api.get(RECORD(patient.user.id), { token: caregiver.token });
    expect([read.status, read.body.data?.access]).toEqual([200, 'grant']);
    // A caregiver's grant reads; it does not write.
    expect(
      (await api.patch(RECORD(patient.user.id), { token: caregiver.token, json: { baseVersion: 1, allergies: [] } }))
        .status,
    ).toBe(404);

    // A minute after the expiry, on the same grant: gone at once.
    const after = await later(caregiver.user, 2 * DAY + 60_000);
    const expired = await after.api.get(RECORD(patient.user.id), { token: after.token });
    expect(expired.status).toBe(404);
    const list = await after.api.get('/api/v1/patients/me/record-grants', {
      token: (await later(patient.user, 2 * DAY + 60_000)).token,
    });
    expect(list.body.data.items[0]).toMatchObject({ id: granted.body.data.id, live: false });
  });

  it('ends at once when revoked', async () => {
    const patient = await account('user', NOW);
    const doctor = await account('doctor', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    const granted = await api.post('/api/v1/patients/me/record-grants', {
      token: patient.token,
      json: { granteeId: doctor.user.id, scope: 'record', expiresAt: new Date(NOW.getTime() + DAY).toISOString() },
    });
    expect((await api.get(RECORD(patient.user.id), { token: doctor.token })).status).toBe(200);
    // A doctor holding a whole-record grant may add to it.
    expect(
      (await api.patch(RECORD(patient.user.id), { token: doctor.token, json: { baseVersion: 1, allergies: [] } }))
        .status,
    ).toBe(200);

    const other = await account('user', NOW);
    expect(
      (await api.delete(`/api/v1/patients/me/record-grants/${granted.body.data.id}`, { token: other.token })).status,
    ).toBe(404);
    const revoked = await api.delete(`/api/v1/patients/me/record-grants/${granted.body.data.id}`, {
      token: patient.token,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toMatchObject({ live: false, revokedAt: NOW.toISOString() });
    expect(tripsOf(revoked)).toBe(1);
    expect((await api.get(RECORD(patient.user.id), { token: doctor.token })).status).toBe(404);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, granted.body.data.id));
    expect(audits.map((a) => a.action).sort()).toEqual(['medical_record.grant.create', 'medical_record.grant.revoke']);
  });

  it('refuses a grant to a patient account, or one already expired', async () => {
    const patient = await account('user', NOW);
    const other = await account('user', NOW);
    const doctor = await account('doctor', NOW);
    const toPatient = await api.post('/api/v1/patients/me/record-grants', {
      token: patient.token,
      json: { granteeId: other.user.id, scope: 'record', expiresAt: new Date(NOW.getTime() + DAY).toISOString() },
    });
    expect(toPatient.status).toBe(404);
    const past = await api.post('/api/v1/patients/me/record-grants', {
      token: patient.token,
      json: { granteeId: doctor.user.id, scope: 'record', expiresAt: new Date(NOW.getTime() - 1000).toISOString() },
    });
    expect([past.status, past.body.errors[0].field]).toEqual([422, 'expiresAt']);
  });

  it('a documents grant opens the documents only', async () => {
    const patient = await account('user', NOW);
    const doctor = await account('doctor', NOW);
    const upload = await api.post('/api/v1/files', {
      token: patient.token,
      body: form({ purpose: 'lab-report', file: new Blob([SAMPLE.pdf()], { type: 'application/pdf' }) }, 'blood.pdf'),
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const linked = await api.post(`${RECORD('me')}/documents`, {
      token: patient.token,
      json: { fileId: upload.body.data.id, type: 'lab-report' },
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    expect(linked.body.data).toMatchObject({
      fileId: upload.body.data.id,
      type: 'lab-report',
      contentType: 'application/pdf',
    });
    const again = await api.post(`${RECORD('me')}/documents`, {
      token: patient.token,
      json: { fileId: upload.body.data.id, type: 'other' },
    });
    expect(again.status).toBe(422);

    expect((await api.get(`${RECORD(patient.user.id)}/documents`, { token: doctor.token })).status).toBe(404);
    const documentId = linked.body.data.id as string;
    const download = (token: string) => api.get(`${RECORD(patient.user.id)}/documents/${documentId}`, { token });
    expect((await download(doctor.token)).status).toBe(404);
    await api.post('/api/v1/patients/me/record-grants', {
      token: patient.token,
      json: { granteeId: doctor.user.id, scope: 'documents', expiresAt: new Date(NOW.getTime() + DAY).toISOString() },
    });
    const docs = await api.get(`${RECORD(patient.user.id)}/documents`, { token: doctor.token });
    expect(docs.status).toBe(200);
    expect(docs.body.data.items.map((d: { fileId: string }) => d.fileId)).toEqual([upload.body.data.id]);
    expect(tripsOf(docs)).toBe(1);
    // The document's bytes, for the grantee as for the patient; another document id is 404.
    const file = await download(doctor.token);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.body).toContain('%PDF-1.7');
    expect(tripsOf(file)).toBe(1);
    expect((await download(patient.token)).status).toBe(200);
    const stranger = await account('doctor', NOW);
    expect((await download(stranger.token)).status).toBe(404);
    expect(
      (await api.get(`${RECORD(patient.user.id)}/documents/mrd_00000000000000000000000000`, { token: doctor.token }))
        .status,
    ).toBe(404);
    expect((await api.get(RECORD(patient.user.id), { token: doctor.token })).status).toBe(404);
    expect((await api.get(`${RECORD(patient.user.id)}/versions`, { token: doctor.token })).status).toBe(404);
    const log = await logOf(patient.user.id);
    expect(
      log
        .filter((r) => r.actorId === doctor.user.id)
        .map((r) => [r.resource, r.basis])
        .sort(),
    ).toEqual([
      ['document', 'grant'],
      ['document', 'grant'],
      ['documents', 'grant'],
    ]);
  });
});

describe('emergency access', () => {
  it('needs a reason (422), then opens the record for the configured minutes, notifies and waits for review', async () => {
    const patient = await account('user', NOW);
    const doctor = await account('doctor', NOW);
    const admin = await account('admin', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    await setSetting('records.emergencyAccessMinutes', 30);
    const queue = capturingQueue();
    const er = client({ clock: fixedClock(NOW), adapters: queue.adapters });

    const noReason = await er.post(`${RECORD(patient.user.id)}/emergency-access`, { token: doctor.token, json: {} });
    expect([noReason.status, noReason.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const blank = await er.post(`${RECORD(patient.user.id)}/emergency-access`, {
      token: doctor.token,
      json: { reason: '  ' },
    });
    expect(blank.status).toBe(422);
    expect(queue.take(NOTIFY_DELIVER)).toEqual([]);
    expect((await api.get(RECORD(patient.user.id), { token: doctor.token })).status).toBe(404);

    const asPatient = await er.post(`${RECORD(doctor.user.id)}/emergency-access`, {
      token: patient.token,
      json: { reason: 'x' },
    });
    expect(asPatient.status).toBe(403);

    const opened = await er.post(`${RECORD(patient.user.id)}/emergency-access`, {
      token: doctor.token,
      json: { reason: 'Unconscious in the ER' },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body.data).toMatchObject({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      reviewStatus: 'pending',
      expiresAt: new Date(NOW.getTime() + 30 * 60_000).toISOString(),
    });
    expect(tripsOf(opened)).toBe(2);
    const recipients = queue.take(NOTIFY_DELIVER).map((job) => (job.payload as { recipientId: string }).recipientId);
    expect(recipients).toContain(patient.user.id);
    expect(recipients).toContain(admin.user.id);
    expect(recipients).not.toContain(doctor.user.id);

    const read = await api.get(RECORD(patient.user.id), { token: doctor.token });
    expect([read.status, read.body.data?.access]).toEqual([200, 'emergency']);
    // Read access only.
    expect(
      (await api.patch(RECORD(patient.user.id), { token: doctor.token, json: { baseVersion: 1, allergies: [] } }))
        .status,
    ).toBe(404);
    const log = await api.get(`${RECORD('me')}/access-log`, { token: patient.token });
    const doctorEntries = log.body.data.items.filter((e: { actorId: string }) => e.actorId === doctor.user.id);
    expect(doctorEntries).toHaveLength(1);
    expect(doctorEntries[0]).toMatchObject({
      actorId: doctor.user.id,
      basis: 'emergency',
      reason: 'Unconscious in the ER',
    });

    const after = await later(doctor.user, 31 * 60_000);
    expect((await after.api.get(RECORD(patient.user.id), { token: after.token })).status).toBe(404);

    const queueList = await api.get('/api/v1/admin/emergency-access?status=pending', { token: admin.token });
    expect(queueList.status).toBe(200);
    expect(queueList.body.data.items.map((e: { id: string }) => e.id)).toContain(opened.body.data.id);
    expect((await api.get('/api/v1/admin/emergency-access', { token: doctor.token })).status).toBe(403);

    const reviewed = await api.post(`/api/v1/admin/emergency-access/${opened.body.data.id}/review`, {
      token: admin.token,
      json: { decision: 'flag', note: 'No ER admission on file' },
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    expect(reviewed.body.data).toMatchObject({ reviewStatus: 'flagged', reviewedBy: admin.user.id });
    expect(tripsOf(reviewed)).toBe(1);
    const twice = await api.post(`/api/v1/admin/emergency-access/${opened.body.data.id}/review`, {
      token: admin.token,
      json: { decision: 'approve' },
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const pendingNow = await api.get('/api/v1/admin/emergency-access?status=pending', { token: admin.token });
    expect(pendingNow.body.data.items.map((e: { id: string }) => e.id)).not.toContain(opened.body.data.id);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, opened.body.data.id));
    expect(audits.map((a) => a.action).sort()).toEqual([
      'medical_record.emergency_access',
      'medical_record.emergency_access.flag',
    ]);
  });

  it('is 404 for an account that is not a patient', async () => {
    const doctor = await account('doctor', NOW);
    const otherDoctor = await account('doctor', NOW);
    const res = await api.post(`${RECORD(otherDoctor.user.id)}/emergency-access`, {
      token: doctor.token,
      json: { reason: 'Emergency' },
    });
    expect(res.status).toBe(404);
  });
});
