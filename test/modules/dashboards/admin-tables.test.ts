import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CareStatus,
  careAlerts,
  careDeaths,
  careReports,
  stockMovements,
  supplements,
  vaccineSchedules,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, testEnv, uniqueId } from '../../helpers';
import { seedVaccine } from '../../support/catalog';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { expectRefusals } from './support';

const NOW = new Date('2026-12-04T10:00:00Z');
const DAY = 86_400_000;
const api = client({ clock: fixedClock(NOW) });

let admin: Awaited<ReturnType<typeof account>>;
const ids: Record<string, string> = {};

async function move(
  itemType: 'vaccine' | 'supplement',
  itemId: string,
  delta: number,
  reason: string,
  daysAgo: number,
) {
  await db.insert(stockMovements).values({
    id: uniqueId('stm'),
    itemType,
    itemId,
    delta,
    reason: reason as 'received',
    balanceAfter: 0,
    createdAt: NOW.getTime() - daysAgo * DAY,
  });
}

async function dose(vaccineId: string, dueDate: string, changes: Partial<typeof vaccineSchedules.$inferInsert> = {}) {
  const owner = uniqueId('usr');
  await db.insert(vaccineSchedules).values({
    id: uniqueId('vsc'),
    ownerId: owner,
    vaccineId,
    doseNumber: 1,
    dueDate,
    createdAt: 0,
    updatedAt: 0,
    ...changes,
  });
}

async function report(patientId: string, status: CareStatus, minutesAgo: number) {
  const id = uniqueId('crp');
  await db.insert(careReports).values({
    id,
    patientId,
    authorId: uniqueId('usr'),
    status,
    version: 1,
    keyId: 'k1',
    content: 'sealed',
    createdAt: NOW.getTime() - minutesAgo * 60_000,
    updatedAt: 0,
  });
  return id;
}

beforeAll(async () => {
  admin = await account('admin', NOW);
  // Vaccines: MMR well stocked, "=cmd" (a name a spreadsheet would run) low.
  const mmr = await seedVaccine({ code: 'MMR', name: 'MMR', stockQuantity: 40, lowStockThreshold: 10 });
  const bad = await seedVaccine({ code: 'ZZ', name: '=cmd|calc', stockQuantity: 2, lowStockThreshold: 5 });
  ids.mmr = mmr.id;
  ids.bad = bad.id;
  await move('vaccine', mmr.id, 50, 'received', 20);
  await move('vaccine', mmr.id, -10, 'dispensed', 5);
  await move('vaccine', mmr.id, -1, 'expired', 3);
  await move('vaccine', mmr.id, -7, 'dispensed', 40); // before the 30 days
  await move('vaccine', bad.id, 3, 'correction', 1);
  await dose(mmr.id, '2026-11-20', { status: 'administered', administeredOn: '2026-11-21' });
  await dose(mmr.id, '2026-10-01', { status: 'administered', administeredOn: '2026-10-02' });
  const sup = uniqueId('sup');
  ids.sup = sup;
  await db.insert(supplements).values({
    id: sup,
    sku: 'VITD-1000',
    name: 'Vitamin D3',
    form: 'softgel',
    unit: 'IU',
    stockQuantity: 3,
    lowStockThreshold: 5,
    createdAt: 0,
    updatedAt: 0,
  });
  await move('supplement', sup, 20, 'received', 10);
  await move('supplement', sup, -17, 'dispensed', 2);

  // The calendar: 4 December ×2 MMR + 1 other, 6 December ×1; an inactive plan, a cancelled dose, an
  // administered one and one after the range do not count; two are overdue.
  await dose(mmr.id, '2026-12-04');
  await dose(mmr.id, '2026-12-04');
  await dose(bad.id, '2026-12-04');
  await dose(mmr.id, '2026-12-06');
  await dose(mmr.id, '2026-12-05', { active: false });
  await dose(mmr.id, '2026-12-05', { status: 'cancelled' });
  await dose(mmr.id, '2026-12-05', { status: 'administered', administeredOn: '2026-12-01' });
  await dose(mmr.id, '2026-12-07');
  await dose(mmr.id, '2026-11-30');
  await dose(bad.id, '2026-12-03');

  // Care patients: the newest report of each counts; a deceased mark wins.
  const [a, b, c, d] = [uniqueId('usr'), uniqueId('usr'), uniqueId('usr'), uniqueId('usr')];
  await report(a, 'critical', 120);
  await report(a, 'stable', 60);
  await report(b, 'deteriorating', 30);
  const last = await report(c, 'improving', 10);
  await report(d, 'stable', 5);
  await db.insert(careDeaths).values({ patientId: c, reportId: last, reportedBy: uniqueId('usr'), at: 0 });
  await db.insert(careAlerts).values([
    { id: uniqueId('cal'), patientId: b, reportId: uniqueId('crp'), severity: 'high', createdAt: 0 },
    { id: uniqueId('cal'), patientId: a, reportId: uniqueId('crp'), severity: 'critical', createdAt: 0 },
    {
      id: uniqueId('cal'),
      patientId: a,
      reportId: uniqueId('crp'),
      severity: 'high',
      status: 'acknowledged',
      createdAt: 0,
    },
  ]);
});

