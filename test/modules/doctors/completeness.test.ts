import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { client, form, SAMPLE, signedInUser, uniqueId } from '../../helpers';

const api = client();
const V1 = '/api/v1';
const ALL = [
  'photo',
  'bio',
  'specializations',
  'qualifications',
  'registrationNumber',
  'languages',
  'yearsOfExperience',
  'consultationFee',
  'services',
];

describe("a doctor's profile completeness", () => {
  it('Should show a pending doctor their empty profile at 0 and what fills it, in one round trip', async () => {
    const doctor = await signedInUser({ role: 'doctor', status: 'pending' });
    const path = `${V1}/doctors/${doctor.user.id}/profile`;
    const empty = await api.get(path, { token: doctor.token });
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(Number(empty.headers.get(ROUND_TRIPS_HEADER))).toBe(1);
    expect(empty.body.data).toMatchObject({
      id: doctor.user.id,
      status: 'pending',
      photo: null,
      completeness: { score: 0, missing: ALL },
    });

    const admin = await signedInUser({ role: 'admin' });
    const slug = `spec-${uniqueId('s').slice(-8).toLowerCase()}`;
    const spec = await api.post(`${V1}/specializations`, { token: admin.token, json: { slug, name: `Spec ${slug}` } });
    expect(spec.status).toBe(201);
    const upload = await api.post(`${V1}/files`, {
      token: doctor.token,
      body: form({ purpose: 'avatar', file: new Blob([SAMPLE.png()]) }, 'me.png'),
    });
    expect(upload.status).toBe(201);
    const patched = await api.patch(path, {
      token: doctor.token,
      json: {
        bio: 'Family medicine',
        languages: ['en'],
        consultationFee: { amount: '40.00', currency: 'EUR' },
        specializationIds: [spec.body.data.id],
        photoFileId: upload.body.data.id,
      },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const service = await api.post(`${V1}/doctors/${doctor.user.id}/services`, {
      token: doctor.token,
      json: { name: 'Consultation', durationMinutes: 30, price: { amount: '40.00', currency: 'EUR' } },
    });
    expect(service.status).toBe(201);

    const filled = await api.get(path, { token: doctor.token });
    expect(filled.body.data.completeness).toEqual({
      score: 67,
      missing: ['qualifications', 'registrationNumber', 'yearsOfExperience'],
    });
    // An admin sees the same; the public directory shows no completeness (and no pending doctor).
    const byAdmin = await api.get(path, { token: admin.token });
    expect(byAdmin.body.data.completeness).toEqual(filled.body.data.completeness);
    expect((await api.get(`${V1}/doctors/${doctor.user.id}`)).status).toBe(404);

    const done = await api.patch(path, {
      token: doctor.token,
      json: {
        qualifications: [{ degree: 'MD', institution: 'Uni', year: 2012 }],
        registrationNumber: 'REG-77',
        yearsOfExperience: 12,
      },
    });
    expect(done.status).toBe(200);
    expect((await api.get(path, { token: doctor.token })).body.data.completeness).toEqual({ score: 100, missing: [] });
  });

  it("Should answer 404 for another doctor's profile and 403 for a patient", async () => {
    const doctor = await signedInUser({ role: 'doctor' });
    const other = await signedInUser({ role: 'doctor' });
    const patient = await signedInUser({ role: 'user' });
    const path = `${V1}/doctors/${doctor.user.id}/profile`;
    const byOther = await api.get(path, { token: other.token });
    expect([byOther.status, byOther.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const byPatient = await api.get(path, { token: patient.token });
    expect([byPatient.status, byPatient.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await api.get(path)).status).toBe(401);
    const listed = await api.get(`${V1}/doctors/${doctor.user.id}/profile`, { token: doctor.token });
    expect(listed.status).toBe(200);
  });
});
