import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { listRelationships, MAX_PENDING_LISTED, pendingRequests, suggestUsers } from './caregiver-lists.service';
import {
  CaregiverIdParam,
  CaregiverRequestSchema,
  LinkSchema,
  MIN_SEARCH_LENGTH,
  PatientIdParam,
  PatientOverviewSchema,
  PendingRequestsSchema,
  RelationshipSchema,
  RequestIdParam,
  SendRequestBody,
  SuggestionSchema,
  SuggestionsQuery,
  UpdateStatusBody,
  UpdateStatusResultSchema,
} from './caregivers.schemas';
import { leavePatient, removeCaregiver, sendRequest, updateRequestStatus } from './caregivers.service';
import { OVERVIEW_APPOINTMENTS, patientOverview } from './overview.service';

const BODY_LIMIT = 16 * 1024;
const tags = ['Caregiver network'];

const sendRoute = defineRoute({
  method: 'post',
  path: '/caregiver/requests',
  operationId: 'caregivers.requests.send',
  tags,
  summary: 'Ask someone to become my caregiver',
  description:
    'The receiver must be an active patient or caregiver account. They are pushed `request:incoming` ' +
    '`{ request, requester: { id, name } }` on their open sockets. After the receiver rejects a request, ' +
    'the same pair can try again once `caregivers.requestCooldownHours` (default 24) have passed. ' +
    'Same as the socket event `request:send`.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(SendRequestBody) },
  responses: {
    201: jsonResponse(CaregiverRequestSchema, 'Sent (pending)'),
    404: errorOf('No active patient or caregiver account with that id (NOT_FOUND)'),
    409: errorOf(
      'A pending request to them exists, they already care for me, or the cooldown after their rejection is running (CONFLICT; `Retry-After` and `error.details.retryAfter` in seconds)',
    ),
    422: errorOf('Invalid body, or `receiverId` is myself (VALIDATION_FAILED)'),
  },
});

const pendingRoute = defineRoute({
  method: 'get',
  path: '/caregiver/requests',
  operationId: 'caregivers.requests.pending',
  tags,
  summary: 'My pending caregiver requests, incoming and outgoing',
  description: `Newest first, at most ${MAX_PENDING_LISTED} on each side; \`user\` is the other party. Same as the socket event \`request:getAllPending\`.`,
  responses: { 200: jsonResponse(PendingRequestsSchema, 'Pending requests') },
});

const updateStatusRoute = defineRoute({
  method: 'patch',
  path: '/caregiver/requests/{id}',
  operationId: 'caregivers.requests.updateStatus',
  tags,
  summary: 'Accept or reject a caregiver request sent to me',
  description:
    'Only the receiver answers, and only a pending request. Accepting creates the relationship (the requester ' +
    'is the patient, I am the caregiver) and pushes `request:accepted:notify` `{ request, caregiver: { id, name } }` ' +
    'to the requester. Same as the socket event `request:updateStatus`.',
  bodyLimit: BODY_LIMIT,
  request: { params: RequestIdParam, body: jsonBody(UpdateStatusBody) },
  responses: {
    200: jsonResponse(UpdateStatusResultSchema, 'Answered'),
    404: errorOf('No such request sent to me (also for its requester) (NOT_FOUND)'),
    409: errorOf('Already answered (INVALID_TRANSITION), or already linked (CONFLICT)'),
  },
});

const suggestionsRoute = defineRoute({
  method: 'get',
  path: '/caregiver/suggestions',
  operationId: 'caregivers.suggestions',
  tags,
  summary: 'Find people to ask to be my caregiver',
  description:
    `Active patients and caregivers whose name contains \`search\` (case-insensitive, at least ${MIN_SEARCH_LENGTH} ` +
    'characters) or whose email is exactly `search`; never me, my current caregivers, or people I have a pending ' +
    'request to. Only id, name and role are shown (never email or phone), so the search cannot be used to harvest ' +
    'contact details. An empty or absent `search` answers only people I already share the caregiver network with: ' +
    "the patients I care for and their other caregivers (never a caregiver's other patients; an empty page when " +
    'there are none); a 1-character search is refused. Same as the socket event `user:getSuggestedUsers`.',
  request: { query: SuggestionsQuery },
  responses: { 200: jsonResponse(pageOf(SuggestionSchema), 'A page of people, by name') },
});

