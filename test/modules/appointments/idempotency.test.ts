import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { appointments, idempotencyKeys } from '../../../src/db/schema';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { canonicalJson } from '../../../src/modules/appointments/idempotency';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, testEnv, tokenFor, uniqueId } from '../../helpers';
import { account, practice } from '../../support/practice';

const NOW = '2026-03-23T08:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const now = () => clock.now();
const SLOT = '2026-03-24T10:00:00.000Z';

afterEach(() => clock.set(NOW));

async function setup() {
  const p = await practice(now(), { maxDaysAhead: 60 });
  const patient = await account('user', now());
  const body = { doctorId: p.doctor.user.id, serviceId: p.services[0]!.id, startsAt: SLOT, type: 'video' };
  return { ...p, patient, body };
}

const book = (token: string, json: unknown, key?: string) =>
  api.post('/api/v1/appointments', { token, json, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
const appointmentsOf = (patientId: string) =>
  db.select().from(appointments).where(eq(appointments.patientId, patientId)).all();
const keyRows = (userId: string) => db.select().from(idempotencyKeys).where(eq(idempotencyKeys.userId, userId)).all();

describe('Idempotency-Key on POST /appointments', () => {
  it('Should replay the first answer for the same key and body, storing one appointment and one key', async () => {
    const { patient, body } = await setup();
    const key = uniqueId('key');
    const first = await book(patient.token, body, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    // Same body with its keys in another order.
    const reordered = { type: body.type, startsAt: body.startsAt, serviceId: body.serviceId, doctorId: body.doctorId };
    const second = await book(patient.token, reordered, key);
    expect(second.status).toBe(201);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(second.body.data).toEqual(first.body.data);
    expect(await appointmentsOf(patient.user.id)).toHaveLength(1);
    const rows = await keyRows(patient.user.id);
    expect(rows).toEqual([
      expect.objectContaining({
        scope: 'appointments.book',
        key,
        responseStatus: 201,
        createdAt: now().getTime(),
        expiresAt: now().getTime() + 24 * 3600_000,
      }),
    ]);
    expect((rows[0]!.responseBody as { id: string }).id).toBe(first.body.data.id);
  });

  it('Should refuse the same key with another body (409 IDEMPOTENCY_CONFLICT), booking nothing new', async () => {
    const { patient, body } = await setup();
    const key = uniqueId('key');
    expect((await book(patient.token, body, key)).status).toBe(201);
    const other = await book(patient.token, { ...body, startsAt: '2026-03-24T11:00:00Z' }, key);
    expect([other.status, other.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect(await appointmentsOf(patient.user.id)).toHaveLength(1);
    // Another key books the other slot.
    expect((await book(patient.token, { ...body, startsAt: '2026-03-24T11:00:00Z' }, uniqueId('key'))).status).toBe(
      201,
    );
    expect(await appointmentsOf(patient.user.id)).toHaveLength(2);
  });

  it('Should book once for 10 concurrent requests with the same key and body, all answering 201 with its id', async () => {
    const { patient, body } = await setup();
    const key = uniqueId('key');
    const results = await Promise.all(Array.from({ length: 10 }, () => book(patient.token, body, key)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(results.map((r) => r.body.data.id));
    expect(ids.size).toBe(1);
    const stored = await appointmentsOf(patient.user.id);
    expect(stored.map((a) => a.id)).toEqual([...ids]);
    expect(await keyRows(patient.user.id)).toHaveLength(1);
    expect(results.filter((r) => r.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(9);
  });

  it('Should not store a failed request, so the same key works once the slot is free', async () => {
    const { patient, body } = await setup();
    const other = await account('user', now());
    const { type: _type, ...slot } = body;
    const held = await api.post('/api/v1/appointments/holds', { token: other.token, json: slot });
    expect(held.status).toBe(201);
    const key = uniqueId('key');
    const refused = await book(patient.token, body, key);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'SLOT_UNAVAILABLE']);
    const invalid = await book(patient.token, { ...body, startsAt: '2026-03-24T10:10:00Z' }, key);
    expect(invalid.status).toBe(422);
    expect(await keyRows(patient.user.id)).toEqual([]);
    clock.advance(10 * 60_000); // the other patient's hold expires
    const retried = await book(patient.token, body, key);
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await keyRows(patient.user.id)).toHaveLength(1);
  });

  it('Should keep keys per user, and forget them after 24 hours (the sweep deletes them)', async () => {
    const { patient, body } = await setup();
    const other = await account('user', now());
    const key = uniqueId('key');
    expect((await book(patient.token, body, key)).status).toBe(201);
    const theirs = await book(other.token, { ...body, startsAt: '2026-03-24T11:00:00Z' }, key);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('Idempotent-Replayed')).toBeNull();

    clock.advance(24 * 3600_000);
    const token = await tokenFor(patient.user, now());
    const later = await book(token, { ...body, startsAt: '2026-03-25T12:00:00Z' }, key);
    expect(later.status, JSON.stringify(later.body)).toBe(201);
    expect(later.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await appointmentsOf(patient.user.id)).toHaveLength(2);
    const rows = await keyRows(patient.user.id);
    expect(rows.map((r) => (r.responseBody as { id: string }).id)).toEqual([later.body.data.id]);

    const ctx = createContext(
      testEnv,
      { ...cloudflareDeps, clock: fixedClock(new Date(now().getTime() + 24 * 3600_000)) },
      { requestId: 'cron' },
    );
    const reports = await runCron(ctx, CRON_TASKS);
    expect(reports.find((r) => r.task === 'appointments.sweep')).toMatchObject({ ok: true });
    expect(
      await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.scope, 'appointments.book'))),
    ).toEqual([]);
  });

  it('Should refuse a malformed Idempotency-Key with 422 on that header, booking nothing', async () => {
    const { patient, body } = await setup();
    for (const key of ['', 'k'.repeat(256), 'a\u007fb']) {
      const res = await book(patient.token, body, key);
      expect([res.status, res.body.errors?.[0]?.field], JSON.stringify(key)).toEqual([422, 'Idempotency-Key']);
    }
    expect(await appointmentsOf(patient.user.id)).toEqual([]);
    expect((await book(patient.token, body, 'k'.repeat(255))).status).toBe(201);
  });

  it('Should hash bodies canonically (key order does not matter, values do)', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], e: undefined })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });
});
