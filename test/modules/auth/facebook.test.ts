import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, loginChallenges, rateLimits, sessions, userMfa, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, uniqueEmail } from '../../helpers';
import {
  DEBUG_TOKEN_URL,
  expectedProof,
  FACEBOOK_APP_ID,
  FACEBOOK_APP_SECRET,
  facebookGraph,
  facebookUserId,
  ME_URL,
} from '../../support/facebook';
import { expectTurnedOff, resetSettings, setSetting } from '../../support/settings';

const PATH = '/api/v1/auth/facebook';

const usersWithEmail = (email: string) => db.select().from(users).where(eq(users.email, email)).all();
const usersWithFacebook = (id: string) => db.select().from(users).where(eq(users.facebookId, id)).all();
const auditOf = (requestId: string) => db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).all();
const counter = (key: string) => db.select().from(rateLimits).where(eq(rateLimits.key, key)).all();

let ipSeq = 0;
/** A client address of its own, so the per-address limits of one test do not reach another. */
const freshIp = () => `203.0.113.${++ipSeq}`;

/** A Facebook, a fixed clock and a client wired to both. */
function setup() {
  const clock = fixedClock('2026-06-01T12:00:00Z');
  const graph = facebookGraph(clock);
  const api = client({ fetch: graph.fetch, clock });
  const ip = freshIp();
  const signIn = (accessToken: unknown, headers: Record<string, string> = {}) =>
    api.post(PATH, {
      json: { accessToken },
      headers: { 'user-agent': 'vitest-facebook', 'cf-connecting-ip': ip, ...headers },
    });
  return { clock, graph, api, ip, signIn };
}

beforeEach(async () => {
  // Off by default (a Facebook app must be set up first); every test but the flag's runs with it on.
  await setSetting('features.facebookSignIn', true);
});
afterEach(resetSettings);

