import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents, rateLimits, type UserRow, users } from '../../../src/db/schema';
import { passwordlessMethods, type SignInFacts } from '../../../src/modules/auth/sign-in-methods.policy';
import { type client, createUser, db, tokenFor, uniqueEmail, uniqueMobile } from '../../helpers';
import { latestCode, STRONG_PASSWORD, strongPasswordHash, userWithPassword } from '../../support/auth';
import { ipSequence, passkeyUser, START, spentBudget, timed, totpAt, totpUser } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

/**
 * "Delete password" (DELETE /api/v1/auth/password, docs/identity.md#removing-the-password): with a
 * fresh proof, and only while another way to sign in remains; afterwards the account answers password
 * sign-in as a wrong password does, and a password can be set again.
 */
const PATH = '/api/v1/auth/password';
const freshIp = ipSequence(41);
const WRONG = 'Not-The-Password-1';
const NEW_PASSWORD = 'Quiet-Meadow-Lantern-7';

type Api = ReturnType<typeof client>;

afterEach(async () => {
  await resetSettings();
});

const row = (id: string) => db.select().from(users).where(eq(users.id, id)).get() as Promise<UserRow>;
const removals = (userId: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'auth.password_remove'), eq(auditEvents.resourceId, userId)))
    .all();
const login = (api: Api, email: string, password = STRONG_PASSWORD) =>
  api.post('/api/v1/auth/login', { json: { email, password }, headers: freshIp().headers });
const signIn = async (api: Api, email: string) => {
  const res = await login(api, email);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.tokens as { accessToken: string; refreshToken: string };
};

/** A password account whose other ways in are set by hand: no verified email unless asked. */
async function accountWith(other: { email?: boolean; mobile?: boolean; google?: boolean } = {}) {
  const user = await userWithPassword();
  await db
    .update(users)
    .set({
      emailVerifiedAt: other.email ? user.emailVerifiedAt : null,
      mobileNumber: other.mobile ? uniqueMobile() : null,
      mobileVerifiedAt: other.mobile ? Date.parse(START) : null,
      googleSub: other.google ? `g-${user.id}` : null,
    })
    .where(eq(users.id, user.id));
  return row(user.id);
}

/** The refusal an answer must be, and that nothing about the password changed. */
async function expectRefused(res: { status: number; body: any }, status: number, code: string, user: UserRow) {
  expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([status, code]);
  expect(res.body.data).toBeUndefined();
  const after = await row(user.id);
  expect([after.passwordHash, after.tokenVersion]).toEqual([user.passwordHash, user.tokenVersion]);
}

