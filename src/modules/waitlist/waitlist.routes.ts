import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { IdParam } from '../doctors/doctors.schemas';
import {
  CreateEntryBody,
  EntryIdParam,
  EntryListQuery,
  EntrySchema,
  MAX_LIVE_ENTRIES,
  MAX_RANGE_DAYS,
  OfferIdParam,
  OfferSchema,
} from './waitlist.schemas';
import { createEntry, declineOffer, getEntry, leaveEntry, listDoctorEntries, listMyEntries } from './waitlist.service';

const BODY_LIMIT = 4 * 1024;
const tags = ['Waitlist'];
const noEntry = errorOf('No such waitlist entry of mine (NOT_FOUND)');

const createRoute = defineRoute({
  method: 'post',
  path: '/waitlist',
  operationId: 'waitlist.create',
  tags,
  summary: "Join a doctor's waitlist for a service in a date range",
  description: [
    `Dates are local to the doctor's time zone: \`fromDate\` not before the doctor's today, \`toDate\` not before \`fromDate\`, at most ${MAX_RANGE_DAYS} days in all. \`timeFrom\`/\`timeTo\` (HH:MM, optional) limit offers to slots starting at or after \`timeFrom\` and ending by \`timeTo\`.`,
    `A patient joins for themselves (leave \`patientId\` out); receptionists and admins name the patient. At most ${MAX_LIVE_ENTRIES} waiting entries per patient, and one per doctor for overlapping dates (409 CONFLICT).`,
    'When the doctor has a free slot in the range (at once, or later when an appointment is cancelled or the doctor opens time), the entries are offered slots first come first served: an offer is a hold of `waitlist.offerMinutes` minutes, told through the notifications; book it with POST /api/v1/appointments and its `holdId`, or decline it.',
  ].join('\n\n'),
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateEntryBody) },
  responses: {
    201: jsonResponse(EntrySchema, 'On the waitlist'),
    404: errorOf('No such bookable doctor, or not their active service (NOT_FOUND)'),
    409: errorOf('Too many live entries, or one for this doctor overlaps these dates (CONFLICT)'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/waitlist',
  operationId: 'waitlist.list',
  tags,
  summary: 'My waitlist entries, newest first, each with its latest offer',
  request: { query: EntryListQuery },
  responses: { 200: jsonResponse(pageOf(EntrySchema), 'A page of entries') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/waitlist/{id}',
  operationId: 'waitlist.get',
  tags,
  summary: 'One waitlist entry with its latest offer',
  request: { params: EntryIdParam },
  responses: { 200: jsonResponse(EntrySchema, 'The entry'), 404: noEntry },
});

const leaveRoute = defineRoute({
  method: 'delete',
  path: '/waitlist/{id}',
  operationId: 'waitlist.leave',
  tags,
  summary: 'Leave the waitlist: the entry becomes `left`, a live offer is declined and its hold released',
  request: { params: EntryIdParam },
  responses: { 200: jsonResponse(EntrySchema, 'Left (or already no longer waiting)'), 404: noEntry },
});

const declineRoute = defineRoute({
  method: 'post',
  path: '/waitlist/offers/{id}/decline',
  operationId: 'waitlist.offers.decline',
  tags,
  summary: 'Decline an offer: its hold is released and the slot passes to the next patient',
  description: 'The entry keeps waiting for another slot; this one is not offered to it again.',
  request: { params: OfferIdParam },
  responses: {
    200: jsonResponse(OfferSchema, 'Declined'),
    404: errorOf('No such offer of mine (NOT_FOUND)'),
    409: errorOf('No longer offered: booked, declined or expired (CONFLICT)'),
  },
});

const doctorListRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/waitlist',
  operationId: 'doctors.waitlist',
  tags,
  summary: "A doctor's waitlist in offer order (oldest entry first)",
  description: 'The doctor sees their own; receptionists and admins any doctor’s. Another doctor’s is 404.',
  request: { params: IdParam, query: EntryListQuery },
  responses: {
    200: jsonResponse(pageOf(EntrySchema), 'A page of entries'),
    404: errorOf('Another doctor (NOT_FOUND)'),
  },
});

export const waitlistRouter = createRouter()
  .openapi(createRoute, async (c) =>
    c.json(ok(await createEntry(c.get('ctx'), c.req.valid('json')), 'Added to the waitlist'), 201),
  )
  .openapi(listRoute, async (c) => c.json(ok(await listMyEntries(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getEntry(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(leaveRoute, async (c) =>
    c.json(ok(await leaveEntry(c.get('ctx'), c.req.valid('param').id), 'Left the waitlist'), 200),
  )
  .openapi(declineRoute, async (c) =>
    c.json(ok(await declineOffer(c.get('ctx'), c.req.valid('param').id), 'Offer declined'), 200),
  )
  .openapi(doctorListRoute, async (c) =>
    c.json(ok(await listDoctorEntries(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  );
