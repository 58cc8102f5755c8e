import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { auditEvents, type DoseRow, doses, type schedules } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import {
  DOSE_GRACE_MS,
  DOSE_ROWS_PER_INSERT,
  doseInserts,
  extendDoseHorizons,
  MISSED_BATCH,
  markMissedDoses,
} from '../../../src/modules/schedules/doses.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, tokenFor, uniqueId } from '../../helpers';

/**
 * markMissedDoses sweeps every owner's doses, so this file keeps its own storage (storage is isolated
 * per test file) and counts exactly.
 */

const SCHEDULES = '/api/v1/schedules';
const DOSES = '/api/v1/doses';

/** A service context for a job run (no actor), on `clock`. */
const jobContext = (clock: ReturnType<typeof fixedClock>) =>
  createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: uniqueId('req') });

const dosesOf = (scheduleId: string) =>
  db.select().from(doses).where(eq(doses.scheduleId, scheduleId)).orderBy(asc(doses.scheduledAt)).all();
const statusOf = async (id: string) => (await db.select().from(doses).where(eq(doses.id, id)).get())?.status;

describe('markMissedDoses', () => {
  it('Should keep a dose pending through its grace period and mark it missed after, leaving marked doses alone', async () => {
    expect(DOSE_GRACE_MS).toBe(2 * 3600_000);
    const clock = fixedClock('2026-09-01T07:00:00Z');
    const user = await createUser();
    const api = client({ clock });
    const created = await api.post(SCHEDULES, {
      token: await tokenFor(user, clock.now()),
      json: {
        kind: 'medicine',
        medicineName: 'Warfarin',
        dosage: '5 mg',
        timesOfDay: ['08:00'],
        timeZone: 'UTC',
        recurrence: { type: 'interval', everyNDays: 1 },
        startDate: '2026-09-01',
      },
    });
    const [first, second, third] = await dosesOf(created.body.data.id);
    expect(first).toMatchObject({ localDate: '2026-09-01', status: 'pending' });

    // 08:00 + 2 h grace: still pending at 09:59 and at exactly 10:00.
    clock.set('2026-09-01T09:59:00Z');
    expect(await markMissedDoses(jobContext(clock))).toBe(0);
    clock.set('2026-09-01T10:00:00Z');
    expect(await markMissedDoses(jobContext(clock))).toBe(0);
    expect(await statusOf(first!.id)).toBe('pending');

    // The second dose is taken early; the third skipped.
    const take = await api.post(`${DOSES}/${second!.id}/take`, { token: await tokenFor(user, clock.now()) });
    expect(take.status).toBe(200);
    clock.set('2026-09-02T09:00:00Z');
    await api.post(`${DOSES}/${third!.id}/skip`, { token: await tokenFor(user, clock.now()) });

    clock.set('2026-09-03T12:00:00Z');
    expect(await markMissedDoses(jobContext(clock))).toBe(1);
    expect(await statusOf(first!.id)).toBe('missed');
    expect(await statusOf(second!.id)).toBe('taken');
    expect(await statusOf(third!.id)).toBe('skipped');
    // Idempotent: nothing left to mark.
    expect(await markMissedDoses(jobContext(clock))).toBe(0);

    const audit = await db.select().from(auditEvents).where(eq(auditEvents.action, 'dose.missed')).all();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: null, patientId: user.id, resourceType: 'dose' });
    expect(audit[0]!.metadata).toEqual({ doseIds: [first!.id], graceMinutes: 120 });
  });

  it('Should mark at most one batch per call, oldest first, and only the given owner when asked', async () => {
    // Before the doses of the test above, which this sweep must not reach.
    const clock = fixedClock('2026-01-15T00:00:00Z');
    const ctx = jobContext(clock);
    const [alice, bob] = [await createUser(), await createUser()];
    const now = clock.now().getTime();
    const rowsFor = (ownerId: string, scheduleId: string, n: number): DoseRow[] =>
      Array.from({ length: n }, (_, i) => ({
        id: uniqueId('dos'),
        scheduleId,
        ownerId,
        localDate: new Date(now - (i + 1) * 3600_000 - DOSE_GRACE_MS).toISOString().slice(0, 10),
        localTime: `${String(i % 24).padStart(2, '0')}:${String(Math.floor(i / 24) % 60).padStart(2, '0')}`,
        scheduledAt: now - (i + 1) * 3600_000 - DOSE_GRACE_MS,
        status: 'pending',
        takenAt: null,
        note: null,
        updatedAt: now,
      }));
    const aliceRows = rowsFor(alice.id, uniqueId('sch'), MISSED_BATCH + 40);
    const bobRows = rowsFor(bob.id, uniqueId('sch'), 30);
    for (let i = 0; i < aliceRows.length; i += DOSE_ROWS_PER_INSERT) {
      await db.insert(doses).values(aliceRows.slice(i, i + DOSE_ROWS_PER_INSERT));
    }
    await db.insert(doses).values(bobRows.slice(0, 10));
    await db.insert(doses).values(bobRows.slice(10, 20));
    await db.insert(doses).values(bobRows.slice(20));

    expect(await markMissedDoses(ctx, { ownerId: bob.id })).toBe(30);
    expect(await statusOf(aliceRows[0]!.id)).toBe('pending');
    expect(await markMissedDoses(ctx)).toBe(MISSED_BATCH);
    // Oldest first: the newest 40 of Alice's are what is left.
    expect(await statusOf(aliceRows.at(-1)!.id)).toBe('missed');
    expect(await statusOf(aliceRows[0]!.id)).toBe('pending');
    expect(await markMissedDoses(ctx)).toBe(40);
    expect(await markMissedDoses(ctx)).toBe(0);
  });
});