describe('removing the password with the current password', () => {
  it('Should remove it, end the other sessions, keep this device signed in and audit it', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const other = await signIn(api, user.email!);
    const here = await signIn(api, user.email!);

    const res = await api.delete(PATH, { token: here.accessToken, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: user.id, hasPassword: false });
    expect((await row(user.id)).passwordHash).toBeNull();

    for (const old of [other, here]) {
      const me = await api.get('/api/v1/users/me', { token: old.accessToken });
      expect([me.status, me.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
      expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: old.refreshToken } })).status).toBe(401);
    }
    const fresh = res.body.data.tokens.accessToken;
    expect((await api.get('/api/v1/users/me', { token: fresh })).body.data.user.hasPassword).toBe(false);
    const sessionList = await api.get('/api/v1/auth/sessions', { token: fresh });
    expect(sessionList.body.data.items.map((s: any) => [s.method, s.current])).toEqual([['password', true]]);

    const [audit] = await removals(user.id);
    expect(audit).toMatchObject({ actorId: user.id, outcome: 'success' });
    expect(audit!.metadata).toEqual({ proof: 'password', signInMethods: ['email-code'] });
  });

  it('Should answer password sign-in afterwards exactly as a wrong password, and refuse a change', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const token = await tokenFor(user, new Date(START));
    expect((await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } })).status).toBe(200);

    const removed = await login(api, user.email!);
    const wrong = await login(api, (await userWithPassword()).email!, WRONG);
    const unknown = await login(api, uniqueEmail('ghost'));
    const answer = (res: { status: number; body: any }) => [res.status, res.body.error.code, res.body.message];
    expect(answer(removed)).toEqual(answer(wrong));
    expect(answer(removed)).toEqual(answer(unknown));
    expect(answer(removed)).toEqual([401, 'UNAUTHENTICATED', 'Email or password is incorrect']);

    const fresh = await tokenFor(await row(user.id), new Date(START));
    const change = await api.post('/api/v1/auth/password/change', {
      token: fresh,
      json: { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect([change.status, change.body.error.code]).toEqual([409, 'CONFLICT']);
  });

  it('Should let the owner set a password again, signed in or with a reset code', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const res = await api.delete(PATH, {
      token: await tokenFor(user, new Date(START)),
      json: { password: STRONG_PASSWORD },
    });
    const set = await api.post('/api/v1/auth/password/set', {
      token: res.body.data.tokens.accessToken,
      json: { newPassword: NEW_PASSWORD },
    });
    expect([set.status, set.body.data.user.hasPassword]).toEqual([200, true]);
    expect((await login(api, user.email!, NEW_PASSWORD)).status).toBe(200);

    const other = await userWithPassword();
    const removed = await api.delete(PATH, {
      token: await tokenFor(other, new Date(START)),
      json: { password: STRONG_PASSWORD },
    });
    expect(removed.status).toBe(200);
    expect((await api.post('/api/v1/auth/password/forgot', { json: { email: other.email } })).status).toBe(200);
    const reset = await api.post('/api/v1/auth/password/reset', {
      json: { email: other.email, otp: await latestCode(api, other.email!), newPassword: NEW_PASSWORD },
    });
    expect(reset.status).toBe(200);
    expect((await login(api, other.email!, NEW_PASSWORD)).status).toBe(200);
  });

  it('Should keep the method of the session it replaces', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    expect((await api.post('/api/v1/auth/otp/send', { json: { email: user.email } })).status).toBe(200);
    const byCode = await api.post('/api/v1/auth/otp/verify', {
      json: { email: user.email, otp: await latestCode(api, user.email!) },
    });
    const res = await api.delete(PATH, {
      token: byCode.body.data.tokens.accessToken,
      json: { password: STRONG_PASSWORD },
    });
    const list = await api.get('/api/v1/auth/sessions', { token: res.body.data.tokens.accessToken });
    expect(list.body.data.items.map((s: any) => s.method)).toEqual(['email-otp']);
  });

  it('Should refuse a wrong password with 422 on "password", audit it and change nothing', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const tokens = await signIn(api, user.email!);
    const res = await api.delete(PATH, { token: tokens.accessToken, json: { password: WRONG } });
    await expectRefused(res, 422, 'VALIDATION_FAILED', user);
    expect(res.body.errors).toEqual([{ field: 'password', message: 'Password is incorrect' }]);
    expect((await api.get('/api/v1/users/me', { token: tokens.accessToken })).status).toBe(200);
    expect((await removals(user.id)).map((e) => e.outcome)).toEqual(['failure']);
  });

  it('Should stop guessing after 10 password checks in 15 minutes, shared with the other re-checks', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    await spentBudget(`reauth:account:${user.id.toLowerCase()}`, 10);
    const res = await api.delete(PATH, {
      token: await tokenFor(user, new Date(START)),
      json: { password: STRONG_PASSWORD },
    });
    await expectRefused(res, 429, 'RATE_LIMITED', user);
    expect(res.headers.get('retry-after')).toBeTruthy();
  });
});

