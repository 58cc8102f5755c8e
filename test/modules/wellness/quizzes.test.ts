import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { AdminSubRole, Role, UserRow } from '../../../src/db/schema';
import { auditEvents, quizAttempts, quizItems, quizzes } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type ApiResponse, type CallOptions, client, createUser, db, tokenFor } from '../../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { tripsOf } from '../../support/round-trips';

/**
 * Quizzes through HTTP: content managers write questions and assemble quizzes with result bands
 * (validated to cover the score range); users take published ones, submit once, and get their score,
 * band and history; drafts and others' attempts 404, bad answers 422 with nothing stored.
 */

const NOW = '2026-12-02T12:00:00Z';
const clock = fixedClock(NOW);
const api = client({ clock });
const W = '/api/v1/wellness';
const A = '/api/v1/admin/wellness';

async function person(input: { role?: Role; subRoles?: AdminSubRole[] } = {}) {
  return as(await createUser(input));
}

async function as(user: UserRow) {
  const token = await tokenFor(user, clock.now());
  const call = (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token });
  return {
    user,
    token,
    get: (path: string) => call('GET', path),
    post: (path: string, json?: unknown) => call('POST', path, json === undefined ? {} : { json }),
    put: (path: string, json: unknown) => call('PUT', path, { json }),
  };
}

type Caller = Awaited<ReturnType<typeof as>>;

const expectOk = (res: ApiResponse, status = 200) => expect(res.status, JSON.stringify(res.body)).toBe(status);
const expectCode = (res: ApiResponse, status: number, code: string) =>
  expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([status, code]);

const SINGLE = {
  type: 'single-choice',
  prompt: 'How often do you wake up rested?',
  options: [
    { value: 'often', label: 'Most days', score: 0 },
    { value: 'sometimes', label: 'Some days', score: 2 },
    { value: 'rarely', label: 'Rarely', score: 4 },
  ],
};
const MULTI = {
  type: 'multiple-choice',
  prompt: 'What keeps you awake?',
  options: [
    { value: 'noise', label: 'Noise', score: 1 },
    { value: 'worry', label: 'Worry', score: 2 },
    { value: 'screens', label: 'Screens', score: 1 },
  ],
};
const SCALE = { type: 'scale', prompt: 'Stress this week?', scaleMin: 1, scaleMax: 5 };
const FREE = { type: 'free-text', prompt: 'Anything else?' };
// Range: single 0..4, multi 1..4, scale 1..5, free 0 → 2..13.
const BANDS = [
  { min: 2, max: 5, label: 'low risk', advice: 'Keep your routine.' },
  { min: 6, max: 9, label: 'moderate risk', advice: 'Try a fixed bedtime.' },
  { min: 10, max: 13, label: 'high risk', advice: 'Consider talking to a doctor.' },
];

async function questions(manager: Caller) {
  const ids: string[] = [];
  for (const q of [SINGLE, MULTI, SCALE, FREE]) {
    const res = await manager.post(`${A}/quiz-questions`, q);
    expectOk(res, 201);
    ids.push(res.body.data.id);
  }
  return ids;
}

/** A published quiz of the four questions: its id and the question ids in order. */
async function publishedQuiz(manager: Caller) {
  const questionIds = await questions(manager);
  const created = await manager.post(`${A}/quizzes`, { title: 'Sleep check', questionIds, bands: BANDS });
  expectOk(created, 201);
  const id = created.body.data.id as string;
  expectOk(await manager.post(`${A}/quizzes/${id}/status`, { status: 'published' }));
  return { id, questionIds };
}

const answersFor = (ids: string[], values: unknown[] = ['sometimes', ['worry', 'noise'], 4, 'Late shifts']) => ({
  answers: ids.map((questionId, i) => ({ questionId, value: values[i] })),
});

