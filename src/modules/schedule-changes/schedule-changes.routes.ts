import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { SetSpecialHoursBody, SpecialHoursDateParam } from '../availability/availability.schemas';
import { DeletedSpecialHoursSchema, SpecialHoursChangeSchema } from './schedule-changes.schemas';
import { deleteSpecialHours, setSpecialHours } from './special-hours.service';

/**
 * Changes of a doctor's schedule that reach their existing bookings: they compose the availability
 * module (the schedule) and the appointments module (the bookings), so they live above both.
 */

const BODY_LIMIT = 64 * 1024;
const tags = ['Doctor availability'];
const notFound = errorOf('No such doctor, or another doctor’s practice (NOT_FOUND)');

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
    'The answer lists `affected`: the pending or confirmed appointments, not yet over, that fall outside the new ' +
    'hours of that date.',
  bodyLimit: BODY_LIMIT,
  request: { params: SpecialHoursDateParam, body: jsonBody(SetSpecialHoursBody) },
  responses: {
    200: jsonResponse(SpecialHoursChangeSchema, 'Set'),
    404: notFound,
    409: errorOf('The doctor account is blocked or removed (CONFLICT)'),
  },
});

const deleteSpecialHoursRoute = defineRoute({
  method: 'delete',
  path: '/doctors/{id}/special-hours/{date}',
  operationId: 'doctors.specialHours.delete',
  tags,
  summary: 'Remove the special hours of a date',
  description: 'The weekly hours apply to that date again.',
  request: { params: SpecialHoursDateParam },
  responses: {
    200: jsonResponse(DeletedSpecialHoursSchema, 'Removed'),
    404: errorOf('No such doctor, another doctor’s practice, or no special hours on that date (NOT_FOUND)'),
  },
});

export const scheduleChangesRouter = createRouter()
  .openapi(setSpecialHoursRoute, async (c) => {
    const { id, date } = c.req.valid('param');
    const view = await setSpecialHours(c.get('ctx'), id, date, c.req.valid('json'));
    return c.json(ok(view, 'Special hours set'), 200);
  })
  .openapi(deleteSpecialHoursRoute, async (c) => {
    const { id, date } = c.req.valid('param');
    return c.json(ok(await deleteSpecialHours(c.get('ctx'), id, date), 'Special hours removed'), 200);
  });
