import { eq, like } from 'drizzle-orm';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, oneTimeCodes, rateLimits, sessions, userMfa, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { resetGoogleKeysCache } from '../../../src/modules/auth/google.service';
import {
  type ApiResponse,
  client,
  createSession,
  createUser,
  db,
  recordingFetch,
  tokenFor,
  uniqueEmail,
  uniqueId,
} from '../../helpers';
import {
  ipHeaders,
  latestCode,
  loginTokens,
  STRONG_PASSWORD,
  strongPasswordHash,
  userWithPassword,
} from '../../support/auth';
import { SoftAuthenticator } from '../../support/authenticator';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * The identity module's share of the round-trip budget (docs/architecture.md, docs/identity.md),
 * counted at the DB port, never timed: every sign-in path here makes one read batch (the limits'
 * counters, the account, its second factors, the newest code, the flags it depends on) and one write
 * batch. The one exception is the SMS code send (three, see docs/identity.md). Each test also asserts
 * what the user sees and what was stored, and the rules batching must keep: a refusal changes nothing
 * but its counters, and concurrent answers to one code or challenge still win once.
 */
const START = '2026-07-01T08:00:00Z';
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

function timed() {
  const clock = fixedClock(START);
  return { clock, api: client({ clock }) };
}
type Api = ReturnType<typeof client>;

let ipSeq = 0;
/** A client address of its own per call site, so per-IP limits of one test do not leak into another. */
function freshIp() {
  const ip = `198.18.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}`;
  return { ip, headers: ipHeaders(ip) };
}

const totpAt = (secret: string, now: Date) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: now.getTime(),
  });

const sessionCount = (userId: string) => db.$count(sessions, eq(sessions.userId, userId));
const auditOf = (res: ApiResponse) =>
  db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.requestId, res.body.requestId ?? res.headers.get('x-request-id')))
    .all();
/** A limit whose budget in the current window (START's) is already spent `count` times. */
const spentBudget = (key: string, count: number) =>
  db.insert(rateLimits).values({ key, windowStart: Date.parse(START), count });
const counterRows = (ip: string) =>
  db
    .select()
    .from(rateLimits)
    .where(like(rateLimits.key, `%:${ip}`))
    .all();

/** A password account with TOTP on (and its recovery codes); the clock is moved past the enabling step. */
async function totpUser(api: Api, clock: ReturnType<typeof fixedClock>) {
  const user = await userWithPassword();
  const token = await tokenFor(user, clock.now());
  const setup = await api.post('/api/v1/auth/2fa/totp/setup', { token });
  const secret = setup.body.data.secret as string;
  const enabled = await api.post('/api/v1/auth/2fa/totp/enable', {
    token,
    json: { code: totpAt(secret, clock.now()) },
  });
  expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
  clock.advance(30_000);
  return { user, secret, recoveryCodes: enabled.body.data.recoveryCodes as string[] };
}

