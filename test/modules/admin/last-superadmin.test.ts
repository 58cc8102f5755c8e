import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext, withActor } from '../../../src/context';
import { auditEvents, users } from '../../../src/db/schema';
import { AppError } from '../../../src/lib/errors';
import { applyDelete, applyStatus } from '../../../src/modules/admin/admin.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, tokenFor, uniqueId } from '../../helpers';

/**
 * Storage is per test file, so the superadmins here are the only ones. Over HTTP the caller is always
 * an active superadmin other than the target, so "last active superadmin" arises only from a race or
 * from a caller who lost their own access meanwhile; the service is driven directly for the latter.
 */
const activeSuperadmins = () => db.$count(users, and(eq(users.role, 'superadmin'), eq(users.status, 'active')));

/** A service context for a superadmin caller that is not itself an account here (e.g. already removed). */
function superadminContext() {
  return withActor(createContext(testEnv, cloudflareDeps, { requestId: uniqueId('req') }), {
    id: uniqueId('usr'),
    role: 'superadmin',
    subRoles: [],
    status: 'active',
    sessionId: null,
  });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'none';
}

describe('the last active superadmin', () => {
  it('Should refuse blocking, deactivating or deleting the last active superadmin (409), changing nothing', async () => {
    const last = await createUser({ role: 'superadmin' });
    const ctx = superadminContext();
    expect(await refusal(applyStatus(ctx, last.id, { action: 'block', reason: 'Test' }))).toBe('CONFLICT');
    expect(await refusal(applyStatus(ctx, last.id, { action: 'deactivate', reason: 'Test' }))).toBe('CONFLICT');
    expect(await refusal(applyDelete(ctx, last.id, 'Test'))).toBe('CONFLICT');
    expect(await db.select().from(users).where(eq(users.id, last.id)).get()).toEqual(last);
    expect(await db.$count(auditEvents, eq(auditEvents.resourceId, last.id))).toBe(0);
    await db.delete(users).where(eq(users.id, last.id));
  });

  it('Should never leave zero active superadmins when two are removed at once', async () => {
    const a = await createUser({ role: 'superadmin' });
    const b = await createUser({ role: 'superadmin' });
    const ctx = superadminContext();
    const outcomes = await Promise.all([
      refusal(applyStatus(ctx, a.id, { action: 'block', reason: 'Race' })),
      refusal(applyStatus(ctx, b.id, { action: 'deactivate', reason: 'Race' })),
    ]);
    expect(outcomes.sort()).toEqual(['CONFLICT', 'none']);
    expect(await activeSuperadmins()).toBe(1);
    // The loser's batch rolled back whole: one audit event, one token version bumped.
    expect(await db.$count(auditEvents, inArray(auditEvents.resourceId, [a.id, b.id]))).toBe(1);
    const versions = (
      await db
        .select()
        .from(users)
        .where(inArray(users.id, [a.id, b.id]))
        .all()
    ).map((u) => u.tokenVersion);
    expect(versions.sort()).toEqual([0, 1]);
  });

  it('Should let two superadmins trying to deactivate each other over HTTP leave one of them active', async () => {
    const api = client();
    await db.update(users).set({ status: 'inactive' }).where(eq(users.role, 'superadmin'));
    const a = await createUser({ role: 'superadmin' });
    const b = await createUser({ role: 'superadmin' });
    const [ta, tb] = [await tokenFor(a), await tokenFor(b)];
    const results = await Promise.all([
      api.post(`/api/v1/admin/users/${b.id}/status`, { token: ta, json: { action: 'deactivate', reason: 'Mutiny' } }),
      api.post(`/api/v1/admin/users/${a.id}/status`, { token: tb, json: { action: 'deactivate', reason: 'Mutiny' } }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([
      expect.toSatisfy((s: number) => s === 401 || s === 409),
    ]);
    expect(await activeSuperadmins()).toBe(1);
  });
});
