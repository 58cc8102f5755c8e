import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import { createContext } from '../../../src/context';
import { caregiverCredentials, users } from '../../../src/db/schema';
import worker from '../../../src/index';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv, uniqueId } from '../../helpers';
import { capturingQueue } from '../../support/notifications';
import { api, caregiver, expectOk, tripsOf, upload, V1 } from './support';

/** A caregiver awaiting verification, with a credential and its document. */
async function pendingCaregiver(expiresAt = '2030-01-01') {
  const me = await caregiver(`Pending ${uniqueId('n')}`);
  await db.update(users).set({ status: 'pending', verifiedAt: null }).where(eq(users.id, me.user.id));
  const doc = await upload(me.token);
  const profile = expectOk(
    await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
      token: me.token,
      json: {
        credentials: [{ type: 'Nursing licence', number: 'RN-1', issuer: 'OE', expiresAt, documentFileIds: [doc] }],
        specialtyIds: ['csp_nursing'],
      },
    }),
  );
  return { ...me, doc, profile };
}

const inQueue = async (token: string, id: string) => {
  const res = await api.get(`${V1}/admin/caregivers/verification-queue?limit=100`, { token });
  expect(tripsOf(res)).toBe(1);
  const all = [];
  let page = expectOk(res);
  all.push(...page.items);
  for (let n = 2; page.pagination.hasNext; n++) {
    page = expectOk(await api.get(`${V1}/admin/caregivers/verification-queue?limit=100&page=${n}`, { token }));
    all.push(...page.items);
  }
  return all.find((item: { id: string }) => item.id === id);
};

describe('caregiver verification', () => {
  it('Should show admins the queue with credentials and documents; approving reuses the verify action', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const cara = await pendingCaregiver();
    const item = await inQueue(admin.token, cara.user.id);
    expect(item).toMatchObject({
      id: cara.user.id,
      specialties: [{ slug: 'nursing' }],
      credentials: [{ type: 'Nursing licence', documentFileIds: [cara.doc] }],
      documents: [{ id: cara.doc, contentType: 'application/pdf' }],
      previousRejection: null,
    });
    // Not listed while pending.
    expect((await api.get(`${V1}/caregivers/search?specialty=nursing&limit=100`)).body.data.items).not.toContainEqual(
      expect.objectContaining({ id: cara.user.id }),
    );
    const patient = await signedInUser();
    expect((await api.get(`${V1}/admin/caregivers/verification-queue`, { token: patient.token })).status).toBe(403);

    expectOk(await api.post(`${V1}/admin/users/${cara.user.id}/verify`, { token: admin.token }));
    expect(await inQueue(admin.token, cara.user.id)).toBeUndefined();
  });

  it('Should reject with a reason the caregiver is told and sees, and requeue them once they change their profile', async () => {
    const queue = capturingQueue();
    const adminApi = client({ adapters: queue.adapters });
    const admin = await signedInUser({ role: 'admin' });
    const cara = await pendingCaregiver();
    const reason = 'The licence scan is unreadable.';
    const res = await adminApi.post(`${V1}/admin/caregivers/${cara.user.id}/reject`, {
      token: admin.token,
      json: { reason },
    });
    expect(expectOk(res)).toMatchObject({ id: cara.user.id, rejection: { reason } });
    expect(tripsOf(res)).toBeLessThanOrEqual(2);
    const notices = queue.take(NOTIFY_DELIVER);
    expect(notices.map((j) => (j.payload as { recipientId: string }).recipientId)).toEqual([cara.user.id]);
    expect(JSON.stringify(notices[0]!.payload)).toContain(reason);

    const mine = expectOk(await api.get(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token }));
    expect(mine.rejection).toMatchObject({ reason });
    expect(mine.status).toBe('pending');
    expect(await inQueue(admin.token, cara.user.id)).toBeUndefined();

    expectOk(
      await api.patch(`${V1}/caregivers/${cara.user.id}/profile`, { token: cara.token, json: { bio: 'New scan' } }),
    );
    expect(await inQueue(admin.token, cara.user.id)).toMatchObject({ previousRejection: { reason } });

    // Only a pending caregiver can be rejected; a short reason is refused.
    const short = await api.post(`${V1}/admin/caregivers/${cara.user.id}/reject`, {
      token: admin.token,
      json: { reason: 'no' },
    });
    expect(short.status).toBe(422);
    const active = await caregiver();
    const refused = await api.post(`${V1}/admin/caregivers/${active.user.id}/reject`, {
      token: admin.token,
      json: { reason },
    });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const doctor = await signedInUser({ role: 'doctor' });
    expect(
      (await api.post(`${V1}/admin/caregivers/${doctor.user.id}/reject`, { token: admin.token, json: { reason } }))
        .status,
    ).toBe(404);
  });
});

