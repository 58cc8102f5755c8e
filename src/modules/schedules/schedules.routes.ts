import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DOSE_TIMING_RULES } from './doses.service';
import {
  CreateScheduleBody,
  ListSchedulesQuery,
  ScheduleIdParam,
  ScheduleSchema,
  UpdateScheduleBody,
} from './schedules.schemas';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  updateSchedule,
} from './schedules.service';

const BODY_LIMIT = 64 * 1024;
const tags = ['Schedules'];
const notFound = errorOf('No such schedule of mine (NOT_FOUND)');
const noDependent = errorOf('No such dependent of mine (NOT_FOUND)');

const listRoute = defineRoute({
  method: 'get',
  path: '/schedules',
  operationId: 'schedules.list',
  tags,
  summary: 'My supplement and medicine schedules, newest first',
  description: '`person`: only mine (`self`) or one dependent’s; a dependent that is not mine is NOT_FOUND.',
  request: { query: ListSchedulesQuery },
  responses: { 200: jsonResponse(pageOf(ScheduleSchema), 'A page of schedules'), 404: noDependent },
});

const createScheduleRoute = defineRoute({
  method: 'post',
  path: '/schedules',
  operationId: 'schedules.create',
  tags,
  summary: 'Create a supplement or medicine schedule',
  description: `Unknown fields (e.g. \`ownerId\`, \`status\`) and a \`supplementId\` not in the catalog are refused with 422. A \`dependentId\` that is not one of my dependents is NOT_FOUND and nothing is stored. ${DOSE_TIMING_RULES}`,
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateScheduleBody) },
  responses: { 201: jsonResponse(ScheduleSchema, 'Created, with its doses'), 404: noDependent },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/schedules/{id}',
  operationId: 'schedules.get',
  tags,
  summary: 'One of my schedules',
  request: { params: ScheduleIdParam },
  responses: { 200: jsonResponse(ScheduleSchema, 'The schedule'), 404: notFound },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/schedules/{id}',
  operationId: 'schedules.update',
  tags,
  summary: 'Change some fields of one of my schedules',
  description: `Changing \`timesOfDay\`, \`timeZone\`, \`recurrence\`, \`startDate\` or \`endDate\` deletes the future pending doses and generates new ones; past doses and doses already marked are kept. A new time zone keeps the same wall-clock times. ${DOSE_TIMING_RULES}`,
  bodyLimit: BODY_LIMIT,
  request: { params: ScheduleIdParam, body: jsonBody(UpdateScheduleBody) },
  responses: { 200: jsonResponse(ScheduleSchema, 'Updated'), 404: notFound },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/schedules/{id}',
  operationId: 'schedules.delete',
  tags,
  summary: 'Delete one of my schedules',
  description:
    'Removes the schedule and its pending doses due in the future. Doses already due (taken, skipped, missed, or pending and still within the grace period) are kept for history and adherence; they show `schedule: null` afterwards.',
  request: { params: ScheduleIdParam },
  responses: {
    200: jsonResponse(
      z.object({ id: z.string() }).openapi('DeletedSchedule', { example: { id: 'sch_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } }),
      'Deleted',
    ),
    404: notFound,
  },
});

const pauseRoute = defineRoute({
  method: 'post',
  path: '/schedules/{id}/pause',
  operationId: 'schedules.pause',
  tags,
  summary: 'Pause one of my schedules',
  description:
    'Removes its pending doses due in the future; no doses are generated while paused. Doses already due can still be marked.',
  request: { params: ScheduleIdParam },
  responses: {
    200: jsonResponse(ScheduleSchema, 'Paused'),
    404: notFound,
    409: errorOf('Already paused (INVALID_TRANSITION)'),
  },
});

const resumeRoute = defineRoute({
  method: 'post',
  path: '/schedules/{id}/resume',
  operationId: 'schedules.resume',
  tags,
  summary: 'Resume one of my paused schedules',
  description: `Generates doses again from now on; nothing is generated for the paused time. ${DOSE_TIMING_RULES}`,
  request: { params: ScheduleIdParam },
  responses: {
    200: jsonResponse(ScheduleSchema, 'Resumed'),
    404: notFound,
    409: errorOf('Not paused (INVALID_TRANSITION)'),
  },
});

export const schedulesRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listSchedules(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(createScheduleRoute, async (c) =>
    c.json(ok(await createSchedule(c.get('ctx'), c.req.valid('json')), 'Schedule created'), 201),
  )
  .openapi(getRoute, async (c) => c.json(ok(await getSchedule(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(updateRoute, async (c) => {
    const schedule = await updateSchedule(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(schedule, 'Schedule updated'), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteSchedule(c.get('ctx'), id);
    return c.json(ok({ id }, 'Schedule deleted'), 200);
  })
  .openapi(pauseRoute, async (c) =>
    c.json(ok(await pauseSchedule(c.get('ctx'), c.req.valid('param').id), 'Schedule paused'), 200),
  )
  .openapi(resumeRoute, async (c) =>
    c.json(ok(await resumeSchedule(c.get('ctx'), c.req.valid('param').id), 'Schedule resumed'), 200),
  );
