import { eq } from 'drizzle-orm';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { oneTimeCodes, rateLimits, sessions, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { resetGoogleKeysCache } from '../../../src/modules/auth/google.service';
import { client, createSession, createUser, db, recordingFetch, tokenFor, uniqueEmail, uniqueId } from '../../helpers';
import { latestCode, loginTokens, STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { facebookGraph } from '../../support/facebook';
import {
  auditOf,
  challengeFor,
  counterRows,
  ipSequence,
  START,
  sessionCount,
  spentBudget,
  timed,
  totpUser,
  tripsOf,
} from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * The identity module's share of the round-trip budget (docs/architecture.md, docs/identity.md),
 * counted at the DB port, never timed: every sign-in path here makes one read batch (the limits'
 * counters, the account, its second factors, the newest code, the flags it depends on) and one write
 * batch. The exceptions are the SMS code send and a Facebook sign-in (three, see docs/identity.md).
 * Each test also asserts what the user sees and what was stored, and the rules batching must keep: a
 * refusal changes nothing but its counters, and concurrent answers to one code or challenge still win
 * once. Second factors and passkeys: second-factor-round-trips.test.ts.
 */
const freshIp = ipSequence(18);

describe('password sign-in and sessions', () => {
  it('Should sign in with a password in two round trips, and refuse a wrong one in two', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const ok = await api.post('/api/v1/auth/login', {
      json: { email: user.email, password: STRONG_PASSWORD },
      headers: freshIp().headers,
    });
    expect(ok.status).toBe(200);
    expect(tripsOf(ok)).toBe(2);
    expect(await sessionCount(user.id)).toBe(1);

    const wrong = await api.post('/api/v1/auth/login', {
      json: { email: user.email, password: 'Not-The-Password-1' },
      headers: freshIp().headers,
    });
    const unknown = await api.post('/api/v1/auth/login', {
      json: { email: uniqueEmail('ghost'), password: 'Not-The-Password-1' },
      headers: freshIp().headers,
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect([tripsOf(wrong), tripsOf(unknown)]).toEqual([2, 2]);
    expect((await auditOf(wrong)).map((e) => [e.action, e.outcome])).toEqual([['auth.login', 'failure']]);
  });

  it('Should answer a 2FA account with its challenge in two round trips', async () => {
    const { api, clock } = timed();
    const { user } = await totpUser(api, clock);
    const { res } = await challengeFor(api, user.email!);
    expect(res.body.data.methods).toEqual(['totp', 'recovery']);
    expect(tripsOf(res)).toBe(2);
    expect(await sessionCount(user.id)).toBe(1); // the enabling token's session only
  });

  it('Should refresh in two round trips, end a reused token in two, and log out in one', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const tokens = await loginTokens(api, user.email!);
    const refresh = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect(refresh.status).toBe(200);
    expect(tripsOf(refresh)).toBe(2);
    const reuse = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect([reuse.status, reuse.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    expect(tripsOf(reuse)).toBe(2);

    const current = await loginTokens(api, user.email!);
    const logout = await api.post('/api/v1/auth/logout', { token: current.accessToken });
    expect(logout.status).toBe(200);
    expect(tripsOf(logout)).toBe(1);
    expect((await api.get('/api/v1/users/me', { token: current.accessToken })).status).toBe(401);

    const other = await loginTokens(api, user.email!);
    const everywhere = await api.post('/api/v1/auth/logout-all', { token: other.accessToken });
    expect(everywhere.status).toBe(200);
    expect(tripsOf(everywhere)).toBe(1);
    expect((await api.get('/api/v1/users/me', { token: other.accessToken })).status).toBe(401);
  });
});

describe('sign-in limits, counted in the read batch', () => {
  it('Should refuse a sign-in over its limit in one round trip, storing nothing but the counter', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    await spentBudget(`login:account:${user.email}`, 10);
    const limited = await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } });
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(tripsOf(limited)).toBe(1);
    expect(await sessionCount(user.id)).toBe(0);
    expect(await auditOf(limited)).toEqual([]);
    expect(
      await db
        .select()
        .from(rateLimits)
        .where(eq(rateLimits.key, `login:account:${user.email}`))
        .get(),
    ).toMatchObject({ count: 11 });
  });

  it('Should spend no account budget on attempts refused for their address, as when limits were hit one by one', async () => {
    const { api } = timed();
    const { ip, headers } = freshIp();
    // The address reached its wrong passwords: refused, even its ceiling counts nothing more.
    await spentBudget(`login-failures:ip:${ip}`, 30);
    const email = uniqueEmail('victim');
    const refused = await api.post('/api/v1/auth/login', { json: { email, password: 'x' }, headers });
    expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(tripsOf(refused)).toBe(1);
    expect(await db.$count(rateLimits, eq(rateLimits.key, `login:account:${email}`))).toBe(0);
    expect(await counterRows(ip)).toEqual([expect.objectContaining({ key: `login-failures:ip:${ip}`, count: 30 })]);
  });

  it('Should count nothing for a sign-in method that is turned off', async () => {
    const { api } = timed();
    const sms = freshIp();
    const passkey = freshIp();
    try {
      await setSetting('features.smsSignIn', false);
      await setSetting('features.passkeys', false);
      const verify = await api.post('/api/v1/auth/otp/verify', {
        json: { mobileNumber: '+14155550188', otp: '123456' },
        headers: sms.headers,
      });
      expect([verify.status, verify.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(tripsOf(verify)).toBe(1);
      const options = await api.post('/api/v1/auth/passkeys/authenticate/options', {
        json: {},
        headers: passkey.headers,
      });
      expect([options.status, options.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(tripsOf(options)).toBe(1);
      expect([...(await counterRows(sms.ip)), ...(await counterRows(passkey.ip))]).toEqual([]);
    } finally {
      await resetSettings();
    }
  });
});

describe('one-time codes', () => {
  it('Should send an email code in two round trips and sign in with it in two', async () => {
    const { api } = timed();
    const user = await createUser({ email: uniqueEmail('otp') });
    const sent = await api.post('/api/v1/auth/otp/send', { json: { email: user.email }, headers: freshIp().headers });
    expect(sent.status).toBe(200);
    expect(tripsOf(sent)).toBe(2);
    const code = await latestCode(api, user.email!);
    const wrong = await api.post('/api/v1/auth/otp/verify', {
      json: { email: user.email, otp: code === '000000' ? '111111' : '000000' },
      headers: freshIp().headers,
    });
    expect([wrong.status, wrong.body.error.code, wrong.body.error.details]).toEqual([
      422,
      'OTP_INVALID',
      { attemptsLeft: 4 },
    ]);
    expect(tripsOf(wrong)).toBe(2);
    expect((await auditOf(wrong)).map((e) => [e.action, e.outcome, e.metadata])).toEqual([
      ['auth.otp_verify', 'failure', { purpose: 'login-email', code: 'OTP_INVALID' }],
    ]);
    const res = await api.post('/api/v1/auth/otp/verify', {
      json: { email: user.email, otp: code },
      headers: freshIp().headers,
    });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(2);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('Should text a code in two round trips and sign a new number in, creating its account, in two', async () => {
    const { api } = timed();
    const number = `+1415555${String(1000 + Math.floor(Math.random() * 9000))}`;
    const sent = await api.post('/api/v1/auth/otp/send', {
      json: { mobileNumber: number },
      headers: freshIp().headers,
    });
    expect(sent.status).toBe(200);
    // The flag and the counters in one read batch (before reCAPTCHA), then the code is stored.
    expect(tripsOf(sent)).toBe(2);
    const code = await latestCode(api, number);
    const res = await api.post('/api/v1/auth/otp/verify', {
      json: { mobileNumber: number, otp: code },
      headers: freshIp().headers,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    const [account, ...more] = await db.select().from(users).where(eq(users.mobileNumber, number)).all();
    expect(more).toEqual([]);
    expect(account).toMatchObject({ id: res.body.data.user.id, role: 'user', status: 'active' });
    expect((await auditOf(res)).map((e) => e.action).sort()).toEqual(['auth.login', 'auth.register']);
  });

  it('Should let only one of two concurrent answers with the same code sign in; the other is refused and audited', async () => {
    const { api } = timed();
    const user = await createUser({ email: uniqueEmail('race') });
    await api.post('/api/v1/auth/otp/send', { json: { email: user.email } });
    const code = await latestCode(api, user.email!);
    const answers = await Promise.all(
      [0, 1].map(() => api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: code } })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 422]);
    const loser = answers.find((r) => r.status === 422)!;
    expect(loser.body.error.code).toBe('OTP_INVALID');
    expect((await auditOf(loser)).map((e) => [e.action, e.outcome])).toEqual([['auth.otp_verify', 'failure']]);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('Should register in two round trips, verify the email in two, and resend in two', async () => {
    const { api, clock } = timed();
    const email = uniqueEmail('reg');
    const reg = await api.post('/api/v1/auth/register', {
      json: { email, password: STRONG_PASSWORD, name: 'Reg Ister' },
      headers: freshIp().headers,
    });
    expect(reg.status).toBe(201);
    expect(tripsOf(reg)).toBe(2);
    const again = await api.post('/api/v1/auth/register', {
      json: { email, password: STRONG_PASSWORD, name: 'Reg Ister' },
      headers: freshIp().headers,
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(users, eq(users.email, email))).toBe(1);

    clock.advance(61_000);
    const resend = await api.post('/api/v1/auth/verify-email/resend', { json: { email }, headers: freshIp().headers });
    expect(resend.status).toBe(200);
    expect(tripsOf(resend)).toBe(2);
    const code = await latestCode(api, email);
    const verified = await api.post('/api/v1/auth/verify-email', {
      json: { email, otp: code },
      headers: freshIp().headers,
    });
    expect(verified.status).toBe(200);
    expect(tripsOf(verified)).toBe(2);
    expect(verified.body.data.user).toMatchObject({ email, emailVerified: true });
  });

  it('Should email a reset code in two round trips and reset the password in two, ending every session', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const old = await tokenFor(user);
    const forgot = await api.post('/api/v1/auth/password/forgot', {
      json: { email: user.email },
      headers: freshIp().headers,
    });
    expect(forgot.status).toBe(200);
    expect(tripsOf(forgot)).toBe(2);
    const code = await latestCode(api, user.email!);
    const reset = await api.post('/api/v1/auth/password/reset', {
      json: { email: user.email, otp: code, newPassword: 'Another-Strong-77!' },
      headers: freshIp().headers,
    });
    expect(reset.status).toBe(200);
    expect(tripsOf(reset)).toBe(2);
    expect((await api.get('/api/v1/users/me', { token: old })).status).toBe(401);
    expect(
      (await api.post('/api/v1/auth/login', { json: { email: user.email, password: 'Another-Strong-77!' } })).status,
    ).toBe(200);
    const codes = await db.select().from(oneTimeCodes).where(eq(oneTimeCodes.target, user.email!)).all();
    expect(codes.every((c) => c.consumedAt !== null)).toBe(true);
  });
});

describe('Google sign-in', () => {
  afterEach(resetGoogleKeysCache);

  async function google() {
    const clock = fixedClock(START);
    const kid = uniqueId('kid');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const certs = recordingFetch(() =>
      Response.json({ keys: [jwk] }, { headers: { 'cache-control': 'max-age=3600' } }),
    );
    const api = client({ clock, fetch: certs.fetch });
    const idToken = (account: { sub: string; email: string }) => {
      const iat = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT({ email: account.email, email_verified: true, name: 'Grace Google' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer('https://accounts.google.com')
        .setAudience('kinwell-dev.apps.googleusercontent.com')
        .setSubject(account.sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(privateKey);
    };
    const signIn = async (account: { sub: string; email: string }) =>
      api.post('/api/v1/auth/google', { json: { idToken: await idToken(account) }, headers: freshIp().headers });
    return { signIn, api };
  }
  const account = () => ({ sub: String(100_000_000_000 + Math.floor(Math.random() * 1e11)), email: uniqueEmail('g') });

  it('Should create an account, sign it in again, and link an existing one, in two round trips each', async () => {
    const g = await google();
    const fresh = account();
    const created = await g.signIn(fresh);
    expect(created.status).toBe(200);
    expect(tripsOf(created)).toBe(2);
    const again = await g.signIn(fresh);
    expect(again.status).toBe(200);
    expect(again.body.data.user.id).toBe(created.body.data.user.id);
    expect(tripsOf(again)).toBe(2);

    const unverified = await createUser({ email: uniqueEmail('squat'), passwordHash: 'scrypt$unproven' });
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, unverified.id));
    const before = await createSession(unverified.id);
    const linked = await g.signIn({ sub: `${fresh.sub}7`, email: unverified.email! });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    expect(tripsOf(linked)).toBe(2);
    expect(linked.body.data.user).toMatchObject({ id: unverified.id, emailVerified: true, hasPassword: false });
    expect(await db.select().from(sessions).where(eq(sessions.id, before)).get()).toMatchObject({
      revokedReason: 'google-link',
    });
    // The new session carries the token version the link bumped.
    const me = await g.api.get('/api/v1/users/me', { token: linked.body.data.tokens.accessToken });
    expect(me.status).toBe(200);
  });

  it('Should refuse a malformed token in two round trips, audited, creating nothing', async () => {
    const g = await google();
    const res = await g.api.post('/api/v1/auth/google', {
      json: { idToken: 'not-a-jwt' },
      headers: freshIp().headers,
    });
    expect([res.status, res.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    expect(tripsOf(res)).toBe(2);
    expect((await auditOf(res)).map((e) => [e.action, e.outcome, e.metadata])).toEqual([
      ['auth.login', 'failure', { method: 'google', reason: 'malformed' }],
    ]);
  });
});

describe('Facebook sign-in', () => {
  afterEach(resetSettings);

  async function facebook() {
    await setSetting('features.facebookSignIn', true);
    const clock = fixedClock(START);
    const graph = facebookGraph(clock);
    const api = client({ clock, fetch: graph.fetch });
    const signIn = (accessToken: string) =>
      api.post('/api/v1/auth/facebook', { json: { accessToken }, headers: freshIp().headers });
    return { graph, api, signIn };
  }

  it('Should create an account and sign it in again in three round trips: the user is known only once Facebook answered', async () => {
    const f = await facebook();
    const fb = f.graph.token();
    const created = await f.signIn(fb.accessToken);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(tripsOf(created)).toBe(3);
    const again = await f.signIn(fb.accessToken);
    expect(again.status).toBe(200);
    expect(again.body.data.user.id).toBe(created.body.data.user.id);
    expect(tripsOf(again)).toBe(3);
    expect(await sessionCount(created.body.data.user.id)).toBe(2);
  });

  it('Should refuse a token in two round trips, audited, and a turned-off sign-in in one', async () => {
    const f = await facebook();
    const refused = await f.signIn('EAAnobodyKnowsThisToken');
    expect([refused.status, refused.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    expect(tripsOf(refused)).toBe(2);
    expect((await auditOf(refused)).map((e) => [e.action, e.outcome, e.metadata])).toEqual([
      ['auth.login', 'failure', { method: 'facebook', reason: 'invalid' }],
    ]);
    await setSetting('features.facebookSignIn', false);
    const off = await f.signIn(f.graph.token().accessToken);
    expect([off.status, tripsOf(off)]).toEqual([403, 1]);
  });
});

describe('signed-in identity changes', () => {
  it('Should change the password in two round trips: old tokens fail, the new pair works', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const before = await loginTokens(api, user.email!);
    const res = await api.post('/api/v1/auth/password/change', {
      token: before.accessToken,
      json: { currentPassword: STRONG_PASSWORD, newPassword: 'Another-Strong-77!' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(tripsOf(res)).toBe(2);
    expect((await api.get('/api/v1/users/me', { token: before.accessToken })).status).toBe(401);
    expect((await api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken })).status).toBe(200);
  });
});
