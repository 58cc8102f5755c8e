import { and, eq, isNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_POLICIES } from '../../../src/access/route-policies';
import { createContext } from '../../../src/context';
import { auditEvents, devOutbox, type Role, sessions, type UserRow, users } from '../../../src/db/schema';
import { guard } from '../../../src/http/guard';
import { createRouter } from '../../../src/http/hono';
import { AppError } from '../../../src/lib/errors';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, signedInUser, testEnv, tokenFor, uniqueId } from '../../helpers';

const api = client();
const BASE = '/api/v1/superadmin';
const REASON = { reason: 'Could not verify employment with the clinic' };
const NOT_ADMIN_ROLES: Role[] = ['admin', 'user', 'doctor', 'caregiver', 'receptionist'];

/**
 * A route guarded exactly like the admin console (the real guard and the policy entry of
 * `admin.users.list`), so a test can ask "may this token call an admin route?" without depending on
 * another module's handlers.
 */
const adminProbe = createRouter();
adminProbe.use((c, next) => {
  c.set('ctx', createContext(c.env, cloudflareDeps, { requestId: 'req_probe' }));
  return next();
});
adminProbe.get('/probe', guard(ROUTE_POLICIES['admin.users.list']), (c) => c.json({ ok: true }));
adminProbe.onError((err, c) => {
  if (!(err instanceof AppError)) throw err;
  return c.json({ error: { code: err.code } }, err.status);
});
async function callAdminRoute(token: string) {
  const res = await adminProbe.request('/probe', { headers: { authorization: `Bearer ${token}` } }, testEnv);
  return { status: res.status, body: (await res.json()) as any };
}

const me = (token: string) => api.get('/api/v1/users/me', { token });
const row = async (id: string) => (await db.select().from(users).where(eq(users.id, id)).get())!;
const audits = (resourceId: string, action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceId, resourceId), eq(auditEvents.action, action)))
    .all();
const liveSessions = (userId: string) =>
  db.$count(sessions, and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));

let superadmin: { user: UserRow; token: string };
beforeAll(async () => {
  superadmin = await signedInUser({ role: 'superadmin' });
});

interface RouteCase {
  method: 'get' | 'post';
  path: (id: string) => string;
  json?: unknown;
}

/** Every superadmin-only admin route, called with a well-formed body. */
const ROUTES: Record<string, RouteCase> = {
  list: { method: 'get', path: () => `${BASE}/admins` },
  approve: { method: 'post', path: (id) => `${BASE}/admins/${id}/approve` },
  reject: { method: 'post', path: (id) => `${BASE}/admins/${id}/reject`, json: REASON },
  block: { method: 'post', path: (id) => `${BASE}/admins/${id}/block`, json: REASON },
  unblock: { method: 'post', path: (id) => `${BASE}/admins/${id}/unblock` },
  grant: { method: 'post', path: (id) => `/api/v1/superadmin/users/${id}/grant-admin`, json: { subRoles: [] } },
  revoke: { method: 'post', path: (id) => `${BASE}/admins/${id}/revoke-admin` },
};

function call(route: RouteCase, id: string, token?: string) {
  return api.call(route.method.toUpperCase(), route.path(id), {
    ...(token ? { token } : {}),
    ...(route.json !== undefined ? { json: route.json } : route.method === 'post' ? { json: {} } : {}),
  });
}