async function challengeFor(api: Api, email: string) {
  const res = await api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
  expect([res.status, res.body.error?.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
  return { res, challengeId: res.body.data.challengeId as string };
}

/** A signed-in account with one registered software passkey. */
async function passkeyUser(api: Api, input: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(input);
  const token = await tokenFor(user);
  const authenticator = await SoftAuthenticator.create();
  const options = await api.post('/api/v1/auth/passkeys/register/options', { token });
  const registered = await api.post('/api/v1/auth/passkeys/register/verify', {
    token,
    json: { response: await authenticator.register({ challenge: options.body.data.challenge }) },
  });
  expect(registered.status).toBe(201);
  return { user, token, authenticator };
}

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

  it('Should text a code in three round trips and sign a new number in, creating its account, in two', async () => {
    const { api } = timed();
    const number = `+1415555${String(1000 + Math.floor(Math.random() * 9000))}`;
    const sent = await api.post('/api/v1/auth/otp/send', {
      json: { mobileNumber: number },
      headers: freshIp().headers,
    });
    expect(sent.status).toBe(200);
    // The flag is read before reCAPTCHA, the counters after it, then the code is stored.
    expect(tripsOf(sent)).toBe(3);
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

describe('second factors', () => {
  it('Should answer a TOTP code in two round trips (a wrong one too), and a recovery code in two', async () => {
    const { api, clock } = timed();
    const { user, secret, recoveryCodes } = await totpUser(api, clock);
    const { challengeId } = await challengeFor(api, user.email!);
    const live = totpAt(secret, clock.now());
    const wrong = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId, method: 'totp', code: live === '000000' ? '111111' : '000000' },
      headers: freshIp().headers,
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect(tripsOf(wrong)).toBe(2);
    const ok = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId, method: 'totp', code: live },
      headers: freshIp().headers,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(tripsOf(ok)).toBe(2);
    expect(await sessionCount(user.id)).toBe(2);

    const second = await challengeFor(api, user.email!);
    const recovery = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: second.challengeId, method: 'recovery', code: recoveryCodes[0] },
      headers: freshIp().headers,
    });
    expect(recovery.status, JSON.stringify(recovery.body)).toBe(200);
    expect(tripsOf(recovery)).toBe(2);
    const reused = await challengeFor(api, user.email!);
    const refused = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: reused.challengeId, method: 'recovery', code: recoveryCodes[0] },
    });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'OTP_INVALID']);
  });

  it('Should let only one of two concurrent answers with the same TOTP code sign in', async () => {
    const { api, clock } = timed();
    const { user, secret } = await totpUser(api, clock);
    const { challengeId } = await challengeFor(api, user.email!);
    const code = totpAt(secret, clock.now());
    const answers = await Promise.all(
      [0, 1].map(() => api.post('/api/v1/auth/2fa/verify', { json: { challengeId, method: 'totp', code } })),
    );
    const [winner, ...losers] = [...answers].sort((a, b) => a.status - b.status);
    expect(winner!.status).toBe(200);
    // The loser finds the code's step used (OTP_INVALID) or the challenge consumed (TOKEN_INVALID).
    expect(losers.map((r) => r.body.error?.code)).toEqual([expect.stringMatching(/^(OTP_INVALID|TOKEN_INVALID)$/)]);
    expect(await sessionCount(user.id)).toBe(2); // the enabling token's and the winner's
  });

  it('Should email a 2FA code in two round trips and accept it in two', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    await db.insert(userMfa).values({ userId: user.id, emailOtpEnabledAt: Date.now(), updatedAt: Date.now() });
    const { challengeId } = await challengeFor(api, user.email!);
    const sent = await api.post('/api/v1/auth/2fa/email/send', { json: { challengeId }, headers: freshIp().headers });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(tripsOf(sent)).toBe(2);
    const code = await latestCode(api, user.email!);
    const ok = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId, method: 'email', code },
      headers: freshIp().headers,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(tripsOf(ok)).toBe(2);
  });

  it('Should let a shared address answer 2FA right past the old per-address limit, counting only wrong answers', async () => {
    const { api, clock } = timed();
    const { user, secret } = await totpUser(api, clock);
    // 30 answers already came from this address in the window: the old limit refused the 31st.
    const shared = freshIp();
    await spentBudget(`2fa-verify:ip:${shared.ip}`, 30);
    const first = await challengeFor(api, user.email!);
    const ok = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: first.challengeId, method: 'totp', code: totpAt(secret, clock.now()) },
      headers: shared.headers,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);

    // A wrong answer counts against the address, in the batch that answers it.
    clock.advance(30_000);
    const second = await challengeFor(api, user.email!);
    const live = totpAt(secret, clock.now());
    const wrong = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: second.challengeId, method: 'totp', code: live === '000000' ? '111111' : '000000' },
      headers: shared.headers,
    });
    expect([wrong.status, wrong.body.error.code, tripsOf(wrong)]).toEqual([422, 'OTP_INVALID', 2]);
    expect(
      await db
        .select()
        .from(rateLimits)
        .where(eq(rateLimits.key, `2fa-verify-failures:ip:${shared.ip}`))
        .all(),
    ).toEqual([expect.objectContaining({ count: 1 })]);

    // An address with 30 wrong answers is refused even a right one, in one round trip; the challenge lives on.
    const guesser = freshIp();
    await spentBudget(`2fa-verify-failures:ip:${guesser.ip}`, 30);
    const refused = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: second.challengeId, method: 'totp', code: live },
      headers: guesser.headers,
    });
    expect([refused.status, refused.body.error.code, tripsOf(refused)]).toEqual([429, 'RATE_LIMITED', 1]);
    const elsewhere = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: second.challengeId, method: 'totp', code: live },
      headers: freshIp().headers,
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
  });

  it("Should count answers to a dead challenge against the address only, not the account's 2FA limit", async () => {
    const { api, clock } = timed();
    const { user, secret } = await totpUser(api, clock);
    const { challengeId } = await challengeFor(api, user.email!);
    clock.advance(6 * 60_000);
    const { ip, headers } = freshIp();
    const expired = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId, method: 'totp', code: totpAt(secret, clock.now()) },
      headers,
    });
    expect([expired.status, expired.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
    const accountKey = `2fa-verify:account:${user.id.toLowerCase()}`;
    expect(await db.$count(rateLimits, eq(rateLimits.key, accountKey))).toBe(0);
    expect(await counterRows(ip)).toEqual([expect.objectContaining({ key: `2fa-verify:ip:${ip}`, count: 1 })]);

    const live = await challengeFor(api, user.email!);
    await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId: live.challengeId, method: 'totp', code: '000000' },
      headers,
    });
    expect(await db.select().from(rateLimits).where(eq(rateLimits.key, accountKey)).all()).toEqual([
      expect.objectContaining({ count: 1 }),
    ]);
  });

  it('Should answer a challenge with a passkey: options in two round trips, the assertion in two', async () => {
    const { api } = timed();
    const { user, token, authenticator } = await passkeyUser(api, { passwordHash: await strongPasswordHash() });
    expect((await api.post('/api/v1/auth/2fa/passkey/enable', { token })).status).toBe(200);
    const { challengeId } = await challengeFor(api, user.email!);
    const options = await api.post('/api/v1/auth/2fa/passkey/options', {
      json: { challengeId },
      headers: freshIp().headers,
    });
    expect(options.status).toBe(200);
    expect(tripsOf(options)).toBe(2);
    const response = await authenticator.assert({ challenge: options.body.data.challenge });
    const ok = await api.post('/api/v1/auth/2fa/verify', {
      json: { challengeId, method: 'passkey', response },
      headers: freshIp().headers,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(tripsOf(ok)).toBe(2);
  });
});

