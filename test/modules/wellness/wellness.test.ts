import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { AdminSubRole, Role, UserRow } from '../../../src/db/schema';
import { auditEvents, goalProgress, healthScores, wellnessFeedback, wellnessGoals } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type ApiResponse, type CallOptions, client, createUser, db, tokenFor } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { tripsOf } from '../../support/round-trips';

/**
 * The wellness module through HTTP: health scores and their trends, goals with progress and templates,
 * feedback and its admin list; others' rows 404, bad input 422 with nothing stored, round trips, erasure.
 */

const NOW = '2026-12-02T12:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const W = '/api/v1/wellness';

async function person(input: { role?: Role; subRoles?: AdminSubRole[] } = {}) {
  const user = await createUser(input);
  return as(user);
}

async function as(user: UserRow) {
  const token = await tokenFor(user, clock.now());
  const call = (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token });
  return {
    user,
    token,
    get: (path: string) => call('GET', path),
    post: (path: string, json: unknown) => call('POST', path, { json }),
    put: (path: string, json: unknown) => call('PUT', path, { json }),
    del: (path: string) => call('DELETE', path),
  };
}

const expectOk = (res: ApiResponse, status = 200) => expect(res.status, JSON.stringify(res.body)).toBe(status);
const expectCode = (res: ApiResponse, status: number, code: string) =>
  expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([status, code]);
const scoreRows = (userId: string) => db.select().from(healthScores).where(eq(healthScores.userId, userId)).all();

