import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DeliverPayload, NOTIFY_DELIVER } from '../../../src/access/notices';
import { auditEvents, files, supportMessages, supportTickets } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, SAMPLE, testEnv, tokenFor, uniqueId } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { capturingQueue } from '../../support/notifications';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

const NOW = new Date('2026-03-23T08:00:00Z');
const DAY = 86_400_000;
const clock = fixedClock(NOW);
const queue = capturingQueue();
const api = client({ clock, adapters: queue.adapters });
const V1 = '/api/v1';
const MINE = `${V1}/support/tickets`;
const STAFF = `${V1}/admin/support/tickets`;

beforeEach(async () => {
  clock.set(NOW);
  queue.take(NOTIFY_DELIVER);
  await resetSettings();
});

/** A file of `ownerId`'s, as POST /files would have stored it. */
async function upload(ownerId: string, purpose: 'support' | 'avatar' = 'support') {
  const id = uniqueId('fil');
  await testEnv.FILES.put(`test/${id}`, SAMPLE.pdf());
  await db.insert(files).values({
    id,
    ownerId,
    purpose,
    storageKey: `test/${id}`,
    contentType: 'application/pdf',
    size: SAMPLE.pdf().byteLength,
    sha256: '0'.repeat(64),
    fileName: 'statement.pdf',
    createdAt: NOW.getTime(),
  });
  return id;
}

/** The notices enqueued since the last call: recipient → kinds. */
function notices() {
  return queue.take(NOTIFY_DELIVER).map((job) => {
    const { recipientId, notice } = job.payload as DeliverPayload;
    return { recipientId, kind: notice.kind, template: notice.template };
  });
}

const open = (token: string, json: Record<string, unknown>) => api.post(MINE, { token, json });
const BASIC = { subject: 'I was charged twice', category: 'payments', priority: 'high', description: 'Two charges.' };

async function scene() {
  const owner = await account('user', NOW);
  const agent = await account('admin', NOW, ['support-agent']);
  const other = await account('admin', NOW, ['support-agent']);
  const res = await open(owner.token, BASIC);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  notices();
  return { owner, agent, other, ticket: res.body.data as { id: string } };
}

