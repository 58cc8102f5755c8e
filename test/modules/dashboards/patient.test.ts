import { beforeAll, describe, expect, it } from 'vitest';
import { type DoseRow, doses, schedules, wellnessGoals } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { expectRefusals } from './support';

const NOW = new Date('2026-12-04T10:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const PATH = '/api/v1/dashboards/patient';

let patient: Awaited<ReturnType<typeof account>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  patient = await account('user', NOW);
  const me = patient.user.id;
  const { doctor, services } = await practice(NOW);
  const at = (startsAt: string, status: Parameters<typeof insertAppointment>[0]['status']) =>
    insertAppointment({ patientId: me, doctorId: doctor.user.id, serviceId: services[0]!.id, startsAt, status });
  await at('2026-12-03T10:00:00Z', 'confirmed'); // past
  await at('2026-12-05T10:00:00Z', 'cancelled');
  ids.next = (await at('2026-12-06T10:00:00Z', 'pending')).id;
  await at('2026-12-08T10:00:00Z', 'confirmed');

  // A daily medicine whose doses are stored well past today (nothing computed).
  const scheduleId = uniqueId('sch');
  await db.insert(schedules).values({
    id: scheduleId,
    ownerId: me,
    kind: 'medicine',
    medicineName: 'Metformin',
    timesOfDay: ['09:00'],
    timeZone: 'UTC',
    recurrence: { type: 'interval', everyNDays: 1 },
    startDate: '2026-10-01',
    dosesThrough: '2027-01-31',
    createdAt: 0,
    updatedAt: 0,
  });
  const dose = async (instant: string, status: DoseRow['status']) => {
    const id = uniqueId('dos');
    await db.insert(doses).values({
      id,
      scheduleId,
      ownerId: me,
      localDate: instant.slice(0, 10),
      localTime: instant.slice(11, 16),
      scheduledAt: Date.parse(instant),
      status,
      takenAt: status === 'taken' ? Date.parse(instant) : null,
      updatedAt: 0,
    });
    return id;
  };
  // The last 7 days: 3 taken, 1 missed, 1 skipped, 1 pending past its 2-hour grace (missed), 1 pending.
  ids.d0700 = await dose('2026-12-04T07:00:00Z', 'pending');
  ids.d0900 = await dose('2026-12-04T09:00:00Z', 'taken');
  ids.d0930 = await dose('2026-12-04T09:30:00Z', 'pending');
  ids.d2000 = await dose('2026-12-04T20:00:00Z', 'pending'); // later today: not due yet
  await dose('2026-12-03T09:00:00Z', 'taken');
  await dose('2026-12-02T09:00:00Z', 'taken');
  await dose('2026-12-01T09:00:00Z', 'missed');
  await dose('2026-11-30T09:00:00Z', 'skipped');
  // The 30 days: 3 more taken; one before them does not count.
  await dose('2026-11-20T09:00:00Z', 'taken');
  await dose('2026-11-10T09:00:00Z', 'taken');
  await dose('2026-11-05T09:00:00Z', 'taken');
  await dose('2026-11-01T09:00:00Z', 'missed');

  const goal = (title: string, status: 'active' | 'achieved', progress: number) => ({
    id: uniqueId('gol'),
    userId: me,
    templateId: null,
    title,
    category: 'activity' as const,
    targetValue: 50,
    unit: 'km',
    dueDate: '2026-12-31',
    horizon: 'short' as const,
    status,
    progress,
    createdAt: Date.parse('2026-11-30T20:00:00Z'),
    updatedAt: 0,
  });
  const walk = goal('Walk 50 km', 'active', 5.5);
  ids.goal = walk.id;
  await db.insert(wellnessGoals).values([walk, goal('Done already', 'achieved', 50)]);
});

describe('GET /dashboards/patient', () => {
  it("Should answer the next appointment, today's doses, adherence and goals, in one round trip", async () => {
    const res = await api.get(PATH, { token: patient.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const data = res.body.data;
    expect(data.nextAppointment.id).toBe(ids.next);
    expect(data.doses.range).toEqual({ from: '2026-12-04', to: '2026-12-04', timeZone: 'UTC' });
    expect(data.doses.items.map((d: { id: string; status: string }) => [d.id, d.status])).toEqual([
      [ids.d0700, 'missed'],
      [ids.d0900, 'taken'],
      [ids.d0930, 'pending'],
      [ids.d2000, 'pending'],
    ]);
    expect(data.adherence.last7Days).toEqual({
      days: 7,
      due: 6,
      taken: 3,
      missed: 2,
      skipped: 1,
      pending: 1,
      adherencePercent: 50,
    });
    expect(data.adherence.last30Days).toEqual({
      days: 30,
      due: 9,
      taken: 6,
      missed: 2,
      skipped: 1,
      pending: 1,
      adherencePercent: 66.7,
    });
    expect(data.goals).toEqual([
      {
        id: ids.goal,
        title: 'Walk 50 km',
        category: 'activity',
        targetValue: 50,
        unit: 'km',
        progress: 5.5,
        percent: 11,
        dueDate: '2026-12-31',
        createdAt: '2026-11-30T20:00:00.000Z',
      },
    ]);
  });

  it('Should answer a new patient with nothing planned', async () => {
    const fresh = await account('user', NOW);
    const res = await api.get(PATH, { token: fresh.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.nextAppointment).toBeNull();
    expect(res.body.data.doses.items).toEqual([]);
    expect(res.body.data.adherence.last7Days.adherencePercent).toBeNull();
    expect(res.body.data.goals).toEqual([]);
  });

  it('Should refuse every other role with 403 and no token with 401', async () => {
    await expectRefusals(api, PATH, ['user'], NOW);
  });
});
