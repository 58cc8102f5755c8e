import { beforeAll, describe, expect, it } from 'vitest';
import { userProfiles } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { expectRefusals } from './support';

const NOW = new Date('2026-12-04T10:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const PATH = '/api/v1/dashboards/receptionist';

let desk: Awaited<ReturnType<typeof account>>;
const ids: Record<string, string> = {};
const idsOf = (list: { id: string }[]) => list.map((a) => a.id);

beforeAll(async () => {
  desk = await account('receptionist', NOW);
  const patient = await account('user', NOW);
  // Two doctors: receptionists see the whole practice.
  const one = await practice(NOW);
  const two = await practice(NOW);
  const at = (p: typeof one, startsAt: string, status: Parameters<typeof insertAppointment>[0]['status']) =>
    insertAppointment({
      patientId: patient.user.id,
      doctorId: p.doctor.user.id,
      serviceId: p.services[0]!.id,
      startsAt,
      status,
    });
  ids.pendingSoon = (await at(one, '2026-12-04T15:00:00Z', 'pending')).id;
  ids.pendingLater = (await at(two, '2026-12-20T10:00:00Z', 'pending')).id;
  await at(one, '2026-12-03T10:00:00Z', 'pending'); // its time has passed
  ids.expected = (await at(one, '2026-12-04T14:00:00Z', 'confirmed')).id;
  ids.arrived = (await at(two, '2026-12-04T09:45:00Z', 'in-progress')).id;
  ids.completed = (await at(one, '2026-12-04T08:00:00Z', 'completed')).id;
  ids.noShow = (await at(two, '2026-12-04T07:00:00Z', 'no-show')).id;
  await at(one, '2026-12-05T10:00:00Z', 'confirmed'); // tomorrow
  await at(two, '2026-12-04T11:00:00Z', 'cancelled');
});

describe('GET /dashboards/receptionist', () => {
  it("Should answer the requests awaiting confirmation and today's arrivals, in one round trip", async () => {
    const res = await api.get(PATH, { token: desk.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const data = res.body.data;
    expect(data.timeZone).toBe('UTC');
    expect(data.awaitingConfirmation.count).toBe(2);
    expect(idsOf(data.awaitingConfirmation.appointments)).toEqual([ids.pendingSoon, ids.pendingLater]);
    expect(data.arrivals).toMatchObject({ date: '2026-12-04', expected: 1, arrived: 1, completed: 1, noShow: 1 });
    expect(idsOf(data.arrivals.appointments)).toEqual([ids.noShow, ids.completed, ids.arrived, ids.expected]);
  });

  it("Should count today in the receptionist's own zone", async () => {
    const far = await account('receptionist', NOW);
    // 10:00 UTC is already midnight of 5 December at UTC+14: the visits of 4 December after 10:00 UTC.
    await db.insert(userProfiles).values({ userId: far.user.id, timeZone: 'Pacific/Kiritimati', updatedAt: 0 });
    const res = await api.get(PATH, { token: far.token });
    expect(res.body.data.arrivals).toMatchObject({ date: '2026-12-05', expected: 1, arrived: 0, completed: 0 });
    expect(idsOf(res.body.data.arrivals.appointments)).toEqual([ids.expected]);
  });

  it('Should refuse every other role with 403 and no token with 401', async () => {
    await expectRefusals(api, PATH, ['receptionist'], NOW);
  });
});
