import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import {
  auditEvents,
  loginChallenges,
  passkeys,
  recoveryCodes,
  sessions,
  userMfa,
  users,
  webauthnChallenges,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { AppError } from '../../../src/lib/errors';
import { toBase64Url } from '../../../src/lib/ids';
import { verifyPasskeyForChallenge } from '../../../src/modules/auth/passkeys.service';
import { completeSignIn, failChallenge, loadChallenge, passChallenge } from '../../../src/modules/auth/sign-in.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { type ApiResponse, client, createUser, db, signedInUser, testEnv, tokenFor } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { FLAG, SoftAuthenticator, TEST_RP_ID, userHandleOf } from '../../support/authenticator';
import { expectTurnedOff, resetSettings, setSetting } from '../../support/settings';

const AUTH = '/api/v1/auth';
const api = client();
type Api = ReturnType<typeof client>;

function serviceContext() {
  return createContext(testEnv, cloudflareDeps, { requestId: 'req_passkeys_test' });
}

async function registerWith(token: string, authenticator: SoftAuthenticator, name?: string, via: Api = api) {
  const options = await via.post(`${AUTH}/passkeys/register/options`, { token });
  expect(options.status).toBe(200);
  const response = await authenticator.register({ challenge: options.body.data.challenge });
  return via.post(`${AUTH}/passkeys/register/verify`, { token, json: { response, ...(name ? { name } : {}) } });
}

/** A signed-in user with one registered software passkey. */
async function userWithPasskey() {
  const { user, token } = await signedInUser();
  const authenticator = await SoftAuthenticator.create();
  const res = await registerWith(token, authenticator, 'Laptop');
  expect(res.status).toBe(201);
  return { user, token, authenticator };
}

async function authenticateOptions(body: { email?: string } = {}, via: Api = api): Promise<ApiResponse> {
  const res = await via.post(`${AUTH}/passkeys/authenticate/options`, { json: body });
  expect(res.status).toBe(200);
  return res;
}

async function signIn(response: unknown, via: Api = api): Promise<ApiResponse> {
  return via.post(`${AUTH}/passkeys/authenticate/verify`, {
    json: { response },
    headers: { 'user-agent': 'vitest-authenticator' },
  });
}

const passkeyRow = (id: string) => db.select().from(passkeys).where(eq(passkeys.id, id)).get();
const challengeRow = (challenge: string) =>
  db.select().from(webauthnChallenges).where(eq(webauthnChallenges.challenge, challenge)).get();
const auditFor = (resourceId: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.resourceId, resourceId)).orderBy(auditEvents.id).all();
const sessionCount = (userId: string) => db.$count(sessions, eq(sessions.userId, userId));

function expectSignInRefused(res: ApiResponse) {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('UNAUTHENTICATED');
  expect(res.body.message).toBe('Passkey sign-in failed; try again or use another sign-in method');
  expect(res.body.data).toBeUndefined();
}

/** The failure audit rows of passkey sign-ins with this credential, as their `reason`s. */
async function signInFailureReasons(credentialId: string) {
  const rows = await auditFor(credentialId);
  return rows
    .filter((r) => r.action === 'auth.login' && r.outcome === 'failure')
    .map((r) => (r.metadata as { reason: string }).reason);
}

