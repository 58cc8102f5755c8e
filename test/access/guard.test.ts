import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/access/tokens';
import { sessions, users } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { client, createSession, createUser, db, testEnv, tokenFor } from '../helpers';

describe('access guard', () => {
  it('Should accept a valid token and expose the account at /users/me', async () => {
    const user = await createUser({ role: 'doctor' });
    const res = await client().get('/api/v1/users/me', { token: await tokenFor(user) });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: user.id, role: 'doctor', email: user.email });
    expect(res.body.data.user).not.toHaveProperty('passwordHash');
    expect(res.body.data.user).not.toHaveProperty('tokenVersion');
  });

  it('Should answer 401 TOKEN_EXPIRED once the injected clock passes the expiry', async () => {
    const user = await createUser();
    const clock = fixedClock('2026-06-01T12:00:00Z');
    const token = await tokenFor(user, clock.now());
    const api = client({ clock });
    expect((await api.get('/api/v1/users/me', { token })).status).toBe(200);
    clock.advance(15 * 60 * 1000 + 1000);
    const res = await api.get('/api/v1/users/me', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it('Should answer 401 TOKEN_REVOKED once the token version is bumped', async () => {
    const user = await createUser();
    const token = await tokenFor(user);
    await db.update(users).set({ tokenVersion: 1 }).where(eq(users.id, user.id));
    const res = await client().get('/api/v1/users/me', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_REVOKED');
  });

  it('Should refuse a token signed with another key', async () => {
    const user = await createUser();
    const forged = await signAccessToken(
      { JWT_SECRET: 'another-secret-that-is-long-enough-000000' },
      { sub: user.id, role: 'superadmin', sid: 'ses_x', ver: 0 },
      new Date(),
    );
    const res = await client().get('/api/v1/users/me', { token: forged });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
  });

  it('Should trust the stored role, not the role claimed in the token', async () => {
    const user = await createUser({ role: 'user' });
    const sid = await createSession(user.id);
    const token = await signAccessToken(testEnv, { sub: user.id, role: 'superadmin', sid, ver: 0 }, new Date());
    const res = await client().get('/api/v1/audit-events', { token });
    expect(res.status).toBe(403);
  });

  it('Should answer 403 USER_BLOCKED and USER_INACTIVE for accounts that may not act', async () => {
    const api = client();
    const blocked = await createUser({ status: 'blocked' });
    const inactive = await createUser({ status: 'inactive' });
    const b = await api.get('/api/v1/users/me', { token: await tokenFor(blocked) });
    expect([b.status, b.body.error.code]).toEqual([403, 'USER_BLOCKED']);
    const i = await api.get('/api/v1/users/me', { token: await tokenFor(inactive) });
    expect([i.status, i.body.error.code]).toEqual([403, 'USER_INACTIVE']);
  });

  it('Should let a pending account see itself but not act in its role (admin awaiting approval)', async () => {
    const api = client();
    const pending = await createUser({ role: 'superadmin', status: 'pending' });
    const token = await tokenFor(pending);
    expect((await api.get('/api/v1/users/me', { token })).status).toBe(200);
    const res = await api.get('/api/v1/audit-events', { token });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('Should refuse a token whose session was revoked, or that names no session of this user', async () => {
    const user = await createUser();
    const other = await createUser();
    const sid = await createSession(user.id);
    const token = await signAccessToken(testEnv, { sub: user.id, role: 'user', sid, ver: 0 }, new Date());
    const api = client();
    expect((await api.get('/api/v1/users/me', { token })).status).toBe(200);
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.id, sid));
    const res = await api.get('/api/v1/users/me', { token });
    expect([res.status, res.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    const borrowed = await signAccessToken(
      testEnv,
      { sub: other.id, role: 'user', sid: await createSession(user.id), ver: 0 },
      new Date(),
    );
    expect((await api.get('/api/v1/users/me', { token: borrowed })).status).toBe(401);
  });

  it('Should refuse an alg:none token', async () => {
    const user = await createUser();
    const sid = await createSession(user.id);
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: user.id, role: 'superadmin', sid, ver: 0, iat: now, exp: now + 600, iss: 'kinwell', aud: 'kinwell-api' })}.`;
    const res = await client().get('/api/v1/users/me', { token: unsigned });
    expect([res.status, res.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('Should refuse a deleted account token with TOKEN_REVOKED', async () => {
    const user = await createUser();
    const token = await tokenFor(user);
    await db.delete(users).where(eq(users.id, user.id));
    const res = await client().get('/api/v1/users/me', { token });
    expect([res.status, res.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
  });
});
