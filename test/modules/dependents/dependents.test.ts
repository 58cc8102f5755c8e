import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext, withActor } from '../../../src/context';
import { auditEvents, type DependentRow, dependents, type UserRow, vaccineSchedules } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { getOwnedDependent, MAX_DEPENDENTS_PER_USER } from '../../../src/modules/dependents/dependents.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv, uniqueId } from '../../helpers';

const api = client();
const DEPENDENTS = '/api/v1/users/me/dependents';

const MIA = {
  name: 'Mia Santos',
  dateOfBirth: '2024-03-14',
  relationship: 'child',
  gender: 'female',
  notes: 'Premature',
};

const dateIn = (days: number, from = new Date()) =>
  new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);

const rowOf = (id: string) => db.select().from(dependents).where(eq(dependents.id, id)).get();
const rowsOf = (userId: string) => db.select().from(dependents).where(eq(dependents.userId, userId)).all();
const auditOf = (id: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceType, 'dependent'), eq(auditEvents.resourceId, id)))
    .all();

/** Dependents written straight to the table, for tests about many of them. */
async function seedDependents(userId: string, n: number): Promise<void> {
  const now = Date.now();
  const rows: DependentRow[] = Array.from({ length: n }, (_, i) => ({
    id: uniqueId('dep'),
    userId,
    name: `Seed ${i}`,
    dateOfBirth: '2010-01-01',
    relationship: 'other',
    gender: null,
    notes: null,
    createdAt: now - 1000 * (i + 1),
    updatedAt: now,
  }));
  for (const row of rows) await db.insert(dependents).values(row);
}