describe('superadmin routes: access', () => {
  it('Should refuse anonymous callers (401) and every role but superadmin (403), changing nothing', async () => {
    const target = await createUser({ role: 'admin', status: 'pending' });
    const tokens = await Promise.all(NOT_ADMIN_ROLES.map(async (role) => [role, (await signedInUser({ role })).token]));
    for (const [name, route] of Object.entries(ROUTES)) {
      const anonymous = await call(route, target.id);
      expect([anonymous.status, anonymous.body.error.code], `anonymous → ${name}`).toEqual([401, 'UNAUTHENTICATED']);
      for (const [role, token] of tokens) {
        const res = await call(route, target.id, token);
        expect([res.status, res.body.error.code], `${role} → ${name}`).toEqual([403, 'FORBIDDEN']);
      }
    }
    expect(await row(target.id)).toMatchObject({ role: 'admin', status: 'pending', tokenVersion: 0 });
    expect(await db.$count(auditEvents, eq(auditEvents.resourceId, target.id))).toBe(0);
  });

  it('Should refuse a pending or blocked superadmin token', async () => {
    const pending = await signedInUser({ role: 'superadmin', status: 'pending' });
    expect((await api.get(`${BASE}/admins`, { token: pending.token })).status).toBe(403);
    const blocked = await signedInUser({ role: 'superadmin', status: 'blocked' });
    expect((await api.get(`${BASE}/admins`, { token: blocked.token })).body.error.code).toBe('USER_BLOCKED');
  });

  it('Should answer 404 for unknown ids and for accounts that are not admins, 422 for malformed ids', async () => {
    const doctor = await createUser({ role: 'doctor' });
    const unknown = uniqueId('usr');
    for (const [name, route] of Object.entries(ROUTES)) {
      if (name === 'list') continue;
      const missing = await call(route, unknown, superadmin.token);
      expect([missing.status, missing.body.error.code], `unknown → ${name}`).toEqual([404, 'NOT_FOUND']);
      if (name !== 'grant') {
        const notAdmin = await call(route, doctor.id, superadmin.token);
        expect([notAdmin.status, notAdmin.body.error.code], `doctor → ${name}`).toEqual([404, 'NOT_FOUND']);
      }
      for (const bad of ['not-an-id', 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE', 'usr_short']) {
        const malformed = await call(route, bad, superadmin.token);
        expect([malformed.status, malformed.body.error.code], `${bad} → ${name}`).toEqual([422, 'VALIDATION_FAILED']);
        expect(malformed.body.errors[0].field).toBe('id');
      }
    }
    expect(await row(doctor.id)).toMatchObject({ role: 'doctor', status: 'active', tokenVersion: 0 });
  });
});

describe('GET /superadmin/admins', () => {
  it('Should list admins and superadmins only, filtered by status, role and search, newest first', async () => {
    const tag = uniqueId('tag').slice(-8).toLowerCase();
    const pending = await createUser({ role: 'admin', status: 'pending', name: `Pending ${tag}` });
    const active = await createUser({ role: 'admin', name: `Active ${tag}`, subRoles: ['support-agent'] });
    const boss = await createUser({ role: 'superadmin', email: `boss.${tag}@example.test` });
    await createUser({ role: 'doctor', name: `Doctor ${tag}` });

    const all = await api.get(`${BASE}/admins?limit=100`, { token: superadmin.token });
    expect(all.status).toBe(200);
    expect(all.body.data.items.every((a: any) => ['admin', 'superadmin'].includes(a.role))).toBe(true);
    expect(all.body.data.items.some((a: any) => a.passwordHash !== undefined || a.tokenVersion !== undefined)).toBe(
      false,
    );

    const byName = await api.get(`${BASE}/admins?search=${tag}`, { token: superadmin.token });
    expect(byName.body.data.items.map((a: any) => a.id)).toEqual([boss.id, active.id, pending.id]);
    expect(byName.body.data.pagination).toMatchObject({ total: 3, current: 1, hasNext: false });
    expect(byName.body.data.items[1]).toMatchObject({ subRoles: ['support-agent'], statusReason: null });

    const pendingOnly = await api.get(`${BASE}/admins?status=pending&search=${tag}`, { token: superadmin.token });
    expect(pendingOnly.body.data.items.map((a: any) => a.id)).toEqual([pending.id]);
    const supers = await api.get(`${BASE}/admins?role=superadmin&search=boss.${tag}`, { token: superadmin.token });
    expect(supers.body.data.items.map((a: any) => a.id)).toEqual([boss.id]);
    const paged = await api.get(`${BASE}/admins?search=${tag}&limit=2&page=2`, { token: superadmin.token });
    expect(paged.body.data.items.map((a: any) => a.id)).toEqual([pending.id]);
    expect(paged.body.data.pagination).toMatchObject({ total: 3, pages: 2, hasPrev: true });
  });

  it('Should treat % and _ in the search as plain characters', async () => {
    const literal = await createUser({ role: 'admin', name: 'Percent 100%_ Admin' });
    const res = await api.get(`${BASE}/admins?search=${encodeURIComponent('100%_')}`, { token: superadmin.token });
    expect(res.body.data.items.map((a: any) => a.id)).toEqual([literal.id]);
    const wildcard = await api.get(`${BASE}/admins?search=${encodeURIComponent('%')}`, { token: superadmin.token });
    expect(wildcard.body.data.items.map((a: any) => a.id)).toEqual([literal.id]);
  });

  it('Should refuse bad filters with 422', async () => {
    for (const query of ['status=sleeping', 'role=doctor', 'limit=101', 'page=0', `search=${'x'.repeat(101)}`]) {
      const res = await api.get(`${BASE}/admins?${query}`, { token: superadmin.token });
      expect([res.status, res.body.error.code], query).toEqual([422, 'VALIDATION_FAILED']);
    }
  });
});

describe('approve and reject pending admins', () => {
  it("Should approve a pending admin: their token is refused on admin routes before and works after; they're emailed", async () => {
    const { user: pending, token } = await signedInUser({ role: 'admin', status: 'pending' });
    expect((await callAdminRoute(token)).status).toBe(403);

    const res = await api.post(`${BASE}/admins/${pending.id}/approve`, { token: superadmin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: pending.id, role: 'admin', status: 'active' });
    expect(await row(pending.id)).toMatchObject({ status: 'active', tokenVersion: 0 });
    expect(await callAdminRoute(token)).toEqual({ status: 200, body: { ok: true } });

    const [event] = await audits(pending.id, 'superadmin.admins.approve');
    expect(event).toMatchObject({
      actorId: superadmin.user.id,
      actorRole: 'superadmin',
      resourceType: 'user',
      outcome: 'success',
      requestId: res.body.requestId ?? expect.stringMatching(/^req_/),
      at: expect.any(Number),
      metadata: { fromStatus: 'pending', toStatus: 'active', fromRole: 'admin', toRole: 'admin' },
    });
    const mail = await db.select().from(devOutbox).where(eq(devOutbox.recipient, pending.email!)).all();
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toMatch(/approved/);
  });

  it('Should answer 409 INVALID_TRANSITION when approving an admin who is not pending', async () => {
    for (const status of ['active', 'blocked', 'removed'] as const) {
      const admin = await createUser({ role: 'admin', status });
      const res = await api.post(`${BASE}/admins/${admin.id}/approve`, { token: superadmin.token });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect((await row(admin.id)).status).toBe(status);
      expect((await audits(admin.id, 'superadmin.admins.approve'))[0]?.outcome).toBe('failure');
    }
  });

  it('Should reject a pending admin: removed with the reason, signed out, audited', async () => {
    const { user: pending, token } = await signedInUser({ role: 'admin', status: 'pending' });
    const res = await api.post(`${BASE}/admins/${pending.id}/reject`, { token: superadmin.token, json: REASON });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'removed', statusReason: REASON.reason });
    expect(await row(pending.id)).toMatchObject({ status: 'removed', statusReason: REASON.reason, tokenVersion: 1 });
    expect(await liveSessions(pending.id)).toBe(0);
    expect((await me(token)).body.error.code).toBe('TOKEN_REVOKED');
    expect(await audits(pending.id, 'superadmin.admins.reject')).toMatchObject([
      { outcome: 'success', reason: REASON.reason, actorId: superadmin.user.id },
    ]);
    const again = await api.post(`${BASE}/admins/${pending.id}/reject`, { token: superadmin.token, json: REASON });
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const approve = await api.post(`${BASE}/admins/${pending.id}/approve`, { token: superadmin.token });
    expect(approve.status).toBe(409);
  });

  it('Should refuse a reject without a usable reason (422) and change nothing', async () => {
    const pending = await createUser({ role: 'admin', status: 'pending' });
    for (const json of [{}, { reason: 42 }, { reason: ' ' }, { reason: 'x'.repeat(501) }]) {
      const res = await api.post(`${BASE}/admins/${pending.id}/reject`, { token: superadmin.token, json });
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors[0].field).toBe('reason');
    }
    const malformed = await api.post(`${BASE}/admins/${pending.id}/reject`, {
      token: superadmin.token,
      body: '{"reason":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((await row(pending.id)).status).toBe('pending');
  });

  it('Should refuse to reject, block or revoke yourself with 403', async () => {
    const self = await signedInUser({ role: 'superadmin' });
    for (const route of [ROUTES.reject!, ROUTES.block!, ROUTES.revoke!]) {
      const res = await call(route, self.user.id, self.token);
      expect([res.status, res.body.error.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(await row(self.user.id)).toMatchObject({ role: 'superadmin', status: 'active', tokenVersion: 0 });
    expect((await api.get(`${BASE}/admins`, { token: self.token })).status).toBe(200);
    expect(await db.$count(auditEvents, eq(auditEvents.resourceId, self.user.id))).toBe(3);
  });
});

describe('block and unblock admins', () => {
  it('Should block an admin: their existing token fails with TOKEN_REVOKED at once', async () => {
    const { user: admin, token } = await signedInUser({ role: 'admin', subRoles: ['support-agent'] });
    expect((await callAdminRoute(token)).status).toBe(200);
    const res = await api.post(`${BASE}/admins/${admin.id}/block`, { token: superadmin.token, json: REASON });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'blocked', statusReason: REASON.reason, role: 'admin' });

    expect(await callAdminRoute(token)).toEqual({ status: 401, body: { error: { code: 'TOKEN_REVOKED' } } });
    expect((await me(token)).body.error.code).toBe('TOKEN_REVOKED');
    expect(await row(admin.id)).toMatchObject({ status: 'blocked', tokenVersion: 1, subRoles: ['support-agent'] });
    expect(await liveSessions(admin.id)).toBe(0);
    expect(await audits(admin.id, 'superadmin.admins.block')).toMatchObject([
      { outcome: 'success', reason: REASON.reason, metadata: { fromStatus: 'active', toStatus: 'blocked' } },
    ]);

    const twice = await api.post(`${BASE}/admins/${admin.id}/block`, { token: superadmin.token, json: REASON });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await row(admin.id)).tokenVersion).toBe(1);
  });

  it('Should unblock a blocked admin; old tokens stay revoked, a new sign-in works', async () => {
    const { user: admin, token } = await signedInUser({ role: 'admin' });
    await api.post(`${BASE}/admins/${admin.id}/block`, { token: superadmin.token, json: REASON });
    const res = await api.post(`${BASE}/admins/${admin.id}/unblock`, { token: superadmin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'active', statusReason: null });
    expect(await row(admin.id)).toMatchObject({ status: 'active', statusReason: null, tokenVersion: 1 });
    expect((await callAdminRoute(token)).status).toBe(401);
    expect((await callAdminRoute(await tokenFor(await row(admin.id)))).status).toBe(200);
    expect(await audits(admin.id, 'superadmin.admins.unblock')).toMatchObject([{ outcome: 'success' }]);

    const again = await api.post(`${BASE}/admins/${admin.id}/unblock`, { token: superadmin.token });
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
  });

  it('Should not block pending or removed admins (409): a pending admin is rejected instead', async () => {
    for (const status of ['pending', 'removed'] as const) {
      const admin = await createUser({ role: 'admin', status });
      const res = await api.post(`${BASE}/admins/${admin.id}/block`, { token: superadmin.token, json: REASON });
      expect([res.status, res.body.error.code], status).toEqual([409, 'INVALID_TRANSITION']);
      expect(await row(admin.id)).toMatchObject({ status, tokenVersion: 0 });
    }
  });

  it('Should block another superadmin while more than one is active', async () => {
    const other = await signedInUser({ role: 'superadmin' });
    const res = await api.post(`${BASE}/admins/${other.user.id}/block`, { token: superadmin.token, json: REASON });
    expect(res.status).toBe(200);
    expect((await me(other.token)).body.error.code).toBe('TOKEN_REVOKED');
    expect((await api.post(`${BASE}/admins/${other.user.id}/unblock`, { token: superadmin.token })).status).toBe(200);
  });
});

