import { expect } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { type CareSessionStatus, careSessions } from '../../../src/db/schema';
import { type ApiResponse, client, db, form, SAMPLE, signedInUser, uniqueId } from '../../helpers';

export const api = client();
export const V1 = '/api/v1';

/** Sequential D1 round trips of a request, as the DB port counted them. */
export const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

export function expectOk(res: ApiResponse, status = 200) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body.data;
}

export async function upload(token: string, purpose = 'attachment', name = 'licence.pdf') {
  const bytes = name.endsWith('.png') ? SAMPLE.png() : SAMPLE.pdf();
  const res = await api.post(`${V1}/files`, { token, body: form({ purpose, file: new Blob([bytes]) }, name) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

/** A verified, active caregiver (as `createUser` makes professionals) and their token. */
export const caregiver = (name = 'Cara Caregiver') => signedInUser({ role: 'caregiver', name });

/** A unique word for names, so searches of one test do not see another's caregivers. */
export const tag = () => `t${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;

/**
 * A point `km` kilometres due north of (lat, lng): one degree of latitude is π·R/180 km on the
 * haversine sphere, so the distance from the origin is exactly `km`.
 */
export const northOf = (lat: number, lng: number, km: number) => ({
  latitude: lat + (km / (Math.PI * 6371.0088)) * 180,
  longitude: lng,
});

/**
 * A care session between a patient and a caregiver, inserted straight into care_sessions: the booking
 * flow (src/modules/care-sessions/) is not merged yet. Swap this for a booking through HTTP once it is.
 */
export async function careSession(patientId: string, caregiverId: string, status: CareSessionStatus = 'completed') {
  const id = uniqueId('cse');
  const now = Date.now();
  await db.insert(careSessions).values({
    id,
    patientId,
    caregiverId,
    bookedBy: patientId,
    mode: 'in-person',
    status,
    startsAt: now - 3 * 3_600_000,
    endsAt: now - 2 * 3_600_000,
    bufferMinutes: 0,
    timeZone: 'Europe/Lisbon',
    address: 'Rua Augusta 100, Lisboa',
    hourlyRateCents: 2500,
    currency: 'EUR',
    createdAt: now - 86_400_000,
    updatedAt: now,
  });
  return id;
}

/** A listed caregiver with a profile (and so found by search). */
export async function listedCaregiver(name: string, json: Record<string, unknown> = { hourlyRateCents: 2500 }) {
  const me = await caregiver(name);
  expectOk(await api.patch(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token, json }));
  return me;
}

export const patient = () => signedInUser({ role: 'user', name: 'Paula Patient' });

/** A patient's review of a completed session of theirs with the caregiver. */
export async function reviewed(caregiverId: string, rating: number) {
  const p = await patient();
  const session = await careSession(p.user.id, caregiverId);
  expectOk(await api.post(`${V1}/care-sessions/${session}/review`, { token: p.token, json: { rating } }), 201);
  return p;
}
