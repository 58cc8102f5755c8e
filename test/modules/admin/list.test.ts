import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type UserRow, users } from '../../../src/db/schema';
import { client, createSession, createUser, db, signedInUser, type UserFactoryInput } from '../../helpers';

const api = client();
const BASE = '/api/v1/admin/users';
const T0 = Date.parse('2026-01-10T00:00:00Z');
let token: string;

/** An account whose name starts with `tag`, created `minutes` after T0. */
async function person(
  tag: string,
  label: string,
  minutes: number,
  input: UserFactoryInput = {},
  extra: Partial<UserRow> = {},
) {
  const row = await createUser({ name: `${tag} ${label}`, ...input });
  const patch = { createdAt: T0 + minutes * 60_000, ...extra };
  await db.update(users).set(patch).where(eq(users.id, row.id));
  return { ...row, ...patch };
}

const list = async (query: Record<string, string | number>) => {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await api.get(`${BASE}?${qs}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as { items: any[]; pagination: Record<string, unknown> };
};
const names = (page: { items: any[] }) => page.items.map((u) => u.name);

beforeAll(async () => {
  token = (await signedInUser({ role: 'admin' })).token;
});

describe('GET /admin/users: pagination and sorting', () => {
  const TAG = 'Pagetag';
  const labels = Array.from({ length: 25 }, (_, i) => `Person ${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    for (const [i, label] of labels.entries()) await person(TAG, label, i);
  });

  it('Should page through 25 matches 10 at a time, newest first', async () => {
    const first = await list({ search: TAG, limit: 10 });
    expect(first.pagination).toEqual({ current: 1, pages: 3, total: 25, limit: 10, hasNext: true, hasPrev: false });
    expect(first.items).toHaveLength(10);
    expect(first.items[0].name).toBe(`${TAG} Person 24`);
    const second = await list({ search: TAG, limit: 10, page: 2 });
    expect(second.pagination).toMatchObject({ current: 2, hasNext: true, hasPrev: true });
    const last = await list({ search: TAG, limit: 10, page: 3 });
    expect(last.pagination).toEqual({ current: 3, pages: 3, total: 25, limit: 10, hasNext: false, hasPrev: true });
    expect(last.items).toHaveLength(5);
    expect([...names(first), ...names(second), ...names(last)]).toEqual(labels.map((l) => `${TAG} ${l}`).reverse());
    const beyond = await list({ search: TAG, limit: 10, page: 4 });
    expect(beyond.items).toEqual([]);
    expect(beyond.pagination).toMatchObject({ current: 4, pages: 3, total: 25, hasNext: false, hasPrev: true });
  });

  it('Should default to 20 per page', async () => {
    const page = await list({ search: TAG });
    expect(page.pagination).toMatchObject({ limit: 20, pages: 2, total: 25 });
    expect(page.items).toHaveLength(20);
  });

  it('Should sort by name (A→Z by default, Z→A on request) and by oldest first on request', async () => {
    expect(names(await list({ search: TAG, sort: 'name', limit: 3 }))).toEqual([
      `${TAG} Person 00`,
      `${TAG} Person 01`,
      `${TAG} Person 02`,
    ]);
    expect(names(await list({ search: TAG, sort: 'name', order: 'desc', limit: 2 }))).toEqual([
      `${TAG} Person 24`,
      `${TAG} Person 23`,
    ]);
    expect(names(await list({ search: TAG, order: 'asc', limit: 1 }))).toEqual([`${TAG} Person 00`]);
  });
});

describe('GET /admin/users: search', () => {
  const TAG = 'Searchtag';
  let withNumber: UserRow;
  beforeAll(async () => {
    withNumber = await person(TAG, 'Marta Mobile', 1, {}, { mobileNumber: '+14155550199' });
    await person(TAG, 'Olga Other', 2, { email: 'olga.unusual-handle@example.test' });
    await person(TAG, 'Deal 50%_off', 3);
    await person(TAG, 'Deal 50xyoff', 4);
    await person(TAG, 'Back\\slash', 5);
  });

  it('Should match part of a name, case-insensitively', async () => {
    expect(names(await list({ search: 'MARTA mob' }))).toEqual([`${TAG} Marta Mobile`]);
    expect((await list({ search: TAG.toLowerCase() })).pagination.total).toBe(5);
  });

  it('Should match part of an email', async () => {
    expect(names(await list({ search: 'UNUSUAL-handle' }))).toEqual([`${TAG} Olga Other`]);
  });

  it('Should match part of a mobile number, typed with or without formatting', async () => {
    for (const search of ['0199', '+1415555', '555-0199', '(415) 555 0199']) {
      const page = await list({ search });
      expect(
        page.items.map((u) => u.id),
        search,
      ).toEqual([withNumber.id]);
    }
  });

  it('Should treat % and _ (and the escape character) literally', async () => {
    expect(names(await list({ search: '50%_off' }))).toEqual([`${TAG} Deal 50%_off`]);
    expect(names(await list({ search: `${TAG} Deal 50_` }))).toEqual([]);
    expect((await list({ search: '%' })).pagination.total).toBe(1);
    expect(names(await list({ search: 'k\\s' }))).toEqual([`${TAG} Back\\slash`]);
  });
});

