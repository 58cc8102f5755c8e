import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { createContext } from '../../../src/context';
import { runBatch } from '../../../src/db/batch';
import { devOutbox, doses, reminders, schedules } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { eraseAccount } from '../../../src/modules/account-deletion/account-erasure';
import { medicineScheduleRow, newScheduleStatements } from '../../../src/modules/schedules/schedules.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { type ApiResponse, client, createUser, db, testEnv, tokenFor } from '../../helpers';
import { reminderJobsAt, runQueue } from '../../support/notifications';

/**
 * Medicine and supplement schedules of a dependent: created by their guardian for one of their own
 * dependents only (another's is NOT_FOUND, nothing stored), shown and filtered by person, reminding the
 * guardian with the dependent's name, and gone with the dependent.
 */

const V1 = '/api/v1';
const MINUTE = 60_000;
const START = '2026-06-01T06:00:00Z'; // 08:00 in Berlin
const UNKNOWN_DEPENDENT = 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

type Clock = ReturnType<typeof fixedClock>;

const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

const medicine = (extra: Record<string, unknown> = {}) => ({
  kind: 'medicine',
  medicineName: 'Amoxicillin',
  dosage: '250 mg',
  timesOfDay: ['09:00', '21:00'],
  timeZone: 'Europe/Berlin',
  recurrence: { type: 'interval', everyNDays: 1 },
  ...extra,
});

/** A user acting over HTTP at the clock's time, with one dependent of theirs. */
async function guardian(clock: Clock, dependentName = 'Mia Santos') {
  const user = await createUser();
  const api = client({ clock });
  const call = async (method: string, path: string, json?: unknown) =>
    api.call(method, `${V1}${path}`, { token: await tokenFor(user, clock.now()), ...(json ? { json } : {}) });
  const dep = await call('POST', '/users/me/dependents', {
    name: dependentName,
    dateOfBirth: '2020-05-01',
    relationship: 'child',
  });
  expect(dep.status, JSON.stringify(dep.body)).toBe(201);
  return { user, call, dependentId: dep.body.data.id as string };
}

const schedulesOf = (ownerId: string) => db.select().from(schedules).where(eq(schedules.ownerId, ownerId)).all();
const dosesOf = (ownerId: string) => db.select().from(doses).where(eq(doses.ownerId, ownerId)).all();
const pendingRemindersOf = (userId: string) =>
  db
    .select()
    .from(reminders)
    .where(and(eq(reminders.recipientId, userId), eq(reminders.subjectType, 'dose'), eq(reminders.status, 'pending')))
    .all();

