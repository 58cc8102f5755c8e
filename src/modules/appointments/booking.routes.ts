import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppointmentIdParam, AppointmentSchema } from './appointments.schemas';
import {
  BookAppointmentBody,
  CreateFollowUpBody,
  CreateHoldBody,
  HoldIdParam,
  HoldSchema,
  IdempotencyHeaders,
  RebookingOptionsQuery,
  RebookingOptionsSchema,
  RescheduleBody,
} from './booking.schemas';
import { bookAppointment } from './booking.service';
import { createFollowUp } from './follow-ups.service';
import { createHold, getHold, releaseHold } from './holds.service';
import { rebookAppointment, rebookingOptions } from './rebooking.service';
import { rescheduleAppointment } from './reschedule.service';

const BODY_LIMIT = 16 * 1024;
const tags = ['Appointments'];

const SLOT_RULES =
  '`startsAt` must be a start the doctor offers for the service (GET /api/v1/doctors/{id}/slots): inside weekly ' +
  'hours on the slot grid, after the minimum notice, within the booking horizon, not during time off or emergency ' +
  'unavailability (else 422, field `startsAt`). Time already taken by a booking or a live hold, including the ' +
  'doctor’s buffer after it, is 409 SLOT_UNAVAILABLE; the check and the claim are one atomic write, so two ' +
  'overlapping requests never both succeed.';

const createHoldRoute = defineRoute({
  method: 'post',
  path: '/appointments/holds',
  operationId: 'appointments.holds.create',
  tags,
  summary: 'Hold a slot while the booking form is filled in',
  description:
    'Keeps the slot for the patient for `appointments.holdTtlMinutes` minutes (a system setting, default 10); ' +
    'then it expires by itself and blocks nobody. Book it with `holdId` before `expiresAt`. ' +
    `${SLOT_RULES} A patient may have at most 3 live holds at once (409 CONFLICT). Staff must name the patient ` +
    'with `patientId`; a patient may not.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateHoldBody) },
  responses: {
    201: jsonResponse(HoldSchema, 'Held'),
    404: errorOf('No such bookable doctor, or no such active service of theirs (NOT_FOUND)'),
    409: errorOf('Slot taken (SLOT_UNAVAILABLE) or too many live holds (CONFLICT)'),
  },
});

const getHoldRoute = defineRoute({
  method: 'get',
  path: '/appointments/holds/{id}',
  operationId: 'appointments.holds.get',
  tags,
  summary: 'A hold and its status',
  description: '`status` is `expired` as soon as `expiresAt` has passed.',
  request: { params: HoldIdParam },
  responses: {
    200: jsonResponse(HoldSchema, 'The hold'),
    404: errorOf('No such hold, or another patient’s (NOT_FOUND)'),
  },
});

const releaseHoldRoute = defineRoute({
  method: 'delete',
  path: '/appointments/holds/{id}',
  operationId: 'appointments.holds.release',
  tags,
  summary: 'Release a hold',
  description: 'Frees the slot at once. Releasing an expired or released hold changes nothing.',
  request: { params: HoldIdParam },
  responses: {
    200: jsonResponse(HoldSchema, 'Released'),
    404: errorOf('No such hold, or another patient’s (NOT_FOUND)'),
    409: errorOf('The hold was already booked: cancel the appointment instead (CONFLICT)'),
  },
});

const bookRoute = defineRoute({
  method: 'post',
  path: '/appointments',
  operationId: 'appointments.book',
  tags,
  summary: 'Book an appointment',
  description:
    'Books a `pending` appointment (the doctor or staff confirm it). With `holdId`, converts the patient’s live ' +
    'hold on exactly this doctor, service and start (expired: 409 HOLD_EXPIRED; booked or released: 409 CONFLICT). ' +
    `Without it: ${SLOT_RULES} The patient’s own live holds overlapping the time are released, so they never ` +
    'block the patient. Price, currency, buffer and time zone are snapshotted. Staff book for a patient with ' +
    '`patientId` (required for them); a patient may only leave it out or name themselves. `followUpOfId` names a ' +
    'completed or missed appointment of the same patient and doctor. Send an `Idempotency-Key` to retry safely.',
  bodyLimit: BODY_LIMIT,
  request: { headers: IdempotencyHeaders, body: jsonBody(BookAppointmentBody) },
  responses: {
    201: {
      ...jsonResponse(AppointmentSchema, 'Booked (or the first answer replayed for this Idempotency-Key)'),
      headers: {
        'Idempotent-Replayed': {
          description: '`true` when this is the stored answer to an earlier request with the same key',
          schema: { type: 'string', enum: ['true'] },
        },
      },
    },
    404: errorOf('No such bookable doctor or active service, or a follow-up of an appointment not yours (NOT_FOUND)'),
    409: errorOf(
      'Slot taken (SLOT_UNAVAILABLE), hold expired (HOLD_EXPIRED), hold booked or released (CONFLICT), or the ' +
        'Idempotency-Key was used with another body (IDEMPOTENCY_CONFLICT)',
    ),
  },
});

const rescheduleRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/reschedule',
  operationId: 'appointments.reschedule',
  tags,
  summary: 'Move an appointment to another start',
  description:
    'For a `pending` or `confirmed` appointment of the caller (patient or doctor) or any as staff; the status ' +
    `stays. ${SLOT_RULES} On 409 the appointment keeps its old time. The history records the old and new time.`,
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(RescheduleBody) },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Rescheduled'),
    404: errorOf('No such appointment, or not yours (NOT_FOUND)'),
    409: errorOf(
      'Not pending or confirmed (INVALID_TRANSITION), new time taken (SLOT_UNAVAILABLE), or changed meanwhile (CONFLICT)',
    ),
  },
});

const NOT_WAITING =
  'the appointment does not wait to be rebooked (`needsRebooking` false: never taken by a schedule change, ' +
  'rebooked already, or no longer pending or confirmed) (INVALID_TRANSITION)';

const rebookingOptionsRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/rebooking-options',
  operationId: 'appointments.rebookingOptions',
  tags,
  summary: 'The doctor’s nearest free slots for an appointment waiting to be rebooked',
  description:
    'For an appointment whose time the doctor’s time off or special hours took (`needsRebooking`): the `limit` ' +
    'free starts of its service nearest its original start, before or after it, from a week before to a month ' +
    'after, by the rules of GET /doctors/{id}/slots (its own time does not block them), in start order. Take one ' +
    'with POST /appointments/{id}/rebook, or cancel with a full refund (POST /appointments/{id}/cancel). Its ' +
    'patient, its doctor, or staff.',
  request: { params: AppointmentIdParam, query: RebookingOptionsQuery },
  responses: {
    200: jsonResponse(RebookingOptionsSchema, 'The options'),
    404: errorOf('No such appointment, not yours, or its doctor or service is no longer bookable (NOT_FOUND)'),
    409: errorOf(`Not available: ${NOT_WAITING}`),
  },
});

const rebookRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/rebook',
  operationId: 'appointments.rebook',
  tags,
  summary: 'Rebook an appointment whose time the doctor’s schedule took',
  description:
    'Moves an appointment waiting to be rebooked (`needsRebooking`) to `startsAt`, as a reschedule does (same ' +
    `rules, one atomic write, status kept), and ends the wait; recorded in the history as \`rebook\`. ${SLOT_RULES} ` +
    'A second rebook of the same appointment is 409 (reschedule it instead). Its patient, its doctor, or staff.',
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(RescheduleBody) },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Rebooked'),
    404: errorOf('No such appointment, or not yours (NOT_FOUND)'),
    409: errorOf(
      `Refused: ${NOT_WAITING}, the new time is taken (SLOT_UNAVAILABLE), or it changed meanwhile (CONFLICT)`,
    ),
  },
});

const followUpRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/follow-ups',
  operationId: 'appointments.followUps.create',
  tags,
  summary: 'Book a follow-up of a completed or missed appointment',
  description:
    'By the appointment’s doctor or staff. Same patient and doctor; `serviceId` and `type` default to the ' +
    `original’s. The follow-up is \`confirmed\` at once. ${SLOT_RULES}`,
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(CreateFollowUpBody) },
  responses: {
    201: jsonResponse(AppointmentSchema, 'Follow-up booked'),
    404: errorOf('No such appointment, not yours, or no such active service of the doctor (NOT_FOUND)'),
    409: errorOf(
      'The appointment is not completed or missed (INVALID_TRANSITION), the slot is taken (SLOT_UNAVAILABLE), or ' +
        'the patient’s account is not active (CONFLICT)',
    ),
  },
});

export const bookingRouter = createRouter()
  .openapi(createHoldRoute, async (c) =>
    c.json(ok(await createHold(c.get('ctx'), c.req.valid('json')), 'Slot held'), 201),
  )
  .openapi(getHoldRoute, async (c) => c.json(ok(await getHold(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(releaseHoldRoute, async (c) =>
    c.json(ok(await releaseHold(c.get('ctx'), c.req.valid('param').id), 'Hold released'), 200),
  )
  .openapi(bookRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'];
    const result = await bookAppointment(c.get('ctx'), c.req.valid('json'), key);
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(ok(result.body, result.replayed ? 'Appointment already booked' : 'Appointment booked'), 201);
  })
  .openapi(rescheduleRoute, async (c) => {
    const view = await rescheduleAppointment(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Appointment rescheduled'), 200);
  })
  .openapi(rebookingOptionsRoute, async (c) =>
    c.json(ok(await rebookingOptions(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(rebookRoute, async (c) => {
    const view = await rebookAppointment(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Appointment rebooked'), 200);
  })
  .openapi(followUpRoute, async (c) => {
    const view = await createFollowUp(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Follow-up booked'), 201);
  });
