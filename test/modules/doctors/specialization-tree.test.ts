import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, specializations } from '../../../src/db/schema';
import { client, db, signedInUser, testEnv, uniqueId } from '../../helpers';

const api = client();
const V1 = '/api/v1';

/** A token unique to one test, used in slugs and names so assertions ignore other tests' rows. */
const tag = () =>
  uniqueId('t')
    .slice(-10)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');

const stored = (id: string) => db.select().from(specializations).where(eq(specializations.id, id)).get();
const auditOf = (id: string) => db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).all();

interface Spec {
  id: string;
  slug: string;
  name: string;
  parentId: string | null;
}

async function adminToken() {
  return (await signedInUser({ role: 'admin' })).token;
}

async function createSpec(token: string, label: string, parentId?: string | null): Promise<Spec> {
  const slug = `${label}-${tag()}`;
  const res = await api.post(`${V1}/specializations`, {
    token,
    json: { slug, name: `${label} ${slug}`, ...(parentId === undefined ? {} : { parentId }) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
}

/** Root → child → grandchild, the deepest the taxonomy allows. */
async function chain(token: string) {
  const root = await createSpec(token, 'cardiology');
  const child = await createSpec(token, 'pediatric-cardiology', root.id);
  const grandchild = await createSpec(token, 'fetal-cardiology', child.id);
  return { root, child, grandchild };
}

/** A listed doctor (verified, active, with a profile) who lists `specIds`. */
async function doctorListing(name: string, specIds: string[]) {
  const doctor = await signedInUser({ role: 'doctor', name });
  const res = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
    token: doctor.token,
    json: { bio: 'Hello', specializationIds: specIds },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return doctor.user.id;
}

function expectParentError(res: { status: number; body: any }, message: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.error.code).toBe('VALIDATION_FAILED');
  expect(res.body.errors).toEqual([{ field: 'parentId', message: expect.stringMatching(message) }]);
}

describe('specialization hierarchy', () => {
  it('Should create a tree, store each parent and list every specialization with its parentId', async () => {
    const token = await adminToken();
    const { root, child, grandchild } = await chain(token);
    expect([root.parentId, child.parentId, grandchild.parentId]).toEqual([null, root.id, child.id]);
    expect((await stored(child.id))?.parentId).toBe(root.id);
    expect((await stored(grandchild.id))?.parentId).toBe(child.id);
    expect(await auditOf(grandchild.id)).toEqual([expect.objectContaining({ action: 'specialization.create' })]);

    const list = await api.get(`${V1}/specializations?limit=100`);
    expect(list.status).toBe(200);
    const mine = list.body.data.items.filter((s: Spec) => [root.id, child.id, grandchild.id].includes(s.id));
    expect(Object.fromEntries(mine.map((s: Spec) => [s.id, s.parentId]))).toEqual({
      [root.id]: null,
      [child.id]: root.id,
      [grandchild.id]: child.id,
    });
  });

  it("Should find the doctors of a parent's children when filtering by the parent, not the reverse", async () => {
    const token = await adminToken();
    const { root, child, grandchild } = await chain(token);
    const sibling = await createSpec(token, 'dermatology');
    const t = tag();
    const atRoot = await doctorListing(`Dr A ${t}`, [root.id]);
    const atChild = await doctorListing(`Dr B ${t}`, [child.id]);
    const atGrandchild = await doctorListing(`Dr C ${t}`, [grandchild.id]);
    const elsewhere = await doctorListing(`Dr D ${t}`, [sibling.id]);
    // Listing a parent and its child at once still finds the doctor once.
    const both = await doctorListing(`Dr E ${t}`, [root.id, child.id]);

    const ids = async (slug: string) => {
      const res = await api.get(`${V1}/doctors?search=${t}&specialization=${slug}`);
      expect(res.status).toBe(200);
      expect(Number(res.headers.get(ROUND_TRIPS_HEADER))).toBe(1);
      return res.body.data.items.map((d: { id: string }) => d.id);
    };
    expect(await ids(root.slug)).toEqual([atRoot, atChild, atGrandchild, both]);
    expect(await ids(child.slug)).toEqual([atChild, atGrandchild, both]);
    expect(await ids(grandchild.slug)).toEqual([atGrandchild]);
    expect(await ids(sibling.slug)).toEqual([elsewhere]);
    expect(await ids(`unknown-${t}`)).toEqual([]);
  });

  it('Should refuse an unknown parent with 422 on create and on update, storing nothing', async () => {
    const token = await adminToken();
    const slug = `orphan-${tag()}`;
    const created = await api.post(`${V1}/specializations`, {
      token,
      json: { slug, name: 'Orphan', parentId: 'spc_unknown' },
    });
    expectParentError(created, /^Unknown specialization: spc_unknown$/);
    expect(await db.select().from(specializations).where(eq(specializations.slug, slug)).get()).toBeUndefined();

    const spec = await createSpec(token, 'lonely');
    const moved = await api.patch(`${V1}/specializations/${spec.id}`, { token, json: { parentId: 'spc_unknown' } });
    expectParentError(moved, /^Unknown specialization/);
    expect((await stored(spec.id))?.parentId).toBeNull();
    expect(await auditOf(spec.id)).toHaveLength(1);
  });

  it('Should refuse making a specialization its own parent, or putting it under its own descendant', async () => {
    const token = await adminToken();
    const { root, child, grandchild } = await chain(token);
    const self = await api.patch(`${V1}/specializations/${child.id}`, { token, json: { parentId: child.id } });
    expectParentError(self, /own parent/);
    for (const below of [child, grandchild]) {
      const loop = await api.patch(`${V1}/specializations/${root.id}`, { token, json: { parentId: below.id } });
      expectParentError(loop, /loop/);
    }
    expect((await stored(root.id))?.parentId).toBeNull();
    expect((await stored(child.id))?.parentId).toBe(root.id);
    expect(await auditOf(root.id)).toHaveLength(1);
  });

  it('Should refuse a tree deeper than 3 levels, on create and when moving a subtree', async () => {
    const token = await adminToken();
    const { child, grandchild } = await chain(token);
    const tooDeep = await api.post(`${V1}/specializations`, {
      token,
      json: { slug: `deep-${tag()}`, name: 'Deep', parentId: grandchild.id },
    });
    expectParentError(tooDeep, /at most 3 levels deep; this would make 4/);

    // A subtree two levels high fits under a top-level one only.
    const other = await chain(token);
    const move = await api.patch(`${V1}/specializations/${other.child.id}`, { token, json: { parentId: child.id } });
    expectParentError(move, /at most 3 levels deep; this would make 4/);
    expect((await stored(other.child.id))?.parentId).toBe(other.root.id);
    const moveRoot = await api.patch(`${V1}/specializations/${other.root.id}`, { token, json: { parentId: child.id } });
    expectParentError(moveRoot, /this would make 5/);
    expect((await stored(other.root.id))?.parentId).toBeNull();
  });

  it('Should move a subtree under another parent, or to the top with null, and audit it', async () => {
    const token = await adminToken();
    const { root, child, grandchild } = await chain(token);
    const other = await createSpec(token, 'pediatrics');
    const moved = await api.patch(`${V1}/specializations/${child.id}`, { token, json: { parentId: other.id } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toMatchObject({ id: child.id, parentId: other.id });
    expect((await stored(child.id))?.parentId).toBe(other.id);
    expect((await stored(grandchild.id))?.parentId).toBe(child.id);
    expect((await auditOf(child.id)).map((e) => [e.action, e.metadata])).toContainEqual([
      'specialization.update',
      { fields: ['parentId'] },
    ]);

    const top = await api.patch(`${V1}/specializations/${child.id}`, { token, json: { parentId: null } });
    expect(top.status).toBe(200);
    expect(top.body.data.parentId).toBeNull();
    expect((await stored(child.id))?.parentId).toBeNull();
    // Now a top-level one with a child, it fits under the old root again (3 levels).
    const back = await api.patch(`${V1}/specializations/${child.id}`, { token, json: { parentId: root.id } });
    expect(back.status).toBe(200);
  });

  it('Should refuse deleting a specialization with children (409) until they are moved', async () => {
    const token = await adminToken();
    const root = await createSpec(token, 'surgery');
    const child = await createSpec(token, 'cardiac-surgery', root.id);
    const refused = await api.delete(`${V1}/specializations/${root.id}`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.message).toMatch(/sit under this one/);
    expect(await stored(root.id)).toBeDefined();

    expect((await api.patch(`${V1}/specializations/${child.id}`, { token, json: { parentId: null } })).status).toBe(
      200,
    );
    expect((await api.delete(`${V1}/specializations/${root.id}`, { token })).status).toBe(200);
    expect(await stored(root.id)).toBeUndefined();
  });

  it('Should refuse non-admins placing or moving specializations, changing nothing', async () => {
    const token = await adminToken();
    const root = await createSpec(token, 'neurology');
    const leaf = await createSpec(token, 'epilepsy');
    for (const role of ['doctor', 'user'] as const) {
      const other = await signedInUser({ role });
      const slug = `x-${tag()}`;
      const created = await api.post(`${V1}/specializations`, {
        token: other.token,
        json: { slug, name: 'X', parentId: root.id },
      });
      expect(created.status).toBe(403);
      expect(await db.select().from(specializations).where(eq(specializations.slug, slug)).get()).toBeUndefined();
      const moved = await api.patch(`${V1}/specializations/${leaf.id}`, {
        token: other.token,
        json: { parentId: root.id },
      });
      expect(moved.status).toBe(403);
    }
    expect((await stored(leaf.id))?.parentId).toBeNull();
  });

  it('Should refuse a move that another change of the tree made invalid after it was read, changing nothing', async () => {
    const token = await adminToken();
    const a = await createSpec(token, 'race-a');
    const b = await createSpec(token, 'race-b');
    // Another admin puts B under A between this request's read (its first batch) and its write.
    let batches = 0;
    const racing = new Proxy(testEnv.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== 'batch') return typeof value === 'function' ? value.bind(target) : value;
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          if (batches++ === 0)
            await db.update(specializations).set({ parentId: a.id }).where(eq(specializations.id, b.id));
          return results;
        };
      },
    });
    const res = await api.patch(`${V1}/specializations/${a.id}`, {
      token,
      json: { parentId: b.id },
      env: { DB: racing },
    });
    // 409, not the 422 of a loop: the read saw the tree before the change, the write after it.
    expect(batches).toBeGreaterThan(0);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect((await stored(a.id))?.parentId).toBeNull();
    expect(await auditOf(a.id)).toHaveLength(1);
  });

  it('Should keep a move to two round trips and other changes to one', async () => {
    const token = await adminToken();
    const root = await createSpec(token, 'trips');
    const slug = `trips-child-${tag()}`;
    const created = await api.post(`${V1}/specializations`, {
      token,
      json: { slug, name: 'Child', parentId: root.id },
    });
    expect(Number(created.headers.get(ROUND_TRIPS_HEADER))).toBe(2);
    const renamed = await api.patch(`${V1}/specializations/${root.id}`, { token, json: { name: 'Renamed' } });
    expect(Number(renamed.headers.get(ROUND_TRIPS_HEADER))).toBe(1);
    const moved = await api.patch(`${V1}/specializations/${created.body.data.id}`, { token, json: { parentId: null } });
    expect(Number(moved.headers.get(ROUND_TRIPS_HEADER))).toBe(1);
  });
});
