import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, devOutbox, sessions, type UserRow, users } from '../../../src/db/schema';
import { client, createUser, db, signedInUser, tokenFor } from '../../helpers';
import { loginTokens, STRONG_PASSWORD, userWithPassword } from '../../support/auth';

const api = client();
const BASE = '/api/v1/admin/users';
const me = (token: string) => api.get('/api/v1/users/me', { token });
const rowOf = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const auditsOf = (id: string) => db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).all();
const setStatus = (token: string, id: string, json: unknown) => api.post(`${BASE}/${id}/status`, { token, json });
const login = (email: string) => api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });

/** A refused call leaves the account, its sessions and the audit trail exactly as they were. */
async function expectUnchanged(before: UserRow) {
  expect(await rowOf(before.id)).toEqual(before);
  expect(await auditsOf(before.id)).toEqual([]);
  expect(
    await db.$count(sessions, and(eq(sessions.userId, before.id), eq(sessions.revokedReason, 'admin-block'))),
  ).toBe(0);
}

describe('POST /admin/users/{id}/status', () => {
  it('Should block a user: their access token fails at once, login is refused; unblock lets them back in', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const user = await userWithPassword();
    const tokens = await loginTokens(api, user.email!);
    expect((await me(tokens.accessToken)).status).toBe(200);

    const res = await setStatus(admin.token, user.id, { action: 'block', reason: '  Abusive messages to staff ' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user).toMatchObject({
      id: user.id,
      status: 'blocked',
      statusReason: 'Abusive messages to staff',
    });

    const denied = await me(tokens.accessToken);
    expect([denied.status, denied.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    const refresh = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect(refresh.status).toBe(401);
    const blockedLogin = await login(user.email!);
    expect([blockedLogin.status, blockedLogin.body.error.code]).toEqual([403, 'USER_BLOCKED']);

    const stored = await rowOf(user.id);
    expect(stored).toMatchObject({ status: 'blocked', statusReason: 'Abusive messages to staff', tokenVersion: 1 });
    const session = await db.select().from(sessions).where(eq(sessions.userId, user.id)).get();
    expect(session).toMatchObject({ revokedReason: 'admin-block' });
    expect(session?.revokedAt).not.toBeNull();
    const [blockEvent] = await auditsOf(user.id);
    expect(blockEvent).toMatchObject({
      action: 'admin.users.block',
      actorId: admin.user.id,
      actorRole: 'admin',
      resourceType: 'user',
      reason: 'Abusive messages to staff',
      outcome: 'success',
      metadata: { from: 'active', to: 'blocked' },
    });

    const unblock = await setStatus(admin.token, user.id, { action: 'unblock' });
    expect(unblock.status).toBe(200);
    expect(unblock.body.data.user).toMatchObject({ status: 'active', statusReason: null });
    expect(await rowOf(user.id)).toMatchObject({ status: 'active', statusReason: null });
    expect((await loginTokens(api, user.email!)).accessToken).toBeTruthy();
    const actions = (await auditsOf(user.id)).map((e) => e.action);
    expect(actions).toContain('admin.users.unblock');
  });

  it('Should deactivate with a reason (token fails, login USER_INACTIVE) and activate again', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const doctor = await userWithPassword({ role: 'doctor' });
    const doctorToken = await tokenFor(doctor);
    const res = await setStatus(token, doctor.id, { action: 'deactivate', reason: 'Left the clinic' });
    expect(res.status).toBe(200);
    expect((await me(doctorToken)).body.error.code).toBe('TOKEN_REVOKED');
    const refused = await login(doctor.email!);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'USER_INACTIVE']);
    expect(await rowOf(doctor.id)).toMatchObject({ status: 'inactive', statusReason: 'Left the clinic' });

    const back = await setStatus(token, doctor.id, { action: 'activate' });
    expect(back.body.data.user).toMatchObject({ status: 'active', statusReason: null });
    expect((await login(doctor.email!)).status).toBe(200);
    expect((await auditsOf(doctor.id)).map((e) => e.action).sort()).toEqual([
      'admin.users.activate',
      'admin.users.deactivate',
    ]);
  });

  it('Should require a reason of 3–500 characters to block or deactivate, and known actions (422, nothing changed)', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const user = await createUser();
    const bodies = [
      { action: 'block' },
      { action: 'deactivate' },
      { action: 'block', reason: 'no' },
      { action: 'block', reason: '   ab   ' },
      { action: 'block', reason: 'x'.repeat(501) },
      { action: 'block', reason: 42 },
      { action: 'delete', reason: 'Not a status action' },
      { reason: 'No action at all' },
    ];
    for (const json of bodies) {
      const res = await setStatus(token, user.id, json);
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const malformed = await api.post(`${BASE}/${user.id}/status`, {
      token,
      body: '{"action":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    await expectUnchanged(user);
  });

  it('Should answer 409 INVALID_TRANSITION for transitions the rules do not allow, changing nothing', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const cases: [Parameters<typeof createUser>[0], unknown][] = [
      [{}, { action: 'unblock' }],
      [{}, { action: 'activate' }],
      [{ status: 'inactive' }, { action: 'deactivate', reason: 'Already inactive' }],
      [{ status: 'blocked' }, { action: 'block', reason: 'Already blocked' }],
      [{ status: 'blocked' }, { action: 'activate' }],
      [{ role: 'doctor', status: 'pending' }, { action: 'activate' }],
      [{ role: 'caregiver', status: 'pending' }, { action: 'activate' }],
      [{ status: 'removed' }, { action: 'block', reason: 'Gone already' }],
      [{ status: 'removed' }, { action: 'activate' }],
    ];
    for (const [input, json] of cases) {
      const target = await createUser(input);
      const res = await setStatus(token, target.id, json);
      expect([res.status, res.body.error.code], JSON.stringify([input, json])).toEqual([409, 'INVALID_TRANSITION']);
      await expectUnchanged(target);
    }
  });

  it('Should return an unverified doctor blocked while pending to pending on unblock', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const doctor = await createUser({ role: 'doctor', status: 'pending' });
    await db.update(users).set({ verifiedAt: null }).where(eq(users.id, doctor.id));
    expect((await setStatus(token, doctor.id, { action: 'block', reason: 'Fake credentials' })).status).toBe(200);
    const res = await setStatus(token, doctor.id, { action: 'unblock' });
    expect(res.body.data.user).toMatchObject({ status: 'pending', verifiedAt: null });
  });

  it('Should refuse an admin acting on a superadmin, another admin or themselves (403, unchanged)', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const superadmin = await createUser({ role: 'superadmin' });
    const otherAdmin = await createUser({ role: 'admin' });
    for (const target of [superadmin, otherAdmin, admin.user]) {
      for (const json of [
        { action: 'block', reason: 'Trying my luck' },
        { action: 'deactivate', reason: 'Trying my luck' },
      ]) {
        const res = await setStatus(admin.token, target.id, json);
        expect([res.status, res.body.error.code], `${target.role} ${json.action}`).toEqual([403, 'FORBIDDEN']);
      }
      await expectUnchanged(target);
    }
    expect((await me(admin.token)).status).toBe(200);
  });

  it('Should let a superadmin block an admin (their token fails at once) but not block themselves', async () => {
    const superadmin = await signedInUser({ role: 'superadmin' });
    const admin = await signedInUser({ role: 'admin' });
    const res = await setStatus(superadmin.token, admin.user.id, { action: 'block', reason: 'Leaked credentials' });
    expect(res.status).toBe(200);
    expect((await me(admin.token)).body.error.code).toBe('TOKEN_REVOKED');
    for (const json of [
      { action: 'block', reason: 'Myself' },
      { action: 'deactivate', reason: 'Myself' },
    ]) {
      const self = await setStatus(superadmin.token, superadmin.user.id, json);
      expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
    }
    await expectUnchanged(superadmin.user);
    expect((await me(superadmin.token)).status).toBe(200);
  });

  it('Should apply only one of two concurrent blocks of the same account', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const user = await createUser();
    const results = await Promise.all([
      setStatus(token, user.id, { action: 'block', reason: 'First admin' }),
      setStatus(token, user.id, { action: 'block', reason: 'Second admin' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await rowOf(user.id)).toMatchObject({ status: 'blocked', tokenVersion: 1 });
    expect(await auditsOf(user.id)).toHaveLength(1);
  });
});

