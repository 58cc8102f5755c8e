import { OpenAPIHono } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  careAlerts,
  careSessions,
  deliveries,
  doses,
  healthScores,
  type NOTIFICATION_CHANNELS,
  sessions,
  vaccineSchedules,
} from '../../../src/db/schema';
import { csvResponse } from '../../../src/http/csv';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { tripsOf } from '../../support/round-trips';
import { accountAt, appointmentAt, at, rollUpAllAt, signedInAt } from './support';

/**
 * The usage, Health & Wellness and Home Care tables through HTTP: seeded rows on known days, the cron's
 * rollups for the closed days and today's live figures, per day, week and month; CSV exports; refusals.
 */

const NOW = new Date('2026-03-11T10:00:00Z'); // a Wednesday
const clock = fixedClock(NOW);
const api = client({ clock });
const V1 = '/api/v1';
const RANGE = 'from=2026-03-09&to=2026-03-11';

let adminToken: string;
let patientToken: string;

async function sessionAt(userId: string, createdAt: string, lastUsedAt = createdAt) {
  await db.insert(sessions).values({
    id: uniqueId('ses'),
    userId,
    method: 'password',
    createdAt: at(createdAt),
    lastUsedAt: at(lastUsedAt),
    expiresAt: at(createdAt) + 90 * 86_400_000,
  });
}

async function deliveryAt(
  channel: (typeof NOTIFICATION_CHANNELS)[number],
  status: 'sent' | 'delivered' | 'failed',
  sentAt: string | null,
) {
  await db.insert(deliveries).values({
    id: uniqueId('dlv'),
    subjectType: 'appointment',
    subjectId: uniqueId('apt'),
    kind: 'appointment.booked',
    recipientId: uniqueId('usr'),
    channel,
    status,
    sentAt: sentAt ? at(sentAt) : null,
    createdAt: at('2026-03-10T08:00:00Z'),
    updatedAt: at('2026-03-10T08:00:00Z'),
  });
}

