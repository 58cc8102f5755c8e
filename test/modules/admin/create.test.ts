import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, devOutbox, oneTimeCodes, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, signedInUser, tokenFor, uniqueEmail } from '../../helpers';
import { latestCode, loginTokens, outboxCount, STRONG_PASSWORD } from '../../support/auth';

const api = client();
const BASE = '/api/v1/admin/users';
const byEmail = (email: string) => db.select().from(users).where(eq(users.email, email)).get();
const create = (token: string, json: unknown) => api.post(BASE, { token, json });
const reset = (a: ReturnType<typeof client>, email: string, otp: string) =>
  a.post('/api/v1/auth/password/reset', { json: { email, otp, newPassword: STRONG_PASSWORD } });

describe('POST /admin/users', () => {
  it('Should create a verified, active doctor and invite them to set a password through password/reset', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const email = uniqueEmail('dr');
    const res = await create(admin.token, {
      email: email.toUpperCase(),
      name: ' Dr. Ana Rivera ',
      mobileNumber: '+1 415 555 0142',
      role: 'doctor',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.invitation).toEqual({ sent: true, expiresIn: 72 * 3600 });
    expect(res.body.data.user).toMatchObject({
      email,
      name: 'Dr. Ana Rivera',
      mobileNumber: '+14155550142',
      role: 'doctor',
      status: 'active',
      emailVerified: true,
      hasPassword: false,
      lastSignInAt: null,
    });
    const stored = await byEmail(email);
    expect(stored).toMatchObject({ role: 'doctor', status: 'active', passwordHash: null, subRoles: [] });
    expect(stored?.verifiedAt).toBeGreaterThan(0);
    expect(stored?.emailVerifiedAt).toBeGreaterThan(0);
    expect(await db.select().from(auditEvents).where(eq(auditEvents.resourceId, stored!.id)).all()).toMatchObject([
      { action: 'admin.users.create', actorId: admin.user.id, metadata: { role: 'doctor', status: 'active' } },
    ]);

    const [mail] = await db.select().from(devOutbox).where(eq(devOutbox.recipient, email)).all();
    expect(mail?.subject).toMatch(/invited/i);
    expect(mail?.body).toMatch(/72 hours/);
    expect(mail?.body).toMatch(/password\/reset/);
    const code = await latestCode(api, email);

    expect((await api.post('/api/v1/auth/login', { json: { email, password: STRONG_PASSWORD } })).status).toBe(401);
    const set = await reset(api, email, code);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const tokens = await loginTokens(api, email);
    const me = await api.get('/api/v1/users/me', { token: tokens.accessToken });
    expect(me.body.data.user).toMatchObject({ id: stored!.id, role: 'doctor', hasPassword: true });
    // The code is single use.
    expect((await reset(api, email, code)).body.error.code).toBe('OTP_INVALID');
  });

  it('Should keep the invitation code valid for 72 hours, not the 10 minutes of a reset code', async () => {
    const clock = fixedClock('2026-03-02T09:00:00Z');
    const timed = client({ clock });
    const admin = await signedInUser({ role: 'admin' });
    const token = await tokenFor(admin.user, clock.now());
    const early = uniqueEmail('early');
    const late = uniqueEmail('late');
    expect(
      (await timed.post(BASE, { token, json: { email: early, name: 'Rita Reception', role: 'receptionist' } })).status,
    ).toBe(201);
    expect(
      (await timed.post(BASE, { token, json: { email: late, name: 'Carl Caregiver', role: 'caregiver' } })).status,
    ).toBe(201);
    const earlyCode = await latestCode(timed, early);
    const lateCode = await latestCode(timed, late);

    clock.advance(71 * 3600_000);
    expect((await reset(timed, early, earlyCode)).status).toBe(200);
    clock.advance(2 * 3600_000);
    const expired = await reset(timed, late, lateCode);
    expect([expired.status, expired.body.error.code]).toEqual([422, 'OTP_EXPIRED']);
  });

  it('Should create an admin pending when an admin creates it, with its sub-roles', async () => {
    const admin = await signedInUser({ role: 'admin' });
    const email = uniqueEmail('newadmin');
    const res = await create(admin.token, {
      email,
      name: 'Ada Admin',
      role: 'admin',
      subRoles: ['content-manager', 'support-agent'],
    });
    expect(res.status).toBe(201);
    expect(res.body.data.user).toMatchObject({
      status: 'pending',
      role: 'admin',
      subRoles: ['content-manager', 'support-agent'],
    });
    expect(await byEmail(email)).toMatchObject({ status: 'pending', verifiedAt: null });
    expect(await outboxCount(api, email)).toBe(1);
  });

  it('Should create an admin active at once when a superadmin creates it', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const email = uniqueEmail('newadmin');
    const res = await create(token, { email, name: 'Sam Admin', role: 'admin' });
    expect(res.body.data.user).toMatchObject({ status: 'active', subRoles: [] });
    expect(await byEmail(email)).toMatchObject({ status: 'active' });
  });

  it('Should answer 409 for a taken email or mobile number, creating and sending nothing', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const email = uniqueEmail('taken');
    const mobileNumber = '+14155550177';
    expect((await create(token, { email, name: 'First', role: 'caregiver', mobileNumber })).status).toBe(201);
    const before = await db.$count(users);
    const audits = await db.$count(auditEvents, eq(auditEvents.action, 'admin.users.create'));
    const dupEmail = await create(token, { email, name: 'Second', role: 'doctor' });
    expect([dupEmail.status, dupEmail.body.error.code]).toEqual([409, 'CONFLICT']);
    const other = uniqueEmail('other');
    const dupNumber = await create(token, { email: other, name: 'Third', role: 'doctor', mobileNumber });
    expect([dupNumber.status, dupNumber.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(users)).toBe(before);
    expect(await db.$count(auditEvents, eq(auditEvents.action, 'admin.users.create'))).toBe(audits);
    expect(await outboxCount(api, email)).toBe(1);
    expect(await outboxCount(api, other)).toBe(0);
    // The refused account's invitation code rolled back with it.
    expect(await db.$count(oneTimeCodes, eq(oneTimeCodes.target, other))).toBe(0);
  });

  it('Should create the account but send no invitation when a code went to the address a moment ago', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const email = uniqueEmail('justasked');
    // A reset asked for an address with no account yet records a code (sent nowhere), starting its cooldown.
    expect((await api.post('/api/v1/auth/password/forgot', { json: { email } })).status).toBe(200);
    const res = await create(token, { email, name: 'Dr. Early', role: 'doctor' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.invitation).toEqual({ sent: false, expiresIn: 72 * 3600 });
    expect(await byEmail(email)).toMatchObject({ role: 'doctor', status: 'active' });
    expect(await outboxCount(api, email)).toBe(0);
    // Only the earlier code exists, and it is not bound to the new account.
    const codes = await db.select().from(oneTimeCodes).where(eq(oneTimeCodes.target, email)).all();
    expect(codes.map((code) => code.userId)).toEqual([null]);
  });

  it('Should refuse superadmins, patients, sub-roles on non-admins and bad fields with 422, creating nothing', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const before = await db.$count(users);
    const email = uniqueEmail('bad');
    const bodies = [
      { email, name: 'X', role: 'superadmin' },
      { email, name: 'X', role: 'user' },
      { email, name: 'X', role: 'doctor', subRoles: ['support-agent'] },
      { email, name: 'X', role: 'admin', subRoles: ['janitor'] },
      { email, name: 'X', role: 'admin', subRoles: ['support-agent', 'support-agent'] },
      { email, name: 'X', role: 'doctor', mobileNumber: '12' },
      { email, name: 'X', role: 'doctor', mobileNumber: '+1 000 000 0000' },
      { email: 'not-an-email', name: 'X', role: 'doctor' },
      { email, name: '', role: 'doctor' },
      { email, role: 'doctor' },
      { email, name: 'X' },
      { email, name: 7, role: 'doctor' },
    ];
    for (const json of bodies) {
      const res = await create(token, json);
      expect([res.status, res.body.error.code], JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    expect(await db.$count(users)).toBe(before);
    expect(await outboxCount(api, email)).toBe(0);
  });
});
