import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, devOutbox, phoneCalls, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { twilioSignature } from '../../../src/platform/sms';
import { type ApiResponse, client, db, recordingFetch, uniqueMobile } from '../../helpers';
import { account, insertAppointment, practice } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { resetSettings, setSetting } from '../../support/settings';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-only-twilio-auth-token';
const PUBLIC_URL = 'https://api.kinwell.test';
const CLINIC = '+14155550100';
const ON_DUTY = '+351912345678';
const TWILIO_ENV = {
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_VOICE_NUMBER: CLINIC,
  PUBLIC_URL,
};
const VOICE = '/api/v1/webhooks/twilio/voice';
const STATUS = '/api/v1/webhooks/twilio/voice-status';
const BRIDGE = '/api/v1/webhooks/twilio/voice-bridge';

/** Wednesday 2026-11-25, 10:00 in Lisbon (UTC+0 in winter): inside the hours set below. */
const IN_HOURS = '2026-11-25T10:00:00Z';
/** The same day at 20:00: outside them. */
const AFTER_HOURS = '2026-11-25T20:00:00Z';

const hex32 = () =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
const callSid = () => `CA${hex32()}`;

interface SignedOptions {
  /** The X-Twilio-Signature to send; by default Twilio's signature of PUBLIC_URL + path and the form. */
  signature?: string | null;
  at?: string;
  fetch?: typeof fetch;
}

