import { onReplica } from '../../context';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { IdempotencyHeaders } from '../appointments/booking.schemas';
import { SlotsSchema, UpdateAvailabilityBody } from '../availability/availability.schemas';
import { PaymentViewSchema } from '../payments/payments.schemas';
import { freeCareSlots, getMyAvailability, setMyAvailability } from './availability.service';
import { startCareCheckout } from './billing.service';
import { bookCareSession } from './booking.service';
import {
  BookCareSessionBody,
  CaregiverAvailabilitySchema,
  CaregiverParam,
  CaregiverSlotsQuery,
  CareSessionActionBody,
  CareSessionDetailSchema,
  CareSessionIdParam,
  CareSessionListQuery,
  CareSessionSchema,
} from './care-sessions.schemas';
import { CARE_TRANSITIONS, type CareTransitionAction } from './lifecycle.policy';
import { transitionCareSession } from './lifecycle.service';
import { getCareSession, listCareSessions } from './queries.service';

const BODY_LIMIT = 16 * 1024;
const tags = ['Care sessions'];
const notFound = errorOf('No such care session, or not yours (NOT_FOUND)');
const forbidden = errorOf('Your part in this care session may not take this action (FORBIDDEN)');
const optionalBody = { ...jsonBody(CareSessionActionBody), required: false };

const getAvailabilityRoute = defineRoute({
  method: 'get',
  path: '/caregivers/me/availability',
  operationId: 'careSessions.availability.get',
  tags,
  summary: 'My weekly availability (caregivers)',
  request: {},
  responses: {
    200: jsonResponse(CaregiverAvailabilitySchema, 'My availability'),
    404: errorOf('None set yet (NOT_FOUND)'),
  },
});

const setAvailabilityRoute = defineRoute({
  method: 'put',
  path: '/caregivers/me/availability',
  operationId: 'careSessions.availability.set',
  tags,
  summary: 'Set my weekly availability (caregivers)',
  description:
    'The same rules as a doctor’s: IANA zone, bookable start grid (`slotMinutes`), free time after each session (`bufferMinutes`, e.g. travel), minimum notice, booking horizon, and weekly hours (weekday 1 = Monday, local `HH:MM` on 5-minute marks, no overlaps on a day). Replaces the whole schedule; booked sessions keep their time.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(UpdateAvailabilityBody) },
  responses: { 200: jsonResponse(CaregiverAvailabilitySchema, 'Saved') },
});

const slotsRoute = defineRoute({
  method: 'get',
  path: '/caregivers/{id}/slots',
  operationId: 'careSessions.slots',
  tags,
  summary: "A bookable caregiver's free sessions of a length (no token)",
  description:
    "Local dates `from`…`to` in the caregiver's zone (at most 31 days). A start is free when the session plus the caregiver's buffer overlaps no other live session; it honours their hours, grid, notice and horizon.",
  request: { params: CaregiverParam, query: CaregiverSlotsQuery },
  responses: {
    200: jsonResponse(SlotsSchema, 'Free starts'),
    404: errorOf('No such bookable caregiver (verified, with a rate and availability) (NOT_FOUND)'),
  },
});

