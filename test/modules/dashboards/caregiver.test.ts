import { beforeAll, describe, expect, it } from 'vitest';
import { type CareSessionRow, careAlerts, caregiverLinks, careReports, careSessions } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { account } from '../../support/practice';
import { auditOf, tripsOf } from '../../support/round-trips';
import { expectRefusals } from './support';

const NOW = new Date('2026-12-04T10:00:00Z');
const api = client({ clock: fixedClock(NOW) });
const PATH = '/api/v1/dashboards/caregiver';

let carer: Awaited<ReturnType<typeof account>>;
const ids: Record<string, string> = {};
const idsOf = (list: { id: string }[]) => list.map((a) => a.id);

async function session(caregiverId: string, patientId: string, startsAt: string, status: CareSessionRow['status']) {
  const start = Date.parse(startsAt);
  const id = uniqueId('cse');
  await db.insert(careSessions).values({
    id,
    patientId,
    caregiverId,
    bookedBy: patientId,
    mode: 'in-person',
    status,
    startsAt: start,
    endsAt: start + 2 * 3_600_000,
    bufferMinutes: 0,
    timeZone: 'UTC',
    address: '1 Main St',
    hourlyRateCents: 2500,
    currency: 'EUR',
    createdAt: 0,
    updatedAt: 0,
  });
  return id;
}

async function report(patientId: string, authorId: string, sessionId: string | null) {
  const id = uniqueId('crp');
  await db.insert(careReports).values({
    id,
    patientId,
    authorId,
    sessionId,
    status: 'deteriorating',
    version: 1,
    keyId: 'k1',
    content: 'sealed',
    createdAt: NOW.getTime() - 3_600_000,
    updatedAt: 0,
  });
  return id;
}

async function alert(patientId: string, severity: 'high' | 'critical', status: 'open' | 'acknowledged' = 'open') {
  const id = uniqueId('cal');
  await db.insert(careAlerts).values({
    id,
    patientId,
    reportId: await report(patientId, carer.user.id, null),
    severity,
    status,
    createdAt: NOW.getTime() - (severity === 'critical' ? 60_000 : 120_000),
  });
  return id;
}

beforeAll(async () => {
  carer = await account('caregiver', NOW);
  const me = carer.user.id;
  const cared = await account('user', NOW);
  const linked = await account('user', NOW);
  const stranger = await account('user', NOW);
  const otherCarer = await account('caregiver', NOW);
  ids.today = await session(me, cared.user.id, '2026-12-04T14:00:00Z', 'confirmed');
  await session(me, cared.user.id, '2026-12-04T16:00:00Z', 'cancelled');
  ids.requested = await session(me, cared.user.id, '2026-12-05T10:00:00Z', 'requested');
  ids.confirmed = await session(me, cared.user.id, '2026-12-06T10:00:00Z', 'confirmed');
  ids.unreported = await session(me, cared.user.id, '2026-12-01T10:00:00Z', 'completed');
  const reported = await session(me, cared.user.id, '2026-11-28T10:00:00Z', 'completed');
  await report(cared.user.id, me, reported);
  await session(me, cared.user.id, '2026-10-01T10:00:00Z', 'completed'); // older than 30 days
  await session(otherCarer.user.id, stranger.user.id, '2026-12-04T12:00:00Z', 'confirmed');
  await db.insert(caregiverLinks).values({
    id: uniqueId('cgl'),
    patientId: linked.user.id,
    caregiverId: me,
    requestId: uniqueId('cgr'),
    createdAt: 0,
  });
  ids.highAlert = await alert(cared.user.id, 'high');
  ids.criticalAlert = await alert(linked.user.id, 'critical');
  await alert(cared.user.id, 'critical', 'acknowledged');
  await alert(stranger.user.id, 'critical');
});

describe('GET /dashboards/caregiver', () => {
  it("Should answer today's and upcoming sessions, their patients' open alerts and reports due, in one round trip", async () => {
    const res = await api.get(PATH, { token: carer.token });
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(await auditOf(res)).toEqual([]); // reading writes nothing
    const data = res.body.data;
    expect(data.timeZone).toBe('UTC');
    expect(data.today.date).toBe('2026-12-04');
    expect(idsOf(data.today.sessions)).toEqual([ids.today]);
    expect(data.upcoming.awaitingAnswer).toBe(1);
    expect(idsOf(data.upcoming.sessions)).toEqual([ids.requested, ids.confirmed]);
    expect(data.openAlerts.count).toBe(2);
    expect(data.openAlerts.alerts.map((a: { id: string; severity: string }) => [a.id, a.severity])).toEqual([
      [ids.criticalAlert, 'critical'],
      [ids.highAlert, 'high'],
    ]);
    expect(data.reportsDue.count).toBe(1);
    expect(idsOf(data.reportsDue.sessions)).toEqual([ids.unreported]);
  });

  it('Should refuse every other role with 403 and no token with 401', async () => {
    await expectRefusals(api, PATH, ['caregiver'], NOW);
  });
});
