import { z } from '@hono/zod-openapi';
import { QUIZ_STATUSES } from '../../db/schema';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import {
  AdminQuizSchema,
  AttemptIdParam,
  AttemptSchema,
  CreateQuestionBody,
  QuestionListQuery,
  QuestionSchema,
  QuizBody,
  QuizIdParam,
  QuizListQuery,
  QuizSchema,
  QuizStatusBody,
  QuizSummarySchema,
  SubmitBody,
} from './quizzes.schemas';
import {
  attemptHistory,
  createQuestion,
  createQuiz,
  getAdminQuiz,
  getAttempt,
  getPublishedQuiz,
  listAdminQuizzes,
  listPublishedQuizzes,
  listQuestions,
  setQuizStatus,
  startAttempt,
  submitAttempt,
  updateQuiz,
} from './quizzes.service';

const BODY_LIMIT = 64 * 1024;
const tags = ['Quizzes'];
const noQuiz = errorOf('No such quiz (NOT_FOUND)');
const noPublishedQuiz = errorOf('No such published quiz (NOT_FOUND)');
const noAttempt = errorOf('No such attempt of mine (NOT_FOUND)');
const badQuiz = errorOf(
  'Invalid input, an unknown question, or bands that do not cover the score range (VALIDATION_FAILED)',
);

// ---- authoring (content managers)

const createQuestionRoute = defineRoute({
  method: 'post',
  path: '/admin/wellness/quiz-questions',
  operationId: 'admin.wellness.quizQuestions.create',
  tags,
  summary: 'Write a quiz question (content managers)',
  description:
    'Single and multiple choice questions have at least two options, each with a `value`, a `label` and a `score` (0–1000); a scale has `scaleMin` < `scaleMax` and scores its value; free text scores 0. Questions never change once written.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateQuestionBody) },
  responses: { 201: jsonResponse(QuestionSchema, 'Written') },
});

const listQuestionsRoute = defineRoute({
  method: 'get',
  path: '/admin/wellness/quiz-questions',
  operationId: 'admin.wellness.quizQuestions.list',
  tags,
  summary: 'Quiz questions, newest first (content managers)',
  request: { query: QuestionListQuery },
  responses: { 200: jsonResponse(pageOf(QuestionSchema), 'A page of questions') },
});

const createQuizRoute = defineRoute({
  method: 'post',
  path: '/admin/wellness/quizzes',
  operationId: 'admin.wellness.quizzes.create',
  tags,
  summary: 'Assemble a draft quiz (content managers)',
  description:
    'The bands, sorted by `min`, must cover every score from the lowest to the highest the questions can give, without gap or overlap (`scoreRange` in the answer).',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(QuizBody) },
  responses: { 201: jsonResponse(AdminQuizSchema, 'Created'), 422: badQuiz },
});

const listAdminQuizzesRoute = defineRoute({
  method: 'get',
  path: '/admin/wellness/quizzes',
  operationId: 'admin.wellness.quizzes.list',
  tags,
  summary: 'Quizzes of any status, newest first (content managers)',
  request: { query: PageQuery.extend({ status: z.enum(QUIZ_STATUSES).optional() }) },
  responses: { 200: jsonResponse(pageOf(QuizSummarySchema), 'A page of quizzes') },
});

const getAdminQuizRoute = defineRoute({
  method: 'get',
  path: '/admin/wellness/quizzes/{id}',
  operationId: 'admin.wellness.quizzes.get',
  tags,
  summary: 'A quiz of any status with its scoring (content managers)',
  request: { params: QuizIdParam },
  responses: { 200: jsonResponse(AdminQuizSchema, 'The quiz'), 404: noQuiz },
});

const updateQuizRoute = defineRoute({
  method: 'put',
  path: '/admin/wellness/quizzes/{id}',
  operationId: 'admin.wellness.quizzes.update',
  tags,
  summary: 'Replace a draft quiz (content managers)',
  description: 'Only a draft changes; a published quiz is fixed: archive it and make a new one.',
  bodyLimit: BODY_LIMIT,
  request: { params: QuizIdParam, body: jsonBody(QuizBody) },
  responses: {
    200: jsonResponse(AdminQuizSchema, 'Replaced'),
    404: noQuiz,
    409: errorOf('Published or archived (INVALID_TRANSITION)'),
    422: badQuiz,
  },
});

const quizStatusRoute = defineRoute({
  method: 'post',
  path: '/admin/wellness/quizzes/{id}/status',
  operationId: 'admin.wellness.quizzes.status',
  tags,
  summary: 'Publish a draft, or archive a quiz (content managers)',
  bodyLimit: BODY_LIMIT,
  request: { params: QuizIdParam, body: jsonBody(QuizStatusBody) },
  responses: {
    200: jsonResponse(AdminQuizSchema, 'Changed'),
    404: noQuiz,
    409: errorOf('Not a draft (publish) or already archived (INVALID_TRANSITION)'),
  },
});

