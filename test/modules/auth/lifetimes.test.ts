import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { oneTimeCodes, refreshTokens, systemSettings } from '../../../src/db/schema';
import { type client, createUser, db, signedInUser, tokenFor, uniqueEmail, uniqueMobile } from '../../helpers';
import { latestCode, STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { ipSequence, timed, totpUser } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * Token and code lifetimes as settings (docs/identity.md#tokens-codes-and-passwords): a superadmin sets
 * them within their bounds, and every token or code issued afterwards carries the new lifetime, seen
 * through HTTP on the injected clock (never slept).
 */
const freshIp = ipSequence(40);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const SETTINGS = '/api/v1/superadmin/settings';

type Api = ReturnType<typeof client>;

afterEach(async () => {
  await resetSettings();
});

/** The newest message the dev outbox holds for `recipient`. */
async function latestMessage(api: Api, recipient: string): Promise<{ subject: string | null; body: string }> {
  const res = await api.get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}&limit=1`, {
    env: { ENVIRONMENT: 'development' },
  });
  return res.body.data.items[0];
}

const login = (api: Api, email: string) =>
  api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD }, headers: freshIp().headers });

describe('the lifetime settings', () => {
  it('Should list the three lifetimes with today’s values as defaults', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const res = await timed().api.get(`${SETTINGS}?limit=100`, { token });
    const byKey = new Map(res.body.data.items.map((s: any) => [s.key, s]));
    expect(byKey.get('auth.accessTokenTtlMinutes')).toMatchObject({ value: 15, default: 15, type: 'number' });
    expect(byKey.get('auth.refreshTokenTtlDays')).toMatchObject({ value: 30, default: 30, type: 'number' });
    expect(byKey.get('auth.otpTtlMinutes')).toMatchObject({ value: 10, default: 10, type: 'number' });
  });

  it('Should refuse a lifetime outside its bounds, a fraction or another type with 422 on "value", storing nothing', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const { api } = timed();
    const cases: [string, unknown, string][] = [
      ['auth.accessTokenTtlMinutes', 4, 'must be at least 5'],
      ['auth.accessTokenTtlMinutes', 61, 'must be at most 60'],
      ['auth.accessTokenTtlMinutes', 7.5, 'must be a whole number'],
      ['auth.refreshTokenTtlDays', 0, 'must be at least 1'],
      ['auth.refreshTokenTtlDays', 91, 'must be at most 90'],
      ['auth.refreshTokenTtlDays', '30', 'must be a number'],
      ['auth.otpTtlMinutes', 1, 'must be at least 2'],
      ['auth.otpTtlMinutes', 11, 'must be at most 10'],
      ['auth.otpTtlMinutes', null, 'must be a number'],
    ];
    for (const [key, value, message] of cases) {
      const res = await api.put(`${SETTINGS}/${key}`, { token, json: { value } });
      expect([res.status, res.body.error?.code, res.body.errors], `${key} = ${value}`).toEqual([
        422,
        'VALIDATION_FAILED',
        [{ field: 'value', message }],
      ]);
    }
    expect(await db.$count(systemSettings)).toBe(0);
    // A user who signs in meanwhile still gets the default lifetime.
    const user = await userWithPassword();
    expect((await login(api, user.email!)).body.data.tokens.expiresIn).toBe(900);
  });

  it('Should refuse every role but superadmin', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const res = await timed().api.put(`${SETTINGS}/auth.otpTtlMinutes`, { token, json: { value: 5 } });
    expect(res.status).toBe(403);
    expect(await db.$count(systemSettings)).toBe(0);
  });
});

describe('access token lifetime', () => {
  it('Should sign tokens for 15 minutes by default, and for the set lifetime once set', async () => {
    const { api, clock } = timed();
    const user = await userWithPassword();
    const before = (await login(api, user.email!)).body.data.tokens;
    const claims = decodeJwt(before.accessToken);
    expect([before.expiresIn, claims.exp! - claims.iat!]).toEqual([900, 900]);

    await setSetting('auth.accessTokenTtlMinutes', 5);
    const after = (await login(api, user.email!)).body.data.tokens;
    const short = decodeJwt(after.accessToken);
    expect([after.expiresIn, short.exp! - short.iat!]).toEqual([300, 300]);
    expect(short.iat).toBe(clock.now().getTime() / 1000);

    clock.advance(5 * MINUTE - 1000);
    expect((await api.get('/api/v1/users/me', { token: after.accessToken })).status).toBe(200);
    clock.advance(1000);
    const expired = await api.get('/api/v1/users/me', { token: after.accessToken });
    expect([expired.status, expired.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
    // A token issued before the change keeps its own expiry.
    expect((await api.get('/api/v1/users/me', { token: before.accessToken })).status).toBe(200);

    // A refresh issues the new lifetime too.
    const refreshed = await api.post('/api/v1/auth/refresh', { json: { refreshToken: after.refreshToken } });
    expect(refreshed.status).toBe(200);
    const again = decodeJwt(refreshed.body.data.tokens.accessToken);
    expect([refreshed.body.data.tokens.expiresIn, again.exp! - again.iat!]).toEqual([300, 300]);
  });

  it('Should give a second-factor sign-in and a password change the set lifetime', async () => {
    const { api, clock } = timed();
    const { user, recoveryCodes } = await totpUser(api, clock);
    await setSetting('auth.accessTokenTtlMinutes', 60);
    const challenge = await login(api, user.email!);
    expect(challenge.body.error.code).toBe('TWO_FACTOR_REQUIRED');
    const verified = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: challenge.body.data.challengeId, method: 'recovery', code: recoveryCodes[0] },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.data.tokens.expiresIn).toBe(3600);

    const changed = await api.post('/api/v1/auth/password/change', {
      token: verified.body.data.tokens.accessToken,
      json: { currentPassword: STRONG_PASSWORD, newPassword: 'Quiet-Meadow-Lantern-7' },
    });
    expect(changed.status).toBe(200);
    const claims = decodeJwt(changed.body.data.tokens.accessToken);
    expect([changed.body.data.tokens.expiresIn, claims.exp! - claims.iat!]).toEqual([3600, 3600]);
  });
});

describe('refresh token lifetime', () => {
  it('Should store refresh tokens for 30 days by default and end an unrefreshed session after the set days', async () => {
    const { api, clock } = timed();
    const user = await userWithPassword();
    const byDefault = (await login(api, user.email!)).body.data.tokens;
    const storedExpiry = async (token: string) => {
      const hash = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))))
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
      const row = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).get();
      return row!.expiresAt - row!.issuedAt;
    };
    expect(await storedExpiry(byDefault.refreshToken)).toBe(30 * DAY);

    await setSetting('auth.refreshTokenTtlDays', 1);
    const tokens = (await login(api, user.email!)).body.data.tokens;
    expect(await storedExpiry(tokens.refreshToken)).toBe(DAY);

    // Refreshed within the day: the new token lasts a day from now.
    clock.advance(DAY - MINUTE);
    const refreshed = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body.data.tokens.refreshToken as string;
    expect(await storedExpiry(next)).toBe(DAY);

    // Not refreshed for a day: the session is over.
    clock.advance(DAY);
    const late = await api.post('/api/v1/auth/refresh', { json: { refreshToken: next } });
    expect([late.status, late.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
    // The token issued before the change keeps its 30 days.
    const old = await api.post('/api/v1/auth/refresh', { json: { refreshToken: byDefault.refreshToken } });
    expect(old.status).toBe(200);
  });
});

describe('one-time code lifetime', () => {
  it('Should send sign-in codes for the set minutes: the answer, the message and the check agree', async () => {
    const { api, clock } = timed();
    const user = await createUser({ email: uniqueEmail('otp-ttl') });
    await setSetting('auth.otpTtlMinutes', 2);
    const send = () => api.post('/api/v1/auth/otp/send', { json: { email: user.email }, headers: freshIp().headers });

    const sent = await send();
    expect(sent.body.data).toEqual({ channel: 'email', expiresIn: 120, resendAfter: 60 });
    expect((await latestMessage(api, user.email!)).body).toContain('It expires in 2 minutes.');
    const late = await latestCode(api, user.email!);
    clock.advance(2 * MINUTE);
    const expired = await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: late } });
    expect([expired.status, expired.body.error.code]).toEqual([422, 'OTP_EXPIRED']);

    expect((await send()).status).toBe(200);
    const inTime = await latestCode(api, user.email!);
    clock.advance(2 * MINUTE - 1000);
    const ok = await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: inTime } });
    expect(ok.status).toBe(200);
  });

  it('Should keep a code sent before the change to its own expiry', async () => {
    const { api, clock } = timed();
    const user = await createUser({ email: uniqueEmail('otp-before') });
    const sent = await api.post('/api/v1/auth/otp/send', { json: { email: user.email }, headers: freshIp().headers });
    expect(sent.body.data.expiresIn).toBe(600);
    expect((await latestMessage(api, user.email!)).body).toContain('It expires in 10 minutes.');
    const code = await latestCode(api, user.email!);
    await setSetting('auth.otpTtlMinutes', 2);
    clock.advance(9 * MINUTE);
    expect((await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: code } })).status).toBe(200);
  });

  it('Should give every code flow the set lifetime in its answer and its stored expiry', async () => {
    const { api, clock } = timed();
    await setSetting('auth.otpTtlMinutes', 5);
    const lifetimeOf = async (target: string) => {
      const row = await db.select().from(oneTimeCodes).where(eq(oneTimeCodes.target, target)).get();
      return row!.expiresAt - row!.createdAt;
    };

    const email = uniqueEmail('reg');
    const registered = await api.post('/api/v1/auth/register', {
      json: { email, password: 'Tulip-Harbor-42-x', name: 'Reg Istered' },
      headers: freshIp().headers,
    });
    expect(registered.body.data.verification).toEqual({ expiresIn: 300, resendAfter: 60 });
    expect(await lifetimeOf(email)).toBe(5 * MINUTE);

    const number = uniqueMobile();
    const sms = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: number }, headers: freshIp().headers });
    expect(sms.body.data).toEqual({ channel: 'sms', expiresIn: 300, resendAfter: 60 });
    expect((await latestMessage(api, number)).body).toContain('It expires in 5 minutes.');
    expect(await lifetimeOf(number)).toBe(5 * MINUTE);

    const user = await userWithPassword();
    const forgot = await api.post('/api/v1/auth/password/forgot', {
      json: { email: user.email },
      headers: freshIp().headers,
    });
    expect(forgot.body.data).toEqual({ expiresIn: 300, resendAfter: 60 });

    const token = await tokenFor(user, clock.now());
    const setup = await api.post('/api/v1/auth/2fa/email/setup', { token, headers: freshIp().headers });
    expect(setup.body.data).toEqual({ expiresIn: 300, resendAfter: 60 });
    expect(await lifetimeOf(user.id)).toBe(5 * MINUTE);

    const newNumber = uniqueMobile();
    const mobile = await api.post('/api/v1/users/me/mobile', {
      token,
      json: { mobileNumber: newNumber, password: STRONG_PASSWORD },
    });
    expect(mobile.body.data).toEqual({ expiresIn: 300, resendAfter: 60 });
    expect((await latestMessage(api, newNumber)).body).toContain('It expires in 5 minutes.');

    const otpOnly = await createUser({ email: uniqueEmail('deletion') });
    const deletion = await api.post('/api/v1/users/me/deletion-code', { token: await tokenFor(otpOnly, clock.now()) });
    expect(deletion.body.data).toEqual({ channel: 'email', expiresIn: 300, resendAfter: 60 });
    expect(await lifetimeOf(otpOnly.id)).toBe(5 * MINUTE);
  });
});