describe('health scores', () => {
  it('Should record scores for a date in one round trip and read them back in one', async () => {
    const me = await person();
    const res = await me.put(`${W}/scores/2026-12-01`, { overall: 70, sleep: 60, mood: 80 });
    expectOk(res);
    expect(tripsOf(res)).toBe(1);
    expect(res.body.data).toMatchObject({ date: '2026-12-01', overall: 70, sleep: 60, mood: 80, activity: null });

    const read = await me.get(`${W}/scores/2026-12-01`);
    expectOk(read);
    expect(tripsOf(read)).toBe(1);
    expect(read.body.data.overall).toBe(70);
  });

  it('Should replace the record when the same date is recorded again', async () => {
    const me = await person();
    expectOk(await me.put(`${W}/scores/2026-11-30`, { overall: 50, sleep: 40, stress: 30 }));
    const again = await me.put(`${W}/scores/2026-11-30`, { overall: 90, activity: 85 });
    expectOk(again);
    expect(again.body.data).toMatchObject({ overall: 90, activity: 85, sleep: null, stress: null });
    const rows = await scoreRows(me.user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ overall: 90, activity: 85, sleep: null });
  });

  it('Should refuse out-of-range scores, a bad date and a future date with 422, storing nothing', async () => {
    const me = await person();
    for (const [date, body] of [
      ['2026-12-01', { overall: 101 }],
      ['2026-12-01', { overall: 50, sleep: -1 }],
      ['2026-12-01', { overall: 50, mood: 70.5 }],
      ['2026-12-01', { sleep: 50 }],
      ['2026-02-30', { overall: 50 }],
      ['2026-12-05', { overall: 50 }],
    ] as const) {
      expectCode(await me.put(`${W}/scores/${date}`, body), 422, 'VALIDATION_FAILED');
    }
    expect(await scoreRows(me.user.id)).toHaveLength(0);
    // Tomorrow (UTC) is a local date somewhere: accepted.
    expectOk(await me.put(`${W}/scores/2026-12-03`, { overall: 50 }));
  });

  it("Should answer 404 for another user's date, and list only mine", async () => {
    const me = await person();
    const other = await person();
    expectOk(await other.put(`${W}/scores/2026-11-20`, { overall: 40 }));
    expectCode(await me.get(`${W}/scores/2026-11-20`), 404, 'NOT_FOUND');
    expectCode(await me.del(`${W}/scores/2026-11-20`), 404, 'NOT_FOUND');
    expect(await scoreRows(other.user.id)).toHaveLength(1);

    expectOk(await me.put(`${W}/scores/2026-11-21`, { overall: 60 }));
    expectOk(await me.put(`${W}/scores/2026-11-22`, { overall: 65 }));
    const list = await me.get(`${W}/scores?from=2026-11-01&to=2026-11-30`);
    expectOk(list);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items.map((s: { date: string }) => s.date)).toEqual(['2026-11-22', '2026-11-21']);

    const deleted = await me.del(`${W}/scores/2026-11-21`);
    expectOk(deleted);
    expect(await scoreRows(me.user.id)).toHaveLength(1);
  });

  it('Should compute weekly and monthly averages and the change over the period in one round trip', async () => {
    const me = await person();
    const other = await person();
    // Week of Mon 2026-11-16: 2026-11-16 and 2026-11-22 (Sunday).
    expectOk(await me.put(`${W}/scores/2026-11-16`, { overall: 60, sleep: 50, mood: 70 }));
    expectOk(await me.put(`${W}/scores/2026-11-22`, { overall: 70, sleep: 60 }));
    // Week of Mon 2026-11-30 crosses into December: 2026-11-30 and 2026-12-01.
    expectOk(await me.put(`${W}/scores/2026-11-30`, { overall: 80, sleep: 70, mood: 90 }));
    expectOk(await me.put(`${W}/scores/2026-12-01`, { overall: 85, sleep: 75, activity: 40 }));
    // Outside the range, and another user's: not counted.
    expectOk(await me.put(`${W}/scores/2026-11-01`, { overall: 10 }));
    expectOk(await other.put(`${W}/scores/2026-11-16`, { overall: 0, sleep: 0 }));

    const res = await me.get(`${W}/scores/trends?from=2026-11-10&to=2026-12-02`);
    expectOk(res);
    expect(tripsOf(res)).toBe(1);
    const { weekly, monthly } = res.body.data;
    expect(weekly.periods).toEqual([
      {
        start: '2026-11-16',
        end: '2026-11-22',
        days: 2,
        averages: { overall: 65, sleep: 55, activity: null, nutrition: null, mood: 70, stress: null },
      },
      {
        start: '2026-11-30',
        end: '2026-12-06',
        days: 2,
        averages: { overall: 82.5, sleep: 72.5, activity: 40, nutrition: null, mood: 90, stress: null },
      },
    ]);
    expect(weekly.change).toEqual({
      overall: 17.5,
      sleep: 17.5,
      activity: null,
      nutrition: null,
      mood: 20,
      stress: null,
    });
    expect(monthly.periods).toEqual([
      {
        start: '2026-11-01',
        end: '2026-11-30',
        days: 3,
        averages: { overall: 70, sleep: 60, activity: null, nutrition: null, mood: 80, stress: null },
      },
      {
        start: '2026-12-01',
        end: '2026-12-31',
        days: 1,
        averages: { overall: 85, sleep: 75, activity: 40, nutrition: null, mood: null, stress: null },
      },
    ]);
    expect(monthly.change).toEqual({
      overall: 15,
      sleep: 15,
      activity: null,
      nutrition: null,
      mood: null,
      stress: null,
    });
  });

  it('Should answer empty trends for a range without scores, and refuse a reversed or too long range', async () => {
    const me = await person();
    const empty = await me.get(`${W}/scores/trends?from=2026-01-01&to=2026-01-31`);
    expectOk(empty);
    expect(empty.body.data.weekly).toEqual({
      periods: [],
      change: { overall: null, sleep: null, activity: null, nutrition: null, mood: null, stress: null },
    });
    expectCode(await me.get(`${W}/scores/trends?from=2026-02-01&to=2026-01-01`), 422, 'VALIDATION_FAILED');
    expectCode(await me.get(`${W}/scores/trends?from=2025-01-01&to=2026-06-01`), 422, 'VALIDATION_FAILED');
    expectCode(await me.get(`${W}/scores/trends?from=2026-01-01`), 422, 'VALIDATION_FAILED');
  });
});