const csvOf = (text: string) => Papa.parse<Record<string, string>>(text, { header: true }).data;

describe('GET /dashboards/inventory', () => {
  it('Should answer stock and the last 30 days of movements per item, in one round trip', async () => {
    const res = await api.get('/api/v1/dashboards/inventory', { token: admin.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.days).toBe(30);
    expect(res.body.data.vaccines).toEqual([
      {
        id: ids.bad,
        code: 'ZZ',
        name: '=cmd|calc',
        stock: 2,
        lowStockThreshold: 5,
        lowStock: true,
        received: 0,
        dispensed: 0,
        expired: 0,
        corrected: 3,
        administered: 0,
      },
      {
        id: ids.mmr,
        code: 'MMR',
        name: 'MMR',
        stock: 40,
        lowStockThreshold: 10,
        lowStock: false,
        received: 50,
        dispensed: 10,
        expired: 1,
        corrected: 0,
        administered: 2,
      },
    ]);
    expect(res.body.data.supplements).toEqual([
      {
        id: ids.sup,
        code: 'VITD-1000',
        name: 'Vitamin D3',
        stock: 3,
        lowStockThreshold: 5,
        lowStock: true,
        received: 20,
        dispensed: 17,
        expired: 0,
        corrected: 0,
      },
    ]);
    const longer = await api.get('/api/v1/dashboards/inventory?days=90', { token: admin.token });
    expect(longer.body.data.vaccines[1]).toMatchObject({ dispensed: 17, administered: 3 });
  });

  it('Should export the table as CSV with formulas escaped', async () => {
    const res = await api.get('/api/v1/dashboards/inventory?format=csv', { token: admin.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="inventory-2026-12-04.csv"');
    expect(res.body.split('\r\n')[0]).toBe(
      'type,id,code,name,stock,lowStockThreshold,lowStock,received,dispensed,expired,corrected,administered',
    );
    const rows = csvOf(res.body);
    expect(rows.map((r) => [r.type, r.name, r.stock, r.dispensed, r.administered])).toEqual([
      ['vaccine', "'=cmd|calc", '2', '0', '0'],
      ['vaccine', 'MMR', '40', '10', '2'],
      ['supplement', 'Vitamin D3', '3', '17', ''],
    ]);
  });

  it('Should refuse a period out of bounds with 422', async () => {
    const res = await api.get('/api/v1/dashboards/inventory?days=0', { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /dashboards/vaccine-calendar', () => {
  it('Should answer the doses due per day and vaccine, every day listed, and the overdue ones', async () => {
    const res = await api.get('/api/v1/dashboards/vaccine-calendar?from=2026-12-04&to=2026-12-06', {
      token: admin.token,
    });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const [first, ...rest] = res.body.data.days;
    expect(res.body.data).toMatchObject({ from: '2026-12-04', to: '2026-12-06', total: 4, overdue: 2 });
    expect(first.date).toBe('2026-12-04');
    expect(first.doses).toBe(3);
    expect(first.vaccines).toHaveLength(2);
    expect(first.vaccines).toEqual(
      expect.arrayContaining([
        { vaccineId: ids.mmr, name: 'MMR', doses: 2 },
        { vaccineId: ids.bad, name: '=cmd|calc', doses: 1 },
      ]),
    );
    expect(rest).toEqual([
      { date: '2026-12-05', doses: 0, vaccines: [] },
      { date: '2026-12-06', doses: 1, vaccines: [{ vaccineId: ids.mmr, name: 'MMR', doses: 1 }] },
    ]);
  });

  it('Should default to 30 days from today and export CSV rows per day and vaccine', async () => {
    const json = await api.get('/api/v1/dashboards/vaccine-calendar', { token: admin.token });
    expect(json.body.data).toMatchObject({ from: '2026-12-04', to: '2027-01-02', total: 5 });
    expect(json.body.data.days).toHaveLength(30);
    const res = await api.get('/api/v1/dashboards/vaccine-calendar?from=2026-12-04&to=2026-12-07&format=csv', {
      token: admin.token,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="vaccine-calendar-2026-12-04-2026-12-07.csv"',
    );
    const rows = csvOf(res.body).map((r) => [r.date, r.vaccineName, r.doses]);
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['2026-12-04', 'MMR', '2'],
        ['2026-12-04', "'=cmd|calc", '1'],
        ['2026-12-06', 'MMR', '1'],
        ['2026-12-07', 'MMR', '1'],
      ]),
    );
  });

  it('Should refuse a reversed or too long range with 422 (VALIDATION_FAILED)', async () => {
    for (const query of ['from=2026-12-06&to=2026-12-04', 'from=2026-12-01&to=2027-03-31', 'from=2026-13-01']) {
      const res = await api.get(`/api/v1/dashboards/vaccine-calendar?${query}`, { token: admin.token });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('Should read the calendar by index, not by scanning the doses', async () => {
    const plan = await testEnv.DB.prepare(
      "explain query plan select due_date, vaccine_id, count(*) from vaccine_schedules where status = 'scheduled' and active = 1 and due_date >= '2026-12-04' and due_date <= '2026-12-06' group by due_date, vaccine_id",
    ).all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail).join('\n');
    expect(details).toContain('vaccine_schedules_due_idx');
    expect(details).not.toMatch(/SCAN vaccine_schedules(?! USING)/);
  });
});

describe('GET /dashboards/care-status', () => {
  it("Should count patients by their newest report's status and open alerts by severity", async () => {
    const res = await api.get('/api/v1/dashboards/care-status', { token: admin.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data).toEqual({
      patients: 4,
      statuses: [
        { status: 'stable', patients: 2 },
        { status: 'improving', patients: 0 },
        { status: 'deteriorating', patients: 1 },
        { status: 'critical', patients: 0 },
        { status: 'recovered', patients: 0 },
        { status: 'deceased', patients: 1 },
      ],
      openAlerts: [
        { severity: 'high', count: 1 },
        { severity: 'critical', count: 1 },
      ],
    });
  });

  it('Should export the distribution as CSV', async () => {
    const res = await api.get('/api/v1/dashboards/care-status?format=csv', { token: admin.token });
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="care-status-2026-12-04.csv"');
    expect(res.body).toBe(
      'status,patients\r\nstable,2\r\nimproving,0\r\ndeteriorating,1\r\ncritical,0\r\nrecovered,0\r\ndeceased,1',
    );
  });
});

describe('Admin tables: who may read them', () => {
  it('Should let superadmins in and refuse every other role with 403, no token with 401', async () => {
    const superadmin = await account('superadmin', NOW);
    for (const path of ['inventory', 'vaccine-calendar', 'care-status']) {
      expect((await api.get(`/api/v1/dashboards/${path}`, { token: superadmin.token })).status).toBe(200);
      await expectRefusals(api, `/api/v1/dashboards/${path}`, ['admin', 'superadmin'], NOW);
    }
  });
});
