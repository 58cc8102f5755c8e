import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { auditEvents, userProfiles, vaccineSchedules } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { addDays } from '../../../src/lib/time';
import { ageInMonths } from '../../../src/modules/vaccinations/vaccinations.policy';
import { client, db, signedInUser, testEnv } from '../../helpers';
import { seedVaccine } from '../../support/catalog';

/** "Now" for every test: noon UTC on 1 March 2026 (it is already 2 March in UTC+14). */
const NOW = '2026-03-01T12:00:00.000Z';
const clock = fixedClock(NOW);
const api = client({ clock });

const SCHEDULES = '/api/v1/vaccine-schedules';
const DEPENDENTS = '/api/v1/users/me/dependents';
const UNKNOWN_ID = 'vsc_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

async function addDependent(token: string, dateOfBirth = '2025-12-01', name = 'Mia Santos'): Promise<string> {
  const res = await api.post(DEPENDENTS, { token, json: { name, dateOfBirth, relationship: 'child' } });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

async function setBirthDate(userId: string, dateOfBirth: string): Promise<void> {
  await db.insert(userProfiles).values({ userId, dateOfBirth, updatedAt: Date.now() });
}

const rowOf = (id: string) => db.select().from(vaccineSchedules).where(eq(vaccineSchedules.id, id)).get();
const rowsOf = (ownerId: string) =>
  db
    .select()
    .from(vaccineSchedules)
    .where(eq(vaccineSchedules.ownerId, ownerId))
    .orderBy(vaccineSchedules.dueDate)
    .all();
const auditOf = (id: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceType, 'vaccine-schedule'), eq(auditEvents.resourceId, id)))
    // Insertion order: with a fixed clock, events share their timestamp.
    .orderBy(sql`rowid`)
    .all();
const auditsBy = (actorId: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceType, 'vaccine-schedule'), eq(auditEvents.actorId, actorId)))
    .all();
const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

async function createDose(token: string, json: Record<string, unknown>) {
  const res = await api.post(SCHEDULES, { token, json });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.items[0];
}

