import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppointmentEventSchema, AppointmentIdParam, AppointmentSchema, TransitionBody } from './appointments.schemas';
import { TRANSITIONS, type TransitionAction } from './lifecycle.policy';
import {
  AppointmentListQuery,
  CancellationQuoteSchema,
  RejectBody,
  StaffAppointmentListQuery,
} from './lifecycle.schemas';
import { cancellationQuote, transitionAppointment } from './lifecycle.service';
import {
  appointmentHistory,
  getAppointment,
  HISTORY_LIMIT,
  listAllAppointments,
  listMyAppointments,
} from './queries.service';

export const BODY_LIMIT = 16 * 1024;
const tags = ['Appointments'];
export const notFound = errorOf('No such appointment, or not yours (NOT_FOUND)');
export const forbidden = errorOf('Your role, or your part in this appointment, may not take this action (FORBIDDEN)');
export const invalidTransition = errorOf(
  'Not allowed from the current status, or another request changed the status first (INVALID_TRANSITION)',
);

const optionalBody = { ...jsonBody(TransitionBody), required: false };

/** The rule of a transition in words, for its route description. */
export function describeTransition(action: TransitionAction, extra: string): string {
  const rule = TRANSITIONS[action];
  const who = rule.by.map((r) => (r === 'staff' ? 'staff (receptionist, admin, superadmin)' : `its ${r}`));
  return `From ${rule.from.join(' or ')} to ${rule.to}, by ${who.join(', ')}. ${extra} Recorded in the history and the audit log.`;
}

const confirmRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/confirm',
  operationId: 'appointments.confirm',
  tags,
  summary: 'Confirm a pending appointment',
  description: describeTransition(
    'confirm',
    'The appointment’s time is claimed again as when booking: if another booking or hold holds any of it, ' +
      '409 SLOT_UNAVAILABLE and nothing changes. A pay-at-booking appointment is confirmed by its payment: ' +
      'until the fee is paid, 402 PAYMENT_REQUIRED. The body is optional.',
  ),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: optionalBody },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Confirmed'),
    402: errorOf('Pay-at-booking and not paid yet (PAYMENT_REQUIRED)'),
    403: forbidden,
    404: notFound,
    409: errorOf('Not pending or changed meanwhile (INVALID_TRANSITION), or the time is taken (SLOT_UNAVAILABLE)'),
  },
});

const rejectRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/reject',
  operationId: 'appointments.reject',
  tags,
  summary: 'Reject a pending appointment',
  description: describeTransition('reject', 'A reason is required. The time becomes bookable again at once.'),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(RejectBody) },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Rejected'),
    403: forbidden,
    404: notFound,
    409: invalidTransition,
  },
});

const cancelRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/cancel',
  operationId: 'appointments.cancel',
  tags,
  summary: 'Cancel an appointment',
  description: describeTransition(
    'cancel',
    'A reason is recommended. The refund due is stored on the appointment (`cancellation.refund`): by the ' +
      'setting appointments.cancellationPolicy when the patient cancels, 100 % when the doctor or staff do, and ' +
      '100 % whoever cancels an appointment waiting to be rebooked (`needsRebooking`: the doctor’s time off or ' +
      'special hours took its time) (see GET /appointments/{id}/cancellation-quote). The time becomes bookable ' +
      'again at once.',
  ),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: optionalBody },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Cancelled'),
    403: forbidden,
    404: notFound,
    409: invalidTransition,
  },
});

const startRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/start',
  operationId: 'appointments.start',
  tags,
  summary: 'Start a confirmed appointment',
  description: describeTransition('start', 'The time stays claimed. The body is optional.'),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: optionalBody },
  responses: { 200: jsonResponse(AppointmentSchema, 'Started'), 403: forbidden, 404: notFound, 409: invalidTransition },
});

const noShowRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/no-show',
  operationId: 'appointments.noShow',
  tags,
  summary: 'Mark that the patient did not show up',
  description: describeTransition(
    'no-show',
    'Only once the start time has passed (409 INVALID_TRANSITION before). Any time left of the slot becomes ' +
      'bookable again at once. The body is optional.',
  ),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: optionalBody },
  responses: {
    200: jsonResponse(AppointmentSchema, 'Marked as no-show'),
    403: forbidden,
    404: notFound,
    409: errorOf('Not confirmed or in progress, not started yet, or changed meanwhile (INVALID_TRANSITION)'),
  },
});

const quoteRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/cancellation-quote',
  operationId: 'appointments.cancellationQuote',
  tags,
  summary: 'What cancelling this appointment now would refund',
  description:
    'Whether the caller may cancel now, the refund they would get (patients by the tiers of ' +
    'appointments.cancellationPolicy, by hours of notice; the doctor and staff always 100 %, and anyone 100 % for an ' +
    'appointment waiting to be rebooked) and the tiers.',
  request: { params: AppointmentIdParam },
  responses: { 200: jsonResponse(CancellationQuoteSchema, 'The quote'), 404: notFound },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}',
  operationId: 'appointments.get',
  tags,
  summary: 'One appointment',
  description: 'The patient and the doctor see their own appointments; staff see any.',
  request: { params: AppointmentIdParam },
  responses: { 200: jsonResponse(AppointmentSchema, 'The appointment'), 404: notFound },
});

const historyRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/history',
  operationId: 'appointments.history',
  tags,
  summary: 'The status history of an appointment, oldest first',
  description: `Every booking, status change and reschedule: who, when, why, from and to. At most ${HISTORY_LIMIT} events.`,
  request: { params: AppointmentIdParam },
  responses: { 200: jsonResponse(z.array(AppointmentEventSchema), 'The events'), 404: notFound },
});

const FILTERS =
  '`doctorId` keeps one doctor’s appointments (not a user id: 422; an unknown id: an empty page). ' +
  '`status` takes one status or a comma-separated list. `from` (inclusive) and `to` (exclusive) bound the ' +
  'start time as ISO instants; a YYYY-MM-DD date means a whole UTC day, so `from=2026-03-01&to=2026-03-31` ' +
  'is all of March. `upcoming=true` keeps live appointments (pending, confirmed, in progress) not yet over. ' +
  '`needsRebooking=true` keeps the pending or confirmed ones whose time the doctor’s time off or special hours ' +
  'took, waiting to be rebooked or cancelled (`false`: the others). ' +
  '`order=desc` lists the latest first (default: soonest first). An empty range or an unknown status is 422.';

const listRoute = defineRoute({
  method: 'get',
  path: '/appointments',
  operationId: 'appointments.list',
  tags,
  summary: 'My appointments',
  description:
    'A patient’s appointments as the patient, and `doctorId` narrows them to one doctor’s; a doctor’s as the ' +
    `doctor, where a \`doctorId\` other than their own answers an empty page. ${FILTERS}`,
  request: { query: AppointmentListQuery },
  responses: { 200: jsonResponse(pageOf(AppointmentSchema), 'A page of appointments') },
});

const staffListRoute = defineRoute({
  method: 'get',
  path: '/staff/appointments',
  operationId: 'appointments.staff.list',
  tags,
  summary: 'All appointments (front desk)',
  description:
    'Every appointment, optionally of one doctor (`doctorId`) and/or patient (`patientId`; not a user id: 422). ' +
    FILTERS,
  request: { query: StaffAppointmentListQuery },
  responses: { 200: jsonResponse(pageOf(AppointmentSchema), 'A page of appointments') },
});

export const lifecycleRouter = createRouter()
  .openapi(confirmRoute, async (c) => {
    const view = await transitionAppointment(c.get('ctx'), c.req.valid('param').id, 'confirm', c.req.valid('json'));
    return c.json(ok(view, 'Appointment confirmed'), 200);
  })
  .openapi(rejectRoute, async (c) => {
    const view = await transitionAppointment(c.get('ctx'), c.req.valid('param').id, 'reject', c.req.valid('json'));
    return c.json(ok(view, 'Appointment rejected'), 200);
  })
  .openapi(cancelRoute, async (c) => {
    const view = await transitionAppointment(c.get('ctx'), c.req.valid('param').id, 'cancel', c.req.valid('json'));
    return c.json(ok(view, 'Appointment cancelled'), 200);
  })
  .openapi(startRoute, async (c) => {
    const view = await transitionAppointment(c.get('ctx'), c.req.valid('param').id, 'start', c.req.valid('json'));
    return c.json(ok(view, 'Appointment started'), 200);
  })
  .openapi(noShowRoute, async (c) => {
    const view = await transitionAppointment(c.get('ctx'), c.req.valid('param').id, 'no-show', c.req.valid('json'));
    return c.json(ok(view, 'Appointment marked as no-show'), 200);
  })
  .openapi(quoteRoute, async (c) => c.json(ok(await cancellationQuote(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getAppointment(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(historyRoute, async (c) => c.json(ok(await appointmentHistory(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(listRoute, async (c) => c.json(ok(await listMyAppointments(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(staffListRoute, async (c) => c.json(ok(await listAllAppointments(c.get('ctx'), c.req.valid('query'))), 200));
