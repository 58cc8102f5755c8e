import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, users } from '../../../src/db/schema';
import { client, createUser, db, signedInUser, tokenFor, uniqueId } from '../../helpers';

const api = client();
const BULK = '/api/v1/admin/users/bulk';
const UNKNOWN_ID = 'usr_00000000000000000000000000';
const bulk = (token: string, json: unknown) => api.post(BULK, { token, json });
const rowOf = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const auditsOf = (ids: string[]) => db.select().from(auditEvents).where(inArray(auditEvents.resourceId, ids)).all();

describe('POST /admin/users/bulk', () => {
  it('Should deactivate the good ids and report unknown, forbidden and invalid ones without stopping', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const good = [await createUser(), await createUser({ role: 'doctor' }), await createUser({ role: 'receptionist' })];
    const goodTokens = await Promise.all(good.map((u) => tokenFor(u)));
    const superadmin = await createUser({ role: 'superadmin' });
    const otherAdmin = await createUser({ role: 'admin' });
    const inactive = await createUser({ status: 'inactive' });
    const untouched = [superadmin, otherAdmin, inactive, admin.user];
    const ids = [
      good[0]!.id,
      UNKNOWN_ID,
      superadmin.id,
      good[1]!.id,
      otherAdmin.id,
      admin.user.id,
      inactive.id,
      good[2]!.id,
    ];

    const res = await bulk(admin.token, { action: 'deactivate', ids, reason: 'Clinic closed' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.counts).toEqual({ requested: 8, succeeded: 3, failed: 5 });
    expect(res.body.data.results.map((r: any) => [r.id, r.ok, r.code])).toEqual([
      [good[0]!.id, true, undefined],
      [UNKNOWN_ID, false, 'NOT_FOUND'],
      [superadmin.id, false, 'FORBIDDEN'],
      [good[1]!.id, true, undefined],
      [otherAdmin.id, false, 'FORBIDDEN'],
      [admin.user.id, false, 'FORBIDDEN'],
      [inactive.id, false, 'INVALID_TRANSITION'],
      [good[2]!.id, true, undefined],
    ]);
    for (const failure of res.body.data.results.filter((r: any) => !r.ok)) expect(failure.message).toBeTruthy();

    for (const [i, user] of good.entries()) {
      expect(await rowOf(user.id)).toMatchObject({
        status: 'inactive',
        statusReason: 'Clinic closed',
        tokenVersion: 1,
      });
      expect((await api.get('/api/v1/users/me', { token: goodTokens[i]! })).body.error.code).toBe('TOKEN_REVOKED');
    }
    for (const user of untouched) expect(await rowOf(user.id)).toEqual(user);
    expect((await api.get('/api/v1/users/me', { token: admin.token })).status).toBe(200);

    const events = await auditsOf(ids);
    expect(events.map((e) => e.resourceId).sort()).toEqual(good.map((u) => u.id).sort());
    for (const event of events) {
      expect(event).toMatchObject({
        action: 'admin.users.deactivate',
        actorId: admin.user.id,
        reason: 'Clinic closed',
        metadata: { bulk: true, from: 'active', to: 'inactive' },
      });
    }
  });

  it('Should activate inactive accounts and report those that are not inactive', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const inactive = [
      await createUser({ status: 'inactive' }),
      await createUser({ role: 'admin', status: 'inactive' }),
    ];
    const blocked = await createUser({ status: 'blocked' });
    const res = await bulk(token, { action: 'activate', ids: [...inactive.map((u) => u.id), blocked.id] });
    expect(res.body.data.counts).toEqual({ requested: 3, succeeded: 2, failed: 1 });
    expect(res.body.data.results[2]).toMatchObject({ id: blocked.id, ok: false, code: 'INVALID_TRANSITION' });
    for (const user of inactive) expect((await rowOf(user.id))?.status).toBe('active');
    expect(await rowOf(blocked.id)).toEqual(blocked);
  });

  it('Should delete the deletable ids permanently and keep the rest', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const doomed = [await createUser(), await createUser({ role: 'caregiver' })];
    const superadmin = await createUser({ role: 'superadmin' });
    const res = await bulk(admin.token, {
      action: 'delete',
      ids: [doomed[0]!.id, superadmin.id, UNKNOWN_ID, doomed[1]!.id],
      reason: 'Spam accounts',
    });
    expect(res.body.data.counts).toEqual({ requested: 4, succeeded: 2, failed: 2 });
    for (const user of doomed) expect(await rowOf(user.id)).toBeUndefined();
    expect(await rowOf(superadmin.id)).toEqual(superadmin);
    const events = await auditsOf(doomed.map((u) => u.id));
    expect(events.map((e) => [e.action, e.actorId, e.reason])).toEqual([
      ['user.purge', admin.user.id, 'Spam accounts'],
      ['user.purge', admin.user.id, 'Spam accounts'],
    ]);
  });

  it('Should refuse a malformed request with 422 and change nothing', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const user = await createUser();
    const tooMany = Array.from({ length: 101 }, () => uniqueId('usr'));
    const bodies = [
      { action: 'deactivate', ids: [user.id] },
      { action: 'deactivate', ids: [user.id], reason: 'no' },
      { action: 'block', ids: [user.id], reason: 'Not a bulk action' },
      { action: 'activate', ids: [] },
      { action: 'activate', ids: tooMany },
      { action: 'activate', ids: [user.id, user.id] },
      { action: 'activate', ids: ['not-an-id'] },
      { action: 'activate', ids: user.id },
      { ids: [user.id] },
    ];
    for (const json of bodies) {
      const res = await bulk(token, json);
      expect([res.status, res.body.error.code], JSON.stringify(json).slice(0, 80)).toEqual([422, 'VALIDATION_FAILED']);
    }
    expect(await rowOf(user.id)).toEqual(user);
    expect(await auditsOf([user.id])).toEqual([]);
  });

  it('Should accept exactly 100 ids', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const ids = Array.from({ length: 100 }, () => uniqueId('usr'));
    const res = await bulk(token, { action: 'activate', ids });
    expect(res.status).toBe(200);
    expect(res.body.data.counts).toEqual({ requested: 100, succeeded: 0, failed: 100 });
    expect(new Set(res.body.data.results.map((r: any) => r.code))).toEqual(new Set(['NOT_FOUND']));
  });
});
