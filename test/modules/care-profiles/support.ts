import { expect } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { type ApiResponse, client, form, SAMPLE, signedInUser } from '../../helpers';

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
