import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/context';
import { auditEvents } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { recordAudit } from '../../src/modules/audit/audit.service';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv, uniqueId } from '../helpers';

describe('audit log', () => {
  it('Should write a row with actor, patient, action, resource, reason, time and request id', async () => {
    const { user } = await signedInUser({ role: 'doctor' });
    const patientId = uniqueId('usr');
    const clock = fixedClock('2026-03-01T09:00:00Z');
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'req_test_1', ip: '203.0.113.7' });
    ctx.actor = { id: user.id, role: 'doctor', subRoles: [], status: 'active', sessionId: null };
    await recordAudit(ctx, {
      action: 'record.read',
      resourceType: 'medical-record',
      resourceId: 'rec_1',
      patientId,
      reason: 'consultation',
    });
    const row = await db.select().from(auditEvents).where(sql`${auditEvents.patientId} = ${patientId}`).get();
    expect(row).toMatchObject({
      actorId: user.id,
      actorRole: 'doctor',
      patientId,
      action: 'record.read',
      resourceType: 'medical-record',
      resourceId: 'rec_1',
      reason: 'consultation',
      outcome: 'success',
      requestId: 'req_test_1',
      ip: '203.0.113.7',
      at: Date.parse('2026-03-01T09:00:00Z'),
    });
  });

  it('Should refuse UPDATE and DELETE of audit rows (append-only)', async () => {
    const ctx = createContext(testEnv, cloudflareDeps, { requestId: 'req_test_2' });
    await recordAudit(ctx, { action: 'x.test', resourceType: 'test' });
    await expect(testEnv.DB.prepare("update audit_events set action = 'tampered'").run()).rejects.toThrow(
      /append-only/,
    );
    await expect(testEnv.DB.prepare('delete from audit_events').run()).rejects.toThrow(/append-only/);
    expect(await db.$count(auditEvents, sql`${auditEvents.action} = 'tampered'`)).toBe(0);
  });

  it('Should let a superadmin list and filter the audit log, newest first', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const patientId = uniqueId('usr');
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const ctx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'req_test_3' });
    await recordAudit(ctx, { action: 'note.read', resourceType: 'note', patientId });
    clock.advance(60_000);
    await recordAudit(ctx, { action: 'note.update', resourceType: 'note', patientId });
    const api = client();
    const all = await api.get(`/api/v1/audit-events?patientId=${patientId}`, { token });
    expect(all.status).toBe(200);
    expect(all.body.data.items.map((e: { action: string }) => e.action)).toEqual(['note.update', 'note.read']);
    const filtered = await api.get(
      `/api/v1/audit-events?patientId=${patientId}&from=2026-04-01T00:00:30Z&to=2026-04-01T00:02:00Z`,
      { token },
    );
    expect(filtered.body.data.items.map((e: { action: string }) => e.action)).toEqual(['note.update']);
    const bad = await api.get('/api/v1/audit-events?from=yesterday', { token });
    expect(bad.status).toBe(422);
  });
});
