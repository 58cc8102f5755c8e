import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, FILE_PURPOSES, files, sessions, type UserRow, users } from '../../../src/db/schema';
import { client, createUser, db, SAMPLE, signedInUser, testEnv, uniqueId } from '../../helpers';
import { loginTokens, userWithPassword } from '../../support/auth';

const api = client();
const BASE = '/api/v1/admin/users';
const me = (token: string) => api.get('/api/v1/users/me', { token });
const rowOf = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const auditsOf = (id: string) => db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).all();
const setSubRoles = (token: string, id: string, subRoles: unknown) =>
  api.put(`${BASE}/${id}/sub-roles`, { token, json: { subRoles } });
const forceLogout = (token: string, id: string) => api.post(`${BASE}/${id}/logout`, { token });
const remove = (token: string, id: string, json: unknown = {}) => api.delete(`${BASE}/${id}`, { token, json });

async function expectUnchanged(before: UserRow) {
  expect(await rowOf(before.id)).toEqual(before);
  expect(await auditsOf(before.id)).toEqual([]);
}

describe('PUT /admin/users/{id}/sub-roles', () => {
  it("Should replace an admin's sub-roles and bump their token version; a refresh gets a working token", async () => {
    const superadmin = await signedInUser({ role: 'superadmin' });
    const admin = await userWithPassword({ role: 'admin', subRoles: ['support-agent'] });
    const tokens = await loginTokens(api, admin.email!);
    const res = await setSubRoles(superadmin.token, admin.id, ['appointment-manager', 'content-manager']);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.subRoles).toEqual(['appointment-manager', 'content-manager']);
    expect(await rowOf(admin.id)).toMatchObject({
      subRoles: ['appointment-manager', 'content-manager'],
      tokenVersion: 1,
    });
    expect((await me(tokens.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
    const refreshed = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await me(refreshed.body.data.tokens.accessToken)).body.data.user.subRoles).toEqual([
      'appointment-manager',
      'content-manager',
    ]);
    expect(await auditsOf(admin.id)).toMatchObject([
      {
        action: 'admin.users.sub_roles',
        actorId: superadmin.user.id,
        metadata: { from: ['support-agent'], to: ['appointment-manager', 'content-manager'] },
      },
    ]);
    const cleared = await setSubRoles(superadmin.token, admin.id, []);
    expect(cleared.body.data.user.subRoles).toEqual([]);
  });

  it('Should refuse an admin changing another admin or themselves (403) and non-admin targets (409), unchanged', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const superadmin = await signedInUser({ role: 'superadmin' });
    const otherAdmin = await createUser({ role: 'admin' });
    for (const target of [otherAdmin, admin.user]) {
      const res = await setSubRoles(admin.token, target.id, ['support-agent']);
      expect([res.status, res.body.error.code]).toEqual([403, 'FORBIDDEN']);
      await expectUnchanged(target);
    }
    const doctor = await createUser({ role: 'doctor' });
    const notAdmin = await setSubRoles(superadmin.token, doctor.id, ['support-agent']);
    expect([notAdmin.status, notAdmin.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    await expectUnchanged(doctor);
    const self = await setSubRoles(superadmin.token, superadmin.user.id, ['support-agent']);
    expect(self.status).toBe(403);
  });

  it('Should refuse unknown or repeated sub-roles and wrong types with 422', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const admin = await createUser({ role: 'admin' });
    for (const subRoles of [['janitor'], ['support-agent', 'support-agent'], 'support-agent', null, [1]]) {
      const res = await setSubRoles(token, admin.id, subRoles);
      expect([res.status, res.body.error.code], JSON.stringify(subRoles)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const missing = await api.put(`${BASE}/${admin.id}/sub-roles`, { token, json: {} });
    expect(missing.status).toBe(422);
    await expectUnchanged(admin);
  });
});

describe('POST /admin/users/{id}/logout', () => {
  it('Should end every session of the account: its access and refresh tokens fail at once', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const user = await userWithPassword();
    const phone = await loginTokens(api, user.email!);
    const laptop = await loginTokens(api, user.email!);
    const res = await forceLogout(admin.token, user.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({ id: user.id, sessionsRevoked: 2 });
    for (const t of [phone, laptop]) {
      expect((await me(t.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
      expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: t.refreshToken } })).status).toBe(401);
    }
    const rows = await db.select().from(sessions).where(eq(sessions.userId, user.id)).all();
    expect(rows.map((s) => s.revokedReason)).toEqual(['admin-logout', 'admin-logout']);
    expect(await rowOf(user.id)).toMatchObject({ status: 'active', tokenVersion: 1 });
    expect(await auditsOf(user.id)).toMatchObject([{ action: 'admin.users.logout', actorId: admin.user.id }]);
    // They can sign in again: a forced logout is not a block.
    expect((await loginTokens(api, user.email!)).accessToken).toBeTruthy();
  });

  it('Should refuse logging out yourself or another admin as an admin, and a removed account (409)', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const other = await signedInUser({ role: 'admin' });
    for (const target of [admin.user, other.user]) {
      const res = await forceLogout(admin.token, target.id);
      expect([res.status, res.body.error.code]).toEqual([403, 'FORBIDDEN']);
      await expectUnchanged(target);
    }
    expect((await me(admin.token)).status).toBe(200);
    expect((await me(other.token)).status).toBe(200);
    const superadmin = await signedInUser({ role: 'superadmin' });
    expect((await forceLogout(superadmin.token, other.user.id)).status).toBe(200);
    expect((await me(other.token)).body.error.code).toBe('TOKEN_REVOKED');
    const removed = await createUser({ status: 'removed' });
    const gone = await forceLogout(admin.token, removed.id);
    expect([gone.status, gone.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
  });
});

describe('DELETE /admin/users/{id}', () => {
  it('Should purge the account and its personal data, fail its tokens, and audit who and why', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const user = await signedInUser();
    const storageKey = `test/${uniqueId('obj')}`;
    await testEnv.FILES.put(storageKey, SAMPLE.pdf());
    await db.insert(files).values({
      id: uniqueId('fil'),
      ownerId: user.user.id,
      purpose: FILE_PURPOSES[0],
      storageKey,
      contentType: 'application/pdf',
      size: 10,
      sha256: '0'.repeat(64),
      fileName: 'x.pdf',
      createdAt: Date.now(),
    });
    const res = await remove(admin.token, user.user.id, { reason: 'Requested by the account holder' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({ id: user.user.id, filesDeleted: 1 });
    expect(await rowOf(user.user.id)).toBeUndefined();
    expect(await db.$count(sessions, eq(sessions.userId, user.user.id))).toBe(0);
    expect(await db.$count(files, eq(files.ownerId, user.user.id))).toBe(0);
    expect(await testEnv.FILES.get(storageKey)).toBeNull();
    expect((await me(user.token)).body.error.code).toBe('TOKEN_REVOKED');
    expect(await auditsOf(user.user.id)).toMatchObject([
      { action: 'user.purge', actorId: admin.user.id, actorRole: 'admin', reason: 'Requested by the account holder' },
    ]);
    const again = await remove(admin.token, user.user.id);
    expect([again.status, again.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('Should refuse an admin deleting a superadmin, another admin or themselves (403, unchanged)', async () => {
    const admin = await signedInUser({ role: 'admin' });
    for (const target of [await createUser({ role: 'superadmin' }), await createUser({ role: 'admin' }), admin.user]) {
      const res = await remove(admin.token, target.id, { reason: 'Trying my luck' });
      expect([res.status, res.body.error.code], target.role).toEqual([403, 'FORBIDDEN']);
      await expectUnchanged(target);
    }
  });

  it('Should let a superadmin delete an admin but not themselves', async () => {
    const superadmin = await signedInUser({ role: 'superadmin' });
    const admin = await createUser({ role: 'admin' });
    expect((await remove(superadmin.token, admin.id)).status).toBe(200);
    expect(await rowOf(admin.id)).toBeUndefined();
    const self = await remove(superadmin.token, superadmin.user.id);
    expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
    await expectUnchanged(superadmin.user);
  });

  it('Should refuse a reason of the wrong type or length with 422', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const user = await createUser();
    for (const json of [{ reason: 5 }, { reason: 'no' }, { reason: 'x'.repeat(501) }]) {
      const res = await remove(token, user.id, json);
      expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    }
    await expectUnchanged(user);
  });
});
