import { and, asc, eq, gte } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { createContext } from '../../../src/context';
import { auditEvents, doses, schedules, type UserRow, userProfiles } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { type ApiResponse, type CallOptions, client, createUser, db, testEnv, tokenFor } from '../../helpers';

/**
 * GET /doses and GET /doses/history make one D1 round trip and write nothing: overdue doses are shown
 * missed and doses beyond the stored horizon are computed; the cron stores both later, and marking a
 * computed dose stores it. The cron sweeps every owner's rows, so this file keeps its own storage
 * (storage is isolated per test file) and its tests run on increasing clocks.
 */

const SCHEDULES = '/api/v1/schedules';
const DOSES = '/api/v1/doses';
const NY = 'America/New_York';

type Clock = ReturnType<typeof fixedClock>;
type DoseItem = {
  id: string;
  scheduleId: string;
  localDate: string;
  localTime: string;
  scheduledAt: string;
  status: string;
  schedule: { name: string; status: string } | null;
};

const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

function actingAs(user: UserRow, clock: Clock) {
  const api = client({ clock });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token: await tokenFor(user, clock.now()) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, json: unknown = {}) => call('POST', path, { json }),
    patch: (path: string, json: unknown) => call('PATCH', path, { json }),
  };
}

const medicine = (medicineName: string, timesOfDay: string[], timeZone: string, startDate: string) => ({
  kind: 'medicine',
  medicineName,
  timesOfDay,
  timeZone,
  recurrence: { type: 'interval', everyNDays: 1 },
  startDate,
});

async function createSchedule(me: ReturnType<typeof actingAs>, body: unknown): Promise<string> {
  const res = await me.post(SCHEDULES, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id;
}

const rowsOf = (ownerId: string) =>
  db.select().from(doses).where(eq(doses.ownerId, ownerId)).orderBy(asc(doses.scheduledAt), asc(doses.id)).all();
const doseRow = (id: string) => db.select().from(doses).where(eq(doses.id, id)).get();
const cron = (clock: Clock) =>
  runCron(createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'cron' }), CRON_TASKS);

/** [UTC instant, local date, label, schedule, status] of listed doses. */
const timeline = (items: DoseItem[], names: Record<string, string>) =>
  items.map((d) => [d.scheduledAt.slice(5, 16), d.localDate, d.localTime, names[d.scheduleId], d.status]);

