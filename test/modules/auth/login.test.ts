import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, rateLimits, sessions } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueEmail } from '../../helpers';
import { ipHeaders, STRONG_PASSWORD, userWithPassword } from '../../support/auth';

const api = client();

describe('password sign-in', () => {
  it('Should sign in with email and password, returning user and tokens, and record a session and audit row', async () => {
    const user = await userWithPassword();
    const res = await api.post('/api/v1/auth/login', {
      json: { email: user.email!.toUpperCase(), password: STRONG_PASSWORD },
      headers: { 'user-agent': 'KinwellApp/1.0 (iPhone)', ...ipHeaders('198.51.100.10') },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: user.id, email: user.email });
    expect(res.body.data.tokens).toMatchObject({ expiresIn: 900 });
    expect(res.body.data.tokens.refreshToken).toMatch(/^rt_/);
    const session = await db.select().from(sessions).where(eq(sessions.userId, user.id)).get();
    expect(session).toMatchObject({ method: 'password', userAgent: 'KinwellApp/1.0 (iPhone)', ip: '198.51.100.10' });
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.action, 'auth.login')))
      .all();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.outcome).toBe('success');
  });

  it('Should fail a wrong password and an unknown email identically, auditing the failure', async () => {
    const user = await userWithPassword();
    const wrong = await api.post('/api/v1/auth/login', { json: { email: user.email, password: 'Not-The-Password-1' } });
    const unknown = await api.post('/api/v1/auth/login', {
      json: { email: uniqueEmail('ghost'), password: 'Not-The-Password-1' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.body.message).toBe(unknown.body.message);
    const failures = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.outcome, 'failure')))
      .all();
    expect(failures.map((f) => f.action)).toEqual(['auth.login']);
    expect(await db.$count(sessions, eq(sessions.userId, user.id))).toBe(0);
  });

  it('Should refuse blocked and deactivated accounts after a correct password', async () => {
    const blocked = await userWithPassword({ status: 'blocked' });
    const inactive = await userWithPassword({ status: 'inactive' });
    const b = await api.post('/api/v1/auth/login', { json: { email: blocked.email, password: STRONG_PASSWORD } });
    expect([b.status, b.body.error.code]).toEqual([403, 'USER_BLOCKED']);
    const i = await api.post('/api/v1/auth/login', { json: { email: inactive.email, password: STRONG_PASSWORD } });
    expect([i.status, i.body.error.code]).toEqual([403, 'USER_INACTIVE']);
    expect(await db.$count(sessions, eq(sessions.userId, blocked.id))).toBe(0);
  });

  it('Should let a pending doctor sign in but not act as a doctor', async () => {
    const doctor = await userWithPassword({ role: 'doctor', status: 'pending' });
    const res = await api.post('/api/v1/auth/login', { json: { email: doctor.email, password: STRONG_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.data.user.status).toBe('pending');
    const token = res.body.data.tokens.accessToken;
    expect((await api.get('/api/v1/audit-events', { token })).status).toBe(403);
  });

  // About 40 password checks (scrypt, deliberately slow): more than the default timeout on a busy machine.
  it('Should rate-limit sign-in per account and per IP with 429 and Retry-After', { timeout: 120_000 }, async () => {
    // A fixed clock keeps every attempt inside one 15-minute window.
    const api = client({ clock: fixedClock('2026-09-01T10:01:00Z') });
    const user = await userWithPassword();
    let last = await api.post('/api/v1/auth/login', { json: { email: user.email, password: 'wrong-password-x' } });
    for (let i = 0; i < 10; i++) {
      last = await api.post('/api/v1/auth/login', { json: { email: user.email, password: 'wrong-password-x' } });
    }
    expect([last.status, last.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // The limit's policy and what is left of it, as every limit's refusal names them (docs/api.md).
    expect(last.headers.get('ratelimit-policy')).toBe('"login:account";q=10;w=900');
    expect(last.headers.get('ratelimit')).toBe(`"login:account";r=0;t=${last.headers.get('retry-after')}`);
    const correct = await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } });
    expect(correct.status).toBe(429);

    const ip = ipHeaders('203.0.113.99');
    let fromIp = await api.post('/api/v1/auth/login', { json: { email: uniqueEmail(), password: 'x' }, headers: ip });
    for (let i = 0; i < 30; i++) {
      fromIp = await api.post('/api/v1/auth/login', { json: { email: uniqueEmail(), password: 'x' }, headers: ip });
    }
    expect(fromIp.status).toBe(429);
  });

  it('Should let 35 accounts sign in from one shared address within a minute, and still refuse an 11th wrong password', {
    timeout: 120_000,
  }, async () => {
    // One clinic network: everyone shares its address. A fixed clock keeps it all inside one minute.
    const api = client({ clock: fixedClock('2026-09-03T08:00:30Z') });
    const clinic = ipHeaders('198.51.100.35');
    const patients = await Promise.all(Array.from({ length: 35 }, () => userWithPassword()));
    for (const patient of patients) {
      const res = await api.post('/api/v1/auth/login', {
        json: { email: patient.email, password: STRONG_PASSWORD },
        headers: clinic,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.user.id).toBe(patient.id);
      // The address's failures are read, and its ceiling counted, in the sign-in's one read batch.
      expect(res.headers.get(ROUND_TRIPS_HEADER)).toBe('2');
    }
    const ids = patients.map((p) => p.id);
    const signedIn = await db
      .select({ userId: sessions.userId, ip: sessions.ip })
      .from(sessions)
      .where(inArray(sessions.userId, ids))
      .all();
    expect(signedIn).toHaveLength(35);
    expect(new Set(signedIn.map((s) => s.ip))).toEqual(new Set(['198.51.100.35']));

    // Guessing one account's password from the same address still stops at the per-account limit.
    const target = await userWithPassword();
    const guess = () =>
      api.post('/api/v1/auth/login', { json: { email: target.email, password: 'Wrong-Guess-123!' }, headers: clinic });
    for (let i = 0; i < 10; i++) {
      const wrong = await guess();
      expect(wrong.status).toBe(401);
      // A failure is counted in the same write batch as its audit row.
      expect(wrong.headers.get(ROUND_TRIPS_HEADER)).toBe('2');
    }
    const refused = await guess();
    expect(refused.headers.get(ROUND_TRIPS_HEADER)).toBe('1');
    expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // Stored: the address counted the ten wrong passwords as failures; right ones only under its ceiling.
    const counter = (key: string) =>
      db.select({ count: rateLimits.count }).from(rateLimits).where(eq(rateLimits.key, key)).get();
    expect((await counter('login-failures:ip:198.51.100.35'))?.count).toBe(10);
    expect((await counter('login:ip:198.51.100.35'))?.count).toBe(46);
  });

  it('Should answer malformed JSON and wrong types on login', async () => {
    const bad = await api.post('/api/v1/auth/login', {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_JSON']);
    const types = await api.post('/api/v1/auth/login', { json: { email: 5, password: ['x'] } });
    expect(types.status).toBe(422);
    expect(types.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'password']);
  });
});
