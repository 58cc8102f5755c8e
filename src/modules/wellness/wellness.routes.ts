import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { deleteFeedback, listFeedback, sendFeedback } from './feedback.service';
import {
  addProgress,
  createGoal,
  createGoalFromTemplate,
  createTemplate,
  deleteTemplate,
  endGoal,
  getGoal,
  listGoals,
  listTemplates,
} from './goals.service';
import { deleteScores, getScores, listScores, recordScores, scoreTrends } from './scores.service';
import {
  CreateGoalBody,
  CreateTemplateBody,
  FeedbackBody,
  FeedbackIdParam,
  FeedbackListQuery,
  FeedbackSchema,
  GoalDetailSchema,
  GoalFromTemplateBody,
  GoalIdParam,
  GoalListQuery,
  GoalSchema,
  GoalStatusBody,
  HealthScoreSchema,
  ProgressAddedSchema,
  ProgressBody,
  RecordScoresBody,
  ScoreDateParam,
  ScoreListQuery,
  TemplateIdParam,
  TemplateListQuery,
  TemplateSchema,
  TrendsQuery,
  TrendsSchema,
} from './wellness.schemas';

const BODY_LIMIT = 16 * 1024;
const scoreTags = ['Health scores'];
const goalTags = ['Goals'];
const feedbackTags = ['Feedback'];
const noScore = errorOf('No scores of mine on that date (NOT_FOUND)');
const noGoal = errorOf('No such goal of mine (NOT_FOUND)');
const badDate = errorOf('Invalid input, or a date after tomorrow (VALIDATION_FAILED)');

const Deleted = (name: string, example: Record<string, string>) =>
  z.object(Object.fromEntries(Object.keys(example).map((k) => [k, z.string()]))).openapi(name, { example });

const ScoreDeleted = Deleted('HealthScoreDeleted', { date: '2026-11-30' });
const IdDeleted = Deleted('WellnessDeleted', { id: 'fbk_01JF8ZS5X0V6M3A2Q9K1T7B4CE' });

// ---- health scores

const trendsRoute = defineRoute({
  method: 'get',
  path: '/wellness/scores/trends',
  operationId: 'wellness.scores.trends',
  tags: scoreTags,
  summary: 'Weekly and monthly averages of my scores over a date range, and their change',
  description:
    'Weeks run Monday to Sunday, months are calendar months; each period averages the dates recorded within `from`–`to` (at most 366 days). `change` is the last period minus the first, per category.',
  request: { query: TrendsQuery },
  responses: { 200: jsonResponse(TrendsSchema, 'Trends') },
});

const recordRoute = defineRoute({
  method: 'put',
  path: '/wellness/scores/{date}',
  operationId: 'wellness.scores.record',
  tags: scoreTags,
  summary: 'Record my scores for a local date (replaces that date)',
  description:
    '`overall` 0–100 is required; `sleep`, `activity`, `nutrition`, `mood`, `stress` 0–100 each optional. Recording the same date again replaces every value (omitted ones become null). Dates after tomorrow (UTC) are refused.',
  bodyLimit: BODY_LIMIT,
  request: { params: ScoreDateParam, body: jsonBody(RecordScoresBody) },
  responses: { 200: jsonResponse(HealthScoreSchema, 'Recorded'), 422: badDate },
});

const getScoreRoute = defineRoute({
  method: 'get',
  path: '/wellness/scores/{date}',
  operationId: 'wellness.scores.get',
  tags: scoreTags,
  summary: 'My scores of one date',
  request: { params: ScoreDateParam },
  responses: { 200: jsonResponse(HealthScoreSchema, 'The scores'), 404: noScore },
});

const listScoresRoute = defineRoute({
  method: 'get',
  path: '/wellness/scores',
  operationId: 'wellness.scores.list',
  tags: scoreTags,
  summary: 'My recorded dates, newest first',
  request: { query: ScoreListQuery },
  responses: { 200: jsonResponse(pageOf(HealthScoreSchema), 'A page of scores') },
});