describe('goals', () => {
  const walk = {
    title: 'Walk 20 km',
    category: 'activity',
    targetValue: 20,
    unit: 'km',
    dueDate: '2026-12-31',
    horizon: 'short',
  };

  it('Should create a goal, add progress and achieve it when the target is reached', async () => {
    const me = await person();
    const created = await me.post(`${W}/goals`, walk);
    expectOk(created, 201);
    expect(tripsOf(created)).toBe(1);
    expect(created.body.data).toMatchObject({ status: 'active', progress: 0, targetValue: 20, templateId: null });
    const id = created.body.data.id as string;

    const first = await me.post(`${W}/goals/${id}/progress`, { value: 12.5, date: '2026-12-01', note: 'Long walk' });
    expectOk(first, 201);
    expect(tripsOf(first)).toBe(2);
    expect(first.body.data.goal).toMatchObject({ progress: 12.5, status: 'active', endedAt: null });
    expect(first.body.data.entry).toMatchObject({ value: 12.5, date: '2026-12-01', note: 'Long walk' });

    const second = await me.post(`${W}/goals/${id}/progress`, { value: 7.5, date: '2026-12-02' });
    expectOk(second, 201);
    expect(second.body.data.goal).toMatchObject({
      progress: 20,
      status: 'achieved',
      endedAt: new Date(NOW).toISOString(),
    });

    expectCode(await me.post(`${W}/goals/${id}/progress`, { value: 1, date: '2026-12-02' }), 409, 'INVALID_TRANSITION');

    const read = await me.get(`${W}/goals/${id}`);
    expectOk(read);
    expect(tripsOf(read)).toBe(1);
    expect(read.body.data.entries.map((e: { value: number }) => e.value)).toEqual([12.5, 7.5]);

    const history = await me.get(`${W}/goals?status=achieved`);
    expectOk(history);
    expect(tripsOf(history)).toBe(1);
    expect(history.body.data.items.map((g: { id: string }) => g.id)).toEqual([id]);
  });

  it('Should abandon or achieve an active goal once', async () => {
    const me = await person();
    const a = (await me.post(`${W}/goals`, { ...walk, horizon: 'long', dueDate: null })).body.data.id;
    const abandoned = await me.post(`${W}/goals/${a}/status`, { status: 'abandoned' });
    expectOk(abandoned);
    expect(tripsOf(abandoned)).toBe(1);
    expect(abandoned.body.data).toMatchObject({ status: 'abandoned', horizon: 'long', dueDate: null });
    expectCode(await me.post(`${W}/goals/${a}/status`, { status: 'achieved' }), 409, 'INVALID_TRANSITION');
    expectCode(await me.post(`${W}/goals/${a}/status`, { status: 'active' }), 422, 'VALIDATION_FAILED');

    const b = (await me.post(`${W}/goals`, walk)).body.data.id;
    expect((await me.post(`${W}/goals/${b}/status`, { status: 'achieved' })).body.data.status).toBe('achieved');
    const active = await me.get(`${W}/goals?status=active`);
    expect(active.body.data.items).toHaveLength(0);
  });

  it("Should answer 404 for another user's goal and change nothing", async () => {
    const me = await person();
    const other = await person();
    const id = (await other.post(`${W}/goals`, walk)).body.data.id;
    expectCode(await me.get(`${W}/goals/${id}`), 404, 'NOT_FOUND');
    expectCode(await me.post(`${W}/goals/${id}/progress`, { value: 1, date: '2026-12-01' }), 404, 'NOT_FOUND');
    expectCode(await me.post(`${W}/goals/${id}/status`, { status: 'abandoned' }), 404, 'NOT_FOUND');
    const [row] = await db.select().from(wellnessGoals).where(eq(wellnessGoals.id, id)).all();
    expect(row).toMatchObject({ status: 'active', progress: 0 });
    expect(await db.select().from(goalProgress).where(eq(goalProgress.goalId, id)).all()).toHaveLength(0);
    expect((await me.get(`${W}/goals`)).body.data.items).toHaveLength(0);
  });

  it('Should refuse bad goals and progress with 422, storing nothing', async () => {
    const me = await person();
    for (const body of [
      { ...walk, targetValue: 0 },
      { ...walk, horizon: 'medium' },
      { ...walk, category: 'wealth' },
      { ...walk, title: '' },
      { ...walk, dueDate: '2026-13-01' },
      { ...walk, extra: true },
    ]) {
      expectCode(await me.post(`${W}/goals`, body), 422, 'VALIDATION_FAILED');
    }
    expect(await db.select().from(wellnessGoals).where(eq(wellnessGoals.userId, me.user.id)).all()).toHaveLength(0);

    const id = (await me.post(`${W}/goals`, walk)).body.data.id;
    for (const body of [
      { value: -1, date: '2026-12-01' },
      { value: 1, date: 'yesterday' },
      { value: 1, date: '2027-01-01' },
    ]) {
      expectCode(await me.post(`${W}/goals/${id}/progress`, body), 422, 'VALIDATION_FAILED');
    }
    expect(await db.select().from(goalProgress).where(eq(goalProgress.goalId, id)).all()).toHaveLength(0);
  });

  it('Should let a content manager propose templates, and users make goals of them', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const plainAdmin = await person({ role: 'admin' });
    const me = await person();
    const template = {
      title: 'Sleep 8 hours, 20 nights',
      category: 'sleep',
      suggestedTarget: 20,
      unit: 'nights',
      horizon: 'short',
    };

    expectCode(await plainAdmin.post('/api/v1/admin/wellness/goal-templates', template), 403, 'FORBIDDEN');
    expectCode(await me.post('/api/v1/admin/wellness/goal-templates', template), 403, 'FORBIDDEN');
    expectCode(
      await manager.post('/api/v1/admin/wellness/goal-templates', { ...template, suggestedTarget: -5 }),
      422,
      'VALIDATION_FAILED',
    );
    const created = await manager.post('/api/v1/admin/wellness/goal-templates', template);
    expectOk(created, 201);
    const templateId = created.body.data.id as string;

    const list = await me.get(`${W}/goal-templates?category=sleep`);
    expectOk(list);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items.map((t: { id: string }) => t.id)).toContain(templateId);

    const plain = await me.post(`${W}/goal-templates/${templateId}/goals`, {});
    expectOk(plain, 201);
    expect(tripsOf(plain)).toBe(2);
    expect(plain.body.data).toMatchObject({
      templateId,
      title: template.title,
      category: 'sleep',
      targetValue: 20,
      unit: 'nights',
      horizon: 'short',
      status: 'active',
    });
    const tuned = await me.post(`${W}/goal-templates/${templateId}/goals`, { targetValue: 10, dueDate: '2026-12-20' });
    expect(tuned.body.data).toMatchObject({ targetValue: 10, dueDate: '2026-12-20', title: template.title });

    expectCode(await me.del(`/api/v1/admin/wellness/goal-templates/${templateId}`), 403, 'FORBIDDEN');
    expectOk(await manager.del(`/api/v1/admin/wellness/goal-templates/${templateId}`));
    expectCode(await me.post(`${W}/goal-templates/${templateId}/goals`, {}), 404, 'NOT_FOUND');
    // Goals made from it stay.
    expectOk(await me.get(`${W}/goals/${plain.body.data.id}`));
  });
});

