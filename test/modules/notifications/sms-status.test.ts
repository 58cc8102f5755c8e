import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliverJobs } from '../../../src/access/notices';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { deliveries, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { twilioSignature, verifyTwilioSignature } from '../../../src/platform/sms';
import { type ApiResponse, client, createUser, db, recordingFetch, uniqueId, uniqueMobile } from '../../helpers';
import { deliveriesOf, runQueue } from '../../support/notifications';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-only-twilio-auth-token';
const PUBLIC_URL = 'https://api.kinwell.test';
const PATH = '/api/v1/webhooks/twilio/sms-status';
/** The URL Twilio is given and signs; the tests' requests reach the app as http://localhost/…, as behind a proxy. */
const CALLBACK_URL = `${PUBLIC_URL}${PATH}`;
const TWILIO_ENV = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL };

const SENT_AT = '2026-11-21T08:00:00Z';
const clock = fixedClock(SENT_AT);

const hex32 = () =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A notice sent by SMS through the production adapter, Twilio answering over a fetch double with a new
 * message sid: the SMS delivery is `sent` with that sid. Answers the recipient, the sid and what Twilio
 * was asked.
 */
async function sentSms() {
  const user = await createUser();
  await db
    .update(users)
    .set({ mobileNumber: uniqueMobile(), mobileVerifiedAt: Date.now() })
    .where(eq(users.id, user.id));
  const sid = `SM${hex32()}`;
  const providers = recordingFetch((req) =>
    req.url.startsWith('https://api.twilio.com/')
      ? Response.json({ sid, status: 'queued' }, { status: 201 })
      : Response.json({ id: uniqueId('re') }),
  );
  const [job] = deliverJobs({
    recipients: [user.id],
    kind: 'appointment.confirmed',
    type: 'appointment',
    template: 'message',
    data: { title: 'Your visit is confirmed', body: 'See you on Monday at 10:00.' },
    subject: { type: 'appointment', id: uniqueId('apt') },
  });
  const run = await runQueue([job!], {
    deps: { clock, fetch: providers.fetch },
    env: {
      ENVIRONMENT: 'production',
      ...TWILIO_ENV,
      TWILIO_FROM_NUMBER: '+15005550006',
      EMAIL_API_KEY: 'test-key',
      EMAIL_FROM: 'Kinwell <no-reply@kinwell.test>',
    },
  });
  expect(run.acked).toHaveLength(1);
  const twilio = providers.requests.filter((r) => r.url.startsWith('https://api.twilio.com/'));
  expect(twilio).toHaveLength(1);
  expect((await deliveriesOf(user.id)).sms).toMatchObject({ status: 'sent', providerMessageId: sid });
  return { user, sid, twilioForm: new URLSearchParams(new TextDecoder().decode(await twilio[0]!.arrayBuffer())) };
}

/** The form Twilio posts for `sid` reaching `status`, with the fields it sends beside the ones read. */
function statusForm(sid: string, status: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({
    SmsSid: sid,
    SmsStatus: status,
    MessageStatus: status,
    To: '+14155550123',
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: '+15005550006',
    ApiVersion: '2010-04-01',
    ...extra,
  });
}

interface CallbackOptions {
  /** The X-Twilio-Signature to send; by default Twilio's signature of CALLBACK_URL and the form. */
  signature?: string | null;
  env?: Record<string, string | undefined>;
  at?: string;
}

async function callback(params: URLSearchParams, options: CallbackOptions = {}): Promise<ApiResponse> {
  const signature =
    options.signature === undefined ? await twilioSignature(AUTH_TOKEN, CALLBACK_URL, params) : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  return client({ clock: fixedClock(options.at ?? '2026-11-21T08:00:30Z') }).post(PATH, {
    body: params.toString(),
    headers,
    env: { ...TWILIO_ENV, ...options.env },
  });
}

const smsOf = async (userId: string) => (await deliveriesOf(userId)).sms!;
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

