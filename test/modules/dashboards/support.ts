import { expect } from 'vitest';
import { ROLES, type Role } from '../../../src/db/schema';
import type { client } from '../../helpers';
import { account } from '../../support/practice';

/**
 * Asserts that every role but `allowed` gets 403 FORBIDDEN from `path`, and no token 401: each
 * dashboard is its role's own.
 */
export async function expectRefusals(api: ReturnType<typeof client>, path: string, allowed: Role[], now: Date) {
  for (const role of ROLES.filter((r) => !allowed.includes(r))) {
    const other = await account(role, now);
    const res = await api.get(path, { token: other.token });
    expect(res.status, role).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  }
  const anonymous = await api.get(path);
  expect(anonymous.status).toBe(401);
}