const deleteScoreRoute = defineRoute({
  method: 'delete',
  path: '/wellness/scores/{date}',
  operationId: 'wellness.scores.delete',
  tags: scoreTags,
  summary: 'Delete my scores of one date',
  request: { params: ScoreDateParam },
  responses: { 200: jsonResponse(ScoreDeleted, 'Deleted'), 404: noScore },
});

// ---- goals

const createGoalRoute = defineRoute({
  method: 'post',
  path: '/wellness/goals',
  operationId: 'wellness.goals.create',
  tags: goalTags,
  summary: 'Set myself a goal',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateGoalBody) },
  responses: { 201: jsonResponse(GoalSchema, 'Created') },
});

const listGoalsRoute = defineRoute({
  method: 'get',
  path: '/wellness/goals',
  operationId: 'wellness.goals.list',
  tags: goalTags,
  summary: 'My goals, newest first (filter by status for the history of ended ones)',
  request: { query: GoalListQuery },
  responses: { 200: jsonResponse(pageOf(GoalSchema), 'A page of goals') },
});

const getGoalRoute = defineRoute({
  method: 'get',
  path: '/wellness/goals/{id}',
  operationId: 'wellness.goals.get',
  tags: goalTags,
  summary: 'One of my goals with its progress entries',
  request: { params: GoalIdParam },
  responses: { 200: jsonResponse(GoalDetailSchema, 'The goal'), 404: noGoal },
});

const progressRoute = defineRoute({
  method: 'post',
  path: '/wellness/goals/{id}/progress',
  operationId: 'wellness.goals.progress',
  tags: goalTags,
  summary: 'Add progress to my active goal',
  description:
    "`value` is added to the goal's `progress`; when the progress reaches `targetValue` the goal becomes `achieved` in the same write.",
  bodyLimit: BODY_LIMIT,
  request: { params: GoalIdParam, body: jsonBody(ProgressBody) },
  responses: {
    201: jsonResponse(ProgressAddedSchema, 'Progress added'),
    404: noGoal,
    409: errorOf('The goal is achieved or abandoned (INVALID_TRANSITION)'),
    422: badDate,
  },
});

const statusRoute = defineRoute({
  method: 'post',
  path: '/wellness/goals/{id}/status',
  operationId: 'wellness.goals.status',
  tags: goalTags,
  summary: 'Mark my active goal achieved or abandoned',
  bodyLimit: BODY_LIMIT,
  request: { params: GoalIdParam, body: jsonBody(GoalStatusBody) },
  responses: {
    200: jsonResponse(GoalSchema, 'Changed'),
    404: noGoal,
    409: errorOf('Already achieved or abandoned (INVALID_TRANSITION)'),
  },
});

const listTemplatesRoute = defineRoute({
  method: 'get',
  path: '/wellness/goal-templates',
  operationId: 'wellness.goalTemplates.list',
  tags: goalTags,
  summary: 'Goal templates proposed by the content managers',
  request: { query: TemplateListQuery },
  responses: { 200: jsonResponse(pageOf(TemplateSchema), 'A page of templates') },
});

const fromTemplateRoute = defineRoute({
  method: 'post',
  path: '/wellness/goal-templates/{id}/goals',
  operationId: 'wellness.goalTemplates.use',
  tags: goalTags,
  summary: 'Set myself a goal from a template',
  description:
    "Title, category, unit and horizon come from the template; the target is the template's suggestion unless given.",
  bodyLimit: BODY_LIMIT,
  request: { params: TemplateIdParam, body: jsonBody(GoalFromTemplateBody) },
  responses: { 201: jsonResponse(GoalSchema, 'Created'), 404: errorOf('No such template (NOT_FOUND)') },
});

const createTemplateRoute = defineRoute({
  method: 'post',
  path: '/admin/wellness/goal-templates',
  operationId: 'admin.wellness.goalTemplates.create',
  tags: goalTags,
  summary: 'Propose a goal template (content managers)',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateTemplateBody) },
  responses: { 201: jsonResponse(TemplateSchema, 'Created') },
});