describe('passkey sign-in', () => {
  it('Should give options in two round trips and sign in with the assertion in two; a replay is refused once', async () => {
    const { api } = timed();
    const { user, authenticator } = await passkeyUser(api);
    const options = await api.post('/api/v1/auth/passkeys/authenticate/options', {
      json: { email: user.email },
      headers: freshIp().headers,
    });
    expect(options.status).toBe(200);
    expect(tripsOf(options)).toBe(2);
    expect(options.body.data.allowCredentials).toEqual([expect.objectContaining({ id: authenticator.id })]);
    const assertion = await authenticator.assert({ challenge: options.body.data.challenge });
    const answers = await Promise.all(
      [0, 1].map(() =>
        api.post('/api/v1/auth/passkeys/authenticate/verify', {
          json: { response: assertion },
          headers: freshIp().headers,
        }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(tripsOf(answers.find((r) => r.status === 200)!)).toBe(2);
    expect(await sessionCount(user.id)).toBe(2); // the registering token's and the winner's
  });

  it('Should let a shared address sign in with passkeys past the old per-address limit, counting only refused assertions', async () => {
    const { api } = timed();
    const { user, authenticator } = await passkeyUser(api);
    const assertionFor = async () => {
      const options = await api.post('/api/v1/auth/passkeys/authenticate/options', {
        json: { email: user.email },
        headers: freshIp().headers,
      });
      return authenticator.assert({ challenge: options.body.data.challenge });
    };
    // 30 passkey sign-ins already came from this address in the minute: the old limit refused the 31st.
    const shared = freshIp();
    await spentBudget(`passkey-sign-in:ip:${shared.ip}`, 30);
    const assertion = await assertionFor();
    const ok = await api.post('/api/v1/auth/passkeys/authenticate/verify', {
      json: { response: assertion },
      headers: shared.headers,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    // A replay is refused and counted against the address, with its audit row, in two round trips.
    const replay = await api.post('/api/v1/auth/passkeys/authenticate/verify', {
      json: { response: assertion },
      headers: shared.headers,
    });
    expect([replay.status, tripsOf(replay)]).toEqual([401, 2]);
    expect((await auditOf(replay)).map((e) => [e.action, e.outcome])).toEqual([['auth.login', 'failure']]);
    expect(
      await db
        .select()
        .from(rateLimits)
        .where(eq(rateLimits.key, `passkey-sign-in-failures:ip:${shared.ip}`))
        .all(),
    ).toEqual([expect.objectContaining({ count: 1 })]);

    // An address with 30 refused assertions is refused even a right one, and its challenge stays unused.
    const guesser = freshIp();
    await spentBudget(`passkey-sign-in-failures:ip:${guesser.ip}`, 30);
    const fresh = await assertionFor();
    const refused = await api.post('/api/v1/auth/passkeys/authenticate/verify', {
      json: { response: fresh },
      headers: guesser.headers,
    });
    expect([refused.status, refused.body.error.code, tripsOf(refused)]).toEqual([429, 'RATE_LIMITED', 1]);
    const elsewhere = await api.post('/api/v1/auth/passkeys/authenticate/verify', {
      json: { response: fresh },
      headers: freshIp().headers,
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
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

  it('Should set up, enable, regenerate and turn off TOTP, and email codes, in two round trips each', async () => {
    const { api, clock } = timed();
    const user = await userWithPassword();
    const token = await tokenFor(user, clock.now());
    const setup = await api.post('/api/v1/auth/2fa/totp/setup', { token });
    expect(tripsOf(setup)).toBe(2);
    const secret = setup.body.data.secret as string;
    const enabled = await api.post('/api/v1/auth/2fa/totp/enable', {
      token,
      json: { code: totpAt(secret, clock.now()) },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.data.recoveryCodes).toHaveLength(10);
    expect(tripsOf(enabled)).toBe(2);

    const emailSetup = await api.post('/api/v1/auth/2fa/email/setup', { token, headers: freshIp().headers });
    expect(emailSetup.status).toBe(200);
    expect(tripsOf(emailSetup)).toBe(2);
    const emailEnabled = await api.post('/api/v1/auth/2fa/email/enable', {
      token,
      json: { code: await latestCode(api, user.email!) },
    });
    expect(emailEnabled.status, JSON.stringify(emailEnabled.body)).toBe(200);
    expect(tripsOf(emailEnabled)).toBe(2);

    clock.advance(30_000);
    const regenerated = await api.post('/api/v1/auth/2fa/recovery-codes', {
      token,
      json: { factor: { type: 'totp', code: totpAt(secret, clock.now()) } },
    });
    expect(regenerated.status).toBe(200);
    expect(tripsOf(regenerated)).toBe(2);

    clock.advance(30_000);
    const off = await api.post('/api/v1/auth/2fa/disable', {
      token,
      json: { method: 'totp', factor: { type: 'recovery', code: regenerated.body.data.recoveryCodes[0] } },
    });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(tripsOf(off)).toBe(2);
    // The status it answers is the one the write left: email still on, one recovery code used.
    expect(off.body.data).toEqual({ methods: ['email'], recoveryCodesRemaining: 9, totpPending: false });
    const status = await api.get('/api/v1/auth/2fa', { token });
    expect(status.body.data).toEqual(off.body.data);
    expect(tripsOf(status)).toBe(1);
  });

  it('Should count no email-code budget for an account without a verified address', async () => {
    const { api } = timed();
    const user = await createUser();
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, user.id));
    const { ip, headers } = freshIp();
    const res = await api.post('/api/v1/auth/2fa/email/setup', { token: await tokenFor(user), headers });
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(tripsOf(res)).toBe(1);
    expect(await counterRows(ip)).toEqual([]);
    expect(await db.$count(rateLimits, eq(rateLimits.key, `otp-send:target:${user.email}`))).toBe(0);
  });

  it('Should register a passkey and make it a second factor in two round trips each', async () => {
    const { api } = timed();
    const user = await createUser();
    const token = await tokenFor(user);
    const authenticator = await SoftAuthenticator.create();
    const options = await api.post('/api/v1/auth/passkeys/register/options', { token });
    expect(options.status).toBe(200);
    expect(tripsOf(options)).toBe(2);
    const registered = await api.post('/api/v1/auth/passkeys/register/verify', {
      token,
      json: { response: await authenticator.register({ challenge: options.body.data.challenge }) },
    });
    expect(registered.status).toBe(201);
    expect(tripsOf(registered)).toBe(2);
    const enabled = await api.post('/api/v1/auth/2fa/passkey/enable', { token });
    expect(enabled.status).toBe(200);
    expect(enabled.body.data.recoveryCodes).toHaveLength(10);
    expect(tripsOf(enabled)).toBe(2);
    expect(await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get()).toMatchObject({
      passkeyEnabledAt: expect.any(Number),
    });
  });
});
