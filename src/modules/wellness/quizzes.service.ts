import { and, asc, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import {
  type QuizAnswer,
  type QuizAttemptRow,
  type QuizBand,
  type QuizQuestionRow,
  type QuizRow,
  type QuizStatus,
  quizAttempts,
  quizItems,
  quizQuestions,
  quizzes,
} from '../../db/schema';
import { selectedRow } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import type { AttemptView, CreateQuestionInput, QuizInput, SubmitInput } from './quizzes.schemas';

/**
 * Quizzes: content managers write questions (never changed once written) and assemble them into
 * quizzes with result bands; a quiz is a draft (its questions and bands may be replaced), then
 * published (fixed; users take it), then archived (hidden from users; their results stay). Users see
 * published quizzes only, start attempts and submit each once; the score is the sum of the answers'
 * scores and the band the one whose range holds it. Anyone else's attempt is 404.
 */

type Field = { field: string; message: string };
const invalid = (fields: Field[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

const questionView = (row: QuizQuestionRow) => ({
  id: row.id,
  type: row.type,
  prompt: row.prompt,
  options: row.options,
  scaleMin: row.scaleMin,
  scaleMax: row.scaleMax,
  createdBy: row.createdBy,
  createdAt: iso(row.createdAt),
});

const publicQuestionView = (row: QuizQuestionRow) => ({
  id: row.id,
  type: row.type,
  prompt: row.prompt,
  options: row.options.map(({ value, label }) => ({ value, label })),
  scaleMin: row.scaleMin,
  scaleMax: row.scaleMax,
});

const quizSummary = (row: QuizRow) => ({
  id: row.id,
  title: row.title,
  description: row.description,
  status: row.status,
  publishedAt: iso(row.publishedAt),
  createdAt: iso(row.createdAt),
});

const attemptView = (row: QuizAttemptRow): AttemptView => ({
  id: row.id,
  quizId: row.quizId,
  status: row.submittedAt === null ? 'started' : 'submitted',
  answers: row.answers,
  score: row.score,
  band: row.bandLabel === null ? null : { label: row.bandLabel, advice: row.bandAdvice ?? '' },
  startedAt: iso(row.startedAt),
  submittedAt: iso(row.submittedAt),
});

/** The lowest and highest score a question can give (a multiple choice needs at least one option). */
function questionRange(q: QuizQuestionRow): { min: number; max: number } {
  const scores = q.options.map((o) => o.score);
  switch (q.type) {
    case 'single-choice':
      return { min: Math.min(...scores), max: Math.max(...scores) };
    case 'multiple-choice':
      return { min: Math.min(...scores), max: scores.reduce((a, b) => a + b, 0) };
    case 'scale':
      return { min: q.scaleMin ?? 0, max: q.scaleMax ?? 0 };
    default:
      return { min: 0, max: 0 };
  }
}

/** The score range of a quiz made of `questions`. */
export function scoreRange(questions: QuizQuestionRow[]) {
  return questions
    .map(questionRange)
    .reduce((a, r) => ({ min: a.min + r.min, max: a.max + r.max }), { min: 0, max: 0 });
}

/**
 * Bands must cover `range` exactly: sorted by `min`, each `min <= max`, the first starting at the
 * lowest score, each next starting right after the previous, the last ending at the highest.
 * @throws AppError VALIDATION_FAILED
 */
export function checkBands(bands: QuizBand[], range: { min: number; max: number }): void {
  const problem = (message: string) => invalid([{ field: 'bands', message }]);
  let next = range.min;
  for (const [i, band] of bands.entries()) {
    if (band.min > band.max) throw problem(`Band ${i + 1} has min above max`);
    if (band.min < next) throw problem(`Band ${i + 1} overlaps the one before (or starts below ${range.min})`);
    if (band.min > next) throw problem(`No band covers score ${next}`);
    next = band.max + 1;
  }
  if (next - 1 !== range.max) throw problem(`The bands must end at the highest score, ${range.max}`);
}

/** The questions of a quiz in order, for a batch. */
const questionsOf = (ctx: AuthedContext, quizId: string | SQL) =>
  ctx.db
    .select({ question: quizQuestions })
    .from(quizItems)
    .innerJoin(quizQuestions, eq(quizQuestions.id, quizItems.questionId))
    .where(eq(quizItems.quizId, quizId))
    .orderBy(asc(quizItems.position));

function adminQuizView(quiz: QuizRow, questions: QuizQuestionRow[]) {
  return {
    ...quizSummary(quiz),
    archivedAt: iso(quiz.archivedAt),
    createdBy: quiz.createdBy,
    questions: questions.map(questionView),
    bands: quiz.bands,
    scoreRange: scoreRange(questions),
  };
}

/** The questions named in `ids`, in that order; unknown ids are 422. */
function orderedQuestions(ids: string[], rows: QuizQuestionRow[]): QuizQuestionRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) throw invalid([{ field: 'questionIds', message: `No such question: ${missing.join(', ')}` }]);
  return ids.map((id) => byId.get(id) as QuizQuestionRow);
}

// ---- authoring (content managers)

/** Writes a question, audited. One round trip. */
export async function createQuestion(ctx: AuthedContext, input: CreateQuestionInput) {
  const id = ctx.ids.id('qqn');
  const [rows] = await ctx.db.batch([
    ctx.db
      .insert(quizQuestions)
      .values({
        id,
        type: input.type,
        prompt: input.prompt,
        options: input.options ?? [],
        scaleMin: input.scaleMin ?? null,
        scaleMax: input.scaleMax ?? null,
        createdBy: ctx.actor.id,
        createdAt: ctx.clock.now().getTime(),
      })
      .returning(),
    auditInsert(ctx, { action: 'wellness.quiz.question.create', resourceType: 'quiz_question', resourceId: id }),
  ]);
  return questionView(rows[0] as QuizQuestionRow);
}

/** A page of questions, newest first, by type. One round trip. */
export function listQuestions(
  ctx: AuthedContext,
  query: { page: number; limit: number; type?: QuizQuestionRow['type'] },
) {
  return paginate(ctx.db, quizQuestions, {
    where: query.type ? eq(quizQuestions.type, query.type) : undefined,
    orderBy: [desc(quizQuestions.createdAt), desc(quizQuestions.id)],
    page: query.page,
    limit: query.limit,
    map: questionView,
  });
}

const itemRows = (quizId: string, ids: string[]) =>
  ids.map((questionId, position) => ({ quizId, questionId, position }));

/**
 * Assembles a draft quiz; its bands must cover the questions' score range. Two round trips (the
 * questions, then the quiz, its items and the audit event).
 * @throws AppError VALIDATION_FAILED (an unknown question, bands that do not cover the range)
 */
export async function createQuiz(ctx: AuthedContext, input: QuizInput) {
  const rows = await ctx.db.select().from(quizQuestions).where(inArray(quizQuestions.id, input.questionIds));
  const questions = orderedQuestions(input.questionIds, rows);
  checkBands(input.bands, scoreRange(questions));
  const id = ctx.ids.id('qiz');
  const now = ctx.clock.now().getTime();
  const [created] = await ctx.db.batch([
    ctx.db
      .insert(quizzes)
      .values({
        id,
        title: input.title,
        description: input.description ?? null,
        bands: input.bands,
        createdBy: ctx.actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning(),
    ctx.db.insert(quizItems).values(itemRows(id, input.questionIds)),
    auditInsert(ctx, { action: 'wellness.quiz.create', resourceType: 'quiz', resourceId: id }),
  ]);
  return adminQuizView(created[0] as QuizRow, questions);
}

/**
 * Replaces a draft quiz's title, description, questions and bands. Two round trips; every statement of
 * the write applies only while the quiz is still a draft.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (published or archived), VALIDATION_FAILED
 */
export async function updateQuiz(ctx: AuthedContext, id: string, input: QuizInput) {
  const [found, rows] = await ctx.db.batch([
    ctx.db.select().from(quizzes).where(eq(quizzes.id, id)),
    ctx.db.select().from(quizQuestions).where(inArray(quizQuestions.id, input.questionIds)),
  ]);
  const quiz = found[0];
  if (!quiz) throw notFound('Quiz');
  if (quiz.status !== 'draft') throw fixedQuiz(quiz.status);
  const questions = orderedQuestions(input.questionIds, rows);
  checkBands(input.bands, scoreRange(questions));
  const draft = and(eq(quizzes.id, id), eq(quizzes.status, 'draft'));
  const stillDraft = sql`exists (select 1 from ${quizzes} where ${draft})`;
  // The quiz row first (its audit event right after, on `changes()`), then its items: each statement
  // applies only while the quiz is a draft, so one published meanwhile keeps its questions.
  const [updated] = await ctx.db.batch([
    ctx.db
      .update(quizzes)
      .set({
        title: input.title,
        description: input.description ?? null,
        bands: input.bands,
        updatedAt: ctx.clock.now().getTime(),
      })
      .where(draft)
      .returning(),
    auditInsert(
      ctx,
      { action: 'wellness.quiz.update', resourceType: 'quiz', resourceId: id },
      { guard: { where: sql`changes() = 1` } },
    ),
    ctx.db.delete(quizItems).where(and(eq(quizItems.quizId, id), stillDraft)),
    ...itemRows(id, input.questionIds).map((item) =>
      ctx.db.insert(quizItems).select(sql`select ${selectedRow(quizItems, item)} where ${stillDraft}`),
    ),
  ]);
  if (!updated[0]) throw fixedQuiz('published');
  return adminQuizView(updated[0] as QuizRow, questions);
}

const fixedQuiz = (status: QuizStatus) =>
  new AppError('INVALID_TRANSITION', `The quiz is ${status}: archive it and make a new one to change it`);

/** Any quiz with its questions (scores included), bands and score range. One round trip. @throws AppError NOT_FOUND */
export async function getAdminQuiz(ctx: AuthedContext, id: string) {
  const [found, questions] = await ctx.db.batch([
    ctx.db.select().from(quizzes).where(eq(quizzes.id, id)),
    questionsOf(ctx, id),
  ]);
  if (!found[0]) throw notFound('Quiz');
  return adminQuizView(
    found[0],
    questions.map((r) => r.question),
  );
}

/** A page of quizzes of any status, newest first. One round trip. */
export function listAdminQuizzes(ctx: AuthedContext, query: { page: number; limit: number; status?: QuizStatus }) {
  return paginate(ctx.db, quizzes, {
    where: query.status ? eq(quizzes.status, query.status) : undefined,
    orderBy: [desc(quizzes.createdAt), desc(quizzes.id)],
    page: query.page,
    limit: query.limit,
    map: quizSummary,
  });
}

/**
 * Publishes a draft, or archives a draft or published quiz; audited. One round trip (the change, its
 * audit event, and the quiz and its questions read back).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION
 */
export async function setQuizStatus(ctx: AuthedContext, id: string, status: 'published' | 'archived') {
  const now = ctx.clock.now().getTime();
  const from: QuizStatus[] = status === 'published' ? ['draft'] : ['draft', 'published'];
  const [changed, , found, questions] = await ctx.db.batch([
    ctx.db
      .update(quizzes)
      .set(
        status === 'published'
          ? { status, publishedAt: now, updatedAt: now }
          : { status, archivedAt: now, updatedAt: now },
      )
      .where(and(eq(quizzes.id, id), inArray(quizzes.status, from)))
      .returning({ id: quizzes.id }),
    auditInsert(
      ctx,
      {
        action: `wellness.quiz.${status === 'published' ? 'publish' : 'archive'}`,
        resourceType: 'quiz',
        resourceId: id,
      },
      { guard: { where: sql`changes() = 1` } },
    ),
    ctx.db.select().from(quizzes).where(eq(quizzes.id, id)),
    questionsOf(ctx, id),
  ]);
  const quiz = found[0];
  if (!quiz) throw notFound('Quiz');
  if (!changed.length) throw new AppError('INVALID_TRANSITION', `The quiz is already ${quiz.status}`);
  return adminQuizView(
    quiz,
    questions.map((r) => r.question),
  );
}

// ---- taking quizzes (users)

const published = (id: string) => and(eq(quizzes.id, id), eq(quizzes.status, 'published'));

/** A page of published quizzes, newest first. One round trip. */
export function listPublishedQuizzes(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, quizzes, {
    where: eq(quizzes.status, 'published'),
    orderBy: [desc(quizzes.publishedAt), desc(quizzes.id)],
    page: query.page,
    limit: query.limit,
    map: quizSummary,
  });
}

/** A published quiz with its questions (without scores) and bands. One round trip. @throws AppError NOT_FOUND */
export async function getPublishedQuiz(ctx: AuthedContext, id: string) {
  const [found, questions] = await ctx.db.batch([
    ctx.db.select().from(quizzes).where(published(id)),
    questionsOf(ctx, id),
  ]);
  if (!found[0]) throw notFound('Quiz');
  return {
    ...quizSummary(found[0]),
    questions: questions.map((r) => publicQuestionView(r.question)),
    bands: found[0].bands,
  };
}

/** Starts an attempt of the caller's at a published quiz. One round trip. @throws AppError NOT_FOUND */
export async function startAttempt(ctx: AuthedContext, quizId: string): Promise<AttemptView> {
  const row = {
    id: ctx.ids.id('qat'),
    quizId,
    userId: ctx.actor.id,
    answers: null,
    score: null,
    bandLabel: null,
    bandAdvice: null,
    startedAt: ctx.clock.now().getTime(),
    submittedAt: null,
  };
  const [inserted] = await ctx.db.batch([
    ctx.db
      .insert(quizAttempts)
      .select(
        sql`select ${selectedRow(quizAttempts, row)} where exists (select 1 from ${quizzes} where ${published(quizId)})`,
      )
      .returning(),
    auditInsert(
      ctx,
      { action: 'wellness.quiz.attempt.start', resourceType: 'quiz_attempt', resourceId: row.id },
      { guard: { where: sql`changes() = 1` } },
    ),
  ]);
  if (!inserted[0]) throw notFound('Quiz');
  return attemptView(inserted[0] as QuizAttemptRow);
}

/** Scores one answer against its question. @returns the score, or a message saying what is wrong */
function scoreAnswer(q: QuizQuestionRow, value: SubmitInput['answers'][number]['value']): number | string {
  const option = (v: string) => q.options.find((o) => o.value === v);
  switch (q.type) {
    case 'single-choice': {
      const chosen = typeof value === 'string' ? option(value) : undefined;
      return chosen ? chosen.score : 'Must be one of the options';
    }
    case 'multiple-choice': {
      if (!Array.isArray(value) || value.length === 0) return 'Must be a list of at least one option';
      if (new Set(value).size !== value.length) return 'An option appears once';
      const chosen = value.map(option);
      if (chosen.some((o) => !o)) return 'Must be options of the question';
      return chosen.reduce((sum, o) => sum + (o?.score ?? 0), 0);
    }
    case 'scale': {
      const [min, max] = [q.scaleMin ?? 0, q.scaleMax ?? 0];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
        return `Must be an integer from ${min} to ${max}`;
      return value;
    }
    default:
      return typeof value === 'string' ? 0 : 'Must be text';
  }
}

/** Every question answered once, each answer valid: the scored answers. @throws AppError VALIDATION_FAILED */
function scoreAnswers(questions: QuizQuestionRow[], input: SubmitInput): QuizAnswer[] {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const fields: Field[] = [];
  const seen = new Set<string>();
  const answers: QuizAnswer[] = [];
  for (const [i, answer] of input.answers.entries()) {
    const question = byId.get(answer.questionId);
    if (!question) fields.push({ field: `answers.${i}.questionId`, message: 'Not a question of this quiz' });
    else if (seen.has(answer.questionId)) fields.push({ field: `answers.${i}.questionId`, message: 'Answered twice' });
    else {
      seen.add(answer.questionId);
      const score = scoreAnswer(question, answer.value);
      if (typeof score === 'string') fields.push({ field: `answers.${i}.value`, message: score });
      else answers.push({ questionId: answer.questionId, value: answer.value, score });
    }
  }
  for (const q of questions)
    if (!seen.has(q.id)) fields.push({ field: 'answers', message: `Question ${q.id} is not answered` });
  if (fields.length) throw invalid(fields);
  return answers;
}

const myAttempt = (ctx: AuthedContext, id: string) =>
  and(eq(quizAttempts.id, id), eq(quizAttempts.userId, ctx.actor.id));

/**
 * Submits the answers of one of the caller's attempts, once; scores them and finds the band.
 * Two round trips (the attempt, its quiz and questions; then the result and its audit event).
 * @throws AppError NOT_FOUND, CONFLICT (already submitted), VALIDATION_FAILED (nothing stored)
 */
export async function submitAttempt(ctx: AuthedContext, id: string, input: SubmitInput): Promise<AttemptView> {
  const quizOfAttempt = sql`(select ${quizAttempts.quizId} from ${quizAttempts} where ${myAttempt(ctx, id)})`;
  const [attempts, found, questions] = await ctx.db.batch([
    ctx.db.select().from(quizAttempts).where(myAttempt(ctx, id)),
    ctx.db.select().from(quizzes).where(eq(quizzes.id, quizOfAttempt)),
    questionsOf(ctx, quizOfAttempt),
  ]);
  const attempt = attempts[0];
  if (!attempt || !found[0]) throw notFound('Quiz attempt');
  if (attempt.submittedAt !== null) throw alreadySubmitted();
  const answers = scoreAnswers(
    questions.map((r) => r.question),
    input,
  );
  const score = answers.reduce((sum, a) => sum + a.score, 0);
  const band = found[0].bands.find((b) => score >= b.min && score <= b.max);
  const [updated] = await ctx.db.batch([
    ctx.db
      .update(quizAttempts)
      .set({
        answers,
        score,
        bandLabel: band?.label ?? null,
        bandAdvice: band?.advice ?? null,
        submittedAt: ctx.clock.now().getTime(),
      })
      .where(and(myAttempt(ctx, id), isNull(quizAttempts.submittedAt)))
      .returning(),
    auditInsert(
      ctx,
      { action: 'wellness.quiz.attempt.submit', resourceType: 'quiz_attempt', resourceId: id },
      { guard: { where: sql`changes() = 1` } },
    ),
  ]);
  if (!updated[0]) throw alreadySubmitted();
  return attemptView(updated[0] as QuizAttemptRow);
}

const alreadySubmitted = () => new AppError('CONFLICT', 'This attempt was already submitted: start a new one');

/** One of the caller's attempts with its result. One round trip. @throws AppError NOT_FOUND */
export async function getAttempt(ctx: AuthedContext, id: string): Promise<AttemptView> {
  const [row] = await ctx.db.select().from(quizAttempts).where(myAttempt(ctx, id));
  if (!row) throw notFound('Quiz attempt');
  return attemptView(row);
}

/** The caller's attempts at one quiz, newest first (any status of the quiz). One round trip. */
export function attemptHistory(ctx: AuthedContext, quizId: string, query: { page: number; limit: number }) {
  return paginate(ctx.db, quizAttempts, {
    where: and(eq(quizAttempts.userId, ctx.actor.id), eq(quizAttempts.quizId, quizId)),
    orderBy: [desc(quizAttempts.startedAt), desc(quizAttempts.id)],
    page: query.page,
    limit: query.limit,
    map: attemptView,
  });
}
