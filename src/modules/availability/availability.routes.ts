import { onReplica } from '../../context';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import {
  AvailabilitySchema,
  DoctorIdParam,
  SetUnavailabilityBody,
  SlotsQuery,
  SlotsSchema,
  SpecialHoursListQuery,
  SpecialHoursSchema,
  TimeOffSchema,
  UpdateAvailabilityBody,
} from './availability.schemas';
import {
  clearUnavailability,
  getAvailability,
  listSpecialHours,
  listTimeOff,
  setUnavailability,
  updateAvailability,
} from './availability.service';
import { freeSlots } from './free-slots.service';
import { MAX_SLOT_RANGE_DAYS } from './slots';

const BODY_LIMIT = 64 * 1024;
const tags = ['Doctor availability'];
const notFound = errorOf('No such doctor, or another doctor’s practice (NOT_FOUND)');
const conflict = errorOf('The doctor account is blocked or removed (CONFLICT)');

const getAvailabilityRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/availability',
  operationId: 'doctors.availability.get',
  tags,
  summary: 'A doctor’s booking rules and weekly hours',
  request: { params: DoctorIdParam },
  responses: { 200: jsonResponse(AvailabilitySchema, 'The rules'), 404: notFound },
});

const updateAvailabilityRoute = defineRoute({
  method: 'put',
  path: '/doctors/{id}/availability',
  operationId: 'doctors.availability.update',
  tags,
  summary: 'Replace a doctor’s booking rules and weekly hours',
  description:
    'Weekly hours are local `HH:MM` on 5-minute marks in `timeZone` (IANA), weekday 1 = Monday … 7 = Sunday; ' +
    'intervals on one weekday must not overlap (422). The whole set is replaced.',
  bodyLimit: BODY_LIMIT,
  request: { params: DoctorIdParam, body: jsonBody(UpdateAvailabilityBody) },
  responses: { 200: jsonResponse(AvailabilitySchema, 'Saved'), 404: notFound, 409: conflict },
});

const listTimeOffRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/time-off',
  operationId: 'doctors.timeOff.list',
  tags,
  summary: 'A doctor’s time off, upcoming first',
  request: { params: DoctorIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(TimeOffSchema), 'A page of time off'), 404: notFound },
});

const listSpecialHoursRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/special-hours',
  operationId: 'doctors.specialHours.list',
  tags,
  summary: 'A doctor’s special hours, by date',
  description:
    'Dates whose hours replace the weekly hours (set with PUT /doctors/{id}/special-hours/{date}), earliest first; ' +
    '`from` and `to` (local dates, inclusive) narrow the list.',
  request: { params: DoctorIdParam, query: SpecialHoursListQuery },
  responses: { 200: jsonResponse(pageOf(SpecialHoursSchema), 'A page of special hours'), 404: notFound },
});

const setUnavailabilityRoute = defineRoute({
  method: 'put',
  path: '/doctors/{id}/unavailability',
  operationId: 'doctors.unavailability.set',
  tags,
  summary: 'Emergency unavailability: no new bookings starting before `until`',
  description:
    'Takes effect at once and only stops new bookings: existing appointments are not touched (to take the time of ' +
    'the bookings too, add time off of kind `emergency`). `until` must be in the future.',
  bodyLimit: BODY_LIMIT,
  request: { params: DoctorIdParam, body: jsonBody(SetUnavailabilityBody) },
  responses: { 200: jsonResponse(AvailabilitySchema, 'Set'), 404: notFound, 409: conflict },
});

const clearUnavailabilityRoute = defineRoute({
  method: 'delete',
  path: '/doctors/{id}/unavailability',
  operationId: 'doctors.unavailability.clear',
  tags,
  summary: 'End emergency unavailability',
  request: { params: DoctorIdParam },
  responses: { 200: jsonResponse(AvailabilitySchema, 'Cleared'), 404: notFound },
});

const slotsRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/slots',
  operationId: 'doctors.slots',
  tags,
  summary: 'Free appointment slots of a doctor for one service',
  description:
    `\`date\`, or \`from\` and \`to\` (inclusive, at most ${MAX_SLOT_RANGE_DAYS} days), are local dates in the ` +
    'doctor’s zone. Slots respect weekly hours (replaced by special hours on the dates that have them), the slot grid, buffer, minimum notice, booking horizon, time off, ' +
    'emergency unavailability and existing bookings and holds.',
  request: { params: DoctorIdParam, query: SlotsQuery },
  responses: {
    200: jsonResponse(SlotsSchema, 'Free slots'),
    404: errorOf('No such bookable doctor, or no such active service of theirs (NOT_FOUND)'),
  },
});

export const availabilityRouter = createRouter()
  .openapi(getAvailabilityRoute, async (c) =>
    c.json(ok(await getAvailability(c.get('ctx'), c.req.valid('param').id)), 200),
  )
  .openapi(updateAvailabilityRoute, async (c) => {
    const view = await updateAvailability(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Availability saved'), 200);
  })
  .openapi(listTimeOffRoute, async (c) =>
    c.json(ok(await listTimeOff(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(listSpecialHoursRoute, async (c) =>
    c.json(ok(await listSpecialHours(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(setUnavailabilityRoute, async (c) => {
    const view = await setUnavailability(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Unavailability set'), 200);
  })
  .openapi(clearUnavailabilityRoute, async (c) =>
    c.json(ok(await clearUnavailability(c.get('ctx'), c.req.valid('param').id), 'Unavailability cleared'), 200),
  )
  .openapi(slotsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const from = query.date ?? query.from!;
    const to = query.date ?? query.to!;
    return c.json(ok(await freeSlots(onReplica(c.get('ctx')), id, query.serviceId, from, to)), 200);
  });