describe("Twilio's request signature", () => {
  // The vector of twilio-node's own tests (spec/validation.spec.js), the example of Twilio's docs.
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = new URLSearchParams({
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  });

  it("Should compute Twilio's published signature for its example request", async () => {
    expect(await twilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('Should accept that signature with or without the default port, and refuse any change', async () => {
    expect(await verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(true);
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    expect(await verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', withPort, params)).toBe(true);
    expect(await verifyTwilioSignature('12346', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(false);
    const tampered = new URLSearchParams(params);
    tampered.set('Digits', '1235');
    expect(await verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, tampered)).toBe(false);
    expect(await verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', `${url}&baz=3`, params)).toBe(false);
  });
});

describe('SMS status callbacks', () => {
  it('Should ask Twilio for status callbacks at the public URL, and mark the delivery delivered when Twilio says so', async () => {
    const { user, sid, twilioForm } = await sentSms();
    expect(twilioForm.get('StatusCallback')).toBe(CALLBACK_URL);

    // Steps before an outcome change nothing, and cost no round trip.
    const sending = await callback(statusForm(sid, 'sent'));
    expect(sending.status).toBe(200);
    expect(sending.body.data).toEqual({ messageSid: sid, deliveryStatus: null });
    expect(tripsOf(sending)).toBe(0);
    expect(await smsOf(user.id)).toMatchObject({ status: 'sent' });

    const delivered = await callback(statusForm(sid, 'delivered'), { at: '2026-11-21T08:00:40Z' });
    expect(delivered.status).toBe(200);
    expect(delivered.body.data).toEqual({ messageSid: sid, deliveryStatus: 'delivered' });
    expect(tripsOf(delivered)).toBe(1);
    expect(await smsOf(user.id)).toMatchObject({
      status: 'delivered',
      providerMessageId: sid,
      sentAt: Date.parse(SENT_AT),
      deliveredAt: Date.parse('2026-11-21T08:00:40Z'),
      updatedAt: Date.parse('2026-11-21T08:00:40Z'),
      lastError: null,
    });
    // Only the SMS delivery moved.
    expect((await deliveriesOf(user.id)).email).toMatchObject({ status: 'sent', deliveredAt: null });
  });

  it('Should change nothing for a replayed callback, nor for late or contrary ones after delivery', async () => {
    const { user, sid } = await sentSms();
    expect((await callback(statusForm(sid, 'delivered'), { at: '2026-11-21T08:00:40Z' })).status).toBe(200);
    const before = await smsOf(user.id);

    for (const status of ['delivered', 'sent', 'sending', 'queued', 'undelivered', 'failed']) {
      const res = await callback(statusForm(sid, status, { ErrorCode: '30003' }), { at: '2026-11-21T09:00:00Z' });
      expect(res.status, status).toBe(200);
      expect(res.body.data, status).toEqual({ messageSid: sid, deliveryStatus: null });
    }
    expect(await smsOf(user.id)).toEqual(before);
  });

  it("Should mark the delivery failed with Twilio's error code, and let no later callback move it", async () => {
    const { user, sid } = await sentSms();
    const res = await callback(statusForm(sid, 'undelivered', { ErrorCode: '30003' }));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ messageSid: sid, deliveryStatus: 'failed' });
    const failed = await smsOf(user.id);
    expect(failed).toMatchObject({ status: 'failed', lastError: 'twilio:30003', deliveredAt: null });

    for (const status of ['failed', 'delivered', 'sent']) {
      expect((await callback(statusForm(sid, status), { at: '2026-11-21T09:00:00Z' })).body.data).toEqual({
        messageSid: sid,
        deliveryStatus: null,
      });
    }
    expect(await smsOf(user.id)).toEqual(failed);

    // `failed` (Twilio could not send it) without an error code keeps the status as the error.
    const other = await sentSms();
    await callback(statusForm(other.sid, 'failed'));
    expect(await smsOf(other.user.id)).toMatchObject({ status: 'failed', lastError: 'twilio:failed' });
  });

  it('Should refuse a forged, tampered or unsigned callback, or another account’s, and change nothing', async () => {
    const { user, sid } = await sentSms();
    const form = statusForm(sid, 'delivered');

    const forged = await callback(form, { signature: await twilioSignature('not-the-token', CALLBACK_URL, form) });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('TOKEN_INVALID');

    // Twilio's signature of another status, replayed over a changed form.
    const signedFailed = await twilioSignature(AUTH_TOKEN, CALLBACK_URL, statusForm(sid, 'failed'));
    expect((await callback(form, { signature: signedFailed })).body.error.code).toBe('TOKEN_INVALID');
    // Twilio's signature for another URL.
    const otherUrl = await twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/api/v1/other`, form);
    expect((await callback(form, { signature: otherUrl })).body.error.code).toBe('TOKEN_INVALID');

    const unsigned = await callback(form, { signature: null });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('UNAUTHENTICATED');

    // Validly signed, but for another account.
    const otherAccount = statusForm(sid, 'delivered', { AccountSid: 'ACffffffffffffffffffffffffffffffff' });
    const foreign = await callback(otherAccount);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN');

    expect(await smsOf(user.id)).toMatchObject({ status: 'sent', deliveredAt: null });
  });

  it('Should check the signature before the form, so a malformed forged callback is refused as forged', async () => {
    const incomplete = new URLSearchParams({ AccountSid: ACCOUNT_SID, MessageStatus: 'delivered' });
    const forged = await callback(incomplete, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('TOKEN_INVALID');
    expect((await callback(incomplete, { signature: null })).status).toBe(401);

    const signed = await callback(incomplete);
    expect(signed.status).toBe(422);
    expect(signed.body.errors).toEqual([expect.objectContaining({ field: 'MessageSid' })]);
  });

  it('Should answer 200 for a message no delivery holds, so Twilio does not retry it', async () => {
    const sid = `SM${hex32()}`;
    const res = await callback(statusForm(sid, 'delivered'));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ messageSid: sid, deliveryStatus: null });
    expect(await db.$count(deliveries, eq(deliveries.providerMessageId, sid))).toBe(0);
  });

  it('Should check the URL the request came to when no public URL is configured', async () => {
    const { user, sid } = await sentSms();
    const form = statusForm(sid, 'delivered');
    // Signed for the public URL, but the API does not know it is served there.
    const wrongUrl = await callback(form, { env: { PUBLIC_URL: undefined } });
    expect(wrongUrl.body.error.code).toBe('TOKEN_INVALID');
    const res = await callback(form, {
      env: { PUBLIC_URL: undefined },
      signature: await twilioSignature(AUTH_TOKEN, `http://localhost${PATH}`, form),
    });
    expect(res.body.data).toEqual({ messageSid: sid, deliveryStatus: 'delivered' });
    expect(await smsOf(user.id)).toMatchObject({ status: 'delivered' });
  });

  it('Should answer 503 when Twilio is not configured, reading nothing', async () => {
    const form = statusForm(`SM${hex32()}`, 'delivered');
    const res = await callback(form, { env: { TWILIO_AUTH_TOKEN: undefined } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(tripsOf(res)).toBe(0);
  });
});
