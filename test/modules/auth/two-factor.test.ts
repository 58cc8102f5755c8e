import { and, eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { auditEvents, loginChallenges, recoveryCodes, userMfa, users } from '../../../src/db/schema';
import { type Clock, fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, tokenFor } from '../../helpers';
import { latestCode, STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { SoftAuthenticator } from '../../support/authenticator';

type Api = ReturnType<typeof client>;
type TestClock = ReturnType<typeof fixedClock>;

const START = '2026-07-01T08:00:00Z';
const STEP = 30_000;
const BASE = '/api/v1/auth/2fa';
const RECOVERY_FORMAT = /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{2}$/;

function timed() {
  const clock = fixedClock(START);
  return { clock, api: client({ clock }) };
}

/** The code an authenticator app shows at the clock's time. */
const totpAt = (secret: string, clock: Clock, offsetMs = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: clock.now().getTime() + offsetMs,
  });

/** A 6-digit code that is valid for none of the steps the server accepts now. */
function wrongTotp(secret: string, clock: Clock): string {
  const live = new Set([-STEP, 0, STEP].map((offset) => totpAt(secret, clock, offset)));
  return ['000000', '111111', '222222', '333333'].find((code) => !live.has(code))!;
}

async function passwordUser(clock: Clock) {
  const user = await userWithPassword();
  return { user, email: user.email!, token: await tokenFor(user, clock.now()) };
}

/** A password account with TOTP on; the clock is moved past the step the enabling code used. */
async function totpUser(api: Api, clock: TestClock) {
  const account = await passwordUser(clock);
  const setup = await api.post(`${BASE}/totp/setup`, { token: account.token });
  expect(setup.status, JSON.stringify(setup.body)).toBe(200);
  const secret = setup.body.data.secret as string;
  const enabled = await api.post(`${BASE}/totp/enable`, {
    token: account.token,
    json: { code: totpAt(secret, clock) },
  });
  expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
  clock.advance(STEP);
  return { ...account, secret, recoveryCodes: enabled.body.data.recoveryCodes as string[] };
}

async function login(api: Api, email: string) {
  return api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
}

/** Signs in with the password and returns the 2FA challenge it answers with. */
async function challengeFor(api: Api, email: string, methods?: string[]) {
  const res = await login(api, email);
  expect([res.status, res.body.error?.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
  expect(res.body.data.challengeId).toMatch(/^chl_[0-9A-Z]{26}$/);
  if (methods) expect(res.body.data.methods).toEqual(methods);
  return res.body.data.challengeId as string;
}

const verify = (api: Api, json: Record<string, unknown>) => api.post(`${BASE}/verify`, { json });

async function auditActions(userId: string) {
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, userId)).all();
  return rows.map((row) => `${row.action}:${row.outcome}`);
}

describe('two-factor: TOTP', () => {
  it('Should set up TOTP with an encrypted pending secret, enable it with a code and issue hashed recovery codes', async () => {
    const { clock, api } = timed();
    const { user, email, token } = await passwordUser(clock);
    const before = await api.get(BASE, { token });
    expect(before.body.data).toEqual({ methods: [], recoveryCodesRemaining: 0, totpPending: false });

    const first = await api.post(`${BASE}/totp/setup`, { token });
    expect(first.status).toBe(200);
    expect(first.body.data.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(first.body.data.otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/Kinwell:${email}`);
    expect(url.searchParams.get('issuer')).toBe('Kinwell');
    expect(url.searchParams.get('secret')).toBe(first.body.data.secret);
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    expect((await api.get(BASE, { token })).body.data).toMatchObject({ methods: [], totpPending: true });

    // Setting up again replaces the pending secret: the first one no longer confirms.
    const second = await api.post(`${BASE}/totp/setup`, { token });
    const secret = second.body.data.secret as string;
    expect(secret).not.toBe(first.body.data.secret);
    const stale = await api.post(`${BASE}/totp/enable`, {
      token,
      json: { code: totpAt(first.body.data.secret, clock) },
    });
    expect([stale.status, stale.body.error.code]).toEqual([422, 'OTP_INVALID']);

    const stored = await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get();
    expect(stored?.totpSecretEncrypted).toMatch(/^v1\./);
    expect(stored?.totpSecretEncrypted).not.toContain(secret);
    expect(stored?.totpEnabledAt).toBeNull();

    const wrong = await api.post(`${BASE}/totp/enable`, { token, json: { code: wrongTotp(secret, clock) } });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const enabled = await api.post(`${BASE}/totp/enable`, { token, json: { code: totpAt(secret, clock) } });
    expect(enabled.status).toBe(200);
    const codes = enabled.body.data.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_FORMAT);

    const rows = await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)).all();
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes.some((code) => row.codeHash.includes(code.replace(/-/g, '')))).toBe(false);
    }
    const enabledRow = await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get();
    expect(enabledRow?.totpEnabledAt).toBe(clock.now().getTime());
    expect(enabledRow?.totpSecretEncrypted).not.toContain(secret);
    expect((await api.get(BASE, { token })).body.data).toEqual({
      methods: ['totp'],
      recoveryCodesRemaining: 10,
      totpPending: false,
    });

    const again = await api.post(`${BASE}/totp/enable`, { token, json: { code: totpAt(secret, clock) } });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    const resetup = await api.post(`${BASE}/totp/setup`, { token });
    expect([resetup.status, resetup.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(recoveryCodes, eq(recoveryCodes.userId, user.id))).toBe(10);

    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['auth.2fa_enable:success', 'auth.2fa_enable:failure']),
    );
  });

  it('Should ask for the second factor at login, accept a valid code once, and refuse replayed or older codes', async () => {
    const { clock, api } = timed();
    const { user, email, secret } = await totpUser(api, clock);

    const challengeId = await challengeFor(api, email, ['totp', 'recovery']);
    // The code that enabled TOTP is spent: replaying it (still inside the window) fails.
    const spent = await verify(api, { challengeId, method: 'totp', code: totpAt(secret, clock, -STEP) });
    expect([spent.status, spent.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect(spent.body.error.details).toEqual({ attemptsLeft: 4 });

    const code = totpAt(secret, clock);
    const signedIn = await verify(api, { challengeId, method: 'totp', code });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data.user.id).toBe(user.id);
    const me = await api.get('/api/v1/users/me', { token: signedIn.body.data.tokens.accessToken });
    expect([me.status, me.body.data.user.id]).toEqual([200, user.id]);

    // The same code on a new challenge, same time step: refused.
    const next = await challengeFor(api, email);
    const replay = await verify(api, { challengeId: next, method: 'totp', code });
    expect([replay.status, replay.body.error.code]).toEqual([422, 'OTP_INVALID']);
    clock.advance(STEP);
    const later = await verify(api, { challengeId: next, method: 'totp', code: totpAt(secret, clock) });
    expect(later.status).toBe(200);
    // A code of an earlier step still inside the ±1 window is refused too (steps only move forward).
    const third = await challengeFor(api, email);
    const older = await verify(api, { challengeId: third, method: 'totp', code });
    expect([older.status, older.body.error.code]).toEqual([422, 'OTP_INVALID']);

    const actions = await auditActions(user.id);
    expect(actions.filter((a) => a === 'auth.2fa_verify:success')).toHaveLength(2);
    expect(actions.filter((a) => a === 'auth.2fa_verify:failure')).toHaveLength(3);
  });

  it('Should kill a challenge after 5 wrong codes, expire it after 5 minutes and never reuse it', async () => {
    const { clock, api } = timed();
    const { email, secret } = await totpUser(api, clock);

    const challengeId = await challengeFor(api, email);
    const wrong = wrongTotp(secret, clock);
    for (let i = 1; i <= 4; i++) {
      const res = await verify(api, { challengeId, method: 'totp', code: wrong });
      expect([res.status, res.body.error.code]).toEqual([422, 'OTP_INVALID']);
      expect(res.body.error.details).toEqual({ attemptsLeft: 5 - i });
    }
    const fifth = await verify(api, { challengeId, method: 'totp', code: wrong });
    expect([fifth.status, fifth.body.error.code]).toEqual([429, 'OTP_MAX_ATTEMPTS']);
    const dead = await verify(api, { challengeId, method: 'totp', code: totpAt(secret, clock) });
    expect([dead.status, dead.body.error.code]).toEqual([429, 'OTP_MAX_ATTEMPTS']);

    const expiring = await challengeFor(api, email);
    clock.advance(6 * 60_000);
    const expired = await verify(api, { challengeId: expiring, method: 'totp', code: totpAt(secret, clock) });
    expect([expired.status, expired.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);

    const once = await challengeFor(api, email);
    expect((await verify(api, { challengeId: once, method: 'totp', code: totpAt(secret, clock) })).status).toBe(200);
    clock.advance(STEP);
    const reused = await verify(api, { challengeId: once, method: 'totp', code: totpAt(secret, clock) });
    expect([reused.status, reused.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    const row = await db.select().from(loginChallenges).where(eq(loginChallenges.id, once)).get();
    expect(row?.consumedAt).not.toBeNull();
  });

  it('Should accept a recovery code once, and make old codes useless after regenerating', async () => {
    const { clock, api } = timed();
    const { user, email, token, secret, recoveryCodes: codes } = await totpUser(api, clock);

    const first = await challengeFor(api, email);
    // Case and dashes are forgiven.
    const used = await verify(api, {
      challengeId: first,
      method: 'recovery',
      code: codes[0]!.replace(/-/g, '').toUpperCase(),
    });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    const second = await challengeFor(api, email);
    const again = await verify(api, { challengeId: second, method: 'recovery', code: codes[0] });
    expect([again.status, again.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect((await verify(api, { challengeId: second, method: 'recovery', code: codes[1] })).status).toBe(200);
    expect((await api.get(BASE, { token })).body.data.recoveryCodesRemaining).toBe(8);

    const badFactor = await api.post(`${BASE}/recovery-codes`, {
      token,
      json: { factor: { type: 'totp', code: wrongTotp(secret, clock) } },
    });
    expect([badFactor.status, badFactor.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect(await db.$count(recoveryCodes, eq(recoveryCodes.userId, user.id))).toBe(10);

    const regenerated = await api.post(`${BASE}/recovery-codes`, {
      token,
      json: { factor: { type: 'recovery', code: codes[2] } },
    });
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    const fresh = regenerated.body.data.recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(new Set(fresh).size).toBe(10);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    const rows = await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)).all();
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => row.usedAt === null)).toBe(true);

    const third = await challengeFor(api, email);
    const old = await verify(api, { challengeId: third, method: 'recovery', code: codes[3] });
    expect([old.status, old.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect((await verify(api, { challengeId: third, method: 'recovery', code: fresh[0] })).status).toBe(200);

    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining([
        'auth.2fa_recovery_codes:success',
        'auth.2fa_recovery_codes:failure',
        'auth.2fa_verify:success',
        'auth.2fa_verify:failure',
      ]),
    );
    const regenEvent = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'auth.2fa_recovery_codes')))
      .all();
    expect(regenEvent.find((e) => e.outcome === 'success')?.metadata).toEqual({ factor: 'recovery', count: 10 });
  });

  it('Should turn TOTP off only with a valid fresh factor, then sign in without a second step', async () => {
    const { clock, api } = timed();
    const { user, email, token, secret } = await totpUser(api, clock);

    const wrong = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'totp', factor: { type: 'totp', code: wrongTotp(secret, clock) } },
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const notOn = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'totp', factor: { type: 'email', code: '123456' } },
    });
    expect([notOn.status, notOn.body.errors?.[0]?.field]).toEqual([422, 'factor.type']);
    const emailOff = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'email', factor: { type: 'totp', code: totpAt(secret, clock) } },
    });
    expect([emailOff.status, emailOff.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await api.get(BASE, { token })).body.data).toEqual({
      methods: ['totp'],
      recoveryCodesRemaining: 10,
      totpPending: false,
    });
    await challengeFor(api, email);

    const off = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'totp', factor: { type: 'totp', code: totpAt(secret, clock) } },
    });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.data).toEqual({ methods: [], recoveryCodesRemaining: 0, totpPending: false });
    const row = await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get();
    expect([row?.totpSecretEncrypted, row?.totpEnabledAt]).toEqual([null, null]);
    expect(await db.$count(recoveryCodes, eq(recoveryCodes.userId, user.id))).toBe(0);

    const direct = await login(api, email);
    expect(direct.status).toBe(200);
    expect(direct.body.data.tokens.accessToken).toBeTruthy();
    const twice = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'all', factor: { type: 'totp', code: totpAt(secret, clock) } },
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'CONFLICT']);
    const regenerate = await api.post(`${BASE}/recovery-codes`, {
      token,
      json: { factor: { type: 'recovery', code: 'aaaa-bbbb-cc' } },
    });
    expect([regenerate.status, regenerate.body.error.code]).toEqual([409, 'CONFLICT']);

    const actions = await auditActions(user.id);
    expect(actions).toEqual(expect.arrayContaining(['auth.2fa_disable:success', 'auth.2fa_disable:failure']));
    const disabled = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'auth.2fa_disable')))
      .all();
    expect(disabled.find((e) => e.outcome === 'success')?.metadata).toEqual({
      methods: ['totp'],
      factor: 'totp',
      recoveryCodesDeleted: true,
    });
  });
});

describe('two-factor: email', () => {
  it('Should enable email codes, sign in with an emailed code, and turn factors off one by one', async () => {
    const { clock, api } = timed();
    const { user, email, token } = await passwordUser(clock);

    expect((await api.post(`${BASE}/email/setup`, { token })).status).toBe(200);
    const setupCode = await latestCode(api, email);
    const wrongSetup = await api.post(`${BASE}/email/enable`, {
      token,
      json: { code: setupCode === '000000' ? '111111' : '000000' },
    });
    expect([wrongSetup.status, wrongSetup.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const enabled = await api.post(`${BASE}/email/enable`, { token, json: { code: setupCode } });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    const codes = enabled.body.data.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    const twice = await api.post(`${BASE}/email/enable`, { token, json: { code: setupCode } });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await api.get(BASE, { token })).body.data.methods).toEqual(['email']);

    clock.advance(1000);
    const challengeId = await challengeFor(api, email, ['email', 'recovery']);
    const notTotp = await verify(api, { challengeId, method: 'totp', code: '123456' });
    expect([notTotp.status, notTotp.body.error.code]).toEqual([409, 'CONFLICT']);
    const sent = await api.post(`${BASE}/email/send`, { json: { challengeId } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.data).toEqual({ expiresIn: 600, resendAfter: 60 });
    const resend = await api.post(`${BASE}/email/send`, { json: { challengeId } });
    expect([resend.status, resend.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    const code = await latestCode(api, email);
    const wrong = await verify(api, { challengeId, method: 'email', code: code === '000000' ? '111111' : '000000' });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const signedIn = await verify(api, { challengeId, method: 'email', code });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(
      (await api.get('/api/v1/users/me', { token: signedIn.body.data.tokens.accessToken })).body.data.user.id,
    ).toBe(user.id);

    // TOTP as well: recovery codes already exist, so none are returned.
    const setup = await api.post(`${BASE}/totp/setup`, { token });
    const secret = setup.body.data.secret as string;
    const totpOn = await api.post(`${BASE}/totp/enable`, { token, json: { code: totpAt(secret, clock) } });
    expect(totpOn.status).toBe(200);
    expect(totpOn.body.data).toEqual({});
    await challengeFor(api, email, ['totp', 'email', 'recovery']);

    // Off with an email code from /email/setup: email stays, the codes stay.
    clock.advance(61_000);
    expect((await api.post(`${BASE}/email/setup`, { token })).status).toBe(200);
    const proof = await latestCode(api, email);
    const totpOff = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'totp', factor: { type: 'email', code: proof } },
    });
    expect(totpOff.status, JSON.stringify(totpOff.body)).toBe(200);
    expect(totpOff.body.data).toEqual({ methods: ['email'], recoveryCodesRemaining: 10, totpPending: false });
    // The email code was single use.
    const reuse = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'email', factor: { type: 'email', code: proof } },
    });
    expect([reuse.status, reuse.body.error.code]).toEqual([422, 'OTP_INVALID']);

    const allOff = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'all', factor: { type: 'recovery', code: codes[0] } },
    });
    expect(allOff.status, JSON.stringify(allOff.body)).toBe(200);
    expect(allOff.body.data).toEqual({ methods: [], recoveryCodesRemaining: 0, totpPending: false });
    expect(await db.$count(recoveryCodes, eq(recoveryCodes.userId, user.id))).toBe(0);
    expect((await login(api, email)).status).toBe(200);

    const actions = await auditActions(user.id);
    expect(actions).toEqual(
      expect.arrayContaining([
        'auth.2fa_enable:success',
        'auth.2fa_enable:failure',
        'auth.2fa_verify:success',
        'auth.2fa_verify:failure',
        'auth.2fa_disable:success',
        'auth.2fa_disable:failure',
      ]),
    );
  });

  it('Should refuse email 2FA without a verified email, and email codes for accounts that do not use them', async () => {
    const { clock, api } = timed();
    const unverified = await createUser();
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, unverified.id));
    const setup = await api.post(`${BASE}/email/setup`, { token: await tokenFor(unverified, clock.now()) });
    expect([setup.status, setup.body.error.code]).toEqual([409, 'CONFLICT']);

    const { email } = await totpUser(api, clock);
    const challengeId = await challengeFor(api, email);
    const send = await api.post(`${BASE}/email/send`, { json: { challengeId } });
    expect([send.status, send.body.error.code]).toEqual([409, 'CONFLICT']);
    const viaEmail = await verify(api, { challengeId, method: 'email', code: '123456' });
    expect([viaEmail.status, viaEmail.body.error.code]).toEqual([409, 'CONFLICT']);
  });
});

describe('two-factor: bad input and access', () => {
  it('Should refuse anonymous callers on the signed-in routes', async () => {
    const api = client();
    const routes: [string, string][] = [
      ['GET', BASE],
      ['POST', `${BASE}/totp/setup`],
      ['POST', `${BASE}/totp/enable`],
      ['POST', `${BASE}/email/setup`],
      ['POST', `${BASE}/email/enable`],
      ['POST', `${BASE}/disable`],
      ['POST', `${BASE}/recovery-codes`],
    ];
    for (const [method, path] of routes) {
      const res = await api.call(method, path, method === 'GET' ? {} : { json: {} });
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('Should answer malformed challenge ids, missing codes and unknown challenges', async () => {
    const { clock, api } = timed();
    const fields = async (json: Record<string, unknown>, path = `${BASE}/verify`) => {
      const res = await api.post(path, { json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      return res.body.errors.map((e: { field: string }) => e.field);
    };
    const wellFormed = 'chl_00000000000000000000000000';
    expect(await fields({ challengeId: 'nope', method: 'totp', code: '123456' })).toEqual(['challengeId']);
    expect(await fields({ challengeId: wellFormed, method: 'totp' })).toEqual(['code']);
    expect(await fields({ challengeId: wellFormed, method: 'totp', code: '12345' })).toEqual(['code']);
    expect(await fields({ challengeId: wellFormed, method: 'recovery', code: 'short' })).toEqual(['code']);
    expect(await fields({ challengeId: wellFormed, method: 'sms', code: '123456' })).toEqual(['method']);
    expect(await fields({ challengeId: wellFormed, method: 'passkey' })).toEqual(['response']);
    expect(await fields({ challengeId: 'chl_x' }, `${BASE}/email/send`)).toEqual(['challengeId']);
    const unknown = await verify(api, { challengeId: wellFormed, method: 'totp', code: '123456' });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    const unknownSend = await api.post(`${BASE}/email/send`, { json: { challengeId: wellFormed } });
    expect([unknownSend.status, unknownSend.body.error.code]).toEqual([401, 'TOKEN_INVALID']);

    const { token } = await passwordUser(clock);
    const noCode = await api.post(`${BASE}/totp/enable`, { token, json: {} });
    expect([noCode.status, noCode.body.errors[0].field]).toEqual([422, 'code']);
    const notSetUp = await api.post(`${BASE}/totp/enable`, { token, json: { code: '123456' } });
    expect([notSetUp.status, notSetUp.body.error.code]).toEqual([409, 'CONFLICT']);
    const badMethod = await api.post(`${BASE}/disable`, {
      token,
      json: { method: 'sms', factor: { type: 'totp', code: '123456' } },
    });
    expect([badMethod.status, badMethod.body.errors[0].field]).toEqual([422, 'method']);
    const noFactor = await api.post(`${BASE}/disable`, { token, json: { method: 'all' } });
    expect([noFactor.status, noFactor.body.errors[0].field]).toEqual([422, 'factor']);
    const badFactor = await api.post(`${BASE}/recovery-codes`, {
      token,
      json: { factor: { type: 'recovery', code: '123456' } },
    });
    expect([badFactor.status, badFactor.body.errors[0].field]).toEqual([422, 'factor.code']);
  });

  it('Should finish a sign-in with a passkey as the second factor, and count a bad assertion', async () => {
    const api = client();
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const authenticator = await SoftAuthenticator.create();
    const options = await api.post('/api/v1/auth/passkeys/register/options', { token });
    const response = await authenticator.register({ challenge: options.body.data.challenge });
    expect((await api.post('/api/v1/auth/passkeys/register/verify', { token, json: { response } })).status).toBe(201);
    expect((await api.post(`${BASE}/passkey/enable`, { token })).status).toBe(200);
    expect((await api.get(BASE, { token })).body.data.methods).toEqual(['passkey']);
    expect((await api.get(BASE, { token })).body.data.recoveryCodesRemaining).toBe(10);

    const challengeId = await challengeFor(api, user.email!, ['passkey', 'recovery']);
    const junk = await verify(api, { challengeId, method: 'passkey', response: { id: 'not-an-assertion' } });
    expect([junk.status, junk.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const noResponse = await verify(api, { challengeId, method: 'passkey', code: '123456' });
    expect([noResponse.status, noResponse.body.errors[0].field]).toEqual([422, 'response']);
    const passkeyOptions = await api.post(`${BASE}/passkey/options`, { json: { challengeId } });
    expect(passkeyOptions.status).toBe(200);
    const assertion = await authenticator.assert({ challenge: passkeyOptions.body.data.challenge });
    const signedIn = await verify(api, { challengeId, method: 'passkey', response: assertion });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data.user.id).toBe(user.id);
    const row = await db.select().from(loginChallenges).where(eq(loginChallenges.id, challengeId)).get();
    expect(row?.attempts).toBe(1);
    expect(row?.consumedAt).not.toBeNull();
  });
});
