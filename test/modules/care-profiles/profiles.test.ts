import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, caregiverCredentials, caregiverProfiles, caregiverSpecialties } from '../../../src/db/schema';
import { db, signedInUser } from '../../helpers';
import { api, caregiver, expectOk, tripsOf, upload, V1 } from './support';

const LICENCE = {
  type: 'Nursing licence',
  number: 'RN-123456',
  issuer: 'Ordem dos Enfermeiros',
  expiresAt: '2027-06-30',
};

describe('caregiver profiles', () => {
  it('Should let a caregiver fill in their profile, with credentials and documents, in two round trips', async () => {
    const me = await caregiver();
    const doc = await upload(me.token);
    const photo = await upload(me.token, 'avatar', 'me.png');
    const res = await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
      token: me.token,
      json: {
        credentials: [{ ...LICENCE, documentFileIds: [doc] }],
        specialtyIds: ['csp_nursing', 'csp_geriatric-care'],
        hourlyRateCents: 2500,
        currency: 'EUR',
        languages: ['pt-PT', 'en'],
        yearsOfExperience: 8,
        bio: 'Registered nurse.',
        photoFileId: photo,
        serviceLocation: { address: 'Rua Augusta 100, Lisboa', latitude: 38.7101, longitude: -9.1368 },
        serviceRadiusKm: 15,
      },
    });
    const profile = expectOk(res);
    expect(tripsOf(res)).toBeLessThanOrEqual(2);
    expect(profile).toMatchObject({
      id: me.user.id,
      specialties: [
        { id: 'csp_geriatric-care', slug: 'geriatric-care', name: 'Geriatric Care' },
        { id: 'csp_nursing', slug: 'nursing', name: 'Nursing' },
      ],
      hourlyRateCents: 2500,
      currency: 'EUR',
      languages: ['pt-PT', 'en'],
      photo: photo,
      serviceLocation: { address: 'Rua Augusta 100, Lisboa', latitude: 38.7101, longitude: -9.1368 },
      serviceRadiusKm: 15,
      status: 'active',
      rejection: null,
      credentials: [{ ...LICENCE, documentFileIds: [doc] }],
    });
    const credentialId = profile.credentials[0].id;

    const read = await api.get(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token });
    expect(expectOk(read)).toEqual(profile);
    expect(tripsOf(read)).toBe(1);

    // Replacing the list keeps a credential with the same type and number (and its id).
    const again = expectOk(
      await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
        token: me.token,
        json: {
          credentials: [
            { ...LICENCE, issuer: 'OE Lisboa', documentFileIds: [doc] },
            { type: 'First aid', number: 'FA-1', issuer: 'Red Cross', expiresAt: null },
          ],
        },
      }),
    );
    expect(again.credentials.map((c: { id: string; issuer: string }) => [c.id === credentialId, c.issuer])).toEqual([
      [true, 'OE Lisboa'],
      [false, 'Red Cross'],
    ]);
    expect(again.hourlyRateCents).toBe(2500);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, me.user.id)).all();
    expect(audits.filter((a) => a.action === 'caregiver.profile.update')).toHaveLength(2);
  });

  it('Should let an admin manage a caregiver, and answer 404 to anyone else', async () => {
    const me = await caregiver();
    const admin = await signedInUser({ role: 'admin' });
    const other = await caregiver();
    const patient = await signedInUser();
    expectOk(
      await api.patch(`${V1}/caregivers/${me.user.id}/profile`, { token: admin.token, json: { bio: 'By the admin' } }),
    );
    const got = await api.get(`${V1}/caregivers/${me.user.id}/profile`, { token: other.token });
    expect([got.status, got.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const patched = await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
      token: other.token,
      json: { bio: 'Not mine' },
    });
    expect(patched.status).toBe(404);
    expect((await api.get(`${V1}/caregivers/${me.user.id}/profile`, { token: patient.token })).status).toBe(403);
    // A doctor is no caregiver, even for an admin.
    const doctor = await signedInUser({ role: 'doctor' });
    expect((await api.get(`${V1}/caregivers/${doctor.user.id}/profile`, { token: admin.token })).status).toBe(404);
    const mine = expectOk(await api.get(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token }));
    expect(mine.bio).toBe('By the admin');
  });

  it('Should refuse bad input with 422 naming the fields, storing nothing', async () => {
    const me = await caregiver();
    const stranger = await caregiver();
    const theirs = await upload(stranger.token);
    const mine = await upload(me.token);
    const cases: [Record<string, unknown>, string][] = [
      [{ serviceRadiusKm: 0 }, 'serviceRadiusKm'],
      [{ serviceRadiusKm: 201 }, 'serviceRadiusKm'],
      [{ serviceLocation: { address: 'X', latitude: 91, longitude: 0 } }, 'serviceLocation.latitude'],
      [{ serviceLocation: { address: 'X', latitude: 0, longitude: -180.5 } }, 'serviceLocation.longitude'],
      [{ currency: 'EURO' }, 'currency'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ hourlyRateCents: 25.5 }, 'hourlyRateCents'],
      [{ hourlyRateCents: -1 }, 'hourlyRateCents'],
      [{ languages: ['not a language!'] }, 'languages.0'],
      [{ specialtyIds: ['csp_nursing', 'csp_nope'] }, 'specialtyIds'],
      [{ credentials: [{ ...LICENCE, expiresAt: '2027-02-30' }] }, 'credentials.0.expiresAt'],
      [{ credentials: [{ ...LICENCE, documentFileIds: [mine, theirs] }] }, 'credentials.0.documentFileIds.1'],
      [{ photoFileId: theirs }, 'photoFileId'],
      [{ verifiedAt: '2026-01-01T00:00:00Z' }, ''],
      [{}, 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
        token: me.token,
        json: Object.keys(json).length ? { bio: 'Should not be stored', ...json } : json,
      });
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      if (field) {
        expect(
          (res.body.errors ?? []).map((f: { field: string }) => f.field),
          JSON.stringify(json),
        ).toContain(field);
      }
    }
    expect(await db.$count(caregiverProfiles, eq(caregiverProfiles.userId, me.user.id))).toBe(0);
    expect(await db.$count(caregiverCredentials, eq(caregiverCredentials.caregiverId, me.user.id))).toBe(0);
    expect(await db.$count(caregiverSpecialties, eq(caregiverSpecialties.caregiverId, me.user.id))).toBe(0);
    // Without a stored profile, the read answers the defaults.
    const empty = expectOk(await api.get(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token }));
    expect(empty).toMatchObject({ bio: null, credentials: [], specialties: [], updatedAt: null });
  });
});