// ---- taking quizzes (users)

const listQuizzesRoute = defineRoute({
  method: 'get',
  path: '/wellness/quizzes',
  operationId: 'wellness.quizzes.list',
  tags,
  summary: 'Published quizzes, newest first',
  request: { query: QuizListQuery },
  responses: { 200: jsonResponse(pageOf(QuizSummarySchema), 'A page of quizzes') },
});

const getQuizRoute = defineRoute({
  method: 'get',
  path: '/wellness/quizzes/{id}',
  operationId: 'wellness.quizzes.get',
  tags,
  summary: 'A published quiz with its questions and result bands',
  request: { params: QuizIdParam },
  responses: { 200: jsonResponse(QuizSchema, 'The quiz'), 404: noPublishedQuiz },
});

const startRoute = defineRoute({
  method: 'post',
  path: '/wellness/quizzes/{id}/attempts',
  operationId: 'wellness.quizzes.start',
  tags,
  summary: 'Start an attempt at a published quiz',
  request: { params: QuizIdParam },
  responses: { 201: jsonResponse(AttemptSchema, 'Started'), 404: noPublishedQuiz },
});

const historyRoute = defineRoute({
  method: 'get',
  path: '/wellness/quizzes/{id}/attempts',
  operationId: 'wellness.quizzes.history',
  tags,
  summary: 'My attempts at a quiz, newest first',
  request: { params: QuizIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(AttemptSchema), 'A page of attempts') },
});

const submitRoute = defineRoute({
  method: 'post',
  path: '/wellness/quiz-attempts/{id}/answers',
  operationId: 'wellness.quizAttempts.submit',
  tags,
  summary: 'Submit the answers of my attempt (once) and get the score and band',
  description:
    "Every question is answered once. The score is the sum of the answers: the chosen options' scores, the scale value, 0 for free text; the band is the one whose range holds it.",
  bodyLimit: BODY_LIMIT,
  request: { params: AttemptIdParam, body: jsonBody(SubmitBody) },
  responses: {
    200: jsonResponse(AttemptSchema, 'Scored'),
    404: noAttempt,
    409: errorOf('Already submitted (CONFLICT)'),
    422: errorOf(
      'An unknown question, a wrong option, a scale value out of range, a missing answer (VALIDATION_FAILED)',
    ),
  },
});

const getAttemptRoute = defineRoute({
  method: 'get',
  path: '/wellness/quiz-attempts/{id}',
  operationId: 'wellness.quizAttempts.get',
  tags,
  summary: 'One of my attempts with its result',
  request: { params: AttemptIdParam },
  responses: { 200: jsonResponse(AttemptSchema, 'The attempt'), 404: noAttempt },
});

export const quizzesRouter = createRouter()
  .openapi(createQuestionRoute, async (c) =>
    c.json(ok(await createQuestion(c.get('ctx'), c.req.valid('json')), 'Question written'), 201),
  )
  .openapi(listQuestionsRoute, async (c) => c.json(ok(await listQuestions(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(createQuizRoute, async (c) =>
    c.json(ok(await createQuiz(c.get('ctx'), c.req.valid('json')), 'Quiz created'), 201),
  )
  .openapi(listAdminQuizzesRoute, async (c) =>
    c.json(ok(await listAdminQuizzes(c.get('ctx'), c.req.valid('query'))), 200),
  )
  .openapi(getAdminQuizRoute, async (c) => c.json(ok(await getAdminQuiz(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(updateQuizRoute, async (c) =>
    c.json(ok(await updateQuiz(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Quiz updated'), 200),
  )
  .openapi(quizStatusRoute, async (c) =>
    c.json(ok(await setQuizStatus(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').status)), 200),
  )
  .openapi(listQuizzesRoute, async (c) =>
    c.json(ok(await listPublishedQuizzes(c.get('ctx'), c.req.valid('query'))), 200),
  )
  .openapi(getQuizRoute, async (c) => c.json(ok(await getPublishedQuiz(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(startRoute, async (c) =>
    c.json(ok(await startAttempt(c.get('ctx'), c.req.valid('param').id), 'Attempt started'), 201),
  )
  .openapi(historyRoute, async (c) =>
    c.json(ok(await attemptHistory(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(submitRoute, async (c) =>
    c.json(ok(await submitAttempt(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Answers scored'), 200),
  )
  .openapi(getAttemptRoute, async (c) => c.json(ok(await getAttempt(c.get('ctx'), c.req.valid('param').id)), 200));