describe('POST /auth/facebook: accounts', () => {
  it('Should verify the token with Facebook and create an active patient whose email is unproven', async () => {
    const f = setup();
    const fb = f.graph.token({ name: 'Fiona Facebook' });
    const res = await f.signIn(fb.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.message).toBe('Signed in');
    expect(res.body.data.user).toMatchObject({
      email: fb.email,
      name: 'Fiona Facebook',
      role: 'user',
      status: 'active',
      emailVerified: false,
      hasPassword: false,
    });
    expect(res.body.data.tokens).toMatchObject({ expiresIn: 900, refreshToken: expect.stringMatching(/^rt_/) });

    // debug_token with the app access token, then the profile with appsecret_proof: two GETs, nothing else.
    expect(f.graph.requests.map((r) => [r.method, r.url.split('?')[0]])).toEqual([
      ['GET', DEBUG_TOKEN_URL],
      ['GET', ME_URL],
    ]);
    const debug = new URL(f.graph.requests[0]!.url);
    expect(Object.fromEntries(debug.searchParams)).toEqual({
      input_token: fb.accessToken,
      access_token: `${FACEBOOK_APP_ID}|${FACEBOOK_APP_SECRET}`,
    });
    const me = new URL(f.graph.requests[1]!.url);
    expect(Object.fromEntries(me.searchParams)).toEqual({
      fields: 'id,name,email',
      access_token: fb.accessToken,
      appsecret_proof: await expectedProof(fb.accessToken),
    });
    expect(me.searchParams.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);

    const [row, ...more] = await usersWithEmail(fb.email!);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      id: res.body.data.user.id,
      facebookId: fb.userId,
      googleSub: null,
      role: 'user',
      status: 'active',
      passwordHash: null,
      emailVerifiedAt: null,
      createdAt: f.clock.now().getTime(),
    });
    const sessionRows = await db.select().from(sessions).where(eq(sessions.userId, row!.id)).all();
    expect(sessionRows).toEqual([
      expect.objectContaining({ method: 'facebook', userAgent: 'vitest-facebook', ip: f.ip }),
    ]);
    const audit = await auditOf(res.headers.get('x-request-id')!);
    expect(audit.map((e) => [e.action, e.outcome, e.actorId, e.metadata])).toEqual(
      expect.arrayContaining([
        ['auth.register', 'success', row!.id, { method: 'facebook' }],
        ['auth.login', 'success', row!.id, { method: 'facebook' }],
      ]),
    );
    expect(audit).toHaveLength(2);

    const profile = await f.api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken });
    expect(profile.status).toBe(200);
    expect(profile.body.data.user).toMatchObject({ id: row!.id, email: fb.email });
  });

  it('Should sign the same Facebook user into the same account, also once it shares no email', async () => {
    const f = setup();
    const userId = facebookUserId();
    const first = await f.signIn(f.graph.token({ userId }).accessToken);
    expect(first.status).toBe(200);
    f.clock.advance(60_000);
    const second = await f.signIn(f.graph.token({ userId, email: null }).accessToken);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.data.user.id).toBe(first.body.data.user.id);
    expect(await usersWithFacebook(userId)).toHaveLength(1);
    expect(await db.$count(sessions, eq(sessions.userId, first.body.data.user.id))).toBe(2);
    expect(await auditOf(second.headers.get('x-request-id')!)).toEqual([
      expect.objectContaining({ action: 'auth.login', outcome: 'success', metadata: { method: 'facebook' } }),
    ]);
  });

  it('Should name a new account after its email when Facebook gives no name, and accept a token that never expires', async () => {
    const f = setup();
    const fb = f.graph.token({ name: null, expiresAt: 0 });
    const res = await f.signIn(fb.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.name).toBe(fb.email!.split('@')[0]);
  });

  it('Should create one account when the same first sign-in arrives three times at once', async () => {
    const f = setup();
    const fb = f.graph.token();
    const results = await Promise.all([f.signIn(fb.accessToken), f.signIn(fb.accessToken), f.signIn(fb.accessToken)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.body.data.user.id)).size).toBe(1);
    expect(await usersWithFacebook(fb.userId)).toHaveLength(1);
    const registrations = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'auth.register'), eq(auditEvents.resourceId, results[0]!.body.data.user.id)))
      .all();
    expect(registrations).toHaveLength(1);
  });

  it('Should never link an existing account by its email: 409, the account untouched, not counted as a guess', async () => {
    const f = setup();
    const existing = await createUser({ email: uniqueEmail('taken'), passwordHash: 'scrypt$kept' });
    const res = await f.signIn(f.graph.token({ email: existing.email!.toUpperCase() }).accessToken);
    expect([res.status, res.body.error.code, res.body.error.details]).toEqual([
      409,
      'CONFLICT',
      { reason: 'email-in-use' },
    ]);
    expect(await usersWithEmail(existing.email!)).toEqual([existing]);
    expect(await db.$count(sessions, eq(sessions.userId, existing.id))).toBe(0);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        actorId: existing.id,
        metadata: { method: 'facebook', reason: 'email_in_use' },
      }),
    ]);
    expect(await counter(`facebook-failures:ip:${f.ip}`)).toEqual([]);
  });

  it('Should refuse a first sign-in without the email permission with 422 on accessToken, storing nothing', async () => {
    const f = setup();
    const fb = f.graph.token({ email: null });
    const res = await f.signIn(fb.accessToken);
    expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(res.body.errors).toEqual([{ field: 'accessToken', message: expect.stringContaining('email permission') }]);
    expect(await usersWithFacebook(fb.userId)).toEqual([]);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        actorId: null,
        metadata: { method: 'facebook', reason: 'no_email' },
      }),
    ]);
  });

  it('Should answer 403 USER_BLOCKED and USER_INACTIVE for a linked account that may not sign in, audited', async () => {
    const f = setup();
    const fb = f.graph.token();
    const created = await f.signIn(fb.accessToken);
    const id = created.body.data.user.id as string;
    for (const [status, code] of [
      ['blocked', 'USER_BLOCKED'],
      ['inactive', 'USER_INACTIVE'],
    ] as const) {
      await db.update(users).set({ status }).where(eq(users.id, id));
      const res = await f.signIn(fb.accessToken);
      expect([res.status, res.body.error.code]).toEqual([403, code]);
      expect(await auditOf(res.body.requestId)).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          actorId: id,
          metadata: { method: 'facebook', reason: `user_${status}` },
        }),
      ]);
    }
    expect(await db.$count(sessions, eq(sessions.userId, id))).toBe(1);
  });

  it('Should answer TWO_FACTOR_REQUIRED with a challenge for an account with 2FA on', async () => {
    const f = setup();
    const fb = f.graph.token();
    const id = (await f.signIn(fb.accessToken)).body.data.user.id as string;
    const now = f.clock.now().getTime();
    await db.update(users).set({ emailVerifiedAt: now }).where(eq(users.id, id));
    await db.insert(userMfa).values({ userId: id, emailOtpEnabledAt: now, updatedAt: now });
    const res = await f.signIn(fb.accessToken);
    expect([res.status, res.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
    expect(res.body.data).toMatchObject({ challengeId: expect.stringMatching(/^chl_/), methods: ['email'] });
    const challenge = await db
      .select()
      .from(loginChallenges)
      .where(eq(loginChallenges.id, res.body.data.challengeId))
      .get();
    expect(challenge).toMatchObject({ userId: id, method: 'facebook' });
    expect(await db.$count(sessions, eq(sessions.userId, id))).toBe(1);
  });
});