describe('schedules of dependents', () => {
  it('Should create a schedule for my dependent in two round trips, show whom it is for and never move it', async () => {
    const clock = fixedClock(START);
    const { user, call, dependentId } = await guardian(clock);
    const res = await call('POST', '/schedules', medicine({ dependentId }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBe(2);
    const person = { type: 'dependent', dependentId, name: 'Mia Santos' };
    expect(res.body.data).toMatchObject({ name: 'Amoxicillin', person });
    const [row] = await schedulesOf(user.id);
    expect(row).toMatchObject({ id: res.body.data.id, ownerId: user.id, dependentId });
    // The doses are the guardian's (the dependent has no account).
    expect((await dosesOf(user.id)).length).toBeGreaterThan(0);

    const read = await call('GET', `/schedules/${res.body.data.id}`);
    expect(read.body.data.person).toEqual(person);
    expect(tripsOf(read)).toBe(1);

    // Absent or null: the schedule is mine.
    const mine = await call('POST', '/schedules', medicine({ dependentId: null, medicineName: 'Ibuprofen' }));
    expect(mine.status).toBe(201);
    expect(mine.body.data.person).toEqual({ type: 'self' });
    const absent = await call('POST', '/schedules', medicine({ medicineName: 'Zinc' }));
    expect(absent.body.data.person).toEqual({ type: 'self' });

    // PATCH does not move a schedule between persons.
    const moved = await call('PATCH', `/schedules/${mine.body.data.id}`, { dependentId });
    expect(moved.status).toBe(422);
    expect(moved.body.error.code).toBe('VALIDATION_FAILED');
    const renamed = await call('PATCH', `/schedules/${res.body.data.id}`, { dosage: '500 mg' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data.person).toEqual(person);
    expect((await schedulesOf(user.id)).find((s) => s.id === mine.body.data.id)!.dependentId).toBeNull();
  });

  it('Should refuse another user’s dependent as one that does not exist, storing nothing', async () => {
    const clock = fixedClock(START);
    const { user, call } = await guardian(clock);
    const other = await guardian(clock, 'Leo Other');
    const theirs = await call('POST', '/schedules', medicine({ dependentId: other.dependentId }));
    const unknown = await call('POST', '/schedules', medicine({ dependentId: UNKNOWN_DEPENDENT }));
    for (const res of [theirs, unknown]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(tripsOf(res)).toBe(1);
    }
    expect(theirs.body.error.message).toBe(unknown.body.error.message);
    expect(await schedulesOf(user.id)).toEqual([]);
    expect(await dosesOf(user.id)).toEqual([]);
    expect(await pendingRemindersOf(user.id)).toEqual([]);
    expect(await schedulesOf(other.user.id)).toEqual([]);

    // Not a dependent id at all: a validation error.
    const malformed = await call('POST', '/schedules', medicine({ dependentId: 'mia' }));
    expect(malformed.status).toBe(422);
    // Nor can I list their schedules or doses.
    for (const path of ['/schedules', '/doses', '/doses/history']) {
      const res = await call('GET', `${path}?person=${other.dependentId}`);
      expect(res.status, path).toBe(404);
      expect(tripsOf(res)).toBe(1);
    }
  });

  it('Should list schedules and doses by person in one round trip, each dose naming whom it is for', async () => {
    const clock = fixedClock(START);
    const { call, dependentId } = await guardian(clock);
    const forMia = await call('POST', '/schedules', medicine({ dependentId }));
    const forMe = await call('POST', '/schedules', medicine({ medicineName: 'Metformin', timesOfDay: ['10:00'] }));
    const mia = { type: 'dependent', dependentId, name: 'Mia Santos' };

    const all = await call('GET', '/schedules');
    // Same clock, same createdAt: the order between them is by id.
    expect(all.body.data.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [forMe.body.data.id, forMia.body.data.id].sort(),
    );
    const theirs = await call('GET', `/schedules?person=${dependentId}`);
    expect(theirs.status).toBe(200);
    expect(tripsOf(theirs)).toBe(1);
    expect(theirs.body.data.items.map((s: { id: string; person: unknown }) => [s.id, s.person])).toEqual([
      [forMia.body.data.id, mia],
    ]);
    expect(theirs.body.data.pagination.total).toBe(1);
    const self = await call('GET', '/schedules?person=self');
    expect(self.body.data.items.map((s: { id: string }) => s.id)).toEqual([forMe.body.data.id]);

    type Dose = { scheduleId: string; localTime: string; schedule: { person: unknown } };
    const today = await call('GET', '/doses?tz=Europe/Berlin');
    expect(tripsOf(today)).toBe(1);
    expect(today.body.data.items.map((d: Dose) => [d.localTime, d.schedule.person])).toEqual([
      ['09:00', mia],
      ['10:00', { type: 'self' }],
      ['21:00', mia],
    ]);
    const miaToday = await call('GET', `/doses?tz=Europe/Berlin&person=${dependentId}`);
    expect(miaToday.status).toBe(200);
    expect(tripsOf(miaToday)).toBe(1);
    expect(miaToday.body.data.items.map((d: Dose) => d.localTime)).toEqual(['09:00', '21:00']);
    expect(miaToday.body.data.pagination.total).toBe(2);
    const myToday = await call('GET', '/doses?person=self&tz=Europe/Berlin');
    expect(myToday.body.data.items.map((d: Dose) => d.scheduleId)).toEqual([forMe.body.data.id]);
    // Beyond the stored horizon, computed doses are filtered alike.
    const later = await call('GET', `/doses?date=2026-08-01&tz=Europe/Berlin&person=${dependentId}`);
    expect(later.body.data.items.map((d: Dose) => [d.scheduleId, d.localTime])).toEqual([
      [forMia.body.data.id, '09:00'],
      [forMia.body.data.id, '21:00'],
    ]);

    // Marking Mia's dose answers it with her name; her history lists it.
    const first = miaToday.body.data.items[0] as { id: string };
    clock.set('2026-06-01T07:05:00Z');
    const taken = await call('POST', `/doses/${first.id}/take`, {});
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(taken.body.data.schedule.person).toEqual(mia);
    const history = await call('GET', `/doses/history?tz=Europe/Berlin&person=${dependentId}`);
    expect(tripsOf(history)).toBe(1);
    expect(history.body.data.items.map((d: { id: string }) => d.id)).toEqual([first.id]);
    expect(history.body.data.summary).toMatchObject({ taken: 1 });
    const myHistory = await call('GET', '/doses/history?tz=Europe/Berlin&person=self');
    expect(myHistory.body.data.items).toEqual([]);
  });

  it('Should remind the guardian of a dependent’s dose, naming the dependent', async () => {
    const clock = fixedClock(START);
    const { user, call, dependentId } = await guardian(clock, 'Noah Santos');
    const res = await call('POST', '/schedules', medicine({ dependentId, timesOfDay: ['09:00'] }));
    expect(res.status).toBe(201);
    const dueAt = Date.parse('2026-06-01T07:00:00Z'); // 09:00 in Berlin
    const [job, ...more] = await reminderJobsAt(dueAt - 10 * MINUTE, user.id);
    expect(more).toEqual([]);
    expect(job!.payload).toMatchObject({
      recipientId: user.id,
      notice: {
        template: 'medication-reminder',
        data: { medicineName: 'Amoxicillin', dose: '250 mg', forName: 'Noah Santos', scheduleId: res.body.data.id },
      },
    });
    await runQueue([job!], { deps: { clock: fixedClock(new Date(dueAt - 9 * MINUTE)) } });
    const [mail] = await db.select().from(devOutbox).where(eq(devOutbox.recipient, user.email!)).all();
    expect(mail!.html).toContain('Noah Santos');
  });

  it('Should remove a deleted dependent’s schedules, doses and pending reminders, keeping mine', async () => {
    const clock = fixedClock(START);
    const { user, call, dependentId } = await guardian(clock);
    const forMia = await call('POST', '/schedules', medicine({ dependentId }));
    const forMe = await call('POST', '/schedules', medicine({ medicineName: 'Metformin' }));
    const before = await dosesOf(user.id);
    const miaDoses = before.filter((d) => d.scheduleId === forMia.body.data.id).map((d) => d.id);
    expect(miaDoses.length).toBeGreaterThan(0);
    // A past, marked dose of hers goes too: nothing may point at a person who is gone.
    clock.set('2026-06-01T07:05:00Z');
    expect((await call('POST', `/doses/${miaDoses[0]}/take`, {})).status).toBe(200);

    const removed = await call('DELETE', `/users/me/dependents/${dependentId}`);
    expect(removed.status).toBe(200);
    expect((await schedulesOf(user.id)).map((s) => s.id)).toEqual([forMe.body.data.id]);
    const left = await dosesOf(user.id);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((d) => d.scheduleId === forMe.body.data.id)).toBe(true);
    const pending = await pendingRemindersOf(user.id);
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.some((r) => miaDoses.includes(r.subjectId))).toBe(false);
    expect((await call('GET', `/schedules/${forMia.body.data.id}`)).status).toBe(404);
    expect((await call('GET', `/schedules?person=${dependentId}`)).status).toBe(404);
  });

  it('Should store nothing when the dependent is no longer mine at the write', async () => {
    // The write itself checks the dependent: a batch built for one removed since it was read rolls back.
    const clock = fixedClock(START);
    const { user, dependentId } = await guardian(clock);
    const other = await guardian(clock, 'Leo Other');
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'race' });
    const now = clock.now().getTime();
    const row = {
      ...medicineScheduleRow(
        ctx,
        {
          ownerId: user.id,
          medicineName: 'Amoxicillin',
          dosage: null,
          timesOfDay: ['09:00'],
          timeZone: 'Europe/Berlin',
          startDate: '2026-06-01',
          endDate: '2026-06-30',
          notes: null,
          source: 'user',
        },
        now,
      ),
      dependentId: other.dependentId,
    };
    await expect(runBatch(ctx.db, newScheduleStatements(ctx, row, now))).rejects.toThrow();
    expect(await schedulesOf(user.id)).toEqual([]);
    expect(await dosesOf(user.id)).toEqual([]);
    expect(await pendingRemindersOf(user.id)).toEqual([]);
    // With my own dependent the same statements store it.
    await runBatch(ctx.db, newScheduleStatements(ctx, { ...row, dependentId }, now));
    expect((await schedulesOf(user.id)).map((s) => s.dependentId)).toEqual([dependentId]);
  });

  it('Should erase a dependent’s schedules, doses and reminders with the account', async () => {
    const clock = fixedClock(START);
    const { user, call, dependentId } = await guardian(clock);
    expect((await call('POST', '/schedules', medicine({ dependentId }))).status).toBe(201);
    expect((await dosesOf(user.id)).length).toBeGreaterThan(0);
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'erase' });
    await eraseAccount(ctx, user.id, 'anonymize');
    expect(await schedulesOf(user.id)).toEqual([]);
    expect(await dosesOf(user.id)).toEqual([]);
    expect(await pendingRemindersOf(user.id)).toEqual([]);
  });
});
