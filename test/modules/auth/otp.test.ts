import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents, oneTimeCodes, rateLimits, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, recordingFetch, testEnv, uniqueEmail } from '../../helpers';
import { ipHeaders, latestCode, outboxCount } from '../../support/auth';
import { expectTurnedOff, resetSettings, setSetting } from '../../support/settings';

const api = client();
let numberSeq = 0;
/** A fresh valid US number per test (storage is shared within the file). */
const freshNumber = () => `+1415555${String(1000 + ((Date.now() + numberSeq++) % 9000)).padStart(4, '0')}`;

describe('email one-time code sign-in', () => {
  it('Should email a code to an existing account and sign in with it', async () => {
    const user = await createUser({ email: uniqueEmail('otp') });
    const sent = await api.post('/api/v1/auth/otp/send', { json: { email: user.email } });
    expect(sent.status).toBe(200);
    expect(sent.body.data).toEqual({ channel: 'email', expiresIn: 600, resendAfter: 60 });
    const code = await latestCode(api, user.email!);
    const res = await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: code } });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(user.id);
    const again = await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: code } });
    expect([again.status, again.body.error.code]).toEqual([422, 'OTP_INVALID']);
  });

  it('Should answer an unknown email exactly like a known one and send nothing', async () => {
    const ghost = uniqueEmail('ghost');
    const res = await api.post('/api/v1/auth/otp/send', { json: { email: ghost } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ channel: 'email', expiresIn: 600, resendAfter: 60 });
    expect(await outboxCount(api, ghost)).toBe(0);
    const verify = await api.post('/api/v1/auth/otp/verify', { json: { email: ghost, otp: '123456' } });
    expect(verify.body.error.code).toBe('OTP_INVALID');
    expect(await db.$count(users, eq(users.email, ghost))).toBe(0);
  });

  it('Should store codes only as keyed hashes', async () => {
    const user = await createUser({ email: uniqueEmail('hash') });
    await api.post('/api/v1/auth/otp/send', { json: { email: user.email } });
    const code = await latestCode(api, user.email!);
    const row = await db.select().from(oneTimeCodes).where(eq(oneTimeCodes.target, user.email!)).get();
    expect(row?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.codeHash).not.toContain(code);
  });

  it('Should need exactly one of email and mobileNumber', async () => {
    const both = await api.post('/api/v1/auth/otp/send', {
      json: { email: uniqueEmail(), mobileNumber: '+14155550100' },
    });
    expect(both.status).toBe(422);
    const neither = await api.post('/api/v1/auth/otp/send', { json: {} });
    expect(neither.status).toBe(422);
  });
});

