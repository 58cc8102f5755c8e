import { and, eq, max } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { doses, schedules } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, tokenFor } from '../../helpers';

/** The cron keeps every active schedule's doses a full 30-day horizon ahead, once a day. */

const DAILY = {
  kind: 'medicine',
  medicineName: 'Lisinopril',
  dosage: '10 mg',
  quantityPerDose: 1,
  timesOfDay: ['08:00'],
  timeZone: 'UTC',
  recurrence: { type: 'interval', everyNDays: 1 },
};

const cron = (clock: ReturnType<typeof fixedClock>) =>
  runCron(createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'cron' }), CRON_TASKS);

async function create(clock: ReturnType<typeof fixedClock>, body: Record<string, unknown> = DAILY) {
  const user = await createUser();
  const res = await client({ clock }).post('/api/v1/schedules', {
    token: await tokenFor(user, clock.now()),
    json: { ...body, startDate: clock.now().toISOString().slice(0, 10) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { user, id: res.body.data.id as string };
}

const lastDoseDate = async (scheduleId: string) =>
  (
    await db
      .select({ last: max(doses.localDate) })
      .from(doses)
      .where(eq(doses.scheduleId, scheduleId))
      .get()
  )?.last;
const doseCount = async (scheduleId: string) =>
  (await db.select().from(doses).where(eq(doses.scheduleId, scheduleId)).all()).length;

describe('daily dose horizon', () => {
  it('Should extend an untouched schedule to today + 30 days once a day, and do nothing more that day', async () => {
    const clock = fixedClock('2026-06-01T06:00:00Z');
    const { id } = await create(clock);
    expect(await lastDoseDate(id)).toBe('2026-07-01');
    expect(await doseCount(id)).toBe(31);
    const stored = await db.select().from(schedules).where(eq(schedules.id, id)).get();
    expect(stored?.dosesThrough).toBe('2026-07-01');

    // Nobody opens the app for ten days: the cron tops the schedule up on its own.
    clock.set('2026-06-11T06:00:00Z');
    const first = await cron(clock);
    expect(first.find((r) => r.task === 'doses.extend-horizon')).toMatchObject({ ok: true });
    expect(await lastDoseDate(id)).toBe('2026-07-11');
    expect(await doseCount(id)).toBe(41);
    expect((await db.select().from(schedules).where(eq(schedules.id, id)).get())?.dosesThrough).toBe('2026-07-11');

    // The same day again: the schedule is not due, nothing is generated.
    clock.advance(60_000);
    const again = await cron(clock);
    expect(again.find((r) => r.task === 'doses.extend-horizon')).toMatchObject({ ok: true, count: 0 });
    expect(await doseCount(id)).toBe(41);
  });

  it('Should leave paused and ended schedules alone', async () => {
    const clock = fixedClock('2026-08-01T06:00:00Z');
    const paused = await create(clock);
    const pausedToken = await tokenFor(paused.user, clock.now());
    expect((await client({ clock }).post(`/api/v1/schedules/${paused.id}/pause`, { token: pausedToken })).status).toBe(
      200,
    );
    const ended = await create(clock, { ...DAILY, endDate: '2026-08-05' });
    expect(await lastDoseDate(ended.id)).toBe('2026-08-05');
    const pausedBefore = await doseCount(paused.id);

    clock.set('2026-08-20T06:00:00Z');
    await cron(clock);
    expect(await doseCount(paused.id)).toBe(pausedBefore);
    expect(await lastDoseDate(ended.id)).toBe('2026-08-05');
    const pausedRow = await db
      .select()
      .from(schedules)
      .where(and(eq(schedules.id, paused.id), eq(schedules.status, 'paused')))
      .get();
    expect(pausedRow).toBeDefined();
  });
});
