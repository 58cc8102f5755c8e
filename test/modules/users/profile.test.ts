import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NOTIFY_DELIVER } from '../../../src/access/notices';
import { auditEvents, emergencyContacts, oneTimeCodes, userProfiles, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, signedInUser, tokenFor, uniqueEmail, uniqueMobile } from '../../helpers';
import { latestCode, loginTokens, outboxCount, STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { capturingQueue, runQueue } from '../../support/notifications';

const api = client();
/** Notices are enqueued after the response: this client keeps them, and `deliverNotices` delivers them. */
const queue = capturingQueue();
const noticing = client({ adapters: queue.adapters });
const deliverNotices = () => runQueue(queue.take(NOTIFY_DELIVER));
const ME = '/api/v1/users/me';
const CONTACTS = '/api/v1/users/me/emergency-contacts';

const fieldsOf = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);
const userRow = (id: string) => db.select().from(users).where(eq(users.id, id)).get();
const profileRow = (id: string) => db.select().from(userProfiles).where(eq(userProfiles.userId, id)).get();
const auditsOf = (userId: string, action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceId, userId), eq(auditEvents.action, action)))
    .all();

describe('GET /users/me', () => {
  it('Should answer the account and an empty profile for a new user, and 401 anonymously', async () => {
    const { user, token } = await signedInUser({ name: 'Pat Patient' });
    const res = await api.get(ME, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: user.id, email: user.email, name: 'Pat Patient', role: 'user' });
    expect(res.body.data.user).not.toHaveProperty('passwordHash');
    expect(res.body.data.profile).toEqual({
      dateOfBirth: null,
      gender: null,
      address: null,
      bloodGroup: null,
      allergies: null,
      preferredLanguage: null,
      timeZone: null,
      emergencyContacts: [],
      avatar: null,
      completeness: {
        score: 0,
        missing: [
          'dateOfBirth',
          'gender',
          'address',
          'bloodGroup',
          'allergies',
          'preferredLanguage',
          'timeZone',
          'emergencyContacts',
          'avatar',
        ],
      },
    });
    const anonymous = await api.get(ME);
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('PATCH /users/me', () => {
  it('Should update the name and profile, store canonical values, and audit only the changed field names', async () => {
    const { user, token } = await signedInUser();
    const res = await api.patch(ME, {
      token,
      json: {
        name: '  Maria Silva ',
        dateOfBirth: '1984-03-09',
        gender: 'female',
        address: { line1: 'Rua Augusta 100', city: 'Lisboa', postalCode: '1100-053', country: 'pt' },
        bloodGroup: 'O+',
        allergies: ['penicillin', 'peanuts', 'penicillin'],
        preferredLanguage: 'pt-br',
        timeZone: 'europe/lisbon',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.name).toBe('Maria Silva');
    expect(res.body.data.profile).toMatchObject({
      dateOfBirth: '1984-03-09',
      gender: 'female',
      address: { line1: 'Rua Augusta 100', city: 'Lisboa', postalCode: '1100-053', country: 'PT' },
      bloodGroup: 'O+',
      allergies: ['penicillin', 'peanuts'],
      preferredLanguage: 'pt-BR',
      timeZone: 'Europe/Lisbon',
      // Seven of nine filled: the answer's completeness counts the changes just written.
      completeness: { score: 78, missing: ['emergencyContacts', 'avatar'] },
    });
    expect((await userRow(user.id))?.name).toBe('Maria Silva');
    expect(await profileRow(user.id)).toMatchObject({
      dateOfBirth: '1984-03-09',
      bloodGroup: 'O+',
      allergies: ['penicillin', 'peanuts'],
      preferredLanguage: 'pt-BR',
      timeZone: 'Europe/Lisbon',
      address: { country: 'PT' },
    });
    const audits = await auditsOf(user.id, 'user.profile_update');
    expect(audits).toHaveLength(1);
    const audit = audits[0]!;
    expect(audit.patientId).toBe(user.id);
    expect((audit.metadata as { fields: string[] }).fields.sort()).toEqual(
      ['name', 'dateOfBirth', 'gender', 'address', 'bloodGroup', 'allergies', 'preferredLanguage', 'timeZone'].sort(),
    );
    const serialized = JSON.stringify(audit);
    for (const value of ['penicillin', 'O+', '1984-03-09', 'Lisboa', 'Maria']) expect(serialized).not.toContain(value);

    // GET answers the same profile.
    expect((await api.get(ME, { token })).body.data.profile.timeZone).toBe('Europe/Lisbon');
  });

  it('Should clear fields with null, leave omitted ones alone, and write nothing when nothing changes', async () => {
    const { user, token } = await signedInUser();
    await api.patch(ME, { token, json: { allergies: ['latex'], timeZone: 'UTC', bloodGroup: 'A-' } });
    const cleared = await api.patch(ME, { token, json: { allergies: null, timeZone: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data.profile).toMatchObject({ allergies: null, timeZone: null, bloodGroup: 'A-' });
    expect(await profileRow(user.id)).toMatchObject({ allergies: null, timeZone: null, bloodGroup: 'A-' });
    const audits = await auditsOf(user.id, 'user.profile_update');
    expect(audits.map((a) => (a.metadata as { fields: string[] }).fields.sort())).toEqual([
      ['allergies', 'bloodGroup', 'timeZone'],
      ['allergies', 'timeZone'],
    ]);
    const same = await api.patch(ME, { token, json: { bloodGroup: 'A-' } });
    expect(same.status).toBe(200);
    expect(await auditsOf(user.id, 'user.profile_update')).toHaveLength(2);
  });

  it('Should refuse mass assignment of account fields with 422 naming each one, changing nothing', async () => {
    const { user, token } = await signedInUser();
    const before = await userRow(user.id);
    const res = await api.patch(ME, {
      token,
      json: {
        name: 'Sneaky',
        role: 'admin',
        status: 'active',
        email: 'boss@kinwell.local',
        subRoles: ['support-agent'],
        tokenVersion: 0,
        verifiedAt: Date.now(),
        id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      },
    });
    expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(fieldsOf(res).sort()).toEqual(['email', 'id', 'role', 'status', 'subRoles', 'tokenVersion', 'verifiedAt']);
    expect(await userRow(user.id)).toEqual(before);
    expect(await profileRow(user.id)).toBeUndefined();
    expect(await auditsOf(user.id, 'user.profile_update')).toEqual([]);
    // A nested unknown key is named with its path.
    const nested = await api.patch(ME, {
      token,
      json: { address: { line1: 'x', city: 'y', country: 'PT', planet: 'Mars' } },
    });
    expect([nested.status, fieldsOf(nested)]).toEqual([422, ['address.planet']]);
  });

  it.each([
    [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ timeZone: '+01:00' }, 'timeZone'],
    [{ timeZone: 42 }, 'timeZone'],
    [{ dateOfBirth: '1899-12-31' }, 'dateOfBirth'],
    [{ dateOfBirth: '2020-02-30' }, 'dateOfBirth'],
    [{ dateOfBirth: '09/03/1984' }, 'dateOfBirth'],
    [{ preferredLanguage: 'english' }, 'preferredLanguage'],
    [{ preferredLanguage: 'en_US' }, 'preferredLanguage'],
    [{ allergies: Array.from({ length: 51 }, (_, i) => `allergen ${i}`) }, 'allergies'],
    [{ allergies: ['x'.repeat(101)] }, 'allergies.0'],
    [{ allergies: 'penicillin' }, 'allergies'],
    [{ address: { line1: 'Rua 1', city: 'Lisboa', country: 'XX' } }, 'address.country'],
    [{ address: { line1: 'Rua 1', city: 'Lisboa' } }, 'address.country'],
    [{ gender: 'robot' }, 'gender'],
    [{ bloodGroup: 'Z+' }, 'bloodGroup'],
    [{ name: '' }, 'name'],
    [{ name: null }, 'name'],
    [{ name: 123 }, 'name'],
  ])('Should refuse %j with 422 on %s and store nothing', async (json, field) => {
    const { user, token } = await signedInUser();
    const res = await api.patch(ME, { token, json: { bloodGroup: 'B+', ...json } });
    expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(fieldsOf(res)).toContain(field);
    expect(await profileRow(user.id)).toBeUndefined();
  });

  it('Should refuse a birth date in the future (by the injected clock) and accept today', async () => {
    const clock = fixedClock('2026-03-01T12:00:00Z');
    const timed = client({ clock });
    const user = await createUser();
    const token = await tokenFor(user, clock.now());
    const future = await timed.patch(ME, { token, json: { dateOfBirth: '2026-03-03' } });
    expect([future.status, fieldsOf(future)]).toEqual([422, ['dateOfBirth']]);
    expect(await profileRow(user.id)).toBeUndefined();
    const today = await timed.patch(ME, { token, json: { dateOfBirth: '2026-03-01' } });
    expect(today.status).toBe(200);
    expect((await profileRow(user.id))?.dateOfBirth).toBe('2026-03-01');
  });

  it('Should answer 400 for malformed JSON, 415 for another content type, 401 anonymously', async () => {
    const { token } = await signedInUser();
    const broken = await api.patch(ME, { token, body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect([broken.status, broken.body.error.code]).toEqual([400, 'INVALID_JSON']);
    const text = await api.patch(ME, { token, body: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect([text.status, text.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect((await api.patch(ME, { json: { name: 'x' } })).status).toBe(401);
  });
});

describe('email change', () => {
  it('Should change the email end to end: code to the new address, old address notified, audit kept', async () => {
    const user = await userWithPassword();
    const { accessToken: token } = await loginTokens(api, user.email!);
    const newEmail = uniqueEmail('moved');
    const start = await api.post(`${ME}/email`, { token, json: { newEmail, password: STRONG_PASSWORD } });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    expect(start.body.data).toEqual({ expiresIn: 600, resendAfter: 60 });
    expect(await outboxCount(api, user.email!)).toBe(0);
    const code = await latestCode(api, newEmail);
    // The code is bound to the account and the address.
    const row = await db
      .select()
      .from(oneTimeCodes)
      .where(eq(oneTimeCodes.target, `${user.id}:${newEmail}`))
      .get();
    expect(row).toMatchObject({ purpose: 'change-email', userId: user.id });

    const done = await noticing.post(`${ME}/email/verify`, { token, json: { newEmail, otp: code } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.data.user).toMatchObject({ email: newEmail, emailVerified: true });
    const stored = await userRow(user.id);
    expect(stored?.email).toBe(newEmail);
    expect(stored?.emailVerifiedAt).toBeGreaterThan(0);
    await deliverNotices();

    const notice = await api.get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(user.email!)}`, {
      env: { ENVIRONMENT: 'development' },
    });
    expect(notice.body.data.items).toHaveLength(1);
    expect(notice.body.data.items[0].subject).toContain('email address was changed');
    expect(notice.body.data.items[0].body).not.toContain(newEmail);

    expect(await auditsOf(user.id, 'user.email_change')).toHaveLength(1);
    expect(
      (await api.post('/api/v1/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } })).status,
    ).toBe(401);
    expect((await loginTokens(api, newEmail)).accessToken).toBeTruthy();
    // The code is single use.
    const replay = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp: code } });
    expect(replay.body.error.code).toBe('OTP_INVALID');
  });

  it('Should require the correct password of an account that has one, sending nothing otherwise', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const newEmail = uniqueEmail('moved');
    const missing = await api.post(`${ME}/email`, { token, json: { newEmail } });
    expect([missing.status, fieldsOf(missing)]).toEqual([422, ['password']]);
    const wrong = await api.post(`${ME}/email`, { token, json: { newEmail, password: 'Not-The-Password-1' } });
    expect([wrong.status, fieldsOf(wrong)]).toEqual([422, ['password']]);
    expect(await outboxCount(api, newEmail)).toBe(0);
    const failures = await auditsOf(user.id, 'user.email_change');
    expect(failures.map((a) => a.outcome)).toEqual(['failure']);
  });

  it('Should let a password-less account start a change with its session alone', async () => {
    const { token } = await signedInUser();
    const newEmail = uniqueEmail('otp-only');
    expect((await api.post(`${ME}/email`, { token, json: { newEmail } })).status).toBe(200);
    expect(await outboxCount(api, newEmail)).toBe(1);
  });

  it('Should answer 409 for an address another account uses, and 422 for a bad or unchanged one', async () => {
    const other = await createUser();
    const { user, token } = await signedInUser();
    const taken = await api.post(`${ME}/email`, { token, json: { newEmail: other.email } });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'CONFLICT']);
    const bad = await api.post(`${ME}/email`, { token, json: { newEmail: 'not-an-email' } });
    expect([bad.status, fieldsOf(bad)]).toEqual([422, ['newEmail']]);
    const wrongType = await api.post(`${ME}/email`, { token, json: { newEmail: 42 } });
    expect([wrongType.status, fieldsOf(wrongType)]).toEqual([422, ['newEmail']]);
    const same = await api.post(`${ME}/email`, { token, json: { newEmail: user.email } });
    expect([same.status, fieldsOf(same)]).toEqual([422, ['newEmail']]);
  });

  it('Should refuse a wrong code, a code for another address, and an expired code, changing nothing', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const timed = client({ clock });
    const user = await createUser();
    const token = await tokenFor(user, clock.now());
    const newEmail = uniqueEmail('target');
    expect((await timed.post(`${ME}/email`, { token, json: { newEmail } })).status).toBe(200);
    const code = await latestCode(api, newEmail);
    const wrong = await timed.post(`${ME}/email/verify`, {
      token,
      json: { newEmail, otp: code === '000000' ? '111111' : '000000' },
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    const otherAddress = await timed.post(`${ME}/email/verify`, {
      token,
      json: { newEmail: uniqueEmail('elsewhere'), otp: code },
    });
    expect(otherAddress.body.error.code).toBe('OTP_INVALID');
    clock.advance(11 * 60_000);
    const late = await timed.post(`${ME}/email/verify`, { token, json: { newEmail, otp: code } });
    expect([late.status, late.body.error.code]).toEqual([422, 'OTP_EXPIRED']);
    expect((await userRow(user.id))?.email).toBe(user.email);
  });

  it('Should answer 409 when the address was taken between the code and its confirmation', async () => {
    const { user, token } = await signedInUser();
    const newEmail = uniqueEmail('contested');
    await api.post(`${ME}/email`, { token, json: { newEmail } });
    const code = await latestCode(api, newEmail);
    await createUser({ email: newEmail });
    const res = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp: code } });
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await userRow(user.id))?.email).toBe(user.email);
    expect(await auditsOf(user.id, 'user.email_change')).toEqual([]);
  });

  it('Should refuse anonymous callers with 401', async () => {
    expect((await api.post(`${ME}/email`, { json: { newEmail: uniqueEmail() } })).status).toBe(401);
    expect((await api.post(`${ME}/email/verify`, { json: { newEmail: uniqueEmail(), otp: '123456' } })).status).toBe(
      401,
    );
  });
});

describe('mobile change', () => {
  it('Should change the number with an SMS code, store E.164, mark it verified and tell the email', async () => {
    const { user, token } = await signedInUser();
    const number = uniqueMobile();
    const spaced = `${number.slice(0, 4)} ${number.slice(4, 7)} ${number.slice(7)}`;
    const start = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: spaced } });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const code = await latestCode(api, number);
    const done = await noticing.post(`${ME}/mobile/verify`, { token, json: { mobileNumber: number, otp: code } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.data.user).toMatchObject({ mobileNumber: number, mobileVerified: true });
    const stored = await userRow(user.id);
    expect(stored?.mobileNumber).toBe(number);
    expect(stored?.mobileVerifiedAt).toBeGreaterThan(0);
    await deliverNotices();
    expect(await outboxCount(api, user.email!)).toBe(1);
    expect(await auditsOf(user.id, 'user.mobile_change')).toHaveLength(1);
  });

  it('Should answer 409 for a number in use, 422 for a bad one, and refuse a wrong code', async () => {
    const number = uniqueMobile();
    const owner = await createUser();
    await db.update(users).set({ mobileNumber: number }).where(eq(users.id, owner.id));
    const { user, token } = await signedInUser();
    const taken = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number } });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'CONFLICT']);
    const bad = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: '12345' } });
    expect([bad.status, fieldsOf(bad)]).toEqual([422, ['mobileNumber']]);
    const missing = await api.post(`${ME}/mobile`, { token, json: {} });
    expect([missing.status, fieldsOf(missing)]).toEqual([422, ['mobileNumber']]);

    const mine = uniqueMobile();
    await api.post(`${ME}/mobile`, { token, json: { mobileNumber: mine } });
    const code = await latestCode(api, mine);
    const wrong = await api.post(`${ME}/mobile/verify`, {
      token,
      json: { mobileNumber: mine, otp: code === '000000' ? '111111' : '000000' },
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'OTP_INVALID']);
    expect((await userRow(user.id))?.mobileNumber).toBeNull();
  });

  it('Should require the current password of an account that has one before texting a code', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const number = uniqueMobile();
    const none = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number } });
    expect([none.status, fieldsOf(none)]).toEqual([422, ['password']]);
    const wrong = await api.post(`${ME}/mobile`, {
      token,
      json: { mobileNumber: number, password: 'Wrong-Password-00' },
    });
    expect([wrong.status, fieldsOf(wrong)]).toEqual([422, ['password']]);
    expect(await outboxCount(api, number)).toBe(0);
    const right = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number, password: STRONG_PASSWORD } });
    expect(right.status).toBe(200);
    expect(await outboxCount(api, number)).toBe(1);
  });
});

describe('emergency contacts', () => {
  it('Should add, list (paginated), update and remove contacts, storing phones as E.164', async () => {
    const { user, token } = await signedInUser();
    const created = await api.post(CONTACTS, {
      token,
      json: { name: 'Maria Silva', relationship: 'daughter', phone: '+351 912 345 678', email: 'Maria@Example.com' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data).toMatchObject({
      name: 'Maria Silva',
      relationship: 'daughter',
      phone: '+351912345678',
      email: 'maria@example.com',
      isPrimary: false,
    });
    const id = created.body.data.id;
    expect(id).toMatch(/^emc_[0-9A-Z]{26}$/);
    expect(await db.select().from(emergencyContacts).where(eq(emergencyContacts.id, id)).get()).toMatchObject({
      userId: user.id,
      phone: '+351912345678',
    });
    await api.post(CONTACTS, { token, json: { name: 'João', relationship: 'son', phone: '+351913000000' } });

    const page = await api.get(`${CONTACTS}?limit=1`, { token });
    expect(page.status).toBe(200);
    expect(page.body.data.items).toHaveLength(1);
    expect(page.body.data.pagination).toMatchObject({ total: 2, pages: 2, limit: 1, hasNext: true });

    const updated = await api.patch(`${CONTACTS}/${id}`, { token, json: { relationship: 'sister', email: null } });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ relationship: 'sister', email: null, name: 'Maria Silva' });

    expect((await api.get(ME, { token })).body.data.profile.emergencyContacts).toHaveLength(2);

    const removed = await api.delete(`${CONTACTS}/${id}`, { token });
    expect([removed.status, removed.body.data]).toEqual([200, { id }]);
    expect(await db.$count(emergencyContacts, eq(emergencyContacts.id, id))).toBe(0);
    const actions = (
      await db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.resourceId, id)).all()
    ).map((a) => a.action);
    expect(actions.sort()).toEqual([
      'user.emergency_contact_create',
      'user.emergency_contact_delete',
      'user.emergency_contact_update',
    ]);
  });

  it('Should keep at most one primary contact, on create and on update', async () => {
    const { user, token } = await signedInUser();
    const add = async (name: string, isPrimary: boolean) =>
      (await api.post(CONTACTS, { token, json: { name, relationship: 'friend', phone: '+351912345678', isPrimary } }))
        .body.data.id as string;
    const a = await add('A', true);
    const b = await add('B', true);
    const c = await add('C', false);
    const primaries = async () =>
      (
        await db
          .select({ id: emergencyContacts.id })
          .from(emergencyContacts)
          .where(and(eq(emergencyContacts.userId, user.id), eq(emergencyContacts.isPrimary, true)))
          .all()
      ).map((r) => r.id);
    expect(await primaries()).toEqual([b]);
    expect((await api.patch(`${CONTACTS}/${c}`, { token, json: { isPrimary: true } })).status).toBe(200);
    expect(await primaries()).toEqual([c]);
    const list = await api.get(CONTACTS, { token });
    expect(list.body.data.items.map((i: { id: string }) => i.id)).toEqual([c, a, b]);
  });

  it('Should refuse an 11th contact with 409', async () => {
    const { user, token } = await signedInUser();
    for (let i = 0; i < 10; i++) {
      const res = await api.post(CONTACTS, {
        token,
        json: { name: `C${i}`, relationship: 'friend', phone: '+351912345678' },
      });
      expect(res.status).toBe(201);
    }
    const eleventh = await api.post(CONTACTS, {
      token,
      json: { name: 'C10', relationship: 'friend', phone: '+351912345678', isPrimary: true },
    });
    expect([eleventh.status, eleventh.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(await db.$count(emergencyContacts, eq(emergencyContacts.userId, user.id))).toBe(10);
    expect(
      await db.$count(
        emergencyContacts,
        and(eq(emergencyContacts.userId, user.id), eq(emergencyContacts.isPrimary, true)),
      ),
    ).toBe(0);
  });

  it('Should validate bodies: missing fields, wrong types, bad phone, unknown keys', async () => {
    const { user, token } = await signedInUser();
    const missing = await api.post(CONTACTS, { token, json: { name: 'A' } });
    expect([missing.status, fieldsOf(missing).sort()]).toEqual([422, ['phone', 'relationship']]);
    const wrongType = await api.post(CONTACTS, {
      token,
      json: { name: 'A', relationship: 'friend', phone: '+351912345678', isPrimary: 'yes' },
    });
    expect([wrongType.status, fieldsOf(wrongType)]).toEqual([422, ['isPrimary']]);
    const badPhone = await api.post(CONTACTS, { token, json: { name: 'A', relationship: 'friend', phone: '12345' } });
    expect([badPhone.status, fieldsOf(badPhone)]).toEqual([422, ['phone']]);
    const unknown = await api.post(CONTACTS, {
      token,
      json: { name: 'A', relationship: 'friend', phone: '+351912345678', userId: 'usr_x' },
    });
    expect([unknown.status, fieldsOf(unknown)]).toEqual([422, ['userId']]);
    expect(await db.$count(emergencyContacts, eq(emergencyContacts.userId, user.id))).toBe(0);

    const id = (
      await api.post(CONTACTS, { token, json: { name: 'A', relationship: 'friend', phone: '+351912345678' } })
    ).body.data.id;
    const strict = await api.patch(`${CONTACTS}/${id}`, { token, json: { userId: 'usr_x', createdAt: 1 } });
    expect([strict.status, fieldsOf(strict).sort()]).toEqual([422, ['createdAt', 'userId']]);
    const badId = await api.patch(`${CONTACTS}/emc_nope`, { token, json: { name: 'B' } });
    expect([badId.status, fieldsOf(badId)]).toEqual([422, ['id']]);
  });

  it("Should answer 404 for another user's contact on update and delete, leaving it unchanged", async () => {
    const owner = await signedInUser();
    const other = await signedInUser();
    const id = (
      await api.post(CONTACTS, {
        token: owner.token,
        json: { name: 'Maria', relationship: 'daughter', phone: '+351912345678' },
      })
    ).body.data.id;
    const patch = await api.patch(`${CONTACTS}/${id}`, { token: other.token, json: { name: 'Hijacked' } });
    expect([patch.status, patch.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const del = await api.delete(`${CONTACTS}/${id}`, { token: other.token });
    expect([del.status, del.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await db.select().from(emergencyContacts).where(eq(emergencyContacts.id, id)).get())?.name).toBe('Maria');
    expect((await api.get(CONTACTS, { token: other.token })).body.data.items).toEqual([]);
  });

  it('Should refuse anonymous callers with 401', async () => {
    expect((await api.get(CONTACTS)).status).toBe(401);
    expect((await api.post(CONTACTS, { json: { name: 'A', relationship: 'x', phone: '+351912345678' } })).status).toBe(
      401,
    );
  });
});
