import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { EARLIEST_DATE, LATEST_DATE } from './vaccinations.policy';
import {
  AdministerBody,
  CreatedVaccineSchedulesSchema,
  CreateVaccineScheduleBody,
  DeletedVaccineScheduleSchema,
  PlanSwitchBody,
  type PlanSwitchInput,
  PlanSwitchResultSchema,
  UpdateVaccineScheduleBody,
  VaccineScheduleIdParam,
  VaccineScheduleQuery,
  VaccineScheduleSchema,
} from './vaccinations.schemas';
import {
  administerSchedule,
  createSchedules,
  deleteSchedule,
  getSchedule,
  listSchedules,
  switchSchedule,
  updateSchedule,
} from './vaccinations.service';

const BODY_LIMIT = 16 * 1024;
const PATH = '/vaccine-schedules';
const tags = ['Vaccinations'];
const notFound = errorOf('No such vaccine schedule of mine (NOT_FOUND)');
const DATES = `Dates are YYYY-MM-DD between ${EARLIEST_DATE} and ${LATEST_DATE}.`;

const listRoute = defineRoute({
  method: 'get',
  path: PATH,
  operationId: 'vaccineSchedules.list',
  tags,
  summary: 'My vaccine doses and my dependents’, soonest due first',
  description:
    '`from`/`to` bound the due date (inclusive). `person` is `self` or one of my dependent ids (another account’s dependent: 404).',
  request: { query: VaccineScheduleQuery },
  responses: {
    200: jsonResponse(pageOf(VaccineScheduleSchema), 'A page of vaccine doses'),
    404: errorOf('`person` is not one of my dependents (NOT_FOUND)'),
  },
});

const createScheduleRoute = defineRoute({
  method: 'post',
  path: PATH,
  operationId: 'vaccineSchedules.create',
  tags,
  summary: 'Schedule a vaccine dose, or the whole series, for me or a dependent',
  description: [
    'One dose: `{ vaccineId, dependentId?, doseNumber, dueDate }` (doseNumber from 1 to the vaccine’s `dosesInSeries`).',
    'The plan: `{ vaccineId, dependentId?, firstDueDate, series: true }` creates doses 1…dosesInSeries, each `intervalDays` after the previous one, all or none.',
    `No \`dependentId\` means for me. Past due dates are allowed (catch-up records) but not before the person's birth. ${DATES}`,
    'An age outside the vaccine’s range at the due date does not block: `warnings` says `below minimum age` or `above maximum age`.',
  ].join('\n\n'),
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateVaccineScheduleBody) },
  responses: {
    201: jsonResponse(CreatedVaccineSchedulesSchema, 'Scheduled'),
    404: errorOf('Unknown vaccine, or not my dependent (NOT_FOUND)'),
    409: errorOf('A dose of the series is already scheduled for this person (CONFLICT)'),
  },
});

const getRoute = defineRoute({
  method: 'get',
  path: `${PATH}/{id}`,
  operationId: 'vaccineSchedules.get',
  tags,
  summary: 'One of my vaccine doses',
  request: { params: VaccineScheduleIdParam },
  responses: { 200: jsonResponse(VaccineScheduleSchema, 'The dose'), 404: notFound },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: `${PATH}/{id}`,
  operationId: 'vaccineSchedules.update',
  tags,
  summary: 'Move the due date or change the notes of a scheduled dose',
  description: `Only \`dueDate\` and \`notes\` (\`null\` clears); other fields are refused (422). ${DATES}`,
  bodyLimit: BODY_LIMIT,
  request: { params: VaccineScheduleIdParam, body: jsonBody(UpdateVaccineScheduleBody) },
  responses: {
    200: jsonResponse(VaccineScheduleSchema, 'Updated'),
    404: notFound,
    409: errorOf('Administered or cancelled (INVALID_TRANSITION)'),
  },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: `${PATH}/{id}`,
  operationId: 'vaccineSchedules.delete',
  tags,
  summary: 'Remove a dose that was not administered',
  request: { params: VaccineScheduleIdParam },
  responses: {
    200: jsonResponse(DeletedVaccineScheduleSchema, 'Removed'),
    404: notFound,
    409: errorOf('Administered: part of the vaccination history (INVALID_TRANSITION)'),
  },
});

const administerRoute = defineRoute({
  method: 'post',
  path: `${PATH}/{id}/administer`,
  operationId: 'vaccineSchedules.administer',
  tags,
  summary: 'Record that a scheduled dose was given',
  description: `\`administeredOn\` must not be in the future nor before the person's birth. ${DATES}`,
  bodyLimit: BODY_LIMIT,
  request: { params: VaccineScheduleIdParam, body: jsonBody(AdministerBody) },
  responses: {
    200: jsonResponse(VaccineScheduleSchema, 'Administered'),
    404: notFound,
    409: errorOf('Already administered, or cancelled (INVALID_TRANSITION)'),
  },
});

const SWITCH_DESCRIPTION =
  'No body, or `{ "plan": false }`: this dose only. `{ "plan": true }`: every dose of the same person and vaccine that is not administered. Doses already in that state are left as they are (200, `changed: 0`).';

const switchRoute = (active: boolean) =>
  defineRoute({
    method: 'post',
    path: `${PATH}/{id}/${active ? 'activate' : 'deactivate'}`,
    operationId: active ? 'vaccineSchedules.activate' : 'vaccineSchedules.deactivate',
    tags,
    summary: active ? 'Switch a dose, or its whole plan, back on' : 'Switch a dose, or its whole plan, off',
    description: SWITCH_DESCRIPTION,
    bodyLimit: BODY_LIMIT,
    request: { params: VaccineScheduleIdParam, body: { ...jsonBody(PlanSwitchBody), required: false } },
    responses: {
      200: jsonResponse(PlanSwitchResultSchema, active ? 'Active' : 'Inactive'),
      404: notFound,
      409: errorOf('A single administered dose (INVALID_TRANSITION)'),
    },
  });

const activateRoute = switchRoute(true);
const deactivateRoute = switchRoute(false);

export const vaccinationsRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listSchedules(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(createScheduleRoute, async (c) => {
    const created = await createSchedules(c.get('ctx'), c.req.valid('json'));
    return c.json(ok(created, created.items.length > 1 ? 'Vaccine series scheduled' : 'Vaccine dose scheduled'), 201);
  })
  .openapi(getRoute, async (c) => c.json(ok(await getSchedule(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(updateRoute, async (c) => {
    const schedule = await updateSchedule(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(schedule, 'Vaccine dose updated'), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteSchedule(c.get('ctx'), id);
    return c.json(ok({ id }, 'Vaccine dose removed'), 200);
  })
  .openapi(administerRoute, async (c) => {
    const schedule = await administerSchedule(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(schedule, 'Vaccine dose administered'), 200);
  })
  .openapi(activateRoute, async (c) => {
    const body = c.req.valid('json') as PlanSwitchInput | undefined;
    const result = await switchSchedule(c.get('ctx'), c.req.valid('param').id, true, body);
    return c.json(ok(result, 'Vaccine schedule active'), 200);
  })
  .openapi(deactivateRoute, async (c) => {
    const body = c.req.valid('json') as PlanSwitchInput | undefined;
    const result = await switchSchedule(c.get('ctx'), c.req.valid('param').id, false, body);
    return c.json(ok(result, 'Vaccine schedule inactive'), 200);
  });
