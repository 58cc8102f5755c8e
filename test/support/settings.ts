import { expect } from 'vitest';
import { systemSettings } from '../../src/db/schema';
import type { SettingKey, SettingValue } from '../../src/modules/settings/registry';
import { type ApiResponse, client, db, signedInUser } from '../helpers';

const api = client();

/** Sets a setting the way a superadmin does: PUT /api/v1/superadmin/settings/{key}. */
export async function setSetting<K extends SettingKey>(key: K, value: SettingValue<K>): Promise<void> {
  const { token } = await signedInUser({ role: 'superadmin' });
  const res = await api.put(`/api/v1/superadmin/settings/${key}`, { token, json: { value } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Back to every default. Storage is shared within a test file: call it in `afterEach` of tests that set one. */
export async function resetSettings(): Promise<void> {
  await db.delete(systemSettings);
}

/** The answer of a route whose feature flag is off: 403 FORBIDDEN naming the flag. */
export function expectTurnedOff(res: ApiResponse, setting: SettingKey, message: string): void {
  expect([res.status, res.body.error?.code, res.body.message], JSON.stringify(res.body)).toEqual([
    403,
    'FORBIDDEN',
    message,
  ]);
  expect(res.body.error.details).toEqual({ setting });
  expect(res.body.data).toBeUndefined();
}
