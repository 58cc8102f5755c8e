import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/context';
import { auditEvents, users } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { auditGuardTripped, auditInsert, recordAudit } from '../../src/modules/audit/audit.service';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv, uniqueId } from '../helpers';

/** Every source file's text, keyed by its path relative to this file. */
const sources = import.meta.glob<string>('../../src/**/*.ts', { query: '?raw', import: 'default', eager: true });

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

describe('audit writer', () => {
  const ctxFor = (requestId: string) => createContext(testEnv, cloudflareDeps, { requestId });
  const rowsOf = (requestId: string) =>
    db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).orderBy(auditEvents.resourceId).all();

  it('Should leave audit_events to audit.service alone: no other source file names the table', () => {
    const paths = Object.keys(sources);
    // The glob really reads the sources (and the writer itself), so an empty or broken glob cannot pass.
    expect(paths.length).toBeGreaterThan(100);
    expect(sources['../../src/modules/audit/audit.service.ts']).toMatch(/insert\(auditEvents\)/);
    const owners = paths.filter(
      (path) => path === '../../src/modules/audit/audit.service.ts' || path.startsWith('../../src/db/schema/'),
    );
    const offenders = paths.filter((path) => !owners.includes(path) && /auditEvents|audit_events/.test(sources[path]!));
    expect(offenders).toEqual([]);
  });

  it("Should roll the batch back when a 'one-row-changed' audit follows a write that changed nothing", async () => {
    const { user } = await signedInUser();
    const ctx = ctxFor(uniqueId('req'));
    const touch = (id: string) => ctx.db.update(users).set({ updatedAt: 1 }).where(eq(users.id, id));
    const event = { action: 'x.guarded', resourceType: 'user', resourceId: user.id };
    const err = await ctx.db
      .batch([touch(uniqueId('usr')), auditInsert(ctx, event, { guard: 'one-row-changed' })])
      .catch((e: unknown) => e);
    expect(auditGuardTripped(err)).toBe(true);
    expect(await rowsOf(ctx.requestId)).toEqual([]);

    await ctx.db.batch([touch(user.id), auditInsert(ctx, event, { guard: 'one-row-changed' })]);
    expect((await rowsOf(ctx.requestId)).map((r) => r.action)).toEqual(['x.guarded']);
  });

  it('Should write an INSERT … SELECT audit only where its condition holds, one row per source row', async () => {
    const ctx = ctxFor(uniqueId('req'));
    await ctx.db.batch([
      auditInsert(ctx, { action: 'x.never', resourceType: 'test' }, { guard: { where: sql`1 = 0` } }),
      auditInsert(
        ctx,
        {
          action: 'x.each',
          resourceType: 'test',
          id: sql`'aud_each_' || j.value || ${ctx.requestId}`,
          resourceId: sql`j.value`,
          metadata: { bulk: true },
        },
        { guard: { from: sql`json_each(${JSON.stringify(['a', 'b', 'c'])}) as j`, where: sql`j.value <> 'b'` } },
      ),
    ]);
    const rows = await rowsOf(ctx.requestId);
    expect(rows.map((r) => [r.action, r.resourceId, r.metadata, r.outcome])).toEqual([
      ['x.each', 'a', { bulk: true }, 'success'],
      ['x.each', 'c', { bulk: true }, 'success'],
    ]);
  });
});
