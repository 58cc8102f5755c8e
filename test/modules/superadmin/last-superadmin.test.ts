import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createContext, type ServiceContext } from '../../../src/context';
import { auditEvents, type UserRow, users } from '../../../src/db/schema';
import {
  blockAdmin,
  countActiveSuperadmins,
  removesLastSuperadmin,
  revokeAdmin,
} from '../../../src/modules/superadmin/superadmin.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv } from '../../helpers';

const api = client();
const BASE = '/api/v1/superadmin/admins';
const REASON = { reason: 'Security review' };

const activeSuperadmins = () => db.$count(users, and(eq(users.role, 'superadmin'), eq(users.status, 'active')));
const row = async (id: string) => (await db.select().from(users).where(eq(users.id, id)).get())!;

/** A service context acting as `user`, as the guard would build it for one of their requests. */
function actingAs(user: UserRow): ServiceContext {
  const ctx = createContext(testEnv, cloudflareDeps, { requestId: `req_${user.id}` });
  ctx.actor = { id: user.id, role: user.role, subRoles: user.subRoles, status: 'active', sessionId: null };
  return ctx;
}

/** Holds every caller at `db.batch` until all of them got there, so their pre-checks all ran first. */
function holdBatchesUntilAll(contexts: ServiceContext[]) {
  let arrived = 0;
  let release!: () => void;
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const ctx of contexts) {
    const batch = ctx.db.batch.bind(ctx.db);
    vi.spyOn(ctx.db, 'batch').mockImplementation((async (statements: any) => {
      arrived++;
      if (arrived === contexts.length) release();
      await allArrived;
      return batch(statements);
    }) as any);
  }
}

// Storage is shared within this file: every test starts with no active superadmin but its own.
beforeEach(async () => {
  await db
    .update(users)
    .set({ status: 'inactive' })
    .where(and(eq(users.role, 'superadmin'), eq(users.status, 'active')));
});

describe('last active superadmin', () => {
  it('Should decide with a pure rule: only removing the last active superadmin is refused', () => {
    const active = { role: 'superadmin', status: 'active' } as const;
    expect(removesLastSuperadmin(active, { role: 'superadmin', status: 'blocked' }, 1)).toBe(true);
    expect(removesLastSuperadmin(active, { role: 'user', status: 'active' }, 1)).toBe(true);
    expect(removesLastSuperadmin(active, { role: 'superadmin', status: 'blocked' }, 2)).toBe(false);
    expect(removesLastSuperadmin(active, active, 1)).toBe(false);
    expect(
      removesLastSuperadmin({ role: 'superadmin', status: 'blocked' }, { role: 'user', status: 'blocked' }, 0),
    ).toBe(false);
    expect(removesLastSuperadmin({ role: 'admin', status: 'active' }, { role: 'admin', status: 'blocked' }, 1)).toBe(
      false,
    );
  });

  it('Should let one of two superadmins revoke the other, then refuse to demote or block the last (409)', async () => {
    const a = await signedInUser({ role: 'superadmin' });
    const b = await signedInUser({ role: 'superadmin' });
    expect(await countActiveSuperadmins(actingAs(a.user))).toBe(2);

    const revoke = await api.post(`${BASE}/${b.user.id}/revoke-admin`, { token: a.token });
    expect(revoke.status).toBe(200);
    expect(await row(b.user.id)).toMatchObject({ role: 'user', status: 'active' });
    expect(await activeSuperadmins()).toBe(1);

    // The last one cannot be reached over HTTP by anyone else (only superadmins call these routes, and
    // never on themselves); a request that passed the guard just before its caller lost the role can.
    const c = await signedInUser({ role: 'superadmin' });
    const lateCaller = actingAs(c.user);
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, c.user.id));
    await expect(blockAdmin(lateCaller, a.user.id, REASON.reason)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(revokeAdmin(lateCaller, a.user.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await row(a.user.id)).toMatchObject({ role: 'superadmin', status: 'active', tokenVersion: 0 });
    expect((await api.get(BASE, { token: a.token })).status).toBe(200);
    const refusals = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, a.user.id)).all();
    expect(refusals.map((e) => [e.action, e.outcome, e.metadata?.code])).toEqual([
      ['superadmin.admins.block', 'failure', 'CONFLICT'],
      ['superadmin.admins.revoke', 'failure', 'CONFLICT'],
    ]);
  });

  it('Should let one of two superadmins block the other', async () => {
    const a = await signedInUser({ role: 'superadmin' });
    const b = await signedInUser({ role: 'superadmin' });
    const res = await api.post(`${BASE}/${b.user.id}/block`, { token: a.token, json: REASON });
    expect(res.status).toBe(200);
    expect((await api.get(BASE, { token: b.token })).body.error.code).toBe('TOKEN_REVOKED');
    expect(await activeSuperadmins()).toBe(1);
  });

  it('Should leave one active when the last two block each other at the same time (HTTP)', async () => {
    const a = await signedInUser({ role: 'superadmin' });
    const b = await signedInUser({ role: 'superadmin' });
    const results = await Promise.all([
      api.post(`${BASE}/${b.user.id}/block`, { token: a.token, json: REASON }),
      api.post(`${BASE}/${a.user.id}/block`, { token: b.token, json: REASON }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.map((r) => r.status).sort()).toEqual(
      expect.arrayContaining([200, expect.toSatisfy((s: number) => s === 409 || s === 401)]),
    );
    expect(await activeSuperadmins()).toBe(1);
    const successes = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'superadmin.admins.block'), eq(auditEvents.outcome, 'success')))
      .all();
    expect(successes.filter((e) => [a.user.id, b.user.id].includes(e.resourceId!))).toHaveLength(1);
  });

  it('Should refuse in the database the second of two demotions that both passed the count check', async () => {
    const a = await signedInUser({ role: 'superadmin' });
    const b = await signedInUser({ role: 'superadmin' });
    const asA = actingAs(a.user);
    const asB = actingAs(b.user);
    holdBatchesUntilAll([asA, asB]);
    const outcomes = await Promise.allSettled([revokeAdmin(asA, b.user.id), blockAdmin(asB, a.user.id, 'Race')]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'CONFLICT' });
    expect(await activeSuperadmins()).toBe(1);

    // The refused change left nothing behind: no success audit row, the survivor keeps its sessions.
    const survivor = (await row(a.user.id)).status === 'active' ? a : b;
    expect(await row(survivor.user.id)).toMatchObject({ role: 'superadmin', status: 'active', tokenVersion: 0 });
    expect((await api.get(BASE, { token: survivor.token })).status).toBe(200);
    const events = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, survivor.user.id)).all();
    expect(events.map((e) => e.outcome)).toEqual(['failure']);
  });
});