const bookRoute = defineRoute({
  method: 'post',
  path: '/care-sessions',
  operationId: 'careSessions.book',
  tags,
  summary: 'Book a care session with a caregiver',
  description:
    'Books a `requested` session (the caregiver confirms or declines it) for me, or with `patientId` for a patient I am linked to as family or carer (others: 404). `recommendationId` books from a doctor’s recommendation to that patient (the caregiver may then be left out). The start must be one of `GET /caregivers/{id}/slots` for that length; overlapping time of the same caregiver is refused atomically, however many book at once (409 SLOT_UNAVAILABLE). `in-person` needs the `address`. The hourly rate is snapshotted. Send an `Idempotency-Key` to retry safely.',
  bodyLimit: BODY_LIMIT,
  request: { headers: IdempotencyHeaders, body: jsonBody(BookCareSessionBody) },
  responses: {
    201: jsonResponse(CareSessionSchema, 'Booked (or the first answer replayed for this Idempotency-Key)'),
    404: errorOf('No such bookable caregiver, patient of mine or recommendation of theirs (NOT_FOUND)'),
    409: errorOf(
      'Time taken (SLOT_UNAVAILABLE), the patient is deceased or inactive (CONFLICT), or the Idempotency-Key was used with another body (IDEMPOTENCY_CONFLICT)',
    ),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/care-sessions',
  operationId: 'careSessions.list',
  tags,
  summary: 'My care sessions (given, had, booked, or of a patient I am linked to), newest first',
  description: 'Admins see every session. Filter with `as`, `status`, `from`/`to` (start).',
  request: { query: CareSessionListQuery },
  responses: { 200: jsonResponse(pageOf(CareSessionSchema), 'A page of care sessions') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/care-sessions/{id}',
  operationId: 'careSessions.get',
  tags,
  summary: 'A care session with its history',
  request: { params: CareSessionIdParam },
  responses: { 200: jsonResponse(CareSessionDetailSchema, 'The care session'), 404: notFound },
});

const checkoutRoute = defineRoute({
  method: 'post',
  path: '/care-sessions/{id}/checkout',
  operationId: 'careSessions.checkout',
  tags,
  summary: "Pay a completed session's bill (the patient side, or admins)",
  description:
    'Opens (or answers again) the hosted checkout for the amount fixed at check-out. Once paid, its receipt is `GET /payments/{id}/receipt`.',
  request: { params: CareSessionIdParam },
  responses: {
    200: jsonResponse(PaymentViewSchema, 'The open checkout, answered again'),
    201: jsonResponse(PaymentViewSchema, 'A new checkout session'),
    403: forbidden,
    404: notFound,
    409: errorOf('Not completed, nothing to pay, already paid or being settled (CONFLICT)'),
  },
});

const WHO = { caregiver: 'its caregiver', patient: 'the patient side', staff: 'admins' } as const;

const EXTRA: Record<CareTransitionAction, string> = {
  confirm: 'Reminders 24 h and 1 h before go to both sides.',
  decline: 'The time is free again.',
  cancel: 'The time is free again and the reminders are removed; `reason` is kept and told to the other side.',
  'check-in': 'From 30 minutes before the start until the planned end; records the arrival.',
  'check-out':
    'Records the end and fixes the bill: the actual minutes rounded up to started 15-minute blocks (at least one) times the hourly rate snapshotted at booking, rounded to the minor unit.',
  'no-show': 'Once the start has passed; the time is free again.',
};

function actionRoute(action: CareTransitionAction) {
  const rule = CARE_TRANSITIONS[action];
  return defineRoute({
    method: 'post',
    path: `/care-sessions/{id}/${action}`,
    operationId: `careSessions.${action === 'check-in' ? 'checkIn' : action === 'check-out' ? 'checkOut' : action === 'no-show' ? 'noShow' : action}`,
    tags,
    summary: `${rule.verb[0]!.toUpperCase()}${rule.verb.slice(1)} a care session`,
    description: `From ${rule.from.join(' or ')} to ${rule.to}, by ${rule.by.map((r) => WHO[r]).join(', ')}. ${EXTRA[action]} Recorded in the history and the audit log; the other side is told.`,
    bodyLimit: BODY_LIMIT,
    request: { params: CareSessionIdParam, body: optionalBody },
    responses: {
      200: jsonResponse(CareSessionSchema, 'Done'),
      403: forbidden,
      404: notFound,
      409: errorOf('Not allowed from this status or at this time, or changed meanwhile (INVALID_TRANSITION)'),
    },
  });
}

const MESSAGES: Record<CareTransitionAction, string> = {
  confirm: 'Care session confirmed',
  decline: 'Care session declined',
  cancel: 'Care session cancelled',
  'check-in': 'Checked in',
  'check-out': 'Checked out',
  'no-show': 'Marked as no-show',
};

const router = createRouter()
  .openapi(getAvailabilityRoute, async (c) => c.json(ok(await getMyAvailability(c.get('ctx'))), 200))
  .openapi(setAvailabilityRoute, async (c) =>
    c.json(ok(await setMyAvailability(c.get('ctx'), c.req.valid('json')), 'Availability saved'), 200),
  )
  .openapi(slotsRoute, async (c) =>
    c.json(ok(await freeCareSlots(onReplica(c.get('ctx')), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(bookRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'];
    const result = await bookCareSession(c.get('ctx'), c.req.valid('json'), key);
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(ok(result.body, result.replayed ? 'Care session already booked' : 'Care session booked'), 201);
  })
  .openapi(listRoute, async (c) => c.json(ok(await listCareSessions(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getCareSession(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(checkoutRoute, async (c) => {
    const { payment, created } = await startCareCheckout(c.get('ctx'), c.req.valid('param').id);
    return created ? c.json(ok(payment, 'Checkout started'), 201) : c.json(ok(payment, 'Checkout already open'), 200);
  });

for (const action of Object.keys(CARE_TRANSITIONS) as CareTransitionAction[]) {
  router.openapi(actionRoute(action), async (c) => {
    const view = await transitionCareSession(c.get('ctx'), c.req.valid('param').id, action, c.req.valid('json') ?? {});
    return c.json(ok(view, MESSAGES[action]), 200);
  });
}

export const careSessionsRouter = router;
