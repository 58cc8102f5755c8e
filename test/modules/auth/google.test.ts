import { and, eq } from 'drizzle-orm';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, rateLimits, sessions, userMfa, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { GOOGLE_CERTS_URL, keysTtlMs, resetGoogleKeysCache } from '../../../src/modules/auth/google.service';
import { client, createSession, createUser, db, recordingFetch, testEnv, uniqueEmail, uniqueId } from '../../helpers';
import { expectTurnedOff, resetSettings, setSetting } from '../../support/settings';

const CERTS = 'https://www.googleapis.com/oauth2/v3/certs';
const AUDIENCE = 'kinwell-dev.apps.googleusercontent.com';
const PATH = '/api/v1/auth/google';

interface GoogleKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function googleKey(kid = uniqueId('kid')): Promise<GoogleKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** Google's certs endpoint: serves `keys()` and throws for any other URL. */
function googleServer(keys: () => JWK[], cacheControl = 'public, max-age=21600, must-revalidate, no-transform') {
  return recordingFetch((req) => {
    if (req.url !== CERTS) throw new Error(`Unexpected outbound fetch: ${req.url}`);
    return Response.json({ keys: keys() }, { headers: { 'cache-control': cacheControl } });
  });
}

interface TokenOptions {
  claims?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  kid?: string;
  /** Token life in seconds from `now`. */
  ttl?: number;
}

function googleAccount() {
  return { sub: String(100_000_000_000 + Math.floor(Math.random() * 1e11)), email: uniqueEmail('google') };
}

function signIdToken(key: GoogleKey, now: Date, account: { sub: string; email: string }, options: TokenOptions = {}) {
  const iat = Math.floor(now.getTime() / 1000);
  const payload: JWTPayload = {
    email: account.email,
    email_verified: true,
    name: 'Grace Google',
    azp: AUDIENCE,
    ...options.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(options.iss ?? 'https://accounts.google.com')
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(account.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttl ?? 3600))
    .sign(key.privateKey);
}

const b64url = (value: object) =>
  btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

const usersWithEmail = (email: string) => db.select().from(users).where(eq(users.email, email)).all();
const auditOf = (requestId: string) => db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).all();

/** A Google with one key, a fixed clock and a client wired to both. */
async function setup(cacheControl?: string) {
  const key = await googleKey();
  let served: JWK[] = [key.jwk];
  const google = googleServer(() => served, cacheControl);
  const clock = fixedClock('2026-06-01T12:00:00Z');
  const api = client({ fetch: google.fetch, clock });
  const signIn = (idToken: string, headers: Record<string, string> = {}) =>
    api.post(PATH, { json: { idToken }, headers: { 'user-agent': 'vitest-google', ...headers } });
  return {
    key,
    google,
    clock,
    api,
    signIn,
    serve: (keys: JWK[]) => {
      served = keys;
    },
    token: (account: { sub: string; email: string }, options?: TokenOptions) =>
      signIdToken(key, clock.now(), account, options),
  };
}

beforeEach(() => {
  resetGoogleKeysCache();
});

