import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../src/app';
import { fixedClock } from '../../src/lib/clock';
import { type ApiResponse, client, createUser, tokenFor } from '../helpers';
import { loginTokens, STRONG_PASSWORD, userWithPassword } from '../support/auth';
import { account, insertAppointment, practice } from '../support/practice';

/**
 * The round-trip budget of docs/architecture.md, counted at the DB port (never timed): a read makes
 * one sequential D1 round trip with the guard's session read folded in, a write two (a read batch and
 * a write batch), a booking conflict three, login and refresh two.
 */
const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));
const SLOT = '2026-03-24T10:00:00.000Z';

async function bookable() {
  const p = await practice(clock.now());
  const patient = await account('user', clock.now());
  return { doctor: p.doctor, service: p.services[0]!, patient };
}

describe('round-trip budget of the hot paths', () => {
  it('Should list my appointments in one round trip', async () => {
    const { doctor, service, patient } = await bookable();
    for (const day of ['2026-03-24', '2026-03-25', '2026-03-26']) {
      await insertAppointment({
        patientId: patient.user.id,
        doctorId: doctor.user.id,
        serviceId: service.id,
        startsAt: `${day}T10:00:00.000Z`,
        status: 'confirmed',
      });
    }
    const res = await api.get('/api/v1/appointments', { token: patient.token });
    expect(res.status).toBe(200);
    expect(res.body.data.items).toHaveLength(3);
    expect(tripsOf(res)).toBe(1);
    const detail = await api.get(`/api/v1/appointments/${res.body.data.items[0].id}`, { token: patient.token });
    expect(detail.status).toBe(200);
    expect(tripsOf(detail)).toBe(1);
  });

  it('Should hold in two round trips, book the hold in two, and refuse a taken slot in three', async () => {
    const { doctor, service, patient } = await bookable();
    const hold = await api.post('/api/v1/appointments/holds', {
      token: patient.token,
      json: { doctorId: doctor.user.id, serviceId: service.id, startsAt: SLOT },
    });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    expect(tripsOf(hold)).toBeLessThanOrEqual(2);
    const booked = await api.post('/api/v1/appointments', {
      token: patient.token,
      json: {
        doctorId: doctor.user.id,
        serviceId: service.id,
        startsAt: SLOT,
        holdId: hold.body.data.id,
        type: 'video',
      },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(tripsOf(booked)).toBeLessThanOrEqual(2);

    const other = await account('user', clock.now());
    const conflict = await api.post('/api/v1/appointments', {
      token: other.token,
      json: { doctorId: doctor.user.id, serviceId: service.id, startsAt: SLOT, type: 'video' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('SLOT_UNAVAILABLE');
    expect(tripsOf(conflict)).toBeLessThanOrEqual(3);
  });

  it('Should sign in and refresh in at most two round trips each', async () => {
    const user = await userWithPassword();
    const login = await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } });
    expect(login.status).toBe(200);
    expect(tripsOf(login)).toBeLessThanOrEqual(2);
    const tokens = await loginTokens(api, user.email!);
    const refresh = await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    expect(refresh.status).toBe(200);
    expect(tripsOf(refresh)).toBeLessThanOrEqual(2);
  });

  it('Should send a caregiver request in at most two round trips', async () => {
    const patient = await createUser();
    const caregiver = await createUser({ role: 'caregiver' });
    const res = await api.post('/api/v1/caregiver/requests', {
      token: await tokenFor(patient, clock.now()),
      json: { receiverId: caregiver.id },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(tripsOf(res)).toBeLessThanOrEqual(2);
  });

  it('Should serve the public doctor directory, a profile and its slots in one round trip each', async () => {
    const { doctor, service } = await bookable();
    const list = await api.get('/api/v1/doctors');
    expect(list.status).toBe(200);
    expect(tripsOf(list)).toBe(1);
    const profile = await api.get(`/api/v1/doctors/${doctor.user.id}`);
    expect(profile.status).toBe(200);
    expect(tripsOf(profile)).toBe(1);
    const slots = await api.get(`/api/v1/doctors/${doctor.user.id}/slots?serviceId=${service.id}&date=2026-03-24`);
    expect(slots.status).toBe(200);
    expect(tripsOf(slots)).toBe(1);
  });
});
