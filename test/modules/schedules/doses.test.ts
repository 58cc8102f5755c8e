import { formatInTimeZone } from 'date-fns-tz';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { auditEvents, doses, type UserRow, userProfiles } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { markMissedDoses } from '../../../src/modules/schedules/doses.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { type CallOptions, client, createUser, db, testEnv, tokenFor } from '../../helpers';

const SCHEDULES = '/api/v1/schedules';
const DOSES = '/api/v1/doses';
const NY = 'America/New_York';
const LISBON = 'Europe/Lisbon';

/** A client on a fixed clock acting as `user`, with a token minted at the clock's time for each call. */
function actingAs(user: UserRow, clock: ReturnType<typeof fixedClock>) {
  const api = client({ clock });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token: await tokenFor(user, clock.now()) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, json?: unknown) => call('POST', path, json === undefined ? {} : { json }),
    patch: (path: string, json: unknown) => call('PATCH', path, { json }),
  };
}

const daily = (timesOfDay: string[], timeZone: string, startDate: string) => ({
  kind: 'medicine',
  medicineName: 'Levothyroxine',
  dosage: '50 mcg',
  timesOfDay,
  timeZone,
  recurrence: { type: 'interval', everyNDays: 1 },
  startDate,
});

const dosesOf = (scheduleId: string) =>
  db.select().from(doses).where(eq(doses.scheduleId, scheduleId)).orderBy(asc(doses.scheduledAt)).all();
const doseRow = (id: string) => db.select().from(doses).where(eq(doses.id, id)).get();

type DoseItem = { localDate: string; localTime: string; scheduledAt: string; status: string; id: string };
/** [local date, label, UTC instant, wall clock in `zone`] of listed doses. */
const timeline = (items: DoseItem[], zone: string) =>
  items.map((d) => [d.localDate, d.localTime, d.scheduledAt, formatInTimeZone(new Date(d.scheduledAt), zone, 'HH:mm')]);

/** A service context for a job run (no actor), on `clock`. */
const jobContext = (clock: ReturnType<typeof fixedClock>) =>
  createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'cron' });

async function newUserOn(clock: ReturnType<typeof fixedClock>) {
  const user = await createUser();
  return { user, me: actingAs(user, clock) };
}