describe('removing the password with a fresh second factor', () => {
  it('Should take a current TOTP code, once', async () => {
    const { api, clock } = timed();
    const { user, secret } = await totpUser(api, clock);
    const code = totpAt(secret, clock.now());
    const res = await api.delete(PATH, {
      token: await tokenFor(user, clock.now()),
      json: { factor: { type: 'totp', code } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await row(user.id)).passwordHash).toBeNull();
    expect((await removals(user.id))[0]!.metadata).toEqual({ proof: 'totp', signInMethods: ['email-code'] });
    // Two-factor stays on: every sign-in left still asks for it.
    const status = await api.get('/api/v1/auth/2fa', { token: res.body.data.tokens.accessToken });
    expect(status.body.data.methods).toEqual(['totp']);
  });

  it('Should take an unused recovery code and spend it', async () => {
    const { api, clock } = timed();
    const { user, recoveryCodes } = await totpUser(api, clock);
    const res = await api.delete(PATH, {
      token: await tokenFor(user, clock.now()),
      json: { factor: { type: 'recovery', code: recoveryCodes[0] } },
    });
    expect(res.status).toBe(200);
    const status = await api.get('/api/v1/auth/2fa', { token: res.body.data.tokens.accessToken });
    expect(status.body.data.recoveryCodesRemaining).toBe(recoveryCodes.length - 1);
  });

  it('Should refuse a wrong code with OTP_INVALID, audited, and a factor that is not on with 422', async () => {
    const { api, clock } = timed();
    const { user, secret } = await totpUser(api, clock);
    const token = await tokenFor(user, clock.now());
    const live = new Set([-30_000, 0, 30_000].map((o) => totpAt(secret, new Date(clock.now().getTime() + o))));
    const wrongCode = ['000000', '111111', '222222', '333333'].find((c) => !live.has(c))!;
    const wrong = await api.delete(PATH, { token, json: { factor: { type: 'totp', code: wrongCode } } });
    await expectRefused(wrong, 422, 'OTP_INVALID', user);
    expect((await removals(user.id)).map((e) => [e.outcome, (e.metadata as any).factor])).toEqual([
      ['failure', 'totp'],
    ]);

    const plain = await userWithPassword();
    const off = await api.delete(PATH, {
      token: await tokenFor(plain, clock.now()),
      json: { factor: { type: 'totp', code: '123456' } },
    });
    await expectRefused(off, 422, 'VALIDATION_FAILED', plain);
    expect(off.body.errors[0].field).toBe('factor.type');
  });

  it('Should refuse an emailed code past its lifetime with OTP_EXPIRED, and take one in time', async () => {
    const { api, clock } = timed();
    await setSetting('auth.otpTtlMinutes', 2);
    const user = await userWithPassword();
    const token = await tokenFor(user, clock.now());
    expect((await api.post('/api/v1/auth/2fa/email/setup', { token })).status).toBe(200);
    const enabled = await api.post('/api/v1/auth/2fa/email/enable', {
      token,
      json: { code: await latestCode(api, user.email!) },
    });
    expect(enabled.status).toBe(200);

    clock.advance(60_000);
    expect((await api.post('/api/v1/auth/2fa/email/setup', { token })).status).toBe(200);
    const late = await latestCode(api, user.email!);
    clock.advance(2 * 60_000);
    const expired = await api.delete(PATH, { token, json: { factor: { type: 'email', code: late } } });
    await expectRefused(expired, 422, 'OTP_EXPIRED', user);

    expect((await api.post('/api/v1/auth/2fa/email/setup', { token })).status).toBe(200);
    clock.advance(2 * 60_000 - 1000);
    const res = await api.delete(PATH, {
      token,
      json: { factor: { type: 'email', code: await latestCode(api, user.email!) } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('what removing the password is refused for', () => {
  it('Should refuse an account without a password with 409 "no-password", counting no password check', async () => {
    const { api } = timed();
    const user = await createUser();
    const token = await tokenFor(user, new Date(START));
    for (const json of [{ password: STRONG_PASSWORD }, { factor: { type: 'totp', code: '123456' } }]) {
      const res = await api.delete(PATH, { token, json });
      await expectRefused(res, 409, 'CONFLICT', user);
      expect(res.body.error.details).toEqual({ reason: 'no-password' });
    }
    const counters = await db.select().from(rateLimits).all();
    expect(counters.filter((c) => c.key.endsWith(user.id.toLowerCase()))).toEqual([]);
  });

  it('Should refuse with 409 "last-sign-in-method" when no other way in would remain, after the proof', async () => {
    const { api } = timed();
    const user = await accountWith();
    const token = await tokenFor(user, new Date(START));
    // Without a right proof the caller learns nothing about the account's other ways in.
    const wrong = await api.delete(PATH, { token, json: { password: WRONG } });
    await expectRefused(wrong, 422, 'VALIDATION_FAILED', user);

    const res = await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } });
    await expectRefused(res, 409, 'CONFLICT', user);
    expect(res.body.error.details).toEqual({ reason: 'last-sign-in-method' });
    expect((await api.get('/api/v1/users/me', { token })).status).toBe(200);
    expect((await removals(user.id)).map((e) => e.outcome)).toEqual(['failure']);
  });

  it('Should count a verified mobile number only while SMS sign-in is on', async () => {
    const { api } = timed();
    const user = await accountWith({ mobile: true });
    const token = await tokenFor(user, new Date(START));
    await setSetting('features.smsSignIn', false);
    const off = await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } });
    await expectRefused(off, 409, 'CONFLICT', user);
    await setSetting('features.smsSignIn', true);
    const on = await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } });
    expect(on.status).toBe(200);
    expect((await removals(user.id)).at(-1)!.metadata).toEqual({ proof: 'password', signInMethods: ['sms-code'] });
  });

  it('Should count a linked Google account only while Google sign-in is on', async () => {
    const { api } = timed();
    const user = await accountWith({ google: true });
    const token = await tokenFor(user, new Date(START));
    await setSetting('features.googleSignIn', false);
    await expectRefused(await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } }), 409, 'CONFLICT', user);
    await setSetting('features.googleSignIn', true);
    const on = await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } });
    expect(on.status).toBe(200);
    expect((await removals(user.id)).at(-1)!.metadata).toEqual({ proof: 'password', signInMethods: ['google'] });
  });

  it('Should count a passkey while passkey sign-in is on, then keep the last one that is the only way in', async () => {
    const { api } = timed();
    const { user, token } = await passkeyUser(api, { passwordHash: await strongPasswordHash() });
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, user.id));
    const before = await row(user.id);
    await setSetting('features.passkeys', false);
    await expectRefused(
      await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } }),
      409,
      'CONFLICT',
      before,
    );
    await setSetting('features.passkeys', true);
    const res = await api.delete(PATH, { token, json: { password: STRONG_PASSWORD } });
    expect(res.status).toBe(200);
    expect((await removals(user.id)).at(-1)!.metadata).toEqual({ proof: 'password', signInMethods: ['passkey'] });

    const fresh = res.body.data.tokens.accessToken;
    const [passkey] = (await api.get('/api/v1/auth/passkeys', { token: fresh })).body.data.items;
    const kept = await api.delete(`/api/v1/auth/passkeys/${passkey.id}`, { token: fresh });
    expect([kept.status, kept.body.error.code, kept.body.error.details]).toEqual([
      409,
      'CONFLICT',
      { reason: 'last-sign-in-method' },
    ]);
    // With a password set again, the passkey may go.
    await api.post('/api/v1/auth/password/set', { token: fresh, json: { newPassword: NEW_PASSWORD } });
    expect((await api.delete(`/api/v1/auth/passkeys/${passkey.id}`, { token: fresh })).status).toBe(200);
  });

  it("Should leave every other account's password and sessions as they were", async () => {
    const { api } = timed();
    const mine = await userWithPassword();
    const theirs = await userWithPassword();
    const theirTokens = await signIn(api, theirs.email!);
    const res = await api.delete(PATH, {
      token: await tokenFor(mine, new Date(START)),
      json: { password: STRONG_PASSWORD },
    });
    expect(res.status).toBe(200);
    const after = await row(theirs.id);
    expect([after.passwordHash, after.tokenVersion]).toEqual([theirs.passwordHash, theirs.tokenVersion]);
    expect((await api.get('/api/v1/users/me', { token: theirTokens.accessToken })).status).toBe(200);
    expect((await login(api, theirs.email!)).status).toBe(200);
  });

  it('Should refuse a body that is not exactly one proof with 422, and an anonymous caller with 401', async () => {
    const { api } = timed();
    const user = await userWithPassword();
    const token = await tokenFor(user, new Date(START));
    const bodies: [unknown, string][] = [
      [{}, 'password'],
      [{ password: 12345678 }, 'password'],
      [{ password: '' }, 'password'],
      [{ password: STRONG_PASSWORD, factor: { type: 'totp', code: '123456' } }, 'password'],
      [{ factor: { type: 'sms', code: '123456' } }, 'factor.type'],
      [{ factor: { type: 'totp', code: '12' } }, 'factor.code'],
      [{ factor: 'totp' }, 'factor'],
    ];
    for (const [json, field] of bodies) {
      const res = await api.delete(PATH, { token, json });
      await expectRefused(res, 422, 'VALIDATION_FAILED', user);
      expect(
        res.body.errors.map((e: any) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
    const anonymous = await api.delete(PATH, { json: { password: STRONG_PASSWORD } });
    await expectRefused(anonymous, 401, 'UNAUTHENTICATED', user);
    expect(await removals(user.id)).toEqual([]);
  });
});

describe('the rule: which ways in remain without a password', () => {
  const none: SignInFacts = {
    email: null,
    emailVerifiedAt: null,
    mobileNumber: null,
    mobileVerifiedAt: null,
    googleSub: null,
    facebookId: null,
    passkeys: 0,
  };
  const on = { smsSignIn: true, googleSignIn: true, facebookSignIn: true, passkeys: true };

  it('Should list each method the account holds and whose feature is on', () => {
    const all: SignInFacts = {
      email: 'a@example.test',
      emailVerifiedAt: 1,
      mobileNumber: '+14155550100',
      mobileVerifiedAt: 1,
      googleSub: 'g-1',
      facebookId: 'fb-1',
      passkeys: 2,
    };
    expect(passwordlessMethods(all, on)).toEqual(['email-code', 'sms-code', 'google', 'facebook', 'passkey']);
    expect(
      passwordlessMethods(all, { smsSignIn: false, googleSignIn: false, facebookSignIn: false, passkeys: false }),
    ).toEqual(['email-code']);
    expect(passwordlessMethods(none, on)).toEqual([]);
  });

  it('Should not count an unverified email or mobile number', () => {
    expect(passwordlessMethods({ ...none, email: 'a@example.test', mobileNumber: '+14155550100' }, on)).toEqual([]);
  });
});