describe('POST /auth/facebook: refused tokens', () => {
  /** The uniform 401, no account made, the audited reason, and the refusal counted against the address. */
  async function expectRefused(f: ReturnType<typeof setup>, res: { status: number; body: any }, reason: string) {
    expect([res.status, res.body.error.code, res.body.message]).toEqual([
      401,
      'TOKEN_INVALID',
      'Facebook sign-in failed',
    ]);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        actorId: null,
        metadata: { method: 'facebook', reason },
      }),
    ]);
    expect((await counter(`facebook-failures:ip:${f.ip}`))[0]?.count).toBeGreaterThan(0);
  }

  it('Should refuse a token Facebook says is not valid, without asking for the profile', async () => {
    const f = setup();
    await expectRefused(f, await f.signIn('EAAnotAtokenFacebookKnows'), 'invalid');
    const revoked = f.graph.token({ isValid: false });
    await expectRefused(f, await f.signIn(revoked.accessToken), 'invalid');
    expect(await usersWithFacebook(revoked.userId)).toEqual([]);
    expect(f.graph.requests.every((r) => r.url.startsWith(`${DEBUG_TOKEN_URL}?`))).toBe(true);
  });

  it('Should refuse a token of another Facebook app', async () => {
    const f = setup();
    const fb = f.graph.token({ appId: '999999999999999' });
    await expectRefused(f, await f.signIn(fb.accessToken), 'other_app');
    expect(await usersWithFacebook(fb.userId)).toEqual([]);
  });

  it('Should refuse an expired token by the injected clock', async () => {
    const f = setup();
    const fb = f.graph.token();
    expect((await f.signIn(fb.accessToken)).status).toBe(200);
    f.clock.advance(3600_000);
    await expectRefused(f, await f.signIn(fb.accessToken), 'expired');
  });

  it('Should refuse a page or app token', async () => {
    const f = setup();
    await expectRefused(f, await f.signIn(f.graph.token({ type: 'PAGE' }).accessToken), 'not_user_token');
    await expectRefused(f, await f.signIn(f.graph.token({ type: 'APP' }).accessToken), 'not_user_token');
  });

  it('Should refuse a token whose profile Facebook refuses or gives for someone else', async () => {
    const f = setup();
    const refused = f.graph.token({ profileRefused: true });
    await expectRefused(f, await f.signIn(refused.accessToken), 'profile_refused');
    const other = f.graph.token({ profileId: facebookUserId() });
    await expectRefused(f, await f.signIn(other.accessToken), 'profile_mismatch');
    expect(await usersWithEmail(other.email!)).toEqual([]);
  });

  it('Should answer 422 for a missing, empty, non-string or malformed token, calling nobody', async () => {
    const f = setup();
    const noBody = await f.api.post(PATH, { json: {} });
    expect([noBody.status, noBody.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(noBody.body.errors).toEqual([expect.objectContaining({ field: 'accessToken' })]);
    for (const bad of ['', 12345, null, ['EAAx'], 'EAA token with spaces', `EAA${'x'.repeat(4100)}`]) {
      const res = await f.signIn(bad);
      expect([JSON.stringify(bad).slice(0, 20), res.status, res.body.errors?.[0]?.field]).toEqual([
        JSON.stringify(bad).slice(0, 20),
        422,
        'accessToken',
      ]);
    }
    expect(f.graph.requests).toHaveLength(0);
  });

  it('Should answer 413 for a body over 16 KiB and 415 for another media type, calling nobody', async () => {
    const f = setup();
    const big = await f.signIn(`EAA${'x'.repeat(17 * 1024)}`);
    expect([big.status, big.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const form = await f.api.post(PATH, {
      body: 'accessToken=EAAx',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.status, form.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(f.graph.requests).toHaveLength(0);
  });

  it('Should refuse an address after 30 refused tokens in 15 minutes, and not another address', async () => {
    const f = setup();
    for (let i = 0; i < 30; i++) expect((await f.signIn(`EAAbad${i}`)).status).toBe(401);
    const limited = await f.signIn(f.graph.token().accessToken);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(f.graph.requests).toHaveLength(30);
    const elsewhere = await f.signIn(f.graph.token().accessToken, { 'cf-connecting-ip': freshIp() });
    expect(elsewhere.status).toBe(200);
  });
});

describe('POST /auth/facebook: Facebook down or not configured', () => {
  it('Should answer 503 when the Graph API cannot be reached, fails or answers junk, storing nothing and counting no failure', async () => {
    const f = setup();
    const fb = f.graph.token();
    for (const mode of ['network', 'debug-5xx', 'me-5xx', 'junk'] as const) {
      f.graph.setDown(mode);
      const res = await f.signIn(fb.accessToken);
      expect([mode, res.status, res.body.error.code]).toEqual([mode, 503, 'SERVICE_UNAVAILABLE']);
      expect(res.body.message).toBe('Facebook sign-in is unavailable right now; try again shortly');
    }
    expect(await usersWithFacebook(fb.userId)).toEqual([]);
    expect(await counter(`facebook-failures:ip:${f.ip}`)).toEqual([]);
    f.graph.setDown(null);
    expect((await f.signIn(fb.accessToken)).status).toBe(200);
  });

  it('Should answer 503 when Facebook refuses the app credentials (a wrong secret), not blaming the token', async () => {
    const f = setup();
    const fb = f.graph.token();
    const res = await f.api.post(PATH, {
      json: { accessToken: fb.accessToken },
      env: { FACEBOOK_APP_SECRET: 'a-rotated-secret-nobody-updated' },
    });
    expect([res.status, res.body.error.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(f.graph.requests).toHaveLength(1);
    expect(await usersWithFacebook(fb.userId)).toEqual([]);
  });

  it('Should answer 503 naming what is missing when the app id or secret is not set, calling nobody', async () => {
    const f = setup();
    const fb = f.graph.token();
    const noSecret = await f.api.post(PATH, {
      json: { accessToken: fb.accessToken },
      env: { FACEBOOK_APP_SECRET: '' },
    });
    expect([noSecret.status, noSecret.body.error.code, noSecret.body.error.details]).toEqual([
      503,
      'SERVICE_UNAVAILABLE',
      { missing: 'FACEBOOK_APP_SECRET' },
    ]);
    const neither = await f.api.post(PATH, {
      json: { accessToken: fb.accessToken },
      env: { FACEBOOK_APP_ID: undefined, FACEBOOK_APP_SECRET: undefined },
    });
    expect(neither.body.error.details).toEqual({ missing: 'FACEBOOK_APP_ID, FACEBOOK_APP_SECRET' });
    expect(f.graph.requests).toHaveLength(0);
  });
});

describe('POST /auth/facebook: the features.facebookSignIn flag', () => {
  it('Should be off by default: 403 before any call to Facebook, any counter or any audit row', async () => {
    await resetSettings();
    const f = setup();
    const fb = f.graph.token();
    const off = await f.signIn(fb.accessToken);
    expectTurnedOff(off, 'features.facebookSignIn', 'Facebook sign-in is turned off');
    expect(f.graph.requests).toHaveLength(0);
    expect(await usersWithFacebook(fb.userId)).toEqual([]);
    expect(await auditOf(off.headers.get('x-request-id')!)).toEqual([]);
    expect(await counter(`facebook:ip:${f.ip}`)).toEqual([]);

    const publicSettings = await f.api.get('/api/v1/settings/public');
    expect(publicSettings.body.data['features.facebookSignIn']).toBe(false);

    await setSetting('features.facebookSignIn', true);
    const on = await f.signIn(fb.accessToken);
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(f.graph.requests).toHaveLength(2);
    expect((await counter(`facebook:ip:${f.ip}`))[0]?.count).toBe(1);

    // Turned off again: a linked account is refused too, and keeps its one session.
    await setSetting('features.facebookSignIn', false);
    expectTurnedOff(await f.signIn(fb.accessToken), 'features.facebookSignIn', 'Facebook sign-in is turned off');
    expect(await db.$count(sessions, eq(sessions.userId, on.body.data.user.id))).toBe(1);
    expect(f.graph.requests).toHaveLength(2);
  });
});