describe('authoring', () => {
  it('Should write questions, assemble a draft quiz and publish it, in the round-trip budget', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const q = await manager.post(`${A}/quiz-questions`, SINGLE);
    expectOk(q, 201);
    expect(tripsOf(q)).toBe(1);
    const questionIds = [q.body.data.id, ...(await questions(manager)).slice(1)];

    const created = await manager.post(`${A}/quizzes`, {
      title: 'Sleep check',
      description: 'Four questions',
      questionIds,
      bands: BANDS,
    });
    expectOk(created, 201);
    expect(tripsOf(created)).toBe(2);
    expect(created.body.data).toMatchObject({ status: 'draft', scoreRange: { min: 2, max: 13 } });
    expect(created.body.data.questions.map((x: { id: string }) => x.id)).toEqual(questionIds);
    const id = created.body.data.id as string;

    // A draft may be replaced (here: fewer questions, new bands over 0..4).
    const replaced = await manager.put(`${A}/quizzes/${id}`, {
      title: 'Short sleep check',
      questionIds: [questionIds[0]],
      bands: [
        { min: 0, max: 1, label: 'low risk', advice: 'Fine.' },
        { min: 2, max: 4, label: 'high risk', advice: 'See a doctor.' },
      ],
    });
    expectOk(replaced);
    expect(tripsOf(replaced)).toBe(2);
    expect(replaced.body.data).toMatchObject({ title: 'Short sleep check', scoreRange: { min: 0, max: 4 } });
    expect(await db.select().from(quizItems).where(eq(quizItems.quizId, id)).all()).toHaveLength(1);

    const read = await manager.get(`${A}/quizzes/${id}`);
    expectOk(read);
    expect(tripsOf(read)).toBe(1);

    const published = await manager.post(`${A}/quizzes/${id}/status`, { status: 'published' });
    expectOk(published);
    expect(tripsOf(published)).toBe(1);
    expect(published.body.data.status).toBe('published');

    // Published: fixed.
    const full = { title: 'x', questionIds, bands: BANDS };
    expectCode(await manager.put(`${A}/quizzes/${id}`, full), 409, 'INVALID_TRANSITION');
    expectCode(await manager.post(`${A}/quizzes/${id}/status`, { status: 'published' }), 409, 'INVALID_TRANSITION');
    expect(await db.select().from(quizItems).where(eq(quizItems.quizId, id)).all()).toHaveLength(1);
    expectOk(await manager.post(`${A}/quizzes/${id}/status`, { status: 'archived' }));
    const actions = (await db.select().from(auditEvents).where(eq(auditEvents.resourceId, id)).all()).map(
      (e) => e.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'wellness.quiz.create',
        'wellness.quiz.update',
        'wellness.quiz.publish',
        'wellness.quiz.archive',
      ]),
    );
  });

  it('Should refuse bands that leave a gap, overlap or miss the ends, and bad questions, with 422', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const questionIds = await questions(manager);
    const before = (await db.select().from(quizzes).all()).length;
    const band = (min: number, max: number) => ({ min, max, label: `${min}-${max}`, advice: 'a' });
    for (const bands of [
      [band(2, 5), band(7, 13)], // gap
      [band(2, 6), band(6, 13)], // overlap
      [band(3, 13)], // misses the lowest
      [band(2, 12)], // misses the highest
      [band(2, 14)], // past the highest
      [band(6, 13), band(2, 5)], // not sorted
    ]) {
      expectCode(await manager.post(`${A}/quizzes`, { title: 't', questionIds, bands }), 422, 'VALIDATION_FAILED');
    }
    expectCode(
      await manager.post(`${A}/quizzes`, {
        title: 't',
        questionIds: ['qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
        bands: [band(0, 0)],
      }),
      422,
      'VALIDATION_FAILED',
    );
    expect(await db.select().from(quizzes).all()).toHaveLength(before);
    for (const bad of [
      { ...SINGLE, options: [SINGLE.options[0]] },
      { ...SINGLE, options: [SINGLE.options[0], SINGLE.options[0]] },
      { ...SCALE, scaleMin: 5, scaleMax: 5 },
      { ...FREE, options: SINGLE.options },
      { ...SCALE, scaleMax: undefined },
    ]) {
      expectCode(await manager.post(`${A}/quiz-questions`, bad), 422, 'VALIDATION_FAILED');
    }
  });

  it('Should refuse admins without the content-manager sub-role and users with 403', async () => {
    const plainAdmin = await person({ role: 'admin' });
    const user = await person();
    for (const who of [plainAdmin, user]) {
      expectCode(await who.post(`${A}/quiz-questions`, SINGLE), 403, 'FORBIDDEN');
      expectCode(await who.get(`${A}/quizzes`), 403, 'FORBIDDEN');
    }
  });
});

