import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../src/app';
import { fixedClock } from '../../src/lib/clock';
import { type ApiResponse, client, createUser, tokenFor } from '../helpers';
import { account, practice } from '../support/practice';

/**
 * The round-trip budget of docs/architecture.md, counted at the DB port (never timed): a read makes
 * one sequential D1 round trip with the guard's session read folded in. The public reads are held to
 * it here, with caregiver requests (every caregiver route: test/modules/caregivers/round-trips.test.ts);
 * the per-module budgets of writes (booking, sign-in) join as each module is brought within them.
 */
const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

async function bookable() {
  const p = await practice(clock.now());
  const patient = await account('user', clock.now());
  return { doctor: p.doctor, service: p.services[0]!, patient };
}

describe('round-trip budget of the hot paths', () => {
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
});