/** A form posted by Twilio to `path` (with its query), signed as Twilio signs it. */
async function twilio(path: string, params: URLSearchParams, options: SignedOptions = {}): Promise<ApiResponse> {
  const signature =
    options.signature === undefined
      ? await twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${path}`, params)
      : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  return client({ clock: fixedClock(options.at ?? IN_HOURS) }).post(path, {
    body: params.toString(),
    headers,
    env: TWILIO_ENV,
  });
}

function incomingForm(sid: string, from = '+14155550123') {
  return new URLSearchParams({
    CallSid: sid,
    AccountSid: ACCOUNT_SID,
    From: from,
    To: CLINIC,
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  });
}

function statusForm(sid: string, status: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({
    CallSid: sid,
    AccountSid: ACCOUNT_SID,
    CallStatus: status,
    Direction: 'inbound',
    From: '+14155550123',
    To: CLINIC,
    ...extra,
  });
}

const rowsOf = (sid: string) => db.select().from(phoneCalls).where(eq(phoneCalls.callSid, sid)).all();

beforeEach(async () => {
  await resetSettings();
  await setSetting('voice.onDutyNumber', ON_DUTY);
  await setSetting('voice.hours', {
    timeZone: 'Europe/Lisbon',
    intervals: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '18:00' })),
  });
  await setSetting('voice.afterHoursMessage', 'We are closed <until> 8 & back soon.');
});

describe('incoming calls', () => {
  it('Should forward a call in hours to the on-duty number, with status callbacks, in one round trip', async () => {
    const sid = callSid();
    const res = await twilio(VOICE, incomingForm(sid));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(res.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="30">' +
        `<Number statusCallback="${PUBLIC_URL}${STATUS}" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">${ON_DUTY}</Number>` +
        '</Dial><Say>We are closed &#60;until&#62; 8 &#38; back soon.</Say></Response>',
    );
    expect(tripsOf(res)).toBe(1);
    expect(await rowsOf(sid)).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        status: 'ringing',
        fromNumber: '+14155550123',
        toNumber: CLINIC,
      }),
    ]);
  });

  it('Should play the after-hours message (escaped) and hang up outside hours, or when nobody is on duty', async () => {
    const closed = await twilio(VOICE, incomingForm(callSid()), { at: AFTER_HOURS });
    expect(closed.status).toBe(200);
    expect(closed.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>We are closed &#60;until&#62; 8 &#38; back soon.</Say><Hangup/></Response>',
    );
    // Saturday, in what would be the hours on a weekday.
    const weekend = await twilio(VOICE, incomingForm(callSid()), { at: '2026-11-28T10:00:00Z' });
    expect(weekend.body).not.toContain('<Dial');
    await setSetting('voice.onDutyNumber', '');
    const nobody = await twilio(VOICE, incomingForm(callSid()));
    expect(nobody.body).toContain('<Say>');
    expect(nobody.body).not.toContain('<Dial');
  });

  it('Should refuse a forged, tampered or unsigned request, and store nothing', async () => {
    const sid = callSid();
    const form = incomingForm(sid);
    const forged = await twilio(VOICE, form, {
      signature: await twilioSignature('not-the-token', `${PUBLIC_URL}${VOICE}`, form),
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('TOKEN_INVALID');

    const signed = await twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${VOICE}`, form);
    const tampered = new URLSearchParams(form);
    tampered.set('From', '+14155550999');
    expect((await twilio(VOICE, tampered, { signature: signed })).status).toBe(401);

    const missing = await twilio(VOICE, form, { signature: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHENTICATED');

    // Signed, but for another account.
    const other = new URLSearchParams(form);
    other.set('AccountSid', 'AC99999999999999999999999999999999');
    const foreign = await twilio(VOICE, other);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN');

    // An unsigned request that would fail validation is refused as unsigned, not described.
    const invalid = await twilio(VOICE, new URLSearchParams({ AccountSid: ACCOUNT_SID }), { signature: null });
    expect(invalid.status).toBe(401);

    expect(await rowsOf(sid)).toEqual([]);
  });

  it('Should answer 503 where Twilio is not configured', async () => {
    const res = await client({ clock: fixedClock(IN_HOURS) }).post(VOICE, {
      body: incomingForm(callSid()).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
      env: { ENVIRONMENT: 'production' },
    });
    expect(res.status).toBe(503);
  });
});

describe('call status callbacks', () => {
  it('Should record a call once, move it forward, and change nothing on a replay or a late callback', async () => {
    const sid = callSid();
    const ringing = await twilio(STATUS, statusForm(sid, 'ringing'), { at: '2026-11-25T10:00:00Z' });
    expect(ringing.status).toBe(200);
    expect(ringing.body.data).toEqual({ callSid: sid, status: 'ringing' });
    expect(tripsOf(ringing)).toBe(1);
    await twilio(STATUS, statusForm(sid, 'in-progress'), { at: '2026-11-25T10:00:05Z' });
    const completed = statusForm(sid, 'completed', { CallDuration: '42' });
    expect((await twilio(STATUS, completed, { at: '2026-11-25T10:00:47Z' })).body.data.status).toBe('completed');
    const [row] = await rowsOf(sid);
    expect(row).toMatchObject({
      direction: 'inbound',
      status: 'completed',
      durationSeconds: 42,
      startedAt: Date.parse('2026-11-25T10:00:05Z'),
      endedAt: Date.parse('2026-11-25T10:00:47Z'),
      fromNumber: '+14155550123',
      toNumber: CLINIC,
    });

    // The same callback again, and an earlier one arriving late: one row, unchanged.
    const replay = await twilio(STATUS, completed, { at: '2026-11-25T11:00:00Z' });
    expect(replay.status).toBe(200);
    expect(replay.body.data).toEqual({ callSid: sid, status: 'completed' });
    await twilio(STATUS, statusForm(sid, 'ringing'), { at: '2026-11-25T11:00:01Z' });
    expect(await rowsOf(sid)).toEqual([row]);
  });

  it('Should refuse a forged or unsigned callback and store nothing; an unknown status is 422 when signed', async () => {
    const sid = callSid();
    const form = statusForm(sid, 'completed');
    const forged = await twilio(STATUS, form, { signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('TOKEN_INVALID');
    const missing = await twilio(STATUS, form, { signature: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHENTICATED');
    const unknown = await twilio(STATUS, statusForm(sid, 'exploded'));
    expect(unknown.status).toBe(422);
    expect(await rowsOf(sid)).toEqual([]);
  });
});

describe('the call log for admins', () => {
  it('Should page the calls by status and date for admins, in one round trip, and refuse others', async () => {
    const now = new Date('2026-11-26T09:00:00Z');
    const sid = callSid();
    await twilio(STATUS, statusForm(sid, 'busy'), { at: '2026-11-26T08:00:00Z' });
    await twilio(STATUS, statusForm(callSid(), 'completed'), { at: '2026-11-24T08:00:00Z' });
    const admin = await account('admin', now);
    const api = client({ clock: fixedClock(now) });
    const res = await api.get(
      '/api/v1/admin/phone-calls?status=busy&from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z',
      {
        token: admin.token,
      },
    );
    expect(res.status).toBe(200);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data.items.map((c: any) => c.callSid)).toContain(sid);
    for (const item of res.body.data.items) {
      expect(item.status).toBe('busy');
      expect(Date.parse(item.createdAt)).toBeGreaterThanOrEqual(Date.parse('2026-11-26T00:00:00Z'));
    }
    expect(res.body.data.items.find((c: any) => c.callSid === sid)).toMatchObject({
      direction: 'inbound',
      from: '+14155550123',
      to: CLINIC,
      status: 'busy',
      endedAt: '2026-11-26T08:00:00.000Z',
    });

    for (const role of ['doctor', 'user', 'receptionist'] as const) {
      const other = await account(role, now);
      expect((await api.get('/api/v1/admin/phone-calls', { token: other.token })).status, role).toBe(403);
    }
  });
});

describe('masked calls', () => {
  const NOW = new Date('2026-11-25T10:00:00Z');

  async function visit(options: { doctorPhone?: string | null; patientPhone?: string | null; status?: any } = {}) {
    const { doctor, services } = await practice(NOW);
    const patient = await account('user', NOW);
    const doctorPhone = options.doctorPhone === undefined ? uniqueMobile() : options.doctorPhone;
    const patientPhone = options.patientPhone === undefined ? uniqueMobile() : options.patientPhone;
    await db.update(users).set({ mobileNumber: doctorPhone }).where(eq(users.id, doctor.user.id));
    await db.update(users).set({ mobileNumber: patientPhone }).where(eq(users.id, patient.user.id));
    const appointment = await insertAppointment({
      patientId: patient.user.id,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt: '2026-11-25T11:00:00Z',
      status: options.status ?? 'confirmed',
    });
    return { doctor, patient, appointment, doctorPhone, patientPhone };
  }

  it("Should have Twilio ring the doctor from the clinic number, then bridge the patient with the clinic's caller id", async () => {
    const { doctor, patient, appointment, doctorPhone, patientPhone } = await visit();
    const twilioSid = callSid();
    const providers = recordingFetch(() => Response.json({ sid: twilioSid, status: 'queued' }, { status: 201 }));
    const api = client({ clock: fixedClock(NOW), fetch: providers.fetch });
    const res = await api.post(`/api/v1/appointments/${appointment.id}/phone-call`, {
      token: doctor.token,
      env: TWILIO_ENV,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(tripsOf(res)).toBe(2);
    const id = res.body.data.id as string;
    expect(res.body.data).toEqual({
      id,
      appointmentId: appointment.id,
      status: 'queued',
      createdAt: NOW.toISOString(),
    });
    // Nothing in the answer names the patient's number.
    expect(JSON.stringify(res.body)).not.toContain(patientPhone);

    expect(providers.requests).toHaveLength(1);
    const [sent] = providers.requests;
    expect(sent!.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    expect(sent!.method).toBe('POST');
    expect(sent!.headers.get('authorization')).toBe(`Basic ${btoa(`${ACCOUNT_SID}:${AUTH_TOKEN}`)}`);
    const form = new URLSearchParams(await sent!.text());
    expect(form.get('To')).toBe(doctorPhone);
    expect(form.get('From')).toBe(CLINIC);
    expect(form.get('Url')).toBe(`${PUBLIC_URL}${BRIDGE}?call=${id}`);
    expect(form.get('StatusCallback')).toBe(`${PUBLIC_URL}${STATUS}?call=${id}`);
    expect([...form.values()].join(' ')).not.toContain(patientPhone);

    const [stored] = await db.select().from(phoneCalls).where(eq(phoneCalls.id, id));
    expect(stored).toMatchObject({
      direction: 'outbound-api',
      status: 'queued',
      fromNumber: CLINIC,
      toNumber: doctorPhone,
      appointmentId: appointment.id,
      doctorId: doctor.user.id,
      patientId: patient.user.id,
      callSid: null,
    });
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, id));
    expect(audits).toEqual([
      expect.objectContaining({ action: 'appointment.phone_call.start', patientId: patient.user.id }),
    ]);

    // The doctor answers: Twilio fetches the bridge, which dials the patient showing the clinic number.
    const answered = new URLSearchParams({
      CallSid: twilioSid,
      AccountSid: ACCOUNT_SID,
      From: CLINIC,
      To: doctorPhone!,
      CallStatus: 'in-progress',
      Direction: 'outbound-api',
    });
    const bridge = await twilio(`${BRIDGE}?call=${id}`, answered);
    expect(bridge.status).toBe(200);
    expect(tripsOf(bridge)).toBe(1);
    expect(bridge.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(bridge.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="${CLINIC}" timeout="30"><Number>${patientPhone}</Number></Dial></Response>`,
    );
    expect(bridge.body).not.toContain(doctorPhone);

    // Its status callbacks land on the same row.
    const done = new URLSearchParams(answered);
    done.set('CallStatus', 'completed');
    done.set('CallDuration', '60');
    expect((await twilio(`${STATUS}?call=${id}`, done, { at: '2026-11-25T10:01:05Z' })).status).toBe(200);
    const [after] = await db.select().from(phoneCalls).where(eq(phoneCalls.id, id));
    expect(after).toMatchObject({
      callSid: twilioSid,
      status: 'completed',
      durationSeconds: 60,
      toNumber: doctorPhone,
    });
    expect(await rowsOf(twilioSid)).toHaveLength(1);

    // A forged bridge request learns nothing.
    const forged = await twilio(`${BRIDGE}?call=${id}`, answered, { signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' });
    expect(forged.status).toBe(401);
    // A bridge for a call that is over hangs up.
    const late = await twilio(`${BRIDGE}?call=${id}`, answered);
    expect(late.body).toContain('<Hangup/>');
    expect(late.body).not.toContain(patientPhone);
  });

  it('Should refuse another doctor (404), other roles (403), a cancelled visit, a party without a number, and an unconfigured production', async () => {
    const { appointment, doctor } = await visit();
    const providers = recordingFetch(() => Response.json({ sid: callSid() }, { status: 201 }));
    const api = client({ clock: fixedClock(NOW), fetch: providers.fetch });
    const path = `/api/v1/appointments/${appointment.id}/phone-call`;

    const stranger = await account('doctor', NOW);
    const notTheirs = await api.post(path, { token: stranger.token, env: TWILIO_ENV });
    expect(notTheirs.status).toBe(404);
    expect(notTheirs.body.error.code).toBe('NOT_FOUND');
    for (const role of ['user', 'admin'] as const) {
      expect((await api.post(path, { token: (await account(role, NOW)).token, env: TWILIO_ENV })).status, role).toBe(
        403,
      );
    }

    const cancelled = await visit({ status: 'cancelled' });
    const refused = await api.post(`/api/v1/appointments/${cancelled.appointment.id}/phone-call`, {
      token: cancelled.doctor.token,
      env: TWILIO_ENV,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INVALID_TRANSITION');

    const noPatientPhone = await visit({ patientPhone: null });
    const noPhone = await api.post(`/api/v1/appointments/${noPatientPhone.appointment.id}/phone-call`, {
      token: noPatientPhone.doctor.token,
      env: TWILIO_ENV,
    });
    expect(noPhone.status).toBe(409);
    expect(noPhone.body.error).toMatchObject({ code: 'CONFLICT', details: { missing: 'patient.mobileNumber' } });

    const noDoctorPhone = await visit({ doctorPhone: null });
    const noOwn = await api.post(`/api/v1/appointments/${noDoctorPhone.appointment.id}/phone-call`, {
      token: noDoctorPhone.doctor.token,
      env: TWILIO_ENV,
    });
    expect(noOwn.status).toBe(409);
    expect(noOwn.body.error.details).toEqual({ missing: 'doctor.mobileNumber' });

    const unconfigured = await api.post(path, { token: doctor.token, env: { ENVIRONMENT: 'production' } });
    expect(unconfigured.status).toBe(503);
    expect(unconfigured.body.error.code).toBe('SERVICE_UNAVAILABLE');

    expect(providers.requests).toHaveLength(0);
    const ids = [appointment, cancelled.appointment, noPatientPhone.appointment, noDoctorPhone.appointment].map(
      (a) => a.id,
    );
    for (const id of ids) {
      expect(await db.select().from(phoneCalls).where(eq(phoneCalls.appointmentId, id)), id).toEqual([]);
    }
  });

  it('Should answer 503 and mark the call failed when Twilio refuses it', async () => {
    const { appointment, doctor } = await visit();
    const providers = recordingFetch(() => Response.json({ code: 21211, message: 'Invalid To' }, { status: 400 }));
    const api = client({ clock: fixedClock(NOW), fetch: providers.fetch });
    const res = await api.post(`/api/v1/appointments/${appointment.id}/phone-call`, {
      token: doctor.token,
      env: TWILIO_ENV,
    });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { providerStatus: 400 } });
    expect(await db.select().from(phoneCalls).where(eq(phoneCalls.appointmentId, appointment.id))).toEqual([
      expect.objectContaining({ status: 'failed', callSid: null }),
    ]);
  });

  it('Should write the call Twilio would place to the outbox in development without Twilio', async () => {
    const { appointment, doctor, doctorPhone, patientPhone } = await visit();
    const providers = recordingFetch();
    const api = client({ clock: fixedClock(NOW), fetch: providers.fetch });
    const res = await api.post(`/api/v1/appointments/${appointment.id}/phone-call`, {
      token: doctor.token,
      env: { ENVIRONMENT: 'development', TWILIO_FROM_NUMBER: CLINIC },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(providers.requests).toHaveLength(0);
    const [entry] = await db.select().from(devOutbox).where(eq(devOutbox.recipient, doctorPhone!));
    expect(entry).toMatchObject({ channel: 'voice', subject: 'Masked call' });
    expect(entry!.body).toContain(`from ${CLINIC}`);
    expect(entry!.data).toMatchObject({ from: CLINIC });
    expect(JSON.stringify(entry)).not.toContain(patientPhone);
  });
});

describe('the voice settings', () => {
  it('Should take an on-duty number only in E.164, and hours only as weekly intervals in a known zone', async () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const superadmin = await account('superadmin', now);
    const api = client({ clock: fixedClock(now) });
    const put = (key: string, value: unknown) =>
      api.put(`/api/v1/superadmin/settings/${key}`, { token: superadmin.token, json: { value } });
    expect((await put('voice.onDutyNumber', '0912345678')).status).toBe(422);
    expect((await put('voice.onDutyNumber', ON_DUTY)).status).toBe(200);
    expect((await put('voice.hours', { timeZone: 'Mars/Olympus', intervals: [] })).status).toBe(422);
    const backwards = { timeZone: 'UTC', intervals: [{ weekday: 1, start: '17:00', end: '09:00' }] };
    expect((await put('voice.hours', backwards)).status).toBe(422);
    const night = { timeZone: 'UTC', intervals: [{ weekday: 3, start: '18:00', end: '24:00' }] };
    expect((await put('voice.hours', night)).status).toBe(200);
    expect((await put('voice.afterHoursMessage', '')).status).toBe(422);
  });
});