describe('credential expiry', () => {
  const ctxAt = (at: string, adapters: ReturnType<typeof capturingQueue>['adapters']) =>
    createContext(
      testEnv,
      { ...cloudflareDeps, clock: fixedClock(new Date(at)), adapters },
      { requestId: uniqueId('r') },
    );

  // Only this task: the others at a clock years ahead would end the test's sessions.
  const EXPIRY_TASK = CRON_TASKS.filter((t) => t.name === 'caregivers.credentials-expiring');

  it('Should tell the caregiver once per credential when it expires within 30 days', async () => {
    const soon = await pendingCaregiver('2031-03-30');
    const later = await pendingCaregiver('2031-05-15');
    const queue = capturingQueue();
    const noticesFor = (id: string) =>
      queue
        .take(NOTIFY_DELIVER)
        .filter((j) => (j.payload as { notice: { kind: string } }).notice.kind === 'caregiver.credential-expiring')
        .filter((j) => (j.payload as { recipientId: string }).recipientId === id);

    // 31 days ahead: not yet.
    await runCron(ctxAt('2031-02-27T08:00:00Z', queue.adapters), EXPIRY_TASK);
    expect(noticesFor(soon.user.id)).toHaveLength(0);
    // 30 days ahead: told.
    const reports = await runCron(ctxAt('2031-02-28T08:00:00Z', queue.adapters), EXPIRY_TASK);
    expect(reports.find((r) => r.task === 'caregivers.credentials-expiring')?.ok).toBe(true);
    const told = noticesFor(soon.user.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.payload).toMatchObject({
      notice: { subject: { type: 'caregiver-credential', id: `${soon.profile.credentials[0].id}:2031-03-30` } },
    });
    expect(noticesFor(later.user.id)).toHaveLength(0);
    // Again the next minute and the next day: nothing new.
    await runCron(ctxAt('2031-02-28T08:01:00Z', queue.adapters), EXPIRY_TASK);
    await runCron(ctxAt('2031-03-01T08:00:00Z', queue.adapters), EXPIRY_TASK);
    expect(noticesFor(soon.user.id)).toHaveLength(0);

    // A renewed credential (new expiry date) is told again when that one nears.
    expectOk(
      await api.patch(`${V1}/caregivers/${soon.user.id}/profile`, {
        token: soon.token,
        json: {
          credentials: [
            {
              type: 'Nursing licence',
              number: 'RN-1',
              issuer: 'OE',
              expiresAt: '2031-03-20',
              documentFileIds: [soon.doc],
            },
          ],
        },
      }),
    );
    await runCron(ctxAt('2031-03-01T08:02:00Z', queue.adapters), EXPIRY_TASK);
    expect(noticesFor(soon.user.id)).toHaveLength(1);
  });

  it('Should run as part of the scheduled handler', async () => {
    const me = await pendingCaregiver(new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10));
    const controller = createScheduledController({ scheduledTime: new Date(), cron: '* * * * *' });
    const execution = createExecutionContext();
    await worker.scheduled(controller, testEnv, execution);
    await waitOnExecutionContext(execution);
    const [row] = await db.select().from(caregiverCredentials).where(eq(caregiverCredentials.caregiverId, me.user.id));
    expect(row?.expiryNoticeAt).not.toBeNull();
  });
});
