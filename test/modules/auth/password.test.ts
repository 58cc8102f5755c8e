import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, users } from '../../../src/db/schema';
import { client, createUser, db, tokenFor, uniqueEmail } from '../../helpers';
import { latestCode, loginTokens, outboxCount, STRONG_PASSWORD, userWithPassword } from '../../support/auth';

const api = client();
const NEW_PASSWORD = 'Quiet-Meadow-Lantern-7';

describe('password forgot and reset', () => {
  it('Should reset with an emailed code, end every session, and keep the code single-use', async () => {
    const user = await userWithPassword();
    const before = await loginTokens(api, user.email!);
    expect((await api.post('/api/v1/auth/password/forgot', { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(api, user.email!);
    const reset = await api.post('/api/v1/auth/password/reset', {
      json: { email: user.email, otp: code, newPassword: NEW_PASSWORD },
    });
    expect(reset.status).toBe(200);
    expect((await api.get('/api/v1/users/me', { token: before.accessToken })).body.error.code).toBe('TOKEN_REVOKED');
    expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: before.refreshToken } })).status).toBe(401);
    expect(
      (await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } })).status,
    ).toBe(401);
    expect((await loginTokens(api, user.email!, NEW_PASSWORD)).accessToken).toBeTruthy();
    const replay = await api.post('/api/v1/auth/password/reset', {
      json: { email: user.email, otp: code, newPassword: 'Another-Fine-Password-9' },
    });
    expect(replay.body.error.code).toBe('OTP_INVALID');
    expect(await db.$count(auditEvents, eq(auditEvents.action, 'auth.password_reset'))).toBeGreaterThanOrEqual(1);
  });

  it('Should answer an unknown email the same and send nothing', async () => {
    const ghost = uniqueEmail('nobody');
    const res = await api.post('/api/v1/auth/password/forgot', { json: { email: ghost } });
    expect(res.status).toBe(200);
    expect(await outboxCount(api, ghost)).toBe(0);
  });

  it('Should refuse a weak new password without burning the code', async () => {
    const user = await userWithPassword();
    await api.post('/api/v1/auth/password/forgot', { json: { email: user.email } });
    const code = await latestCode(api, user.email!);
    const weak = await api.post('/api/v1/auth/password/reset', {
      json: { email: user.email, otp: code, newPassword: 'password123' },
    });
    expect([weak.status, weak.body.errors[0].field]).toEqual([422, 'newPassword']);
    const ok = await api.post('/api/v1/auth/password/reset', {
      json: { email: user.email, otp: code, newPassword: NEW_PASSWORD },
    });
    expect(ok.status).toBe(200);
  });
});

describe('password change and set', () => {
  it('Should change the password: old tokens fail with TOKEN_REVOKED, this device gets new ones', async () => {
    const user = await userWithPassword();
    const other = await loginTokens(api, user.email!);
    const here = await loginTokens(api, user.email!);
    const res = await api.post('/api/v1/auth/password/change', {
      token: here.accessToken,
      json: { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(res.status).toBe(200);
    for (const old of [other, here]) {
      expect((await api.get('/api/v1/users/me', { token: old.accessToken })).body.error.code).toBe('TOKEN_REVOKED');
    }
    expect((await api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken })).status).toBe(200);
    expect((await loginTokens(api, user.email!, NEW_PASSWORD)).accessToken).toBeTruthy();
  });

  it('Should refuse a wrong current password with 422 and change nothing', async () => {
    const user = await userWithPassword();
    const token = (await loginTokens(api, user.email!)).accessToken;
    const res = await api.post('/api/v1/auth/password/change', {
      token,
      json: { currentPassword: 'Wrong-Password-000', newPassword: NEW_PASSWORD },
    });
    expect([res.status, res.body.errors[0].field]).toEqual([422, 'currentPassword']);
    expect((await api.get('/api/v1/users/me', { token })).status).toBe(200);
    const row = await db.select().from(users).where(eq(users.id, user.id)).get();
    expect(row?.passwordHash).toBe(user.passwordHash);
  });

  it('Should set a password on an OTP-only account once, then require change instead', async () => {
    const user = await createUser({ email: uniqueEmail('otp-only') });
    const token = await tokenFor(user);
    const set = await api.post('/api/v1/auth/password/set', { token, json: { newPassword: NEW_PASSWORD } });
    expect(set.status).toBe(200);
    expect(set.body.data.user.hasPassword).toBe(true);
    expect((await loginTokens(api, user.email!, NEW_PASSWORD)).accessToken).toBeTruthy();
    const again = await api.post('/api/v1/auth/password/set', { token, json: { newPassword: 'Different-Strong-88' } });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    const change = await api.post('/api/v1/auth/password/change', {
      token: await tokenFor(await createUser()),
      json: { currentPassword: 'whatever-123', newPassword: NEW_PASSWORD },
    });
    expect(change.status).toBe(409);
  });

  it('Should require a token for change and set', async () => {
    for (const path of ['/api/v1/auth/password/change', '/api/v1/auth/password/set']) {
      expect((await api.post(path, { json: { newPassword: NEW_PASSWORD } })).status).toBe(401);
    }
  });
});