describe('dose generation across daylight-saving changes', () => {
  it('Should keep New York doses at their local times across spring-forward (2026-03-08)', async () => {
    const clock = fixedClock('2026-03-06T12:00:00Z');
    const { me } = await newUserOn(clock);
    const created = await me.post(SCHEDULES, daily(['01:30', '02:30', '08:00'], NY, '2026-03-06'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const res = await me.get(`${DOSES}?from=2026-03-07&to=2026-03-09&tz=${NY}&limit=100`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.range).toEqual({ from: '2026-03-07', to: '2026-03-09', timeZone: NY });
    expect(timeline(res.body.data.items, NY)).toEqual([
      ['2026-03-07', '01:30', '2026-03-07T06:30:00.000Z', '01:30'],
      ['2026-03-07', '02:30', '2026-03-07T07:30:00.000Z', '02:30'],
      ['2026-03-07', '08:00', '2026-03-07T13:00:00.000Z', '08:00'], // EST: UTC−5
      ['2026-03-08', '01:30', '2026-03-08T06:30:00.000Z', '01:30'],
      // 02:30 does not exist on 2026-03-08: due the gap's length later, at 03:30 EDT.
      ['2026-03-08', '02:30', '2026-03-08T07:30:00.000Z', '03:30'],
      ['2026-03-08', '08:00', '2026-03-08T12:00:00.000Z', '08:00'], // EDT: UTC−4, an hour earlier in UTC
      ['2026-03-09', '01:30', '2026-03-09T05:30:00.000Z', '01:30'],
      ['2026-03-09', '02:30', '2026-03-09T06:30:00.000Z', '02:30'],
      ['2026-03-09', '08:00', '2026-03-09T12:00:00.000Z', '08:00'],
    ]);
    // The stored rows carry the same instants; one row per local date and time.
    const rows = (await dosesOf(created.body.data.id)).filter((d) => d.localDate === '2026-03-08');
    expect(rows.map((d) => [d.localTime, new Date(d.scheduledAt).toISOString()])).toEqual([
      ['01:30', '2026-03-08T06:30:00.000Z'],
      ['02:30', '2026-03-08T07:30:00.000Z'],
      ['08:00', '2026-03-08T12:00:00.000Z'],
    ]);
  });

  it('Should take New York’s repeated 01:30 once, at its first occurrence, across fall-back (2026-11-01)', async () => {
    const clock = fixedClock('2026-10-30T12:00:00Z');
    const { me } = await newUserOn(clock);
    const created = await me.post(SCHEDULES, daily(['01:30', '02:30', '08:00'], NY, '2026-10-30'));
    const res = await me.get(`${DOSES}?from=2026-10-31&to=2026-11-02&tz=${NY}&limit=100`);
    expect(timeline(res.body.data.items, NY)).toEqual([
      ['2026-10-31', '01:30', '2026-10-31T05:30:00.000Z', '01:30'],
      ['2026-10-31', '02:30', '2026-10-31T06:30:00.000Z', '02:30'],
      ['2026-10-31', '08:00', '2026-10-31T12:00:00.000Z', '08:00'], // EDT
      ['2026-11-01', '01:30', '2026-11-01T05:30:00.000Z', '01:30'], // first 01:30 (EDT), not 06:30Z (EST)
      ['2026-11-01', '02:30', '2026-11-01T07:30:00.000Z', '02:30'],
      ['2026-11-01', '08:00', '2026-11-01T13:00:00.000Z', '08:00'], // EST: an hour later in UTC
      ['2026-11-02', '01:30', '2026-11-02T06:30:00.000Z', '01:30'],
      ['2026-11-02', '02:30', '2026-11-02T07:30:00.000Z', '02:30'],
      ['2026-11-02', '08:00', '2026-11-02T13:00:00.000Z', '08:00'],
    ]);
    const fallBackDay = (await dosesOf(created.body.data.id)).filter((d) => d.localDate === '2026-11-01');
    expect(fallBackDay.map((d) => d.localTime)).toEqual(['01:30', '02:30', '08:00']);
  });

  it('Should keep Lisbon doses at their local times across spring-forward (2026-03-29, 01:00 → 02:00)', async () => {
    const clock = fixedClock('2026-03-27T12:00:00Z');
    const { me } = await newUserOn(clock);
    const created = await me.post(SCHEDULES, daily(['01:30', '02:30', '08:00'], LISBON, '2026-03-27'));
    expect(created.status).toBe(201);
    const res = await me.get(`${DOSES}?from=2026-03-28&to=2026-03-30&tz=${LISBON}&limit=100`);
    expect(timeline(res.body.data.items, LISBON)).toEqual([
      ['2026-03-28', '01:30', '2026-03-28T01:30:00.000Z', '01:30'],
      ['2026-03-28', '02:30', '2026-03-28T02:30:00.000Z', '02:30'],
      ['2026-03-28', '08:00', '2026-03-28T08:00:00.000Z', '08:00'], // WET: UTC+0
      // 01:30 does not exist on 2026-03-29: due at 02:30 WEST, the same instant as the 02:30 dose.
      ['2026-03-29', '01:30', '2026-03-29T01:30:00.000Z', '02:30'],
      ['2026-03-29', '02:30', '2026-03-29T01:30:00.000Z', '02:30'],
      ['2026-03-29', '08:00', '2026-03-29T07:00:00.000Z', '08:00'], // WEST: UTC+1
      ['2026-03-30', '01:30', '2026-03-30T00:30:00.000Z', '01:30'],
      ['2026-03-30', '02:30', '2026-03-30T01:30:00.000Z', '02:30'],
      ['2026-03-30', '08:00', '2026-03-30T07:00:00.000Z', '08:00'],
    ]);
  });

  it('Should list a day by its own local midnight-to-midnight span in tz (a 23-hour day)', async () => {
    const clock = fixedClock('2026-03-06T12:00:00Z');
    const { me } = await newUserOn(clock);
    await me.post(SCHEDULES, daily(['00:00', '23:30'], NY, '2026-03-06'));
    const day = await me.get(`${DOSES}?date=2026-03-08&tz=${NY}`);
    expect(timeline(day.body.data.items, NY)).toEqual([
      ['2026-03-08', '00:00', '2026-03-08T05:00:00.000Z', '00:00'],
      ['2026-03-08', '23:30', '2026-03-09T03:30:00.000Z', '23:30'],
    ]);
    // Read in another zone, the same day covers other instants.
    const utcDay = await me.get(`${DOSES}?date=2026-03-08&tz=UTC`);
    expect(utcDay.body.data.items.map((d: DoseItem) => d.scheduledAt)).toEqual([
      '2026-03-08T04:30:00.000Z', // 2026-03-07 23:30 EST
      '2026-03-08T05:00:00.000Z',
    ]);
  });
});

describe('recurrences', () => {
  it('Should generate a weekly Mon/Wed/Fri schedule on those days only', async () => {
    const clock = fixedClock('2026-03-01T12:00:00Z'); // a Sunday
    const { me } = await newUserOn(clock);
    const created = await me.post(SCHEDULES, {
      ...daily(['09:00'], 'UTC', '2026-03-01'),
      recurrence: { type: 'weekly', daysOfWeek: [5, 1, 3] },
    });
    expect(created.body.data.recurrence).toEqual({ type: 'weekly', daysOfWeek: [1, 3, 5] });
    const res = await me.get(`${DOSES}?from=2026-03-01&to=2026-03-15&tz=UTC`);
    expect(res.body.data.items.map((d: DoseItem) => d.localDate)).toEqual([
      '2026-03-02',
      '2026-03-04',
      '2026-03-06',
      '2026-03-09',
      '2026-03-11',
      '2026-03-13',
    ]);
  });

  it('Should generate an every-3-days schedule counted from its start date, until its end date', async () => {
    const clock = fixedClock('2026-03-01T12:00:00Z');
    const { me } = await newUserOn(clock);
    const created = await me.post(SCHEDULES, {
      ...daily(['09:00'], 'UTC', '2026-03-02'),
      endDate: '2026-03-12',
      recurrence: { type: 'interval', everyNDays: 3 },
    });
    const res = await me.get(`${DOSES}?from=2026-03-01&to=2026-03-20&tz=UTC`);
    expect(res.body.data.items.map((d: DoseItem) => d.localDate)).toEqual([
      '2026-03-02',
      '2026-03-05',
      '2026-03-08',
      '2026-03-11',
    ]);
    expect(await dosesOf(created.body.data.id)).toHaveLength(4);
  });
});

describe('time-zone changes', () => {
  it('Should regenerate future doses at the same local time in the new zone, keeping past and marked doses', async () => {
    const clock = fixedClock('2026-05-01T06:30:00Z'); // 07:30 in Lisbon
    const { me } = await newUserOn(clock);
    const created = (await me.post(SCHEDULES, daily(['08:00', '20:00'], LISBON, '2026-05-01'))).body.data;
    const before = await dosesOf(created.id);
    expect(new Date(before[0]!.scheduledAt).toISOString()).toBe('2026-05-01T07:00:00.000Z');

    clock.set('2026-05-01T12:30:00Z'); // 13:30 Lisbon, 08:30 New York
    const tonight = before.find((d) => d.localDate === '2026-05-01' && d.localTime === '20:00')!;
    expect((await me.post(`${DOSES}/${tonight.id}/take`)).status).toBe(200);
    const res = await me.patch(`${SCHEDULES}/${created.id}`, { timeZone: NY });
    expect([res.status, res.body.data.timeZone, res.body.data.timesOfDay]).toEqual([200, NY, ['08:00', '20:00']]);

    const after = await dosesOf(created.id);
    // Past (Lisbon 08:00, still pending) and marked (Lisbon 20:00, taken) doses are untouched.
    expect(after.find((d) => d.id === before[0]!.id)).toEqual(before[0]);
    expect(after.find((d) => d.id === tonight.id)).toMatchObject({ status: 'taken', scheduledAt: tonight.scheduledAt });
    // Every other dose is new, at 08:00 / 20:00 New York time.
    const future = after.filter((d) => d.id !== before[0]!.id && d.id !== tonight.id);
    expect(future.every((d) => !before.some((b) => b.id === d.id))).toBe(true);
    expect(future.every((d) => formatInTimeZone(new Date(d.scheduledAt), NY, 'HH:mm') === d.localTime)).toBe(true);
    expect(future[0]).toMatchObject({ localDate: '2026-05-02', localTime: '08:00' });
    expect(new Date(future[0]!.scheduledAt).toISOString()).toBe('2026-05-02T12:00:00.000Z');
    // 2026-05-02 … 2026-05-31 twice a day; 2026-05-01 20:00 already exists (taken) and is not doubled.
    expect(future).toHaveLength(30 * 2);
  });
});

describe('marking doses', () => {
  async function todaysDoses() {
    const clock = fixedClock('2026-04-01T06:00:00Z');
    const { user, me } = await newUserOn(clock);
    const created = (await me.post(SCHEDULES, daily(['08:00', '20:00'], 'UTC', '2026-04-01'))).body.data;
    return { clock, user, me, schedule: created, rows: await dosesOf(created.id) };
  }

  it('Should mark a dose taken now or at a given time, store it, and audit the transition with ids only', async () => {
    const { clock, user, me, rows } = await todaysDoses();
    clock.set('2026-04-01T08:10:00Z');
    const res = await me.post(`${DOSES}/${rows[0]!.id}/take`, { note: 'After breakfast' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({
      id: rows[0]!.id,
      status: 'taken',
      takenAt: '2026-04-01T08:10:00.000Z',
      note: 'After breakfast',
      schedule: { name: 'Levothyroxine', kind: 'medicine', quantityPerDose: 1, dosage: '50 mcg', timeZone: 'UTC' },
    });
    expect(await doseRow(rows[0]!.id)).toMatchObject({
      status: 'taken',
      takenAt: Date.parse('2026-04-01T08:10:00Z'),
      note: 'After breakfast',
    });
    const at = await me.post(`${DOSES}/${rows[1]!.id}/take`, { takenAt: '2026-03-31T21:00:00-03:00' });
    expect([at.status, at.body.data.takenAt]).toEqual([200, '2026-04-01T00:00:00.000Z']);

    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, rows[0]!.id)).all();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'dose.take', actorId: user.id, patientId: user.id, resourceType: 'dose' });
    expect(audit[0]!.metadata).toEqual({ scheduleId: rows[0]!.scheduleId, from: 'pending', to: 'taken' });
    expect(JSON.stringify(audit[0])).not.toContain('breakfast');
  });

  it('Should refuse takenAt in the future or over 24 h before the dose with 422, changing nothing', async () => {
    const { clock, me, rows } = await todaysDoses();
    clock.set('2026-04-01T08:10:00Z');
    const dose = rows[0]!; // due 2026-04-01 08:00
    const cases: [unknown, string][] = [
      [{ takenAt: '2026-04-01T08:10:01Z' }, 'takenAt'],
      [{ takenAt: '2026-03-31T07:59:59Z' }, 'takenAt'],
      [{ takenAt: 'yesterday' }, 'takenAt'],
      [{ takenAt: '2026-04-01T08:00:00' }, 'takenAt'], // no offset
      [{ note: 'x'.repeat(501) }, 'note'],
      [{ status: 'taken' }, 'status'],
    ];
    for (const [json, field] of cases) {
      const res = await me.post(`${DOSES}/${dose.id}/take`, json);
      expect([res.status, res.body.errors?.map((e: { field: string }) => e.field)], JSON.stringify(json)).toEqual([
        422,
        [field],
      ]);
    }
    expect(await doseRow(dose.id)).toEqual(dose);
    // The bounds themselves are accepted.
    const edge = await me.post(`${DOSES}/${dose.id}/take`, { takenAt: '2026-03-31T08:00:00Z' });
    expect([edge.status, edge.body.data.takenAt]).toEqual([200, '2026-03-31T08:00:00.000Z']);
  });

  it('Should allow pending → taken | skipped and missed → taken, and refuse the rest with 409', async () => {
    const { clock, user, me, rows } = await todaysDoses();
    const [morning, evening, tomorrow, later] = rows;
    clock.set('2026-04-01T20:05:00Z');
    const skip = await me.post(`${DOSES}/${evening!.id}/skip`, { note: 'Felt sick' });
    expect([skip.status, skip.body.data.status, skip.body.data.note]).toEqual([200, 'skipped', 'Felt sick']);
    expect((await me.post(`${DOSES}/${evening!.id}/skip`)).status).toBe(409);
    expect((await me.post(`${DOSES}/${evening!.id}/take`)).body.error.code).toBe('INVALID_TRANSITION');

    // The morning dose is past its grace: reads show it missed and write nothing; the cron stores it
    // missed. Then it cannot be skipped any more but can still be taken late.
    const day = await me.get(`${DOSES}?date=2026-04-01&tz=UTC`);
    expect(day.body.data.items.map((d: DoseItem) => [d.id, d.status])).toEqual([
      [morning!.id, 'missed'],
      [evening!.id, 'skipped'],
    ]);
    expect((await doseRow(morning!.id))?.status).toBe('pending');
    expect(await markMissedDoses(jobContext(clock), { ownerId: user.id })).toBe(1);
    expect((await doseRow(morning!.id))?.status).toBe('missed');
    expect((await me.post(`${DOSES}/${morning!.id}/skip`)).status).toBe(409);
    const late = await me.post(`${DOSES}/${morning!.id}/take`, { takenAt: '2026-04-01T11:00:00Z' });
    expect([late.status, late.body.data.status]).toEqual([200, 'taken']);
    const again = await me.post(`${DOSES}/${morning!.id}/take`);
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await doseRow(morning!.id))?.takenAt).toBe(Date.parse('2026-04-01T11:00:00Z'));

    // Tomorrow's 08:00 can be marked from 24 h before; the day after's 08:00 not yet.
    expect((await me.post(`${DOSES}/${tomorrow!.id}/skip`)).status).toBe(200);
    const tooEarly = await me.post(`${DOSES}/${rows[4]!.id}/skip`);
    expect([tooEarly.status, tooEarly.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await me.post(`${DOSES}/${rows[4]!.id}/take`)).status).toBe(422); // takenAt now is > 24 h early
    expect((await doseRow(later!.id))?.status).toBe('pending');

    expect((await me.post(`${DOSES}/dos_01JF8ZS5X0V6M3A2Q9K1T7B4CE/take`)).status).toBe(404);
    expect((await me.post(`${DOSES}/nope/take`)).status).toBe(422);
  });
});