describe('POST /auth/google: accounts', () => {
  it('Should run against the audience configured in wrangler.toml', () => {
    expect(testEnv.GOOGLE_CLIENT_IDS).toBe(AUDIENCE);
    expect(GOOGLE_CERTS_URL).toBe(CERTS);
  });

  it('Should create an active patient on first sign-in, with tokens that work', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.signIn(await g.token(account), { 'cf-connecting-ip': '198.51.100.7' });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Signed in');
    expect(res.body.data.user).toMatchObject({
      email: account.email,
      name: 'Grace Google',
      role: 'user',
      status: 'active',
      emailVerified: true,
      hasPassword: false,
    });
    expect(res.body.data.tokens).toMatchObject({ expiresIn: 900 });
    expect(res.body.data.tokens.refreshToken).toMatch(/^rt_/);

    // One GET to Google's certs endpoint, nothing else.
    expect(g.google.requests).toHaveLength(1);
    expect(g.google.requests[0]!.url).toBe(CERTS);
    expect(g.google.requests[0]!.method).toBe('GET');

    const [row, ...more] = await usersWithEmail(account.email);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      id: res.body.data.user.id,
      googleSub: account.sub,
      role: 'user',
      status: 'active',
      passwordHash: null,
      emailVerifiedAt: g.clock.now().getTime(),
      createdAt: g.clock.now().getTime(),
    });
    expect(row!.id).toMatch(/^usr_/);

    const sessionRows = await db.select().from(sessions).where(eq(sessions.userId, row!.id)).all();
    expect(sessionRows).toHaveLength(1);
    expect(sessionRows[0]).toMatchObject({ method: 'google', userAgent: 'vitest-google', ip: '198.51.100.7' });

    const audit = await auditOf(res.headers.get('x-request-id')!);
    expect(audit.map((e) => [e.action, e.outcome, e.actorId, e.metadata])).toEqual(
      expect.arrayContaining([
        ['auth.register', 'success', row!.id, { method: 'google' }],
        ['auth.login', 'success', row!.id, { method: 'google' }],
      ]),
    );
    expect(audit).toHaveLength(2);

    const me = await g.api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.data.user).toMatchObject({ id: row!.id, email: account.email, role: 'user' });
  });

  it('Should sign the same Google account into the same user, using the cached keys', async () => {
    const g = await setup();
    const account = googleAccount();
    const first = await g.signIn(await g.token(account));
    g.clock.advance(60_000);
    const second = await g.signIn(await g.token(account));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.data.user.id).toBe(first.body.data.user.id);
    expect(await usersWithEmail(account.email)).toHaveLength(1);
    const sessionRows = await db.select().from(sessions).where(eq(sessions.userId, first.body.data.user.id)).all();
    expect(sessionRows).toHaveLength(2);
    // The second sign-in made no call to Google.
    expect(g.google.requests).toHaveLength(1);
    // Only the first sign-in registered.
    expect(await auditOf(second.headers.get('x-request-id')!)).toEqual([
      expect.objectContaining({ action: 'auth.login', outcome: 'success', metadata: { method: 'google' } }),
    ]);
  });

  it('Should name a new account after the email when the token has no name', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.signIn(await g.token(account, { claims: { name: undefined } }));
    expect(res.status).toBe(200);
    expect(res.body.data.user.name).toBe(account.email.split('@')[0]);
  });

  it('Should create one user when the same first sign-in arrives twice at once', async () => {
    const g = await setup();
    const account = googleAccount();
    const token = await g.token(account);
    const results = await Promise.all([g.signIn(token), g.signIn(token), g.signIn(token)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.body.data.user.id)).size).toBe(1);
    expect(await usersWithEmail(account.email)).toHaveLength(1);
    const registrations = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'auth.register'), eq(auditEvents.resourceId, results[0]!.body.data.user.id)))
      .all();
    expect(registrations).toHaveLength(1);
  });

  it('Should link an existing email/password account instead of creating another', async () => {
    const g = await setup();
    const account = googleAccount();
    const existing = await createUser({ email: account.email, name: 'Pat Existing', passwordHash: 'pbkdf2$kept' });
    const res = await g.signIn(await g.token(account));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: existing.id, name: 'Pat Existing', hasPassword: true });
    const rows = await usersWithEmail(account.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: existing.id,
      googleSub: account.sub,
      passwordHash: 'pbkdf2$kept',
      emailVerifiedAt: existing.emailVerifiedAt,
    });
    const audit = await auditOf(res.headers.get('x-request-id')!);
    expect(audit.map((e) => [e.action, e.outcome, e.actorId])).toEqual(
      expect.arrayContaining([
        ['auth.google_link', 'success', existing.id],
        ['auth.login', 'success', existing.id],
      ]),
    );
    expect(audit.find((e) => e.action === 'auth.register')).toBeUndefined();
  });

  it('Should verify the email of a linked account, clearing a password nobody proved and ending its sessions', async () => {
    const g = await setup();
    const account = googleAccount();
    const squatter = await createUser({ email: account.email, passwordHash: 'pbkdf2$squatter' });
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, squatter.id));
    const oldSession = await createSession(squatter.id);

    const res = await g.signIn(await g.token(account));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: squatter.id, emailVerified: true, hasPassword: false });
    const row = (await usersWithEmail(account.email))[0]!;
    expect(row).toMatchObject({
      googleSub: account.sub,
      passwordHash: null,
      emailVerifiedAt: g.clock.now().getTime(),
      tokenVersion: 1,
    });
    const old = await db.select().from(sessions).where(eq(sessions.id, oldSession)).get();
    expect(old).toMatchObject({ revokedReason: 'google-link' });
    const link = (await auditOf(res.headers.get('x-request-id')!)).find((e) => e.action === 'auth.google_link');
    expect(link?.metadata).toEqual({ emailWasUnverified: true });
    // The new session carries the bumped token version.
    const me = await g.api.get('/api/v1/users/me', { token: res.body.data.tokens.accessToken });
    expect(me.status).toBe(200);
  });

  it('Should cut a Facebook link of an account whose email nobody proved, as it clears such a password', async () => {
    const g = await setup();
    const account = googleAccount();
    // What a first Facebook sign-in leaves: Facebook's email, stored unproven, and the Facebook id.
    const signedUp = await createUser({ email: account.email });
    await db
      .update(users)
      .set({ emailVerifiedAt: null, facebookId: '10000000000042' })
      .where(eq(users.id, signedUp.id));
    const facebookSession = await createSession(signedUp.id);

    const res = await g.signIn(await g.token(account));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: signedUp.id, emailVerified: true });
    expect((await usersWithEmail(account.email))[0]).toMatchObject({
      googleSub: account.sub,
      facebookId: null,
      emailVerifiedAt: g.clock.now().getTime(),
    });
    expect(await db.select().from(sessions).where(eq(sessions.id, facebookSession)).get()).toMatchObject({
      revokedReason: 'google-link',
    });

    // A proven email keeps its Facebook link.
    const proven = googleAccount();
    const kept = await createUser({ email: proven.email });
    await db.update(users).set({ facebookId: '10000000000043' }).where(eq(users.id, kept.id));
    expect((await g.signIn(await g.token(proven))).status).toBe(200);
    expect((await usersWithEmail(proven.email))[0]).toMatchObject({
      googleSub: proven.sub,
      facebookId: '10000000000043',
    });
  });

  it('Should refuse an email already linked to another Google account, changing nothing', async () => {
    const g = await setup();
    const account = googleAccount();
    const owner = await createUser({ email: account.email });
    await db.update(users).set({ googleSub: 'another-google-subject' }).where(eq(users.id, owner.id));
    const res = await g.signIn(await g.token(account));
    expect([res.status, res.body.error.code, res.body.message]).toEqual([
      401,
      'TOKEN_INVALID',
      'Google sign-in failed',
    ]);
    expect((await usersWithEmail(account.email))[0]!.googleSub).toBe('another-google-subject');
    expect(await db.select().from(sessions).where(eq(sessions.userId, owner.id)).all()).toEqual([]);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        actorId: owner.id,
        metadata: { method: 'google', reason: 'linked_to_other_google_account' },
      }),
    ]);
  });

  it('Should answer 403 USER_BLOCKED for a blocked account, without linking it or starting a session', async () => {
    const g = await setup();
    const account = googleAccount();
    const blocked = await createUser({ email: account.email, status: 'blocked' });
    const res = await g.signIn(await g.token(account));
    expect([res.status, res.body.error.code]).toEqual([403, 'USER_BLOCKED']);
    expect((await usersWithEmail(account.email))[0]!.googleSub).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.userId, blocked.id)).all()).toEqual([]);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        actorId: blocked.id,
        metadata: { method: 'google', reason: 'user_blocked' },
      }),
    ]);

    // Also once linked: blocking wins over a valid Google token.
    await db.update(users).set({ googleSub: account.sub, status: 'blocked' }).where(eq(users.id, blocked.id));
    const again = await g.signIn(await g.token(account));
    expect([again.status, again.body.error.code]).toEqual([403, 'USER_BLOCKED']);
  });

  it('Should answer TWO_FACTOR_REQUIRED with a challenge for an account with 2FA on', async () => {
    const g = await setup();
    const account = googleAccount();
    const user = await createUser({ email: account.email });
    await db.insert(userMfa).values({ userId: user.id, emailOtpEnabledAt: Date.now(), updatedAt: Date.now() });
    const res = await g.signIn(await g.token(account));
    expect([res.status, res.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
    expect(res.body.data).toMatchObject({ challengeId: expect.stringMatching(/^chl_/), methods: ['email'] });
    expect(await db.select().from(sessions).where(eq(sessions.userId, user.id)).all()).toEqual([]);
  });

  it('Should accept any audience listed in GOOGLE_CLIENT_IDS', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.api.post(PATH, {
      json: { idToken: await g.token(account, { aud: 'kinwell-ios.apps.googleusercontent.com' }) },
      env: { GOOGLE_CLIENT_IDS: `${AUDIENCE}, kinwell-ios.apps.googleusercontent.com` },
    });
    expect(res.status).toBe(200);
  });
});

