import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, type Role, schedules, supplements, vaccineSchedules, vaccines } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, signedInUser, uniqueId } from '../../helpers';

const api = client();
const SUPPLEMENTS = '/api/v1/supplements';
const VACCINES = '/api/v1/vaccines';
const UNKNOWN_SUP = 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE';
const UNKNOWN_VAC = 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

/** A short random tag, so tests sharing this file's database search only their own rows. */
const tag = () =>
  uniqueId('t')
    .slice(-8)
    .replace(/[^A-Z0-9]/g, 'X');

const supplementBody = (sku: string, extra: Record<string, unknown> = {}) => ({
  sku,
  name: 'Vitamin D3 1000 IU',
  brand: 'Kinwell Labs',
  form: 'softgel',
  strength: 1000,
  unit: 'IU',
  description: 'Cholecalciferol',
  lowStockThreshold: 5,
  ...extra,
});

const vaccineBody = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name: 'MMR II',
  manufacturer: 'Merck',
  diseases: ['measles', 'mumps', 'rubella'],
  dosesInSeries: 2,
  intervalDays: 28,
  minAgeMonths: 12,
  lowStockThreshold: 3,
  ...extra,
});

const supplementRow = (id: string) => db.select().from(supplements).where(eq(supplements.id, id)).get();
const vaccineRow = (id: string) => db.select().from(vaccines).where(eq(vaccines.id, id)).get();
const auditOf = (id: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).orderBy(auditEvents.at, auditEvents.id).all();

async function admin() {
  return (await signedInUser({ role: 'admin' })).token;
}