describe('dose lists', () => {
  it('Should list a month of doses (30 days × 3 times), by time, paginated', async () => {
    const clock = fixedClock('2026-07-01T00:00:00Z');
    const { me } = await newUserOn(clock);
    const created = (await me.post(SCHEDULES, daily(['20:00', '08:00', '13:00'], 'UTC', '2026-07-01'))).body.data;

    const started = performance.now();
    const all = await me.get(`${DOSES}?from=2026-07-01&to=2026-07-30&tz=UTC&limit=100`);
    const elapsedMs = performance.now() - started;
    expect(all.status).toBe(200);
    expect(all.body.data.items).toHaveLength(90);
    expect(all.body.data.pagination).toEqual({
      current: 1,
      pages: 1,
      total: 90,
      limit: 100,
      hasNext: false,
      hasPrev: false,
    });
    const instants = all.body.data.items.map((d: DoseItem) => d.scheduledAt);
    expect(instants).toEqual([...instants].sort());
    expect(all.body.data.items[0]).toMatchObject({ localDate: '2026-07-01', localTime: '08:00' });
    expect(all.body.data.items[0].schedule).toMatchObject({ name: 'Levothyroxine', quantityPerDose: 1 });
    console.info(`listing 90 doses took ${elapsedMs.toFixed(1)} ms`);

    const page1 = await me.get(`${DOSES}?from=2026-07-01&to=2026-07-30&tz=UTC`);
    expect(page1.body.data.pagination).toEqual({
      current: 1,
      pages: 5,
      total: 90,
      limit: 20,
      hasNext: true,
      hasPrev: false,
    });
    const page5 = await me.get(`${DOSES}?from=2026-07-01&to=2026-07-30&tz=UTC&page=5`);
    expect(page5.body.data.items).toHaveLength(10);
    expect(page5.body.data.items.at(-1)).toMatchObject({ localDate: '2026-07-30', localTime: '20:00' });

    // Reading beyond the 30-day horizon (2026-07-31) lists the requested days, computed: nothing is
    // stored, and every read gives them the same ids, those the cron will store them under.
    expect(await dosesOf(created.id)).toHaveLength(31 * 3);
    const august = await me.get(`${DOSES}?from=2026-08-01&to=2026-08-10&tz=UTC&limit=100`);
    expect(august.body.data.items).toHaveLength(30);
    const again = await me.get(`${DOSES}?from=2026-08-01&to=2026-08-10&tz=UTC&limit=100`);
    expect(again.body.data.items).toEqual(august.body.data.items);
    const stored = await dosesOf(created.id);
    expect(stored).toHaveLength(31 * 3);
    expect(new Set(stored.map((d) => `${d.localDate} ${d.localTime}`)).size).toBe(stored.length);
    expect(new Set([...stored.map((d) => d.id), ...august.body.data.items.map((d: DoseItem) => d.id)]).size).toBe(
      31 * 3 + 30,
    );
  });

  it('Should default to today in the profile time zone, else UTC, and validate the range', async () => {
    const clock = fixedClock('2026-07-01T23:30:00Z'); // already 2026-07-02 in Tokyo
    const { user, me } = await newUserOn(clock);
    const utc = await me.get(DOSES);
    expect([utc.status, utc.body.data.range]).toEqual([200, { from: '2026-07-01', to: '2026-07-01', timeZone: 'UTC' }]);
    await db.insert(userProfiles).values({ userId: user.id, timeZone: 'Asia/Tokyo', updatedAt: Date.now() });
    const tokyo = await me.get(DOSES);
    expect(tokyo.body.data.range).toEqual({ from: '2026-07-02', to: '2026-07-02', timeZone: 'Asia/Tokyo' });
    const query = await me.get(`${DOSES}?tz=america/new_york`);
    expect(query.body.data.range).toEqual({ from: '2026-07-01', to: '2026-07-01', timeZone: NY });

    for (const [qs, field] of [
      ['tz=Mars/Olympus', 'tz'],
      ['date=2026-02-30', 'date'],
      ['date=2026-07-01&from=2026-07-01&to=2026-07-02', 'date'],
      ['from=2026-07-01', 'to'],
      ['to=2026-07-01', 'from'],
      ['from=2026-07-10&to=2026-07-01', 'to'],
      ['from=2026-07-01&to=2026-10-01', 'to'], // 93 days
      ['limit=101', 'limit'],
      ['page=0', 'page'],
    ]) {
      const res = await me.get(`${DOSES}?${qs}`);
      expect([res.status, res.body.errors?.map((e: { field: string }) => e.field)], qs).toEqual([422, [field]]);
    }
    expect((await me.get(`${DOSES}?from=2026-07-01&to=2026-09-30`)).status).toBe(200); // 92 days
  });
});