beforeAll(async () => {
  adminToken = (await signedInAt('admin', '2026-03-01T09:00:00Z', NOW)).token; // signs in today
  patientToken = (await signedInAt('user', '2026-03-01T09:00:00Z', NOW)).token; // signs in today
  const u1 = await accountAt('user', '2026-03-09T09:00:00Z');
  const u2 = await accountAt('user', '2026-03-10T09:00:00Z');
  const caregiver = await accountAt('caregiver', '2026-03-10T11:00:00Z');
  const doctor = await accountAt('doctor', '2026-03-02T09:00:00Z');

  // Usage: sign-ins and activity on the 9th and 10th (and the two tokens' sessions today).
  await sessionAt(u1.id, '2026-03-09T10:00:00Z', '2026-03-09T12:00:00Z');
  await sessionAt(u1.id, '2026-03-10T10:00:00Z', '2026-03-10T13:00:00Z');
  await sessionAt(u2.id, '2026-03-10T10:30:00Z');
  await appointmentAt({
    patientId: u1.id,
    doctorId: doctor.id,
    startsAt: '2026-03-20T09:00:00Z',
    createdAt: '2026-03-09T10:00:00Z',
  });
  await appointmentAt({
    patientId: u2.id,
    doctorId: doctor.id,
    startsAt: '2026-03-20T10:00:00Z',
    createdAt: '2026-03-09T11:00:00Z',
  });
  await appointmentAt({
    patientId: u2.id,
    doctorId: doctor.id,
    startsAt: '2026-03-21T10:00:00Z',
    status: 'cancelled',
    createdAt: '2026-03-10T09:00:00Z',
    cancelledAt: '2026-03-10T15:00:00Z',
  });
  await appointmentAt({
    patientId: u1.id,
    doctorId: doctor.id,
    startsAt: '2026-03-22T10:00:00Z',
    createdAt: '2026-03-11T09:00:00Z',
  });
  await deliveryAt('in-app', 'delivered', '2026-03-10T08:00:00Z');
  await deliveryAt('in-app', 'sent', '2026-03-10T09:00:00Z');
  await deliveryAt('email', 'delivered', '2026-03-10T09:00:00Z');
  await deliveryAt('sms', 'failed', null);
  await deliveryAt('push', 'sent', '2026-03-11T09:00:00Z');

  // Health & Wellness.
  const score = (userId: string, date: string, overall: number, sleep: number | null) =>
    db.insert(healthScores).values({
      id: uniqueId('hsc'),
      userId,
      date,
      overall,
      sleep,
      createdAt: at(`${date}T20:00:00Z`),
      updatedAt: at(`${date}T20:00:00Z`),
    });
  await score(u1.id, '2026-03-09', 70, 60);
  await score(u2.id, '2026-03-09', 80, null);
  for (const [i, status] of (['taken', 'taken', 'taken', 'missed'] as const).entries()) {
    await db.insert(doses).values({
      id: uniqueId('dos'),
      scheduleId: 'sch_stats',
      ownerId: u1.id,
      localDate: '2026-03-10',
      localTime: `0${i + 6}:00`,
      scheduledAt: at(`2026-03-10T0${i + 6}:00:00Z`),
      status,
      updatedAt: at('2026-03-10T12:00:00Z'),
    });
  }
  for (const dose of [1, 2]) {
    await db.insert(vaccineSchedules).values({
      id: uniqueId('vsc'),
      ownerId: u1.id,
      vaccineId: 'vac_stats',
      doseNumber: dose,
      dueDate: '2026-03-10',
      status: 'administered',
      administeredOn: '2026-03-10',
      createdAt: at('2026-03-01T00:00:00Z'),
      updatedAt: at('2026-03-10T00:00:00Z'),
    });
  }

  // Home Care.
  for (const [i, status] of (['completed', 'completed', 'cancelled', 'no-show'] as const).entries()) {
    await db.insert(careSessions).values({
      id: uniqueId('cse'),
      patientId: u1.id,
      caregiverId: caregiver.id,
      bookedBy: u1.id,
      mode: 'in-person',
      status,
      startsAt: at(`2026-03-10T1${i}:00:00Z`),
      endsAt: at(`2026-03-10T1${i}:30:00Z`),
      bufferMinutes: 0,
      timeZone: 'UTC',
      hourlyRateCents: 2500,
      currency: 'EUR',
      createdAt: at('2026-03-01T00:00:00Z'),
      updatedAt: at('2026-03-10T00:00:00Z'),
    });
  }
  await db.insert(careAlerts).values([
    {
      id: uniqueId('cal'),
      patientId: u1.id,
      reportId: uniqueId('crp'),
      severity: 'high',
      status: 'acknowledged',
      createdAt: at('2026-03-10T10:00:00Z'),
      acknowledgedAt: at('2026-03-10T10:05:00Z'),
      ackSeconds: 300,
    },
    {
      id: uniqueId('cal'),
      patientId: u2.id,
      reportId: uniqueId('crp'),
      severity: 'critical',
      createdAt: at('2026-03-10T11:00:00Z'),
    },
  ]);
  await rollUpAllAt(NOW);
});

const get = (path: string, token = adminToken) => api.get(`${V1}${path}`, { token });

