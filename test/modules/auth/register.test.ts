import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueEmail } from '../../helpers';
import { latestCode, STRONG_PASSWORD } from '../../support/auth';

const api = client();

const registration = (overrides: Record<string, unknown> = {}) => ({
  email: uniqueEmail('reg'),
  password: STRONG_PASSWORD,
  name: 'Pat Patient',
  ...overrides,
});

describe('register and verify email', () => {
  it('Should register a patient, email a code, refuse password sign-in until verified, then sign in', async () => {
    const input = registration({ mobileNumber: '+1 (415) 555-0142', email: uniqueEmail('Reg').toUpperCase() });
    const res = await api.post('/api/v1/auth/register', { json: input });
    expect(res.status).toBe(201);
    const email = input.email.toLowerCase();
    expect(res.body.data.user).toMatchObject({ email, role: 'user', status: 'active', emailVerified: false });
    expect(res.body.data.user).not.toHaveProperty('passwordHash');
    const row = await db.select().from(users).where(eq(users.email, email)).get();
    expect(row?.mobileNumber).toBe('+14155550142');
    expect(row?.passwordHash).toMatch(/^scrypt\$16384\$8\$5\$/);

    const early = await api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
    expect([early.status, early.body.error.code]).toEqual([403, 'EMAIL_NOT_VERIFIED']);

    const code = await latestCode(api, email);
    const verified = await api.post('/api/v1/auth/verify-email', { json: { email, otp: code } });
    expect(verified.status).toBe(200);
    expect(verified.body.data.user.emailVerified).toBe(true);
    const me = await api.get('/api/v1/users/me', { token: verified.body.data.tokens.accessToken });
    expect(me.body.data.user.id).toBe(row!.id);
    const login = await api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
    expect(login.status).toBe(200);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.actorId, row!.id)).all();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['auth.register', 'auth.email_verified', 'auth.login']),
    );
  });

  it('Should start doctors and caregivers pending: they sign in but cannot act in their role', async () => {
    for (const role of ['doctor', 'caregiver'] as const) {
      const input = registration({ role });
      const res = await api.post('/api/v1/auth/register', { json: input });
      expect(res.body.data.user).toMatchObject({ role, status: 'pending', verifiedAt: null });
      const code = await latestCode(api, input.email as string);
      const signIn = await api.post('/api/v1/auth/verify-email', { json: { email: input.email, otp: code } });
      const token = signIn.body.data.tokens.accessToken;
      expect((await api.get('/api/v1/users/me', { token })).body.data.user.status).toBe('pending');
      const roleRoute = await api.get('/api/v1/audit-events', { token });
      expect(roleRoute.status).toBe(403);
    }
  });

  it('Should never self-register admin, receptionist or superadmin', async () => {
    for (const role of ['admin', 'receptionist', 'superadmin']) {
      const input = registration({ role });
      const res = await api.post('/api/v1/auth/register', { json: input });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('role');
      expect(await db.$count(users, eq(users.email, input.email as string))).toBe(0);
    }
  });

  it('Should refuse weak passwords with field errors and store nothing', async () => {
    const email = uniqueEmail('weakling');
    for (const password of ['short1!', 'password123', `${email.split('@')[0]}-2026`, 'aaaaaaaaaaaa']) {
      const res = await api.post('/api/v1/auth/register', { json: registration({ email, password }) });
      expect(res.status, password).toBe(422);
      expect(res.body.errors[0].field).toBe('password');
    }
    expect(await db.$count(users, eq(users.email, email))).toBe(0);
  });

  it('Should answer bad input: missing fields, bad email, bad number, wrong types, duplicates', async () => {
    const missing = await api.post('/api/v1/auth/register', { json: { email: uniqueEmail() } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'password']);
    const badEmail = await api.post('/api/v1/auth/register', { json: registration({ email: 'not-an-email' }) });
    expect(badEmail.body.errors[0].field).toBe('email');
    const badNumber = await api.post('/api/v1/auth/register', { json: registration({ mobileNumber: '12' }) });
    expect([badNumber.status, badNumber.body.errors[0].field]).toEqual([422, 'mobileNumber']);
    const wrongType = await api.post('/api/v1/auth/register', { json: registration({ name: 42 }) });
    expect(wrongType.status).toBe(422);
    const first = registration();
    expect((await api.post('/api/v1/auth/register', { json: first })).status).toBe(201);
    const again = await api.post('/api/v1/auth/register', { json: { ...first, name: 'Someone Else' } });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(users, eq(users.email, first.email as string))).toBe(1);
  });

  it('Should answer an oversized body with 413 and a non-JSON body with 415', async () => {
    const big = await api.post('/api/v1/auth/register', { json: registration({ name: 'x'.repeat(1_100_000) }) });
    expect([big.status, big.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const form = await api.post('/api/v1/auth/register', {
      body: 'email=a@b.c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.status, form.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('Should expire verification codes, limit wrong tries, and rate-limit resends', async () => {
    const clock = fixedClock('2026-07-01T08:00:00Z');
    const timed = client({ clock });
    const input = registration();
    const email = input.email as string;
    await timed.post('/api/v1/auth/register', { json: input });
    const code = await latestCode(timed, email);
    const resend = await timed.post('/api/v1/auth/verify-email/resend', { json: { email } });
    expect([resend.status, resend.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(resend.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(11 * 60_000);
    const expired = await timed.post('/api/v1/auth/verify-email', { json: { email, otp: code } });
    expect([expired.status, expired.body.error.code]).toEqual([422, 'OTP_EXPIRED']);
    expect((await timed.post('/api/v1/auth/verify-email/resend', { json: { email } })).status).toBe(200);
    const fresh = await latestCode(timed, email);
    const wrong = fresh === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const res = await timed.post('/api/v1/auth/verify-email', { json: { email, otp: wrong } });
      expect(res.body.error.code).toBe('OTP_INVALID');
    }
    const fifth = await timed.post('/api/v1/auth/verify-email', { json: { email, otp: wrong } });
    expect([fifth.status, fifth.body.error.code]).toEqual([429, 'OTP_MAX_ATTEMPTS']);
    const afterBurn = await timed.post('/api/v1/auth/verify-email', { json: { email, otp: fresh } });
    expect(afterBurn.body.error.code).toBe('OTP_MAX_ATTEMPTS');
    expect((await db.select().from(users).where(eq(users.email, email)).get())?.emailVerifiedAt).toBeNull();
  });
});
