import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  auditEvents,
  doses,
  emergencyContacts,
  files,
  oneTimeCodes,
  refreshTokens,
  schedules,
  sessions,
  userProfiles,
  users,
  vaccineSchedules,
} from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, form, SAMPLE, signedInUser, testEnv, tokenFor } from '../../helpers';
import { latestCode, loginTokens, STRONG_PASSWORD, userWithPassword } from '../../support/auth';

const api = client();
const ME = '/api/v1/users/me';

const userRow = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const fieldsOf = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);

/** Gives an account personal data of every kind the users module stores. */
async function populate(token: string) {
  expect((await api.patch(ME, { token, json: { dateOfBirth: '1970-01-01', allergies: ['latex'] } })).status).toBe(200);
  const contact = await api.post(`${ME}/emergency-contacts`, {
    token,
    json: { name: 'Maria', relationship: 'daughter', phone: '+351912345678' },
  });
  expect(contact.status).toBe(201);
  const avatar = await api.put(`${ME}/avatar`, { token, body: form({ file: new Blob([SAMPLE.png()]) }, 'me.png') });
  expect(avatar.status).toBe(200);
  const report = await api.post('/api/v1/files', {
    token,
    body: form({ purpose: 'lab-report', file: new Blob([SAMPLE.pdf()]) }, 'labs.pdf'),
  });
  expect(report.status).toBe(201);
  return { avatarUrl: avatar.body.data.avatar.url as string, reportId: report.body.data.id as string };
}

async function expectErased(userId: string) {
  const row = await userRow(userId);
  expect(row).toMatchObject({
    email: null,
    mobileNumber: null,
    name: 'Deleted user',
    passwordHash: null,
    googleSub: null,
    facebookId: null,
    status: 'removed',
  });
  expect(row?.deletedAt).toBeGreaterThan(0);
  expect(await db.$count(userProfiles, eq(userProfiles.userId, userId))).toBe(0);
  expect(await db.$count(emergencyContacts, eq(emergencyContacts.userId, userId))).toBe(0);
  expect(await db.$count(files, eq(files.ownerId, userId))).toBe(0);
  expect(await db.$count(sessions, eq(sessions.userId, userId))).toBe(0);
  expect(await db.$count(refreshTokens, eq(refreshTokens.userId, userId))).toBe(0);
  expect(await db.$count(oneTimeCodes, eq(oneTimeCodes.userId, userId))).toBe(0);
  expect(await db.$count(schedules, eq(schedules.ownerId, userId))).toBe(0);
  expect(await db.$count(doses, eq(doses.ownerId, userId))).toBe(0);
  expect(await db.$count(vaccineSchedules, eq(vaccineSchedules.ownerId, userId))).toBe(0);
}

describe('account deletion with a password', () => {
  it('Should erase personal data, files and sessions, keep audit records, and lock the account out', async () => {
    const user = await userWithPassword();
    const tokens = await loginTokens(api, user.email!);
    const token = tokens.accessToken;
    const { avatarUrl, reportId } = await populate(token);
    const keys = (await db.select().from(files).where(eq(files.ownerId, user.id)).all()).map((f) => f.storageKey);
    expect(keys).toHaveLength(2);
    const auditBefore = await db.$count(auditEvents, eq(auditEvents.actorId, user.id));
    // Health data hanging off the account: a medicine schedule, one of its doses and a vaccine dose.
    const now = Date.now();
    await db.insert(schedules).values({
      id: `sch_${user.id.slice(4)}`,
      ownerId: user.id,
      kind: 'medicine',
      medicineName: 'Metformin',
      dosage: '500 mg',
      timesOfDay: ['08:00'],
      timeZone: 'UTC',
      recurrence: { type: 'interval', everyNDays: 1 },
      startDate: '2026-01-01',
      createdAt: now,
      updatedAt: now,
    });
    await db.insert(doses).values({
      id: `dos_${user.id.slice(4)}`,
      scheduleId: `sch_${user.id.slice(4)}`,
      ownerId: user.id,
      localDate: '2026-01-01',
      localTime: '08:00',
      scheduledAt: now,
      updatedAt: now,
    });
    await db.insert(vaccineSchedules).values({
      id: `vsc_${user.id.slice(4)}`,
      ownerId: user.id,
      vaccineId: 'vac_01DEMD00000000000000000001',
      doseNumber: 1,
      dueDate: '2026-02-01',
      createdAt: now,
      updatedAt: now,
    });

    const res = await api.delete(ME, { token, json: { password: STRONG_PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({ id: user.id });

    // What the user sees: the old tokens, the password, the file and the avatar link are all dead.
    const me = await api.get(ME, { token });
    expect([me.status, me.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);
    expect((await api.get(`/api/v1/files/${reportId}/content`, { token })).status).toBe(401);
    expect((await api.post('/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    const login = await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } });
    expect(login.status).toBe(401);
    const { pathname, search } = new URL(avatarUrl);
    expect((await api.get(`${pathname}${search}`)).status).toBe(404);
    // Another account cannot reach the file either.
    const other = await signedInUser();
    expect((await api.get(`/api/v1/files/${reportId}/content`, { token: other.token })).status).toBe(404);

    // What is stored: a tombstone, no personal rows, no objects, audit kept and the erasure recorded.
    await expectErased(user.id);
    for (const key of keys) expect(await testEnv.FILES.head(key)).toBeNull();
    expect(await db.$count(auditEvents, eq(auditEvents.actorId, user.id))).toBeGreaterThan(auditBefore);
    const erased = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'user.anonymize')))
      .all();
    expect(erased).toHaveLength(1);
    expect(
      await db.$count(
        auditEvents,
        and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'user.profile_update')),
      ),
    ).toBe(1);
    expect(JSON.stringify(erased)).not.toContain(user.email!);
  });

  it('Should refuse a missing, wrong or mistyped password with 422 and delete nothing', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const cases: [unknown, string][] = [
      [{}, 'password'],
      [{ password: 'Not-The-Password-1' }, 'password'],
      [{ password: 12345678 }, 'password'],
      [{ password: STRONG_PASSWORD, reason: 'bye' }, 'reason'],
    ];
    for (const [json, field] of cases) {
      const res = await api.delete(ME, { token, json });
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      expect(fieldsOf(res)).toEqual([field]);
    }
    expect((await userRow(user.id))?.status).toBe('active');
    expect((await api.get(ME, { token })).status).toBe(200);
    const failures = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, user.id), eq(auditEvents.action, 'user.delete')))
      .all();
    expect(failures.map((f) => f.outcome)).toEqual(['failure']);
    expect((await api.delete(ME, { json: { password: STRONG_PASSWORD } })).status).toBe(401);
  });

  it('Should not send a deletion code to an account that has a password (409)', async () => {
    const user = await userWithPassword();
    const res = await api.post(`${ME}/deletion-code`, { token: await tokenFor(user) });
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
  });
});

