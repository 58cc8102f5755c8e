import { beforeAll, describe, expect, it } from 'vitest';
import { type AppointmentRow, appointmentEvents } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, uniqueId } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = '2026-04-05T08:00:00Z';
const now = new Date(NOW);
const clock = fixedClock(NOW);
const api = client({ clock });

type Account = Awaited<ReturnType<typeof account>>;
type Practice = Awaited<ReturnType<typeof practice>>;

let drA: Practice;
let drB: Practice;
let p1: Account;
let p2: Account;
let receptionist: Account;
let admin: Account;
/** a4 (P1, A, past, completed) · a1 (P1, A, pending) · a2 (P1, B, confirmed) · a3 (P2, A, cancelled) · a5 (P2, B, pending) */
const apt: Record<'a1' | 'a2' | 'a3' | 'a4' | 'a5', AppointmentRow> = {} as never;

const ids = (res: { body: any }) => (res.body.data.items as { id: string }[]).map((i) => i.id);
const mine = (token: string, query = '') => api.get(`/api/v1/appointments${query}`, { token });
const staffList = (token: string, query = '') => api.get(`/api/v1/staff/appointments${query}`, { token });

function book(p: Practice, patient: Account, startsAt: string, status: AppointmentRow['status']) {
  return insertAppointment({
    patientId: patient.user.id,
    doctorId: p.doctor.user.id,
    serviceId: p.services[0]!.id,
    startsAt,
    status,
  });
}

beforeAll(async () => {
  drA = await practice(now);
  drB = await practice(now);
  p1 = await account('user', now);
  p2 = await account('user', now);
  receptionist = await account('receptionist', now);
  admin = await account('admin', now);
  apt.a1 = await book(drA, p1, '2026-04-10T09:00:00Z', 'pending');
  apt.a2 = await book(drB, p1, '2026-04-11T09:00:00Z', 'confirmed');
  apt.a3 = await book(drA, p2, '2026-04-12T09:00:00Z', 'cancelled');
  apt.a4 = await book(drA, p1, '2026-04-01T09:00:00Z', 'completed');
  apt.a5 = await book(drB, p2, '2026-04-20T09:00:00Z', 'pending');
});

