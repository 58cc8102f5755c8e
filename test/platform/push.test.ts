import { type CryptoKey, decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context';
import type { Env } from '../../src/env';
import { fixedClock } from '../../src/lib/clock';
import { PUSH_PAYLOAD_LIMIT, type PushMessage, pushPayloadBytes } from '../../src/platform/push';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, recordingFetch, testEnv, uniqueId } from '../helpers';

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SEND_URL = 'https://fcm.googleapis.com/v1/projects/kinwell-test/messages:send';
const DEVICE = 'fcm-device-token-0123456789';

let keys: { publicKey: CryptoKey; privateKey: CryptoKey };
let pem: string;

beforeAll(async () => {
  keys = await generateKeyPair('RS256', { extractable: true });
  pem = await exportPKCS8(keys.privateKey);
});

/** A service account of its own per test: access tokens are cached per isolate by client email. */
function productionEnv(overrides: Partial<Env> = {}) {
  const clientEmail = `${uniqueId('push').toLowerCase()}@kinwell-test.iam.gserviceaccount.com`;
  const account = {
    type: 'service_account',
    project_id: 'kinwell-test',
    private_key_id: 'key-1',
    private_key: pem,
    client_email: clientEmail,
    token_uri: TOKEN_URL,
  };
  return {
    clientEmail,
    env: { ...testEnv, ENVIRONMENT: 'production', FCM_SERVICE_ACCOUNT: JSON.stringify(account), ...overrides },
  };
}

const unregistered = () =>
  Response.json(
    {
      error: {
        code: 404,
        message: 'Requested entity was not found.',
        status: 'NOT_FOUND',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
      },
    },
    { status: 404 },
  );

const invalidToken = () =>
  Response.json(
    {
      error: {
        code: 400,
        message: 'The registration token is not a valid FCM registration token',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' }],
      },
    },
    { status: 400 },
  );

/**
 * Google's token endpoint (a new access token per exchange: ya29.1, ya29.2, …) and FCM, whose answer
 * `fcm` gives (a sent message by default).
 */
function google(fcm: (req: Request) => Response | Promise<Response> = () => Response.json({ name: 'ok' })) {
  let issued = 0;
  const recorder = recordingFetch((req) => {
    if (req.url === TOKEN_URL) {
      issued += 1;
      return Response.json({ access_token: `ya29.${issued}`, expires_in: 3599, token_type: 'Bearer' });
    }
    return fcm(req);
  });
  return {
    ...recorder,
    tokenRequests: () => recorder.requests.filter((req) => req.url === TOKEN_URL),
    sends: () => recorder.requests.filter((req) => req.url !== TOKEN_URL),
  };
}

function pushPort(env: Env, fetcher: typeof fetch, clock = fixedClock('2026-05-01T10:00:00Z')) {
  return {
    clock,
    push: createContext(env, { ...cloudflareDeps, fetch: fetcher, clock }, { requestId: 'r' }).ports.push,
  };
}

const message: PushMessage = { token: DEVICE, title: 'Dose due', body: 'Take 1 tablet', data: { doseId: 'dos_1' } };