describe('dose reads: one round trip, no writes', () => {
  it('Should show overdue doses missed and compute doses beyond the horizon in one round trip, storing nothing until the cron runs', async () => {
    const clock = fixedClock('2026-05-04T06:00:00Z'); // 02:00 in New York, 07:00 in Lisbon
    const user = await createUser();
    await db.insert(userProfiles).values({ userId: user.id, timeZone: NY, updatedAt: Date.now() });
    const me = actingAs(user, clock);
    const a = await createSchedule(me, medicine('Metformin', ['08:00', '20:00'], NY, '2026-05-04'));
    const b = await createSchedule(me, medicine('Vitamin D', ['09:00', '16:30'], 'Europe/Lisbon', '2026-05-04'));
    const c = await createSchedule(me, medicine('Aspirin', ['07:00'], 'UTC', '2026-05-04'));
    const names = { [a]: 'A', [b]: 'B', [c]: 'C' };
    const stored = await rowsOf(user.id);
    const at = (scheduleId: string, instant: string) =>
      stored.find((d) => d.scheduleId === scheduleId && d.scheduledAt === Date.parse(instant))!;
    expect((await me.post(`${DOSES}/${at(b, '2026-05-04T08:00:00Z').id}/skip`)).status).toBe(200);
    clock.set('2026-05-04T12:30:00Z');
    expect((await me.post(`${DOSES}/${at(a, '2026-05-04T12:00:00Z').id}/take`)).status).toBe(200);
    clock.set('2026-05-05T16:00:00Z'); // 12:00 in New York
    expect((await me.post(`${SCHEDULES}/${c}/pause`)).status).toBe(200);
    const before = await rowsOf(user.id);

    // Today in my profile zone (New York): doses past their 2-hour grace are missed, none stored so.
    const today = await me.get(DOSES);
    expect(today.status, JSON.stringify(today.body)).toBe(200);
    expect(tripsOf(today)).toBe(1);
    expect(today.body.data.range).toEqual({ from: '2026-05-05', to: '2026-05-05', timeZone: NY });
    expect(timeline(today.body.data.items, names)).toEqual([
      ['05-05T07:00', '2026-05-05', '07:00', 'C', 'missed'],
      ['05-05T08:00', '2026-05-05', '09:00', 'B', 'missed'],
      ['05-05T12:00', '2026-05-05', '08:00', 'A', 'missed'],
      ['05-05T15:30', '2026-05-05', '16:30', 'B', 'pending'], // due 30 minutes ago: in grace
      ['05-06T00:00', '2026-05-05', '20:00', 'A', 'pending'],
    ]);
    expect(today.body.data.items[0].schedule).toMatchObject({ name: 'Aspirin', status: 'paused' });

    // History counts what it shows: pending past grace as missed.
    const history = await me.get(`${DOSES}/history?from=2026-05-04&to=2026-05-05&limit=3`);
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(tripsOf(history)).toBe(1);
    expect(history.body.data.summary).toEqual({ taken: 1, missed: 6, skipped: 1, pending: 1, adherencePercent: 12.5 });
    expect(history.body.data.pagination).toMatchObject({ total: 9, pages: 3, hasNext: true });
    expect(timeline(history.body.data.items, names)).toEqual([
      ['05-05T15:30', '2026-05-05', '16:30', 'B', 'pending'],
      ['05-05T12:00', '2026-05-05', '08:00', 'A', 'missed'],
      ['05-05T08:00', '2026-05-05', '09:00', 'B', 'missed'],
    ]);
    const page3 = await me.get(`${DOSES}/history?from=2026-05-04&to=2026-05-05&limit=3&page=3`);
    expect(timeline(page3.body.data.items, names)).toEqual([
      ['05-04T12:00', '2026-05-04', '08:00', 'A', 'taken'],
      ['05-04T08:00', '2026-05-04', '09:00', 'B', 'skipped'],
      ['05-04T07:00', '2026-05-04', '07:00', 'C', 'missed'],
    ]);

    // Beyond the stored horizon (2026-06-03 for A and B): computed, merged by due time, paginated as one list.
    const days = ['2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05'];
    const range = `${DOSES}?from=2026-06-02&to=2026-06-05`;
    const whole = await me.get(`${range}&limit=100`);
    expect(tripsOf(whole)).toBe(1);
    expect(
      whole.body.data.items.map((d: DoseItem) => [d.localDate, d.localTime, names[d.scheduleId], d.status]),
    ).toEqual(
      days.flatMap((day) => [
        [day, '09:00', 'B', 'pending'],
        [day, '08:00', 'A', 'pending'],
        [day, '16:30', 'B', 'pending'],
        [day, '20:00', 'A', 'pending'],
      ]),
    );
    const paged: DoseItem[] = [];
    for (let n = 1; n <= 4; n++) {
      const res = await me.get(`${range}&limit=5&page=${n}`);
      expect([tripsOf(res), res.body.data.pagination.total, res.body.data.pagination.hasNext]).toEqual([1, 16, n < 4]);
      paged.push(...res.body.data.items);
    }
    expect(paged).toEqual(whole.body.data.items);
    const storedIds = new Set(before.map((d) => d.id));
    const computed = whole.body.data.items.filter((d: DoseItem) => !storedIds.has(d.id));
    expect(computed.map((d: DoseItem) => d.localDate)).toEqual(days.slice(2).flatMap((day) => [day, day, day, day]));

    // Nothing was written by any of these reads.
    expect(await rowsOf(user.id)).toEqual(before);

    // The cron stores what the reads showed: the missed doses, and (once the horizon reaches
    // 2026-06-05, on 2026-05-06) the computed doses under the ids they were listed with.
    const missed = (await me.get(`${DOSES}/history?from=2026-05-04&to=2026-05-05&limit=100`)).body.data.items
      .filter((d: DoseItem) => d.status === 'missed')
      .map((d: DoseItem) => d.id);
    clock.set('2026-05-06T16:00:00Z');
    await cron(clock);
    for (const id of missed) expect((await doseRow(id))?.status).toBe('missed');
    for (const dose of computed) {
      expect(await doseRow(dose.id)).toMatchObject({
        scheduleId: dose.scheduleId,
        localDate: dose.localDate,
        localTime: dose.localTime,
        scheduledAt: Date.parse(dose.scheduledAt),
        status: 'pending',
      });
    }
    const reread = await me.get(`${range}&limit=100`);
    expect(reread.body.data.items).toEqual(whole.body.data.items);
  });

  it('Should store a dose listed beyond the horizon when it is taken or skipped, under the id it was listed with', async () => {
    const clock = fixedClock('2026-07-01T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    const scheduleId = await createSchedule(me, medicine('Levothyroxine', ['08:00', '20:00'], 'UTC', '2026-07-01'));
    // The horizon is stored through 2026-07-31; the cron has not run since.
    clock.set('2026-08-01T07:00:00Z');
    const august = () =>
      db
        .select()
        .from(doses)
        .where(and(eq(doses.ownerId, user.id), gte(doses.localDate, '2026-08-01')));
    const listed = await me.get(`${DOSES}?from=2026-08-01&to=2026-08-02&tz=UTC`);
    expect(tripsOf(listed)).toBe(1);
    const [morning, evening, tomorrow, tomorrowNight] = listed.body.data.items as DoseItem[];
    expect(listed.body.data.items.map((d: DoseItem) => [d.localDate, d.localTime, d.status])).toEqual([
      ['2026-08-01', '08:00', 'pending'],
      ['2026-08-01', '20:00', 'pending'],
      ['2026-08-02', '08:00', 'pending'],
      ['2026-08-02', '20:00', 'pending'],
    ]);
    expect(await august()).toEqual([]);

    const taken = await me.post(`${DOSES}/${morning!.id}/take`, { note: 'Before breakfast' });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(tripsOf(taken)).toBeLessThanOrEqual(2);
    expect(taken.body.data).toMatchObject({
      id: morning!.id,
      status: 'taken',
      takenAt: '2026-08-01T07:00:00.000Z',
      note: 'Before breakfast',
      schedule: { name: 'Levothyroxine', status: 'active' },
    });
    expect(await doseRow(morning!.id)).toMatchObject({
      scheduleId,
      ownerId: user.id,
      localDate: '2026-08-01',
      localTime: '08:00',
      scheduledAt: Date.parse('2026-08-01T08:00:00Z'),
      status: 'taken',
      takenAt: Date.parse('2026-08-01T07:00:00Z'),
    });
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, morning!.id)).all();
    expect(audit.map((e) => [e.action, e.metadata])).toEqual([
      ['dose.take', { scheduleId, from: 'pending', to: 'taken' }],
    ]);
    const skipped = await me.post(`${DOSES}/${evening!.id}/skip`);
    expect([skipped.status, skipped.body.data.id, skipped.body.data.status]).toEqual([200, evening!.id, 'skipped']);
    expect((await doseRow(evening!.id))?.status).toBe('skipped');

    // The usual rules hold, and a refusal stores nothing.
    const early = await me.post(`${DOSES}/${tomorrowNight!.id}/take`);
    expect([early.status, early.body.errors?.[0]?.field]).toEqual([422, 'takenAt']);
    const earlySkip = await me.post(`${DOSES}/${tomorrow!.id}/skip`); // due in 25 hours
    expect([earlySkip.status, earlySkip.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await me.post(`${DOSES}/${morning!.id}/take`)).status).toBe(409);
    // An id no schedule of mine lists is nobody's dose; mine are no one else's.
    const last = tomorrow!.id.at(-1) === '0' ? '1' : '0';
    expect((await me.post(`${DOSES}/${tomorrow!.id.slice(0, -1)}${last}/skip`)).status).toBe(404);
    const intruder = actingAs(await createUser(), clock);
    for (const path of [`${tomorrow!.id}/skip`, `${tomorrow!.id}/take`]) {
      expect((await intruder.post(`${DOSES}/${path}`)).status).toBe(404);
    }
    expect((await august()).map((d) => d.id).sort()).toEqual([morning!.id, evening!.id].sort());

    const again = await me.get(`${DOSES}?from=2026-08-01&to=2026-08-02&tz=UTC`);
    expect(again.body.data.items.map((d: DoseItem) => [d.id, d.status])).toEqual([
      [morning!.id, 'taken'],
      [evening!.id, 'skipped'],
      [tomorrow!.id, 'pending'],
      [tomorrowNight!.id, 'pending'],
    ]);
    // The cron then stores the rest of the horizon around them, under the listed ids.
    await cron(clock);
    const stored = await august();
    expect(stored.filter((d) => d.localDate === '2026-08-01').map((d) => [d.id, d.status])).toEqual(
      expect.arrayContaining([
        [morning!.id, 'taken'],
        [evening!.id, 'skipped'],
      ]),
    );
    expect(stored.filter((d) => d.localDate === '2026-08-01')).toHaveLength(2);
    expect(
      stored
        .filter((d) => d.localDate === '2026-08-02')
        .map((d) => d.id)
        .sort(),
    ).toEqual([tomorrow!.id, tomorrowNight!.id].sort());
  });

  it('Should cut the range in my profile zone when no tz is given, and check it there', async () => {
    const clock = fixedClock('2026-08-31T06:00:00Z');
    const user = await createUser();
    const me = actingAs(user, clock);
    await createSchedule(me, medicine('Iron', ['14:30', '15:30'], 'UTC', '2026-08-31'));
    await db.insert(userProfiles).values({ userId: user.id, timeZone: 'Asia/Tokyo', updatedAt: Date.now() });
    clock.set('2026-09-01T23:30:00Z'); // already 2026-09-02 in Tokyo

    // Tokyo's 2026-09-02 runs from 15:00 UTC on the 1st to 15:00 UTC on the 2nd.
    const mine = await me.get(DOSES);
    expect(tripsOf(mine)).toBe(1);
    expect(mine.body.data.range).toEqual({ from: '2026-09-02', to: '2026-09-02', timeZone: 'Asia/Tokyo' });
    expect(mine.body.data.items.map((d: DoseItem) => [d.scheduledAt, d.status])).toEqual([
      ['2026-09-01T15:30:00.000Z', 'missed'],
      ['2026-09-02T14:30:00.000Z', 'pending'],
    ]);
    expect((await me.get(`${DOSES}?tz=Asia/Tokyo`)).body.data.items).toEqual(mine.body.data.items);

    // "From today" is valid in Tokyo, where today is the 2nd; in UTC it is still the 1st.
    const history = await me.get(`${DOSES}/history?from=2026-09-02`);
    expect([history.status, history.body.data.range]).toEqual([
      200,
      { from: '2026-09-02', to: '2026-09-02', timeZone: 'Asia/Tokyo' },
    ]);
    expect(history.body.data.summary).toMatchObject({ missed: 1, pending: 0 });
    expect(tripsOf(history)).toBe(1);
    const utc = await me.get(`${DOSES}/history?from=2026-09-02&tz=UTC`);
    expect([utc.status, utc.body.errors?.[0]?.field]).toEqual([422, 'to']);
    const tooLong = await me.get(`${DOSES}/history?from=2025-09-01`);
    expect([tooLong.status, tooLong.body.errors?.[0]?.field]).toEqual([422, 'to']);
  });

  it('Should move the stored horizon with a zone change and a resume, so reads compute exactly what is not stored', async () => {
    const clock = fixedClock('2026-10-01T06:00:00Z'); // 20:00 on the 1st in Kiritimati, 19:00 on the 30th in Pago Pago
    const user = await createUser();
    const me = actingAs(user, clock);
    const id = await createSchedule(me, medicine('Zinc', ['09:00'], 'Pacific/Kiritimati', '2026-10-01'));
    const horizon = async () => (await db.select().from(schedules).where(eq(schedules.id, id)).get())?.dosesThrough;
    const day = async (date: string, zone: string) => {
      const res = await me.get(`${DOSES}?date=${date}&tz=${zone}`);
      expect(tripsOf(res)).toBe(1);
      return res.body.data.items.map((d: DoseItem) => [d.localDate, d.localTime, d.status]);
    };
    expect(await horizon()).toBe('2026-10-31');

    // In Pago Pago it is still the 30th: doses are stored through 2026-10-30 there, the 31st is computed.
    const moved = await me.patch(`${SCHEDULES}/${id}`, { timeZone: 'Pacific/Pago_Pago' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(await horizon()).toBe('2026-10-30');
    expect(await day('2026-10-31', 'Pacific/Pago_Pago')).toEqual([['2026-10-31', '09:00', 'pending']]);
    const stored = await rowsOf(user.id);
    expect(stored.at(-1)).toMatchObject({ localDate: '2026-10-30', localTime: '09:00' });

    // Paused for ten days, resumed: stored through today + 30 from the resume on, computed beyond.
    expect((await me.post(`${SCHEDULES}/${id}/pause`)).status).toBe(200);
    expect(await day('2026-10-20', 'Pacific/Pago_Pago')).toEqual([]);
    clock.set('2026-10-11T06:00:00Z'); // 19:00 on the 10th in Pago Pago
    expect((await me.post(`${SCHEDULES}/${id}/resume`)).status).toBe(200);
    expect(await horizon()).toBe('2026-11-09');
    const count = (await rowsOf(user.id)).length;
    expect(await day('2026-11-09', 'Pacific/Pago_Pago')).toEqual([['2026-11-09', '09:00', 'pending']]);
    expect(await day('2026-11-10', 'Pacific/Pago_Pago')).toEqual([['2026-11-10', '09:00', 'pending']]);
    const rows = await rowsOf(user.id);
    expect(rows).toHaveLength(count);
    expect(rows.at(-1)).toMatchObject({ localDate: '2026-11-09' });
  });
});