describe('account deletion with a code', () => {
  it('Should email a code to a password-less account and delete it with that code only', async () => {
    const { user, token } = await signedInUser();
    await populate(token);
    const sent = await api.post(`${ME}/deletion-code`, { token });
    expect(sent.status).toBe(200);
    expect(sent.body.data).toEqual({ channel: 'email', expiresIn: 600, resendAfter: 60 });
    const code = await latestCode(api, user.email!);

    const missing = await api.delete(ME, { token, json: {} });
    expect([missing.status, fieldsOf(missing)]).toEqual([422, ['otp']]);
    const wrong = await api.delete(ME, { token, json: { otp: code === '000000' ? '111111' : '000000' } });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const malformed = await api.delete(ME, { token, json: { otp: 'abc' } });
    expect([malformed.status, fieldsOf(malformed)]).toEqual([422, ['otp']]);
    expect((await userRow(user.id))?.status).toBe('active');

    const res = await api.delete(ME, { token, json: { otp: code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await expectErased(user.id);
    expect((await api.get(ME, { token })).status).toBe(401);
  });

  it('Should send the code by SMS when the account has only a verified mobile number', async () => {
    const user = await createUser();
    const number = '+351919876543';
    await db
      .update(users)
      .set({ email: null, emailVerifiedAt: null, mobileNumber: number, mobileVerifiedAt: Date.now() })
      .where(eq(users.id, user.id));
    const token = await tokenFor(user);
    const sent = await api.post(`${ME}/deletion-code`, { token });
    expect([sent.status, sent.body.data.channel]).toEqual([200, 'sms']);
    const res = await api.delete(ME, { token, json: { otp: await latestCode(api, number) } });
    expect(res.status).toBe(200);
    await expectErased(user.id);
  });

  it('Should refuse an expired code (injected clock) and keep the account', async () => {
    const clock = fixedClock('2026-07-01T10:00:00Z');
    const timed = client({ clock });
    const user = await createUser();
    const token = await tokenFor(user, clock.now());
    expect((await timed.post(`${ME}/deletion-code`, { token })).status).toBe(200);
    const code = await latestCode(api, user.email!);
    clock.advance(11 * 60_000);
    const res = await timed.delete(ME, { token, json: { otp: code } });
    expect([res.status, res.body.error.code]).toEqual([422, 'OTP_EXPIRED']);
    expect((await userRow(user.id))?.status).toBe('active');
  });
});

describe('superadmin self-deletion', () => {
  it('Should refuse the last active superadmin with 409 and allow it once another exists', async () => {
    const admin = await userWithPassword({ role: 'superadmin' });
    const token = await tokenFor(admin);
    const refused = await api.delete(ME, { token, json: { password: STRONG_PASSWORD } });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await userRow(admin.id))?.status).toBe('active');
    // A blocked superadmin does not count as a successor.
    await createUser({ role: 'superadmin', status: 'blocked' });
    expect((await api.delete(ME, { token, json: { password: STRONG_PASSWORD } })).status).toBe(409);
    await createUser({ role: 'superadmin' });
    const res = await api.delete(ME, { token, json: { password: STRONG_PASSWORD } });
    expect(res.status).toBe(200);
    expect((await userRow(admin.id))?.status).toBe('removed');
  });
});
