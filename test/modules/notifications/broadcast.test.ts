import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NOTIFY_BROADCAST, NOTIFY_DELIVER } from '../../../src/access/notices';
import { createContext } from '../../../src/context';
import { auditEvents, broadcasts, type Role, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { fanOutBroadcast } from '../../../src/modules/notifications/broadcast.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, tokenFor, uniqueId } from '../../helpers';
import { capturingQueue, runQueue } from '../../support/notifications';

const V1 = '/api/v1';
const clock = fixedClock('2026-11-21T08:00:00Z');
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });

const recipientsOf = (jobs: { payload: unknown }[]) =>
  jobs.map((job) => (job.payload as { recipientId: string }).recipientId);

async function adminToken(role: Role = 'admin') {
  return tokenFor(await createUser({ role }), clock.now());
}

describe('admin announcements', () => {
  it('Should fan a role announcement out through the queue to that role only, and audit it', async () => {
    const caregivers = [await createUser({ role: 'caregiver' }), await createUser({ role: 'caregiver' })];
    const blocked = await createUser({ role: 'caregiver', status: 'blocked' });
    const doctor = await createUser({ role: 'doctor' });
    const patient = await createUser();
    const token = await adminToken();

    const res = await api.post(`${V1}/admin/notifications`, {
      token,
      json: {
        audience: { kind: 'role', role: 'caregiver' },
        type: 'system',
        title: 'New visit checklist',
        body: 'Please read the updated checklist before your next visit.',
        data: { url: 'https://kinwell.test/checklist' },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.data).toMatchObject({
      broadcastId: expect.stringMatching(/^bdc_/),
      audience: { kind: 'role', role: 'caregiver' },
      status: 'fanning-out',
    });
    const broadcastId = res.body.data.broadcastId as string;
    // The request enqueued one fan-out job and delivered nothing itself.
    const fanOut = queue.take(NOTIFY_BROADCAST);
    expect(fanOut).toEqual([{ type: NOTIFY_BROADCAST, payload: { broadcastId, after: '' } }]);
    expect(queue.take(NOTIFY_DELIVER)).toEqual([]);
    const [audit] = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, broadcastId)).all();
    expect(audit).toMatchObject({ action: 'notification.broadcast', outcome: 'success' });

    expect((await runQueue(fanOut, { deps: { clock, adapters: queue.adapters } })).acked).toHaveLength(1);
    const deliver = queue.take(NOTIFY_DELIVER);
    const reached = recipientsOf(deliver);
    expect(reached).toEqual(expect.arrayContaining(caregivers.map((c) => c.id)));
    expect(reached).not.toContain(blocked.id);
    expect(reached).not.toContain(doctor.id);
    expect(reached).not.toContain(patient.id);
    for (const id of reached) {
      expect((await db.select({ role: users.role }).from(users).where(eq(users.id, id)).get())?.role).toBe('caregiver');
    }
    expect(await db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId)).get()).toMatchObject({
      status: 'done',
      enqueued: reached.length,
    });

    await runQueue(deliver, { deps: { clock } });
    const inbox = await api.get(`${V1}/notifications`, { token: await tokenFor(caregivers[0]!, clock.now()) });
    expect(inbox.body.data.items).toEqual([
      expect.objectContaining({
        type: 'system',
        title: 'New visit checklist',
        data: expect.objectContaining({ broadcastId, url: 'https://kinwell.test/checklist' }),
      }),
    ]);
    const doctorInbox = await api.get(`${V1}/notifications`, { token: await tokenFor(doctor, clock.now()) });
    expect(doctorInbox.body.data.items).toEqual([]);
  });

  it('Should walk the audience page by page, and a redelivered or early page job neither repeats nor forks', async () => {
    const receptionists = [];
    for (let i = 0; i < 3; i++) receptionists.push(await createUser({ role: 'receptionist' }));
    const res = await api.post(`${V1}/admin/notifications`, {
      token: await adminToken('superadmin'),
      json: { audience: { kind: 'role', role: 'receptionist' }, type: 'custom', title: 'Hi', body: 'Front desk news.' },
    });
    expect(res.status).toBe(202);
    const [first] = queue.take(NOTIFY_BROADCAST);
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock, adapters: queue.adapters }, { requestId: 'fan' });

    await fanOutBroadcast(ctx, first!, 2);
    const page1 = recipientsOf(queue.take(NOTIFY_DELIVER));
    const [second] = queue.take(NOTIFY_BROADCAST);
    expect(page1).toHaveLength(2);
    expect(second!.payload).toMatchObject({ after: page1[1] });

    // The first page's message again: the cursor is past it, so nothing is enqueued.
    await fanOutBroadcast(ctx, first!, 2);
    expect(queue.jobs).toEqual([]);
    // A page job whose predecessor has not committed waits for it.
    const early = { type: NOTIFY_BROADCAST, payload: { ...(second!.payload as object), after: `${page1[1]}Z` } };
    await expect(fanOutBroadcast(ctx, early, 2)).rejects.toThrow(/not committed/);

    await fanOutBroadcast(ctx, second!, 2);
    const page2 = recipientsOf(queue.take(NOTIFY_DELIVER));
    expect(queue.take(NOTIFY_BROADCAST)).toEqual([]);
    expect([...page1, ...page2].sort()).toEqual(receptionists.map((r) => r.id).sort());
  });

  it('Should send to one named account, and answer 404 for an unknown one', async () => {
    const token = await adminToken();
    const person = await createUser();
    const one = await api.post(`${V1}/admin/notifications`, {
      token,
      json: { audience: { kind: 'user', userId: person.id }, type: 'custom', title: 'Hello', body: 'Welcome aboard.' },
    });
    expect(one.status).toBe(202);
    const fanOut = queue.take(NOTIFY_BROADCAST);
    await runQueue(fanOut, { deps: { clock, adapters: queue.adapters } });
    expect(recipientsOf(queue.take(NOTIFY_DELIVER))).toEqual([person.id]);

    const before = await db.$count(broadcasts);
    const missing = await api.post(`${V1}/admin/notifications`, {
      token,
      json: { audience: { kind: 'user', userId: uniqueId('usr') }, type: 'custom', title: 'Hello', body: 'Hi.' },
    });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(await db.$count(broadcasts)).toBe(before);
    expect(queue.jobs).toEqual([]);
  });

  it('Should refuse bad input with 422, and non-admins with 403, enqueueing nothing', async () => {
    const token = await adminToken();
    const before = await db.$count(broadcasts);
    for (const json of [
      { audience: { kind: 'role', role: 'king' }, type: 'system', title: 'T', body: 'B' },
      { audience: { kind: 'everyone' }, type: 'appointment', title: 'T', body: 'B' },
      { audience: { kind: 'everyone' }, type: 'system', title: '', body: 'B' },
      { audience: { kind: 'everyone' }, type: 'system', title: 'T', body: 'B', data: { title: 'x' } },
      { audience: { kind: 'everyone' }, type: 'system', title: 'T', body: 'B', extra: true },
    ]) {
      const res = await api.post(`${V1}/admin/notifications`, { token, json });
      expect([res.status, res.body.error?.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const patient = await api.post(`${V1}/admin/notifications`, {
      token: await tokenFor(await createUser(), clock.now()),
      json: { audience: { kind: 'everyone' }, type: 'system', title: 'T', body: 'B' },
    });
    expect([patient.status, patient.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await db.$count(broadcasts)).toBe(before);
    expect(queue.jobs).toEqual([]);
  });
});
