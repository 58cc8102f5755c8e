import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { doctorProfiles, users } from '../../../src/db/schema';
import { bookableDoctorQuery, doctorRowColumns } from '../../../src/modules/doctors/doctor-access';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, createUser, db, testEnv, uniqueId } from '../../helpers';

const api = client();
const V1 = '/api/v1';
const DAY_MS = 24 * 3600_000;

/**
 * A listed doctor whose account and profile were last changed at different instants, so a read that
 * mixes up the two tables' same-named `updated_at` columns shows. The profile holds JSON columns too,
 * which an aliased read must still decode.
 */
async function doctorWithOwnTimestamps() {
  const name = `Dr Rows ${uniqueId('t').slice(-10)}`;
  const user = await createUser({ role: 'doctor', name });
  const userUpdatedAt = user.updatedAt - 3 * DAY_MS;
  const profileUpdatedAt = user.updatedAt + 5 * DAY_MS;
  await db.update(users).set({ updatedAt: userUpdatedAt }).where(eq(users.id, user.id));
  await db.insert(doctorProfiles).values({
    userId: user.id,
    bio: 'Sees children and adults.',
    qualifications: [{ degree: 'MD', institution: 'Charité', year: 2010 }],
    yearsOfExperience: 14,
    languages: ['en', 'de'],
    consultationFeeCents: 4500,
    timeZone: 'Europe/Berlin',
    updatedAt: profileUpdatedAt,
  });
  const storedUser = await db.select().from(users).where(eq(users.id, user.id)).get();
  const storedProfile = await db.select().from(doctorProfiles).where(eq(doctorProfiles.userId, user.id)).get();
  return { id: user.id, name, userUpdatedAt, profileUpdatedAt, storedUser, storedProfile };
}

describe('a doctor read with its profile in one D1 batch', () => {
  it('Should give the account and the profile each its own updated_at and every other column', async () => {
    const doctor = await doctorWithOwnTimestamps();
    expect(doctor.storedUser?.updatedAt).toBe(doctor.userUpdatedAt);
    expect(doctor.storedProfile?.updatedAt).toBe(doctor.profileUpdatedAt);
    const ctx = createContext(testEnv, cloudflareDeps, { requestId: 'doctor-rows' });

    // A batch is where drizzle reads rows by column name; the profile and directory reads both run in one.
    const [byId, listed] = await ctx.db.batch([
      bookableDoctorQuery(ctx, doctor.id),
      ctx.db
        .select(doctorRowColumns())
        .from(users)
        .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
        .where(eq(users.id, doctor.id)),
    ]);

    const expected = { user: doctor.storedUser, profile: doctor.storedProfile };
    expect(byId).toEqual([expected]);
    expect(listed).toEqual([expected]);
    expect(byId[0]?.user.updatedAt).toBe(doctor.userUpdatedAt);
    expect(byId[0]?.profile.updatedAt).toBe(doctor.profileUpdatedAt);
  });

  it('Should show the profile decoded in the public profile and the directory', async () => {
    const doctor = await doctorWithOwnTimestamps();
    const profile = {
      id: doctor.id,
      name: doctor.name,
      languages: ['en', 'de'],
      yearsOfExperience: 14,
      consultationFee: { amount: '45.00', currency: 'EUR' },
    };

    const detail = await api.get(`${V1}/doctors/${doctor.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.data).toMatchObject({
      ...profile,
      bio: 'Sees children and adults.',
      qualifications: [{ degree: 'MD', institution: 'Charité', year: 2010 }],
      timeZone: 'Europe/Berlin',
    });

    const directory = await api.get(`${V1}/doctors?search=${encodeURIComponent(doctor.name)}`);
    expect(directory.status).toBe(200);
    expect(directory.body.data.items).toEqual([expect.objectContaining(profile)]);
  });
});