describe('POST /auth/google: refused tokens', () => {
  /** Asserts the uniform 401, that no account was made, and the audited reason. */
  async function expectRefused(res: { status: number; body: any }, email: string, reason: string) {
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
    expect(res.body.message).toBe('Google sign-in failed');
    expect(await usersWithEmail(email)).toEqual([]);
    expect(await auditOf(res.body.requestId)).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        actorId: null,
        metadata: { method: 'google', reason },
      }),
    ]);
  }

  it('Should refuse a token for another audience', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.signIn(await g.token(account, { aud: 'someone-else.apps.googleusercontent.com' }));
    await expectRefused(res, account.email, 'claim_aud');
  });

  it('Should refuse a token from another issuer', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.signIn(await g.token(account, { iss: 'https://evil.example.com' }));
    await expectRefused(res, account.email, 'claim_iss');
  });

  it('Should accept the bare issuer accounts.google.com', async () => {
    const g = await setup();
    const res = await g.signIn(await g.token(googleAccount(), { iss: 'accounts.google.com' }));
    expect(res.status).toBe(200);
  });

  it('Should refuse an expired token by the injected clock', async () => {
    const g = await setup();
    const account = googleAccount();
    const token = await g.token(account, { ttl: 3600 });
    g.clock.advance(3601_000);
    await expectRefused(await g.signIn(token), account.email, 'expired');
  });

  it('Should refuse a token signed by another key under a served kid', async () => {
    const g = await setup();
    const account = googleAccount();
    const impostor = await googleKey(g.key.kid);
    const token = await signIdToken(impostor, g.clock.now(), account);
    await expectRefused(await g.signIn(token), account.email, 'signature');
  });

  it('Should refuse an alg:none token without calling Google', async () => {
    const g = await setup();
    const account = googleAccount();
    const now = Math.floor(g.clock.now().getTime() / 1000);
    const unsigned = `${b64url({ alg: 'none', kid: g.key.kid, typ: 'JWT' })}.${b64url({
      iss: 'https://accounts.google.com',
      aud: AUDIENCE,
      sub: account.sub,
      email: account.email,
      email_verified: true,
      iat: now,
      exp: now + 3600,
    })}.`;
    await expectRefused(await g.signIn(unsigned), account.email, 'algorithm');
    expect(g.google.requests).toHaveLength(0);
  });

  it('Should refuse an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const g = await setup();
    const account = googleAccount();
    const now = Math.floor(g.clock.now().getTime() / 1000);
    const token = await new SignJWT({ email: account.email, email_verified: true })
      .setProtectedHeader({ alg: 'HS256', kid: g.key.kid })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setSubject(account.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JSON.stringify(g.key.jwk)));
    await expectRefused(await g.signIn(token), account.email, 'algorithm');
  });

  it('Should refuse an unverified Google email, and a token without an email', async () => {
    const g = await setup();
    const account = googleAccount();
    await expectRefused(
      await g.signIn(await g.token(account, { claims: { email_verified: false } })),
      account.email,
      'email_unverified',
    );
    await expectRefused(
      await g.signIn(await g.token(account, { claims: { email_verified: 'true' } })),
      account.email,
      'email_unverified',
    );
    await expectRefused(
      await g.signIn(await g.token(account, { claims: { email: undefined } })),
      account.email,
      'no_email',
    );
  });

  it('Should refuse garbage', async () => {
    const g = await setup();
    await expectRefused(await g.signIn('not-a-jwt'), 'nobody@example.test', 'malformed');
    expect(g.google.requests).toHaveLength(0);
  });

  it('Should answer 422 when idToken is missing', async () => {
    const g = await setup();
    const res = await g.api.post(PATH, { json: {} });
    expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'idToken' })]);
    expect(g.google.requests).toHaveLength(0);
  });

  it('Should rate limit sign-in attempts per IP', async () => {
    const g = await setup();
    const headers = { 'cf-connecting-ip': '203.0.113.77' };
    for (let i = 0; i < 30; i++) expect((await g.signIn('not-a-jwt', headers)).status).toBe(401);
    const limited = await g.signIn('not-a-jwt', headers);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another IP is unaffected.
    expect((await g.signIn('not-a-jwt', { 'cf-connecting-ip': '203.0.113.78' })).status).toBe(401);
  });
});