describe('GET /admin/stats/usage', () => {
  it('Should count sign-ins, active users, registrations, bookings, cancellations and channels per day, in one round trip', async () => {
    const res = await get(`/admin/stats/usage?${RANGE}`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const zero = { notificationsSms: 0 };
    expect(res.body.data).toEqual({
      from: '2026-03-09',
      to: '2026-03-11',
      granularity: 'day',
      rows: [
        {
          period: '2026-03-09',
          signIns: 1,
          activeUsers: 1,
          registrations: 1,
          bookings: 2,
          cancellations: 0,
          notificationsInApp: 0,
          notificationsEmail: 0,
          notificationsPush: 0,
          ...zero,
        },
        {
          period: '2026-03-10',
          signIns: 2,
          activeUsers: 2,
          registrations: 2,
          bookings: 1,
          cancellations: 1,
          notificationsInApp: 2,
          notificationsEmail: 1,
          notificationsPush: 0,
          ...zero,
        },
        // Today, live: the two tokens' sign-ins, one booking, one push.
        {
          period: '2026-03-11',
          signIns: 2,
          activeUsers: 2,
          registrations: 0,
          bookings: 1,
          cancellations: 0,
          notificationsInApp: 0,
          notificationsEmail: 0,
          notificationsPush: 1,
          ...zero,
        },
      ],
    });
  });

  it('Should count distinct active users per week and sum the rest', async () => {
    const res = await get(`/admin/stats/usage?${RANGE}&granularity=week`);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.rows).toEqual([
      expect.objectContaining({ period: '2026-03-09', signIns: 5, activeUsers: 2, bookings: 4, cancellations: 1 }),
    ]);
    const month = await get('/admin/stats/usage?from=2026-02-20&to=2026-03-11&granularity=month');
    expect(
      month.body.data.rows.map((r: { period: string; registrations: number }) => [r.period, r.registrations]),
    ).toEqual([
      ['2026-02-01', 0],
      ['2026-03-01', 6],
    ]);
  });

  it('Should export the same rows as CSV', async () => {
    const res = await get(`/admin/stats/usage?${RANGE}&format=csv`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="usage-2026-03-09-2026-03-11.csv"');
    expect(String(res.body).split('\r\n')).toEqual([
      'period,signIns,activeUsers,registrations,bookings,cancellations,notificationsInApp,notificationsEmail,notificationsSms,notificationsPush',
      '2026-03-09,1,1,1,2,0,0,0,0,0',
      '2026-03-10,2,2,2,1,1,2,1,0,0',
      '2026-03-11,2,2,0,1,0,0,0,0,1',
    ]);
  });

  it('Should refuse a range of more than 366 days or backwards (422), patients (403) and anonymous callers (401)', async () => {
    expect((await get('/admin/stats/usage?from=2025-01-01&to=2026-03-11')).status).toBe(422);
    expect((await get('/admin/stats/usage?from=2026-03-11&to=2026-03-01')).status).toBe(422);
    expect((await get(`/admin/stats/usage?${RANGE}`, patientToken)).status).toBe(403);
    expect((await api.get(`${V1}/admin/stats/usage`)).status).toBe(401);
  });
});

describe('GET /admin/stats/wellness', () => {
  it('Should average health scores per category and count dose adherence and vaccines given', async () => {
    const res = await get(`/admin/stats/wellness?${RANGE}`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    const [ninth, tenth, today] = res.body.data.rows;
    expect(ninth).toMatchObject({
      period: '2026-03-09',
      healthScores: 2,
      overallScoreAverage: 75,
      sleepScoreAverage: 60,
      moodScoreAverage: null,
      adherencePercent: null,
    });
    expect(tenth).toMatchObject({
      period: '2026-03-10',
      dosesTaken: 3,
      dosesMissed: 1,
      dosesSkipped: 0,
      adherencePercent: 75,
      vaccinesAdministered: 2,
    });
    expect(today).toMatchObject({ period: '2026-03-11', healthScores: 0, dosesTaken: 0 });
    expect((await get(`/admin/stats/wellness?${RANGE}`, patientToken)).status).toBe(403);
  });
});

describe('GET /admin/stats/home-care', () => {
  it('Should count registrations, session completion and alert response times', async () => {
    const res = await get(`/admin/stats/home-care?${RANGE}&granularity=week`);
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.rows).toEqual([
      {
        period: '2026-03-09',
        caregiverRegistrations: 1,
        patientRegistrations: 2,
        sessions: 4,
        sessionsCompleted: 2,
        sessionsCancelled: 1,
        sessionsNoShow: 1,
        completionPercent: 50,
        alertsRaised: 2,
        alertsAcknowledged: 1,
        averageAckSeconds: 300,
      },
    ]);
    const csv = await get(`/admin/stats/home-care?${RANGE}&granularity=week&format=csv`);
    expect(String(csv.body).split('\r\n')[1]).toBe('2026-03-09,1,2,4,2,1,1,50,2,1,300');
    expect((await get(`/admin/stats/home-care?${RANGE}`, patientToken)).status).toBe(403);
  });
});

describe('csvResponse', () => {
  it('Should quote what CSV needs, neutralise formulas and name the download', async () => {
    const app = new OpenAPIHono();
    app.get('/x', (c) =>
      csvResponse(c, 'report "a".csv', [
        { name: '=HYPERLINK("http://evil")', note: 'a, b', n: -5, t: '-5', at: '@SUM(A1)', plus: '+1', empty: null },
        { name: 'line\nbreak', note: 'say "hi"', n: 3, t: 'ok', at: '', plus: '', empty: undefined },
      ]),
    );
    const res = await app.request('/x');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report _a_.csv"');
    expect(await res.text()).toBe(
      'name,note,n,t,at,plus,empty\r\n' +
        `"'=HYPERLINK(""http://evil"")","a, b",-5,"'-5","'@SUM(A1)","'+1",\r\n` +
        '"line\nbreak","say ""hi""",3,ok,,,',
    );
  });
});
