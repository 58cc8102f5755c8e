import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { skipDose, takeDose } from './dose-marks.service';
import { doseHistory, listDoses } from './dose-reads.service';
import {
  DOSE_GRACE_MS,
  DOSE_TIMING_RULES,
  GENERATION_HORIZON_DAYS,
  MAX_GENERATION_AHEAD_DAYS,
  MAX_HISTORY_DAYS,
  MAX_LIST_DAYS,
} from './doses.service';
import {
  DoseHistoryQuery,
  DoseHistorySchema,
  DoseIdParam,
  DoseListSchema,
  DoseSchema,
  ListDosesQuery,
  SkipDoseBody,
  TakeDoseBody,
} from './schedules.schemas';

const BODY_LIMIT = 16 * 1024;
const tags = ['Doses'];
const notFound = errorOf('No such dose of mine (NOT_FOUND)');
const noDependent = errorOf('No such dependent of mine (NOT_FOUND)');
const PERSON_RULE =
  '`person`: only the doses of my own schedules (`self`) or of one dependent’s (doses of deleted schedules are nobody’s); a dependent that is not mine is NOT_FOUND.';
const graceHours = DOSE_GRACE_MS / 3600_000;

const listRoute = defineRoute({
  method: 'get',
  path: '/doses',
  operationId: 'doses.list',
  tags,
  summary: 'My doses on a day (default today) or a range of days, by due time',
  description: `\`date\`, or \`from\` and \`to\` (at most ${MAX_LIST_DAYS} days), are local dates in \`tz\` (default: my profile time zone, else UTC); a dose is listed when it falls due within them. Each dose carries its schedule's name, kind and quantity, and its status as of now: a pending dose past its ${graceHours}-hour grace is \`missed\`. Reading stores nothing. Beyond the stored ${GENERATION_HORIZON_DAYS}-day horizon, up to ${MAX_GENERATION_AHEAD_DAYS} days ahead, upcoming doses are computed from their schedule and listed as pending under the id they keep once stored, so they can be marked like any other (marking stores them). ${PERSON_RULE} ${DOSE_TIMING_RULES}`,
  request: { query: ListDosesQuery },
  responses: { 200: jsonResponse(DoseListSchema, 'A page of doses'), 404: noDependent },
});

const historyRoute = defineRoute({
  method: 'get',
  path: '/doses/history',
  operationId: 'doses.history',
  tags,
  summary: 'My dose history with adherence',
  description: `Doses due on local dates \`from\`…\`to\` (in \`tz\`; default the 30 days up to today; at most ${MAX_HISTORY_DAYS} days) and up to now, newest first, including doses of deleted schedules, each with its status as of now. Reading stores nothing. \`summary\` counts the whole range: adherencePercent = taken ÷ (taken + missed + skipped) × 100, one decimal; pending doses (still within the ${graceHours}-hour grace period) do not count; null when nothing in the range was taken, missed or skipped. ${PERSON_RULE}`,
  request: { query: DoseHistoryQuery },
  responses: {
    200: jsonResponse(DoseHistorySchema, 'A page of past doses with the adherence summary'),
    404: noDependent,
  },
});

const takeRoute = defineRoute({
  method: 'post',
  path: '/doses/{id}/take',
  operationId: 'doses.take',
  tags,
  summary: 'Mark one of my doses taken',
  description: `Pending and missed doses can be marked taken (also of a paused or deleted schedule, and a dose listed beyond the stored horizon, which is stored first). \`takenAt\` defaults to now; it must not be in the future nor more than 24 hours before the dose is due (422). The body is optional.`,
  bodyLimit: BODY_LIMIT,
  request: { params: DoseIdParam, body: { ...jsonBody(TakeDoseBody), required: false } },
  responses: {
    200: jsonResponse(DoseSchema, 'Taken'),
    404: notFound,
    409: errorOf('Already taken, or skipped (INVALID_TRANSITION)'),
  },
});

const skipRoute = defineRoute({
  method: 'post',
  path: '/doses/{id}/skip',
  operationId: 'doses.skip',
  tags,
  summary: 'Mark one of my doses skipped',
  description:
    'Only a pending dose can be skipped, from 24 hours before it is due (409 INVALID_TRANSITION otherwise); a dose listed beyond the stored horizon is stored first. The body is optional.',
  bodyLimit: BODY_LIMIT,
  request: { params: DoseIdParam, body: { ...jsonBody(SkipDoseBody), required: false } },
  responses: {
    200: jsonResponse(DoseSchema, 'Skipped'),
    404: notFound,
    409: errorOf('Not pending, or not due within 24 hours (INVALID_TRANSITION)'),
  },
});

export const dosesRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listDoses(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(historyRoute, async (c) => c.json(ok(await doseHistory(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(takeRoute, async (c) =>
    c.json(ok(await takeDose(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Dose taken'), 200),
  )
  .openapi(skipRoute, async (c) =>
    c.json(ok(await skipDose(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Dose skipped'), 200),
  );
