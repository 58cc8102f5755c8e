import { and, count, eq, inArray, like, sum } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, stockMovements, supplements, vaccines } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { sampleSupplementCsv, sampleVaccineCsv } from '../../../src/modules/catalog/catalog.samples';
import { client, db, SAMPLE, signedInUser, uniqueId } from '../../helpers';

const api = client();
const SUPPLEMENTS = '/api/v1/supplements';
const VACCINES = '/api/v1/vaccines';

/** A fresh SKU / code prefix per test (the database is shared by this file's tests). */
const prefix = () =>
  `I${uniqueId('t')
    .slice(-7)
    .replace(/[^A-Z0-9]/g, 'X')}`;

async function admin() {
  return signedInUser({ role: 'admin' });
}

type Client = ReturnType<typeof client>;

function importCsv(token: string, body: BodyInit, options: { mode?: string; base?: string; via?: Client } = {}) {
  const query = options.mode ? `?mode=${options.mode}` : '';
  return (options.via ?? api).post(`${options.base ?? SUPPLEMENTS}/import${query}`, {
    token,
    body,
    headers: { 'content-type': 'text/csv' },
  });
}

function importJson(token: string, json: unknown, options: { mode?: string; base?: string } = {}) {
  const query = options.mode ? `?mode=${options.mode}` : '';
  return api.post(`${options.base ?? SUPPLEMENTS}/import${query}`, { token, json });
}

const supplementsLike = (p: string) =>
  db
    .select()
    .from(supplements)
    .where(like(supplements.sku, `${p}-%`))
    .orderBy(supplements.sku)
    .all();
const supplementCount = async (p: string) =>
  (await db
    .select({ n: count() })
    .from(supplements)
    .where(like(supplements.sku, `${p}-%`))
    .get())!.n;
const ledgerFor = (ids: string[]) =>
  db.select().from(stockMovements).where(inArray(stockMovements.itemId, ids)).orderBy(stockMovements.itemId).all();
const importAudits = (actorId: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.actorId, actorId), like(auditEvents.action, '%.import')))
    .all();

