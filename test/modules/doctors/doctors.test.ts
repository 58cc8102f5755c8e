import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  auditEvents,
  doctorProfiles,
  doctorServices,
  doctorSpecializations,
  files,
  specializations,
  users,
} from '../../../src/db/schema';
import { client, db, signedInUser, uniqueId } from '../../helpers';

const api = client();
const V1 = '/api/v1';

/** A token unique to one test, used in names so list assertions ignore other tests' rows. */
const tag = () => uniqueId('t').slice(-10).toLowerCase();

const profileOf = (id: string) => db.select().from(doctorProfiles).where(eq(doctorProfiles.userId, id)).get();
const specsOf = (id: string) =>
  db.select().from(doctorSpecializations).where(eq(doctorSpecializations.doctorId, id)).all();
const serviceRow = (id: string) => db.select().from(doctorServices).where(eq(doctorServices.id, id)).get();
const auditOf = (resourceId: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.resourceId, resourceId)).all();

async function admin() {
  return signedInUser({ role: 'admin' });
}

async function createSpec(adminToken: string, slug = `spec-${tag()}`, name = `Spec ${slug}`) {
  const res = await api.post(`${V1}/specializations`, { token: adminToken, json: { slug, name } });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; slug: string; name: string };
}

/** A doctor with a full profile and one service, set up over the API by the doctor themselves. */
async function doctorWithProfile(
  name: string,
  opts: { status?: 'active' | 'pending' | 'blocked'; specIds?: string[]; languages?: string[]; service?: string } = {},
) {
  const doctor = await signedInUser({
    role: 'doctor',
    name,
    status: opts.status === 'blocked' ? 'active' : opts.status,
  });
  const profile = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
    token: doctor.token,
    json: {
      bio: 'Hello',
      yearsOfExperience: 10,
      languages: opts.languages ?? ['en'],
      consultationFee: { amount: '50.00', currency: 'EUR' },
      specializationIds: opts.specIds ?? [],
    },
  });
  expect(profile.status).toBe(200);
  const service = await api.post(`${V1}/doctors/${doctor.user.id}/services`, {
    token: doctor.token,
    json: {
      name: opts.service ?? 'Video consultation',
      durationMinutes: 30,
      price: { amount: '40.00', currency: 'EUR' },
    },
  });
  expect(service.status).toBe(201);
  if (opts.status === 'blocked') await db.update(users).set({ status: 'blocked' }).where(eq(users.id, doctor.user.id));
  return { ...doctor, serviceId: service.body.data.id as string };
}