const deleteTemplateRoute = defineRoute({
  method: 'delete',
  path: '/admin/wellness/goal-templates/{id}',
  operationId: 'admin.wellness.goalTemplates.delete',
  tags: goalTags,
  summary: 'Withdraw a goal template (goals made from it stay)',
  request: { params: TemplateIdParam },
  responses: { 200: jsonResponse(IdDeleted, 'Deleted'), 404: errorOf('No such template (NOT_FOUND)') },
});

// ---- feedback

const sendFeedbackRoute = defineRoute({
  method: 'post',
  path: '/wellness/feedback',
  operationId: 'wellness.feedback.create',
  tags: feedbackTags,
  summary: 'Send feedback on the service',
  description: '`rating` 1–5, `category` (app, appointments, doctors, billing, other), `text` up to 2000 characters.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(FeedbackBody) },
  responses: { 201: jsonResponse(FeedbackSchema, 'Sent') },
});

const listFeedbackRoute = defineRoute({
  method: 'get',
  path: '/admin/wellness/feedback',
  operationId: 'admin.wellness.feedback.list',
  tags: feedbackTags,
  summary: "Users' feedback, newest first, by category, rating range and date range",
  request: { query: FeedbackListQuery },
  responses: { 200: jsonResponse(pageOf(FeedbackSchema), 'A page of feedback') },
});

const deleteFeedbackRoute = defineRoute({
  method: 'delete',
  path: '/admin/wellness/feedback/{id}',
  operationId: 'admin.wellness.feedback.delete',
  tags: feedbackTags,
  summary: 'Delete a feedback (audited)',
  request: { params: FeedbackIdParam },
  responses: { 200: jsonResponse(IdDeleted, 'Deleted'), 404: errorOf('No such feedback (NOT_FOUND)') },
});

export const wellnessRouter = createRouter()
  .openapi(trendsRoute, async (c) => c.json(ok(await scoreTrends(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(recordRoute, async (c) =>
    c.json(
      ok(await recordScores(c.get('ctx'), c.req.valid('param').date, c.req.valid('json')), 'Scores recorded'),
      200,
    ),
  )
  .openapi(getScoreRoute, async (c) => c.json(ok(await getScores(c.get('ctx'), c.req.valid('param').date)), 200))
  .openapi(listScoresRoute, async (c) => c.json(ok(await listScores(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(deleteScoreRoute, async (c) => {
    const { date } = c.req.valid('param');
    await deleteScores(c.get('ctx'), date);
    return c.json(ok({ date }, 'Scores deleted'), 200);
  })
  .openapi(createGoalRoute, async (c) =>
    c.json(ok(await createGoal(c.get('ctx'), c.req.valid('json')), 'Goal created'), 201),
  )
  .openapi(listGoalsRoute, async (c) => c.json(ok(await listGoals(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getGoalRoute, async (c) => c.json(ok(await getGoal(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(progressRoute, async (c) =>
    c.json(ok(await addProgress(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Progress added'), 201),
  )
  .openapi(statusRoute, async (c) =>
    c.json(ok(await endGoal(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').status)), 200),
  )
  .openapi(listTemplatesRoute, async (c) => c.json(ok(await listTemplates(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(fromTemplateRoute, async (c) =>
    c.json(
      ok(await createGoalFromTemplate(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Goal created'),
      201,
    ),
  )
  .openapi(createTemplateRoute, async (c) =>
    c.json(ok(await createTemplate(c.get('ctx'), c.req.valid('json')), 'Template created'), 201),
  )
  .openapi(deleteTemplateRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteTemplate(c.get('ctx'), id);
    return c.json(ok({ id }, 'Template deleted'), 200);
  })
  .openapi(sendFeedbackRoute, async (c) =>
    c.json(ok(await sendFeedback(c.get('ctx'), c.req.valid('json')), 'Thank you for your feedback'), 201),
  )
  .openapi(listFeedbackRoute, async (c) => c.json(ok(await listFeedback(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(deleteFeedbackRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteFeedback(c.get('ctx'), id);
    return c.json(ok({ id }, 'Feedback deleted'), 200);
  });
