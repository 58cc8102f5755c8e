import { describe, expect, it } from 'vitest';
import { allows, type RoutePolicy } from '../../src/access/policy';
import { ROUTE_POLICIES } from '../../src/access/route-policies';
import { createApp } from '../../src/app';
import { ROLES } from '../../src/db/schema';
import { WEBSOCKET_EXTENSION } from '../../src/http/openapi-document';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, createUser, tokenFor } from '../helpers';

interface RegisteredRoute {
  method: string;
  path: string;
  operationId: string;
}

/** Every route in the OpenAPI registry, with its path in Hono form. */
function registeredRoutes(): RegisteredRoute[] {
  const app = createApp(cloudflareDeps);
  return app.openAPIRegistry.definitions
    .filter((d): d is Extract<typeof d, { type: 'route' }> => d.type === 'route')
    .map((d) => ({
      method: d.route.method.toUpperCase(),
      path: d.route.path,
      operationId: d.route.operationId ?? '',
    }));
}

/** A concrete URL for a templated path: `{id}` → a well-formed id that matches nothing. */
function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'id' ? 'fil_00000000000000000000000000' : 'x'));
}

const routes = registeredRoutes();
const policyOf = (id: string) => (ROUTE_POLICIES as Record<string, RoutePolicy>)[id];

describe('access policy route walk', () => {
  it('Should find the registered routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(ROUTE_POLICIES).length);
  });

  it('Should have one policy entry for every registered route, and no stale entries', () => {
    const missing = routes.filter((r) => !policyOf(r.operationId)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const ids = routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(ROUTE_POLICIES).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('Should mark every protected route with the bearer scheme in the OpenAPI document', async () => {
    const doc = (await client().get('/api/v1/openapi.json')).body;
    for (const route of routes) {
      const item = doc.paths[route.path];
      // A WebSocket handshake is described under the path's x-websocket, not as an HTTP operation.
      const op =
        item?.[route.method.toLowerCase()] ?? (route.method === 'GET' ? item?.[WEBSOCKET_EXTENSION] : undefined);
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      const isPublic = policyOf(route.operationId)?.kind === 'public';
      expect(op.security ?? [], route.operationId).toEqual(isPublic ? [] : [{ bearerAuth: [] }]);
    }
  });

  it('Should refuse an anonymous caller on every protected route with 401', async () => {
    const api = client();
    const protectedRoutes = routes.filter((r) => policyOf(r.operationId)?.kind !== 'public');
    expect(protectedRoutes.length).toBeGreaterThan(0);
    for (const route of protectedRoutes) {
      const res = await api.call(route.method, concrete(route.path));
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('Should refuse every role the policy does not allow with 403', async () => {
    const api = client();
    const tokens = new Map<string, string>();
    for (const role of ROLES) tokens.set(role, await tokenFor(await createUser({ role })));
    let checked = 0;
    for (const route of routes) {
      const policy = policyOf(route.operationId);
      if (!policy || policy.kind === 'public') continue;
      for (const role of ROLES) {
        if (allows(policy, role, [])) continue;
        const res = await api.call(route.method, concrete(route.path), { token: tokens.get(role)! });
        expect(res.status, `${role} → ${route.method} ${route.path}`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('policy rules', () => {
  it('Should let admins through a sub-role policy only with that sub-role, and superadmins always', () => {
    const policy: RoutePolicy = {
      kind: 'signed-in',
      roles: ['admin', 'superadmin'],
      subRoles: ['appointment-manager'],
    };
    expect(allows(policy, 'admin', [])).toBe(false);
    expect(allows(policy, 'admin', ['content-manager'])).toBe(false);
    expect(allows(policy, 'admin', ['appointment-manager'])).toBe(true);
    expect(allows(policy, 'superadmin', [])).toBe(true);
    expect(allows(policy, 'doctor', ['appointment-manager'])).toBe(false);
  });
});