describe('GET /appointments (my appointments)', () => {
  it('Should show a patient only their own appointments, soonest first, with the full view', async () => {
    const res = await mine(p1.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res)).toEqual([apt.a4.id, apt.a1.id, apt.a2.id]);
    expect(res.body.data.pagination).toEqual({
      current: 1,
      pages: 1,
      total: 3,
      limit: 20,
      hasNext: false,
      hasPrev: false,
    });
    expect(res.body.data.items[1]).toMatchObject({
      id: apt.a1.id,
      status: 'pending',
      patient: { id: p1.user.id, name: 'Test Person' },
      doctor: { id: drA.doctor.user.id },
      service: { id: drA.services[0]!.id, name: 'Consultation 30 min', durationMinutes: 30 },
      startsAt: '2026-04-10T09:00:00.000Z',
      endsAt: '2026-04-10T09:30:00.000Z',
      price: { amountCents: 5000, currency: 'EUR' },
      cancellation: null,
    });
    expect(ids(await mine(p2.token))).toEqual([apt.a3.id, apt.a5.id]);
  });

  it('Should show a doctor only the appointments where they are the doctor', async () => {
    expect(ids(await mine(drA.doctor.token))).toEqual([apt.a4.id, apt.a1.id, apt.a3.id]);
    expect(ids(await mine(drB.doctor.token))).toEqual([apt.a2.id, apt.a5.id]);
    expect(ids(await mine(drB.doctor.token, '?order=desc'))).toEqual([apt.a5.id, apt.a2.id]);
  });

  it('Should filter by one or several statuses', async () => {
    expect(ids(await mine(p1.token, '?status=pending'))).toEqual([apt.a1.id]);
    expect(ids(await mine(p1.token, '?status=confirmed,pending'))).toEqual([apt.a1.id, apt.a2.id]);
    expect(ids(await mine(p1.token, '?status=completed'))).toEqual([apt.a4.id]);
    expect(ids(await mine(p1.token, '?status=no-show'))).toEqual([]);
  });

  it('Should filter the start time by dates (whole UTC days) and instants (to exclusive)', async () => {
    expect(ids(await mine(p1.token, '?from=2026-04-10&to=2026-04-11'))).toEqual([apt.a1.id, apt.a2.id]);
    expect(ids(await mine(p1.token, '?from=2026-04-10&to=2026-04-10'))).toEqual([apt.a1.id]);
    expect(ids(await mine(p1.token, '?from=2026-04-10T09:00:00Z&to=2026-04-11T09:00:00Z'))).toEqual([apt.a1.id]);
    expect(ids(await mine(p1.token, '?from=2026-04-10T09:00:01Z'))).toEqual([apt.a2.id]);
    expect(ids(await mine(p1.token, '?to=2026-04-05'))).toEqual([apt.a4.id]);
    expect(ids(await mine(p1.token, '?from=2026-04-10T11:00:00%2B02:00'))).toEqual([apt.a1.id, apt.a2.id]);
  });

  it('Should list only live appointments not yet over with upcoming=true', async () => {
    expect(ids(await mine(p1.token, '?upcoming=true'))).toEqual([apt.a1.id, apt.a2.id]);
    expect(ids(await mine(p2.token, '?upcoming=true'))).toEqual([apt.a5.id]);
    expect(ids(await mine(p2.token, '?upcoming=false'))).toEqual([apt.a3.id, apt.a5.id]);
    expect(ids(await mine(p1.token, '?upcoming=true&status=completed'))).toEqual([]);
  });

  it('Should page through the list', async () => {
    const patient = await account('user', now);
    const own = await practice(now);
    const made = [];
    for (let day = 1; day <= 5; day++) {
      made.push((await book(own, patient, `2026-05-0${day}T10:00:00Z`, 'pending')).id);
    }
    const first = await mine(patient.token, '?limit=2');
    expect(ids(first)).toEqual(made.slice(0, 2));
    expect(first.body.data.pagination).toEqual({
      current: 1,
      pages: 3,
      total: 5,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const last = await mine(patient.token, '?limit=2&page=3');
    expect(ids(last)).toEqual(made.slice(4));
    expect(last.body.data.pagination).toMatchObject({ current: 3, pages: 3, hasNext: false, hasPrev: true });
    const beyond = await mine(patient.token, '?limit=2&page=4');
    expect(ids(beyond)).toEqual([]);
    expect(beyond.body.data.pagination).toMatchObject({ current: 4, total: 5 });
    expect(ids(await mine(patient.token, '?limit=2&page=2&order=desc'))).toEqual([made[2], made[1]]);
  });

  it('Should filter a patient’s list by doctor, with the other filters and pagination', async () => {
    const byA = await mine(p1.token, `?doctorId=${drA.doctor.user.id}`);
    expect(byA.status, JSON.stringify(byA.body)).toBe(200);
    expect(ids(byA)).toEqual([apt.a4.id, apt.a1.id]);
    expect(byA.body.data.items.every((i: any) => i.doctor.id === drA.doctor.user.id)).toBe(true);
    expect(byA.body.data.pagination).toMatchObject({ total: 2, pages: 1 });
    expect(ids(await mine(p1.token, `?doctorId=${drB.doctor.user.id}`))).toEqual([apt.a2.id]);
    expect(ids(await mine(p1.token, `?doctorId=${drA.doctor.user.id}&status=pending`))).toEqual([apt.a1.id]);
    expect(ids(await mine(p1.token, `?doctorId=${drA.doctor.user.id}&upcoming=true`))).toEqual([apt.a1.id]);
    expect(ids(await mine(p1.token, `?doctorId=${drA.doctor.user.id}&order=desc`))).toEqual([apt.a1.id, apt.a4.id]);
    const paged = await mine(p1.token, `?doctorId=${drA.doctor.user.id}&limit=1&page=2`);
    expect(ids(paged)).toEqual([apt.a1.id]);
    expect(paged.body.data.pagination).toEqual({
      current: 2,
      pages: 2,
      total: 2,
      limit: 1,
      hasNext: false,
      hasPrev: true,
    });
    // Another patient's doctor, an unknown id or a patient's id: nothing of mine, an empty page.
    for (const other of [drA.doctor.user.id, uniqueId('usr'), p1.user.id]) {
      const res = await mine(p2.token, `?doctorId=${other}&status=completed`);
      expect([res.status, ids(res), res.body.data.pagination.total], other).toEqual([200, [], 0]);
    }
    expect(ids(await mine(p1.token, `?doctorId=${uniqueId('usr')}`))).toEqual([]);
  });

  it('Should let a doctor pass their own id, and answer an empty page for another doctor’s', async () => {
    expect(ids(await mine(drA.doctor.token, `?doctorId=${drA.doctor.user.id}`))).toEqual([
      apt.a4.id,
      apt.a1.id,
      apt.a3.id,
    ]);
    const other = await mine(drA.doctor.token, `?doctorId=${drB.doctor.user.id}`);
    expect([other.status, ids(other), other.body.data.pagination.total]).toEqual([200, [], 0]);
  });

  it('Should refuse bad filters with 422 naming the field', async () => {
    const cases: [string, string][] = [
      ['?status=bogus', 'status'],
      ['?status=pending,nope', 'status'],
      ['?status=', 'status'],
      ['?from=2026-04-11&to=2026-04-10', 'to'],
      ['?from=2026-04-11T00:00:00Z&to=2026-04-11T00:00:00Z', 'to'],
      ['?from=2026-02-30', 'from'],
      ['?to=yesterday', 'to'],
      ['?from=2026-04-10T25:00:00Z', 'from'],
      ['?upcoming=yes', 'upcoming'],
      ['?order=sideways', 'order'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?page=0', 'page'],
      ['?page=abc', 'page'],
      ['?doctorId=', 'doctorId'],
      ['?doctorId=nobody', 'doctorId'],
      [`?doctorId=${drA.doctor.user.id.toLowerCase()}`, 'doctorId'],
      [`?doctorId=${'x'.repeat(65)}`, 'doctorId'],
      [`?doctorId=apt_${drA.doctor.user.id.slice(4)}`, 'doctorId'],
    ];
    for (const [query, field] of cases) {
      const res = await mine(p1.token, query);
      expect([res.status, res.body.error?.code], query).toEqual([422, 'VALIDATION_FAILED']);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
    const unknown = await mine(p1.token, '?status=bogus');
    expect(unknown.body.errors[0].message).toContain('Unknown status "bogus"');
  });

  it('Should refuse anonymous callers (401) and staff, who use the staff list (403)', async () => {
    expect((await api.get('/api/v1/appointments')).status).toBe(401);
    for (const who of [receptionist, admin]) {
      const res = await mine(who.token);
      expect([res.status, res.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    }
  });
});

describe('GET /staff/appointments', () => {
  it('Should show staff every appointment, by doctor and/or patient', async () => {
    for (const who of [receptionist, admin]) {
      const byDoctor = await staffList(who.token, `?doctorId=${drA.doctor.user.id}`);
      expect(byDoctor.status, JSON.stringify(byDoctor.body)).toBe(200);
      expect(ids(byDoctor)).toEqual([apt.a4.id, apt.a1.id, apt.a3.id]);
    }
    expect(ids(await staffList(receptionist.token, `?patientId=${p1.user.id}`))).toEqual([
      apt.a4.id,
      apt.a1.id,
      apt.a2.id,
    ]);
    expect(ids(await staffList(receptionist.token, `?patientId=${p1.user.id}&doctorId=${drA.doctor.user.id}`))).toEqual(
      [apt.a4.id, apt.a1.id],
    );
    expect(
      ids(await staffList(receptionist.token, `?patientId=${p2.user.id}&status=pending,cancelled&order=desc`)),
    ).toEqual([apt.a5.id, apt.a3.id]);
    expect(ids(await staffList(receptionist.token, `?doctorId=${uniqueId('usr')}`))).toEqual([]);
  });

  it('Should list across doctors and patients without a filter', async () => {
    const res = await staffList(admin.token, '?from=2026-04-10&to=2026-04-20&limit=100');
    const listed = ids(res);
    for (const a of [apt.a1, apt.a2, apt.a3, apt.a5]) expect(listed).toContain(a.id);
    expect(listed).not.toContain(apt.a4.id);
    expect(res.body.data.pagination.total).toBeGreaterThanOrEqual(4);
  });

  it('Should refuse patients and doctors (403) and bad filters (422)', async () => {
    for (const who of [p1, drA.doctor]) expect((await staffList(who.token)).status).toBe(403);
    const bad = await staffList(receptionist.token, '?status=lost&from=nope');
    expect([bad.status, bad.body.error?.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['from', 'status']);
    const long = await staffList(receptionist.token, `?doctorId=${'x'.repeat(65)}`);
    expect(long.status).toBe(422);
    for (const field of ['doctorId', 'patientId']) {
      const malformed = await staffList(receptionist.token, `?${field}=nobody`);
      expect([malformed.status, malformed.body.errors?.[0]?.field]).toEqual([422, field]);
    }
  });
});

describe('GET /appointments/{id}', () => {
  const detail = (id: string, token?: string) => api.get(`/api/v1/appointments/${id}`, token ? { token } : {});

  it('Should show an appointment to its patient, its doctor and staff', async () => {
    for (const who of [p1, drA.doctor, receptionist, admin]) {
      const res = await detail(apt.a1.id, who.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toMatchObject({
        id: apt.a1.id,
        status: 'pending',
        patient: { id: p1.user.id },
        doctor: { id: drA.doctor.user.id },
        timeZone: 'UTC',
        localStart: '2026-04-10T09:00',
        reason: 'Check-up',
        attachmentCount: 0,
      });
    }
  });

  it('Should answer 404 to another patient or doctor and for unknown ids; 401 anonymous; 403 caregivers', async () => {
    for (const who of [p2, drB.doctor]) {
      const res = await detail(apt.a1.id, who.token);
      expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
      expect(res.body.data).toBeUndefined();
    }
    expect((await detail('apt_00000000000000000000000000', p1.token)).status).toBe(404);
    expect((await detail(apt.a1.id)).status).toBe(401);
    const caregiver = await account('caregiver', now);
    expect((await detail(apt.a1.id, caregiver.token)).status).toBe(403);
  });
});

describe('GET /appointments/{id}/history', () => {
  it('Should list the events oldest first, same-instant events in the order they happened', async () => {
    const row = await book(drB, p2, '2026-04-25T09:00:00Z', 'pending');
    for (const action of ['confirm', 'start', 'complete'] as const) {
      const res = await api.post(`/api/v1/appointments/${row.id}/${action}`, {
        token: drB.doctor.token,
        json: { reason: `Step ${action}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    // Written last, but it happened first.
    await db.insert(appointmentEvents).values({
      id: uniqueId('aev'),
      appointmentId: row.id,
      action: 'book',
      fromStatus: null,
      toStatus: 'pending',
      actorId: p2.user.id,
      actorRole: 'user',
      reason: null,
      data: { holdId: null },
      at: now.getTime() - 3_600_000,
    });
    for (const who of [p2, drB.doctor, receptionist]) {
      const res = await api.get(`/api/v1/appointments/${row.id}/history`, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.map((e: { action: string }) => e.action)).toEqual(['book', 'confirm', 'start', 'complete']);
      expect(res.body.data[0]).toEqual({
        id: expect.stringMatching(/^aev_/),
        action: 'book',
        fromStatus: null,
        toStatus: 'pending',
        actor: { id: p2.user.id, role: 'user' },
        reason: null,
        data: { holdId: null },
        at: '2026-04-05T07:00:00.000Z',
      });
      expect(res.body.data[3]).toMatchObject({
        action: 'complete',
        fromStatus: 'in-progress',
        toStatus: 'completed',
        actor: { id: drB.doctor.user.id, role: 'doctor' },
        reason: 'Step complete',
        at: '2026-04-05T08:00:00.000Z',
      });
    }
  });

  it('Should answer 404 to strangers and an empty list for an appointment without events', async () => {
    const row = await book(drA, p1, '2026-04-26T09:00:00Z', 'pending');
    for (const who of [p2, drB.doctor]) {
      expect((await api.get(`/api/v1/appointments/${row.id}/history`, { token: who.token })).status).toBe(404);
    }
    const res = await api.get(`/api/v1/appointments/${row.id}/history`, { token: p1.token });
    expect([res.status, res.body.data]).toEqual([200, []]);
  });
});