describe('passkeys: registration', () => {
  it('Should register a real ES256 passkey end to end, consuming the challenge and auditing it', async () => {
    const { user, token } = await signedInUser();
    const authenticator = await SoftAuthenticator.create();

    const options = await api.post(`${AUTH}/passkeys/register/options`, { token });
    expect(options.status).toBe(200);
    const data = options.body.data;
    expect(data.rp).toEqual({ id: TEST_RP_ID, name: 'Kinwell (dev)' });
    expect(data.user).toEqual({
      id: toBase64Url(new TextEncoder().encode(user.id)),
      name: user.email,
      displayName: user.name,
    });
    expect(data.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(data.excludeCredentials).toEqual([]);
    expect(data.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toContain(-7);
    expect(data.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await challengeRow(data.challenge);
    expect(stored).toMatchObject({ kind: 'register', userId: user.id, consumedAt: null });
    expect(stored!.expiresAt - stored!.createdAt).toBe(5 * 60_000);

    const response = await authenticator.register({ challenge: data.challenge });
    const res = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { response, name: 'Work laptop' } });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      id: authenticator.id,
      name: 'Work laptop',
      deviceType: 'singleDevice',
      backedUp: false,
      transports: ['internal', 'hybrid'],
      lastUsedAt: null,
    });
    const row = await passkeyRow(authenticator.id);
    expect(row).toMatchObject({ userId: user.id, counter: 0, deviceType: 'singleDevice', backedUp: false });
    expect(row!.publicKey).toBe(toBase64Url(await authenticator.cosePublicKey()));
    expect((await challengeRow(data.challenge))!.consumedAt).not.toBeNull();
    const audit = await auditFor(authenticator.id);
    expect(audit.map((a) => [a.action, a.outcome, a.actorId])).toEqual([['auth.passkey_register', 'success', user.id]]);

    // The next registration excludes the credential the user already has.
    const again = await api.post(`${AUTH}/passkeys/register/options`, { token });
    expect(again.body.data.excludeCredentials).toEqual([
      { id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] },
    ]);
  });

  it('Should list my passkeys, paginated, and only mine', async () => {
    const { token, authenticator } = await userWithPasskey();
    const second = await SoftAuthenticator.create();
    expect((await registerWith(token, second, 'Phone')).status).toBe(201);
    await userWithPasskey(); // someone else's

    const res = await api.get(`${AUTH}/passkeys`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.pagination).toMatchObject({ total: 2, current: 1, limit: 20, pages: 1 });
    expect(res.body.data.items.map((p: { id: string }) => p.id).sort()).toEqual([authenticator.id, second.id].sort());
    expect(Object.keys(res.body.data.items[0]).sort()).toEqual(
      ['backedUp', 'createdAt', 'deviceType', 'id', 'lastUsedAt', 'name', 'transports'].sort(),
    );
    const paged = await api.get(`${AUTH}/passkeys?page=2&limit=1`, { token });
    expect(paged.body.data.items).toHaveLength(1);
    expect(paged.body.data.pagination).toMatchObject({ total: 2, current: 2, pages: 2, hasPrev: true, hasNext: false });
  });

  it('Should answer 409 CONFLICT for a passkey registered twice, keeping one row', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    const res = await registerWith(token, authenticator);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(await db.$count(passkeys, eq(passkeys.userId, user.id))).toBe(1);
    const audit = await auditFor(authenticator.id);
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ['auth.passkey_register', 'success'],
      ['auth.passkey_register', 'failure'],
    ]);
    expect(audit[1]!.metadata).toEqual({ reason: 'duplicate' });
  });

  it('Should refuse a registration from another origin, another user’s challenge or a used challenge, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const authenticator = await SoftAuthenticator.create();
    const options = await api.post(`${AUTH}/passkeys/register/options`, { token });
    const challenge = options.body.data.challenge;

    const evil = await authenticator.register({ challenge, origin: 'https://evil.example' });
    const wrongOrigin = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { response: evil } });
    expect([wrongOrigin.status, wrongOrigin.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    // The challenge was burnt by the failed attempt: a correct answer to it no longer works.
    const good = await authenticator.register({ challenge });
    const reused = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { response: good } });
    expect(reused.status).toBe(400);

    // Another signed-in user cannot complete my registration challenge.
    const mine = await api.post(`${AUTH}/passkeys/register/options`, { token });
    const other = await signedInUser();
    const stolen = await api.post(`${AUTH}/passkeys/register/verify`, {
      token: other.token,
      json: { response: await authenticator.register({ challenge: mine.body.data.challenge }) },
    });
    expect(stolen.status).toBe(400);
    expect((await challengeRow(mine.body.data.challenge))!.consumedAt).toBeNull();

    expect(await passkeyRow(authenticator.id)).toBeUndefined();
    expect(await db.$count(passkeys, eq(passkeys.userId, user.id))).toBe(0);
    expect(await db.$count(passkeys, eq(passkeys.userId, other.user.id))).toBe(0);
    const reasons = (await auditFor(authenticator.id)).map((a) => [
      a.outcome,
      (a.metadata as { reason: string }).reason,
    ]);
    expect(reasons).toEqual([
      ['failure', 'attestation'],
      ['failure', 'challenge'],
      ['failure', 'challenge'],
    ]);
  });

  it('Should answer 401 to an anonymous caller and 422 to malformed bodies', async () => {
    const anonymous = await api.post(`${AUTH}/passkeys/register/options`);
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await api.get(`${AUTH}/passkeys`)).status).toBe(401);

    const { token } = await signedInUser();
    const noResponse = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { name: 'x' } });
    expect(noResponse.status).toBe(422);
    expect(noResponse.body.errors.map((e: { field: string }) => e.field)).toContain('response');
    const notBase64 = await api.post(`${AUTH}/passkeys/register/verify`, {
      token,
      json: {
        response: {
          id: 'abc',
          rawId: 'abc',
          type: 'public-key',
          response: { clientDataJSON: '{"not":"base64"}', attestationObject: 'AA' },
        },
      },
    });
    expect(notBase64.status).toBe(422);
    expect(notBase64.body.errors.map((e: { field: string }) => e.field)).toEqual(['response.response.clientDataJSON']);

    const verify = await api.post(`${AUTH}/passkeys/authenticate/verify`, { json: { response: { id: 'abc' } } });
    expect([verify.status, verify.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const email = await api.post(`${AUTH}/passkeys/authenticate/options`, { json: { email: 'not an email' } });
    expect(email.status).toBe(422);
    const twoFactor = await api.post(`${AUTH}/2fa/passkey/options`, { json: { challengeId: 'nope' } });
    expect(twoFactor.status).toBe(422);
    const badId = await api.delete(`${AUTH}/passkeys/${encodeURIComponent('not$base64')}`, { token });
    expect(badId.status).toBe(422);
  });
});

