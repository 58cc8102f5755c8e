import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, medicalRecordAccessLog, medicalRecordVersions } from '../../../src/db/schema';
import { db, testEnv } from '../../helpers';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';
import { api, FIRST, NOW, RECORD } from './support';

describe('medical record versions', () => {
  it('writes each change as a new version and reads the newest, the history and any version', async () => {
    const patient = await account('user', NOW);
    const token = patient.token;

    const empty = await api.get(RECORD('me'), { token });
    expect(empty.status).toBe(200);
    expect(empty.body.data).toMatchObject({ patientId: patient.user.id, version: 0, access: 'patient' });
    expect(empty.body.data.content.conditions).toEqual([]);

    const put = await api.put(RECORD('me'), { token, json: FIRST });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.data).toMatchObject({ version: 1, authorId: patient.user.id, authorRole: 'user' });
    expect(put.body.data.sectionsChanged).toEqual(['conditions', 'allergies', 'lifestyle']);
    expect(tripsOf(put)).toBe(2);

    const patch = await api.patch(RECORD('me'), {
      token,
      json: { baseVersion: 1, surgeries: [{ procedure: 'Appendectomy', date: '2010-05-01' }] },
    });
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    expect(patch.body.data.version).toBe(2);
    expect(patch.body.data.sectionsChanged).toEqual(['surgeries']);
    // A merge keeps the sections it does not name.
    expect(patch.body.data.content.conditions[0].condition).toBe('Chronic xylophonitis');

    const latest = await api.get(RECORD(patient.user.id), { token });
    expect(latest.body.data.version).toBe(2);
    expect(latest.body.data.content.surgeries).toEqual([{ procedure: 'Appendectomy', date: '2010-05-01' }]);
    expect(tripsOf(latest)).toBe(1);

    const versions = await api.get(`${RECORD('me')}/versions`, { token });
    expect(versions.status).toBe(200);
    expect(
      versions.body.data.items.map((v: { version: number; sectionsChanged: string[] }) => [
        v.version,
        v.sectionsChanged,
      ]),
    ).toEqual([
      [2, ['surgeries']],
      [1, ['conditions', 'allergies', 'lifestyle']],
    ]);
    expect(versions.body.data.pagination.total).toBe(2);
    expect(tripsOf(versions)).toBe(1);

    const first = await api.get(`${RECORD('me')}/versions/1`, { token });
    expect(first.status).toBe(200);
    expect(first.body.data.content.surgeries).toEqual([]);
    expect(first.body.data.content.allergies[0].allergen).toBe('Penicillin');
    expect(tripsOf(first)).toBe(1);
    expect((await api.get(`${RECORD('me')}/versions/3`, { token })).status).toBe(404);

    // PUT replaces: sections it leaves out are emptied.
    const replaced = await api.put(RECORD('me'), { token, json: { baseVersion: 2, allergies: [] } });
    expect(replaced.body.data.version).toBe(3);
    expect(replaced.body.data.content.conditions).toEqual([]);
    expect(replaced.body.data.sectionsChanged).toEqual(['conditions', 'allergies', 'surgeries', 'lifestyle']);
  });

  it('refuses a change on a stale version with 409 and stores nothing', async () => {
    const patient = await account('user', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    const stale = await api.patch(RECORD('me'), { token: patient.token, json: { baseVersion: 0, allergies: [] } });
    expect([stale.status, stale.body.error.code, stale.body.error.details]).toEqual([
      409,
      'CONFLICT',
      { reason: 'stale-version', currentVersion: 1 },
    ]);
    const rows = await db
      .select()
      .from(medicalRecordVersions)
      .where(eq(medicalRecordVersions.patientId, patient.user.id));
    expect(rows).toHaveLength(1);
  });

  it('refuses invalid content with 422', async () => {
    const patient = await account('user', NOW);
    const unknown = await api.put(RECORD('me'), { token: patient.token, json: { baseVersion: 0, diagnosis: 'x' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    const tooMany = await api.put(RECORD('me'), {
      token: patient.token,
      json: { baseVersion: 0, allergies: Array.from({ length: 101 }, () => ({ allergen: 'Dust' })) },
    });
    expect(tooMany.status).toBe(422);
    const noCondition = await api.put(RECORD('me'), {
      token: patient.token,
      json: { baseVersion: 0, conditions: [{ treatment: 'Rest' }] },
    });
    expect(noCondition.status).toBe(422);
    expect(
      await db.select().from(medicalRecordVersions).where(eq(medicalRecordVersions.patientId, patient.user.id)),
    ).toEqual([]);
  });

  it('keeps the content encrypted at rest under a key id, and reads it after the key rotates', async () => {
    const patient = await account('user', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    const [row] = await db
      .select()
      .from(medicalRecordVersions)
      .where(eq(medicalRecordVersions.patientId, patient.user.id));
    expect(row!.keyId).toBe('k1');
    expect(row!.content).toMatch(/^v1\./);
    expect(row!.content).not.toContain('xylophonitis');
    expect(row!.content).not.toContain('Penicillin');

    // A new key k2; k1 retired but still opening what it sealed.
    const rotated = {
      ENCRYPTION_KEY: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
      ENCRYPTION_KEY_ID: 'k2',
      ENCRYPTION_KEYS_RETIRED: JSON.stringify({ k1: testEnv.ENCRYPTION_KEY }),
    };
    const read = await api.get(RECORD('me'), { token: patient.token, env: rotated });
    expect(read.body.data.content.conditions[0].condition).toBe('Chronic xylophonitis');
    const next = await api.patch(RECORD('me'), {
      token: patient.token,
      env: rotated,
      json: { baseVersion: 1, allergies: [] },
    });
    expect(next.status).toBe(200);
    const rows = await db
      .select()
      .from(medicalRecordVersions)
      .where(eq(medicalRecordVersions.patientId, patient.user.id));
    expect(rows.map((r) => r.keyId).sort()).toEqual(['k1', 'k2']);
    // Without the retired key the old version no longer opens: the key id really chose the key.
    const lost = await api.get(`${RECORD('me')}/versions/1`, {
      token: patient.token,
      env: { ...rotated, ENCRYPTION_KEYS_RETIRED: undefined },
    });
    expect(lost.status).toBe(500);
  });

  it('writes an access-log row and an audit event for every read, in the same round trip', async () => {
    const patient = await account('user', NOW);
    await api.put(RECORD('me'), { token: patient.token, json: FIRST });
    await api.get(RECORD('me'), { token: patient.token });
    await api.get(`${RECORD('me')}/versions`, { token: patient.token });
    await api.get(`${RECORD('me')}/versions/1`, { token: patient.token });

    const log = await api.get(`${RECORD('me')}/access-log`, { token: patient.token });
    expect(log.status).toBe(200);
    expect(tripsOf(log)).toBe(1);
    expect(
      log.body.data.items.map((e: { action: string; resource: string; basis: string; actorId: string }) => [
        e.action,
        e.resource,
        e.basis,
        e.actorId === patient.user.id,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['write', 'record', 'patient', true],
        ['read', 'record', 'patient', true],
        ['read', 'versions', 'patient', true],
        ['read', 'version', 'patient', true],
      ]),
    );
    expect(log.body.data.items).toHaveLength(4);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.patientId, patient.user.id));
    expect(audits.map((a) => a.action).sort()).toEqual([
      'medical_record.read',
      'medical_record.read',
      'medical_record.read',
      'medical_record.write',
    ]);
    const stored = await db
      .select()
      .from(medicalRecordAccessLog)
      .where(eq(medicalRecordAccessLog.patientId, patient.user.id));
    expect(stored).toHaveLength(4);
  });
});