describe("POST /auth/google: Google's keys", () => {
  it('Should refetch the keys exactly once for an unknown kid (rotation), then cache the new set', async () => {
    const g = await setup();
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    expect(g.google.requests).toHaveLength(1);

    const rotated = await googleKey();
    g.serve([g.key.jwk, rotated.jwk]);
    g.clock.advance(60_000);
    const account = googleAccount();
    const res = await g.signIn(await signIdToken(rotated, g.clock.now(), account));
    expect(res.status).toBe(200);
    expect(g.google.requests).toHaveLength(2);
    expect(g.google.requests.every((r) => r.url === CERTS)).toBe(true);

    // Both keys are now cached.
    expect((await g.signIn(await signIdToken(rotated, g.clock.now(), account))).status).toBe(200);
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    expect(g.google.requests).toHaveLength(2);
  });

  it('Should refetch once for a kid Google does not have, and not again within the cooldown', async () => {
    const g = await setup();
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    g.clock.advance(60_000);
    const account = googleAccount();
    const first = await g.signIn(await g.token(account, { kid: 'kid-nobody-has' }));
    expect([first.status, first.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    expect(g.google.requests).toHaveLength(2);
    const second = await g.signIn(await g.token(account, { kid: 'another-unknown-kid' }));
    expect(second.status).toBe(401);
    expect(g.google.requests).toHaveLength(2);
    const audit = await auditOf(second.body.requestId);
    expect(audit[0]?.metadata).toEqual({ method: 'google', reason: 'unknown_key' });
  });

  it('Should refetch the keys once their max-age has passed', async () => {
    const g = await setup('public, max-age=600');
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    g.clock.advance(599_000);
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    expect(g.google.requests).toHaveLength(1);
    g.clock.advance(2_000);
    expect((await g.signIn(await g.token(googleAccount()))).status).toBe(200);
    expect(g.google.requests).toHaveLength(2);
  });

  it('Should read the cache lifetime from Cache-Control', () => {
    expect(keysTtlMs('public, max-age=21600, must-revalidate, no-transform')).toBe(21_600_000);
    expect(keysTtlMs('max-age=0')).toBe(0);
    expect(keysTtlMs('no-store')).toBe(0);
    expect(keysTtlMs('public, s-maxage=100')).toBe(5 * 60_000);
    expect(keysTtlMs(null)).toBe(5 * 60_000);
    expect(keysTtlMs('max-age=999999999')).toBe(24 * 3600_000);
  });

  it('Should answer 503 when Google cannot be reached or answers badly, and not cache the failure', async () => {
    const key = await googleKey();
    const clock = fixedClock('2026-06-01T12:00:00Z');
    let mode: 'down' | 'error' | 'junk' | 'up' = 'down';
    const google = recordingFetch((req) => {
      if (req.url !== CERTS) throw new Error(`Unexpected outbound fetch: ${req.url}`);
      if (mode === 'down') throw new TypeError('network connection lost');
      if (mode === 'error') return new Response('oops', { status: 500 });
      if (mode === 'junk') return Response.json({ nope: true });
      return Response.json({ keys: [key.jwk] }, { headers: { 'cache-control': 'max-age=3600' } });
    });
    const api = client({ fetch: google.fetch, clock });
    const account = googleAccount();
    const idToken = await signIdToken(key, clock.now(), account);
    for (const next of ['down', 'error', 'junk'] as const) {
      mode = next;
      const res = await api.post(PATH, { json: { idToken } });
      expect([next, res.status, res.body.error.code]).toEqual([next, 503, 'SERVICE_UNAVAILABLE']);
    }
    expect(await usersWithEmail(account.email)).toEqual([]);
    mode = 'up';
    expect((await api.post(PATH, { json: { idToken } })).status).toBe(200);
    expect(google.requests).toHaveLength(4);
  });

  it('Should answer 503 when GOOGLE_CLIENT_IDS is not set, without calling Google', async () => {
    const g = await setup();
    const account = googleAccount();
    const res = await g.api.post(PATH, { json: { idToken: await g.token(account) }, env: { GOOGLE_CLIENT_IDS: '' } });
    expect([res.status, res.body.error.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(g.google.requests).toHaveLength(0);
    expect(await usersWithEmail(account.email)).toEqual([]);
  });
});

describe('POST /auth/google: the features.googleSignIn flag', () => {
  afterEach(resetSettings);

  it('Should answer 403 while a superadmin has turned it off, calling Google for nothing and storing nothing', async () => {
    const g = await setup();
    const account = googleAccount();
    const idToken = await g.token(account);
    const headers = { 'cf-connecting-ip': '203.0.113.90' };
    await setSetting('features.googleSignIn', false);

    const off = await g.signIn(idToken, headers);
    expectTurnedOff(off, 'features.googleSignIn', 'Google sign-in is turned off');
    expect(g.google.requests).toHaveLength(0);
    expect(await usersWithEmail(account.email)).toEqual([]);
    expect(await auditOf(off.headers.get('x-request-id')!)).toEqual([]);
    // Not even the rate-limit counter is touched.
    expect(await db.$count(rateLimits, eq(rateLimits.key, 'google:ip:203.0.113.90'))).toBe(0);

    // A linked account is refused too, and keeps its sessions as they were.
    const linked = await createUser({ email: account.email });
    await db.update(users).set({ googleSub: account.sub }).where(eq(users.id, linked.id));
    expectTurnedOff(await g.signIn(idToken, headers), 'features.googleSignIn', 'Google sign-in is turned off');
    expect(await db.$count(sessions, eq(sessions.userId, linked.id))).toBe(0);
    expect(g.google.requests).toHaveLength(0);

    await setSetting('features.googleSignIn', true);
    const on = await g.signIn(idToken, headers);
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.data.user.id).toBe(linked.id);
    expect(g.google.requests).toHaveLength(1);
    expect(await db.$count(sessions, eq(sessions.userId, linked.id))).toBe(1);
    expect(await db.$count(rateLimits, eq(rateLimits.key, 'google:ip:203.0.113.90'))).toBe(1);
  });
});
