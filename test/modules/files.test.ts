import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, files } from '../../src/db/schema';
import { client, db, form, SAMPLE, signedInUser, testEnv } from '../helpers';

const api = client();

async function upload(token: string, purpose: string, bytes: Uint8Array, name = 'report.pdf') {
  return api.post('/api/v1/files', { token, body: form({ purpose, file: new Blob([bytes]) }, name) });
}

describe('files', () => {
  it('Should store a PDF lab report in R2, sniffing its type, and audit the upload', async () => {
    const { user, token } = await signedInUser();
    const res = await upload(token, 'lab-report', SAMPLE.pdf());
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      purpose: 'lab-report',
      contentType: 'application/pdf',
      fileName: 'report.pdf',
    });
    const row = await db.select().from(files).where(eq(files.id, res.body.data.id)).get();
    expect(row?.ownerId).toBe(user.id);
    expect(row?.storageKey).toMatch(/^lab-report\/[A-Za-z0-9_-]{32}$/);
    expect(row?.storageKey).not.toContain('.pdf');
    expect(await testEnv.FILES.head(row!.storageKey)).not.toBeNull();
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, row!.id)).all();
    expect(audit.map((a) => a.action)).toEqual(['file.upload']);
    expect(audit[0]).toMatchObject({ actorId: user.id, patientId: user.id });
  });

  it('Should refuse a file whose magic bytes are not an accepted type, with 415, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const res = await upload(token, 'avatar', SAMPLE.exe(), 'avatar.png');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('INVALID_FILE_TYPE');
    // A PDF is fine as a lab report but not as an avatar.
    const pdf = await upload(token, 'avatar', SAMPLE.pdf(), 'avatar.png');
    expect(pdf.status).toBe(415);
    expect(await db.$count(files, eq(files.ownerId, user.id))).toBe(0);
  });

  it('Should refuse a file over its purpose limit with 413 FILE_TOO_LARGE, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(SAMPLE.png());
    const res = await upload(token, 'avatar', big, 'big.png');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('FILE_TOO_LARGE');
    expect(await db.$count(files, eq(files.ownerId, user.id))).toBe(0);
    const listed = await testEnv.FILES.list({ prefix: 'avatar/' });
    for (const object of listed.objects) expect(object.size).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it('Should answer 422 for a missing file or an unknown purpose', async () => {
    const { token } = await signedInUser();
    const missing = await api.post('/api/v1/files', { token, body: form({ purpose: 'avatar' }) });
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toContain('file');
    const unknown = await upload(token, 'selfie', SAMPLE.png());
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toContain('purpose');
  });

  it('Should let the owner list, read and download a file, auditing the medical read', async () => {
    const { user, token } = await signedInUser();
    const id = (await upload(token, 'lab-report', SAMPLE.pdf())).body.data.id;
    const list = await api.get('/api/v1/files?purpose=lab-report', { token });
    expect(list.body.data.items.map((f: { id: string }) => f.id)).toEqual([id]);
    expect(list.body.data.pagination).toMatchObject({ total: 1, current: 1, pages: 1 });
    expect((await api.get(`/api/v1/files/${id}`, { token })).body.data.id).toBe(id);
    const content = await api.get(`/api/v1/files/${id}/content`, { token });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(content.body).toContain('%PDF-1.7');
    const reads = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, id), eq(auditEvents.action, 'file.read')))
      .all();
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ actorId: user.id, patientId: user.id, resourceType: 'file' });
  });

  it("Should answer 404 for another user's file on read, download and delete", async () => {
    const owner = await signedInUser();
    const other = await signedInUser();
    const id = (await upload(owner.token, 'attachment', SAMPLE.pdf())).body.data.id;
    for (const path of [`/api/v1/files/${id}`, `/api/v1/files/${id}/content`]) {
      const res = await api.get(path, { token: other.token });
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await api.delete(`/api/v1/files/${id}`, { token: other.token })).status).toBe(404);
    expect(await db.$count(files, eq(files.id, id))).toBe(1);
    expect((await api.get('/api/v1/files', { token: other.token })).body.data.items).toEqual([]);
  });

  it('Should delete the row and the R2 object', async () => {
    const { token } = await signedInUser();
    const id = (await upload(token, 'attachment', SAMPLE.pdf())).body.data.id;
    const key = (await db.select().from(files).where(eq(files.id, id)).get())!.storageKey;
    const res = await api.delete(`/api/v1/files/${id}`, { token });
    expect(res.status).toBe(200);
    expect(await db.$count(files, eq(files.id, id))).toBe(0);
    expect(await testEnv.FILES.head(key)).toBeNull();
    expect((await api.get(`/api/v1/files/${id}`, { token })).status).toBe(404);
  });

  it('Should answer 422 for a malformed file id', async () => {
    const { token } = await signedInUser();
    const res = await api.get('/api/v1/files/../../etc', { token });
    expect([404, 422]).toContain(res.status);
    const bad = await api.get('/api/v1/files/fil_nope', { token });
    expect(bad.status).toBe(422);
  });
});