describe('catalog import: CSV', () => {
  it('Should import a good CSV: rows created, opening stock in the ledger, one audit event with counts', async () => {
    const { user, token } = await admin();
    const p = prefix();
    const csv = [
      'SKU,Name,brand,form,strength,unit, description ,lowStockThreshold,StockQuantity',
      `${p}-a,Vitamin C 500 mg,Acme,tablet,500,mg,"Ascorbic acid, buffered",10,40`,
      `${p}-B,Fish oil,,softgel,,other,,0,`,
      `${p}-C,Zinc, Acme ,tablet,15,mg,"Two`,
      `lines",5,0`,
    ].join('\r\n');
    const res = await importCsv(token, csv);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ mode: 'all-or-nothing', total: 3, created: 3, updated: 0, failed: [] });

    const rows = await supplementsLike(p);
    expect(rows.map((r) => [r.sku, r.name, r.brand, r.strength, r.stockQuantity, r.lowStockThreshold])).toEqual([
      [`${p}-A`, 'Vitamin C 500 mg', 'Acme', 500, 40, 10],
      [`${p}-B`, 'Fish oil', null, null, 0, 0],
      [`${p}-C`, 'Zinc', 'Acme', 15, 0, 5],
    ]);
    expect(rows[0]!.description).toBe('Ascorbic acid, buffered');
    expect(rows[2]!.description).toBe('Two\nlines');

    const ledger = await ledgerFor(rows.map((r) => r.id));
    expect(ledger.map((m) => [m.itemId, m.delta, m.reason, m.balanceAfter, m.actorId])).toEqual([
      [rows[0]!.id, 40, 'received', 40, user.id],
    ]);
    const audits = await importAudits(user.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'supplement.import',
      resourceType: 'supplement',
      metadata: { mode: 'all-or-nothing', total: 3, failed: 0, created: 3, updated: 0 },
    });
    const listed = await api.get(`${SUPPLEMENTS}?search=${p}`, { token });
    expect(listed.body.data.items.map((i: { sku: string }) => i.sku)).toEqual([`${p}-B`, `${p}-A`, `${p}-C`]);
  });

  it('Should refuse an all-bad CSV in both modes, reporting each row, writing nothing', async () => {
    const { user, token } = await admin();
    const p = prefix();
    const csv = `sku,name,form,unit,strength\n${p}-1,,tablet,mg,\n${p}-2,Thing,pill,mg,\n${p}-3,Thing,tablet,kg,1.5\n`;
    const refused = await importCsv(token, csv);
    expect([refused.status, refused.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(refused.body.message).toBe('3 of 3 rows are invalid; nothing was imported');
    const report = refused.body.error.details;
    expect(report).toMatchObject({ mode: 'all-or-nothing', total: 3, created: 0, updated: 0 });
    expect(report.failed.map((f: { row: number; line: number; key: string }) => [f.row, f.line, f.key])).toEqual([
      [1, 2, `${p}-1`],
      [2, 3, `${p}-2`],
      [3, 4, `${p}-3`],
    ]);
    expect(report.failed[0].errors.map((e: { field: string }) => e.field)).toEqual(['name']);
    expect(report.failed[1].errors.map((e: { field: string }) => e.field)).toEqual(['form']);
    expect(report.failed[2].errors.map((e: { field: string }) => e.field).sort()).toEqual(['strength', 'unit']);
    expect(report.failed[2].errors.find((e: { field: string }) => e.field === 'strength').message).toBe(
      'Must be a whole number',
    );
    expect(refused.body.errors[0]).toEqual({ field: 'row 1.name', message: expect.any(String) });

    const validOnly = await importCsv(token, csv, { mode: 'valid-only' });
    expect(validOnly.status).toBe(200);
    expect(validOnly.body.data).toMatchObject({ mode: 'valid-only', total: 3, created: 0, updated: 0 });
    expect(validOnly.body.data.failed).toHaveLength(3);
    expect(await supplementCount(p)).toBe(0);
    expect(await importAudits(user.id)).toEqual([]);
  });

  it('Should handle a mixed CSV: all-or-nothing writes nothing, valid-only writes the good rows; rows and lines as seen', async () => {
    const { user, token } = await admin();
    const p = prefix();
    const csv = [
      'sku,name,form,unit,strength,description,stockQuantity', // line 1
      `${p}-1,Good one,tablet,mg,100,,5`, // line 2, row 1
      '', // line 3
      `${p}-2,Bad one,tablet,mg,abc,"A description`, // line 4, row 2 (a quoted field over two lines)
      `over two lines",`, // line 5
      `${p}-3,Good three,capsule,mg,,,`, // line 6, row 3
      `${p}-1,Duplicate,tablet,mg,,,`, // line 7, row 4
      `${p}-5,Negative,tablet,mg,,,-3`, // line 8, row 5
      ',,,,,,', // line 9: an empty record, skipped
    ].join('\n');
    const expectedFailures = [
      { row: 2, line: 4, key: `${p}-2`, fields: ['strength'] },
      { row: 4, line: 7, key: `${p}-1`, fields: ['sku'] },
      { row: 5, line: 8, key: `${p}-5`, fields: ['stockQuantity'] },
    ];
    const shape = (failed: { row: number; line: number; key: string; errors: { field: string }[] }[]) =>
      failed.map((f) => ({ row: f.row, line: f.line, key: f.key, fields: f.errors.map((e) => e.field) }));

    const refused = await importCsv(token, csv, { mode: 'all-or-nothing' });
    expect(refused.status).toBe(422);
    expect(shape(refused.body.error.details.failed)).toEqual(expectedFailures);
    expect(refused.body.error.details.failed[1].errors[0].message).toBe('Duplicate sku: row 1 of this file has it too');
    expect(await supplementCount(p)).toBe(0);

    const partial = await importCsv(token, csv, { mode: 'valid-only' });
    expect(partial.status).toBe(200);
    expect(partial.body.data).toMatchObject({ mode: 'valid-only', total: 5, created: 2, updated: 0 });
    expect(shape(partial.body.data.failed)).toEqual(expectedFailures);
    const rows = await supplementsLike(p);
    expect(rows.map((r) => [r.sku, r.name, r.stockQuantity])).toEqual([
      [`${p}-1`, 'Good one', 5],
      [`${p}-3`, 'Good three', 0],
    ]);
    expect((await ledgerFor(rows.map((r) => r.id))).map((m) => [m.itemId, m.delta])).toEqual([[rows[0]!.id, 5]]);
    expect((await importAudits(user.id)).map((a) => a.metadata)).toEqual([
      { mode: 'valid-only', total: 5, failed: 3, created: 2, updated: 0 },
    ]);
  });

  it('Should update on re-import: the same file changes nothing; a new count becomes a correction movement', async () => {
    const { token } = await admin();
    const clock = fixedClock(new Date());
    const timed = client({ clock });
    const p = prefix();
    const header = 'sku,name,form,unit,lowStockThreshold,stockQuantity';
    const csv = `${header}\n${p}-1,One,tablet,mg,1,10\n${p}-2,Two,tablet,mg,1,40\n${p}-3,Three,tablet,mg,1,7\n`;
    expect((await importCsv(token, csv, { via: timed })).body.data).toMatchObject({ created: 3, updated: 0 });
    const first = await supplementsLike(p);
    const ids = first.map((r) => r.id);
    // Stock moves through the API meanwhile: 7 → 9 for item 3.
    clock.advance(1000);
    const adjusted = await timed.post(`${SUPPLEMENTS}/${ids[2]}/stock-adjustments`, {
      token,
      json: { delta: 2, reason: 'received' },
    });
    expect(adjusted.status).toBe(201);
    const before = await supplementsLike(p);
    const ledgerBefore = await ledgerFor(ids);

    clock.advance(60_000);
    const again = await importCsv(token, csv.replace(`${p}-3,Three,tablet,mg,1,7`, `${p}-3,Three,tablet,mg,1,9`), {
      via: timed,
    });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ mode: 'all-or-nothing', total: 3, created: 0, updated: 3, failed: [] });
    expect(await supplementsLike(p)).toEqual(before);
    expect(await ledgerFor(ids)).toEqual(ledgerBefore);

    clock.advance(60_000);
    const changed = `${header}\n${p}-1,One renamed,tablet,mg,1,10\n${p}-2,Two,tablet,mg,1,25\n${p}-3,Three,tablet,mg,1,\n`;
    const res = await importCsv(token, changed, { via: timed });
    expect(res.body.data).toMatchObject({ created: 0, updated: 3, failed: [] });
    const after = await supplementsLike(p);
    expect(after.map((r) => [r.id, r.name, r.stockQuantity])).toEqual([
      [ids[0], 'One renamed', 10],
      [ids[1], 'Two', 25],
      [ids[2], 'Three', 9],
    ]);
    const now = clock.now().getTime();
    expect(after.map((r) => r.updatedAt)).toEqual([now, now, before[2]!.updatedAt]);
    expect(after.map((r) => r.createdAt)).toEqual(first.map((r) => r.createdAt));
    const ledger = await ledgerFor(ids);
    const corrections = ledger.filter((m) => m.reason === 'correction');
    expect(corrections.map((m) => [m.itemId, m.delta, m.balanceAfter])).toEqual([[ids[1], -15, 25]]);
    for (const row of after) {
      const total = ledger.filter((m) => m.itemId === row.id).reduce((s, m) => s + m.delta, 0);
      expect(total, row.sku).toBe(row.stockQuantity);
    }
  });

  it('Should import vaccines from CSV with ";"-separated diseases and the vaccine rules', async () => {
    const { token } = await admin();
    const p = prefix();
    const csv = [
      'code,name,manufacturer,diseases,dosesInSeries,intervalDays,minAgeMonths,maxAgeMonths,stockQuantity',
      `${p}-MMR,MMR II,Merck,measles; mumps;rubella,2,28,12,,30`,
      `${p}-FLU,Influenza,,influenza,1,0,6,,`,
      `${p}-BAD,Broken,,tetanus,1,30,24,12,`,
      `${p}-NONE,No disease,,,1,0,,,`,
    ].join('\n');
    const res = await importCsv(token, csv, { base: VACCINES, mode: 'valid-only' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ created: 2, updated: 0 });
    expect(
      res.body.data.failed.map((f: { row: number; errors: { field: string }[] }) => [
        f.row,
        f.errors.map((e) => e.field).sort(),
      ]),
    ).toEqual([
      [3, ['intervalDays', 'maxAgeMonths']],
      [4, ['diseases']],
    ]);
    const rows = await db
      .select()
      .from(vaccines)
      .where(like(vaccines.code, `${p}-%`))
      .orderBy(vaccines.code)
      .all();
    expect(rows.map((r) => [r.code, r.diseases, r.dosesInSeries, r.intervalDays, r.stockQuantity])).toEqual([
      [`${p}-FLU`, ['influenza'], 1, 0, 0],
      [`${p}-MMR`, ['measles', 'mumps', 'rubella'], 2, 28, 30],
    ]);
    const filtered = await api.get(`${VACCINES}?search=${p}&disease=Mumps`, { token });
    expect(filtered.body.data.items.map((v: { code: string }) => v.code)).toEqual([`${p}-MMR`]);
    const again = await importCsv(token, csv.split('\n').slice(0, 3).join('\n'), { base: VACCINES });
    expect(again.body.data).toMatchObject({ created: 0, updated: 2 });
    const ledger = await ledgerFor(rows.map((r) => r.id));
    expect(ledger.map((m) => [m.itemType, m.delta, m.reason])).toEqual([['vaccine', 30, 'received']]);
  });
});

