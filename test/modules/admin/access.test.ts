import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Role, type UserRow, users } from '../../../src/db/schema';
import { client, createUser, db, signedInUser, type UserFactoryInput, uniqueEmail } from '../../helpers';

const api = client();
const BASE = '/api/v1/admin/users';
const UNKNOWN_ID = 'usr_00000000000000000000000000';
const REASON = 'Policy violation reported';

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The account the call acts on, when it has one. */
  target?: UserFactoryInput;
  path: (id: string) => string;
  body?: (id: string) => unknown;
  status: number;
  /** Whether the route takes an `{id}` in its path. */
  byId: boolean;
}

const ROUTES: RouteCase[] = [
  { name: 'list', method: 'GET', path: () => BASE, status: 200, byId: false },
  { name: 'get', method: 'GET', target: {}, path: (id) => `${BASE}/${id}`, status: 200, byId: true },
  {
    name: 'create',
    method: 'POST',
    path: () => BASE,
    body: () => ({ email: uniqueEmail('invitee'), name: 'New Doctor', role: 'doctor' }),
    status: 201,
    byId: false,
  },
  {
    name: 'status',
    method: 'POST',
    target: {},
    path: (id) => `${BASE}/${id}/status`,
    body: () => ({ action: 'block', reason: REASON }),
    status: 200,
    byId: true,
  },
  {
    name: 'verify',
    method: 'POST',
    target: { role: 'doctor', status: 'pending' },
    path: (id) => `${BASE}/${id}/verify`,
    status: 200,
    byId: true,
  },
  {
    name: 'logout',
    method: 'POST',
    target: {},
    path: (id) => `${BASE}/${id}/logout`,
    status: 200,
    byId: true,
  },
  {
    name: 'delete',
    method: 'DELETE',
    target: {},
    path: (id) => `${BASE}/${id}`,
    body: () => ({ reason: REASON }),
    status: 200,
    byId: true,
  },
  {
    name: 'bulk',
    method: 'POST',
    target: {},
    path: () => `${BASE}/bulk`,
    body: (id) => ({ action: 'deactivate', ids: [id], reason: REASON }),
    status: 200,
    byId: false,
  },
];

/** Sub-roles exist only on admins, and only superadmins manage admins: admins are refused by the policy rules. */
const SUB_ROLES: RouteCase = {
  name: 'subRoles',
  method: 'PUT',
  target: { role: 'admin' },
  path: (id) => `${BASE}/${id}/sub-roles`,
  body: () => ({ subRoles: ['support-agent'] }),
  status: 200,
  byId: true,
};

const FORBIDDEN_ROLES: Role[] = ['user', 'doctor', 'caregiver', 'receptionist'];

async function call(route: RouteCase, token: string | undefined, id: string) {
  return api.call(route.method, route.path(id), {
    ...(token ? { token } : {}),
    ...(route.body ? { json: route.body(id) } : {}),
  });
}

const rowOf = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const targetFor = async (route: RouteCase): Promise<UserRow | undefined> =>
  route.target ? createUser(route.target) : undefined;

describe('admin routes: access', () => {
  for (const route of [...ROUTES, SUB_ROLES]) {
    describe(`admin.users.${route.name}`, () => {
      const allowed: Role[] = route === SUB_ROLES ? ['superadmin'] : ['admin', 'superadmin'];
      for (const role of allowed) {
        it(`Should let a ${role} through`, async () => {
          const { token } = await signedInUser({ role });
          const target = await targetFor(route);
          const res = await call(route, token, target?.id ?? '');
          expect(res.status, JSON.stringify(res.body)).toBe(route.status);
          expect(res.body.success).toBe(true);
        });
      }

      it('Should refuse every other role with 403 and change nothing', async () => {
        for (const role of FORBIDDEN_ROLES) {
          const { token } = await signedInUser({ role });
          const target = await targetFor(route);
          const res = await call(route, token, target?.id ?? '');
          expect([res.status, res.body.error?.code], `${role}`).toEqual([403, 'FORBIDDEN']);
          if (target) expect(await rowOf(target.id)).toEqual(target);
        }
      });

      it('Should refuse a pending admin with 403', async () => {
        const { token } = await signedInUser({ role: 'admin', status: 'pending' });
        const target = await targetFor(route);
        const res = await call(route, token, target?.id ?? '');
        expect([res.status, res.body.error?.code]).toEqual([403, 'FORBIDDEN']);
      });

      it('Should refuse an anonymous caller with 401', async () => {
        const target = await targetFor(route);
        const res = await call(route, undefined, target?.id ?? '');
        expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
        if (target) expect(await rowOf(target.id)).toEqual(target);
      });

      if (route.byId) {
        it('Should answer 404 for an unknown id and 422 for a malformed one', async () => {
          const { token } = await signedInUser({ role: 'superadmin' });
          const unknown = await call(route, token, UNKNOWN_ID);
          expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
          for (const bad of ['not-an-id', 'usr_short', 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE']) {
            const res = await call(route, token, bad);
            expect([res.status, res.body.error.code], bad).toEqual([422, 'VALIDATION_FAILED']);
            expect(res.body.errors[0].field).toBe('id');
          }
        });
      }
    });
  }

  it('Should delete with no body or a JSON reason, and answer 415 to any other body', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const target = await createUser();
    const text = await api.delete(`${BASE}/${target.id}`, {
      token,
      body: 'reason=spam',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([text.status, text.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await rowOf(target.id)).toEqual(target);
    const bare = await api.delete(`${BASE}/${target.id}`, { token });
    expect(bare.status).toBe(200);
    expect(await rowOf(target.id)).toBeUndefined();
    const other = await createUser();
    const withReason = await api.delete(`${BASE}/${other.id}`, { token, json: { reason: 'Duplicate account' } });
    expect(withReason.status).toBe(200);
    expect(await rowOf(other.id)).toBeUndefined();
  });
});
