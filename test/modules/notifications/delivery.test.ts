import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverJobs, NOTIFY_DELIVER } from '../../../src/access/notices';
import { deadJobs, deliveries, devOutbox, notifications, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { CLAIM_LEASE_MS } from '../../../src/modules/notifications/ledger';
import { client, createUser, db, recordingFetch, signedInUser, tokenFor, uniqueId, uniqueMobile } from '../../helpers';
import { capturingQueue, deliveriesOf, runDeadLetters, runQueue } from '../../support/notifications';
import { device, openSocket, type TestSocket } from '../../support/sockets';

const V1 = '/api/v1';
const clock = fixedClock('2026-11-21T08:00:00Z');

/** One notice to `recipientId` as its deliver job (a `system` notice unless said otherwise). */
function noticeJob(recipientId: string, type: 'system' | 'appointment' = 'system') {
  const [job] = deliverJobs({
    recipients: [recipientId],
    kind: type === 'system' ? 'account.notice' : 'appointment.confirmed',
    type,
    template: 'message',
    data: { title: 'Your visit is confirmed', body: 'See you on Monday at 10:00.', appointmentId: 'apt_1' },
    subject: { type: type === 'system' ? 'account' : 'appointment', id: uniqueId('sub') },
  });
  return job!;
}

const emailsTo = (email: string) => db.select().from(devOutbox).where(eq(devOutbox.recipient, email)).all();

/** Production adapters for email, over a fetch double: the provider answers `status`. */
function emailProvider(status: number) {
  const provider = recordingFetch(() =>
    status < 400 ? Response.json({ id: `re_${uniqueId('x')}` }) : new Response('{"message":"down"}', { status }),
  );
  return {
    ...provider,
    env: { ENVIRONMENT: 'production', EMAIL_API_KEY: 'test-key', EMAIL_FROM: 'Kinwell <no-reply@kinwell.test>' },
  };
}

const open: TestSocket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

describe('delivering a notice', () => {
  it('Should write the inbox row and send the email once, however often the queue delivers the message', async () => {
    const user = await createUser();
    const job = noticeJob(user.id);
    const first = await runQueue([job], { deps: { clock } });
    expect(first.acked).toEqual([first.messages[0]!.id]);
    // The same message again (at-least-once delivery), and a second copy of it in one batch.
    const again = await runQueue([job, job], { deps: { clock } });
    expect(again.acked).toHaveLength(2);

    const sent = await emailsTo(user.email!);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ subject: 'Kinwell: Your visit is confirmed', body: 'See you on Monday at 10:00.' });
    expect(sent[0]!.html).toContain('<h2>Your visit is confirmed</h2>');
    expect(await db.$count(notifications, eq(notifications.userId, user.id))).toBe(1);

    const ledger = await deliveriesOf(user.id);
    expect(ledger['in-app']).toMatchObject({ status: 'sent', attempts: 1 });
    expect(ledger.email).toMatchObject({ status: 'sent', attempts: 1, providerMessageId: sent[0]!.id });
    // A system notice goes by SMS only to those who asked; this account has no device for push.
    expect(ledger.sms).toMatchObject({ status: 'skipped', skipReason: 'preference-off' });
    expect(ledger.push).toMatchObject({ status: 'skipped', skipReason: 'no-device' });
  });

  it('Should never call a channel turned off, nor one with no verified address, and record them skipped', async () => {
    const me = await signedInUser();
    const mobile = uniqueMobile();
    await db.update(users).set({ mobileNumber: mobile, mobileVerifiedAt: null }).where(eq(users.id, me.user.id));
    const api = client();
    const off = await api.put(`${V1}/users/me/notification-preferences`, {
      token: me.token,
      json: { channels: { email: { appointments: false } } },
    });
    expect(off.status).toBe(200);

    const provider = emailProvider(200);
    const result = await runQueue([noticeJob(me.user.id, 'appointment')], {
      deps: { clock, fetch: provider.fetch },
      env: provider.env,
    });
    expect(result.acked).toHaveLength(1);
    expect(provider.requests).toEqual([]);
    const ledger = await deliveriesOf(me.user.id);
    expect(ledger.email).toMatchObject({ status: 'skipped', skipReason: 'preference-off', attempts: 0 });
    // SMS is on for appointments by default, but the number was never verified.
    expect(ledger.sms).toMatchObject({ status: 'skipped', skipReason: 'no-phone' });
    expect(ledger['in-app']).toMatchObject({ status: 'sent' });
  });

  it('Should send SMS to a verified number when the preference allows it', async () => {
    const user = await createUser();
    const mobile = uniqueMobile();
    await db.update(users).set({ mobileNumber: mobile, mobileVerifiedAt: Date.now() }).where(eq(users.id, user.id));
    await runQueue([noticeJob(user.id, 'appointment')], { deps: { clock } });
    const sms = await db.select().from(devOutbox).where(eq(devOutbox.recipient, mobile)).all();
    expect(sms.map((m) => m.body)).toEqual(['Kinwell: Your visit is confirmed: See you on Monday at 10:00.']);
    expect((await deliveriesOf(user.id)).sms).toMatchObject({ status: 'sent', providerMessageId: sms[0]!.id });
  });

  it('Should leave a channel another attempt holds alone, and take it once that lease has passed', async () => {
    const user = await createUser();
    const job = noticeJob(user.id);
    const payload = job.payload as { notice: { subject: { type: string; id: string }; kind: string } };
    const now = clock.now().getTime();
    await db.insert(deliveries).values({
      id: uniqueId('dlv'),
      subjectType: payload.notice.subject.type,
      subjectId: payload.notice.subject.id,
      kind: payload.notice.kind,
      recipientId: user.id,
      channel: 'email',
      status: 'queued',
      attempts: 1,
      claimedUntil: now + CLAIM_LEASE_MS,
      createdAt: now,
      updatedAt: now,
    });
    const busy = await runQueue([job], { deps: { clock } });
    expect(busy.retried).toEqual([busy.messages[0]!.id]);
    expect(await emailsTo(user.email!)).toEqual([]);
    // The other channels went ahead.
    expect((await deliveriesOf(user.id))['in-app']).toMatchObject({ status: 'sent' });

    const later = fixedClock(new Date(now + CLAIM_LEASE_MS + 1));
    const retried = await runQueue([job], { deps: { clock: later }, attempts: 2 });
    expect(retried.acked).toHaveLength(1);
    expect(await emailsTo(user.email!)).toHaveLength(1);
    expect((await deliveriesOf(user.id)).email).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await db.$count(notifications, eq(notifications.userId, user.id))).toBe(1);
  });

  it('Should retry a failing provider, mark the delivery failed from the dead-letter queue, list it, and re-drive it', async () => {
    const user = await createUser();
    const job = noticeJob(user.id);
    const down = emailProvider(503);
    for (const attempts of [1, 2]) {
      const run = await runQueue([job], { deps: { clock, fetch: down.fetch }, env: down.env, attempts });
      expect(run.retried).toEqual([run.messages[0]!.id]);
    }
    expect(down.requests).toHaveLength(2);
    let ledger = await deliveriesOf(user.id);
    expect(ledger.email).toMatchObject({ status: 'queued', attempts: 2, claimedUntil: null });
    expect(ledger.email!.lastError).toContain('SERVICE_UNAVAILABLE');
    // The inbox row was written once, on the first attempt; retries resume only the email.
    expect(ledger['in-app']).toMatchObject({ status: 'sent', attempts: 1 });

    const dead = await runDeadLetters([job], { deps: { clock } });
    expect(dead.acked).toHaveLength(1);
    const [deadJob] = await db.select().from(deadJobs).where(eq(deadJobs.messageId, dead.messages[0]!.id)).all();
    ledger = await deliveriesOf(user.id);
    expect(ledger.email).toMatchObject({ status: 'failed', deadJobId: deadJob!.id });
    expect(ledger.email!.lastError).toContain('providerStatus');
    expect(ledger['in-app']).toMatchObject({ status: 'sent' });

    const queue = capturingQueue();
    const admin = client({ clock, adapters: queue.adapters });
    const adminToken = await tokenFor(await createUser({ role: 'admin' }), clock.now());
    const listed = await admin.get(`${V1}/admin/deliveries?status=failed&recipientId=${user.id}`, {
      token: adminToken,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.data.items).toEqual([
      expect.objectContaining({
        id: ledger.email!.id,
        channel: 'email',
        status: 'failed',
        lastError: expect.stringContaining('SERVICE_UNAVAILABLE'),
        deadJobId: deadJob!.id,
      }),
    ]);

    const redriven = await admin.post(`${V1}/admin/deliveries/${ledger.email!.id}/redrive`, { token: adminToken });
    expect([redriven.status, redriven.body.data.status]).toEqual([202, 'queued']);
    const [again] = queue.take(NOTIFY_DELIVER);
    expect(again!.payload).toMatchObject({ recipientId: user.id, redrive: ['email'] });
    const twice = await admin.post(`${V1}/admin/deliveries/${ledger.email!.id}/redrive`, { token: adminToken });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);

    const up = emailProvider(200);
    const delivered = await runQueue([again!], { deps: { clock, fetch: up.fetch }, env: up.env });
    expect(delivered.acked).toHaveLength(1);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.headers.get('idempotency-key')).toBe(ledger.email!.id);
    expect(await up.requests[0]!.json()).toMatchObject({
      to: [user.email],
      subject: 'Kinwell: Your visit is confirmed',
    });
    ledger = await deliveriesOf(user.id);
    expect(ledger.email).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(ledger.email!.providerMessageId).toMatch(/^re_/);
    expect(await db.$count(notifications, eq(notifications.userId, user.id))).toBe(1);
  });

  it('Should push notification:new with the unread count to the open sockets of the recipient', async () => {
    const user = await createUser();
    const socket = await openSocket({ token: (await device(user)).token });
    open.push(socket);
    await runQueue([noticeJob(user.id, 'appointment')], { deps: { clock } });
    const frame = await socket.next('notification:new');
    const [row] = await db.select().from(notifications).where(eq(notifications.userId, user.id)).all();
    expect(frame.data).toEqual({
      notification: {
        id: row!.id,
        type: 'appointment',
        title: 'Your visit is confirmed',
        body: 'See you on Monday at 10:00.',
        data: { title: 'Your visit is confirmed', body: 'See you on Monday at 10:00.', appointmentId: 'apt_1' },
        readAt: null,
        createdAt: clock.now().toISOString(),
      },
      unreadCount: 1,
    });
  });

  it('Should do nothing for a recipient that no longer exists', async () => {
    const job = noticeJob(uniqueId('usr'));
    const run = await runQueue([job], { deps: { clock } });
    expect(run.acked).toHaveLength(1);
    const recipientId = (job.payload as { recipientId: string }).recipientId;
    expect(await db.$count(deliveries, and(eq(deliveries.recipientId, recipientId)))).toBe(0);
  });
});