describe('GET /admin/users: filters', () => {
  const TAG = 'Filtertag';
  let rows: Record<string, UserRow>;
  beforeAll(async () => {
    rows = {
      verifiedDoctor: await person(TAG, 'Verified Doctor', 0, { role: 'doctor' }),
      pendingDoctor: await person(
        TAG,
        'Pending Doctor',
        10,
        { role: 'doctor', status: 'pending' },
        { verifiedAt: null },
      ),
      pendingCaregiver: await person(
        TAG,
        'Pending Caregiver',
        20,
        { role: 'caregiver', status: 'pending' },
        { verifiedAt: null },
      ),
      patient: await person(TAG, 'Patient', 30),
      unverifiedPatient: await person(TAG, 'Unverified Patient', 40, {}, { emailVerifiedAt: null }),
      blockedPatient: await person(TAG, 'Blocked Patient', 50, { status: 'blocked' }, { statusReason: 'Spam' }),
      receptionist: await person(TAG, 'Receptionist', 60, { role: 'receptionist' }),
    };
  });
  const ids = (page: { items: any[] }) => page.items.map((u) => u.id).sort();
  const of = (...keys: string[]) => keys.map((k) => rows[k]!.id).sort();

  it('Should filter by role and status, together and with search', async () => {
    expect(ids(await list({ search: TAG, role: 'doctor' }))).toEqual(of('verifiedDoctor', 'pendingDoctor'));
    expect(ids(await list({ search: TAG, status: 'pending' }))).toEqual(of('pendingDoctor', 'pendingCaregiver'));
    expect(ids(await list({ search: TAG, role: 'doctor', status: 'pending' }))).toEqual(of('pendingDoctor'));
    expect(ids(await list({ search: TAG, status: 'blocked' }))).toEqual(of('blockedPatient'));
  });

  it('Should filter by verified: credentials for doctors and caregivers, email for everyone else', async () => {
    expect(ids(await list({ search: TAG, verified: 'false' }))).toEqual(
      of('pendingDoctor', 'pendingCaregiver', 'unverifiedPatient'),
    );
    expect(ids(await list({ search: TAG, verified: 'true' }))).toEqual(
      of('verifiedDoctor', 'patient', 'blockedPatient', 'receptionist'),
    );
    expect(ids(await list({ search: TAG, verified: 'true', role: 'doctor' }))).toEqual(of('verifiedDoctor'));
  });

  it('Should filter by creation time: createdFrom inclusive, createdTo exclusive', async () => {
    const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
    expect(ids(await list({ search: TAG, createdFrom: at(10), createdTo: at(40) }))).toEqual(
      of('pendingDoctor', 'pendingCaregiver', 'patient'),
    );
    expect(ids(await list({ search: TAG, createdFrom: at(50) }))).toEqual(of('blockedPatient', 'receptionist'));
    expect(ids(await list({ search: TAG, createdTo: '2026-01-10T00:10:00+00:00' }))).toEqual(of('verifiedDoctor'));
  });

  it('Should refuse bad query values with 422', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'page=0',
      'page=abc',
      'verified=yes',
      'role=king',
      'status=gone',
      'sort=email',
      'order=up',
      'createdFrom=yesterday',
      'createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z',
      `search=${'x'.repeat(101)}`,
    ]) {
      const res = await api.get(`${BASE}?${query}`, { token });
      expect([res.status, res.body.error?.code], query).toEqual([422, 'VALIDATION_FAILED']);
    }
  });
});

describe('GET /admin/users/{id} and the admin view', () => {
  it('Should show statusReason and lastSignInAt, and never the password hash or token version', async () => {
    const user = await createUser({ name: 'Viewtag Someone', status: 'blocked' });
    await db.update(users).set({ statusReason: 'Chargeback fraud', passwordHash: 'x' }).where(eq(users.id, user.id));
    const older = new Date('2026-01-01T08:00:00Z');
    const newer = new Date('2026-01-05T09:30:00Z');
    await createSession(user.id, older);
    await createSession(user.id, newer);
    const res = await api.get(`${BASE}/${user.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({
      id: user.id,
      status: 'blocked',
      statusReason: 'Chargeback fraud',
      lastSignInAt: newer.toISOString(),
      hasPassword: true,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|tokenVersion/);
    const [listed] = (await list({ search: 'Viewtag' })).items;
    expect(listed).toEqual(res.body.data.user);
  });

  it('Should show lastSignInAt null for an account that never signed in', async () => {
    const user = await createUser({ name: 'Nevertag Quiet' });
    expect((await api.get(`${BASE}/${user.id}`, { token })).body.data.user.lastSignInAt).toBeNull();
  });
});