describe('vaccine schedules: create', () => {
  it('Should schedule one dose for myself, store it and audit it with ids only', async () => {
    const { user, token } = await signedInUser();
    const vaccine = await seedVaccine();
    const res = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: vaccine.id, doseNumber: 2, dueDate: '2026-04-10', notes: 'Ask about fever' },
    });
    expect(res.status).toBe(201);
    expect(res.body.message).toBe('Vaccine dose scheduled');
    expect(res.body.data.warnings).toEqual([]);
    const [item] = res.body.data.items;
    expect(item).toEqual({
      id: expect.stringMatching(/^vsc_[0-9A-Z]{26}$/),
      vaccineId: vaccine.id,
      vaccine: { code: vaccine.code, name: 'DTaP', dosesInSeries: 3 },
      person: { type: 'self' },
      doseNumber: 2,
      dueDate: '2026-04-10',
      status: 'scheduled',
      active: true,
      administeredOn: null,
      administeredPlace: null,
      lotNumber: null,
      notes: 'Ask about fever',
      warnings: [],
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(await rowOf(item.id)).toMatchObject({
      ownerId: user.id,
      dependentId: null,
      vaccineId: vaccine.id,
      doseNumber: 2,
      dueDate: '2026-04-10',
      status: 'scheduled',
      active: true,
    });
    const audit = await auditOf(item.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'vaccine_schedule.create',
      actorId: user.id,
      patientId: user.id,
      outcome: 'success',
      metadata: { dependentId: null, vaccineId: vaccine.id, doseNumber: 2, series: false },
    });
    expect(JSON.stringify(audit[0])).not.toContain('fever');
    expect(JSON.stringify(audit[0])).not.toContain('DTaP');

    const got = await api.get(`${SCHEDULES}/${item.id}`, { token });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(item);
  });

  it('Should schedule a dose for my dependent, naming the person, with the owner as audit patient', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token);
    const vaccine = await seedVaccine();
    const item = await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2026-03-20' });
    expect(item.person).toEqual({ type: 'dependent', dependentId, name: 'Mia Santos' });
    expect(await rowOf(item.id)).toMatchObject({ ownerId: user.id, dependentId, doseNumber: 1 });
    const [audit] = await auditOf(item.id);
    expect(audit).toMatchObject({
      action: 'vaccine_schedule.create',
      patientId: user.id,
      metadata: { dependentId, vaccineId: vaccine.id, doseNumber: 1, series: false },
    });
    expect(JSON.stringify(audit)).not.toContain('Mia');
    // The same dose for me (and for another account) is another person's dose, not a duplicate.
    await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-03-20' });
    await createDose(token, { vaccineId: vaccine.id, dependentId: null, doseNumber: 2, dueDate: '2026-04-20' });
    const other = await signedInUser();
    await createDose(other.token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-03-20' });
    expect((await rowsOf(user.id)).map((r) => [r.dependentId, r.doseNumber])).toEqual([
      [dependentId, 1],
      [null, 1],
      [null, 2],
    ]);
  });

  it('Should create the whole series 28 days apart in one batch, with one audit event per dose', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token);
    const vaccine = await seedVaccine({ dosesInSeries: 3, intervalDays: 28 });
    const batch = vi.spyOn(testEnv.DB, 'batch');
    const res = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: vaccine.id, dependentId, firstDueDate: '2026-01-30', series: true },
    });
    expect(res.status).toBe(201);
    expect(batch).toHaveBeenCalledTimes(1);
    expect(res.body.message).toBe('Vaccine series scheduled');
    const items = res.body.data.items;
    expect(items.map((i: { doseNumber: number; dueDate: string }) => [i.doseNumber, i.dueDate])).toEqual([
      [1, '2026-01-30'],
      [2, '2026-02-27'],
      [3, '2026-03-27'],
    ]);
    const rows = await rowsOf(user.id);
    expect(rows.map((r) => [r.id, r.dependentId, r.doseNumber, r.dueDate, r.status, r.active])).toEqual(
      items.map((i: { id: string; doseNumber: number; dueDate: string }) => [
        i.id,
        dependentId,
        i.doseNumber,
        i.dueDate,
        'scheduled',
        true,
      ]),
    );
    for (const item of items) {
      expect((await auditOf(item.id)).map((a) => [a.action, a.metadata])).toEqual([
        ['vaccine_schedule.create', { dependentId, vaccineId: vaccine.id, doseNumber: item.doseNumber, series: true }],
      ]);
    }
  });

  it('Should create a single-dose series as one dose, and a 0-day interval on the same date', async () => {
    const { token } = await signedInUser();
    const single = await seedVaccine({ dosesInSeries: 1, intervalDays: 0 });
    const res = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: single.id, firstDueDate: '2026-05-01', series: true },
    });
    expect(res.body.data.items.map((i: { dueDate: string }) => i.dueDate)).toEqual(['2026-05-01']);
    const twin = await seedVaccine({ dosesInSeries: 2, intervalDays: 0 });
    const both = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: twin.id, firstDueDate: '2026-05-01', series: true },
    });
    expect(both.body.data.items.map((i: { dueDate: string }) => i.dueDate)).toEqual(['2026-05-01', '2026-05-01']);
  });

  it('Should refuse a duplicate dose with 409 CONFLICT and a series overlapping an existing dose, writing nothing', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token);
    const vaccine = await seedVaccine();
    const dose2 = await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 2, dueDate: '2026-04-01' });

    const again = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: vaccine.id, dependentId, doseNumber: 2, dueDate: '2026-05-01' },
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(again.body.error.details).toEqual({ doseNumbers: [2] });

    const series = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: vaccine.id, dependentId, firstDueDate: '2026-03-10', series: true },
    });
    expect([series.status, series.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await rowsOf(user.id)).map((r) => r.id)).toEqual([dose2.id]);
    expect(await auditsBy(user.id)).toHaveLength(1);
  });

  it('Should let only one of two parallel identical series through', async () => {
    const { user, token } = await signedInUser();
    const vaccine = await seedVaccine();
    const json = { vaccineId: vaccine.id, firstDueDate: '2026-03-10', series: true };
    const results = await Promise.all([api.post(SCHEDULES, { token, json }), api.post(SCHEDULES, { token, json })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await rowsOf(user.id)).toHaveLength(3);
    expect(await auditsBy(user.id)).toHaveLength(3);
  });

  it('Should refuse bad bodies with 422 naming the field, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const other = await signedInUser();
    const vaccine = await seedVaccine({ dosesInSeries: 3 });
    const one = { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-04-01' };
    const plan = { vaccineId: vaccine.id, firstDueDate: '2026-04-01', series: true };
    const cases: [unknown, string][] = [
      [{ ...one, ownerId: other.user.id }, 'ownerId'],
      [{ ...one, status: 'administered' }, 'status'],
      [{ ...one, active: false }, 'active'],
      [{ ...one, administeredOn: '2026-02-01' }, 'administeredOn'],
      [{ ...one, id: UNKNOWN_ID }, 'id'],
      [{ ...plan, ownerId: other.user.id }, 'ownerId'],
      [{ ...plan, doseNumber: 1 }, 'doseNumber'],
      [{ ...one, firstDueDate: '2026-04-01' }, 'firstDueDate'],
      [{ ...one, doseNumber: 0 }, 'doseNumber'],
      [{ ...one, doseNumber: 4 }, 'doseNumber'],
      [{ ...one, doseNumber: 1.5 }, 'doseNumber'],
      [{ ...one, doseNumber: '1' }, 'doseNumber'],
      [{ ...one, doseNumber: undefined }, 'doseNumber'],
      [{ ...one, dueDate: undefined }, 'dueDate'],
      [{ ...one, dueDate: '2026-02-30' }, 'dueDate'],
      [{ ...one, dueDate: '01/04/2026' }, 'dueDate'],
      [{ ...one, dueDate: '2026-04-01T10:00:00Z' }, 'dueDate'],
      [{ ...one, dueDate: 20260401 }, 'dueDate'],
      [{ ...one, dueDate: '1899-12-31' }, 'dueDate'],
      [{ ...one, dueDate: '2200-01-01' }, 'dueDate'],
      [{ ...plan, firstDueDate: '2026-13-01' }, 'firstDueDate'],
      [{ ...plan, firstDueDate: undefined }, 'firstDueDate'],
      [{ ...plan, series: 'yes' }, 'series'],
      [{ ...one, vaccineId: 'DTAP' }, 'vaccineId'],
      [{ ...one, vaccineId: 'sup_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'vaccineId'],
      [{ ...one, vaccineId: undefined }, 'vaccineId'],
      [{ ...one, dependentId: 'dep_nope' }, 'dependentId'],
      [{ ...one, notes: 'n'.repeat(2001) }, 'notes'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(SCHEDULES, { token, json });
      const label = JSON.stringify(json).slice(0, 120);
      expect(res.status, label).toBe(422);
      expect(res.body.error.code, label).toBe('VALIDATION_FAILED');
      expect(fieldsOf(res.body), label).toContain(field);
    }
    expect(await rowsOf(user.id)).toEqual([]);
    expect(await rowsOf(other.user.id)).toEqual([]);
    expect(await auditsBy(user.id)).toEqual([]);
  });

  it('Should answer 400 for malformed JSON and 415 for another media type', async () => {
    const { token } = await signedInUser();
    const bad = await api.post(SCHEDULES, {
      token,
      body: '{"vaccineId":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    const text = await api.post(SCHEDULES, { token, body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it("Should answer 404 for an unknown vaccine and for another user's dependent, storing nothing", async () => {
    const { user, token } = await signedInUser();
    const stranger = await signedInUser();
    const strangersChild = await addDependent(stranger.token);
    const vaccine = await seedVaccine();
    const unknownVaccine = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE', doseNumber: 1, dueDate: '2026-04-01' },
    });
    expect([unknownVaccine.status, unknownVaccine.body.message]).toEqual([404, 'Vaccine not found']);
    for (const json of [
      { vaccineId: vaccine.id, dependentId: strangersChild, doseNumber: 1, dueDate: '2026-04-01' },
      { vaccineId: vaccine.id, dependentId: strangersChild, firstDueDate: '2026-04-01', series: true },
    ]) {
      const res = await api.post(SCHEDULES, { token, json });
      expect([res.status, res.body.error.code, res.body.message]).toEqual([404, 'NOT_FOUND', 'Dependent not found']);
    }
    expect(await rowsOf(user.id)).toEqual([]);
    expect(await rowsOf(stranger.user.id)).toEqual([]);
  });

  it('Should allow past due dates (catch-up records) but not before the person was born', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token, '2025-12-01');
    const vaccine = await seedVaccine();
    await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2025-12-15' });
    for (const json of [
      { vaccineId: vaccine.id, dependentId, doseNumber: 2, dueDate: '2025-11-30' },
      { vaccineId: vaccine.id, dependentId, firstDueDate: '2025-11-30', series: true },
    ]) {
      const res = await api.post(SCHEDULES, { token, json });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].message).toBe("Must not be before the person's date of birth");
    }
    // My own birth date comes from my profile.
    await setBirthDate(user.id, '1990-05-05');
    await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '1990-05-05' });
    const early = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: vaccine.id, doseNumber: 2, dueDate: '1990-05-04' },
    });
    expect([early.status, fieldsOf(early.body)]).toEqual([422, ['dueDate']]);
    expect(await rowsOf(user.id)).toHaveLength(2);
  });

  it('Should warn, not block, when the age at the due date is outside the vaccine range', async () => {
    const { user, token } = await signedInUser();
    const baby = await addDependent(token, '2025-12-01');
    const infantVaccine = await seedVaccine({ dosesInSeries: 3, intervalDays: 28, minAgeMonths: 2, maxAgeMonths: 12 });
    // Dose 1 at 1 month, dose 2 the day it turns 2 months, dose 3 after.
    const series = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: infantVaccine.id, dependentId: baby, firstDueDate: '2026-01-04', series: true },
    });
    expect(series.status).toBe(201);
    expect(series.body.data.warnings).toEqual(['below minimum age']);
    expect(series.body.data.items.map((i: { dueDate: string; warnings: string[] }) => [i.dueDate, i.warnings])).toEqual(
      [
        ['2026-01-04', ['below minimum age']],
        ['2026-02-01', []],
        ['2026-03-01', []],
      ],
    );
    expect(await rowsOf(user.id)).toHaveLength(3);

    const late = await seedVaccine({ dosesInSeries: 1, minAgeMonths: 2, maxAgeMonths: 12 });
    const tooOld = await api.post(SCHEDULES, {
      token,
      json: { vaccineId: late.id, dependentId: baby, doseNumber: 1, dueDate: '2027-01-01' },
    });
    expect(tooOld.body.data.warnings).toEqual(['above maximum age']);
    // Warnings are recomputed on reads.
    const got = await api.get(`${SCHEDULES}/${tooOld.body.data.items[0].id}`, { token });
    expect(got.body.data.warnings).toEqual(['above maximum age']);

    // My own age: unknown birth date, no warning; once known, the warning appears.
    const adult = await seedVaccine({ dosesInSeries: 2, minAgeMonths: 0, maxAgeMonths: 24 });
    const mine = await createDose(token, { vaccineId: adult.id, doseNumber: 1, dueDate: '2026-04-01' });
    expect(mine.warnings).toEqual([]);
    await setBirthDate(user.id, '1990-05-05');
    expect((await api.get(`${SCHEDULES}/${mine.id}`, { token })).body.data.warnings).toEqual(['above maximum age']);
  });
});