describe('mobile one-time code sign-in (Twilio SMS)', () => {
  it('Should text a code, auto-register an unknown number as a patient in E.164, and sign in', async () => {
    const number = freshNumber();
    const typed = `+1 (${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`;
    const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: typed } });
    expect(sent.status).toBe(200);
    expect(sent.body.data.channel).toBe('sms');
    const code = await latestCode(api, number);
    const res = await api.post('/api/v1/auth/otp/verify', { json: { mobileNumber: typed, otp: code } });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({
      mobileNumber: number,
      role: 'user',
      status: 'active',
      mobileVerified: true,
      email: null,
    });
    const second = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } });
    expect(second.status).toBe(429);
    expect(await db.$count(users, eq(users.mobileNumber, number))).toBe(1);
  });

  it('Should sign an existing number into its own account, not a new one', async () => {
    const number = freshNumber();
    const existing = await createUser();
    await db.update(users).set({ mobileNumber: number }).where(eq(users.id, existing.id));
    await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } });
    const res = await api.post('/api/v1/auth/otp/verify', {
      json: { mobileNumber: number, otp: await latestCode(api, number) },
    });
    expect(res.body.data.user.id).toBe(existing.id);
    expect(await db.$count(users, eq(users.mobileNumber, number))).toBe(1);
  });

  it("Should send the SMS through Twilio's REST API in production", async () => {
    const number = freshNumber();
    const twilio = recordingFetch(() => Response.json({ sid: 'SM123' }, { status: 201 }));
    const prod = client({ fetch: twilio.fetch });
    const env = {
      ENVIRONMENT: 'production',
      RECAPTCHA_SECRET: 'recaptcha-secret',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM_NUMBER: '+15005550006',
    };
    const recaptchaOk = recordingFetch((req) =>
      req.url.includes('recaptcha') ? Response.json({ success: true }) : twilio.fetch(req),
    );
    const prodWithCaptcha = client({ fetch: recaptchaOk.fetch });
    const res = await prodWithCaptcha.post('/api/v1/auth/otp/send', {
      json: { mobileNumber: number },
      env,
      headers: { 'x-recaptcha-token': 'captcha-ok' },
    });
    expect(res.status).toBe(200);
    const sms = twilio.requests.find((r) => r.url.includes('api.twilio.com'));
    expect(sms?.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${env.TWILIO_ACCOUNT_SID}/Messages.json`);
    const form = new URLSearchParams(await sms!.text());
    expect(form.get('To')).toBe(number);
    expect(form.get('From')).toBe('+15005550006');
    const code = /(\d{6})/.exec(form.get('Body')!)?.[1];
    const verify = await prod.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: code }, env });
    expect(verify.status).toBe(200);
    expect(verify.body.data.user.mobileNumber).toBe(number);
  });

  it('Should refuse an invalid number with 422 and send nothing', async () => {
    const res = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: '+1 555' } });
    expect([res.status, res.body.errors[0].field]).toEqual([422, 'mobileNumber']);
    expect(testEnv.ENVIRONMENT).toBe('test');
  });

  it('Should expire codes and burn them after 5 wrong tries', async () => {
    const clock = fixedClock('2026-08-01T12:00:00Z');
    const timed = client({ clock });
    const number = freshNumber();
    await timed.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } });
    const code = await latestCode(timed, number);
    clock.advance(10 * 60_000 + 1);
    const expired = await timed.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: code } });
    expect(expired.body.error.code).toBe('OTP_EXPIRED');
    await timed.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } });
    const fresh = await latestCode(timed, number);
    const wrong = fresh === '999999' ? '888888' : '999999';
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(
        (await timed.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: wrong } })).body.error.code,
      );
    }
    expect(codes).toEqual(['OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_MAX_ATTEMPTS']);
    const failures = await db.select().from(auditEvents).where(eq(auditEvents.action, 'auth.otp_verify')).all();
    expect(failures.filter((f) => f.outcome === 'failure').length).toBeGreaterThanOrEqual(6);
    const late = await timed.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: fresh } });
    expect(late.body.error.code).toBe('OTP_MAX_ATTEMPTS');
    expect(await db.$count(users, eq(users.mobileNumber, number))).toBe(0);
  });
});

describe('one-time code sign-in: the features.smsSignIn flag', () => {
  afterEach(resetSettings);

  const SMS_OFF = 'Sign-in by SMS is turned off';
  const codesFor = (target: string) => db.select().from(oneTimeCodes).where(eq(oneTimeCodes.target, target)).all();

  it('Should refuse to send an SMS code while off, texting and storing nothing, and send one once back on', async () => {
    const number = freshNumber();
    await setSetting('features.smsSignIn', false);
    expectTurnedOff(
      await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } }),
      'features.smsSignIn',
      SMS_OFF,
    );
    expect(await outboxCount(api, number)).toBe(0);
    expect(await codesFor(number)).toEqual([]);

    // In production nothing reaches Twilio, nor Google: the flag is checked before reCAPTCHA.
    const outbound = recordingFetch((req) =>
      req.url.includes('recaptcha')
        ? Response.json({ success: true })
        : Response.json({ sid: 'SM123' }, { status: 201 }),
    );
    const prod = client({ fetch: outbound.fetch });
    const env = {
      ENVIRONMENT: 'production',
      RECAPTCHA_SECRET: 'recaptcha-secret',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM_NUMBER: '+15005550006',
    };
    const send = () =>
      prod.post('/api/v1/auth/otp/send', {
        json: { mobileNumber: number },
        env,
        headers: { 'x-recaptcha-token': 'captcha-ok' },
      });
    expectTurnedOff(await send(), 'features.smsSignIn', SMS_OFF);
    expect(outbound.requests).toEqual([]);
    expect(await codesFor(number)).toEqual([]);

    await setSetting('features.smsSignIn', true);
    expect((await send()).status).toBe(200);
    expect(outbound.requests.filter((r) => r.url.includes('recaptcha'))).toHaveLength(1);
    expect(outbound.requests.filter((r) => r.url.includes('api.twilio.com'))).toHaveLength(1);
    expect(await codesFor(number)).toHaveLength(1);
  });

  it('Should refuse to verify an SMS code while off, consuming nothing and creating no account', async () => {
    const number = freshNumber();
    expect((await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: number } })).status).toBe(200);
    const code = await latestCode(api, number);
    await setSetting('features.smsSignIn', false);

    const off = await api.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: code } });
    expectTurnedOff(off, 'features.smsSignIn', SMS_OFF);
    expect(await codesFor(number)).toMatchObject([{ attempts: 0, consumedAt: null }]);
    expect(await db.$count(users, eq(users.mobileNumber, number))).toBe(0);

    await setSetting('features.smsSignIn', true);
    const on = await api.post('/api/v1/auth/otp/verify', { json: { mobileNumber: number, otp: code } });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.data.user.mobileNumber).toBe(number);
    expect(await db.$count(users, eq(users.mobileNumber, number))).toBe(1);
  });

  it('Should keep email codes working while SMS sign-in is off', async () => {
    await setSetting('features.smsSignIn', false);
    const user = await createUser({ email: uniqueEmail('sms-off') });
    const sent = await api.post('/api/v1/auth/otp/send', { json: { email: user.email } });
    expect([sent.status, sent.body.data?.channel]).toEqual([200, 'email']);
    const code = await latestCode(api, user.email!);
    const res = await api.post('/api/v1/auth/otp/verify', { json: { email: user.email, otp: code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.id).toBe(user.id);
  });
});

describe('one-time codes from one shared address', () => {
  const counter = (key: string) =>
    db.select({ count: rateLimits.count }).from(rateLimits).where(eq(rateLimits.key, key)).get();

  it('Should let 25 patients sign in by code from one address in an hour, yet cap the codes left unused', async () => {
    // One clinic network, inside one hourly window.
    const api = client({ clock: fixedClock('2026-09-04T09:05:00Z') });
    const clinic = ipHeaders('198.51.100.25');
    for (let i = 0; i < 25; i++) {
      const patient = await createUser({ email: uniqueEmail(`clinic-${i}`) });
      const sent = await api.post('/api/v1/auth/otp/send', { json: { email: patient.email }, headers: clinic });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      const otp = await latestCode(api, patient.email!);
      const res = await api.post('/api/v1/auth/otp/verify', { json: { email: patient.email, otp }, headers: clinic });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.user.id).toBe(patient.id);
    }
    // Codes asked for and never used still count: the 21st unused one is refused.
    for (let i = 0; i < 20; i++) {
      const sent = await api.post('/api/v1/auth/otp/send', { json: { email: uniqueEmail('unused') }, headers: clinic });
      expect(sent.status).toBe(200);
    }
    const refused = await api.post('/api/v1/auth/otp/send', {
      json: { email: uniqueEmail('unused') },
      headers: clinic,
    });
    expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect((await counter('otp-send:ip:198.51.100.25'))?.count).toBe(21);
    expect((await counter('otp-send-all:ip:198.51.100.25'))?.count).toBe(46);
  });

  it('Should refuse an address after 30 wrong codes, even with a right one, and not its neighbours', async () => {
    const api = client({ clock: fixedClock('2026-09-04T10:05:00Z') });
    const guesser = ipHeaders('198.51.100.26');
    const patient = await createUser({ email: uniqueEmail('right-code') });
    expect((await api.post('/api/v1/auth/otp/send', { json: { email: patient.email } })).status).toBe(200);
    const otp = await latestCode(api, patient.email!);
    for (let i = 0; i < 30; i++) {
      const wrong = await api.post('/api/v1/auth/otp/verify', {
        json: { email: uniqueEmail('guess'), otp: '000000' },
        headers: guesser,
      });
      expect(wrong.body.error.code).toBe('OTP_INVALID');
    }
    const right = await api.post('/api/v1/auth/otp/verify', { json: { email: patient.email, otp }, headers: guesser });
    expect([right.status, right.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect((await counter('otp-verify-failures:ip:198.51.100.26'))?.count).toBe(30);
    const elsewhere = await api.post('/api/v1/auth/otp/verify', {
      json: { email: patient.email, otp },
      headers: ipHeaders('198.51.100.27'),
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
  });
});
