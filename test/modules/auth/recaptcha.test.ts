import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { oneTimeCodes, rateLimits, users } from '../../../src/db/schema';
import { client, db, recordingFetch, uniqueEmail } from '../../helpers';
import { STRONG_PASSWORD } from '../../support/auth';

const WITH_SECRET = { RECAPTCHA_SECRET: 'server-secret' };
const body = () => ({ email: uniqueEmail('captcha'), password: STRONG_PASSWORD, name: 'Cap Tcha' });

describe('reCAPTCHA on public auth endpoints', () => {
  it('Should verify the token with Google when a secret is configured', async () => {
    const google = recordingFetch(() => Response.json({ success: true, score: 0.9, action: 'register' }));
    const api = client({ fetch: google.fetch });
    const input = body();
    const res = await api.post('/api/v1/auth/register', {
      json: input,
      env: WITH_SECRET,
      headers: { 'x-recaptcha-token': 'token-from-widget', 'cf-connecting-ip': '198.51.100.7' },
    });
    expect(res.status).toBe(201);
    const sent = google.requests[0]!;
    expect(sent.url).toBe('https://www.google.com/recaptcha/api/siteverify');
    expect(Object.fromEntries(new URLSearchParams(await sent.text()))).toEqual({
      secret: 'server-secret',
      response: 'token-from-widget',
      remoteip: '198.51.100.7',
    });
  });

  it('Should refuse a missing, failed or low-score token with 403 and store nothing', async () => {
    const cases = [
      { header: undefined, answer: { success: true } },
      { header: 'bad', answer: { success: false, 'error-codes': ['invalid-input-response'] } },
      { header: 'bot', answer: { success: true, score: 0.1, action: 'register' } },
      { header: 'other-action', answer: { success: true, score: 0.9, action: 'login' } },
    ];
    for (const { header, answer } of cases) {
      const api = client({ fetch: recordingFetch(() => Response.json(answer)).fetch });
      const input = body();
      const res = await api.post('/api/v1/auth/register', {
        json: input,
        env: WITH_SECRET,
        headers: header ? { 'x-recaptcha-token': header } : {},
      });
      expect([res.status, res.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(await db.$count(users, eq(users.email, input.email))).toBe(0);
    }
  });

  it('Should guard OTP send and password forgot too', async () => {
    const api = client({ fetch: recordingFetch(() => Response.json({ success: false })).fetch });
    const otp = await api.post('/api/v1/auth/otp/send', { json: { email: uniqueEmail() }, env: WITH_SECRET });
    expect(otp.status).toBe(403);
    const forgot = await api.post('/api/v1/auth/password/forgot', {
      json: { email: uniqueEmail() },
      env: WITH_SECRET,
      headers: { 'x-recaptcha-token': 'x' },
    });
    expect(forgot.status).toBe(403);
  });

  it("Should spend none of the address's or number's budget on an SMS code send that fails reCAPTCHA", async () => {
    let answer: object = { success: false };
    const api = client({ fetch: recordingFetch(() => Response.json(answer)).fetch });
    const ip = '198.51.100.23';
    const number = `+1415555${String(1000 + Math.floor(Math.random() * 9000))}`;
    const send = () =>
      api.post('/api/v1/auth/otp/send', {
        json: { mobileNumber: number },
        env: WITH_SECRET,
        headers: { 'x-recaptcha-token': 'token', 'cf-connecting-ip': ip },
      });
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(403);
    const counts = () =>
      db
        .select({ key: rateLimits.key, count: rateLimits.count })
        .from(rateLimits)
        .where(inArray(rateLimits.key, [`otp-send:ip:${ip}`, `otp-send-all:ip:${ip}`, `otp-send:target:${number}`]))
        .orderBy(rateLimits.key)
        .all();
    expect((await counts()).map((row) => row.count)).toEqual([0, 0, 0]);
    expect(await db.$count(oneTimeCodes, eq(oneTimeCodes.target, number))).toBe(0);
    // Once the check passes, the send counts once against each limit.
    answer = { success: true };
    expect((await send()).status).toBe(200);
    expect((await counts()).map((row) => row.count)).toEqual([1, 1, 1]);
  });

  it('Should skip the check in development/test without a secret, and refuse in production (503)', async () => {
    const api = client();
    expect((await api.post('/api/v1/auth/register', { json: body() })).status).toBe(201);
    const prod = await api.post('/api/v1/auth/register', { json: body(), env: { ENVIRONMENT: 'production' } });
    expect([prod.status, prod.body.error.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
  });

  it('Should answer 503 when Google cannot be reached', async () => {
    const api = client({ fetch: recordingFetch(() => new Response('down', { status: 502 })).fetch });
    const res = await api.post('/api/v1/auth/register', {
      json: body(),
      env: WITH_SECRET,
      headers: { 'x-recaptcha-token': 't' },
    });
    expect(res.status).toBe(503);
  });
});
