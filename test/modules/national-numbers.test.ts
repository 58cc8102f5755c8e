import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { emergencyContacts, users } from '../../src/db/schema';
import { client, db, signedInUser, uniqueEmail } from '../helpers';
import { ipHeaders, latestCode, STRONG_PASSWORD } from '../support/auth';
import { tripsOf } from '../support/round-trips';
import { resetSettings, setSetting } from '../support/settings';

const api = client();
const ME = '/api/v1/users/me';

let seq = 0;
/** A fresh number per test (storage is shared within the file): 10-digit Indian, Kenyan national. */
const indian = () => `98765${String(10000 + ((Date.now() + seq++) % 90000))}`;
const kenyan = () => `07${String(10000000 + ((Date.now() + seq++) % 90000000))}`;
let ipSeq = 0;
const freshIp = () => ({ headers: ipHeaders(`203.0.113.${(ipSeq++ % 250) + 1}`) });

const INTERNATIONAL_ONLY = 'Enter a valid mobile number in international format, e.g. +14155550123';
const INDIA =
  'Enter a valid mobile number: international format (+14155550123) or a national India number (081234 56789)';
const KENYA =
  'Enter a valid mobile number: international format (+14155550123) or a national Kenya number (0712 123456)';

/** 422 VALIDATION_FAILED naming `field` with `message`, as the client sees it. */
function expectRefused(res: Awaited<ReturnType<typeof api.post>>, field: string, message: string) {
  expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([422, 'VALIDATION_FAILED']);
  expect(res.body.errors).toEqual([{ field, message }]);
}

/** Signs in by SMS: sends a code to `typed` and answers it. */
async function smsSignIn(typed: string, stored: string) {
  const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: typed }, ...freshIp() });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  const otp = await latestCode(api, stored);
  return api.post('/api/v1/auth/otp/verify', { json: { mobileNumber: typed, otp }, ...freshIp() });
}

afterEach(async () => {
  await resetSettings();
});

