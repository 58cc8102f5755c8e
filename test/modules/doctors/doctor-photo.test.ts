import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema';
import { client, db, form, SAMPLE, signedInUser, testEnv } from '../../helpers';

const api = client();
const V1 = '/api/v1';

async function uploadFile(token: string, purpose: string, bytes: Uint8Array, name: string) {
  const res = await api.post(`${V1}/files`, { token, body: form({ purpose, file: new Blob([bytes]) }, name) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

/** A verified, active doctor whose profile points at an uploaded PNG photo. */
async function doctorWithPhoto() {
  const doctor = await signedInUser({ role: 'doctor', name: 'Dr. Photo Costa' });
  const photo = await uploadFile(doctor.token, 'avatar', SAMPLE.png(), 'me.png');
  const res = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
    token: doctor.token,
    json: { bio: 'Smiling', photoFileId: photo },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...doctor, photo };
}

/** The raw response of a URL from an answer, requested with no token (as an image view would). */
function load(url: string, headers: Record<string, string> = {}) {
  const { pathname, search } = new URL(url);
  return api.app.request(`${pathname}${search}`, { headers }, testEnv);
}

describe("doctors' profile photos", () => {
  it('Should give patients a public, cacheable photo URL in the profile and the directory', async () => {
    const doctor = await doctorWithPhoto();
    const expected = `http://localhost/api/v1/doctors/${doctor.user.id}/photo?v=${doctor.photo}`;

    const profile = await api.get(`${V1}/doctors/${doctor.user.id}`);
    expect(profile.body.data).toMatchObject({ photo: doctor.photo, photoUrl: expected });
    const listed = await api.get(`${V1}/doctors?search=${encodeURIComponent('Photo Costa')}`);
    expect(listed.body.data.items.find((d: { id: string }) => d.id === doctor.user.id)?.photoUrl).toBe(expected);

    const image = await load(expected);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = image.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect([...new Uint8Array(await image.arrayBuffer())]).toEqual([...SAMPLE.png()]);

    // A client holding the photo revalidates for free.
    const again = await load(expected, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('Should serve only the photo the profile points at, never another file of the doctor', async () => {
    const doctor = await doctorWithPhoto();
    const other = await uploadFile(doctor.token, 'content', SAMPLE.pdf(), 'private.pdf');
    // `v` only busts caches: naming another file still answers the photo, not that file.
    const res = await load(`http://localhost/api/v1/doctors/${doctor.user.id}/photo?v=${other}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...SAMPLE.png()]);

    // A PDF is no photo: pointing the profile at it serves nothing.
    const pdf = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
      token: doctor.token,
      json: { photoFileId: other },
    });
    expect(pdf.status).toBe(200);
    const refused = await api.get(`${V1}/doctors/${doctor.user.id}/photo`);
    expect([refused.status, refused.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('Should answer 404 without a photo, for a doctor no longer listed, and once the file is deleted', async () => {
    const plain = await signedInUser({ role: 'doctor' });
    expect(
      (await api.patch(`${V1}/doctors/${plain.user.id}/profile`, { token: plain.token, json: { bio: 'No photo' } }))
        .status,
    ).toBe(200);
    expect((await api.get(`${V1}/doctors/${plain.user.id}`)).body.data.photoUrl).toBeNull();
    expect((await api.get(`${V1}/doctors/${plain.user.id}/photo`)).status).toBe(404);
    expect((await api.get(`${V1}/doctors/usr_00000000000000000000000000/photo`)).status).toBe(404);

    const blocked = await doctorWithPhoto();
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.user.id));
    expect((await api.get(`${V1}/doctors/${blocked.user.id}/photo`)).status).toBe(404);

    const gone = await doctorWithPhoto();
    expect((await api.delete(`${V1}/files/${gone.photo}`, { token: gone.token })).status).toBe(200);
    expect((await api.get(`${V1}/doctors/${gone.user.id}/photo`)).status).toBe(404);
  });
});