describe('dose generation internals', () => {
  it('Should keep every chunked insert under D1’s 100 bound parameters', async () => {
    const clock = fixedClock('2026-10-01T00:00:00Z');
    const ctx = jobContext(clock);
    const schedule = {
      id: uniqueId('sch'),
      ownerId: uniqueId('usr'),
    } as typeof schedules.$inferSelect;
    const list = Array.from({ length: 95 }, (_, i) => ({
      localDate: `2026-10-${String((i % 28) + 1).padStart(2, '0')}`,
      localTime: `${String(i % 24).padStart(2, '0')}:00`,
      scheduledAt: i,
    }));
    const statements = doseInserts(ctx, schedule, list, 0);
    expect(statements).toHaveLength(Math.ceil(95 / DOSE_ROWS_PER_INSERT));
    for (const statement of statements) expect(statement.toSQL().params.length).toBeLessThanOrEqual(100);
  });

  it('Should store doses idempotently, nothing in the past or for paused schedules, reads storing nothing', async () => {
    const clock = fixedClock('2026-11-10T12:00:00Z');
    const user = await createUser();
    const api = client({ clock });
    const token = await tokenFor(user, clock.now());
    const body = {
      kind: 'medicine',
      medicineName: 'Vitamin B12',
      timesOfDay: ['08:00', '18:00'],
      timeZone: 'UTC',
      recurrence: { type: 'interval', everyNDays: 1 },
      startDate: '2026-11-01',
      endDate: '2027-06-30',
    };
    const active = (await api.post(SCHEDULES, { token, json: body })).body.data;
    const paused = (await api.post(SCHEDULES, { token, json: body })).body.data;
    await api.post(`${SCHEDULES}/${paused.id}/pause`, { token });

    // The horizon (through 2026-12-10) is stored; the past (from 2026-11-01) is never back-filled.
    const horizon = await dosesOf(active.id);
    expect(horizon).toHaveLength(1 + 30 * 2);
    expect(horizon[0]).toMatchObject({ localDate: '2026-11-10', localTime: '18:00' });
    expect(horizon.at(-1)).toMatchObject({ localDate: '2026-12-10', localTime: '18:00' });
    // Reading beyond it lists the active schedule's doses, computed, and stores none.
    const beyond = await api.get(`${DOSES}?from=2026-12-11&to=2026-12-20&tz=UTC&limit=100`, { token });
    expect(beyond.body.data.items).toHaveLength(20);
    expect(beyond.body.data.items.every((d: { scheduleId: string }) => d.scheduleId === active.id)).toBe(true);
    expect(await dosesOf(active.id)).toHaveLength(61);

    // Ten days on, the horizon reaches 2026-12-20: those very doses are stored, once.
    clock.set('2026-11-20T12:00:00Z');
    await extendDoseHorizons(jobContext(clock));
    await extendDoseHorizons(jobContext(clock));
    const rows = await dosesOf(active.id);
    expect(rows).toHaveLength(61 + 20);
    expect(rows[0]).toMatchObject({ localDate: '2026-11-10', localTime: '18:00' });
    expect(rows.at(-1)).toMatchObject({ localDate: '2026-12-20', localTime: '18:00' });
    const stored = new Set(rows.map((d) => d.id));
    expect(beyond.body.data.items.every((d: { id: string }) => stored.has(d.id))).toBe(true);
    expect(await dosesOf(paused.id)).toEqual([]);
  });
});
