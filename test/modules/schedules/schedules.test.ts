import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, doses, schedules, supplements, type UserRow, userProfiles } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type CallOptions, client, createUser, db, signedInUser, tokenFor, uniqueId } from '../../helpers';

const SCHEDULES = '/api/v1/schedules';
const DOSES = '/api/v1/doses';

const METFORMIN = {
  kind: 'medicine',
  medicineName: 'Metformin',
  dosage: '500 mg',
  quantityPerDose: 2,
  timesOfDay: ['20:00', '08:00'],
  timeZone: 'Europe/Lisbon',
  recurrence: { type: 'interval', everyNDays: 1 },
  startDate: '2026-06-01',
  notes: 'With food',
};

/** A client on a fixed clock acting as `user`, with a token minted at the clock's time for each call. */
function actingAs(user: UserRow, clock: ReturnType<typeof fixedClock>) {
  const api = client({ clock });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token: await tokenFor(user, clock.now()) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, json?: unknown) => call('POST', path, json === undefined ? {} : { json }),
    patch: (path: string, json: unknown) => call('PATCH', path, { json }),
    delete: (path: string) => call('DELETE', path),
  };
}

async function insertSupplement(name = 'Vitamin D3 1000 IU') {
  const now = Date.now();
  const row = {
    id: uniqueId('sup'),
    sku: uniqueId('SKU'),
    name,
    form: 'softgel' as const,
    unit: 'IU' as const,
    strength: 1000,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(supplements).values(row);
  return row;
}

const scheduleRow = (id: string) => db.select().from(schedules).where(eq(schedules.id, id)).get();
const schedulesOf = (ownerId: string) => db.select().from(schedules).where(eq(schedules.ownerId, ownerId)).all();
const dosesOf = (scheduleId: string) =>
  db.select().from(doses).where(eq(doses.scheduleId, scheduleId)).orderBy(asc(doses.scheduledAt)).all();
const auditOf = (resourceId: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.resourceId, resourceId)).orderBy(asc(auditEvents.at)).all();
const fields = (res: { body: any }) => (res.body.errors ?? []).map((e: { field: string }) => e.field);