describe('grant and revoke admin rights', () => {
  it('Should make a patient an active admin with sub-roles; old tokens are revoked, new ones reach admin routes', async () => {
    const { user: patient, token } = await signedInUser({ role: 'user' });
    expect((await callAdminRoute(token)).status).toBe(403);
    const res = await api.post(`/api/v1/superadmin/users/${patient.id}/grant-admin`, {
      token: superadmin.token,
      json: { subRoles: ['appointment-manager', 'support-agent', 'appointment-manager'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      role: 'admin',
      status: 'active',
      subRoles: ['appointment-manager', 'support-agent'],
    });
    const stored = await row(patient.id);
    expect(stored).toMatchObject({ role: 'admin', status: 'active', tokenVersion: 1 });
    expect(stored.subRoles).toEqual(['appointment-manager', 'support-agent']);
    expect((await me(token)).body.error.code).toBe('TOKEN_REVOKED');

    const fresh = await tokenFor(stored);
    expect((await callAdminRoute(fresh)).status).toBe(200);
    expect((await me(fresh)).body.data.user).toMatchObject({ role: 'admin' });
    expect((await api.get(`${BASE}/admins`, { token: fresh })).status).toBe(403);
    expect(await audits(patient.id, 'superadmin.admins.grant')).toMatchObject([
      {
        outcome: 'success',
        actorId: superadmin.user.id,
        metadata: { fromRole: 'user', toRole: 'admin', subRoles: ['appointment-manager', 'support-agent'] },
      },
    ]);
  });

  it('Should grant pending doctors, receptionists and caregivers too, without sub-roles when none are given', async () => {
    for (const [role, status] of [
      ['doctor', 'pending'],
      ['receptionist', 'active'],
      ['caregiver', 'active'],
    ] as const) {
      const person = await createUser({ role, status });
      const res = await api.post(`/api/v1/superadmin/users/${person.id}/grant-admin`, {
        token: superadmin.token,
        json: {},
      });
      expect(res.status, role).toBe(200);
      expect(await row(person.id)).toMatchObject({ role: 'admin', status: 'active', subRoles: [] });
    }
  });

  it('Should answer 409 for superadmins, admins, removed, blocked and deactivated accounts', async () => {
    const cases = [
      [{ role: 'superadmin' }, 'CONFLICT'],
      [{ role: 'admin' }, 'CONFLICT'],
      [{ role: 'admin', status: 'pending' }, 'CONFLICT'],
      [{ role: 'user', status: 'removed' }, 'INVALID_TRANSITION'],
      [{ role: 'doctor', status: 'blocked' }, 'INVALID_TRANSITION'],
      [{ role: 'user', status: 'inactive' }, 'INVALID_TRANSITION'],
    ] as const;
    for (const [input, code] of cases) {
      const person = await createUser(input);
      const res = await api.post(`/api/v1/superadmin/users/${person.id}/grant-admin`, {
        token: superadmin.token,
        json: { subRoles: ['support-agent'] },
      });
      expect([res.status, res.body.error.code], JSON.stringify(input)).toEqual([409, code]);
      expect(await row(person.id)).toMatchObject({ ...input, tokenVersion: 0, subRoles: [] });
    }
  });

  it('Should refuse unknown sub-roles and wrong types with 422', async () => {
    const patient = await createUser();
    for (const json of [{ subRoles: ['wizard'] }, { subRoles: 'support-agent' }, { subRoles: [1] }]) {
      const res = await api.post(`/api/v1/superadmin/users/${patient.id}/grant-admin`, {
        token: superadmin.token,
        json,
      });
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const noBody = await api.post(`/api/v1/superadmin/users/${patient.id}/grant-admin`, { token: superadmin.token });
    expect(noBody.status).toBe(415);
    expect((await row(patient.id)).role).toBe('user');
  });

  it('Should revoke admin rights: back to user with no sub-roles, signed out, no longer reaching admin routes', async () => {
    const { user: admin, token } = await signedInUser({ role: 'admin', subRoles: ['content-manager'] });
    expect((await callAdminRoute(token)).status).toBe(200);
    const res = await api.post(`${BASE}/admins/${admin.id}/revoke-admin`, { token: superadmin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ role: 'user', subRoles: [], status: 'active' });
    const stored = await row(admin.id);
    expect(stored).toMatchObject({ role: 'user', subRoles: [], tokenVersion: 1 });
    expect(await liveSessions(admin.id)).toBe(0);
    expect((await callAdminRoute(token)).body.error.code).toBe('TOKEN_REVOKED');
    expect((await callAdminRoute(await tokenFor(stored))).status).toBe(403);
    expect(await audits(admin.id, 'superadmin.admins.revoke')).toMatchObject([
      { outcome: 'success', metadata: { fromRole: 'admin', toRole: 'user' } },
    ]);
    const again = await api.post(`${BASE}/admins/${admin.id}/revoke-admin`, { token: superadmin.token });
    expect([again.status, again.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('Should not revoke a removed admin (409)', async () => {
    const removed = await createUser({ role: 'admin', status: 'removed' });
    const res = await api.post(`${BASE}/admins/${removed.id}/revoke-admin`, { token: superadmin.token });
    expect([res.status, res.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await row(removed.id)).role).toBe('admin');
  });
});