describe('specializations', () => {
  it('Should let an admin create, list, update and delete a specialization', async () => {
    const { token } = await admin();
    const t = tag();
    const created = await api.post(`${V1}/specializations`, {
      token,
      json: { slug: `zz-${t}`, name: `Zz ${t}`, description: 'Desc' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ slug: `zz-${t}`, name: `Zz ${t}`, description: 'Desc' });
    const id = created.body.data.id;
    expect(await db.select().from(specializations).where(eq(specializations.id, id)).get()).toMatchObject({
      slug: `zz-${t}`,
    });

    const list = await api.get(`${V1}/specializations?limit=100`);
    expect(list.status).toBe(200);
    const names: string[] = list.body.data.items.map((s: { name: string }) => s.name);
    expect(names).toContain(`Zz ${t}`);
    expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(names);

    const updated = await api.patch(`${V1}/specializations/${id}`, {
      token,
      json: { name: `Zy ${t}`, description: null },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ name: `Zy ${t}`, description: null });

    const deleted = await api.delete(`${V1}/specializations/${id}`, { token });
    expect(deleted.status).toBe(200);
    expect(await db.select().from(specializations).where(eq(specializations.id, id)).get()).toBeUndefined();
    expect(await auditOf(id)).toHaveLength(3);
    expect((await api.delete(`${V1}/specializations/${id}`, { token })).status).toBe(404);
  });

  it('Should refuse a duplicate slug with 409, on create and on rename', async () => {
    const { token } = await admin();
    const a = await createSpec(token);
    const b = await createSpec(token);
    const dup = await api.post(`${V1}/specializations`, { token, json: { slug: a.slug, name: 'Other' } });
    expect(dup.status).toBe(409);
    const rename = await api.patch(`${V1}/specializations/${b.id}`, { token, json: { slug: a.slug } });
    expect(rename.status).toBe(409);
    expect((await db.select().from(specializations).where(eq(specializations.id, b.id)).get())?.slug).toBe(b.slug);
  });

  it('Should refuse a bad slug or unknown keys with 422', async () => {
    const { token } = await admin();
    expect((await api.post(`${V1}/specializations`, { token, json: { slug: 'Not Kebab', name: 'X' } })).status).toBe(
      422,
    );
    const extra = await api.post(`${V1}/specializations`, { token, json: { slug: `ok-${tag()}`, name: 'X', id: 'x' } });
    expect(extra.status).toBe(422);
    expect(extra.body.errors).toContainEqual(expect.objectContaining({ field: 'id' }));
  });

  it('Should refuse deleting a specialization a doctor uses with 409', async () => {
    const { token } = await admin();
    const spec = await createSpec(token);
    await doctorWithProfile(`Dr ${tag()}`, { specIds: [spec.id] });
    const res = await api.delete(`${V1}/specializations/${spec.id}`, { token });
    expect(res.status).toBe(409);
    expect(await db.select().from(specializations).where(eq(specializations.id, spec.id)).get()).toBeDefined();
  });

  it('Should refuse non-admins', async () => {
    const doctor = await signedInUser({ role: 'doctor' });
    const res = await api.post(`${V1}/specializations`, {
      token: doctor.token,
      json: { slug: `x-${tag()}`, name: 'X' },
    });
    expect(res.status).toBe(403);
  });
});

describe('public doctor directory', () => {
  it('Should list only verified, active doctors, with their public details', async () => {
    const { token } = await admin();
    const t = tag();
    const spec = await createSpec(token, `cardio-${t}`, `Cardio ${t}`);
    const listed = await doctorWithProfile(`Dr Listed ${t}`, { specIds: [spec.id], languages: ['pt-br'] });
    const pending = await doctorWithProfile(`Dr Pending ${t}`, { status: 'pending', specIds: [spec.id] });
    const blocked = await doctorWithProfile(`Dr Blocked ${t}`, { status: 'blocked' });
    const unverified = await doctorWithProfile(`Dr Unverified ${t}`);
    await db.update(users).set({ verifiedAt: null }).where(eq(users.id, unverified.user.id));

    const res = await api.get(`${V1}/doctors?search=${t}`);
    expect(res.status).toBe(200);
    expect(res.body.data.items).toEqual([
      {
        id: listed.user.id,
        name: `Dr Listed ${t}`,
        photo: null,
        photoUrl: null,
        specializations: [{ slug: `cardio-${t}`, name: `Cardio ${t}` }],
        languages: ['pt-BR'],
        yearsOfExperience: 10,
        consultationFee: { amount: '50.00', currency: 'EUR' },
        services: [
          {
            id: listed.serviceId,
            name: 'Video consultation',
            durationMinutes: 30,
            price: { amount: '40.00', currency: 'EUR' },
          },
        ],
        rating: { count: 0, average: null, categories: null },
      },
    ]);
    expect(res.body.data.pagination.total).toBe(1);

    const one = await api.get(`${V1}/doctors/${listed.user.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({
      bio: 'Hello',
      qualifications: [],
      registrationNumber: null,
      timeZone: 'UTC',
    });
    for (const hidden of [pending, blocked, unverified]) {
      expect((await api.get(`${V1}/doctors/${hidden.user.id}`)).status).toBe(404);
    }
    expect((await api.get(`${V1}/doctors/usr_nope`)).status).toBe(404);
  });

  it('Should filter by specialization, service, language and name, and paginate', async () => {
    const { token } = await admin();
    const t = tag();
    const spec = await createSpec(token, `derm-${t}`);
    const a = await doctorWithProfile(`Dr A ${t}`, { specIds: [spec.id], languages: ['en-GB'], service: 'Skin check' });
    const b = await doctorWithProfile(`Dr B ${t}`, { languages: ['fr'], service: 'Follow-up 100%' });
    const c = await doctorWithProfile(`Dr C ${t}`, { languages: ['de'] });
    const ids = async (query: string) => {
      const res = await api.get(`${V1}/doctors?search=${t}&${query}`);
      expect(res.status).toBe(200);
      return res.body.data.items.map((d: { id: string }) => d.id);
    };
    expect(await ids(`specialization=derm-${t}`)).toEqual([a.user.id]);
    expect(await ids('service=skin')).toEqual([a.user.id]);
    expect(await ids('service=100%25')).toEqual([b.user.id]);
    expect(await ids('language=en')).toEqual([a.user.id]);
    expect(await ids('language=fr')).toEqual([b.user.id]);
    expect(await ids('')).toEqual([a.user.id, b.user.id, c.user.id]);

    const page2 = await api.get(`${V1}/doctors?search=${t}&limit=2&page=2`);
    expect(page2.body.data.items.map((d: { id: string }) => d.id)).toEqual([c.user.id]);
    expect(page2.body.data.pagination).toMatchObject({ current: 2, pages: 2, total: 3, hasNext: false, hasPrev: true });

    // A withdrawn service neither shows nor matches.
    await api.delete(`${V1}/doctors/${a.user.id}/services/${a.serviceId}`, { token: a.token });
    expect(await ids('service=skin')).toEqual([]);
    const aView = await api.get(`${V1}/doctors/${a.user.id}`);
    expect(aView.body.data.services).toEqual([]);

    expect((await api.get(`${V1}/doctors?language=english`)).status).toBe(422);
  });
});

describe('doctor profile management', () => {
  it('Should let a doctor update their own profile and store it', async () => {
    const { token: adminToken } = await admin();
    const s1 = await createSpec(adminToken);
    const s2 = await createSpec(adminToken);
    const doctor = await signedInUser({ role: 'doctor' });
    const photo = uniqueId('fil');
    await db.insert(files).values({
      id: photo,
      ownerId: doctor.user.id,
      purpose: 'avatar',
      storageKey: `k/${photo}`,
      contentType: 'image/png',
      size: 10,
      sha256: 'x',
      fileName: null,
      createdAt: Date.now(),
    });
    const res = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
      token: doctor.token,
      json: {
        bio: 'Heart doctor',
        qualifications: [{ degree: 'MD', institution: 'Uni', year: 2010 }],
        yearsOfExperience: 15,
        languages: ['en', 'pt-br', 'en'],
        consultationFee: { amount: '75.50', currency: 'USD' },
        registrationNumber: 'REG-1',
        specializationIds: [s1.id, s2.id],
        photoFileId: photo,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      photo,
      languages: ['en', 'pt-BR'],
      consultationFee: { amount: '75.50', currency: 'USD' },
      registrationNumber: 'REG-1',
    });
    expect(await profileOf(doctor.user.id)).toMatchObject({
      bio: 'Heart doctor',
      consultationFeeCents: 7550,
      currency: 'USD',
      yearsOfExperience: 15,
      photoFileId: photo,
      qualifications: [{ degree: 'MD', institution: 'Uni', year: 2010 }],
    });
    expect((await specsOf(doctor.user.id)).map((r) => r.specializationId).sort()).toEqual([s1.id, s2.id].sort());

    // The set is replaced, not merged.
    const again = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
      token: doctor.token,
      json: { specializationIds: [s2.id] },
    });
    expect(again.status).toBe(200);
    expect((await specsOf(doctor.user.id)).map((r) => r.specializationId)).toEqual([s2.id]);
    expect(await auditOf(doctor.user.id)).toHaveLength(2);
  });

  it("Should answer 404 for another doctor's profile and 403 for a patient", async () => {
    const a = await signedInUser({ role: 'doctor' });
    const b = await signedInUser({ role: 'doctor' });
    const patient = await signedInUser({ role: 'user' });
    const other = await api.patch(`${V1}/doctors/${b.user.id}/profile`, { token: a.token, json: { bio: 'Hacked' } });
    expect(other.status).toBe(404);
    expect(await profileOf(b.user.id)).toBeUndefined();
    const byPatient = await api.patch(`${V1}/doctors/${b.user.id}/profile`, {
      token: patient.token,
      json: { bio: 'Hacked' },
    });
    expect(byPatient.status).toBe(403);
  });

  it('Should let an admin manage any doctor', async () => {
    const { token } = await admin();
    const doctor = await signedInUser({ role: 'doctor' });
    const res = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, { token, json: { yearsOfExperience: 3 } });
    expect(res.status).toBe(200);
    expect((await profileOf(doctor.user.id))?.yearsOfExperience).toBe(3);
    const service = await api.post(`${V1}/doctors/${doctor.user.id}/services`, {
      token,
      json: { name: 'Home visit', durationMinutes: 60, price: { amount: '120.00', currency: 'EUR' } },
    });
    expect(service.status).toBe(201);
    expect(await serviceRow(service.body.data.id)).toMatchObject({ doctorId: doctor.user.id, priceCents: 12000 });
    // An admin is not a doctor: their own id is not a practice.
    const notADoctor = await signedInUser({ role: 'user' });
    expect((await api.patch(`${V1}/doctors/${notADoctor.user.id}/profile`, { token, json: { bio: 'x' } })).status).toBe(
      404,
    );
  });

  it('Should refuse invalid profile input with 422 and change nothing', async () => {
    const { token: adminToken } = await admin();
    const spec = await createSpec(adminToken);
    const doctor = await signedInUser({ role: 'doctor' });
    const ok = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, {
      token: doctor.token,
      json: { bio: 'Before', consultationFee: { amount: '50.00', currency: 'EUR' }, specializationIds: [spec.id] },
    });
    expect(ok.status).toBe(200);
    const before = await profileOf(doctor.user.id);
    const otherFile = uniqueId('fil');
    await db.insert(files).values({
      id: otherFile,
      ownerId: (await signedInUser()).user.id,
      purpose: 'avatar',
      storageKey: `k/${otherFile}`,
      contentType: 'image/png',
      size: 10,
      sha256: 'x',
      fileName: null,
      createdAt: Date.now(),
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ bio: 'x', consultationFee: { amount: '50.5', currency: 'EUR' } }, 'consultationFee.amount'],
      [{ bio: 'x', consultationFee: { amount: 50, currency: 'EUR' } }, 'consultationFee.amount'],
      [{ bio: 'x', consultationFee: { amount: '50.00', currency: 'XYZ' } }, 'consultationFee.currency'],
      [{ bio: 'x', specializationIds: [spec.id, 'spc_unknown'] }, 'specializationIds'],
      [{ bio: 'x', photoFileId: otherFile }, 'photoFileId'],
      [{ bio: 'x', yearsOfExperience: 71 }, 'yearsOfExperience'],
      [{ bio: 'x', languages: ['english'] }, 'languages.0'],
      [{ bio: 'x', role: 'admin' }, 'role'],
      [{ bio: 'x', status: 'active' }, 'status'],
      [{ bio: 'x', verifiedAt: 1 }, 'verifiedAt'],
      [{ bio: 'x', userId: 'usr_x' }, 'userId'],
      [{}, 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await api.patch(`${V1}/doctors/${doctor.user.id}/profile`, { token: doctor.token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.errors, JSON.stringify(json)).toContainEqual(expect.objectContaining({ field }));
    }
    expect(await profileOf(doctor.user.id)).toEqual(before);
    expect((await specsOf(doctor.user.id)).map((r) => r.specializationId)).toEqual([spec.id]);
    expect((await db.select().from(users).where(eq(users.id, doctor.user.id)).get())?.role).toBe('doctor');
  });
});

describe('doctor services', () => {
  it('Should let a doctor create, update and withdraw their services', async () => {
    const doctor = await signedInUser({ role: 'doctor' });
    const base = `${V1}/doctors/${doctor.user.id}/services`;
    const created = await api.post(base, {
      token: doctor.token,
      json: { name: 'Consult', description: 'First', durationMinutes: 45, price: { amount: '50.00', currency: 'EUR' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'Consult', durationMinutes: 45, active: true });
    const id = created.body.data.id;
    expect(await serviceRow(id)).toMatchObject({ doctorId: doctor.user.id, priceCents: 5000, currency: 'EUR' });

    const updated = await api.patch(`${base}/${id}`, {
      token: doctor.token,
      json: { price: { amount: '0.99', currency: 'GBP' }, durationMinutes: 60 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data.price).toEqual({ amount: '0.99', currency: 'GBP' });
    expect(await serviceRow(id)).toMatchObject({ priceCents: 99, currency: 'GBP', durationMinutes: 60 });

    const withdrawn = await api.delete(`${base}/${id}`, { token: doctor.token });
    expect(withdrawn.status).toBe(200);
    expect((await serviceRow(id))?.active).toBe(false);

    const back = await api.patch(`${base}/${id}`, { token: doctor.token, json: { active: true } });
    expect(back.status).toBe(200);
    expect((await serviceRow(id))?.active).toBe(true);
    expect(
      await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.resourceType, 'doctor-service'), eq(auditEvents.resourceId, id)))
        .all(),
    ).toHaveLength(4);
  });

  it("Should answer 404 for another doctor's services and 403 for a patient", async () => {
    const a = await doctorWithProfile(`Dr ${tag()}`);
    const b = await signedInUser({ role: 'doctor' });
    const patient = await signedInUser({ role: 'user' });
    // b names their own id but a's service; then a's id directly.
    expect(
      (await api.patch(`${V1}/doctors/${b.user.id}/services/${a.serviceId}`, { token: b.token, json: { name: 'X' } }))
        .status,
    ).toBe(404);
    expect(
      (await api.patch(`${V1}/doctors/${a.user.id}/services/${a.serviceId}`, { token: b.token, json: { name: 'X' } }))
        .status,
    ).toBe(404);
    expect((await api.delete(`${V1}/doctors/${a.user.id}/services/${a.serviceId}`, { token: b.token })).status).toBe(
      404,
    );
    expect(
      (
        await api.post(`${V1}/doctors/${a.user.id}/services`, {
          token: b.token,
          json: { name: 'X', durationMinutes: 30, price: { amount: '1.00', currency: 'EUR' } },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api.post(`${V1}/doctors/${a.user.id}/services`, {
          token: patient.token,
          json: { name: 'X', durationMinutes: 30, price: { amount: '1.00', currency: 'EUR' } },
        })
      ).status,
    ).toBe(403);
    expect(await serviceRow(a.serviceId)).toMatchObject({ name: 'Video consultation', active: true });
  });

  it('Should refuse invalid services with 422 and store nothing', async () => {
    const doctor = await signedInUser({ role: 'doctor' });
    const base = `${V1}/doctors/${doctor.user.id}/services`;
    const good = { name: 'Consult', durationMinutes: 30, price: { amount: '50.00', currency: 'EUR' } };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, durationMinutes: -30 }, 'durationMinutes'],
      [{ ...good, durationMinutes: 7 }, 'durationMinutes'],
      [{ ...good, durationMinutes: 485 }, 'durationMinutes'],
      [{ ...good, price: { amount: '50.5', currency: 'EUR' } }, 'price.amount'],
      [{ ...good, price: { amount: '-1.00', currency: 'EUR' } }, 'price.amount'],
      [{ ...good, active: false }, 'active'],
      [{ ...good, doctorId: 'usr_x' }, 'doctorId'],
    ];
    for (const [json, field] of cases) {
      const res = await api.post(base, { token: doctor.token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.errors, JSON.stringify(json)).toContainEqual(expect.objectContaining({ field }));
    }
    expect(await db.select().from(doctorServices).where(eq(doctorServices.doctorId, doctor.user.id)).all()).toEqual([]);

    const created = await api.post(base, { token: doctor.token, json: good });
    const id = created.body.data.id;
    const before = await serviceRow(id);
    for (const json of [
      { doctorId: 'usr_x' },
      { durationMinutes: 0 },
      { price: { amount: '1', currency: 'EUR' } },
      {},
    ]) {
      expect((await api.patch(`${base}/${id}`, { token: doctor.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect(await serviceRow(id)).toEqual(before);
  });
});