describe('schedules: create and read', () => {
  it('Should create a medicine schedule (201), store it, generate 30 days of doses from now on, and audit ids only', async () => {
    const clock = fixedClock('2026-06-01T10:00:00Z'); // 11:00 in Lisbon: today's 08:00 is past
    const user = await createUser();
    const me = actingAs(user, clock);
    const res = await me.post(SCHEDULES, METFORMIN);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const created = res.body.data;
    expect(created).toMatchObject({
      kind: 'medicine',
      name: 'Metformin',
      supplementId: null,
      medicineName: 'Metformin',
      dosage: '500 mg',
      quantityPerDose: 2,
      timesOfDay: ['08:00', '20:00'],
      timeZone: 'Europe/Lisbon',
      recurrence: { type: 'interval', everyNDays: 1 },
      startDate: '2026-06-01',
      endDate: null,
      notes: 'With food',
      status: 'active',
      source: 'user',
      createdAt: '2026-06-01T10:00:00.000Z',
    });
    expect(created.id).toMatch(/^sch_[0-9A-Z]{26}$/);
    expect(await scheduleRow(created.id)).toMatchObject({ ownerId: user.id, timesOfDay: ['08:00', '20:00'] });

    const rows = await dosesOf(created.id);
    // 2026-06-01 20:00, then 2026-06-02 … 2026-07-01 twice a day.
    expect(rows).toHaveLength(1 + 30 * 2);
    expect(rows[0]).toMatchObject({ localDate: '2026-06-01', localTime: '20:00', status: 'pending', ownerId: user.id });
    expect(new Date(rows[0]!.scheduledAt).toISOString()).toBe('2026-06-01T19:00:00.000Z'); // WEST = UTC+1
    expect(rows.at(-1)).toMatchObject({ localDate: '2026-07-01', localTime: '20:00' });
    expect(rows.every((d) => d.id.startsWith('dos_'))).toBe(true);

    const audit = await auditOf(created.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'schedule.create', actorId: user.id, patientId: user.id });
    expect(JSON.stringify(audit[0])).not.toMatch(/Metformin|500 mg|food/);

    const got = await me.get(`${SCHEDULES}/${created.id}`);
    expect([got.status, got.body.data]).toEqual([200, created]);
  });

  it('Should create a supplement schedule named after its catalog item, and refuse an unknown one with 422', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const vitaminD = await insertSupplement();
    const body = {
      kind: 'supplement',
      supplementId: vitaminD.id,
      timesOfDay: ['09:00'],
      timeZone: 'UTC',
      recurrence: { type: 'weekly', daysOfWeek: [7, 1] },
    };
    const res = await me.post(SCHEDULES, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({
      kind: 'supplement',
      name: vitaminD.name,
      supplementId: vitaminD.id,
      medicineName: null,
      dosage: null,
      quantityPerDose: 1,
      recurrence: { type: 'weekly', daysOfWeek: [1, 7] },
      startDate: '2026-06-01', // defaults to today in the zone
    });

    const unknown = await me.post(SCHEDULES, { ...body, supplementId: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });
    expect([unknown.status, unknown.body.error.code, fields(unknown)]).toEqual([
      422,
      'VALIDATION_FAILED',
      ['supplementId'],
    ]);
    expect(await schedulesOf(user.id)).toHaveLength(1);
  });

  it('Should take the time zone from the profile when omitted, and refuse with 422 when there is none', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const { timeZone: _zone, ...body } = METFORMIN;
    const none = await me.post(SCHEDULES, body);
    expect([none.status, fields(none)]).toEqual([422, ['timeZone']]);
    expect(await schedulesOf(user.id)).toEqual([]);

    await db.insert(userProfiles).values({ userId: user.id, timeZone: 'Asia/Tokyo', updatedAt: Date.now() });
    const res = await me.post(SCHEDULES, body);
    expect([res.status, res.body.data.timeZone]).toEqual([201, 'Asia/Tokyo']);
    // A zone is stored in its canonical spelling.
    const lower = await me.post(SCHEDULES, { ...body, timeZone: 'europe/lisbon' });
    expect(lower.body.data.timeZone).toBe('Europe/Lisbon');
  });

  it('Should refuse bad bodies with 422 naming the field, and store nothing', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const other = await createUser();
    const me = actingAs(user, clock);
    const cases: [unknown, string][] = [
      [{ ...METFORMIN, timesOfDay: ['25:00'] }, 'timesOfDay.0'],
      [{ ...METFORMIN, timesOfDay: ['8:00'] }, 'timesOfDay.0'],
      [{ ...METFORMIN, timesOfDay: ['08:00', '12:60'] }, 'timesOfDay.1'],
      [{ ...METFORMIN, timesOfDay: ['08:00', '08:00'] }, 'timesOfDay'],
      [{ ...METFORMIN, timesOfDay: [] }, 'timesOfDay'],
      [
        { ...METFORMIN, timesOfDay: Array.from({ length: 13 }, (_, i) => `${String(i + 8).padStart(2, '0')}:00`) },
        'timesOfDay',
      ],
      [{ ...METFORMIN, timesOfDay: undefined }, 'timesOfDay'],
      [{ ...METFORMIN, timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ ...METFORMIN, timeZone: '+01:00' }, 'timeZone'],
      [{ ...METFORMIN, recurrence: { type: 'weekly', daysOfWeek: [0, 3] } }, 'recurrence.daysOfWeek.0'],
      [{ ...METFORMIN, recurrence: { type: 'weekly', daysOfWeek: [1, 8] } }, 'recurrence.daysOfWeek.1'],
      [{ ...METFORMIN, recurrence: { type: 'weekly', daysOfWeek: [] } }, 'recurrence.daysOfWeek'],
      [{ ...METFORMIN, recurrence: { type: 'weekly', daysOfWeek: [2, 2] } }, 'recurrence.daysOfWeek'],
      [{ ...METFORMIN, recurrence: { type: 'interval', everyNDays: 0 } }, 'recurrence.everyNDays'],
      [{ ...METFORMIN, recurrence: { type: 'interval', everyNDays: 1.5 } }, 'recurrence.everyNDays'],
      [{ ...METFORMIN, recurrence: { type: 'monthly', day: 1 } }, 'recurrence.type'],
      [{ ...METFORMIN, recurrence: { type: 'interval', everyNDays: 2, daysOfWeek: [1] } }, 'recurrence.daysOfWeek'],
      [{ ...METFORMIN, startDate: '2026-06-10', endDate: '2026-06-09' }, 'endDate'],
      [{ ...METFORMIN, startDate: '2026-02-30' }, 'startDate'],
      [{ ...METFORMIN, medicineName: undefined }, 'medicineName'],
      [{ ...METFORMIN, medicineName: '   ' }, 'medicineName'],
      [{ ...METFORMIN, supplementId: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'supplementId'],
      [{ ...METFORMIN, kind: 'supplement', medicineName: undefined, dosage: undefined }, 'supplementId'],
      [{ ...METFORMIN, kind: 'vitamin' }, 'kind'],
      [{ ...METFORMIN, quantityPerDose: 0 }, 'quantityPerDose'],
      [{ ...METFORMIN, quantityPerDose: 101 }, 'quantityPerDose'],
      [{ ...METFORMIN, notes: 'n'.repeat(2001) }, 'notes'],
      [{ ...METFORMIN, ownerId: other.id }, 'ownerId'],
      [{ ...METFORMIN, status: 'paused' }, 'status'],
      [{ ...METFORMIN, id: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'id'],
    ];
    for (const [json, field] of cases) {
      const res = await me.post(SCHEDULES, json);
      const label = JSON.stringify(json).slice(0, 160);
      expect([res.status, res.body.error?.code], label).toEqual([422, 'VALIDATION_FAILED']);
      expect(fields(res), label).toContain(field);
    }
    expect(await schedulesOf(user.id)).toEqual([]);
    expect(await schedulesOf(other.id)).toEqual([]);
    expect(await db.select().from(doses).where(eq(doses.ownerId, user.id)).all()).toEqual([]);
  });

  it('Should list only my schedules, newest first, filtered by kind and status, paginated', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const stranger = actingAs(await createUser(), clock);
    await stranger.post(SCHEDULES, METFORMIN);
    const vitaminC = await insertSupplement('Vitamin C');
    const ids: string[] = [];
    for (const json of [
      METFORMIN,
      { ...METFORMIN, medicineName: 'Ibuprofen' },
      {
        kind: 'supplement',
        supplementId: vitaminC.id,
        timesOfDay: ['07:00'],
        timeZone: 'UTC',
        recurrence: { type: 'interval', everyNDays: 2 },
      },
    ]) {
      ids.push((await me.post(SCHEDULES, json)).body.data.id);
      clock.advance(1_000);
    }
    await me.post(`${SCHEDULES}/${ids[1]}/pause`);

    const page1 = await me.get(`${SCHEDULES}?limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.data.items.map((s: { name: string }) => s.name)).toEqual(['Vitamin C', 'Ibuprofen']);
    expect(page1.body.data.pagination).toEqual({
      current: 1,
      pages: 2,
      total: 3,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const page2 = await me.get(`${SCHEDULES}?limit=2&page=2`);
    expect(page2.body.data.items.map((s: { id: string }) => s.id)).toEqual([ids[0]]);

    const medicines = await me.get(`${SCHEDULES}?kind=medicine`);
    expect(medicines.body.data.items.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[0]]);
    const paused = await me.get(`${SCHEDULES}?status=paused`);
    expect(paused.body.data.items.map((s: { id: string }) => s.id)).toEqual([ids[1]]);
    const activeSupplements = await me.get(`${SCHEDULES}?kind=supplement&status=active`);
    expect(activeSupplements.body.data.pagination.total).toBe(1);

    expect((await me.get(`${SCHEDULES}?limit=101`)).status).toBe(422);
    expect((await me.get(`${SCHEDULES}?status=deleted`)).status).toBe(422);
  });
});

describe('schedules: other people’s rows', () => {
  it('Should answer 404 for another user’s schedule and doses on every route, changing nothing', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const owner = await createUser();
    const theirs = actingAs(owner, clock);
    const schedule = (await theirs.post(SCHEDULES, METFORMIN)).body.data;
    const before = await scheduleRow(schedule.id);
    const theirDoses = await dosesOf(schedule.id);
    const intruder = actingAs(await createUser(), clock);

    const attempts = [
      await intruder.get(`${SCHEDULES}/${schedule.id}`),
      await intruder.patch(`${SCHEDULES}/${schedule.id}`, { notes: 'mine now' }),
      await intruder.delete(`${SCHEDULES}/${schedule.id}`),
      await intruder.post(`${SCHEDULES}/${schedule.id}/pause`),
      await intruder.post(`${SCHEDULES}/${schedule.id}/resume`),
      await intruder.post(`${DOSES}/${theirDoses[0]!.id}/take`, {}),
      await intruder.post(`${DOSES}/${theirDoses[0]!.id}/skip`, {}),
    ];
    for (const res of attempts) expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    // The same answer as for an id that does not exist at all.
    const missing = await intruder.get(`${SCHEDULES}/sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE`);
    expect([missing.status, missing.body.message]).toEqual([404, attempts[0]!.body.message]);

    expect(await scheduleRow(schedule.id)).toEqual(before);
    expect(await dosesOf(schedule.id)).toEqual(theirDoses);
    const lists = [await intruder.get(SCHEDULES), await intruder.get(`${DOSES}?date=2026-06-02&tz=Europe/Lisbon`)];
    for (const list of lists) expect(list.body.data.items).toEqual([]);
    // A malformed id is a 422, not a lookup.
    expect((await intruder.get(`${SCHEDULES}/not-an-id`)).status).toBe(422);
  });
});

describe('schedules: update', () => {
  it('Should update plain fields without touching doses, audit field names only, and clear with null', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const created = (await me.post(SCHEDULES, { ...METFORMIN, endDate: '2026-12-31' })).body.data;
    const dosesBefore = await dosesOf(created.id);
    clock.advance(60_000);
    const res = await me.patch(`${SCHEDULES}/${created.id}`, {
      medicineName: 'Metformin XR',
      dosage: null,
      quantityPerDose: 1,
      notes: null,
      endDate: '2026-12-31',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({
      ...created,
      name: 'Metformin XR',
      medicineName: 'Metformin XR',
      dosage: null,
      quantityPerDose: 1,
      notes: null,
      updatedAt: '2026-06-01T06:01:00.000Z',
    });
    expect(await dosesOf(created.id)).toEqual(dosesBefore);
    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['schedule.create', 'schedule.update']);
    expect(audit[1]!.metadata).toEqual({
      kind: 'medicine',
      fields: ['medicineName', 'dosage', 'quantityPerDose', 'endDate', 'notes'],
      dosesRegenerated: false,
    });
    // The new medicine name never reaches the audit log (ids may contain any letters, so match the name).
    expect(JSON.stringify(audit[1])).not.toContain('Metformin');
  });

  it('Should refuse unknown keys, fields of the other kind, bad values and empty bodies with 422, changing nothing', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const created = (await me.post(SCHEDULES, { ...METFORMIN, startDate: '2026-06-01' })).body.data;
    const vitamin = await insertSupplement();
    const supplement = (
      await me.post(SCHEDULES, {
        kind: 'supplement',
        supplementId: vitamin.id,
        timesOfDay: ['09:00'],
        timeZone: 'UTC',
        recurrence: { type: 'interval', everyNDays: 1 },
      })
    ).body.data;
    const before = await scheduleRow(created.id);
    const cases: [string, unknown, string][] = [
      [created.id, { status: 'paused' }, 'status'],
      [created.id, { ownerId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'ownerId'],
      [created.id, { kind: 'supplement' }, 'kind'],
      [created.id, { notes: 'ok', source: 'prescription' }, 'source'],
      [created.id, { supplementId: vitamin.id }, 'supplementId'],
      [supplement.id, { medicineName: 'Aspirin' }, 'medicineName'],
      [supplement.id, { supplementId: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'supplementId'],
      [created.id, { timesOfDay: ['25:00'] }, 'timesOfDay.0'],
      [created.id, { timesOfDay: [] }, 'timesOfDay'],
      [created.id, { timeZone: 'Mars/Olympus' }, 'timeZone'],
      [created.id, { recurrence: { type: 'interval', everyNDays: 0 } }, 'recurrence.everyNDays'],
      [created.id, { endDate: '2026-05-31' }, 'endDate'],
      [created.id, { startDate: '2026-08-01', endDate: '2026-07-01' }, 'endDate'],
      [created.id, { medicineName: null }, 'medicineName'],
      [created.id, {}, 'body'],
    ];
    for (const [id, json, field] of cases) {
      const res = await me.patch(`${SCHEDULES}/${id}`, json);
      expect([res.status, fields(res)], JSON.stringify(json)).toEqual([422, [field]]);
    }
    expect(await scheduleRow(created.id)).toEqual(before);
  });

  it('Should replace future pending doses when the times change, keeping past and marked doses', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z'); // 07:00 in Lisbon
    const user = await createUser();
    const me = actingAs(user, clock);
    const created = (await me.post(SCHEDULES, METFORMIN)).body.data;
    const first = await dosesOf(created.id);
    expect(first[0]).toMatchObject({ localDate: '2026-06-01', localTime: '08:00' });
    clock.set('2026-06-01T08:00:00Z'); // 09:00 Lisbon: today's 08:00 is past and still pending
    const tonight = first.find((d) => d.localDate === '2026-06-01' && d.localTime === '20:00')!;
    expect((await me.post(`${DOSES}/${tonight.id}/take`, {})).status).toBe(200); // taken early
    const res = await me.patch(`${SCHEDULES}/${created.id}`, { timesOfDay: ['20:00', '12:00'] });
    expect([res.status, res.body.data.timesOfDay]).toEqual([200, ['12:00', '20:00']]);

    const after = await dosesOf(created.id);
    const today = after.filter((d) => d.localDate === '2026-06-01');
    expect(today.map((d) => [d.localTime, d.status, d.id])).toEqual([
      ['08:00', 'pending', first[0]!.id], // past: untouched
      ['12:00', 'pending', expect.any(String)],
      ['20:00', 'taken', tonight.id], // marked: untouched
    ]);
    const future = after.filter((d) => d.localDate > '2026-06-01');
    expect(future).toHaveLength(30 * 2);
    expect(new Set(future.map((d) => d.localTime))).toEqual(new Set(['12:00', '20:00']));
    expect(after.filter((d) => d.localTime === '08:00')).toHaveLength(1);
    const audit = await auditOf(created.id);
    expect(audit.at(-1)!.metadata).toEqual({ kind: 'medicine', fields: ['timesOfDay'], dosesRegenerated: true });
  });
});

describe('schedules: pause, resume, delete', () => {
  it('Should stop generating doses while paused and generate again from the resume on', async () => {
    const clock = fixedClock('2026-06-01T10:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const created = (await me.post(SCHEDULES, { ...METFORMIN, timeZone: 'UTC' })).body.data;
    expect(await dosesOf(created.id)).toHaveLength(61); // 06-01 20:00 and 30 days × 2
    clock.set('2026-06-01T20:30:00Z'); // tonight's dose is due and still markable

    const paused = await me.post(`${SCHEDULES}/${created.id}/pause`);
    expect([paused.status, paused.body.data.status]).toEqual([200, 'paused']);
    expect((await scheduleRow(created.id))?.status).toBe('paused');
    const left = await dosesOf(created.id);
    expect(left.map((d) => [d.localDate, d.localTime, d.status])).toEqual([['2026-06-01', '20:00', 'pending']]);
    const again = await me.post(`${SCHEDULES}/${created.id}/pause`);
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);

    // A dose already due can still be marked while paused; reading doses generates nothing.
    expect((await me.post(`${DOSES}/${left[0]!.id}/take`, {})).body.data.status).toBe('taken');
    const listed = await me.get(`${DOSES}?from=2026-06-02&to=2026-06-10&tz=UTC`);
    expect([listed.status, listed.body.data.items]).toEqual([200, []]);
    expect(await dosesOf(created.id)).toHaveLength(1);

    clock.set('2026-06-06T10:00:00Z');
    const resumed = await me.post(`${SCHEDULES}/${created.id}/resume`);
    expect([resumed.status, resumed.body.data.status]).toEqual([200, 'active']);
    const regenerated = await dosesOf(created.id);
    expect(regenerated).toHaveLength(1 + 61);
    expect(regenerated.filter((d) => d.localDate > '2026-06-01' && d.localDate < '2026-06-06')).toEqual([]);
    expect(regenerated[1]).toMatchObject({ localDate: '2026-06-06', localTime: '20:00', status: 'pending' });
    const twice = await me.post(`${SCHEDULES}/${created.id}/resume`);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);

    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['schedule.create', 'schedule.pause', 'schedule.resume']);
  });

  it('Should delete a schedule and its future pending doses, keeping due doses for history and adherence', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const created = (await me.post(SCHEDULES, { ...METFORMIN, timeZone: 'UTC' })).body.data;
    const all = await dosesOf(created.id);
    clock.set('2026-06-02T21:00:00Z');
    await me.post(`${DOSES}/${all[0]!.id}/take`, {}); // 06-01 08:00 taken
    await me.post(`${DOSES}/${all[1]!.id}/skip`, {}); // 06-01 20:00 skipped
    // 06-02 08:00 is past its grace (shown missed); 06-02 20:00 is due and still in grace.

    const res = await me.delete(`${SCHEDULES}/${created.id}`);
    expect([res.status, res.body.data]).toEqual([200, { id: created.id }]);
    expect(await scheduleRow(created.id)).toBeUndefined();
    expect((await me.get(`${SCHEDULES}/${created.id}`)).status).toBe(404);
    expect((await me.delete(`${SCHEDULES}/${created.id}`)).status).toBe(404);
    const kept = await dosesOf(created.id);
    expect(kept.map((d) => [d.localDate, d.localTime, d.status])).toEqual([
      ['2026-06-01', '08:00', 'taken'],
      ['2026-06-01', '20:00', 'skipped'],
      ['2026-06-02', '08:00', 'pending'],
      ['2026-06-02', '20:00', 'pending'],
    ]);

    const history = await me.get(`${DOSES}/history?from=2026-06-01&to=2026-06-02&tz=UTC`);
    expect(history.status).toBe(200);
    expect(history.body.data.summary).toEqual({ taken: 1, missed: 1, skipped: 1, pending: 1, adherencePercent: 33.3 });
    expect(history.body.data.items.every((d: { schedule: unknown }) => d.schedule === null)).toBe(true);
    const audit = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, created.id), eq(auditEvents.action, 'schedule.delete')))
      .all();
    expect(audit).toHaveLength(1);
  });
});

describe('schedules: access', () => {
  it('Should refuse anonymous callers with 401', async () => {
    const api = client();
    expect((await api.get(SCHEDULES)).status).toBe(401);
    expect((await api.post(SCHEDULES, { json: METFORMIN })).status).toBe(401);
    expect((await api.get(DOSES)).status).toBe(401);
    const { token } = await signedInUser();
    expect((await api.get(SCHEDULES, { token })).status).toBe(200);
  });
});