describe('national numbers: sign-in and registration in the default region', () => {
  it('Should sign in by SMS with a 10-digit Indian number under IN and store it in E.164', async () => {
    await setSetting('phone.defaultRegion', 'IN');
    const typed = indian();
    const res = await smsSignIn(typed, `+91${typed}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.mobileNumber).toBe(`+91${typed}`);
    const [stored] = await db.select().from(users).where(eq(users.id, res.body.data.user.id));
    expect(stored?.mobileNumber).toBe(`+91${typed}`);
    // Typed with +, it is the same number: the code just sent holds its resend cooldown.
    const again = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: `+91 ${typed}` }, ...freshIp() });
    expect([again.status, again.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
  });

  it('Should read a Kenyan national number under KE as +254, in one more round trip than + numbers', async () => {
    await setSetting('phone.defaultRegion', 'KE');
    const typed = kenyan();
    const e164 = `+254${typed.slice(1)}`;
    const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: typed }, ...freshIp() });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(tripsOf(sent)).toBe(3);
    const otp = await latestCode(api, e164);
    const res = await api.post('/api/v1/auth/otp/verify', { json: { mobileNumber: typed, otp }, ...freshIp() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.user.mobileNumber).toBe(e164);
    expect(await db.$count(users, eq(users.mobileNumber, e164))).toBe(1);
  });

  it('Should register with a national number under IN and store it in E.164', async () => {
    await setSetting('phone.defaultRegion', 'IN');
    const typed = indian();
    const input = { email: uniqueEmail('in'), password: STRONG_PASSWORD, name: 'Asha Rao', mobileNumber: typed };
    const res = await api.post('/api/v1/auth/register', { json: input, ...freshIp() });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.user.mobileNumber).toBe(`+91${typed}`);
    const [stored] = await db.select().from(users).where(eq(users.email, input.email));
    expect(stored?.mobileNumber).toBe(`+91${typed}`);
    // The number is taken whichever way it is typed.
    const twice = await api.post('/api/v1/auth/register', {
      json: { ...input, email: uniqueEmail('in2'), mobileNumber: `+91${typed}` },
      ...freshIp(),
    });
    expect([twice.status, twice.body.error?.code]).toEqual([409, 'CONFLICT']);
  });

  it('Should refuse a national number without a region, naming the international format, and store nothing', async () => {
    const typed = kenyan();
    const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: typed }, ...freshIp() });
    expectRefused(sent, 'mobileNumber', INTERNATIONAL_ONLY);
    const email = uniqueEmail('none');
    const input = { email, password: STRONG_PASSWORD, name: 'Wanjiru K', mobileNumber: typed };
    expectRefused(
      await api.post('/api/v1/auth/register', { json: input, ...freshIp() }),
      'mobileNumber',
      INTERNATIONAL_ONLY,
    );
    expect(await db.$count(users, eq(users.email, email))).toBe(0);
  });

  it("Should refuse a number that is not valid in the region, naming the region's national format", async () => {
    await setSetting('phone.defaultRegion', 'IN');
    const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: '98765' }, ...freshIp() });
    expectRefused(sent, 'mobileNumber', INDIA);
    await setSetting('phone.defaultRegion', 'KE');
    const verify = await api.post('/api/v1/auth/otp/verify', {
      json: { mobileNumber: '07123', otp: '123456' },
      ...freshIp(),
    });
    expectRefused(verify, 'mobileNumber', KENYA);
  });

  it('Should read + numbers the same under any region, in the usual round trips', async () => {
    await setSetting('phone.defaultRegion', 'KE');
    const e164 = `+91${indian()}`;
    const sent = await api.post('/api/v1/auth/otp/send', { json: { mobileNumber: e164 }, ...freshIp() });
    expect(sent.status).toBe(200);
    expect(tripsOf(sent)).toBe(2);
    const res = await api.post('/api/v1/auth/otp/verify', {
      json: { mobileNumber: e164, otp: await latestCode(api, e164) },
      ...freshIp(),
    });
    expect(res.body.data.user.mobileNumber).toBe(e164);
  });
});

describe('national numbers: the signed-in user’s own numbers', () => {
  it("Should read a new mobile number in the profile's country before the setting", async () => {
    await setSetting('phone.defaultRegion', 'IN');
    const { user, token } = await signedInUser();
    const address = { line1: 'Moi Avenue 1', city: 'Nairobi', country: 'KE' };
    expect((await api.patch(ME, { token, json: { address } })).status).toBe(200);
    const typed = kenyan();
    const e164 = `+254${typed.slice(1)}`;
    const sent = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: typed } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const otp = await latestCode(api, e164);
    const done = await api.post(`${ME}/mobile/verify`, { token, json: { mobileNumber: typed, otp } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.data.user.mobileNumber).toBe(e164);
    const [stored] = await db.select().from(users).where(eq(users.id, user.id));
    expect(stored?.mobileNumber).toBe(e164);
  });

  it('Should store emergency contacts typed in national format in E.164 within two round trips', async () => {
    await setSetting('phone.defaultRegion', 'IN');
    const { user, token } = await signedInUser();
    const typed = indian();
    const res = await api.post(`${ME}/emergency-contacts`, {
      token,
      json: { name: 'Ravi', relationship: 'brother', phone: typed },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.phone).toBe(`+91${typed}`);
    expect(tripsOf(res)).toBe(2);
    const other = kenyan();
    const patched = await api.patch(`${ME}/emergency-contacts/${res.body.data.id}`, { token, json: { phone: other } });
    expectRefused(patched, 'phone', INDIA);
    const [stored] = await db.select().from(emergencyContacts).where(eq(emergencyContacts.userId, user.id));
    expect(stored?.phone).toBe(`+91${typed}`);
    await api.patch(ME, { token, json: { address: { line1: 'Moi Avenue 1', city: 'Nairobi', country: 'KE' } } });
    const moved = await api.patch(`${ME}/emergency-contacts/${res.body.data.id}`, { token, json: { phone: other } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data.phone).toBe(`+254${other.slice(1)}`);
    expect(tripsOf(moved)).toBe(2);
  });
});

describe('national numbers: admins and the setting', () => {
  it('Should create an account with a national number under the default region', async () => {
    await setSetting('phone.defaultRegion', 'KE');
    const admin = await signedInUser({ role: 'admin' });
    const typed = kenyan();
    const res = await api.post('/api/v1/admin/users', {
      token: admin.token,
      json: { email: uniqueEmail('ke-dr'), name: 'Dr. Otieno', mobileNumber: typed, role: 'doctor' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.user.mobileNumber).toBe(`+254${typed.slice(1)}`);
    expect(tripsOf(res)).toBe(2);
  });

  it('Should refuse an unknown region code and serve the region publicly', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    for (const value of ['XX', 'in', 'IND', 42]) {
      const res = await api.put('/api/v1/superadmin/settings/phone.defaultRegion', { token, json: { value } });
      expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors[0].field).toBe('value');
    }
    const before = await api.get('/api/v1/settings/public');
    expect(before.body.data['phone.defaultRegion']).toBe('');
    await setSetting('phone.defaultRegion', 'IN');
    const listed = await api.get('/api/v1/superadmin/settings?limit=100', { token });
    const row = listed.body.data.items.find((s: { key: string }) => s.key === 'phone.defaultRegion');
    expect(row).toMatchObject({ value: 'IN', default: '', type: 'string', public: true });
    await setSetting('phone.defaultRegion', '');
  });
});