describe('vaccine schedules: list', () => {
  async function seedPlan() {
    const owner = await signedInUser();
    const child = await addDependent(owner.token, '2025-06-01', 'Leo');
    const dtap = await seedVaccine({ name: 'DTaP' });
    const flu = await seedVaccine({ name: 'Influenza', dosesInSeries: 1, intervalDays: 0 });
    const childPlan = (
      await api.post(SCHEDULES, {
        token: owner.token,
        json: { vaccineId: dtap.id, dependentId: child, firstDueDate: '2026-02-01', series: true },
      })
    ).body.data.items;
    const mineFlu = await createDose(owner.token, { vaccineId: flu.id, doseNumber: 1, dueDate: '2026-03-01' });
    const mineDtap = await createDose(owner.token, { vaccineId: dtap.id, doseNumber: 1, dueDate: '2026-01-15' });
    // Noise: another account's doses never show.
    const stranger = await signedInUser();
    const strangersChild = await addDependent(stranger.token);
    await createDose(stranger.token, {
      vaccineId: dtap.id,
      dependentId: strangersChild,
      doseNumber: 1,
      dueDate: '2026-03-01',
    });
    return { owner, child, dtap, flu, childPlan, mineFlu, mineDtap, stranger, strangersChild };
  }
  const ids = (res: { body: { data: { items: { id: string }[] } } }) => res.body.data.items.map((i) => i.id);

  it('Should list my doses and my dependents’ by due date, with vaccine and person', async () => {
    const { owner, child, childPlan, mineFlu, mineDtap } = await seedPlan();
    const res = await api.get(SCHEDULES, { token: owner.token });
    expect(res.status).toBe(200);
    // Same due date: lower dose number first.
    expect(ids(res)).toEqual([mineDtap.id, childPlan[0].id, mineFlu.id, childPlan[1].id, childPlan[2].id]);
    expect(res.body.data.items.map((i: { dueDate: string }) => i.dueDate)).toEqual([
      '2026-01-15',
      '2026-02-01',
      '2026-03-01',
      '2026-03-01',
      '2026-03-29',
    ]);
    expect(res.body.data.items[1]).toMatchObject({
      vaccine: { name: 'DTaP', dosesInSeries: 3 },
      person: { type: 'dependent', dependentId: child, name: 'Leo' },
    });
    expect(res.body.data.items[2]).toMatchObject({ vaccine: { name: 'Influenza' }, person: { type: 'self' } });
    expect(res.body.data.pagination).toEqual({
      current: 1,
      pages: 1,
      total: 5,
      limit: 20,
      hasNext: false,
      hasPrev: false,
    });

    const page2 = await api.get(`${SCHEDULES}?limit=2&page=2`, { token: owner.token });
    expect(ids(page2)).toEqual([mineFlu.id, childPlan[1].id]);
    expect(page2.body.data.pagination).toMatchObject({ current: 2, pages: 3, total: 5, hasNext: true, hasPrev: true });
  });

  it('Should filter by due date range (inclusive), person, vaccine, status and active', async () => {
    const { owner, child, dtap, flu, childPlan, mineFlu, mineDtap } = await seedPlan();
    const token = owner.token;
    const list = (q: string) => api.get(`${SCHEDULES}?${q}`, { token });
    expect(ids(await list('from=2026-02-01&to=2026-03-01'))).toEqual([childPlan[0].id, mineFlu.id, childPlan[1].id]);
    expect(ids(await list('from=2026-03-02'))).toEqual([childPlan[2].id]);
    expect(ids(await list('to=2026-01-31'))).toEqual([mineDtap.id]);
    expect(ids(await list('person=self'))).toEqual([mineDtap.id, mineFlu.id]);
    expect(ids(await list(`person=${child}`))).toEqual(childPlan.map((i: { id: string }) => i.id));
    expect(ids(await list(`person=${child}&from=2026-02-15&to=2026-03-15`))).toEqual([childPlan[1].id]);
    expect(ids(await list(`vaccineId=${flu.id}`))).toEqual([mineFlu.id]);
    expect(ids(await list(`vaccineId=${dtap.id}&person=self`))).toEqual([mineDtap.id]);

    await api.post(`${SCHEDULES}/${mineFlu.id}/administer`, {
      token,
      json: { administeredOn: '2026-03-01', place: 'Pharmacy', lotNumber: 'FL-1' },
    });
    await api.post(`${SCHEDULES}/${childPlan[2].id}/deactivate`, { token });
    expect(ids(await list('status=administered'))).toEqual([mineFlu.id]);
    expect(ids(await list('status=scheduled&person=self'))).toEqual([mineDtap.id]);
    expect(ids(await list('active=false'))).toEqual([childPlan[2].id]);
    expect(ids(await list('active=true'))).toHaveLength(4);
  });

  it("Should answer 404 for another user's dependent as person, and 422 for bad filters", async () => {
    const { owner, strangersChild } = await seedPlan();
    const res = await api.get(`${SCHEDULES}?person=${strangersChild}`, { token: owner.token });
    expect([res.status, res.body.error.code, res.body.message]).toEqual([404, 'NOT_FOUND', 'Dependent not found']);
    const unknown = await api.get(`${SCHEDULES}?person=dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE`, { token: owner.token });
    expect(unknown.status).toBe(404);
    for (const [q, field] of [
      ['from=2026-03-02&to=2026-03-01', 'to'],
      ['from=2026-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['person=me', 'person'],
      ['status=given', 'status'],
      ['active=yes', 'active'],
      ['vaccineId=flu', 'vaccineId'],
      ['limit=101', 'limit'],
      ['page=0', 'page'],
    ] as const) {
      const bad = await api.get(`${SCHEDULES}?${q}`, { token: owner.token });
      expect([bad.status, bad.body.error.code], q).toEqual([422, 'VALIDATION_FAILED']);
      expect(fieldsOf(bad.body), q).toContain(field);
    }
  });

  it('Should show nothing of mine to another account', async () => {
    const { stranger, owner } = await seedPlan();
    const res = await api.get(SCHEDULES, { token: stranger.token });
    expect(res.body.data.items).toHaveLength(1);
    expect(res.body.data.items[0].person.type).toBe('dependent');
    expect(JSON.stringify(res.body)).not.toContain(owner.user.id);
  });
});

describe('vaccine schedules: update and delete', () => {
  it('Should move the due date and clear notes, auditing the field names only', async () => {
    const { user, token } = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-04-01', notes: 'x' });
    clock.advance(60_000);
    try {
      const res = await api.patch(`${SCHEDULES}/${dose.id}`, { token, json: { dueDate: '2026-04-15', notes: null } });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        ...dose,
        dueDate: '2026-04-15',
        notes: null,
        updatedAt: new Date(Date.parse(NOW) + 60_000).toISOString(),
      });
      expect(await rowOf(dose.id)).toMatchObject({ dueDate: '2026-04-15', notes: null, ownerId: user.id });
      const audit = await auditOf(dose.id);
      expect(audit.map((a) => a.action)).toEqual(['vaccine_schedule.create', 'vaccine_schedule.update']);
      expect(audit[1]).toMatchObject({
        patientId: user.id,
        metadata: { dependentId: null, vaccineId: vaccine.id, fields: ['dueDate', 'notes'] },
      });
    } finally {
      clock.set(NOW);
    }
  });

  it('Should refuse unknown keys, bad values and empty bodies with 422, changing nothing', async () => {
    const { token } = await signedInUser();
    const other = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-04-01' });
    const before = await rowOf(dose.id);
    const cases: [unknown, string][] = [
      [{ ownerId: other.user.id }, 'ownerId'],
      [{ status: 'administered' }, 'status'],
      [{ dueDate: '2026-05-01', status: 'cancelled' }, 'status'],
      [{ doseNumber: 2 }, 'doseNumber'],
      [{ vaccineId: vaccine.id }, 'vaccineId'],
      [{ dependentId: null }, 'dependentId'],
      [{ active: false }, 'active'],
      [{ lotNumber: 'A1' }, 'lotNumber'],
      [{ dueDate: '2026-02-29' }, 'dueDate'],
      [{ dueDate: null }, 'dueDate'],
      [{ notes: 'n'.repeat(2001) }, 'notes'],
      [{}, 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await api.patch(`${SCHEDULES}/${dose.id}`, { token, json });
      const label = JSON.stringify(json).slice(0, 80);
      expect(res.status, label).toBe(422);
      expect(fieldsOf(res.body), label).toContain(field);
    }
    expect(await rowOf(dose.id)).toEqual(before);
    expect((await auditOf(dose.id)).map((a) => a.action)).toEqual(['vaccine_schedule.create']);
  });

  it('Should refuse to change or delete an administered dose with 409 INVALID_TRANSITION', async () => {
    const { token } = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-02-01' });
    expect(
      (
        await api.post(`${SCHEDULES}/${dose.id}/administer`, {
          token,
          json: { administeredOn: '2026-02-03', place: 'Clinic', lotNumber: 'L-1' },
        })
      ).status,
    ).toBe(200);
    const before = await rowOf(dose.id);
    for (const res of [
      await api.patch(`${SCHEDULES}/${dose.id}`, { token, json: { dueDate: '2026-05-01' } }),
      await api.patch(`${SCHEDULES}/${dose.id}`, { token, json: { notes: 'rewrite history' } }),
      await api.delete(`${SCHEDULES}/${dose.id}`, { token }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    }
    expect(await rowOf(dose.id)).toEqual(before);
    expect((await auditOf(dose.id)).map((a) => a.action)).toEqual([
      'vaccine_schedule.create',
      'vaccine_schedule.administer',
    ]);
  });

  it('Should refuse to change a cancelled dose but allow deleting it', async () => {
    const { token } = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-04-01' });
    await db.update(vaccineSchedules).set({ status: 'cancelled' }).where(eq(vaccineSchedules.id, dose.id));
    const res = await api.patch(`${SCHEDULES}/${dose.id}`, { token, json: { dueDate: '2026-05-01' } });
    expect([res.status, res.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await api.delete(`${SCHEDULES}/${dose.id}`, { token })).status).toBe(200);
    expect(await rowOf(dose.id)).toBeUndefined();
  });

  it('Should delete a scheduled dose and audit it; then it is gone', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token);
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2026-04-01' });
    const res = await api.delete(`${SCHEDULES}/${dose.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: dose.id });
    expect(await rowOf(dose.id)).toBeUndefined();
    const audit = await auditOf(dose.id);
    expect(audit.map((a) => a.action)).toEqual(['vaccine_schedule.create', 'vaccine_schedule.delete']);
    expect(audit[1]).toMatchObject({ actorId: user.id, patientId: user.id, metadata: { dependentId, doseNumber: 1 } });
    expect((await api.get(`${SCHEDULES}/${dose.id}`, { token })).status).toBe(404);
    expect((await api.delete(`${SCHEDULES}/${dose.id}`, { token })).status).toBe(404);
    // The dose number is free again.
    await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2026-04-02' });
  });
});

describe('vaccine schedules: administer', () => {
  const GIVEN = { administeredOn: '2026-03-01', place: 'Riverside Health Centre', lotNumber: 'EX1234-B' };

  it('Should record the dose as administered, keeping date, place and lot, and audit it', async () => {
    const { user, token } = await signedInUser();
    const dependentId = await addDependent(token);
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2026-03-05' });
    const res = await api.post(`${SCHEDULES}/${dose.id}/administer`, {
      token,
      json: { ...GIVEN, place: '  Riverside Health Centre ', notes: 'Left thigh' },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Vaccine dose administered');
    expect(res.body.data).toEqual({
      ...dose,
      status: 'administered',
      administeredOn: '2026-03-01',
      administeredPlace: 'Riverside Health Centre',
      lotNumber: 'EX1234-B',
      notes: 'Left thigh',
    });
    expect(await rowOf(dose.id)).toMatchObject({
      status: 'administered',
      administeredOn: '2026-03-01',
      administeredPlace: 'Riverside Health Centre',
      lotNumber: 'EX1234-B',
      notes: 'Left thigh',
      dueDate: '2026-03-05',
    });
    const audit = await auditOf(dose.id);
    expect(audit.map((a) => a.action)).toEqual(['vaccine_schedule.create', 'vaccine_schedule.administer']);
    expect(audit[1]).toMatchObject({
      patientId: user.id,
      metadata: { dependentId, vaccineId: vaccine.id, doseNumber: 1 },
    });
    for (const secret of ['Riverside', 'EX1234', 'thigh']) expect(JSON.stringify(audit[1])).not.toContain(secret);
  });

  it('Should accept today anywhere on Earth and refuse a future date with 422 (by the clock)', async () => {
    const { token } = await signedInUser();
    const vaccine = await seedVaccine();
    const a = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-03-01' });
    const b = await createDose(token, { vaccineId: vaccine.id, doseNumber: 2, dueDate: '2026-03-29' });
    const future = await api.post(`${SCHEDULES}/${a.id}/administer`, {
      token,
      json: { ...GIVEN, administeredOn: '2026-03-03' },
    });
    expect([future.status, future.body.errors]).toEqual([
      422,
      [{ field: 'administeredOn', message: 'Must not be in the future' }],
    ]);
    expect((await rowOf(a.id))?.status).toBe('scheduled');
    // At noon UTC it is already 2 March in Kiritimati (UTC+14).
    const kiribati = await api.post(`${SCHEDULES}/${a.id}/administer`, {
      token,
      json: { ...GIVEN, administeredOn: '2026-03-02' },
    });
    expect(kiribati.status).toBe(200);
    // A later clock makes the same date acceptable.
    clock.set('2026-03-02T12:00:00Z');
    try {
      const later = await api.post(`${SCHEDULES}/${b.id}/administer`, {
        token,
        json: { ...GIVEN, administeredOn: '2026-03-03' },
      });
      expect(later.status).toBe(200);
    } finally {
      clock.set(NOW);
    }
  });

  it('Should answer 409 INVALID_TRANSITION when administering twice or a cancelled dose', async () => {
    const { token } = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-02-01' });
    expect((await api.post(`${SCHEDULES}/${dose.id}/administer`, { token, json: GIVEN })).status).toBe(200);
    const first = await rowOf(dose.id);
    const twice = await api.post(`${SCHEDULES}/${dose.id}/administer`, {
      token,
      json: { ...GIVEN, administeredOn: '2026-02-20', lotNumber: 'OTHER' },
    });
    expect([twice.status, twice.body.error.code, twice.body.message]).toEqual([
      409,
      'INVALID_TRANSITION',
      'This dose is already administered',
    ]);
    expect(await rowOf(dose.id)).toEqual(first);

    const cancelled = await createDose(token, { vaccineId: vaccine.id, doseNumber: 2, dueDate: '2026-03-01' });
    await db.update(vaccineSchedules).set({ status: 'cancelled' }).where(eq(vaccineSchedules.id, cancelled.id));
    const res = await api.post(`${SCHEDULES}/${cancelled.id}/administer`, { token, json: GIVEN });
    expect([res.status, res.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(await rowOf(cancelled.id)).toMatchObject({ status: 'cancelled', administeredOn: null, lotNumber: null });
    expect((await auditOf(cancelled.id)).map((a) => a.action)).toEqual(['vaccine_schedule.create']);
  });

  it('Should let only one of two parallel administrations through, with one audit event', async () => {
    const { token } = await signedInUser();
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-02-01' });
    const results = await Promise.all([
      api.post(`${SCHEDULES}/${dose.id}/administer`, { token, json: { ...GIVEN, lotNumber: 'A' } }),
      api.post(`${SCHEDULES}/${dose.id}/administer`, { token, json: { ...GIVEN, lotNumber: 'B' } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await rowOf(dose.id))?.lotNumber).toBe(winner.body.data.lotNumber);
    expect((await auditOf(dose.id)).map((a) => a.action)).toEqual([
      'vaccine_schedule.create',
      'vaccine_schedule.administer',
    ]);
  });

  it('Should refuse bad administration bodies with 422, changing nothing', async () => {
    const { token } = await signedInUser();
    const dependentId = await addDependent(token, '2026-01-10');
    const vaccine = await seedVaccine();
    const dose = await createDose(token, { vaccineId: vaccine.id, dependentId, doseNumber: 1, dueDate: '2026-02-01' });
    const before = await rowOf(dose.id);
    const cases: [unknown, string][] = [
      [{ ...GIVEN, status: 'administered' }, 'status'],
      [{ ...GIVEN, ownerId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'ownerId'],
      [{ ...GIVEN, administeredOn: undefined }, 'administeredOn'],
      [{ ...GIVEN, administeredOn: '2026-02-30' }, 'administeredOn'],
      [{ ...GIVEN, administeredOn: '2026-01-09' }, 'administeredOn'],
      [{ ...GIVEN, place: '' }, 'place'],
      [{ ...GIVEN, place: '   ' }, 'place'],
      [{ ...GIVEN, place: 'p'.repeat(201) }, 'place'],
      [{ ...GIVEN, place: undefined }, 'place'],
      [{ ...GIVEN, lotNumber: '' }, 'lotNumber'],
      [{ ...GIVEN, lotNumber: 'L'.repeat(65) }, 'lotNumber'],
      [{ ...GIVEN, lotNumber: 'A\u0000B' }, 'lotNumber'],
      [{ ...GIVEN, lotNumber: undefined }, 'lotNumber'],
      [{ ...GIVEN, notes: 'n'.repeat(2001) }, 'notes'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(`${SCHEDULES}/${dose.id}/administer`, { token, json });
      const label = JSON.stringify(json).slice(0, 100);
      expect(res.status, label).toBe(422);
      expect(fieldsOf(res.body), label).toContain(field);
    }
    expect(await rowOf(dose.id)).toEqual(before);
    // The boundaries are accepted.
    const edge = await api.post(`${SCHEDULES}/${dose.id}/administer`, {
      token,
      json: { administeredOn: '2026-01-10', place: 'p'.repeat(200), lotNumber: 'L'.repeat(64) },
    });
    expect(edge.status).toBe(200);
  });
});

describe('vaccine schedules: activate and deactivate', () => {
  async function seedTwoPlans() {
    const owner = await signedInUser();
    const child = await addDependent(owner.token);
    const vaccine = await seedVaccine({ dosesInSeries: 3 });
    const otherVaccine = await seedVaccine({ dosesInSeries: 1 });
    const plan = (
      await api.post(SCHEDULES, {
        token: owner.token,
        json: { vaccineId: vaccine.id, dependentId: child, firstDueDate: '2026-02-01', series: true },
      })
    ).body.data.items as { id: string }[];
    // Same vaccine for me and another vaccine for the child: not part of the child's plan.
    const mine = await createDose(owner.token, { vaccineId: vaccine.id, doseNumber: 1, dueDate: '2026-02-01' });
    const otherDose = await createDose(owner.token, {
      vaccineId: otherVaccine.id,
      dependentId: child,
      doseNumber: 1,
      dueDate: '2026-02-01',
    });
    return { owner, token: owner.token, child, plan, mine, otherDose };
  }
  const activeOf = async (ids: string[]) => Promise.all(ids.map(async (id) => (await rowOf(id))?.active));

  it('Should deactivate and reactivate just one dose without a body, idempotently', async () => {
    const { token, plan, mine, otherDose } = await seedTwoPlans();
    const off = await api.post(`${SCHEDULES}/${plan[1]!.id}/deactivate`, { token });
    expect(off.status).toBe(200);
    expect(off.body.data).toMatchObject({ active: false, changed: 1 });
    expect(off.body.data.items.map((i: { id: string; active: boolean }) => [i.id, i.active])).toEqual([
      [plan[1]!.id, false],
    ]);
    expect(await activeOf([...plan.map((p) => p.id), mine.id, otherDose.id])).toEqual([true, false, true, true, true]);
    expect((await auditOf(plan[1]!.id)).map((a) => [a.action, a.metadata?.plan])).toEqual([
      ['vaccine_schedule.create', undefined],
      ['vaccine_schedule.deactivate', false],
    ]);

    // Already inactive: 200, nothing changed, nothing audited.
    const again = await api.post(`${SCHEDULES}/${plan[1]!.id}/deactivate`, { token, json: { plan: false } });
    expect([again.status, again.body.data.changed]).toEqual([200, 0]);
    expect(await auditOf(plan[1]!.id)).toHaveLength(2);

    const on = await api.post(`${SCHEDULES}/${plan[1]!.id}/activate`, { token, json: {} });
    expect([on.status, on.body.data.active, on.body.data.changed]).toEqual([200, true, 1]);
    expect(await activeOf(plan.map((p) => p.id))).toEqual([true, true, true]);
    expect((await auditOf(plan[1]!.id)).map((a) => a.action).at(-1)).toBe('vaccine_schedule.activate');
  });

  it('Should switch the whole plan (same person and vaccine, not administered) with plan: true', async () => {
    const { owner, token, plan, mine, otherDose } = await seedTwoPlans();
    await api.post(`${SCHEDULES}/${plan[0]!.id}/administer`, {
      token,
      json: { administeredOn: '2026-02-01', place: 'Clinic', lotNumber: 'L1' },
    });
    await api.post(`${SCHEDULES}/${plan[2]!.id}/deactivate`, { token });
    const auditsBefore = (await auditsBy(owner.user.id)).length;

    // Started from the administered dose: it still names the plan, and stays as it is.
    const off = await api.post(`${SCHEDULES}/${plan[0]!.id}/deactivate`, { token, json: { plan: true } });
    expect(off.status).toBe(200);
    expect(off.body.data.changed).toBe(1);
    expect(off.body.data.items.map((i: { id: string; active: boolean }) => [i.id, i.active])).toEqual([
      [plan[1]!.id, false],
      [plan[2]!.id, false],
    ]);
    expect(await activeOf([...plan.map((p) => p.id), mine.id, otherDose.id])).toEqual([true, false, false, true, true]);
    expect((await auditsBy(owner.user.id)).length).toBe(auditsBefore + 1);

    const on = await api.post(`${SCHEDULES}/${plan[1]!.id}/activate`, { token, json: { plan: true } });
    expect([on.status, on.body.data.changed]).toEqual([200, 2]);
    expect(await activeOf([...plan.map((p) => p.id), mine.id, otherDose.id])).toEqual([true, true, true, true, true]);
    const activations = (await auditsBy(owner.user.id)).filter((a) => a.action === 'vaccine_schedule.activate');
    expect(activations.map((a) => a.resourceId).sort()).toEqual([plan[1]!.id, plan[2]!.id].sort());
    expect(activations.every((a) => a.metadata?.plan === true && a.patientId === owner.user.id)).toBe(true);

    // Again: nothing to do.
    const again = await api.post(`${SCHEDULES}/${plan[1]!.id}/activate`, { token, json: { plan: true } });
    expect([again.status, again.body.data.changed, again.body.data.items.length]).toEqual([200, 0, 2]);
  });

  it('Should refuse to switch a single administered dose with 409, and bad bodies with 422', async () => {
    const { token, plan } = await seedTwoPlans();
    await api.post(`${SCHEDULES}/${plan[0]!.id}/administer`, {
      token,
      json: { administeredOn: '2026-02-01', place: 'Clinic', lotNumber: 'L1' },
    });
    for (const action of ['activate', 'deactivate']) {
      const res = await api.post(`${SCHEDULES}/${plan[0]!.id}/${action}`, { token });
      expect([res.status, res.body.error.code], action).toEqual([409, 'INVALID_TRANSITION']);
    }
    expect((await rowOf(plan[0]!.id))?.active).toBe(true);
    for (const json of [{ plan: 'yes' }, { plan: true, active: false }, { all: true }]) {
      const res = await api.post(`${SCHEDULES}/${plan[1]!.id}/deactivate`, { token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    expect((await rowOf(plan[1]!.id))?.active).toBe(true);
  });
});

describe('vaccine schedules: ownership and access', () => {
  it("Should answer 404 on every route for another user's schedule, leaving it untouched", async () => {
    const owner = await signedInUser();
    const intruder = await signedInUser();
    const child = await addDependent(owner.token);
    const vaccine = await seedVaccine();
    const dose = await createDose(owner.token, {
      vaccineId: vaccine.id,
      dependentId: child,
      doseNumber: 1,
      dueDate: '2026-03-05',
    });
    const given = await createDose(owner.token, {
      vaccineId: vaccine.id,
      dependentId: child,
      doseNumber: 2,
      dueDate: '2026-02-01',
    });
    const administered = await api.post(`${SCHEDULES}/${given.id}/administer`, {
      token: owner.token,
      json: { administeredOn: '2026-02-01', place: 'Clinic', lotNumber: 'L1' },
    });
    expect(administered.status).toBe(200);
    const before = await rowsOf(owner.user.id);
    const auditBefore = await auditsBy(owner.user.id);
    const token = intruder.token;
    for (const id of [dose.id, given.id, UNKNOWN_ID]) {
      const path = `${SCHEDULES}/${id}`;
      for (const res of [
        await api.get(path, { token }),
        await api.patch(path, { token, json: { dueDate: '2026-06-01' } }),
        await api.delete(path, { token }),
        await api.post(`${path}/administer`, {
          token,
          json: { administeredOn: '2026-02-01', place: 'Elsewhere', lotNumber: 'X' },
        }),
        await api.post(`${path}/activate`, { token }),
        await api.post(`${path}/deactivate`, { token, json: { plan: true } }),
      ]) {
        expect([res.status, res.body.error.code, res.body.message], id).toEqual([
          404,
          'NOT_FOUND',
          'Vaccine schedule not found',
        ]);
      }
    }
    expect(await rowsOf(owner.user.id)).toEqual(before);
    expect(await auditsBy(owner.user.id)).toEqual(auditBefore);
    expect(await auditsBy(intruder.user.id)).toEqual([]);
    expect((await api.get(SCHEDULES, { token })).body.data.items).toEqual([]);
  });

  it('Should answer 422 for a malformed schedule id', async () => {
    const { token } = await signedInUser();
    for (const id of ['vsc_nope', 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE', 'vsc_01jf8zs5x0v6m3a2q9k1t7b4ce']) {
      const res = await api.get(`${SCHEDULES}/${id}`, { token });
      expect([res.status, res.body.error.code], id).toEqual([422, 'VALIDATION_FAILED']);
      expect((await api.delete(`${SCHEDULES}/${id}`, { token })).status).toBe(422);
      expect((await api.post(`${SCHEDULES}/${id}/activate`, { token })).status).toBe(422);
    }
  });

  it('Should refuse anonymous callers with 401 on every route', async () => {
    const path = `${SCHEDULES}/${UNKNOWN_ID}`;
    for (const res of [
      await api.get(SCHEDULES),
      await api.post(SCHEDULES, {
        json: { vaccineId: 'vac_01JF8ZS5X0V6M3A2Q9K1T7B4CE', doseNumber: 1, dueDate: '2026-04-01' },
      }),
      await api.get(path),
      await api.patch(path, { json: { notes: 'x' } }),
      await api.delete(path),
      await api.post(`${path}/administer`, { json: { administeredOn: '2026-02-01', place: 'P', lotNumber: 'L' } }),
      await api.post(`${path}/activate`),
      await api.post(`${path}/deactivate`, { json: { plan: true } }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});

describe('vaccine schedule date rules', () => {
  it('Should add days across months and leap years', () => {
    expect(addDays('2026-01-30', 28)).toBe('2026-02-27');
    expect(addDays('2028-02-01', 28)).toBe('2028-02-29');
    expect(addDays('2026-12-20', 56)).toBe('2027-02-14');
  });

  it('Should count whole months of age, month ends included', () => {
    expect(ageInMonths('2024-03-14', '2024-05-13')).toBe(1);
    expect(ageInMonths('2024-03-14', '2024-05-14')).toBe(2);
    expect(ageInMonths('2024-01-31', '2024-02-29')).toBe(1);
    expect(ageInMonths('2024-01-31', '2024-03-30')).toBe(1);
    expect(ageInMonths('2024-01-31', '2024-03-31')).toBe(2);
    expect(ageInMonths('2024-03-14', '2024-03-14')).toBe(0);
    expect(ageInMonths('2024-03-14', '2024-03-13')).toBe(-1);
  });
});
