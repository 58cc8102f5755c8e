import { and, eq, sum } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, stockMovements, supplements, vaccines } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, signedInUser, uniqueId } from '../../helpers';

const api = client();
const SUPPLEMENTS = '/api/v1/supplements';
const VACCINES = '/api/v1/vaccines';

const sku = () => `STK-${uniqueId('t').slice(-10)}`;

async function admin() {
  return signedInUser({ role: 'admin' });
}

async function addSupplement(token: string, lowStockThreshold = 3) {
  const res = await api.post(SUPPLEMENTS, {
    token,
    json: { sku: sku(), name: 'Magnesium 250 mg', form: 'tablet', unit: 'mg', strength: 250, lowStockThreshold },
  });
  expect(res.status).toBe(201);
  return res.body.data as { id: string };
}

const stockOf = async (id: string) =>
  (await db.select({ n: supplements.stockQuantity }).from(supplements).where(eq(supplements.id, id)).get())?.n;
const ledgerOf = (id: string) =>
  db.select().from(stockMovements).where(eq(stockMovements.itemId, id)).orderBy(stockMovements.createdAt).all();
const ledgerSum = async (id: string) =>
  Number(
    (
      await db
        .select({ s: sum(stockMovements.delta) })
        .from(stockMovements)
        .where(eq(stockMovements.itemId, id))
        .get()
    )?.s ?? 0,
  );
const auditActions = async (id: string) =>
  (await db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).all()).map((a) => a.action);