describe('catalog import: malformed files and transport', () => {
  it('Should refuse malformed CSV files whole with 422 and clear errors, in both modes, writing nothing', async () => {
    const { user, token } = await admin();
    const p = prefix();
    const head = 'sku,name,form,unit';
    const cases: [BodyInit, string][] = [
      [`${head}\n${p}-1,"Unclosed,tablet,mg\n${p}-2,Fine,tablet,mg\n`, 'Line 2: Quoted field unterminated'],
      [
        `${head}\n${p}-1,Fine,tablet,mg\n${p}-2,Extra,tablet,mg,oops\n`,
        'Line 3: Too many fields: expected 4 fields but parsed 5',
      ],
      [`${head}\n${p}-1,Short,tablet\n`, 'Line 2: Too few fields: expected 4 fields but parsed 3'],
      [`${head},colour\n${p}-1,A,tablet,mg,red\n`, 'Unknown column "colour"'],
      [`sku,name,form\n${p}-1,A,tablet\n`, 'Missing column "unit"'],
      [`${head},name\n${p}-1,A,tablet,mg,B\n`, 'Column "name" appears more than once in the header'],
      [`${head},\n${p}-1,A,tablet,mg,\n`, 'Column 5 of the header has no name'],
      ['', 'The file is empty'],
      ['\n \n\n', 'The file is empty'],
      [`${head}\n`, 'The file has a header but no data rows'],
      [SAMPLE.png(), 'The file is not UTF-8 text'],
      [new Uint8Array([0x73, 0x6b, 0x75, 0x0a, 0x00, 0x01]), 'The file is binary (it contains NUL bytes)'],
      [new Uint8Array([0x73, 0x6b, 0x75, 0x0a, 0xc3, 0x28]), 'The file is not UTF-8 text'],
    ];
    for (const mode of ['all-or-nothing', 'valid-only']) {
      for (const [body, message] of cases) {
        const res = await importCsv(token, body, { mode });
        const label = `${mode}: ${message}`;
        expect([label, res.status, res.body.error?.code]).toEqual([label, 422, 'VALIDATION_FAILED']);
        expect(res.body.message, label).toBe('The file cannot be imported');
        expect(
          res.body.errors.every((e: { field: string }) => e.field === 'file'),
          label,
        ).toBe(true);
        expect(res.body.errors.map((e: { message: string }) => e.message).join(' | '), label).toContain(message);
      }
    }
    expect(await supplementCount(p)).toBe(0);
    expect(await importAudits(user.id)).toEqual([]);
  });

  it('Should answer 415 for other media types, 400 for malformed JSON and 422 for a wrong JSON shape or mode', async () => {
    const { token } = await admin();
    const p = prefix();
    const row = { sku: `${p}-1`, name: 'A', form: 'tablet', unit: 'mg' };
    const mediaTypes: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      {},
    ];
    for (const headers of mediaTypes) {
      const res = await api.post(`${SUPPLEMENTS}/import`, {
        token,
        body: `sku,name,form,unit\n${p}-1,A,tablet,mg`,
        headers,
      });
      expect([res.status, res.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    const form = new FormData();
    form.append('file', new Blob(['sku,name,form,unit\n']), 'x.csv');
    expect((await api.post(`${SUPPLEMENTS}/import`, { token, body: form })).status).toBe(415);

    const broken = await api.post(`${SUPPLEMENTS}/import`, {
      token,
      body: '{"items": [',
      headers: { 'content-type': 'application/json' },
    });
    expect([broken.status, broken.body.error.code]).toEqual([400, 'INVALID_JSON']);
    for (const json of [{ rows: [row] }, { items: row }, { items: [row], mode: 'x' }, 'text', 42]) {
      const res = await importJson(token, json);
      expect([JSON.stringify(json).slice(0, 40), res.status]).toEqual([JSON.stringify(json).slice(0, 40), 422]);
      expect(res.body.errors[0].field).toBe('items');
    }
    const empty = await importJson(token, { items: [] });
    expect([empty.status, empty.body.errors[0].message]).toEqual([422, 'The file has no rows']);
    const badMode = await importJson(token, [row], { mode: 'best-effort' });
    expect([badMode.status, badMode.body.errors[0].field]).toEqual([422, 'mode']);
    expect(await supplementCount(p)).toBe(0);
  });

  it('Should refuse more than 10,000 rows (422) and more than 5 MiB (413)', async () => {
    const { token } = await admin();
    const p = prefix();
    const tooMany = await importCsv(token, sampleSupplementCsv(10_001, { prefix: p, stock: false }));
    expect([tooMany.status, tooMany.body.errors[0].message]).toEqual([
      422,
      'At most 10000 rows per import; split the file',
    ]);
    const manyJson = await importJson(
      token,
      Array.from({ length: 10_001 }, (_, i) => ({ sku: `${p}-${i}`, name: 'x', form: 'tablet', unit: 'mg' })),
    );
    expect([manyJson.status, manyJson.body.errors[0].message]).toEqual([
      422,
      'At most 10000 rows per import; split the file',
    ]);
    const huge = `sku,name,form,unit,description\n${p}-1,A,tablet,mg,${'x'.repeat(5 * 1024 * 1024)}\n`;
    const tooBig = await importCsv(token, huge);
    expect([tooBig.status, tooBig.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await supplementCount(p)).toBe(0);
  });
});

describe('catalog import: JSON', () => {
  it('Should import good JSON ({ items } and a bare array) and upsert it again', async () => {
    const { user, token } = await admin();
    const p = prefix();
    const items = [
      { sku: `${p}-1`, name: 'Biotin', form: 'capsule', strength: 5000, unit: 'mcg', stockQuantity: 12 },
      { sku: `${p}-2`, name: 'Iron', brand: 'Acme', form: 'tablet', unit: 'mg', description: 'Ferrous bisglycinate' },
    ];
    const res = await importJson(token, { items });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ mode: 'all-or-nothing', total: 2, created: 2, updated: 0, failed: [] });
    const rows = await supplementsLike(p);
    expect(rows.map((r) => [r.name, r.strength, r.brand, r.stockQuantity])).toEqual([
      ['Biotin', 5000, null, 12],
      ['Iron', null, 'Acme', 0],
    ]);
    const bare = await importJson(token, [{ ...items[1], brand: null }]);
    expect(bare.body.data).toMatchObject({ created: 0, updated: 1 });
    expect((await supplementsLike(p))[1]!.brand).toBeNull();
    expect((await importAudits(user.id)).map((a) => a.metadata)).toEqual([
      { mode: 'all-or-nothing', total: 2, failed: 0, created: 2, updated: 0 },
      { mode: 'all-or-nothing', total: 1, failed: 0, created: 0, updated: 1 },
    ]);
  });

  it('Should report bad JSON rows by 1-based position: none written in all-or-nothing, good ones in valid-only', async () => {
    const { token } = await admin();
    const p = prefix();
    const items = [
      { sku: `${p}-1`, name: 'Good', form: 'tablet', unit: 'mg' },
      'not an object',
      { sku: `${p}-3`, name: 'Unknown key', form: 'tablet', unit: 'mg', price: 3 },
      { sku: `${p}-4`, name: 'Wrong types', form: 'tablet', unit: 'mg', strength: '50', lowStockThreshold: -1 },
      { sku: `${p}-5`, name: 'Good too', form: 'powder', unit: 'g', stockQuantity: 3 },
      { sku: 42, name: 'Bad key', form: 'tablet', unit: 'mg' },
    ];
    const expected = [
      [2, undefined, ['row']],
      [3, `${p}-3`, ['price']],
      [4, `${p}-4`, ['strength', 'lowStockThreshold']],
      [6, undefined, ['sku']],
    ];
    const shape = (failed: { row: number; line?: number; key?: string; errors: { field: string }[] }[]) =>
      failed.map((f) => [f.row, f.key, f.errors.map((e) => e.field)]);
    const refused = await importJson(token, { items });
    expect(refused.status).toBe(422);
    expect(shape(refused.body.error.details.failed)).toEqual(expected);
    expect(refused.body.error.details.failed.every((f: { line?: number }) => f.line === undefined)).toBe(true);
    expect(await supplementCount(p)).toBe(0);

    const partial = await importJson(token, items, { mode: 'valid-only' });
    expect(partial.status).toBe(200);
    expect(partial.body.data).toMatchObject({ total: 6, created: 2, updated: 0 });
    expect(shape(partial.body.data.failed)).toEqual(expected);
    expect((await supplementsLike(p)).map((r) => [r.name, r.stockQuantity])).toEqual([
      ['Good', 0],
      ['Good too', 3],
    ]);
  });

  it('Should import vaccines from a JSON array with disease lists', async () => {
    const { token } = await admin();
    const p = prefix();
    const res = await importJson(
      token,
      [
        {
          code: `${p}-HPV`,
          name: 'HPV 9-valent',
          diseases: ['HPV'],
          dosesInSeries: 2,
          intervalDays: 180,
          minAgeMonths: 108,
        },
        { code: `${p}-X`, name: 'Bad', diseases: 'tetanus' },
      ],
      { base: VACCINES, mode: 'valid-only' },
    );
    expect(res.body.data).toMatchObject({ created: 1, updated: 0 });
    expect(res.body.data.failed).toEqual([
      { row: 2, key: `${p}-X`, errors: [{ field: 'diseases', message: expect.any(String) }] },
    ]);
    const row = await db
      .select()
      .from(vaccines)
      .where(eq(vaccines.code, `${p}-HPV`))
      .get();
    expect(row).toMatchObject({ diseases: ['HPV'], intervalDays: 180, minAgeMonths: 108, stockQuantity: 0 });
  });
});

describe('catalog import: size', () => {
  it('Should import a generated 5,000-row CSV in one request, and re-import it as 5,000 updates', {
    timeout: 120_000,
  }, async () => {
    const { user, token } = await admin();
    const p = prefix();
    const csv = sampleSupplementCsv(5000, { prefix: p });
    const started = performance.now();
    const res = await importCsv(token, csv);
    const firstMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ mode: 'all-or-nothing', total: 5000, created: 5000, updated: 0, failed: [] });
    expect(await supplementCount(p)).toBe(5000);

    const stockTotal = async () =>
      Number(
        (await db
          .select({ s: sum(supplements.stockQuantity) })
          .from(supplements)
          .where(like(supplements.sku, `${p}-%`))
          .get())!.s,
      );
    const ledger = async () =>
      (await db
        .select({ n: count(), s: sum(stockMovements.delta) })
        .from(stockMovements)
        .innerJoin(supplements, eq(supplements.id, stockMovements.itemId))
        .where(like(supplements.sku, `${p}-%`))
        .get())!;
    const withStock = Array.from({ length: 5000 }, (_, i) => (i + 1) % 200).filter((n) => n > 0).length;
    expect(await ledger()).toEqual({ n: withStock, s: String(await stockTotal()) });

    const again = performance.now();
    const second = await importCsv(token, csv);
    const secondMs = performance.now() - again;
    expect(second.body.data).toMatchObject({ created: 0, updated: 5000, failed: [] });
    expect(await supplementCount(p)).toBe(5000);
    expect((await ledger()).n).toBe(withStock);
    expect((await importAudits(user.id)).map((a) => a.metadata)).toEqual([
      { mode: 'all-or-nothing', total: 5000, failed: 0, created: 5000, updated: 0 },
      { mode: 'all-or-nothing', total: 5000, failed: 0, created: 0, updated: 5000 },
    ]);
    console.log(
      `5,000-row CSV (${(csv.length / 1024).toFixed(0)} KiB): import ${firstMs.toFixed(0)} ms, re-import ${secondMs.toFixed(0)} ms`,
    );
    expect(firstMs).toBeLessThan(30_000);

    const vaccinesCsv = sampleVaccineCsv(5000, { prefix: p });
    const vac = await importCsv(token, vaccinesCsv, { base: VACCINES });
    expect(vac.body.data).toMatchObject({ created: 5000, failed: [] });
    expect(
      (await db
        .select({ n: count() })
        .from(vaccines)
        .where(like(vaccines.code, `${p}-%`))
        .get())!.n,
    ).toBe(5000);
  });
});
