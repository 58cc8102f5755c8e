import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rateLimits, userMfa, users } from '../../../src/db/schema';
import { createUser, db, tokenFor } from '../../helpers';
import { latestCode, strongPasswordHash, userWithPassword } from '../../support/auth';
import { SoftAuthenticator } from '../../support/authenticator';
import {
  auditOf,
  challengeFor,
  counterRows,
  ipSequence,
  passkeyUser,
  sessionCount,
  spentBudget,
  timed,
  totpAt,
  totpUser,
  tripsOf,
} from '../../support/round-trips';

/**
 * The round-trip budget of second factors and passkeys (docs/identity.md), counted at the DB port,
 * never timed: answering a 2FA challenge (each factor, right or wrong), emailing its code, signing in
 * with a passkey and asking for its options make one read batch (the limits' counters, the challenge or
 * stored WebAuthn challenge, the account, its factors, what the answer is checked against) and one write
 * batch; so does every signed-in change of second factors and passkeys. Each test also asserts what the
 * user sees and what was stored, and the rules batching must keep: per address only wrong answers count,
 * and concurrent answers to one code, challenge or assertion still win once.
 */
const freshIp = ipSequence(19);

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
    // Never listed (docs/identity.md, Passkeys): the device offers its discoverable passkey.
    expect(options.body.data.allowCredentials).toEqual([]);
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

describe('signed-in second factors and passkeys', () => {
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