describe('feedback', () => {
  it('Should take feedback from users, and let admins list, filter and delete it', async () => {
    const admin = await person({ role: 'admin' });
    const a = await person();
    const sent = await a.post(`${W}/feedback`, { rating: 2, category: 'billing', text: 'Charged twice.' });
    expectOk(sent, 201);
    expect(tripsOf(sent)).toBe(1);
    expect(sent.body.data).toMatchObject({ userId: a.user.id, rating: 2, category: 'billing', text: 'Charged twice.' });
    clock.advance(24 * 3600_000);
    const b = await person();
    const later = await b.post(`${W}/feedback`, { rating: 5, category: 'billing' });
    expectOk(later, 201);
    const app = await b.post(`${W}/feedback`, { rating: 4, category: 'app', text: 'Nice.' });
    clock.set(NOW);

    const billing = await admin.get('/api/v1/admin/wellness/feedback?category=billing');
    expectOk(billing);
    expect(tripsOf(billing)).toBe(1);
    expect(billing.body.data.items.map((f: { id: string }) => f.id)).toEqual([later.body.data.id, sent.body.data.id]);

    const low = await admin.get('/api/v1/admin/wellness/feedback?category=billing&minRating=1&maxRating=3');
    expect(low.body.data.items.map((f: { id: string }) => f.id)).toEqual([sent.body.data.id]);

    const day = await admin.get('/api/v1/admin/wellness/feedback?from=2026-12-03&to=2026-12-03');
    const ids = day.body.data.items.map((f: { id: string }) => f.id);
    expect(ids).toEqual(expect.arrayContaining([later.body.data.id, app.body.data.id]));
    expect(ids).not.toContain(sent.body.data.id);

    const paged = await admin.get('/api/v1/admin/wellness/feedback?category=billing&limit=1&page=2');
    expect(paged.body.data.items.map((f: { id: string }) => f.id)).toEqual([sent.body.data.id]);
    expect(paged.body.data.pagination).toMatchObject({ total: 2, current: 2 });

    expectCode(await admin.get('/api/v1/admin/wellness/feedback?minRating=4&maxRating=2'), 422, 'VALIDATION_FAILED');
    expectCode(await a.get('/api/v1/admin/wellness/feedback'), 403, 'FORBIDDEN');
    expectCode(await a.del(`/api/v1/admin/wellness/feedback/${sent.body.data.id}`), 403, 'FORBIDDEN');

    const deleted = await admin.del(`/api/v1/admin/wellness/feedback/${sent.body.data.id}`);
    expectOk(deleted);
    expect(tripsOf(deleted)).toBe(1);
    expect(
      await db.select().from(wellnessFeedback).where(eq(wellnessFeedback.id, sent.body.data.id)).all(),
    ).toHaveLength(0);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, sent.body.data.id)).all();
    expect(audit).toMatchObject([{ action: 'wellness.feedback.delete', actorId: admin.user.id }]);
    expectCode(await admin.del(`/api/v1/admin/wellness/feedback/${sent.body.data.id}`), 404, 'NOT_FOUND');
  });

  it('Should refuse bad feedback with 422, storing nothing', async () => {
    const me = await person();
    for (const body of [
      { rating: 0, category: 'app' },
      { rating: 6, category: 'app' },
      { rating: 3, category: 'food' },
      { rating: 3, category: 'app', text: 'x'.repeat(2001) },
    ]) {
      expectCode(await me.post(`${W}/feedback`, body), 422, 'VALIDATION_FAILED');
    }
    expect(await db.select().from(wellnessFeedback).where(eq(wellnessFeedback.userId, me.user.id)).all()).toHaveLength(
      0,
    );
    expectOk(await me.post(`${W}/feedback`, { rating: 3, category: 'other', text: 'x'.repeat(2000) }), 201);
  });
});