describe('care specialties', () => {
  it("Should list the design's ten, publicly, with stable slugs", async () => {
    const res = await api.get(`${V1}/care-specialties?limit=100`);
    const slugs = expectOk(res).items.map((s: { slug: string }) => s.slug);
    expect(tripsOf(res)).toBe(1);
    for (const slug of [
      'nursing',
      'geriatric-care',
      'pediatric-care',
      'physiotherapy',
      'mental-health-support',
      'post-operative-care',
      'disability-support',
      'nutrition',
      'maternal-health',
      'medication-management',
    ]) {
      expect(slugs).toContain(slug);
    }
  });

  it('Should let admins add, change and remove one, refusing removal while a caregiver lists it', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const me = await caregiver();
    const slug = `palliative-${crypto.randomUUID().slice(0, 8)}`;
    const created = expectOk(
      await api.post(`${V1}/care-specialties`, { token: admin.token, json: { slug, name: 'Palliative Care' } }),
      201,
    );
    const dup = await api.post(`${V1}/care-specialties`, { token: admin.token, json: { slug, name: 'Again' } });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(
      (await api.post(`${V1}/care-specialties`, { token: me.token, json: { slug: 'x-y', name: 'X' } })).status,
    ).toBe(403);
    const renamed = expectOk(
      await api.patch(`${V1}/care-specialties/${created.id}`, { token: admin.token, json: { name: 'Hospice Care' } }),
    );
    expect(renamed).toMatchObject({ id: created.id, slug, name: 'Hospice Care' });
    expect(
      (await api.patch(`${V1}/care-specialties/csp_nope`, { token: admin.token, json: { name: 'N' } })).status,
    ).toBe(404);

    expectOk(
      await api.patch(`${V1}/caregivers/${me.user.id}/profile`, {
        token: me.token,
        json: { specialtyIds: [created.id] },
      }),
    );
    const refused = await api.delete(`${V1}/care-specialties/${created.id}`, { token: admin.token });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'CONFLICT']);
    expectOk(
      await api.patch(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token, json: { specialtyIds: [] } }),
    );
    const removed = await api.delete(`${V1}/care-specialties/${created.id}`, { token: admin.token });
    expect(expectOk(removed)).toEqual({ id: created.id });
    expect(tripsOf(removed)).toBeLessThanOrEqual(2);
    expect((await api.delete(`${V1}/care-specialties/${created.id}`, { token: admin.token })).status).toBe(404);
  });
});