describe('stock adjustments and the ledger', () => {
  it('Should add received stock, take dispensed stock, and keep two ledger rows newest first', async () => {
    const { user, token } = await admin();
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const item = await addSupplement(token);
    const path = `${SUPPLEMENTS}/${item.id}`;

    const received = await timed.post(`${path}/stock-adjustments`, {
      token,
      json: { delta: 12, reason: 'received', note: 'Delivery 4411' },
    });
    expect(received.status).toBe(201);
    expect(received.body.data).toMatchObject({
      stockQuantity: 12,
      lowStock: false,
      movement: {
        itemType: 'supplement',
        itemId: item.id,
        delta: 12,
        reason: 'received',
        note: 'Delivery 4411',
        balanceAfter: 12,
        actorId: user.id,
      },
    });
    expect(received.body.data.movement.id).toMatch(/^stk_[0-9A-Z]{26}$/);
    clock.advance(60_000);
    const dispensed = await timed.post(`${path}/stock-adjustments`, {
      token,
      json: { delta: -10, reason: 'dispensed' },
    });
    expect(dispensed.status).toBe(201);
    expect(dispensed.body.data).toMatchObject({
      stockQuantity: 2,
      lowStock: true,
      movement: { delta: -10, balanceAfter: 2, note: null },
    });

    expect(await stockOf(item.id)).toBe(2);
    const ledger = await ledgerOf(item.id);
    expect(ledger.map((m) => [m.delta, m.reason, m.balanceAfter])).toEqual([
      [12, 'received', 12],
      [-10, 'dispensed', 2],
    ]);
    const listed = await api.get(`${path}/stock-movements`, { token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.items.map((m: { id: string }) => m.id)).toEqual([
      dispensed.body.data.movement.id,
      received.body.data.movement.id,
    ]);
    expect(listed.body.data.items[0]).toEqual(dispensed.body.data.movement);
    const paged = await api.get(`${path}/stock-movements?limit=1&page=2`, { token });
    expect(paged.body.data.items.map((m: { id: string }) => m.id)).toEqual([received.body.data.movement.id]);
    expect(paged.body.data.pagination).toMatchObject({ total: 2, pages: 2, hasPrev: true, hasNext: false });

    const item2 = await api.get(path, { token });
    expect(item2.body.data).toMatchObject({ stockQuantity: 2, lowStock: true });
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, item.id), eq(auditEvents.action, 'supplement.stock.adjust')))
      .all();
    expect(audits.map((a) => a.metadata)).toEqual([
      { movementId: received.body.data.movement.id, delta: 12, reason: 'received' },
      { movementId: dispensed.body.data.movement.id, delta: -10, reason: 'dispensed' },
    ]);
    expect(JSON.stringify(audits)).not.toContain('Delivery');
  });

  it('Should refuse an overdraw with 409, leaving stock, ledger and audit unchanged', async () => {
    const { token } = await admin();
    const item = await addSupplement(token);
    const path = `${SUPPLEMENTS}/${item.id}/stock-adjustments`;
    expect((await api.post(path, { token, json: { delta: 4, reason: 'received' } })).status).toBe(201);
    for (const json of [
      { delta: -5, reason: 'dispensed' },
      { delta: -5, reason: 'expired' },
      { delta: -100, reason: 'correction' },
    ]) {
      const res = await api.post(path, { token, json });
      expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
      expect(res.body.message).toBe(`Only 4 in stock; a change of ${json.delta} would take it below zero`);
    }
    expect(await stockOf(item.id)).toBe(4);
    expect((await ledgerOf(item.id)).map((m) => m.delta)).toEqual([4]);
    expect(await auditActions(item.id)).toEqual(['supplement.create', 'supplement.stock.adjust']);
    // Exactly to zero is allowed; then nothing more can leave.
    const empty = await api.post(path, { token, json: { delta: -4, reason: 'expired' } });
    expect(empty.body.data).toMatchObject({ stockQuantity: 0, lowStock: true, movement: { balanceAfter: 0 } });
    expect((await api.post(path, { token, json: { delta: -1, reason: 'dispensed' } })).status).toBe(409);
    expect(await stockOf(item.id)).toBe(0);
  });

  it('Should never overdraw under concurrent adjustments: stock 5, ten parallel −1', async () => {
    const { token } = await admin();
    const item = await addSupplement(token);
    const path = `${SUPPLEMENTS}/${item.id}/stock-adjustments`;
    expect((await api.post(path, { token, json: { delta: 5, reason: 'received' } })).status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api.post(path, { token, json: { delta: -1, reason: 'dispensed' } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 201, 409, 409, 409, 409, 409]);
    expect(await stockOf(item.id)).toBe(0);
    expect(await ledgerSum(item.id)).toBe(0);
    const ledger = await ledgerOf(item.id);
    expect(ledger).toHaveLength(6);
    expect(
      ledger
        .filter((m) => m.delta === -1)
        .map((m) => m.balanceAfter)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    expect((await auditActions(item.id)).filter((a) => a === 'supplement.stock.adjust')).toHaveLength(6);
  });

  it('Should keep vaccine stock the same way, and mixed parallel deltas keep ledger sum equal to stock', async () => {
    const { token } = await admin();
    const created = await api.post(VACCINES, {
      token,
      json: { code: sku(), name: 'Hep B', diseases: ['hepatitis B'], dosesInSeries: 3, intervalDays: 30 },
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const path = `${VACCINES}/${id}/stock-adjustments`;
    expect((await api.post(path, { token, json: { delta: 3, reason: 'received' } })).status).toBe(201);
    const deltas = [-2, 4, -3, -1, 2, -4, -2, 1, -1, -3];
    const results = await Promise.all(
      deltas.map((delta) => api.post(path, { token, json: { delta, reason: delta > 0 ? 'received' : 'dispensed' } })),
    );
    for (const r of results) expect([201, 409]).toContain(r.status);
    const stock = (await db.select().from(vaccines).where(eq(vaccines.id, id)).get())!.stockQuantity;
    expect(stock).toBeGreaterThanOrEqual(0);
    expect(await ledgerSum(id)).toBe(stock);
    const ledger = await db
      .select()
      .from(stockMovements)
      .where(and(eq(stockMovements.itemType, 'vaccine'), eq(stockMovements.itemId, id)))
      .all();
    expect(ledger).toHaveLength(1 + results.filter((r) => r.status === 201).length);
    for (const m of ledger) expect(m.balanceAfter).toBeGreaterThanOrEqual(0);
    const listed = await api.get(`${VACCINES}/${id}/stock-movements?limit=100`, { token });
    expect(listed.body.data.items[0].balanceAfter).toBe(stock);
  });

  it('Should refuse bad adjustments with 422, writing nothing', async () => {
    const { token } = await admin();
    const item = await addSupplement(token);
    const path = `${SUPPLEMENTS}/${item.id}/stock-adjustments`;
    const cases: [unknown, string][] = [
      [{ delta: 0, reason: 'correction' }, 'delta'],
      [{ delta: 1.5, reason: 'received' }, 'delta'],
      [{ delta: '3', reason: 'received' }, 'delta'],
      [{ delta: 10_000_001, reason: 'received' }, 'delta'],
      [{ reason: 'received' }, 'delta'],
      [{ delta: 3 }, 'reason'],
      [{ delta: 3, reason: 'found' }, 'reason'],
      [{ delta: -3, reason: 'received' }, 'delta'],
      [{ delta: 3, reason: 'dispensed' }, 'delta'],
      [{ delta: 3, reason: 'expired' }, 'delta'],
      [{ delta: 3, reason: 'received', note: 'n'.repeat(501) }, 'note'],
      [{ delta: 3, reason: 'received', balanceAfter: 99 }, 'balanceAfter'],
      [{ delta: 3, reason: 'received', actorId: 'usr_x' }, 'actorId'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(path, { token, json });
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json).slice(0, 80),
      ).toContain(field);
    }
    const text = await api.post(path, { token, body: 'delta=3', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(await stockOf(item.id)).toBe(0);
    expect(await ledgerOf(item.id)).toEqual([]);
    // A correction may go either way.
    expect((await api.post(path, { token, json: { delta: 6, reason: 'correction' } })).status).toBe(201);
    expect((await api.post(path, { token, json: { delta: -2, reason: 'correction' } })).status).toBe(201);
    expect(await stockOf(item.id)).toBe(4);
  });
});