describe('erasure', () => {
  it("Should erase the account's scores, goals, progress and feedback, and keep others'", async () => {
    const target = await as(await userWithPassword());
    const bystander = await person();
    for (const who of [target, bystander]) {
      expectOk(await who.put(`${W}/scores/2026-12-01`, { overall: 70 }));
      const goal = (
        await who.post(`${W}/goals`, {
          title: 'Run',
          category: 'activity',
          targetValue: 5,
          unit: 'km',
          horizon: 'short',
        })
      ).body.data.id;
      expectOk(await who.post(`${W}/goals/${goal}/progress`, { value: 1, date: '2026-12-01' }), 201);
      expectOk(await who.post(`${W}/feedback`, { rating: 4, category: 'app' }), 201);
    }
    const res = await api.delete('/api/v1/users/me', { token: target.token, json: { password: STRONG_PASSWORD } });
    expectOk(res);
    for (const [table, column] of [
      [healthScores, healthScores.userId],
      [wellnessGoals, wellnessGoals.userId],
      [goalProgress, goalProgress.userId],
      [wellnessFeedback, wellnessFeedback.userId],
    ] as const) {
      expect(await db.select().from(table).where(eq(column, target.user.id)).all()).toHaveLength(0);
      expect(await db.select().from(table).where(eq(column, bystander.user.id)).all()).toHaveLength(1);
    }
  });
});
