import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { appointmentHolds, appointments, slotClaims } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, tokenFor } from '../../helpers';
import { account, practice } from '../../support/practice';
import { resetSettings, setSetting } from '../../support/settings';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const SLOT = '2026-03-24T10:00:00.000Z';

afterEach(async () => {
  clock.set(NOW);
  await resetSettings();
});

async function setup() {
  const p = await practice(now());
  const patient = await account('user', now());
  return { ...p, service: p.services[0]!, patient };
}

const holdBody = (doctorId: string, serviceId: string, startsAt = SLOT) => ({ doctorId, serviceId, startsAt });

const claimsOf = (ownerId: string) => db.select().from(slotClaims).where(eq(slotClaims.ownerId, ownerId)).all();
const holdRow = (id: string) => db.select().from(appointmentHolds).where(eq(appointmentHolds.id, id)).get();

async function slotStarts(doctorId: string, serviceId: string): Promise<string[]> {
  const res = await api.get(`/api/v1/doctors/${doctorId}/slots?serviceId=${serviceId}&date=2026-03-24`);
  expect(res.status).toBe(200);
  return res.body.data.slots.map((s: { start: string }) => s.start);
}

describe('appointment holds', () => {
  it('Should hold a slot: 201, stored row and claims, and the slot leaves the public slot list', async () => {
    const { doctor, service, patient } = await setup();
    expect(await slotStarts(doctor.user.id, service.id)).toContain(SLOT);
    const res = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const expiresAt = new Date(now().getTime() + 10 * 60_000).toISOString();
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^hld_/),
      doctorId: doctor.user.id,
      serviceId: service.id,
      patientId: patient.user.id,
      startsAt: SLOT,
      endsAt: '2026-03-24T10:30:00.000Z',
      expiresAt,
      status: 'active',
    });
    const row = await holdRow(res.body.data.id);
    expect(row).toMatchObject({ patientId: patient.user.id, expiresAt: Date.parse(expiresAt), appointmentId: null });
    const claims = await claimsOf(res.body.data.id);
    expect(claims).toHaveLength(6);
    expect(claims.every((c) => c.ownerType === 'hold' && c.expiresAt === Date.parse(expiresAt))).toBe(true);
    const starts = await slotStarts(doctor.user.id, service.id);
    expect(starts).not.toContain(SLOT);
    expect(starts).toContain('2026-03-24T10:30:00.000Z');

    const get = await api.get(`/api/v1/appointments/holds/${res.body.data.id}`, { token: patient.token });
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual(res.body.data);
  });

  it('Should refuse another patient’s hold or booking on a held slot with 409 SLOT_UNAVAILABLE, writing nothing', async () => {
    const { doctor, service, services, patient } = await setup();
    const other = await account('user', now());
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect(held.status).toBe(201);
    const hold2 = await api.post('/api/v1/appointments/holds', {
      token: other.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect([hold2.status, hold2.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    // Another patient's hold is described by kind and time, never by id.
    expect(hold2.body.error.details.blockedBy).toEqual({
      type: 'hold',
      id: null,
      startsAt: SLOT,
      endsAt: '2026-03-24T10:30:00.000Z',
    });
    // The 60-minute service starting half an hour earlier overlaps it too.
    const overlap = await api.post('/api/v1/appointments', {
      token: other.token,
      json: { ...holdBody(doctor.user.id, services[1]!.id, '2026-03-24T09:30:00Z'), type: 'video' },
    });
    expect([overlap.status, overlap.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    const book = await api.post('/api/v1/appointments', {
      token: other.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video' },
    });
    expect([book.status, book.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    expect(await db.select().from(appointmentHolds).where(eq(appointmentHolds.patientId, other.user.id))).toEqual([]);
    expect(await db.select().from(appointments).where(eq(appointments.patientId, other.user.id))).toEqual([]);
    expect(await db.select().from(slotClaims).where(eq(slotClaims.doctorId, doctor.user.id))).toHaveLength(6);
  });

  it('Should let an expired hold block nobody before any sweep, and refuse booking with it (409 HOLD_EXPIRED)', async () => {
    const { doctor, service, patient } = await setup();
    const other = await account('user', now());
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect(held.status).toBe(201);
    clock.advance(10 * 60_000); // exactly at expiresAt: expired
    const get = await api.get(`/api/v1/appointments/holds/${held.body.data.id}`, { token: patient.token });
    expect(get.body.data.status).toBe('expired');
    expect(await claimsOf(held.body.data.id)).toHaveLength(6); // not swept yet
    expect(await slotStarts(doctor.user.id, service.id)).toContain(SLOT);

    const late = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: held.body.data.id },
    });
    expect([late.status, late.body.error.code]).toEqual([409, 'HOLD_EXPIRED']);
    expect(await db.select().from(appointments).where(eq(appointments.patientId, patient.user.id))).toEqual([]);

    const booked = await api.post('/api/v1/appointments', {
      token: other.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'in-person' },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(await claimsOf(held.body.data.id)).toEqual([]);
    const claims = await claimsOf(booked.body.data.id);
    expect(claims).toHaveLength(6);
    expect(claims.every((c) => c.ownerType === 'appointment' && c.expiresAt === null)).toBe(true);
    expect((await holdRow(held.body.data.id))?.appointmentId).toBeNull();
  });

  it('Should convert a hold into a booking: hold converted, claims owned by the appointment, none left for the hold', async () => {
    const { doctor, service, patient } = await setup();
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    clock.advance(9 * 60_000);
    const body = { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: held.body.data.id };
    const booked = await api.post('/api/v1/appointments', { token: patient.token, json: body });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body.data).toMatchObject({ status: 'pending', holdId: held.body.data.id, startsAt: SLOT });
    const hold = await api.get(`/api/v1/appointments/holds/${held.body.data.id}`, { token: patient.token });
    expect(hold.body.data.status).toBe('converted');
    expect((await holdRow(held.body.data.id))?.appointmentId).toBe(booked.body.data.id);
    expect(await claimsOf(held.body.data.id)).toEqual([]);
    expect(await claimsOf(booked.body.data.id)).toHaveLength(6);
    // Even after its TTL the converted hold stays converted.
    clock.advance(60 * 60_000);
    const later = await api.get(`/api/v1/appointments/holds/${held.body.data.id}`, {
      token: await tokenFor(patient.user, now()),
    });
    expect(later.body.data.status).toBe('converted');
  });

  it('Should refuse a second booking with a used hold (409 CONFLICT) and a hold of someone else or another slot (422)', async () => {
    const { doctor, service, patient } = await setup();
    const other = await account('user', now());
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const body = { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: held.body.data.id };
    const foreign = await api.post('/api/v1/appointments', { token: other.token, json: body });
    expect([foreign.status, foreign.body.errors?.[0]?.field]).toEqual([422, 'holdId']);
    const moved = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...body, startsAt: '2026-03-24T11:00:00Z' },
    });
    expect([moved.status, moved.body.errors?.[0]?.field]).toEqual([422, 'holdId']);
    expect((await api.post('/api/v1/appointments', { token: patient.token, json: body })).status).toBe(201);
    const again = await api.post('/api/v1/appointments', { token: patient.token, json: body });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.select().from(appointments).where(eq(appointments.holdId, held.body.data.id))).toHaveLength(1);
  });

  it('Should release a hold: claims freed, status released, idempotent; a converted hold cannot be released', async () => {
    const { doctor, service, patient } = await setup();
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const path = `/api/v1/appointments/holds/${held.body.data.id}`;
    const released = await api.delete(path, { token: patient.token });
    expect(released.status).toBe(200);
    expect(released.body.data.status).toBe('released');
    expect((await holdRow(held.body.data.id))?.releasedAt).toBe(now().getTime());
    expect(await claimsOf(held.body.data.id)).toEqual([]);
    expect(await slotStarts(doctor.user.id, service.id)).toContain(SLOT);
    expect((await api.delete(path, { token: patient.token })).body.data.status).toBe('released');
    const withReleased = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: held.body.data.id },
    });
    expect([withReleased.status, withReleased.body.error.code]).toEqual([409, 'CONFLICT']);

    const held2 = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const booked = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: held2.body.data.id },
    });
    expect(booked.status).toBe(201);
    const refused = await api.delete(`/api/v1/appointments/holds/${held2.body.data.id}`, { token: patient.token });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await claimsOf(booked.body.data.id)).toHaveLength(6);
  });

  it('Should hide someone else’s hold (404) but show it to staff', async () => {
    const { doctor, service, patient } = await setup();
    const other = await account('user', now());
    const receptionist = await account('receptionist', now());
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const path = `/api/v1/appointments/holds/${held.body.data.id}`;
    expect((await api.get(path, { token: other.token })).status).toBe(404);
    expect((await api.delete(path, { token: other.token })).status).toBe(404);
    expect(await claimsOf(held.body.data.id)).toHaveLength(6);
    expect((await api.get('/api/v1/appointments/holds/hld_nothing', { token: patient.token })).status).toBe(404);
    expect((await api.get(path, { token: receptionist.token })).body.data.id).toBe(held.body.data.id);
    expect((await api.get(path, { token: doctor.token })).status).toBe(403);
    expect((await api.get(path)).status).toBe(401);
  });

  it('Should refuse a start that is not a slot with 422 on startsAt, and bad bodies with 422', async () => {
    const { doctor, service, patient } = await setup();
    const cases = ['2026-03-24T10:10:00Z', '2026-03-24T18:00:00Z', '2026-03-23T07:00:00Z', '2026-06-24T10:00:00Z'];
    for (const startsAt of cases) {
      const res = await api.post('/api/v1/appointments/holds', {
        token: patient.token,
        json: holdBody(doctor.user.id, service.id, startsAt),
      });
      expect([res.status, res.body.errors?.[0]?.field], startsAt).toEqual([422, 'startsAt']);
      expect(res.body.errors[0].message).toMatch(/not a bookable slot/i);
    }
    const bad = [
      { doctorId: doctor.user.id, serviceId: service.id },
      { ...holdBody(doctor.user.id, service.id), startsAt: 'tomorrow' },
      { ...holdBody(doctor.user.id, service.id), status: 'converted' },
      { ...holdBody(doctor.user.id, service.id), doctorId: 42 },
    ];
    for (const json of bad) {
      const res = await api.post('/api/v1/appointments/holds', { token: patient.token, json });
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const otherDoctor = await practice(now());
    const foreignService = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, otherDoctor.services[0]!.id),
    });
    expect(foreignService.status).toBe(404);
    expect(await db.select().from(appointmentHolds).where(eq(appointmentHolds.patientId, patient.user.id))).toEqual([]);
  });

  it('Should allow at most 3 live holds per patient, even when requested at once (4th → 409 CONFLICT)', async () => {
    const { doctor, service, patient } = await setup();
    const starts = ['10:00', '11:00', '12:00', '13:00'].map((t) => `2026-03-24T${t}:00Z`);
    const results = await Promise.all(
      starts.map((startsAt) =>
        api.post('/api/v1/appointments/holds', {
          token: patient.token,
          json: holdBody(doctor.user.id, service.id, startsAt),
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409]);
    const refused = results.find((r) => r.status === 409)!;
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.message).toMatch(/at most 3/i);
    const rows = await db.select().from(appointmentHolds).where(eq(appointmentHolds.patientId, patient.user.id));
    expect(rows).toHaveLength(3);
    expect(await db.select().from(slotClaims).where(eq(slotClaims.doctorId, doctor.user.id))).toHaveLength(18);

    // A released or expired hold no longer counts.
    await api.delete(`/api/v1/appointments/holds/${rows[0]!.id}`, { token: patient.token });
    const fourth = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id, '2026-03-24T14:00:00Z'),
    });
    expect(fourth.status).toBe(201);
    clock.advance(10 * 60_000);
    const afterExpiry = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id, '2026-03-24T15:00:00Z'),
    });
    expect(afterExpiry.status).toBe(201);
  });

  it('Should honour the appointments.holdTtlMinutes setting', async () => {
    const { doctor, service, patient } = await setup();
    await setSetting('appointments.holdTtlMinutes', 2);
    const res = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect(res.body.data.expiresAt).toBe(new Date(now().getTime() + 2 * 60_000).toISOString());
    expect((await holdRow(res.body.data.id))?.expiresAt).toBe(now().getTime() + 2 * 60_000);
    clock.advance(2 * 60_000);
    expect(await slotStarts(doctor.user.id, service.id)).toContain(SLOT);
  });

  it('Should let staff hold for a patient (patientId required for them) and refuse a patient holding for another', async () => {
    const { doctor, service, patient } = await setup();
    const receptionist = await account('receptionist', now());
    const missing = await api.post('/api/v1/appointments/holds', {
      token: receptionist.token,
      json: holdBody(doctor.user.id, service.id),
    });
    expect([missing.status, missing.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    const forDoctor = await api.post('/api/v1/appointments/holds', {
      token: receptionist.token,
      json: { ...holdBody(doctor.user.id, service.id), patientId: doctor.user.id },
    });
    expect([forDoctor.status, forDoctor.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    const other = await account('user', now());
    const forOther = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), patientId: other.user.id },
    });
    expect([forOther.status, forOther.body.errors?.[0]?.field]).toEqual([422, 'patientId']);
    const ok = await api.post('/api/v1/appointments/holds', {
      token: receptionist.token,
      json: { ...holdBody(doctor.user.id, service.id), patientId: patient.user.id },
    });
    expect(ok.status).toBe(201);
    expect((await holdRow(ok.body.data.id))?.patientId).toBe(patient.user.id);
    // The patient sees it and can book it.
    const booked = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video', holdId: ok.body.data.id },
    });
    expect(booked.status).toBe(201);
    expect((await api.post('/api/v1/appointments/holds', { token: doctor.token, json: {} })).status).toBe(403);
  });

  it('Should not let a patient’s own live hold block them booking the slot without holdId', async () => {
    const { doctor, service, patient } = await setup();
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const booked = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: { ...holdBody(doctor.user.id, service.id), type: 'video' },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect((await holdRow(held.body.data.id))?.releasedAt).toBe(now().getTime());
    expect(await claimsOf(held.body.data.id)).toEqual([]);
    expect(await claimsOf(booked.body.data.id)).toHaveLength(6);
  });

  it('Should sweep expired hold claims in the cron run, keeping the hold rows', async () => {
    const { doctor, service, patient } = await setup();
    const held = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: holdBody(doctor.user.id, service.id),
    });
    const cronAt = (at: Date) =>
      runCron(createContext(testEnv, { ...cloudflareDeps, clock: fixedClock(at) }, { requestId: 'cron' }), CRON_TASKS);
    await cronAt(now());
    expect(await claimsOf(held.body.data.id)).toHaveLength(6);
    const reports = await cronAt(new Date(now().getTime() + 10 * 60_000));
    expect(reports.find((r) => r.task === 'appointments.sweep')).toMatchObject({ ok: true });
    expect(await claimsOf(held.body.data.id)).toEqual([]);
    expect(await holdRow(held.body.data.id)).toBeDefined();
    expect(
      await db
        .select()
        .from(slotClaims)
        .where(and(eq(slotClaims.doctorId, doctor.user.id), eq(slotClaims.ownerType, 'hold'))),
    ).toEqual([]);
  });
});
