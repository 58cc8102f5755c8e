import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { notifications } from '../../../src/db/schema';
import { client, db, signedInUser, uniqueId } from '../../helpers';
import { insertNotification } from '../../support/notifications';

const api = client();
const V1 = '/api/v1';

/** A signed-in person with three notifications: two unread (system, appointment), one read (reminder). */
async function inboxOwner() {
  const me = await signedInUser();
  const t0 = Date.parse('2026-11-21T08:00:00Z');
  const system = await insertNotification(me.user.id, { type: 'system', createdAt: t0 });
  const appointment = await insertNotification(me.user.id, {
    type: 'appointment',
    title: 'Appointment confirmed',
    data: { appointmentId: 'apt_1' },
    createdAt: t0 + 1000,
  });
  const reminder = await insertNotification(me.user.id, { type: 'reminder', readAt: t0 + 5000, createdAt: t0 + 2000 });
  return { ...me, system, appointment, reminder };
}

describe('the in-app inbox', () => {
  it('Should list my notifications newest first, filtered by unread and type, with the unread count', async () => {
    const me = await inboxOwner();
    const stranger = await signedInUser();
    await insertNotification(stranger.user.id);

    const all = await api.get(`${V1}/notifications`, { token: me.token });
    expect(all.status).toBe(200);
    expect(all.body.data.items.map((n: { id: string }) => n.id)).toEqual([
      me.reminder.id,
      me.appointment.id,
      me.system.id,
    ]);
    expect(all.body.data.pagination).toMatchObject({ total: 3, current: 1, pages: 1 });
    expect(all.body.data.items[1]).toEqual({
      id: me.appointment.id,
      type: 'appointment',
      title: 'Appointment confirmed',
      body: 'Read-only on Sunday night.',
      data: { appointmentId: 'apt_1' },
      readAt: null,
      createdAt: '2026-11-21T08:00:01.000Z',
    });

    const unread = await api.get(`${V1}/notifications?unread=true`, { token: me.token });
    expect(unread.body.data.items.map((n: { id: string }) => n.id)).toEqual([me.appointment.id, me.system.id]);
    const read = await api.get(`${V1}/notifications?unread=false`, { token: me.token });
    expect(read.body.data.items.map((n: { id: string }) => n.id)).toEqual([me.reminder.id]);
    const byType = await api.get(`${V1}/notifications?type=appointment&limit=1`, { token: me.token });
    expect(byType.body.data.items.map((n: { id: string }) => n.id)).toEqual([me.appointment.id]);

    const count = await api.get(`${V1}/notifications/unread-count`, { token: me.token });
    expect([count.status, count.body.data]).toEqual([200, { unreadCount: 2 }]);
  });

  it('Should mark one read (keeping the first time), then all read', async () => {
    const me = await inboxOwner();
    const one = await api.post(`${V1}/notifications/${me.system.id}/read`, { token: me.token });
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ id: me.system.id, readAt: expect.any(String) });
    const again = await api.post(`${V1}/notifications/${me.reminder.id}/read`, { token: me.token });
    expect(again.body.data.readAt).toBe('2026-11-21T08:00:05.000Z');
    expect((await api.get(`${V1}/notifications/unread-count`, { token: me.token })).body.data.unreadCount).toBe(1);

    const all = await api.post(`${V1}/notifications/read-all`, { token: me.token });
    expect([all.status, all.body.data]).toEqual([200, { marked: 1 }]);
    const rows = await db.select().from(notifications).where(eq(notifications.userId, me.user.id)).all();
    expect(rows.every((row) => row.readAt !== null)).toBe(true);
    expect((await api.post(`${V1}/notifications/read-all`, { token: me.token })).body.data).toEqual({ marked: 0 });
  });

  it('Should delete one of mine', async () => {
    const me = await inboxOwner();
    const res = await api.delete(`${V1}/notifications/${me.appointment.id}`, { token: me.token });
    expect([res.status, res.body.data]).toEqual([200, { id: me.appointment.id }]);
    expect(await db.$count(notifications, eq(notifications.id, me.appointment.id))).toBe(0);
    const gone = await api.delete(`${V1}/notifications/${me.appointment.id}`, { token: me.token });
    expect([gone.status, gone.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it("Should answer 404 for another user's notification and change nothing", async () => {
    const owner = await inboxOwner();
    const other = await signedInUser();
    for (const [method, path] of [
      ['POST', `/notifications/${owner.system.id}/read`],
      ['DELETE', `/notifications/${owner.system.id}`],
      ['POST', `/notifications/${uniqueId('ntf')}/read`],
    ] as const) {
      const res = await api.call(method, `${V1}${path}`, { token: other.token });
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([404, 'NOT_FOUND']);
    }
    const row = await db.select().from(notifications).where(eq(notifications.id, owner.system.id)).get();
    expect(row).toMatchObject({ readAt: null });
    // read-all only ever touches the caller's own rows.
    expect((await api.post(`${V1}/notifications/read-all`, { token: other.token })).body.data).toEqual({ marked: 0 });
    expect((await api.get(`${V1}/notifications/unread-count`, { token: owner.token })).body.data.unreadCount).toBe(2);
  });

  it('Should refuse bad input with 422 and change nothing', async () => {
    const me = await inboxOwner();
    for (const path of ['/notifications?unread=yes', '/notifications?type=marketing', '/notifications?limit=0']) {
      const res = await api.get(`${V1}${path}`, { token: me.token });
      expect([res.status, res.body.error.code], path).toEqual([422, 'VALIDATION_FAILED']);
    }
    const badId = await api.post(`${V1}/notifications/${me.user.id}/read`, { token: me.token });
    expect([badId.status, badId.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect((await api.get(`${V1}/notifications/unread-count`, { token: me.token })).body.data.unreadCount).toBe(2);
  });

  it('Should ask for a signed-in caller', async () => {
    const res = await api.get(`${V1}/notifications`);
    expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});