describe('passkeys: sign-in', () => {
  it('Should sign in with email-scoped options and issue tokens that work on /users/me', async () => {
    const { user, authenticator } = await userWithPasskey();

    const options = await authenticateOptions({ email: user.email!.toUpperCase() });
    expect(options.body.data).toMatchObject({
      rpId: TEST_RP_ID,
      userVerification: 'required',
      // Never listed: the device offers its discoverable passkey; the email binds the challenge.
      allowCredentials: [],
    });
    const challenge = options.body.data.challenge;
    expect(await challengeRow(challenge)).toMatchObject({ kind: 'authenticate', userId: user.id, consumedAt: null });

    const res = await signIn(await authenticator.assert({ challenge }));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: user.id, email: user.email });
    expect(res.body.data.tokens).toMatchObject({ expiresIn: 900 });
    expect(res.body.data.tokens.refreshToken).toMatch(/^rt_/);

    const me = await api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.data.user.id).toBe(user.id);

    const row = await passkeyRow(authenticator.id);
    expect(row!.counter).toBe(1);
    expect(row!.lastUsedAt).not.toBeNull();
    expect((await challengeRow(challenge))!.consumedAt).not.toBeNull();
    const session = await db.select().from(sessions).where(eq(sessions.userId, user.id)).all();
    expect(session.filter((s) => s.method === 'passkey')).toHaveLength(1);
    expect(session.find((s) => s.method === 'passkey')!.userAgent).toBe('vitest-authenticator');
    const login = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.action, 'auth.login')))
      .all();
    expect(login.map((a) => [a.outcome, a.metadata])).toEqual([['success', { method: 'passkey' }]]);
  });

  it('Should sign in with a discoverable credential when no email is given', async () => {
    const { user, authenticator } = await userWithPasskey();
    const options = await authenticateOptions();
    expect(options.body.data.allowCredentials).toEqual([]);
    expect(await challengeRow(options.body.data.challenge)).toMatchObject({ kind: 'authenticate', userId: null });
    const assertion = await authenticator.assert({
      challenge: options.body.data.challenge,
      userHandle: userHandleOf(user.id),
    });
    const res = await signIn(assertion);
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(user.id);
  });

  it('Should not reveal whether an email exists: same shape, no credentials, for unknown or passkey-less emails', async () => {
    const { user: noPasskeys } = await signedInUser();
    const unknown = await authenticateOptions({ email: 'nobody.here@example.test' });
    const withoutPasskeys = await authenticateOptions({ email: noPasskeys.email! });
    const anonymous = await authenticateOptions();
    for (const res of [unknown, withoutPasskeys]) {
      expect(Object.keys(res.body.data).sort()).toEqual(Object.keys(anonymous.body.data).sort());
      expect(res.body.data.allowCredentials).toEqual([]);
      expect(res.body.message).toBe(anonymous.body.message);
      expect((await challengeRow(res.body.data.challenge))!.userId).toBeNull();
    }
  });

  it('Should answer an address with passkeys exactly as an unknown one, and still sign its passkey in', async () => {
    const { user, authenticator } = await userWithPasskey();
    const holder = await authenticateOptions({ email: user.email! });
    const unknown = await authenticateOptions({ email: 'nobody.at.all@example.test' });
    const shape = (res: ApiResponse) => {
      const { challenge, ...rest } = res.body.data;
      return {
        status: res.status,
        message: res.body.message,
        keys: Object.keys(res.body.data).sort(),
        rest,
        challenge,
      };
    };
    const [a, b] = [shape(holder), shape(unknown)];
    expect(a.challenge).not.toBe(b.challenge);
    expect({ ...a, challenge: 'c' }).toEqual({ ...b, challenge: 'c' });
    expect(a.rest.allowCredentials).toEqual([]);
    // Nothing in the answer names the account or its credential.
    expect(JSON.stringify(holder.body)).not.toContain(authenticator.id);
    expect(JSON.stringify(holder.body)).not.toContain(user.id);
    const res = await signIn(await authenticator.assert({ challenge: a.challenge }));
    expect([res.status, res.body.data.user.id]).toEqual([200, user.id]);
  });

  it('Should refuse a replayed assertion with 401 and change nothing', async () => {
    const { user, authenticator } = await userWithPasskey();
    const options = await authenticateOptions({ email: user.email! });
    const assertion = await authenticator.assert({ challenge: options.body.data.challenge });
    expect((await signIn(assertion)).status).toBe(200);
    const before = await passkeyRow(authenticator.id);
    const sessionsBefore = await sessionCount(user.id);

    expectSignInRefused(await signIn(assertion));
    expect(await passkeyRow(authenticator.id)).toEqual(before);
    expect(await sessionCount(user.id)).toBe(sessionsBefore);
    expect(await signInFailureReasons(authenticator.id)).toEqual(['challenge']);
  });

  it('Should refuse a clientData from another origin, burning the challenge', async () => {
    const { user, authenticator } = await userWithPasskey();
    const { challenge } = (await authenticateOptions({ email: user.email! })).body.data;
    expectSignInRefused(await signIn(await authenticator.assert({ challenge, origin: 'https://evil.example' })));
    expect((await passkeyRow(authenticator.id))!.counter).toBe(0);
    expect((await challengeRow(challenge))!.consumedAt).not.toBeNull();
    // The phished challenge cannot be answered afterwards either.
    expectSignInRefused(await signIn(await authenticator.assert({ challenge })));
    expect(await sessionCount(user.id)).toBe(1); // only the session signedInUser() made
    expect(await signInFailureReasons(authenticator.id)).toEqual(['assertion', 'challenge']);
  });

  it('Should refuse an assertion signed by another key, a wrong RP id or a webauthn.create type', async () => {
    const { user, authenticator } = await userWithPasskey();
    const impostor = await SoftAuthenticator.create({ credentialId: authenticator.credentialId });
    const attempts = [
      (challenge: string) => impostor.assert({ challenge }),
      (challenge: string) => authenticator.assert({ challenge, rpId: 'evil.example' }),
      (challenge: string) => authenticator.assert({ challenge, type: 'webauthn.create' }),
    ];
    for (const attempt of attempts) {
      const { challenge } = (await authenticateOptions({ email: user.email! })).body.data;
      expectSignInRefused(await signIn(await attempt(challenge)));
    }
    expect((await passkeyRow(authenticator.id))!.counter).toBe(0);
    expect(await sessionCount(user.id)).toBe(1);
    expect(await signInFailureReasons(authenticator.id)).toEqual(['assertion', 'assertion', 'assertion']);
  });

  it('Should refuse an expired challenge (6 minutes later) and leave it unconsumed', async () => {
    const { user, authenticator } = await userWithPasskey();
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { challenge } = (await authenticateOptions({ email: user.email! }, timed)).body.data;
    clock.advance(6 * 60_000);
    expectSignInRefused(await signIn(await authenticator.assert({ challenge }), timed));
    expect((await challengeRow(challenge))!.consumedAt).toBeNull();
    expect((await passkeyRow(authenticator.id))!.counter).toBe(0);
    expect(await signInFailureReasons(authenticator.id)).toEqual(['challenge']);
  });

  it('Should detect a cloned authenticator: a sign count that does not increase is refused', async () => {
    const { user, authenticator } = await userWithPasskey();
    const first = (await authenticateOptions({ email: user.email! })).body.data.challenge;
    expect((await signIn(await authenticator.assert({ challenge: first, counter: 5 }))).status).toBe(200);
    for (const counter of [5, 4, 0]) {
      const { challenge } = (await authenticateOptions({ email: user.email! })).body.data;
      expectSignInRefused(await signIn(await authenticator.assert({ challenge, counter })));
    }
    expect((await passkeyRow(authenticator.id))!.counter).toBe(5);
    const next = (await authenticateOptions({ email: user.email! })).body.data.challenge;
    expect((await signIn(await authenticator.assert({ challenge: next, counter: 6 }))).status).toBe(200);
    expect((await passkeyRow(authenticator.id))!.counter).toBe(6);
  });

  it('Should require user verification for a passkey sign-in (it skips 2FA)', async () => {
    const { user, authenticator } = await userWithPasskey();
    const { challenge } = (await authenticateOptions({ email: user.email! })).body.data;
    expectSignInRefused(await signIn(await authenticator.assert({ challenge, flags: FLAG.UP })));
    expect(await sessionCount(user.id)).toBe(1);
  });

  it("Should refuse a passkey answering a challenge bound to another account's email, or a mismatched user handle", async () => {
    const victim = await userWithPasskey();
    const attacker = await userWithPasskey();
    const { challenge } = (await authenticateOptions({ email: victim.user.email! })).body.data;
    expectSignInRefused(await signIn(await attacker.authenticator.assert({ challenge })));
    const open = (await authenticateOptions()).body.data.challenge;
    const lying = await attacker.authenticator.assert({ challenge: open, userHandle: userHandleOf(victim.user.id) });
    expectSignInRefused(await signIn(lying));
    expect(await signInFailureReasons(attacker.authenticator.id)).toEqual(['account-mismatch', 'user-handle']);
  });

  it('Should refuse an unknown credential and a blocked account (403 after a valid assertion)', async () => {
    const stranger = await SoftAuthenticator.create();
    const { challenge } = (await authenticateOptions()).body.data;
    expectSignInRefused(await signIn(await stranger.assert({ challenge })));
    expect(await signInFailureReasons(stranger.id)).toEqual(['credential']);

    const blocked = await createUser({ status: 'active' });
    const authenticator = await SoftAuthenticator.create();
    expect((await registerWith(await tokenFor(blocked), authenticator)).status).toBe(201);
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.id));
    const next = (await authenticateOptions()).body.data.challenge;
    const res = await signIn(await authenticator.assert({ challenge: next }));
    expect([res.status, res.body.error.code]).toEqual([403, 'USER_BLOCKED']);
    expect(await signInFailureReasons(authenticator.id)).toEqual(['USER_BLOCKED']);
  });

  it('Should rate-limit the public options endpoint per IP', async () => {
    const headers = { 'cf-connecting-ip': '203.0.113.77' };
    for (let i = 0; i < 30; i++) {
      expect((await api.post(`${AUTH}/passkeys/authenticate/options`, { json: {}, headers })).status).toBe(200);
    }
    const res = await api.post(`${AUTH}/passkeys/authenticate/options`, { json: {}, headers });
    expect([res.status, res.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('passkeys: deletion', () => {
  it("Should delete my passkey, audit it, and answer 404 for another user's passkey without touching it", async () => {
    const owner = await userWithPasskey();
    const other = await signedInUser();
    const path = `${AUTH}/passkeys/${owner.authenticator.id}`;

    const foreign = await api.delete(path, { token: other.token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(await passkeyRow(owner.authenticator.id)).toBeDefined();

    const res = await api.delete(path, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: owner.authenticator.id });
    expect(await passkeyRow(owner.authenticator.id)).toBeUndefined();
    const audit = await auditFor(owner.authenticator.id);
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['auth.passkey_register', owner.user.id],
      ['auth.passkey_delete', owner.user.id],
    ]);
    expect((await api.delete(path, { token: owner.token })).status).toBe(404);

    // A deleted passkey no longer signs in.
    const { challenge } = (await authenticateOptions()).body.data;
    expectSignInRefused(await signIn(await owner.authenticator.assert({ challenge })));
  });
});

describe('passkeys: second factor', () => {
  async function twoFactorRequired(user: Parameters<typeof completeSignIn>[1]) {
    const error = await completeSignIn(serviceContext(), user, 'password', { userAgent: 'vitest', ip: null }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('TWO_FACTOR_REQUIRED');
    return (error as AppError).data as { challengeId: string; methods: string[] };
  }

  async function passkeyTwoFactorOptions(challengeId: string) {
    const res = await api.post(`${AUTH}/2fa/passkey/options`, { json: { challengeId } });
    expect(res.status).toBe(200);
    return res.body.data;
  }

  it('Should answer 409 without a passkey, enable passkey 2FA with one and issue recovery codes once', async () => {
    const { user, token } = await signedInUser();
    const none = await api.post(`${AUTH}/2fa/passkey/enable`, { token });
    expect([none.status, none.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get()).toBeUndefined();

    expect((await registerWith(token, await SoftAuthenticator.create())).status).toBe(201);
    const res = await api.post(`${AUTH}/2fa/passkey/enable`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.factor).toBe('passkey');
    expect(res.body.data.recoveryCodes).toHaveLength(10);
    const row = await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get();
    expect(row!.passkeyEnabledAt).toBe(Date.parse(res.body.data.enabledAt));
    expect(await db.$count(recoveryCodes, eq(recoveryCodes.userId, user.id))).toBe(10);
    const again = await api.post(`${AUTH}/2fa/passkey/enable`, { token });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(userMfa, eq(userMfa.userId, user.id))).toBe(1);
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'auth.2fa_enable')))
      .all();
    expect(audit.map((a) => a.metadata)).toEqual([{ factor: 'passkey', recoveryCodesIssued: true }]);
  });

  it('Should finish a TWO_FACTOR_REQUIRED sign-in with a passkey and refuse the same assertion twice', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    expect((await api.post(`${AUTH}/2fa/passkey/enable`, { token })).status).toBe(200);

    const { challengeId, methods } = await twoFactorRequired(user);
    expect(methods).toContain('passkey');
    const options = await passkeyTwoFactorOptions(challengeId);
    expect(options).toMatchObject({
      userVerification: 'discouraged',
      allowCredentials: [{ id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] }],
    });
    expect(await challengeRow(options.challenge)).toMatchObject({ kind: 'two-factor', userId: user.id });

    // Possession is the second factor: user verification is not required here.
    const assertion = await authenticator.assert({ challenge: options.challenge, flags: FLAG.UP });
    const ctx = serviceContext();
    const live = await loadChallenge(ctx, challengeId);
    expect(await verifyPasskeyForChallenge(ctx, live, assertion)).toBe(true);
    expect(await verifyPasskeyForChallenge(ctx, live, assertion)).toBe(false);
    expect((await passkeyRow(authenticator.id))!.counter).toBe(1);
    expect((await challengeRow(options.challenge))!.consumedAt).not.toBeNull();

    const result = await passChallenge(ctx, live, 'passkey');
    const me = await api.get('/api/v1/users/me', { token: result.tokens.accessToken });
    expect([me.status, me.body.data.user.id]).toEqual([200, user.id]);
    const login = await db.select().from(loginChallenges).where(eq(loginChallenges.id, challengeId)).get();
    expect(login!.consumedAt).not.toBeNull();
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.action, 'auth.2fa_verify')))
      .all();
    expect(audit.map((a) => [a.outcome, a.metadata])).toEqual([['success', { factor: 'passkey' }]]);
  });

  it('Should return false for a wrong key, a sign-in challenge, another user’s passkey or junk, and count it with failChallenge', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    const other = await userWithPasskey();
    expect((await api.post(`${AUTH}/2fa/passkey/enable`, { token })).status).toBe(200);
    const { challengeId } = await twoFactorRequired(user);
    const ctx = serviceContext();
    const live = await loadChallenge(ctx, challengeId);

    const impostor = await SoftAuthenticator.create({ credentialId: authenticator.credentialId });
    const wrongKey = await impostor.assert({ challenge: (await passkeyTwoFactorOptions(challengeId)).challenge });
    expect(await verifyPasskeyForChallenge(ctx, live, wrongKey)).toBe(false);

    // A challenge from the public sign-in options is not a two-factor challenge.
    const signInChallenge = (await authenticateOptions({ email: user.email! })).body.data.challenge;
    expect(await verifyPasskeyForChallenge(ctx, live, await authenticator.assert({ challenge: signInChallenge }))).toBe(
      false,
    );
    // Another account's passkey cannot answer my challenge.
    const foreign = await other.authenticator.assert({
      challenge: (await passkeyTwoFactorOptions(challengeId)).challenge,
    });
    expect(await verifyPasskeyForChallenge(ctx, live, foreign)).toBe(false);
    expect(await verifyPasskeyForChallenge(ctx, live, { not: 'an assertion' })).toBe(false);
    expect((await passkeyRow(authenticator.id))!.counter).toBe(0);

    const failure = await failChallenge(ctx, live, 'passkey').catch((err: AppError) => err);
    expect([failure.code, failure.details]).toEqual(['OTP_INVALID', { attemptsLeft: 4 }]);
    const login = await db.select().from(loginChallenges).where(eq(loginChallenges.id, challengeId)).get();
    expect([login!.attempts, login!.consumedAt]).toEqual([1, null]);
  });

  it('Should refuse 2FA passkey options when passkeys are not a second factor, and for an unknown challenge', async () => {
    const { user } = await userWithPasskey();
    await db.insert(userMfa).values({ userId: user.id, emailOtpEnabledAt: Date.now(), updatedAt: Date.now() });
    const { challengeId, methods } = await twoFactorRequired(user);
    expect(methods).not.toContain('passkey');
    const res = await api.post(`${AUTH}/2fa/passkey/options`, { json: { challengeId } });
    expect([res.status, res.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    const unknown = await api.post(`${AUTH}/2fa/passkey/options`, {
      json: { challengeId: 'chl_00000000000000000000000000' },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('Should refuse to delete the last passkey while it is a second factor (a stolen token must not strip 2FA)', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    const second = await SoftAuthenticator.create();
    expect((await registerWith(token, second)).status).toBe(201);
    expect((await api.post(`${AUTH}/2fa/passkey/enable`, { token })).status).toBe(200);
    expect((await twoFactorRequired(user)).methods).toEqual(['passkey', 'recovery']);

    expect((await api.delete(`${AUTH}/passkeys/${authenticator.id}`, { token })).status).toBe(200);
    const last = await api.delete(`${AUTH}/passkeys/${second.id}`, { token });
    expect([last.status, last.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(passkeys, eq(passkeys.userId, user.id))).toBe(1);
    expect((await db.select().from(userMfa).where(eq(userMfa.userId, user.id)).get())!.passkeyEnabledAt).not.toBeNull();
  });

  it('Should delete the last passkey freely when passkeys are not a second factor', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    expect((await api.delete(`${AUTH}/passkeys/${authenticator.id}`, { token })).status).toBe(200);
    expect(await db.$count(passkeys, eq(passkeys.userId, user.id))).toBe(0);
    const result = await completeSignIn(serviceContext(), user, 'password', { userAgent: null, ip: null });
    expect(result.tokens.accessToken).toBeTruthy();
  });
});

describe('passkeys: the features.passkeys flag', () => {
  afterEach(resetSettings);

  const REGISTRATION_OFF = 'Passkey registration is turned off';
  const SIGN_IN_OFF = 'Passkey sign-in is turned off';

  it('Should refuse registration while off, storing no challenge and no passkey, and finish it once back on', async () => {
    const { user, token } = await signedInUser();
    const authenticator = await SoftAuthenticator.create();
    // A registration started before a superadmin turned passkeys off.
    const started = await api.post(`${AUTH}/passkeys/register/options`, { token });
    expect(started.status).toBe(200);
    const response = await authenticator.register({ challenge: started.body.data.challenge });
    await setSetting('features.passkeys', false);
    const challenges = () => db.$count(webauthnChallenges, eq(webauthnChallenges.userId, user.id));
    expect(await challenges()).toBe(1);

    const options = await api.post(`${AUTH}/passkeys/register/options`, { token });
    expectTurnedOff(options, 'features.passkeys', REGISTRATION_OFF);
    const verify = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { response } });
    expectTurnedOff(verify, 'features.passkeys', REGISTRATION_OFF);
    expect(await challenges()).toBe(1);
    expect((await challengeRow(started.body.data.challenge))!.consumedAt).toBeNull();
    expect(await passkeyRow(authenticator.id)).toBeUndefined();
    expect(await auditFor(authenticator.id)).toEqual([]);

    await setSetting('features.passkeys', true);
    const done = await api.post(`${AUTH}/passkeys/register/verify`, { token, json: { response } });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(await passkeyRow(authenticator.id)).toMatchObject({ userId: user.id });
    expect((await api.post(`${AUTH}/passkeys/register/options`, { token })).status).toBe(200);
  });

  it('Should refuse passkey sign-in while off, keeping passkeys stored and listed, and sign in once back on', async () => {
    const { user, token, authenticator } = await userWithPasskey();
    // Options fetched before a superadmin turned passkeys off.
    const options = await authenticateOptions({ email: user.email! });
    const assertion = await authenticator.assert({ challenge: options.body.data.challenge });
    await setSetting('features.passkeys', false);
    const challengeCount = await db.$count(webauthnChallenges);

    for (const body of [{ email: user.email! }, {}]) {
      const res = await api.post(`${AUTH}/passkeys/authenticate/options`, { json: body });
      expectTurnedOff(res, 'features.passkeys', SIGN_IN_OFF);
    }
    expectTurnedOff(await signIn(assertion), 'features.passkeys', SIGN_IN_OFF);
    expect(await db.$count(webauthnChallenges)).toBe(challengeCount);
    expect((await challengeRow(options.body.data.challenge))!.consumedAt).toBeNull();
    expect(await passkeyRow(authenticator.id)).toMatchObject({ counter: 0, lastUsedAt: null });
    expect(await sessionCount(user.id)).toBe(1); // the test's own session
    expect(await signInFailureReasons(authenticator.id)).toEqual([]);
    // Registered passkeys stay stored, and their owner can still see them.
    const list = await api.get(`${AUTH}/passkeys`, { token });
    expect([list.status, list.body.data.items.map((p: { id: string }) => p.id)]).toEqual([200, [authenticator.id]]);

    await setSetting('features.passkeys', true);
    const res = await signIn(assertion);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.id).toBe(user.id);
    expect(await sessionCount(user.id)).toBe(2);
    expect((await authenticateOptions({ email: user.email! })).status).toBe(200);
  });

  it('Should keep a passkey working as a second factor while off, so nobody is locked out', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const authenticator = await SoftAuthenticator.create();
    expect((await registerWith(token, authenticator)).status).toBe(201);
    expect((await api.post(`${AUTH}/2fa/passkey/enable`, { token })).status).toBe(200);
    await setSetting('features.passkeys', false);

    const login = await api.post(`${AUTH}/login`, { json: { email: user.email, password: STRONG_PASSWORD } });
    expect([login.status, login.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
    expect(login.body.data.methods).toContain('passkey');
    const { challengeId } = login.body.data;
    const options = await api.post(`${AUTH}/2fa/passkey/options`, { json: { challengeId } });
    expect(options.status, JSON.stringify(options.body)).toBe(200);
    const assertion = await authenticator.assert({ challenge: options.body.data.challenge, flags: FLAG.UP });
    const verified = await api.post(`${AUTH}/2fa/verify`, {
      json: { challengeId, method: 'passkey', response: assertion },
    });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body.data.user.id).toBe(user.id);
    expect((await passkeyRow(authenticator.id))!.counter).toBe(1);
  });
});