describe('opening a ticket', () => {
  it('opens a ticket with my own support uploads, audits it and tells the on-duty agents, in two round trips', async () => {
    const owner = await account('doctor', NOW);
    const agent = await account('admin', NOW, ['support-agent']);
    const fileId = await upload(owner.user.id);
    const res = await open(owner.token, { ...BASIC, attachments: [fileId, fileId] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    expect(res.body.data).toMatchObject({
      ownerId: owner.user.id,
      status: 'open',
      priority: 'high',
      category: 'payments',
      attachments: [fileId],
      assigneeId: null,
      reopenableUntil: null,
    });
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, res.body.data.id));
    expect(audits.map((a) => a.action)).toEqual(['support.ticket.open']);
    const sent = notices();
    expect(sent.filter((n) => n.recipientId === agent.user.id)).toHaveLength(1);
    expect(sent.some((n) => n.recipientId === owner.user.id)).toBe(false);
    expect(sent.every((n) => n.template === 'notice')).toBe(true);
  });

  it('refuses bad input with 422 and stores nothing', async () => {
    const owner = await account('user', NOW);
    const stranger = await account('user', NOW);
    const theirs = await upload(stranger.user.id);
    const avatar = await upload(owner.user.id, 'avatar');
    const cases: Record<string, unknown>[] = [
      { ...BASIC, subject: '' },
      { ...BASIC, category: 'billing' },
      { ...BASIC, priority: 'critical' },
      { ...BASIC, description: 'x'.repeat(5001) },
      { ...BASIC, attachments: [theirs] },
      { ...BASIC, attachments: [avatar] },
      { ...BASIC, extra: true },
    ];
    for (const json of cases) {
      const res = await open(owner.token, json);
      expect([res.status, res.body.error?.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    expect(await db.$count(supportTickets, eq(supportTickets.ownerId, owner.user.id))).toBe(0);
    expect(notices()).toEqual([]);
  });
});

describe('reading tickets', () => {
  it("answers my tickets in one round trip, and another user's ticket with 404", async () => {
    const { owner, ticket } = await scene();
    const list = await api.get(MINE, { token: owner.token });
    expect(list.status).toBe(200);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items.map((t: { id: string }) => t.id)).toEqual([ticket.id]);
    const thread = await api.get(`${MINE}/${ticket.id}`, { token: owner.token });
    expect([thread.status, tripsOf(thread)]).toEqual([200, 1]);
    expect(thread.body.data).toMatchObject({ ticket: { id: ticket.id }, messages: [] });

    const stranger = await account('user', NOW);
    for (const res of [
      await api.get(`${MINE}/${ticket.id}`, { token: stranger.token }),
      await api.post(`${MINE}/${ticket.id}/messages`, { token: stranger.token, json: { body: 'hi' } }),
      await api.post(`${MINE}/${ticket.id}/reopen`, { token: stranger.token }),
    ]) {
      expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await api.get(MINE, { token: stranger.token })).body.data.items).toEqual([]);
  });

  it('keeps the staff routes to support agents and superadmins', async () => {
    const { ticket } = await scene();
    const plainAdmin = await account('admin', NOW);
    const user = await account('user', NOW);
    const superadmin = await account('superadmin', NOW);
    expect((await api.get(STAFF, { token: plainAdmin.token })).status).toBe(403);
    expect((await api.get(STAFF, { token: user.token })).status).toBe(403);
    expect((await api.get(`${STAFF}/${ticket.id}`, { token: superadmin.token })).status).toBe(200);
  });
});

describe('staff handling', () => {
  it('lists with filters, assigns, answers, and hides internal notes from the owner', async () => {
    const { owner, agent, other, ticket } = await scene();
    const tag = uniqueId('q').toLowerCase();
    const second = await open(owner.token, { ...BASIC, subject: `Login ${tag}`, category: 'account', priority: 'low' });
    notices();

    const byText = await api.get(`${STAFF}?q=${tag}`, { token: agent.token });
    expect([byText.status, tripsOf(byText)]).toEqual([200, 1]);
    expect(byText.body.data.items.map((t: { id: string }) => t.id)).toEqual([second.body.data.id]);
    const filtered = await api.get(`${STAFF}?category=account&priority=low&status=open&q=${tag}`, {
      token: agent.token,
    });
    expect(filtered.body.data.items).toHaveLength(1);
    expect((await api.get(`${STAFF}?category=payments&q=${tag}`, { token: agent.token })).body.data.items).toEqual([]);

    const assign = await api.post(`${STAFF}/${ticket.id}/assign`, {
      token: agent.token,
      json: { assigneeId: other.user.id },
    });
    expect([assign.status, tripsOf(assign)], JSON.stringify(assign.body)).toEqual([200, 2]);
    expect(assign.body.data.assigneeId).toBe(other.user.id);
    const told = notices();
    expect(told.filter((n) => n.recipientId === owner.user.id)).toHaveLength(1);
    expect(told.filter((n) => n.recipientId === other.user.id)).toHaveLength(1);
    expect(told.filter((n) => n.recipientId === agent.user.id)).toHaveLength(0);
    const byAssignee = await api.get(`${STAFF}?assignee=${other.user.id}`, { token: agent.token });
    expect(byAssignee.body.data.items.map((t: { id: string }) => t.id)).toEqual([ticket.id]);

    // Assigning to someone who is no support agent: 422, nothing changes.
    const notAgent = await account('admin', NOW);
    const bad = await api.post(`${STAFF}/${ticket.id}/assign`, {
      token: agent.token,
      json: { assigneeId: notAgent.user.id },
    });
    expect([bad.status, bad.body.error?.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect((await db.select().from(supportTickets).where(eq(supportTickets.id, ticket.id)))[0]!.assigneeId).toBe(
      other.user.id,
    );

    const reply = await api.post(`${STAFF}/${ticket.id}/messages`, {
      token: other.token,
      json: { body: 'We refunded the second charge.' },
    });
    expect([reply.status, tripsOf(reply)]).toEqual([201, 2]);
    expect(reply.body.data).toMatchObject({ fromStaff: true, internal: false });
    expect(notices().map((n) => n.recipientId)).toEqual([owner.user.id]);

    const note = await api.post(`${STAFF}/${ticket.id}/messages`, {
      token: agent.token,
      json: { body: 'Refund id re_123', internal: true },
    });
    expect(note.status).toBe(201);
    expect(notices().map((n) => n.recipientId)).toEqual([other.user.id]);

    const ownerView = await api.get(`${MINE}/${ticket.id}`, { token: owner.token });
    expect(ownerView.body.data.messages.map((m: { body: string }) => m.body)).toEqual([
      'We refunded the second charge.',
    ]);
    const staffView = await api.get(`${STAFF}/${ticket.id}`, { token: agent.token });
    expect([staffView.status, tripsOf(staffView)]).toEqual([200, 1]);
    expect(staffView.body.data.messages.map((m: { internal: boolean }) => m.internal)).toEqual([false, true]);

    // The owner's answer reaches the assignee only, once.
    const fileId = await upload(owner.user.id);
    const answer = await api.post(`${MINE}/${ticket.id}/messages`, {
      token: owner.token,
      json: { body: 'Thanks, attached the statement.', attachments: [fileId] },
    });
    expect([answer.status, tripsOf(answer)]).toEqual([201, 2]);
    expect(answer.body.data).toMatchObject({ fromStaff: false, attachments: [fileId] });
    expect(notices().map((n) => n.recipientId)).toEqual([other.user.id]);
  });
});

describe('attachment downloads', () => {
  it("serves a ticket's files to its owner and staff in one round trip, never an internal note's file to the owner", async () => {
    const owner = await account('user', NOW);
    const agent = await account('admin', NOW, ['support-agent']);
    const mine = await upload(owner.user.id);
    const ticket = await open(owner.token, { ...BASIC, attachments: [mine] });
    const noteFile = await upload(agent.user.id);
    const note = await api.post(`${STAFF}/${ticket.body.data.id}/messages`, {
      token: agent.token,
      json: { body: 'Internal scan', internal: true, attachments: [noteFile] },
    });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const path = (base: string, fileId: string) => `${base}/${ticket.body.data.id}/files/${fileId}`;

    const got = await api.get(path(MINE, mine), { token: owner.token });
    expect([got.status, got.headers.get('content-type'), tripsOf(got)]).toEqual([200, 'application/pdf', 1]);
    expect((await api.get(path(STAFF, noteFile), { token: agent.token })).status).toBe(200);
    expect((await api.get(path(STAFF, mine), { token: agent.token })).status).toBe(200);

    const stranger = await account('user', NOW);
    for (const res of [
      await api.get(path(MINE, noteFile), { token: owner.token }),
      await api.get(path(MINE, mine), { token: stranger.token }),
      await api.get(path(MINE, await upload(owner.user.id)), { token: owner.token }),
    ]) {
      expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});

describe('lifecycle', () => {
  const status = (token: string, id: string, to: string) =>
    api.post(`${STAFF}/${id}/status`, { token, json: { status: to } });

  it('reopens within support.reopenDays of the resolution and refuses it after', async () => {
    await setSetting('support.reopenDays', 3);
    const { owner, agent, ticket } = await scene();
    await api.post(`${STAFF}/${ticket.id}/assign`, { token: agent.token, json: { assigneeId: agent.user.id } });
    notices();
    const start = await status(agent.token, ticket.id, 'in-progress');
    expect([start.status, start.body.data.status, tripsOf(start)]).toEqual([200, 'in-progress', 2]);
    const resolved = await status(agent.token, ticket.id, 'resolved');
    expect(resolved.body.data).toMatchObject({
      status: 'resolved',
      resolvedAt: NOW.toISOString(),
      reopenableUntil: new Date(NOW.getTime() + 3 * DAY).toISOString(),
    });
    expect(notices().map((n) => n.recipientId)).toEqual([owner.user.id, owner.user.id]);

    // A resolved ticket takes no message from the owner until reopened.
    const blocked = await api.post(`${MINE}/${ticket.id}/messages`, { token: owner.token, json: { body: 'Still?' } });
    expect([blocked.status, blocked.body.error?.code]).toEqual([409, 'INVALID_TRANSITION']);

    // Tokens are short-lived: sign in again at each moved clock.
    clock.set(new Date(NOW.getTime() + 3 * DAY));
    const ownerToken = await tokenFor(owner.user, clock.now());
    const reopened = await api.post(`${MINE}/${ticket.id}/reopen`, { token: ownerToken });
    expect([reopened.status, reopened.body.data?.status, tripsOf(reopened)]).toEqual([200, 'open', 2]);
    expect(notices().map((n) => n.recipientId)).toEqual([agent.user.id]);

    const again = await status(await tokenFor(agent.user, clock.now()), ticket.id, 'resolved');
    expect(again.status).toBe(200);
    clock.set(new Date(NOW.getTime() + 6 * DAY + 1));
    const late = await api.post(`${MINE}/${ticket.id}/reopen`, { token: await tokenFor(owner.user, clock.now()) });
    expect([late.status, late.body.error?.code]).toEqual([409, 'INVALID_TRANSITION']);
    const [row] = await db.select().from(supportTickets).where(eq(supportTickets.id, ticket.id));
    expect(row!.status).toBe('resolved');
  });

  it('makes closed final, for everyone', async () => {
    const { owner, agent, ticket } = await scene();
    const closed = await status(agent.token, ticket.id, 'closed');
    expect([closed.status, closed.body.data.status]).toEqual([200, 'closed']);
    for (const res of [
      await status(agent.token, ticket.id, 'in-progress'),
      await status(agent.token, ticket.id, 'resolved'),
      await api.post(`${MINE}/${ticket.id}/reopen`, { token: owner.token }),
      await api.post(`${MINE}/${ticket.id}/messages`, { token: owner.token, json: { body: 'Hello?' } }),
      await api.post(`${STAFF}/${ticket.id}/messages`, { token: agent.token, json: { body: 'Hi' } }),
      await api.post(`${STAFF}/${ticket.id}/assign`, { token: agent.token, json: { assigneeId: agent.user.id } }),
    ]) {
      expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([409, 'INVALID_TRANSITION']);
    }
    expect(await db.$count(supportMessages, eq(supportMessages.ticketId, ticket.id))).toBe(0);
    const bad = await status(agent.token, ticket.id, 'open');
    expect(bad.status).toBe(422);
  });
});

describe('support and account erasure', () => {
  it("removes a user's tickets and threads, keeps a staff member's replies on others' tickets by id", async () => {
    const leaving = await userWithPassword();
    const leavingToken = await tokenFor(leaving, NOW);
    const agent = await account('admin', NOW, ['support-agent']);
    const mine = await open(leavingToken, BASIC);
    await api.post(`${STAFF}/${mine.body.data.id}/messages`, {
      token: agent.token,
      json: { body: 'Note', internal: true },
    });

    // A staff member who leaves: their reply on another user's ticket stays, their assignment goes.
    const staffLeaving = await userWithPassword({ role: 'admin', subRoles: ['support-agent'] });
    const staffToken = await tokenFor(staffLeaving, NOW);
    const owner = await account('user', NOW);
    const theirs = await open(owner.token, BASIC);
    await api.post(`${STAFF}/${theirs.body.data.id}/assign`, {
      token: staffToken,
      json: { assigneeId: staffLeaving.id },
    });
    const reply = await api.post(`${STAFF}/${theirs.body.data.id}/messages`, {
      token: staffToken,
      json: { body: 'On it' },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);

    for (const [token] of [[leavingToken], [staffToken]] as const) {
      const res = await api.delete(`${V1}/users/me`, { token, json: { password: STRONG_PASSWORD } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect(await db.$count(supportTickets, eq(supportTickets.ownerId, leaving.id))).toBe(0);
    expect(await db.$count(supportMessages, eq(supportMessages.ticketId, mine.body.data.id))).toBe(0);
    const [kept] = await db.select().from(supportTickets).where(eq(supportTickets.id, theirs.body.data.id));
    expect(kept!.assigneeId).toBeNull();
    const [keptReply] = await db.select().from(supportMessages).where(eq(supportMessages.id, reply.body.data.id));
    expect(keptReply).toMatchObject({ authorId: staffLeaving.id, body: 'On it' });
  });
});
