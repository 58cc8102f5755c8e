import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, refreshTokens, sessions, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { loginTokens, userWithPassword } from '../../support/auth';

const api = client();
const me = (token: string) => api.get('/api/v1/users/me', { token });

describe('refresh tokens and sessions', () => {
  it('Should rotate the refresh token on every refresh and store only hashes', async () => {
    const user = await userWithPassword();
    const first = await loginTokens(api, user.email!);
    const res = await api.post('/api/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(res.status).toBe(200);
    const second = res.body.data.tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await me(second.accessToken)).status).toBe(200);
    const stored = await db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id)).all();
    expect(stored).toHaveLength(2);
    for (const row of stored) {
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect([first.refreshToken, second.refreshToken]).not.toContain(row.tokenHash);
    }
  });

  it('Should revoke the whole session when a rotated refresh token is reused', async () => {
    const user = await userWithPassword();
    const first = await loginTokens(api, user.email!);
    const second = (await api.post('/api/v1/auth/refresh', { json: { refreshToken: first.refreshToken } })).body.data
      .tokens;
    const replay = await api.post('/api/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect([replay.status, replay.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    const afterTheft = await api.post('/api/v1/auth/refresh', { json: { refreshToken: second.refreshToken } });
    expect([afterTheft.status, afterTheft.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    expect((await me(second.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
    const session = await db.select().from(sessions).where(eq(sessions.userId, user.id)).get();
    expect(session?.revokedReason).toBe('refresh-token-reuse');
    expect(await db.$count(auditEvents, eq(auditEvents.action, 'auth.refresh_reuse'))).toBeGreaterThanOrEqual(1);
  });

  it('Should refuse unknown, expired and blocked-account refresh tokens', async () => {
    const unknown = await api.post('/api/v1/auth/refresh', { json: { refreshToken: 'rt_not-a-real-token-at-all' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    const clock = fixedClock('2026-02-01T00:00:00Z');
    const timed = client({ clock });
    const user = await userWithPassword();
    const tokens = await loginTokens(timed, user.email!);
    clock.advance(31 * 24 * 3600_000);
    const expired = await timed.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect([expired.status, expired.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
    const blocked = await userWithPassword();
    const blockedTokens = await loginTokens(api, blocked.email!);
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.id));
    const refused = await api.post('/api/v1/auth/refresh', { json: { refreshToken: blockedTokens.refreshToken } });
    expect(refused.status).toBe(401);
  });

  it('Should let only one of two concurrent refreshes with the same token win', async () => {
    const user = await userWithPassword();
    const { refreshToken } = await loginTokens(api, user.email!);
    const results = await Promise.all([
      api.post('/api/v1/auth/refresh', { json: { refreshToken } }),
      api.post('/api/v1/auth/refresh', { json: { refreshToken } }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toContain(401);
    expect(await db.$count(refreshTokens, eq(refreshTokens.userId, user.id))).toBeLessThanOrEqual(2);
  });

  it('Should log out this session only: its tokens fail, another device keeps working', async () => {
    const user = await userWithPassword();
    const phone = await loginTokens(api, user.email!);
    const laptop = await loginTokens(api, user.email!);
    expect((await api.post('/api/v1/auth/logout', { token: phone.accessToken })).status).toBe(200);
    expect((await me(phone.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
    expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: phone.refreshToken } })).status).toBe(401);
    expect((await me(laptop.accessToken)).status).toBe(200);
  });

  it('Should log out everywhere: every older access token fails with TOKEN_REVOKED', async () => {
    const user = await userWithPassword();
    const a = await loginTokens(api, user.email!);
    const b = await loginTokens(api, user.email!);
    expect((await api.post('/api/v1/auth/logout-all', { token: a.accessToken })).status).toBe(200);
    for (const t of [a, b]) {
      expect((await me(t.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
      expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: t.refreshToken } })).status).toBe(401);
    }
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.tokenVersion).toBe(1);
    expect((await loginTokens(api, user.email!)).accessToken).toBeTruthy();
  });

  it('Should list my sessions with device and IP, and revoke one of them', async () => {
    const user = await userWithPassword();
    const phone = await api.post('/api/v1/auth/login', {
      json: { email: user.email, password: 'Tulip-Harbor-42!' },
      headers: { 'user-agent': 'Phone', 'cf-connecting-ip': '192.0.2.1' },
    });
    const laptop = await api.post('/api/v1/auth/login', {
      json: { email: user.email, password: 'Tulip-Harbor-42!' },
      headers: { 'user-agent': 'Laptop', 'cf-connecting-ip': '192.0.2.2' },
    });
    const token = laptop.body.data.tokens.accessToken;
    const list = await api.get('/api/v1/auth/sessions', { token });
    expect(list.status).toBe(200);
    expect(list.body.data.pagination.total).toBe(2);
    const byAgent = Object.fromEntries(list.body.data.items.map((s: any) => [s.userAgent, s]));
    expect(byAgent.Phone).toMatchObject({ ip: '192.0.2.1', current: false, method: 'password' });
    expect(byAgent.Laptop).toMatchObject({ ip: '192.0.2.2', current: true });
    const revoke = await api.delete(`/api/v1/auth/sessions/${byAgent.Phone.id}`, { token });
    expect(revoke.status).toBe(200);
    expect((await me(phone.body.data.tokens.accessToken)).body.error.code).toBe('TOKEN_REVOKED');
    expect((await api.get('/api/v1/auth/sessions', { token })).body.data.pagination.total).toBe(1);
    expect(await db.$count(auditEvents, eq(auditEvents.resourceId, byAgent.Phone.id))).toBeGreaterThanOrEqual(2);
  });

  it("Should answer 404 for another user's session and change nothing", async () => {
    const mine = await userWithPassword();
    const theirs = await userWithPassword();
    const myToken = (await loginTokens(api, mine.email!)).accessToken;
    const theirTokens = await loginTokens(api, theirs.email!);
    const theirSession = await db.select().from(sessions).where(eq(sessions.userId, theirs.id)).get();
    const res = await api.delete(`/api/v1/auth/sessions/${theirSession!.id}`, { token: myToken });
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await me(theirTokens.accessToken)).status).toBe(200);
    const bad = await api.delete('/api/v1/auth/sessions/not-an-id', { token: myToken });
    expect(bad.status).toBe(422);
  });
});
