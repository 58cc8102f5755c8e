import { eq, like } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { expect } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../src/app';
import { auditEvents, rateLimits, sessions } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { type ApiResponse, client, createUser, db, tokenFor } from '../helpers';
import { ipHeaders, STRONG_PASSWORD, userWithPassword } from './auth';
import { SoftAuthenticator } from './authenticator';

/** What the identity module's round-trip tests share: a fixed clock, fresh addresses, counters, 2FA accounts. */

export const START = '2026-07-01T08:00:00Z';
/** Sequential D1 round trips of a request, as the DB port counted them. */
export const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

/** A client on a clock fixed at START. */
export function timed() {
  const clock = fixedClock(START);
  return { clock, api: client({ clock }) };
}
export type Api = ReturnType<typeof client>;

/**
 * Client addresses of their own per call site (in `198.<block>.x.y`), so per-IP limits of one test do
 * not leak into another; each test file takes its own block.
 */
export function ipSequence(block: number) {
  let seq = 0;
  return () => {
    const ip = `198.${block}.${Math.floor(seq / 250)}.${(seq++ % 250) + 1}`;
    return { ip, headers: ipHeaders(ip) };
  };
}

export const totpAt = (secret: string, now: Date) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: now.getTime(),
  });

export const sessionCount = (userId: string) => db.$count(sessions, eq(sessions.userId, userId));
/** The audit rows a request wrote. */
export const auditOf = (res: ApiResponse) =>
  db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.requestId, res.body.requestId ?? res.headers.get('x-request-id')))
    .all();
/** A limit whose budget in the current window (START's) is already spent `count` times. */
export const spentBudget = (key: string, count: number) =>
  db.insert(rateLimits).values({ key, windowStart: Date.parse(START), count });
/** Every rate-limit counter of an address. */
export const counterRows = (ip: string) =>
  db
    .select()
    .from(rateLimits)
    .where(like(rateLimits.key, `%:${ip}`))
    .all();

/** A password account with TOTP on (and its recovery codes); the clock is moved past the enabling step. */
export async function totpUser(api: Api, clock: ReturnType<typeof fixedClock>) {
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

/** Signs in with the password of an account with 2FA on: its TWO_FACTOR_REQUIRED challenge. */
export async function challengeFor(api: Api, email: string) {
  const res = await api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } });
  expect([res.status, res.body.error?.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
  return { res, challengeId: res.body.data.challengeId as string };
}

/** A signed-in account with one registered software passkey. */
export async function passkeyUser(api: Api, input: Parameters<typeof createUser>[0] = {}) {
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
