import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppointmentSchema } from '../appointments/appointments.schemas';
import {
  CreateTimeOffBody,
  DoctorIdParam,
  SetSpecialHoursBody,
  SpecialHoursDateParam,
  TimeOffIdParam,
} from '../availability/availability.schemas';
import {
  DeletedSpecialHoursSchema,
  DeletedTimeOffSchema,
  SpecialHoursChangeSchema,
  TimeOffCreatedSchema,
} from './schedule-changes.schemas';
import { deleteSpecialHours, setSpecialHours } from './special-hours.service';
import { createTimeOff, deleteTimeOff, timeOffAffected } from './time-off.service';

/**
 * Changes of a doctor's schedule that reach their existing bookings (time off, special hours): they
 * compose the availability module (the schedule) and the appointments module (the bookings), so they
 * live above both. The time-off list stays with the availability module, which reads nothing else.
 */

const BODY_LIMIT = 64 * 1024;
const tags = ['Doctor availability'];
const notFound = errorOf('No such doctor, or another doctor’s practice (NOT_FOUND)');
const conflict = errorOf('The doctor account is blocked or removed (CONFLICT)');
const noTimeOff = errorOf('No such doctor, another doctor’s practice, or no such time off of theirs (NOT_FOUND)');

/** What a schedule change does to the bookings it takes, for the route descriptions. */
const TAKES =
  'The pending or confirmed appointments, not yet over, whose time it takes are marked `needsRebooking` (the ' +
  'status stays; `affectedBy` names the change), get a `needs-rebooking` history event, and their patients are ' +
  'pushed `appointment:updated` after the response; they then rebook (GET /appointments/{id}/rebooking-options, ' +
  'POST /appointments/{id}/rebook) or cancel with a full refund due. The answer lists them in `affected` (with ' +
  'those an earlier change marked already).';

const createTimeOffRoute = defineRoute({
  method: 'post',
  path: '/doctors/{id}/time-off',
  operationId: 'doctors.timeOff.create',
  tags,
  summary: 'Add time off: a vacation, an emergency, a holiday or other time off',
  description:
    'Either whole local days (`startDate`, optional `endDate`, midnight to midnight in the doctor’s zone) or ' +
    'a partial day (`startsAt`, `endsAt` as ISO instants); an `emergency` may leave `startsAt` out to start now ' +
    `(its \`endsAt\` must then be after now, else 422). ${TAKES}`,
  bodyLimit: BODY_LIMIT,
  request: { params: DoctorIdParam, body: jsonBody(CreateTimeOffBody) },
  responses: { 201: jsonResponse(TimeOffCreatedSchema, 'Added'), 404: notFound, 409: conflict },
});

const deleteTimeOffRoute = defineRoute({
  method: 'delete',
  path: '/doctors/{id}/time-off/{timeOffId}',
  operationId: 'doctors.timeOff.delete',
  tags,
  summary: 'Remove time off',
  description:
    'The appointments it marked that still wait to be rebooked keep their time and wait no more (`restored`, ' +
    'a `rebooking-cleared` history event, their patients pushed), unless other time off or special hours still ' +
    'take their time: then they wait on that. Appointments already rebooked or cancelled stay as they are.',
  request: { params: TimeOffIdParam },
  responses: { 200: jsonResponse(DeletedTimeOffSchema, 'Removed'), 404: noTimeOff },
});

const timeOffAffectedRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/time-off/{timeOffId}/affected',
  operationId: 'doctors.timeOff.affected',
  tags,
  summary: 'The appointments a time off took the time of',
  description:
    'Every appointment this time off marked for rebooking, whatever became of it since: `needsRebooking` true while ' +
    'it still waits, otherwise rebooked (its new time) or cancelled; soonest first. The read is audited. Front-desk ' +
    'staff find every waiting appointment with GET /staff/appointments?needsRebooking=true.',
  request: { params: TimeOffIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(AppointmentSchema), 'A page of appointments'), 404: noTimeOff },
});

const setSpecialHoursRoute = defineRoute({
  method: 'put',
  path: '/doctors/{id}/special-hours/{date}',
  operationId: 'doctors.specialHours.set',
  tags,
  summary: 'Set one-off hours on a date (or close it)',
  description:
    'Replaces the weekly hours of one local date in the doctor’s zone: `hours` (local `HH:MM` on 5-minute marks, ' +
    'in order, not overlapping; `24:00` ends at midnight) or `closed: true`. Setting a date again replaces its ' +
    'hours. Time off still applies on top. The date runs from the doctor’s today up to a year ahead (else 422). ' +
    `Bookings the new hours leave outside that date's hours: ${TAKES} Appointments the date's earlier hours marked ` +
    'that fit the new ones are `restored` (they keep their time and wait no more).',
  bodyLimit: BODY_LIMIT,
  request: { params: SpecialHoursDateParam, body: jsonBody(SetSpecialHoursBody) },
  responses: {
    200: jsonResponse(SpecialHoursChangeSchema, 'Set'),
    404: notFound,
    409: conflict,
  },
});

const deleteSpecialHoursRoute = defineRoute({
  method: 'delete',
  path: '/doctors/{id}/special-hours/{date}',
  operationId: 'doctors.specialHours.delete',
  tags,
  summary: 'Remove the special hours of a date',
  description:
    'The weekly hours apply to that date again. The appointments its hours marked that still wait to be rebooked ' +
    'are `restored` (or wait on time off that still takes their time), as when time off is removed.',
  request: { params: SpecialHoursDateParam },
  responses: {
    200: jsonResponse(DeletedSpecialHoursSchema, 'Removed'),
    404: errorOf('No such doctor, another doctor’s practice, or no special hours on that date (NOT_FOUND)'),
  },
});

export const scheduleChangesRouter = createRouter()
  .openapi(createTimeOffRoute, async (c) => {
    const view = await createTimeOff(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Time off added'), 201);
  })
  .openapi(deleteTimeOffRoute, async (c) => {
    const { id, timeOffId } = c.req.valid('param');
    return c.json(ok(await deleteTimeOff(c.get('ctx'), id, timeOffId), 'Time off removed'), 200);
  })
  .openapi(timeOffAffectedRoute, async (c) => {
    const { id, timeOffId } = c.req.valid('param');
    return c.json(ok(await timeOffAffected(c.get('ctx'), id, timeOffId, c.req.valid('query'))), 200);
  })
  .openapi(setSpecialHoursRoute, async (c) => {
    const { id, date } = c.req.valid('param');
    const view = await setSpecialHours(c.get('ctx'), id, date, c.req.valid('json'));
    return c.json(ok(view, 'Special hours set'), 200);
  })
  .openapi(deleteSpecialHoursRoute, async (c) => {
    const { id, date } = c.req.valid('param');
    return c.json(ok(await deleteSpecialHours(c.get('ctx'), id, date), 'Special hours removed'), 200);
  });