const myCaregiversRoute = defineRoute({
  method: 'get',
  path: '/caregiver/my-caregivers',
  operationId: 'caregivers.myCaregivers',
  tags,
  summary: 'Who cares for me',
  description: 'Active relationships in which I am the patient, newest first.',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(RelationshipSchema), 'A page of my caregivers') },
});

const iCareForRoute = defineRoute({
  method: 'get',
  path: '/caregiver/i-care-for',
  operationId: 'caregivers.iCareFor',
  tags,
  summary: 'Whom I care for',
  description: 'Active relationships in which I am the caregiver, newest first.',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(RelationshipSchema), 'A page of my patients') },
});

const removeCaregiverRoute = defineRoute({
  method: 'delete',
  path: '/caregiver/my-caregivers/{caregiverId}',
  operationId: 'caregivers.myCaregivers.remove',
  tags,
  summary: 'Remove one of my caregivers',
  description:
    'Their access to my data ends at once; they are pushed `request:removedByUser` ' +
    '`{ linkId, patientId, caregiverId, by }`. Same as the socket event `request:removeCaregiver` with `{ caregiverId }`.',
  request: { params: CaregiverIdParam },
  responses: {
    200: jsonResponse(LinkSchema, 'The ended relationship'),
    404: errorOf('They do not care for me (NOT_FOUND)'),
  },
});

const leavePatientRoute = defineRoute({
  method: 'delete',
  path: '/caregiver/i-care-for/{patientId}',
  operationId: 'caregivers.iCareFor.remove',
  tags,
  summary: 'Stop caring for a patient',
  description:
    'My access to their data ends at once; they are pushed `request:removedByUser` ' +
    '`{ linkId, patientId, caregiverId, by }`. Same as the socket event `request:removeCaregiver` with `{ patientId }`.',
  request: { params: PatientIdParam },
  responses: {
    200: jsonResponse(LinkSchema, 'The ended relationship'),
    404: errorOf('I do not care for them (NOT_FOUND)'),
  },
});

const overviewRoute = defineRoute({
  method: 'get',
  path: '/caregiver/i-care-for/{patientId}/overview',
  operationId: 'caregivers.patient.overview',
  tags,
  summary: 'What I may see of a patient I care for',
  description:
    'Only while the relationship is active. The patient’s name; today’s doses in the patient’s time zone with ' +
    `their status; the next ${OVERVIEW_APPOINTMENTS} live appointments with time, doctor, status and type (never ` +
    'the reason, symptoms, notes or attachments). Audited.',
  request: { params: PatientIdParam },
  responses: {
    200: jsonResponse(PatientOverviewSchema, 'The overview'),
    404: errorOf('Not a patient I currently care for (NOT_FOUND)'),
  },
});

export const caregiversRouter = createRouter()
  .openapi(sendRoute, async (c) =>
    c.json(ok(await sendRequest(c.get('ctx'), c.req.valid('json')), 'Caregiver request sent'), 201),
  )
  .openapi(pendingRoute, async (c) => c.json(ok(await pendingRequests(c.get('ctx'))), 200))
  .openapi(updateStatusRoute, async (c) => {
    const { status } = c.req.valid('json');
    const result = await updateRequestStatus(c.get('ctx'), c.req.valid('param').id, status);
    return c.json(ok(result, status === 'accepted' ? 'Caregiver request accepted' : 'Caregiver request rejected'), 200);
  })
  .openapi(suggestionsRoute, async (c) => c.json(ok(await suggestUsers(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(myCaregiversRoute, async (c) =>
    c.json(ok(await listRelationships(c.get('ctx'), 'patient', c.req.valid('query'))), 200),
  )
  .openapi(iCareForRoute, async (c) =>
    c.json(ok(await listRelationships(c.get('ctx'), 'caregiver', c.req.valid('query'))), 200),
  )
  .openapi(removeCaregiverRoute, async (c) =>
    c.json(ok(await removeCaregiver(c.get('ctx'), c.req.valid('param').caregiverId), 'Caregiver removed'), 200),
  )
  .openapi(leavePatientRoute, async (c) =>
    c.json(ok(await leavePatient(c.get('ctx'), c.req.valid('param').patientId), 'No longer caring for them'), 200),
  )
  .openapi(overviewRoute, async (c) =>
    c.json(ok(await patientOverview(c.get('ctx'), c.req.valid('param').patientId)), 200),
  );