describe('dependents', () => {
  it('Should create a dependent with 201, store it for me and audit the creation without names', async () => {
    const { user, token } = await signedInUser();
    const res = await api.post(DEPENDENTS, { token, json: MIA });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject(MIA);
    expect(res.body.data.id).toMatch(/^dep_[0-9A-Z]{26}$/);
    const row = await rowOf(res.body.data.id);
    expect(row).toMatchObject({ ...MIA, userId: user.id });
    const audit = await auditOf(res.body.data.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'dependent.create', actorId: user.id, outcome: 'success' });
    expect(JSON.stringify(audit[0])).not.toContain('Mia');
    expect(JSON.stringify(audit[0])).not.toContain('Premature');

    const got = await api.get(`${DEPENDENTS}/${res.body.data.id}`, { token });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(res.body.data);
  });

  it('Should list my dependents newest first, paginated, and nobody else’s', async () => {
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { token } = await signedInUser();
    const other = await signedInUser();
    await timed.post(DEPENDENTS, { token: other.token, json: MIA });
    const ids: string[] = [];
    for (const name of ['First', 'Second', 'Third']) {
      ids.push((await timed.post(DEPENDENTS, { token, json: { ...MIA, name } })).body.data.id);
      clock.advance(1_000);
    }
    const page1 = await timed.get(`${DEPENDENTS}?limit=2`, { token });
    expect(page1.status).toBe(200);
    expect(page1.body.data.items.map((d: { name: string }) => d.name)).toEqual(['Third', 'Second']);
    expect(page1.body.data.pagination).toEqual({
      current: 1,
      pages: 2,
      total: 3,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const page2 = await timed.get(`${DEPENDENTS}?limit=2&page=2`, { token });
    expect(page2.body.data.items.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expect((await timed.get(`${DEPENDENTS}?limit=500`, { token })).status).toBe(422);
  });

  it('Should accept the boundaries: 120-character name, 2000-character notes, 1900-01-01 and today', async () => {
    const { user, token } = await signedInUser();
    for (const json of [
      { ...MIA, name: 'N'.repeat(120), notes: 'n'.repeat(2000) },
      { name: 'Great-grandma', dateOfBirth: '1900-01-01', relationship: 'grandparent' },
      { name: 'Newborn', dateOfBirth: dateIn(0), relationship: 'child', gender: null, notes: 'Line one\nLine two' },
    ]) {
      const res = await api.post(DEPENDENTS, { token, json });
      expect(res.status, JSON.stringify(json).slice(0, 60)).toBe(201);
    }
    const grandma = (await rowsOf(user.id)).find((r) => r.name === 'Great-grandma');
    expect(grandma).toMatchObject({ gender: null, notes: null, relationship: 'grandparent' });
  });

  it('Should refuse bad bodies with 422, naming the field, and store nothing', async () => {
    const { user, token } = await signedInUser();
    const other = await signedInUser();
    const cases: [unknown, string][] = [
      [{ ...MIA, name: undefined }, 'name'],
      [{ ...MIA, name: '   ' }, 'name'],
      [{ ...MIA, name: 'N'.repeat(121) }, 'name'],
      [{ ...MIA, name: 42 }, 'name'],
      [{ ...MIA, dateOfBirth: undefined }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: 20240314 }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: '14/03/2024' }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: '2023-02-29' }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: '1800-01-01' }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: '1899-12-31' }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: dateIn(2) }, 'dateOfBirth'],
      [{ ...MIA, dateOfBirth: '2999-01-01' }, 'dateOfBirth'],
      [{ ...MIA, relationship: 'friend' }, 'relationship'],
      [{ ...MIA, relationship: undefined }, 'relationship'],
      [{ ...MIA, gender: 'robot' }, 'gender'],
      [{ ...MIA, notes: 'n'.repeat(2001) }, 'notes'],
      [{ ...MIA, notes: 'bell\u0007' }, 'notes'],
      [{ ...MIA, userId: other.user.id }, 'userId'],
      [{ ...MIA, id: 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'id'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(DEPENDENTS, { token, json });
      expect(res.status, JSON.stringify(json).slice(0, 100)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json).slice(0, 100),
      ).toContain(field);
    }
    expect(await rowsOf(user.id)).toEqual([]);
    expect(await rowsOf(other.user.id)).toEqual([]);
  });

  it('Should judge "in the future" by the clock, allowing today anywhere on Earth', async () => {
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { token } = await signedInUser();
    const today = dateIn(0, clock.now());
    expect((await timed.post(DEPENDENTS, { token, json: { ...MIA, dateOfBirth: today } })).status).toBe(201);
    const future = await timed.post(DEPENDENTS, { token, json: { ...MIA, dateOfBirth: dateIn(2, clock.now()) } });
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([{ field: 'dateOfBirth', message: 'Must not be in the future' }]);
  });

  it('Should update only the given fields, audit which fields changed, and clear with null', async () => {
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const { user, token } = await signedInUser();
    const created = (await timed.post(DEPENDENTS, { token, json: MIA })).body.data;
    clock.advance(60_000);
    const res = await timed.patch(`${DEPENDENTS}/${created.id}`, {
      token,
      json: { name: 'Mia Santos-Lee', notes: null },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      ...created,
      name: 'Mia Santos-Lee',
      notes: null,
      updatedAt: new Date(new Date(created.createdAt).getTime() + 60_000).toISOString(),
    });
    expect(await rowOf(created.id)).toMatchObject({ ...MIA, name: 'Mia Santos-Lee', notes: null, userId: user.id });
    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['dependent.create', 'dependent.update']);
    expect(audit[1]!.metadata).toEqual({ fields: ['name', 'notes'] });
    expect(JSON.stringify(audit[1])).not.toContain('Santos');
  });

  it('Should refuse a PATCH with unknown keys, bad values or nothing to change, changing nothing', async () => {
    const { user, token } = await signedInUser();
    const other = await signedInUser();
    const created = (await api.post(DEPENDENTS, { token, json: MIA })).body.data;
    const before = await rowOf(created.id);
    const cases: [unknown, string][] = [
      [{ userId: other.user.id }, 'userId'],
      [{ name: 'Renamed', userId: other.user.id }, 'userId'],
      [{ name: 'Renamed', createdAt: 0 }, 'createdAt'],
      [{ name: '' }, 'name'],
      [{ name: 'N'.repeat(121) }, 'name'],
      [{ dateOfBirth: '1800-06-01' }, 'dateOfBirth'],
      [{ dateOfBirth: dateIn(3) }, 'dateOfBirth'],
      [{ relationship: 'boss' }, 'relationship'],
      [{ relationship: null }, 'relationship'],
      [{ name: null }, 'name'],
      [{ notes: 'n'.repeat(2001) }, 'notes'],
      [{}, 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await api.patch(`${DEPENDENTS}/${created.id}`, { token, json });
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json).slice(0, 80),
      ).toContain(field);
    }
    expect(await rowOf(created.id)).toEqual(before);
    expect(await rowsOf(other.user.id)).toEqual([]);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['dependent.create']);
    expect(before?.userId).toBe(user.id);
  });

  it("Should answer 404 for another user's dependent on get, update and delete, leaving it untouched", async () => {
    const owner = await signedInUser();
    const other = await signedInUser();
    const created = (await api.post(DEPENDENTS, { token: owner.token, json: MIA })).body.data;
    const before = await rowOf(created.id);
    const path = `${DEPENDENTS}/${created.id}`;
    for (const res of [
      await api.get(path, { token: other.token }),
      await api.patch(path, { token: other.token, json: { name: 'Stolen' } }),
      await api.delete(path, { token: other.token }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(res.body.message).toBe('Dependent not found');
    }
    expect(await rowOf(created.id)).toEqual(before);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['dependent.create']);
    expect((await api.get(DEPENDENTS, { token: other.token })).body.data.items).toEqual([]);
    // An id that exists nowhere answers exactly the same.
    const unknown = await api.get(`${DEPENDENTS}/dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE`, { token: other.token });
    expect([unknown.status, unknown.body.message]).toEqual([404, 'Dependent not found']);
  });

  it('Should answer 422 for a malformed id', async () => {
    const { token } = await signedInUser();
    for (const id of [
      'dep_nope',
      'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      'dep_01jf8zs5x0v6m3a2q9k1t7b4ce',
      'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CEX',
    ]) {
      const res = await api.get(`${DEPENDENTS}/${id}`, { token });
      expect([res.status, res.body.error.code], id).toEqual([422, 'VALIDATION_FAILED']);
      expect((await api.delete(`${DEPENDENTS}/${id}`, { token })).status).toBe(422);
      expect((await api.patch(`${DEPENDENTS}/${id}`, { token, json: { name: 'X' } })).status).toBe(422);
    }
  });

  it('Should delete my dependent and audit it', async () => {
    const { user, token } = await signedInUser();
    const created = (await api.post(DEPENDENTS, { token, json: MIA })).body.data;
    const res = await api.delete(`${DEPENDENTS}/${created.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: created.id });
    expect(await rowOf(created.id)).toBeUndefined();
    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['dependent.create', 'dependent.delete']);
    expect(audit[1]).toMatchObject({ actorId: user.id, metadata: null });
    expect((await api.get(`${DEPENDENTS}/${created.id}`, { token })).status).toBe(404);
    expect((await api.delete(`${DEPENDENTS}/${created.id}`, { token })).status).toBe(404);
  });

  it("Should take the dependent's vaccination plan with them, and leave the owner's own untouched", async () => {
    const { user, token } = await signedInUser();
    const created = (await api.post(DEPENDENTS, { token, json: MIA })).body.data;
    const now = Date.now();
    const vaccineId = uniqueId('vac');
    const schedule = (dependentId: string | null) => ({
      id: uniqueId('vsc'),
      ownerId: user.id,
      dependentId,
      vaccineId,
      doseNumber: 1,
      dueDate: '2027-01-10',
      createdAt: now,
      updatedAt: now,
    });
    const [forMia, forOwner] = [schedule(created.id), schedule(null)];
    await db.insert(vaccineSchedules).values([forMia, forOwner]);
    expect((await api.delete(`${DEPENDENTS}/${created.id}`, { token })).status).toBe(200);
    expect(await db.$count(vaccineSchedules, eq(vaccineSchedules.id, forMia.id))).toBe(0);
    expect(await db.$count(vaccineSchedules, eq(vaccineSchedules.id, forOwner.id))).toBe(1);
  });

  it(`Should refuse a dependent beyond ${MAX_DEPENDENTS_PER_USER} with 409, storing and auditing nothing`, async () => {
    const { user, token } = await signedInUser();
    await seedDependents(user.id, MAX_DEPENDENTS_PER_USER - 1);
    expect((await api.post(DEPENDENTS, { token, json: MIA })).status).toBe(201);
    const res = await api.post(DEPENDENTS, { token, json: { ...MIA, name: 'One too many' } });
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(dependents, eq(dependents.userId, user.id))).toBe(MAX_DEPENDENTS_PER_USER);
    const creates = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.action, 'dependent.create')))
      .all();
    expect(creates).toHaveLength(1);
    // Removing one makes room again.
    const victim = (await rowsOf(user.id))[0]!;
    expect((await api.delete(`${DEPENDENTS}/${victim.id}`, { token })).status).toBe(200);
    expect((await api.post(DEPENDENTS, { token, json: MIA })).status).toBe(201);
  });

  it('Should hold the cap under parallel requests', async () => {
    const { user, token } = await signedInUser();
    await seedDependents(user.id, MAX_DEPENDENTS_PER_USER - 3);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api.post(DEPENDENTS, { token, json: { ...MIA, name: `Parallel ${i}` } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    expect(await db.$count(dependents, eq(dependents.userId, user.id))).toBe(MAX_DEPENDENTS_PER_USER);
    const creates = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, user.id), eq(auditEvents.action, 'dependent.create')))
      .all();
    expect(creates).toHaveLength(3);
  });

  it('Should let other modules fetch a dependent only for its owner (getOwnedDependent)', async () => {
    const owner = await signedInUser();
    const other = await signedInUser();
    const id = (await api.post(DEPENDENTS, { token: owner.token, json: MIA })).body.data.id;
    const ctxFor = (u: UserRow) => {
      const ctx = createContext(testEnv, cloudflareDeps, { requestId: 'req_test' });
      return withActor(ctx, { id: u.id, role: u.role, subRoles: [], status: u.status, sessionId: null });
    };
    expect(await getOwnedDependent(ctxFor(owner.user), id)).toMatchObject({ id, userId: owner.user.id });
    await expect(getOwnedDependent(ctxFor(other.user), id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('Should refuse anonymous callers with 401', async () => {
    const path = `${DEPENDENTS}/dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE`;
    for (const res of [
      await api.get(DEPENDENTS),
      await api.post(DEPENDENTS, { json: MIA }),
      await api.get(path),
      await api.patch(path, { json: { name: 'X' } }),
      await api.delete(path),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});