describe('POST /admin/users/{id}/verify', () => {
  it('Should make a pending doctor active with verifiedAt, email them, and audit it', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const doctor = await createUser({ role: 'doctor', status: 'pending' });
    await db.update(users).set({ verifiedAt: null }).where(eq(users.id, doctor.id));
    const res = await api.post(`${BASE}/${doctor.id}/verify`, { token: admin.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.status).toBe('active');
    expect(res.body.data.user.verifiedAt).toMatch(/^\d{4}-/);
    const stored = await rowOf(doctor.id);
    expect(stored?.status).toBe('active');
    expect(stored?.verifiedAt).toBeGreaterThan(0);
    const mail = await db.select().from(devOutbox).where(eq(devOutbox.recipient, doctor.email!)).all();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toMatch(/verified/i);
    expect(await auditsOf(doctor.id)).toMatchObject([
      {
        action: 'admin.users.verify',
        actorId: admin.user.id,
        metadata: { role: 'doctor', from: 'pending', to: 'active' },
      },
    ]);
    // The doctor's pending-era token now opens doctor routes too.
    expect((await me(await tokenFor(doctor))).status).toBe(200);
  });

  it('Should verify a pending caregiver too', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const caregiver = await createUser({ role: 'caregiver', status: 'pending' });
    const res = await api.post(`${BASE}/${caregiver.id}/verify`, { token });
    expect(res.body.data.user.status).toBe('active');
  });

  it('Should answer 409 INVALID_TRANSITION for anyone but a pending doctor or caregiver, unchanged', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    for (const input of [
      { role: 'doctor', status: 'active' },
      { role: 'doctor', status: 'blocked' },
      { role: 'user', status: 'active' },
      { role: 'receptionist', status: 'pending' },
    ] as const) {
      const target = await createUser(input);
      const res = await api.post(`${BASE}/${target.id}/verify`, { token });
      expect([res.status, res.body.error.code], JSON.stringify(input)).toEqual([409, 'INVALID_TRANSITION']);
      await expectUnchanged(target);
      expect(await db.$count(devOutbox, eq(devOutbox.recipient, target.email!))).toBe(0);
    }
  });
});