describe('taking quizzes', () => {
  it('Should hide drafts and archived quizzes from users', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const me = await person();
    const questionIds = await questions(manager);
    const draft = (await manager.post(`${A}/quizzes`, { title: 'Draft', questionIds, bands: BANDS })).body.data.id;
    expectCode(await me.get(`${W}/quizzes/${draft}`), 404, 'NOT_FOUND');
    expectCode(await me.post(`${W}/quizzes/${draft}/attempts`), 404, 'NOT_FOUND');
    const list = await me.get(`${W}/quizzes?limit=100`);
    expectOk(list);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items.map((q: { id: string }) => q.id)).not.toContain(draft);

    const { id } = await publishedQuiz(manager);
    const read = await me.get(`${W}/quizzes/${id}`);
    expectOk(read);
    expect(tripsOf(read)).toBe(1);
    // Users do not see the options' scores.
    expect(read.body.data.questions[0].options[0]).toEqual({ value: 'often', label: 'Most days' });
    expect((await me.get(`${W}/quizzes?limit=100`)).body.data.items.map((q: { id: string }) => q.id)).toContain(id);

    expectOk(await manager.post(`${A}/quizzes/${id}/status`, { status: 'archived' }));
    expectCode(await me.get(`${W}/quizzes/${id}`), 404, 'NOT_FOUND');
  });

  it('Should score a submission and give its band, once: a second submission is 409', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const me = await person();
    const { id, questionIds } = await publishedQuiz(manager);

    const started = await me.post(`${W}/quizzes/${id}/attempts`);
    expectOk(started, 201);
    expect(tripsOf(started)).toBe(1);
    const attempt = started.body.data.id as string;
    expect(started.body.data).toMatchObject({ status: 'started', score: null, band: null });

    // sometimes 2 + worry 2 + noise 1 + scale 4 + free 0 = 9 → moderate.
    const res = await me.post(`${W}/quiz-attempts/${attempt}/answers`, answersFor(questionIds));
    expectOk(res);
    expect(tripsOf(res)).toBe(2);
    expect(res.body.data).toMatchObject({
      status: 'submitted',
      score: 9,
      band: { label: 'moderate risk', advice: 'Try a fixed bedtime.' },
    });
    expect(res.body.data.answers.map((a: { score: number }) => a.score)).toEqual([2, 3, 4, 0]);

    const again = await me.post(
      `${W}/quiz-attempts/${attempt}/answers`,
      answersFor(questionIds, ['rarely', ['noise'], 5, '']),
    );
    expectCode(again, 409, 'CONFLICT');
    const [row] = await db.select().from(quizAttempts).where(eq(quizAttempts.id, attempt)).all();
    expect(row?.score).toBe(9);

    const audit = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, attempt)).all();
    expect(audit.map((e) => [e.action, e.actorId])).toEqual([
      ['wellness.quiz.attempt.start', me.user.id],
      ['wellness.quiz.attempt.submit', me.user.id],
    ]);

    const read = await me.get(`${W}/quiz-attempts/${attempt}`);
    expectOk(read);
    expect(tripsOf(read)).toBe(1);
    expect(read.body.data.score).toBe(9);
  });

  it('Should refuse invalid answers with 422 and store nothing', async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const me = await person();
    const { id, questionIds } = await publishedQuiz(manager);
    const attempt = (await me.post(`${W}/quizzes/${id}/attempts`)).body.data.id as string;
    const good = ['sometimes', ['worry'], 3, 'ok'];
    const unknown = 'qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE';
    for (const body of [
      answersFor(questionIds, ['never', ...good.slice(1)]), // wrong option
      answersFor(questionIds, [['often'], ...good.slice(1)]), // a list for a single choice
      answersFor(questionIds, [good[0], ['worry', 'cats'], 3, 'ok']), // wrong option in a list
      answersFor(questionIds, [good[0], [], 3, 'ok']), // empty list
      answersFor(questionIds, [good[0], good[1], 6, 'ok']), // scale out of range
      answersFor(questionIds, [good[0], good[1], 2.5, 'ok']), // not an integer
      answersFor(questionIds, [good[0], good[1], 3, 7]), // free text not text
      { answers: answersFor(questionIds, good).answers.slice(1) }, // one missing
      { answers: [...answersFor(questionIds, good).answers, { questionId: unknown, value: 'x' }] }, // unknown question
      { answers: [...answersFor(questionIds, good).answers, { questionId: questionIds[0], value: 'often' }] }, // twice
    ]) {
      expectCode(await me.post(`${W}/quiz-attempts/${attempt}/answers`, body), 422, 'VALIDATION_FAILED');
    }
    const [row] = await db.select().from(quizAttempts).where(eq(quizAttempts.id, attempt)).all();
    expect(row).toMatchObject({ submittedAt: null, score: null, answers: null });
    expectOk(await me.post(`${W}/quiz-attempts/${attempt}/answers`, answersFor(questionIds, good)));
  });

  it("Should answer 404 for another user's attempt, and list my history per quiz newest first", async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const me = await person();
    const other = await person();
    const { id, questionIds } = await publishedQuiz(manager);
    const theirs = (await other.post(`${W}/quizzes/${id}/attempts`)).body.data.id as string;
    expectCode(await me.get(`${W}/quiz-attempts/${theirs}`), 404, 'NOT_FOUND');
    expectCode(await me.post(`${W}/quiz-attempts/${theirs}/answers`, answersFor(questionIds)), 404, 'NOT_FOUND');
    const [row] = await db.select().from(quizAttempts).where(eq(quizAttempts.id, theirs)).all();
    expect(row?.submittedAt).toBeNull();

    const laterClock = fixedClock('2026-12-02T13:00:00Z');
    const later = client({ clock: laterClock });
    const first = (await me.post(`${W}/quizzes/${id}/attempts`)).body.data.id as string;
    expectOk(await me.post(`${W}/quiz-attempts/${first}/answers`, answersFor(questionIds)));
    const second = await later.call('POST', `${W}/quizzes/${id}/attempts`, {
      token: await tokenFor(me.user, laterClock.now()),
    });
    expectOk(second, 201);

    const history = await me.get(`${W}/quizzes/${id}/attempts`);
    expectOk(history);
    expect(tripsOf(history)).toBe(1);
    expect(history.body.data.items.map((a: { id: string }) => a.id)).toEqual([second.body.data.id, first]);
    expect(history.body.data.items[1]).toMatchObject({ status: 'submitted', score: 9 });
  });
});

describe('erasure', () => {
  it("Should erase the account's attempts and answers, and keep others' and the quiz", async () => {
    const manager = await person({ role: 'admin', subRoles: ['content-manager'] });
    const target = await as(await userWithPassword());
    const bystander = await person();
    const { id, questionIds } = await publishedQuiz(manager);
    for (const who of [target, bystander]) {
      const attempt = (await who.post(`${W}/quizzes/${id}/attempts`)).body.data.id;
      expectOk(await who.post(`${W}/quiz-attempts/${attempt}/answers`, answersFor(questionIds)));
    }
    expectOk(await api.delete('/api/v1/users/me', { token: target.token, json: { password: STRONG_PASSWORD } }));
    const rows = (userId: string) => db.select().from(quizAttempts).where(eq(quizAttempts.userId, userId)).all();
    expect(await rows(target.user.id)).toHaveLength(0);
    expect(await rows(bystander.user.id)).toHaveLength(1);
    expect(await db.select().from(quizzes).where(eq(quizzes.id, id)).all()).toHaveLength(1);
  });
});