describe('FCM push adapter', () => {
  it('Should sign a service-account JWT, exchange it for an access token, and send with it', async () => {
    const { env, clientEmail } = productionEnv();
    const fake = google(() => Response.json({ name: 'projects/kinwell-test/messages/0:1' }));
    const { push, clock } = pushPort(env, fake.fetch);

    expect(await push.send(message)).toEqual({ status: 'sent', name: 'projects/kinwell-test/messages/0:1' });

    const [exchange, send] = fake.requests;
    expect(exchange!.url).toBe(TOKEN_URL);
    expect(exchange!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = await exchange!.formData();
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = String(form.get('assertion'));
    const { payload } = await jwtVerify(assertion, keys.publicKey, {
      algorithms: ['RS256'],
      issuer: clientEmail,
      audience: TOKEN_URL,
      currentDate: clock.now(),
    });
    const now = clock.now().getTime() / 1000;
    expect(payload).toMatchObject({ scope: 'https://www.googleapis.com/auth/firebase.messaging', iat: now });
    expect(payload.exp).toBe(now + 3600);
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: 'key-1' });

    expect(send!.url).toBe(SEND_URL);
    expect(send!.headers.get('authorization')).toBe('Bearer ya29.1');
    expect(await send!.json()).toEqual({
      message: {
        token: DEVICE,
        notification: { title: 'Dose due', body: 'Take 1 tablet' },
        data: { doseId: 'dos_1' },
      },
    });
  });

  it('Should reuse the access token until five minutes before it expires, then buy a new one', async () => {
    const { env } = productionEnv();
    const fake = google();
    const { push, clock } = pushPort(env, fake.fetch);
    await push.send(message);
    // The token lives 3599 s; it is reused until 5 minutes before that.
    clock.advance((3599 - 300) * 1000 - 1000);
    await push.send(message);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.sends().map((req) => req.headers.get('authorization'))).toEqual(['Bearer ya29.1', 'Bearer ya29.1']);

    clock.advance(1000);
    await push.send(message);
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.sends()[2]!.headers.get('authorization')).toBe('Bearer ya29.2');
    // Another isolate's request (a new context) still finds the cached token.
    const again = pushPort(env, fake.fetch, clock);
    await again.push.send(message);
    expect(fake.tokenRequests()).toHaveLength(2);
  });

  it('Should send to FCM_PROJECT_ID when it is set', async () => {
    const { env } = productionEnv({ FCM_PROJECT_ID: 'kinwell-prod' });
    const fake = google();
    await pushPort(env, fake.fetch).push.send(message);
    expect(fake.sends()[0]!.url).toBe('https://fcm.googleapis.com/v1/projects/kinwell-prod/messages:send');
  });

  it('Should report a token FCM calls unregistered or not a registration token, so the caller deletes it', async () => {
    const { env } = productionEnv();
    expect(await pushPort(env, google(unregistered).fetch).push.send(message)).toEqual({ status: 'unregistered' });
    expect(await pushPort(env, google(invalidToken).fetch).push.send(message)).toEqual({ status: 'unregistered' });
  });

  it('Should throw SERVICE_UNAVAILABLE for every other failure, so the queue retries', async () => {
    const { env } = productionEnv();
    const badData = () =>
      Response.json(
        { error: { code: 400, message: "Invalid value at 'message.data[0].value'", status: 'INVALID_ARGUMENT' } },
        { status: 400 },
      );
    const notFoundOther = () => Response.json({ error: { code: 404, status: 'NOT_FOUND' } }, { status: 404 });
    const failures: [string, () => Response][] = [
      ['a 400 about something else', badData],
      ['a 404 without UNREGISTERED', notFoundOther],
      ['a 500', () => new Response('boom', { status: 500 })],
      ['a 403 sender mismatch', () => Response.json({ error: { status: 'PERMISSION_DENIED' } }, { status: 403 })],
    ];
    for (const [what, answer] of failures) {
      await expect(pushPort(env, google(answer).fetch).push.send(message), what).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
      });
    }
    const throttled = () => new Response('{}', { status: 503, headers: { 'retry-after': '30' } });
    await expect(pushPort(env, google(throttled).fetch).push.send(message)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: 30,
      details: { providerStatus: 503 },
    });
    const offline = (() => Promise.reject(new TypeError('Network connection lost'))) as unknown as typeof fetch;
    await expect(pushPort(productionEnv().env, offline).push.send(message)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('Should refuse when Google refuses the credentials, without calling FCM', async () => {
    const { env } = productionEnv();
    const fake = recordingFetch(() => Response.json({ error: 'invalid_grant' }, { status: 400 }));
    await expect(pushPort(env, fake.fetch).push.send(message)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { providerStatus: 400 },
    });
    expect(fake.requests.map((req) => req.url)).toEqual([TOKEN_URL]);
  });

  it('Should drop an access token FCM refuses (401), so the retry buys a new one', async () => {
    const { env } = productionEnv();
    let refuse = true;
    const fake = google(() => (refuse ? new Response('{}', { status: 401 }) : Response.json({ name: 'ok' })));
    const { push } = pushPort(env, fake.fetch);
    await expect(push.send(message)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    refuse = false;
    await push.send(message);
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.sends()[1]!.headers.get('authorization')).toBe('Bearer ya29.2');
  });

  it('Should shorten a body over the payload limit at a character boundary, and send the rest unchanged', async () => {
    const { env } = productionEnv();
    const fake = google();
    const { push } = pushPort(env, fake.fetch);
    for (const body of ['é'.repeat(5000), '😀'.repeat(2000)]) {
      await push.send({ ...message, body });
      const sent = ((await fake.sends().at(-1)!.json()) as { message: { notification: PushMessage; data: object } })
        .message;
      expect(sent.notification.title).toBe('Dose due');
      expect(sent.data).toEqual({ doseId: 'dos_1' });
      const shortened = sent.notification.body;
      expect(shortened.endsWith('…')).toBe(true);
      expect(body.startsWith(shortened.slice(0, -1))).toBe(true);
      expect(pushPayloadBytes({ title: 'Dose due', body: shortened, data: { doseId: 'dos_1' } })).toBeLessThanOrEqual(
        PUSH_PAYLOAD_LIMIT,
      );
      // As long as fits: one more character would not.
      const longer = `${Array.from(body).slice(0, Array.from(shortened).length).join('')}…`;
      expect(pushPayloadBytes({ title: 'Dose due', body: longer, data: { doseId: 'dos_1' } })).toBeGreaterThan(
        PUSH_PAYLOAD_LIMIT,
      );
    }
  });

  it('Should refuse data over the limit or with keys FCM reserves, before any request', async () => {
    const { env } = productionEnv();
    const fake = google();
    const { push } = pushPort(env, fake.fetch);
    await expect(push.send({ ...message, data: { note: 'x'.repeat(PUSH_PAYLOAD_LIMIT) } })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit: PUSH_PAYLOAD_LIMIT },
    });
    for (const key of ['from', 'google.c.a.e', 'gcm.notification.body']) {
      await expect(push.send({ ...message, data: { [key]: 'x' } }), key).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('Should refuse to send in production without a usable service account', async () => {
    const fake = google();
    const missing = { ...testEnv, ENVIRONMENT: 'production' };
    await expect(pushPort(missing, fake.fetch).push.send(message)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { missing: 'FCM_SERVICE_ACCOUNT' },
    });
    for (const broken of [
      'not json',
      JSON.stringify({ client_email: 'a@b.c' }),
      JSON.stringify({ client_email: 'x@y.z', private_key: 'nope', project_id: 'p' }),
    ]) {
      await expect(
        pushPort({ ...missing, FCM_SERVICE_ACCOUNT: broken }, fake.fetch).push.send(message),
      ).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { invalid: 'FCM_SERVICE_ACCOUNT' },
      });
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe('development push adapter', () => {
  it('Should capture the notification in the outbox, where the developer reads it', async () => {
    const env = { ...testEnv, ENVIRONMENT: 'development' };
    const fake = recordingFetch();
    const token = `device-${uniqueId('tok')}`;
    const result = await pushPort(env, fake.fetch).push.send({ ...message, token, body: 'é'.repeat(5000) });
    expect(result.status).toBe('sent');
    expect(fake.requests).toHaveLength(0);

    const api = client();
    const list = await api.get(`/api/v1/dev/outbox?channel=push&recipient=${token}`, {
      env: { ENVIRONMENT: 'development' },
    });
    expect(list.status).toBe(200);
    const [captured] = list.body.data.items;
    expect(captured).toMatchObject({
      id: result.status === 'sent' ? result.name : '',
      channel: 'push',
      recipient: token,
      subject: 'Dose due',
      data: { doseId: 'dos_1' },
      html: null,
      attachments: null,
    });
    // The outbox shows what FCM would get: the body already shortened to fit.
    expect(captured.body.endsWith('…')).toBe(true);
    expect(pushPayloadBytes({ title: 'Dose due', body: captured.body, data: { doseId: 'dos_1' } })).toBeLessThanOrEqual(
      PUSH_PAYLOAD_LIMIT,
    );
  });
});