describe('history and adherence', () => {
  it('Should count taken, missed, skipped and pending doses and compute adherence to one decimal', async () => {
    const clock = fixedClock('2026-08-01T06:00:00Z');
    const { me } = await newUserOn(clock);
    const created = (await me.post(SCHEDULES, daily(['08:00'], 'UTC', '2026-08-01'))).body.data;
    const rows = await dosesOf(created.id);
    const byDate = (date: string) => rows.find((d) => d.localDate === date)!;

    clock.set('2026-08-05T09:00:00Z');
    await me.post(`${DOSES}/${byDate('2026-08-01').id}/take`, { takenAt: '2026-08-01T08:05:00Z' });
    await me.post(`${DOSES}/${byDate('2026-08-02').id}/skip`);
    await me.post(`${DOSES}/${byDate('2026-08-03').id}/take`, { takenAt: '2026-08-03T07:30:00Z' });
    // 08-04 was never marked (missed after its grace); 08-05 08:00 is an hour ago (pending, in grace).

    const res = await me.get(`${DOSES}/history?from=2026-08-01&to=2026-08-31&tz=UTC&limit=3`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.summary).toEqual({ taken: 2, missed: 1, skipped: 1, pending: 1, adherencePercent: 50 });
    // Only doses due by now, newest first.
    expect(res.body.data.items.map((d: DoseItem) => [d.localDate, d.status])).toEqual([
      ['2026-08-05', 'pending'],
      ['2026-08-04', 'missed'],
      ['2026-08-03', 'taken'],
    ]);
    expect(res.body.data.pagination).toMatchObject({ total: 5, pages: 2, hasNext: true });
    // Shown and counted missed; the cron stores that, the read writes nothing.
    expect((await doseRow(byDate('2026-08-04').id))?.status).toBe('pending');

    // One decimal: 2 taken of 3 due.
    const part = await me.get(`${DOSES}/history?from=2026-08-01&to=2026-08-03&tz=UTC`);
    expect(part.body.data.summary).toEqual({ taken: 2, missed: 0, skipped: 1, pending: 0, adherencePercent: 66.7 });

    // A late report of the missed dose counts as taken.
    await me.post(`${DOSES}/${byDate('2026-08-04').id}/take`, { takenAt: '2026-08-04T23:00:00Z' });
    const after = await me.get(`${DOSES}/history?from=2026-08-01&to=2026-08-05&tz=UTC`);
    expect(after.body.data.summary).toEqual({ taken: 3, missed: 0, skipped: 1, pending: 1, adherencePercent: 75 });

    // Nothing due in the range: adherence is null, not 0 or 100.
    const empty = await me.get(`${DOSES}/history?from=2026-07-01&to=2026-07-31&tz=UTC`);
    expect(empty.body.data.summary).toEqual({ taken: 0, missed: 0, skipped: 0, pending: 0, adherencePercent: null });
    expect(empty.body.data.items).toEqual([]);

    // Default range: the 30 days up to today.
    const recent = await me.get(`${DOSES}/history?tz=UTC`);
    expect(recent.body.data.range).toEqual({ from: '2026-07-07', to: '2026-08-05', timeZone: 'UTC' });
    expect(recent.body.data.summary.taken).toBe(3);

    const tooLong = await me.get(`${DOSES}/history?from=2025-01-01&to=2026-08-05`);
    expect(tooLong.status).toBe(422);
  });

  it('Should show only my own doses in lists and history', async () => {
    const clock = fixedClock('2026-08-01T06:00:00Z');
    const mine = await newUserOn(clock);
    const theirs = await newUserOn(clock);
    await theirs.me.post(SCHEDULES, daily(['08:00'], 'UTC', '2026-08-01'));
    await mine.me.post(SCHEDULES, daily(['09:00'], 'UTC', '2026-08-01'));
    clock.set('2026-08-02T12:00:00Z');
    const history = await mine.me.get(`${DOSES}/history?from=2026-08-01&to=2026-08-02&tz=UTC`);
    expect(history.body.data.items.map((d: DoseItem) => d.localTime)).toEqual(['09:00', '09:00']);
    const listed = await mine.me.get(`${DOSES}?from=2026-08-01&to=2026-08-03&tz=UTC`);
    expect(listed.body.data.items.map((d: DoseItem) => d.localTime)).toEqual(['09:00', '09:00', '09:00']);
    const theirRows = await db.select().from(doses).where(eq(doses.ownerId, theirs.user.id)).all();
    expect(theirRows.length).toBeGreaterThan(0);
    expect(theirRows.every((d) => d.localTime === '08:00')).toBe(true);
  });
});