async function addSupplement(token: string, sku: string, extra: Record<string, unknown> = {}) {
  const res = await api.post(SUPPLEMENTS, { token, json: supplementBody(sku, extra) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { id: string; sku: string; [k: string]: unknown };
}

async function addVaccine(token: string, code: string, extra: Record<string, unknown> = {}) {
  const res = await api.post(VACCINES, { token, json: vaccineBody(code, extra) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { id: string; code: string; [k: string]: unknown };
}

async function receive(token: string, path: string, delta: number) {
  const res = await api.post(`${path}/stock-adjustments`, { token, json: { delta, reason: 'received' } });
  expect(res.status).toBe(201);
}

describe('supplement catalog CRUD', () => {
  it('Should let an admin create and a superadmin update and delete a supplement, stored and audited by id', async () => {
    const adminUser = await signedInUser({ role: 'admin' });
    const superadmin = await signedInUser({ role: 'superadmin' });
    const reader = await signedInUser({ role: 'user' });
    const sku = `vitd-${tag()}`;

    const created = await api.post(SUPPLEMENTS, { token: adminUser.token, json: supplementBody(sku) });
    expect(created.status).toBe(201);
    const item = created.body.data;
    expect(item).toMatchObject({
      ...supplementBody(sku.toUpperCase()),
      stockQuantity: 0,
      lowStock: true,
    });
    expect(item.id).toMatch(/^sup_[0-9A-Z]{26}$/);
    expect(await supplementRow(item.id)).toMatchObject({ sku: sku.toUpperCase(), stockQuantity: 0, form: 'softgel' });

    const read = await api.get(`${SUPPLEMENTS}/${item.id}`, { token: reader.token });
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(item);

    const patched = await api.patch(`${SUPPLEMENTS}/${item.id}`, {
      token: superadmin.token,
      json: { name: 'Vitamin D3 2000 IU', strength: 2000, brand: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ name: 'Vitamin D3 2000 IU', strength: 2000, brand: null, sku: item.sku });
    expect(await supplementRow(item.id)).toMatchObject({ name: 'Vitamin D3 2000 IU', strength: 2000, brand: null });

    const removed = await api.delete(`${SUPPLEMENTS}/${item.id}`, { token: superadmin.token });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toEqual({ id: item.id });
    expect(await supplementRow(item.id)).toBeUndefined();
    expect((await api.get(`${SUPPLEMENTS}/${item.id}`, { token: reader.token })).status).toBe(404);

    const audit = await auditOf(item.id);
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['supplement.create', adminUser.user.id],
      ['supplement.update', superadmin.user.id],
      ['supplement.delete', superadmin.user.id],
    ]);
    expect(audit[1]!.metadata).toEqual({ fields: ['name', 'brand', 'strength'] });
    expect(JSON.stringify(audit)).not.toContain('Vitamin');
  });

  it('Should refuse every write to user, doctor, caregiver and receptionist with 403, and let them read', async () => {
    const token = await admin();
    const item = await addSupplement(token, `role-${tag()}`);
    const vaccine = await addVaccine(token, `role-${tag()}`);
    const before = await supplementRow(item.id);
    const readers: Role[] = ['user', 'doctor', 'caregiver', 'receptionist'];
    for (const role of readers) {
      const { token: t } = await signedInUser({ role });
      for (const [base, id] of [
        [SUPPLEMENTS, item.id],
        [VACCINES, vaccine.id],
      ] as const) {
        const writes = [
          await api.post(base, {
            token: t,
            json: base === SUPPLEMENTS ? supplementBody(`x-${tag()}`) : vaccineBody(`x-${tag()}`),
          }),
          await api.patch(`${base}/${id}`, { token: t, json: { name: 'Hijacked' } }),
          await api.delete(`${base}/${id}`, { token: t }),
          await api.post(`${base}/bulk-delete`, { token: t, json: { ids: [id] } }),
          await api.post(`${base}/${id}/stock-adjustments`, { token: t, json: { delta: 5, reason: 'received' } }),
          await api.get(`${base}/${id}/stock-movements`, { token: t }),
          await api.post(`${base}/import`, {
            token: t,
            body: 'sku,name,form,unit\nHIJACK,Hijack,tablet,mg\n',
            headers: { 'content-type': 'text/csv' },
          }),
        ];
        for (const res of writes) expect([role, res.status, res.body.error?.code]).toEqual([role, 403, 'FORBIDDEN']);
        expect((await api.get(`${base}/${id}`, { token: t })).status).toBe(200);
        const list = await api.get(`${base}?limit=100`, { token: t });
        expect(list.status).toBe(200);
        expect(list.body.data.items.map((i: { id: string }) => i.id)).toContain(id);
      }
    }
    expect(await supplementRow(item.id)).toEqual(before);
    expect((await auditOf(item.id)).map((a) => a.action)).toEqual(['supplement.create']);
  });

  it('Should refuse anonymous callers with 401 on reads and writes', async () => {
    for (const res of [
      await api.get(SUPPLEMENTS),
      await api.get(`${VACCINES}/${UNKNOWN_VAC}`),
      await api.post(SUPPLEMENTS, { json: supplementBody('ANON-1') }),
      await api.post(`${VACCINES}/import`, { json: [] }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('Should refuse a duplicate SKU with 409 (case-insensitive), also when a PATCH moves onto it', async () => {
    const token = await admin();
    const sku = `dup-${tag()}`;
    const first = await addSupplement(token, sku);
    const again = await api.post(SUPPLEMENTS, { token, json: supplementBody(sku.toLowerCase(), { name: 'Other' }) });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(again.body.message).toContain(sku.toUpperCase());
    expect(await db.select().from(supplements).where(eq(supplements.sku, sku.toUpperCase())).all()).toHaveLength(1);

    const second = await addSupplement(token, `dup2-${tag()}`);
    const moved = await api.patch(`${SUPPLEMENTS}/${second.id}`, { token, json: { sku } });
    expect([moved.status, moved.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await supplementRow(second.id))!.sku).toBe(second.sku);
    expect((await auditOf(second.id)).map((a) => a.action)).toEqual(['supplement.create']);
    expect((await supplementRow(first.id))!.name).toBe('Vitamin D3 1000 IU');
  });

  it('Should refuse bad create bodies with 422 naming the field, storing nothing', async () => {
    const token = await admin();
    const sku = `bad-${tag()}`;
    const cases: [Record<string, unknown>, string][] = [
      [{ sku: undefined }, 'sku'],
      [{ sku: 'has space' }, 'sku'],
      [{ sku: 'S'.repeat(65) }, 'sku'],
      [{ name: undefined }, 'name'],
      [{ name: '  ' }, 'name'],
      [{ name: 'N'.repeat(161) }, 'name'],
      [{ name: 42 }, 'name'],
      [{ form: 'injection' }, 'form'],
      [{ form: undefined }, 'form'],
      [{ unit: 'kg' }, 'unit'],
      [{ strength: 1.5 }, 'strength'],
      [{ strength: '1000' }, 'strength'],
      [{ strength: 0 }, 'strength'],
      [{ lowStockThreshold: -1 }, 'lowStockThreshold'],
      [{ description: 'd'.repeat(2001) }, 'description'],
      [{ stockQuantity: 50 }, 'stockQuantity'],
      [{ id: UNKNOWN_SUP }, 'id'],
      [{ createdAt: 0 }, 'createdAt'],
    ];
    for (const [extra, field] of cases) {
      const res = await api.post(SUPPLEMENTS, { token, json: supplementBody(sku, extra) });
      expect(res.status, JSON.stringify(extra).slice(0, 80)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(extra).slice(0, 80),
      ).toContain(field);
    }
    const malformed = await api.post(SUPPLEMENTS, {
      token,
      body: '{"sku":',
      headers: { 'content-type': 'application/json' },
    });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'INVALID_JSON']);
    expect(await db.select().from(supplements).where(eq(supplements.sku, sku.toUpperCase())).all()).toEqual([]);
  });

  it('Should keep PATCH strict: stockQuantity, unknown keys, bad values and empty bodies are 422 and change nothing', async () => {
    const token = await admin();
    const item = await addSupplement(token, `patch-${tag()}`);
    await receive(token, `${SUPPLEMENTS}/${item.id}`, 7);
    const before = await supplementRow(item.id);
    const cases: [unknown, string][] = [
      [{ stockQuantity: 500 }, 'stockQuantity'],
      [{ name: 'Renamed', stockQuantity: 500 }, 'stockQuantity'],
      [{ id: UNKNOWN_SUP }, 'id'],
      [{ createdAt: 1 }, 'createdAt'],
      [{ lowStock: true }, 'lowStock'],
      [{ form: 'pill' }, 'form'],
      [{ name: null }, 'name'],
      [{ unit: null }, 'unit'],
      [{ strength: -3 }, 'strength'],
      [{}, 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await api.patch(`${SUPPLEMENTS}/${item.id}`, { token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
    expect(await supplementRow(item.id)).toEqual(before);
    expect(before!.stockQuantity).toBe(7);
  });

  it('Should answer 404 for an unknown id and 422 for a malformed one, on every item route', async () => {
    const token = await admin();
    for (const [base, unknown] of [
      [SUPPLEMENTS, UNKNOWN_SUP],
      [VACCINES, UNKNOWN_VAC],
    ] as const) {
      for (const res of [
        await api.get(`${base}/${unknown}`, { token }),
        await api.patch(`${base}/${unknown}`, { token, json: { name: 'X' } }),
        await api.delete(`${base}/${unknown}`, { token }),
        await api.post(`${base}/${unknown}/stock-adjustments`, { token, json: { delta: 1, reason: 'received' } }),
        await api.get(`${base}/${unknown}/stock-movements`, { token }),
      ]) {
        expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
      }
      const other = base === SUPPLEMENTS ? UNKNOWN_VAC : UNKNOWN_SUP;
      for (const id of ['nope', other, `${unknown.slice(0, 4)}${unknown.slice(4).toLowerCase()}`, `${unknown}X`]) {
        for (const res of [
          await api.get(`${base}/${id}`, { token }),
          await api.patch(`${base}/${id}`, { token, json: { name: 'X' } }),
          await api.delete(`${base}/${id}`, { token }),
          await api.post(`${base}/${id}/stock-adjustments`, { token, json: { delta: 1, reason: 'received' } }),
        ]) {
          expect([id, res.status, res.body.error.code]).toEqual([id, 422, 'VALIDATION_FAILED']);
        }
      }
    }
  });

  it('Should search name, brand and SKU; filter by form and low stock; sort and paginate', async () => {
    const token = await admin();
    const t = tag();
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const add = async (sku: string, extra: Record<string, unknown>) => {
      clock.advance(1000);
      const res = await timed.post(SUPPLEMENTS, { token, json: supplementBody(`${t}-${sku}`, extra) });
      expect(res.status).toBe(201);
      return res.body.data;
    };
    const zinc = await add('ZN', { name: `Zinc ${t}`, brand: 'Acme', form: 'tablet', lowStockThreshold: 10 });
    const omega = await add('OM', { name: `Omega 3 ${t}`, brand: 'Seaside', form: 'softgel', lowStockThreshold: 2 });
    const iron = await add('FE', { name: `Iron ${t}`, brand: 'Acme', form: 'tablet', lowStockThreshold: 0 });
    await receive(token, `${SUPPLEMENTS}/${zinc.id}`, 10); // 10 ≤ 10: low
    await receive(token, `${SUPPLEMENTS}/${omega.id}`, 30); // not low
    // iron: 0 ≤ 0, out of stock counts as low

    const names = async (query: string) => {
      const res = await api.get(`${SUPPLEMENTS}?${query}`, { token });
      expect(res.status, query).toBe(200);
      return res.body.data.items.map((i: { name: string }) => i.name.split(' ')[0]);
    };
    expect(await names(`search=${t}`)).toEqual(['Iron', 'Omega', 'Zinc']);
    expect(await names(`search=${t.toLowerCase()}-om`)).toEqual(['Omega']); // SKU, case-insensitive
    expect(await names(`search=${t}&sort=-name`)).toEqual(['Zinc', 'Omega', 'Iron']);
    expect(await names(`search=${t}&sort=createdAt`)).toEqual(['Zinc', 'Omega', 'Iron']);
    expect(await names(`search=${t}&sort=-stock`)).toEqual(['Omega', 'Zinc', 'Iron']);
    expect(await names(`search=${t}&form=tablet`)).toEqual(['Iron', 'Zinc']);
    expect(await names(`search=${t}&lowStock=true`)).toEqual(['Iron', 'Zinc']);
    expect(await names(`search=${t}&lowStock=false`)).toEqual(['Omega']);
    expect(await names(`search=${t}&lowStock=true&form=softgel`)).toEqual([]);
    expect(await names(`search=seaside`)).toContain('Omega'); // brand
    expect(await names(`search=${t}%25`)).toEqual([]); // no LIKE wildcards

    const page1 = await api.get(`${SUPPLEMENTS}?search=${t}&limit=2`, { token });
    expect(page1.body.data.pagination).toEqual({
      current: 1,
      pages: 2,
      total: 3,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const page2 = await api.get(`${SUPPLEMENTS}?search=${t}&limit=2&page=2`, { token });
    expect(page2.body.data.items.map((i: { id: string }) => i.id)).toEqual([zinc.id]);
    expect(page2.body.data.pagination).toMatchObject({ current: 2, hasNext: false, hasPrev: true });
    expect(page1.body.data.items[0]).toMatchObject({ id: iron.id, lowStock: true, stockQuantity: 0 });

    for (const query of [
      'limit=500',
      'page=0',
      'form=pill',
      'lowStock=yes',
      'sort=price',
      `search=${'s'.repeat(101)}`,
    ]) {
      const res = await api.get(`${SUPPLEMENTS}?${query}`, { token });
      expect([query, res.status]).toEqual([query, 422]);
    }
  });
});

describe('vaccine catalog CRUD', () => {
  it('Should create, read, filter by disease and update a vaccine, checking rules across fields on the merged row', async () => {
    const token = await admin();
    const t = tag();
    const mmr = await addVaccine(token, `mmr-${t}`, { name: `MMR ${t}` });
    expect(mmr).toMatchObject({ code: `MMR-${t}`, diseases: ['measles', 'mumps', 'rubella'], maxAgeMonths: null });
    expect(await vaccineRow(mmr.id)).toMatchObject({ diseases: ['measles', 'mumps', 'rubella'], dosesInSeries: 2 });
    const flu = await addVaccine(token, `flu-${t}`, {
      name: `Flu ${t}`,
      manufacturer: 'Sanofi',
      diseases: ['Influenza'],
      dosesInSeries: undefined,
      intervalDays: undefined,
      minAgeMonths: 6,
    });
    expect(flu).toMatchObject({ dosesInSeries: 1, intervalDays: 0, lowStock: true });

    const names = async (query: string) =>
      (await api.get(`${VACCINES}?${query}`, { token })).body.data.items.map((i: { name: string }) => i.name);
    expect(await names(`search=${t}&disease=MEASLES`)).toEqual([`MMR ${t}`]);
    expect(await names(`search=${t}&disease=influenza`)).toEqual([`Flu ${t}`]);
    expect(await names(`search=${t}&disease=measl`)).toEqual([]);
    expect(await names(`search=sanofi`)).toContain(`Flu ${t}`);

    const ok = await api.patch(`${VACCINES}/${flu.id}`, { token, json: { dosesInSeries: 2, intervalDays: 180 } });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ dosesInSeries: 2, intervalDays: 180 });
    const before = await vaccineRow(mmr.id);
    const refused: [unknown, string][] = [
      [{ dosesInSeries: 1 }, 'intervalDays'], // interval 28 stays: a single dose has none
      [{ intervalDays: 0 }, 'intervalDays'], // 2 doses need an interval
      [{ maxAgeMonths: 6 }, 'maxAgeMonths'], // below min 12
      [{ diseases: [] }, 'diseases'],
      [{ diseases: ['measles', 'Measles'] }, 'diseases'],
      [{ dosesInSeries: 0 }, 'dosesInSeries'],
      [{ stockQuantity: 3 }, 'stockQuantity'],
    ];
    for (const [json, field] of refused) {
      const res = await api.patch(`${VACCINES}/${mmr.id}`, { token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
    expect(await vaccineRow(mmr.id)).toEqual(before);
  });

  it('Should refuse vaccine bodies that break the rules with 422, storing nothing', async () => {
    const token = await admin();
    const code = `rule-${tag()}`;
    const cases: [Record<string, unknown>, string][] = [
      [{ dosesInSeries: 1, intervalDays: 30 }, 'intervalDays'],
      [{ dosesInSeries: 3, intervalDays: 0 }, 'intervalDays'],
      [{ minAgeMonths: 24, maxAgeMonths: 12 }, 'maxAgeMonths'],
      [{ diseases: undefined }, 'diseases'],
      [{ diseases: 'measles' }, 'diseases'],
      [{ diseases: ['x'.repeat(81)] }, 'diseases.0'],
      [{ dosesInSeries: 21 }, 'dosesInSeries'],
      [{ minAgeMonths: -1 }, 'minAgeMonths'],
      [{ code: undefined }, 'code'],
      [{ sku: 'X' }, 'sku'],
    ];
    for (const [extra, field] of cases) {
      const res = await api.post(VACCINES, { token, json: vaccineBody(code, extra) });
      expect(res.status, JSON.stringify(extra)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(extra),
      ).toContain(field);
    }
    expect(await db.select().from(vaccines).where(eq(vaccines.code, code.toUpperCase())).all()).toEqual([]);
  });
});

describe('catalog delete and bulk delete', () => {
  async function scheduleFor(supplementId: string) {
    const { user } = await signedInUser();
    const now = Date.now();
    await db.insert(schedules).values({
      id: uniqueId('sch'),
      ownerId: user.id,
      kind: 'supplement',
      supplementId,
      quantityPerDose: 1,
      timesOfDay: ['08:00'],
      timeZone: 'Europe/Paris',
      recurrence: { type: 'interval', everyNDays: 1 },
      startDate: '2026-01-01',
      createdAt: now,
      updatedAt: now,
    });
  }

  async function vaccineScheduleFor(vaccineId: string) {
    const { user } = await signedInUser();
    const now = Date.now();
    await db.insert(vaccineSchedules).values({
      id: uniqueId('vsc'),
      ownerId: user.id,
      vaccineId,
      doseNumber: 1,
      dueDate: '2026-06-01',
      createdAt: now,
      updatedAt: now,
    });
  }

  it('Should refuse to delete a supplement a schedule uses (409) and a vaccine a vaccine schedule uses', async () => {
    const token = await admin();
    const item = await addSupplement(token, `used-${tag()}`);
    await scheduleFor(item.id);
    const res = await api.delete(`${SUPPLEMENTS}/${item.id}`, { token });
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(res.body.message).toBe('Supplement is used by 1 schedule; remove them first');
    expect(await supplementRow(item.id)).toBeDefined();
    expect((await auditOf(item.id)).map((a) => a.action)).toEqual(['supplement.create']);

    const vaccine = await addVaccine(token, `used-${tag()}`);
    await vaccineScheduleFor(vaccine.id);
    await vaccineScheduleFor(vaccine.id);
    const refused = await api.delete(`${VACCINES}/${vaccine.id}`, { token });
    expect([refused.status, refused.body.message]).toEqual([
      409,
      'Vaccine is used by 2 vaccine schedules; remove them first',
    ]);
    expect(await vaccineRow(vaccine.id)).toBeDefined();

    const unused = await addVaccine(token, `free-${tag()}`);
    expect((await api.delete(`${VACCINES}/${unused.id}`, { token })).status).toBe(200);
    expect(await vaccineRow(unused.id)).toBeUndefined();
    expect((await auditOf(unused.id)).map((a) => a.action)).toEqual(['vaccine.create', 'vaccine.delete']);
  });

  it('Should bulk delete with a per-id report: deleted, not found, still referenced', async () => {
    const { user, token } = await signedInUser({ role: 'superadmin' });
    const a = await addSupplement(token, `bulk-a-${tag()}`);
    const b = await addSupplement(token, `bulk-b-${tag()}`);
    const used = await addSupplement(token, `bulk-u-${tag()}`);
    await scheduleFor(used.id);
    const ids = [a.id, UNKNOWN_SUP, used.id, b.id];
    const res = await api.post(`${SUPPLEMENTS}/bulk-delete`, { token, json: { ids } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      results: [
        { id: a.id, ok: true },
        { id: UNKNOWN_SUP, ok: false, code: 'NOT_FOUND', message: 'Supplement not found' },
        { id: used.id, ok: false, code: 'CONFLICT', message: 'Supplement is used by 1 schedule; remove them first' },
        { id: b.id, ok: true },
      ],
      counts: { requested: 4, deleted: 2, failed: 2 },
    });
    const left = await db.select().from(supplements).where(inArray(supplements.id, ids)).all();
    expect(left.map((r) => r.id)).toEqual([used.id]);
    const deletions = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'supplement.delete'), inArray(auditEvents.resourceId, ids)))
      .all();
    expect(deletions.map((d) => d.resourceId).sort()).toEqual([a.id, b.id].sort());
    for (const d of deletions)
      expect(d).toMatchObject({ actorId: user.id, actorRole: 'superadmin', metadata: { bulk: true } });

    const vaccine = await addVaccine(token, `bulk-${tag()}`);
    const vac = await api.post(`${VACCINES}/bulk-delete`, { token, json: { ids: [vaccine.id, UNKNOWN_VAC] } });
    expect(vac.body.data.counts).toEqual({ requested: 2, deleted: 1, failed: 1 });
    expect(await vaccineRow(vaccine.id)).toBeUndefined();
  });

  it('Should refuse a bad bulk delete body with 422, deleting nothing', async () => {
    const token = await admin();
    const item = await addSupplement(token, `bulkbad-${tag()}`);
    const many = Array.from({ length: 101 }, () => uniqueId('sup'));
    for (const json of [
      {},
      { ids: [] },
      { ids: many },
      { ids: [item.id, item.id] },
      { ids: [item.id, 'sup_bad'] },
      { ids: [item.id], force: true },
      { ids: item.id },
    ]) {
      const res = await api.post(`${SUPPLEMENTS}/bulk-delete`, { token, json });
      expect([JSON.stringify(json).slice(0, 60), res.status]).toEqual([JSON.stringify(json).slice(0, 60), 422]);
    }
    expect(await supplementRow(item.id)).toBeDefined();
  });
});
