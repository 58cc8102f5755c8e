import { eq } from 'drizzle-orm';
import { exportPKCS8, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliverJobs } from '../../../src/access/notices';
import { deviceTokens } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { createUser, db, recordingFetch, uniqueId } from '../../helpers';
import { deliveriesOf, runQueue } from '../../support/notifications';

/**
 * Push through the notification pipeline in production mode: FCM HTTP v1 behind an intercepted fetch.
 * A notice goes to every registered device; a token FCM reports dead is deleted; a recipient whose
 * devices are all dead has the push skipped, not retried.
 */

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const clock = fixedClock('2026-11-23T09:00:00Z');
let pem: string;

beforeAll(async () => {
  const keys = await generateKeyPair('RS256', { extractable: true });
  pem = await exportPKCS8(keys.privateKey);
});

/** Production settings whose email and push providers answer through `fake` (a service account per test). */
function production() {
  const account = {
    type: 'service_account',
    project_id: 'kinwell-test',
    private_key: pem,
    client_email: `${uniqueId('push').toLowerCase()}@kinwell-test.iam.gserviceaccount.com`,
  };
  return {
    ENVIRONMENT: 'production',
    FCM_SERVICE_ACCOUNT: JSON.stringify(account),
    EMAIL_API_KEY: 'test-key',
    EMAIL_FROM: 'Kinwell <no-reply@kinwell.test>',
  };
}

const dead = () =>
  Response.json(
    {
      error: {
        code: 404,
        status: 'NOT_FOUND',
        message: 'Requested entity was not found.',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
      },
    },
    { status: 404 },
  );

/** Google's token endpoint, FCM answering per device token (`dead` tokens are unregistered), and email. */
function providers(deadTokens: readonly string[]) {
  const pushed: { token: string; notification: unknown }[] = [];
  const recorder = recordingFetch(async (req) => {
    if (req.url === TOKEN_URL) return Response.json({ access_token: 'ya29.a', expires_in: 3599 });
    if (req.url.startsWith('https://fcm.googleapis.com/')) {
      const { message } = (await req.json()) as { message: { token: string; notification: unknown } };
      pushed.push(message);
      return deadTokens.includes(message.token)
        ? dead()
        : Response.json({ name: `projects/p/messages/${message.token}` });
    }
    return Response.json({ id: uniqueId('re') });
  });
  return { ...recorder, pushed };
}

async function withDevices(count: number) {
  const user = await createUser();
  const tokens = Array.from({ length: count }, () => uniqueId('fcm-token'));
  const now = clock.now().getTime();
  await db.insert(deviceTokens).values(
    tokens.map((token) => ({
      id: uniqueId('dev'),
      userId: user.id,
      token,
      platform: 'android' as const,
      createdAt: now,
      lastSeenAt: now,
    })),
  );
  return { user, tokens };
}

const job = (recipientId: string) =>
  deliverJobs({
    recipients: [recipientId],
    kind: 'appointment.confirmed',
    type: 'appointment',
    template: 'message',
    data: { title: 'Confirmed', body: 'Monday 10:00.' },
    subject: { type: 'appointment', id: uniqueId('apt') },
  })[0]!;

const tokensOf = async (userId: string) =>
  (await db.select().from(deviceTokens).where(eq(deviceTokens.userId, userId)).all()).map((row) => row.token).sort();

describe('push deliveries', () => {
  it('Should push to every device and delete a token FCM reports unregistered', async () => {
    const { user, tokens } = await withDevices(2);
    const [live, gone] = tokens as [string, string];
    const fake = providers([gone]);
    const run = await runQueue([job(user.id)], { deps: { clock, fetch: fake.fetch }, env: production() });
    expect(run.acked).toHaveLength(1);

    expect(fake.pushed.map((message) => message.token).sort()).toEqual([live, gone].sort());
    expect(fake.pushed[0]!.notification).toEqual({ title: 'Confirmed', body: 'Monday 10:00.' });
    expect((await deliveriesOf(user.id)).push).toMatchObject({
      status: 'sent',
      providerMessageId: `projects/p/messages/${live}`,
    });
    expect(await tokensOf(user.id)).toEqual([live]);
  });

  it('Should skip the push, not retry it, when every device is unregistered, and delete the tokens', async () => {
    const { user, tokens } = await withDevices(2);
    const fake = providers(tokens);
    const run = await runQueue([job(user.id)], { deps: { clock, fetch: fake.fetch }, env: production() });
    expect(run.acked).toHaveLength(1);
    expect(run.retried).toEqual([]);
    expect((await deliveriesOf(user.id)).push).toMatchObject({ status: 'skipped', skipReason: 'no-device' });
    expect(await tokensOf(user.id)).toEqual([]);
  });

  it('Should retry a push FCM could not take, keeping the tokens', async () => {
    const { user, tokens } = await withDevices(1);
    const fake = recordingFetch((req) =>
      req.url === TOKEN_URL
        ? Response.json({ access_token: 'ya29.b', expires_in: 3599 })
        : req.url.startsWith('https://fcm.googleapis.com/')
          ? new Response('{"error":{"status":"UNAVAILABLE"}}', { status: 503 })
          : Response.json({ id: uniqueId('re') }),
    );
    const run = await runQueue([job(user.id)], { deps: { clock, fetch: fake.fetch }, env: production() });
    expect(run.retried).toHaveLength(1);
    const push = (await deliveriesOf(user.id)).push!;
    expect(push).toMatchObject({ status: 'queued', claimedUntil: null });
    expect(push.lastError).toContain('SERVICE_UNAVAILABLE');
    expect(await tokensOf(user.id)).toEqual(tokens);
  });

  it('Should skip push in production when no service account is configured, without calling FCM', async () => {
    const { user } = await withDevices(1);
    const fake = providers([]);
    const { FCM_SERVICE_ACCOUNT: _, ...noPush } = production();
    const run = await runQueue([job(user.id)], { deps: { clock, fetch: fake.fetch }, env: noPush });
    expect(run.acked).toHaveLength(1);
    expect((await deliveriesOf(user.id)).push).toMatchObject({ status: 'skipped', skipReason: 'push-not-configured' });
    expect(fake.requests.filter((req) => !req.url.startsWith('https://api.resend.com/'))).toEqual([]);
  });
});
