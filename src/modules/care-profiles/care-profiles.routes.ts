import { onReplica } from '../../context';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DeletedSchema } from '../doctors/doctors.schemas';
import {
  CaregiverIdParam,
  CaregiverProfileSchema,
  CaregiverSearchQuery,
  CaregiverSearchResultSchema,
  CareSpecialtySchema,
  CreateCareSpecialtyBody,
  CreateRecommendationBody,
  CreateSessionReviewBody,
  MAX_RADIUS_KM,
  MIN_RADIUS_KM,
  PatientIdParam,
  PublicSessionReviewSchema,
  RecommendationSchema,
  RejectCaregiverBody,
  RejectionSchema,
  SessionIdParam,
  SessionReviewSchema,
  SpecialtyIdParam,
  UpdateCaregiverProfileBody,
  UpdateCareSpecialtyBody,
  VerificationQueueItemSchema,
} from './care-profiles.schemas';
import { createSessionReview, listCaregiverReviews } from './care-reviews.service';
import { getCaregiverProfile, updateCaregiverProfile } from './profile.service';
import { listMyRecommendations, recommendCaregiver } from './recommendations.service';
import { searchCaregivers } from './search.service';
import {
  createCareSpecialty,
  deleteCareSpecialty,
  listCareSpecialties,
  updateCareSpecialty,
} from './specialties.service';
import { rejectCaregiver, verificationQueue } from './verification.service';

const BODY_LIMIT = 64 * 1024;
const specialtyTags = ['Care specialties'];
const caregiverTags = ['Caregivers'];
const noSpecialty = errorOf('No such care specialty (NOT_FOUND)');
const noCaregiver = errorOf('No such caregiver, or not one I manage (NOT_FOUND)');

// ---------------------------------------------------------------------------------------------------
// Care specialties

const listSpecialtiesRoute = defineRoute({
  method: 'get',
  path: '/care-specialties',
  operationId: 'careSpecialties.list',
  tags: specialtyTags,
  summary: 'Home-care specialties, by name (no token)',
  description: 'The managed list caregivers pick from and search filters by (`specialty` takes the `slug`).',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(CareSpecialtySchema), 'A page of care specialties') },
});

const createSpecialtyRoute = defineRoute({
  method: 'post',
  path: '/care-specialties',
  operationId: 'careSpecialties.create',
  tags: specialtyTags,
  summary: 'Add a care specialty',
  description: '`slug` is kebab-case and unique (409 CONFLICT when taken).',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateCareSpecialtyBody) },
  responses: {
    201: jsonResponse(CareSpecialtySchema, 'Added'),
    409: errorOf('Slug already taken (CONFLICT)'),
  },
});

const updateSpecialtyRoute = defineRoute({
  method: 'patch',
  path: '/care-specialties/{id}',
  operationId: 'careSpecialties.update',
  tags: specialtyTags,
  summary: 'Change a care specialty',
  description: 'Send only the fields to change; `null` clears `description`. Unknown fields are refused (422).',
  bodyLimit: BODY_LIMIT,
  request: { params: SpecialtyIdParam, body: jsonBody(UpdateCareSpecialtyBody) },
  responses: {
    200: jsonResponse(CareSpecialtySchema, 'Updated'),
    404: noSpecialty,
    409: errorOf('Slug already taken (CONFLICT)'),
  },
});

const deleteSpecialtyRoute = defineRoute({
  method: 'delete',
  path: '/care-specialties/{id}',
  operationId: 'careSpecialties.delete',
  tags: specialtyTags,
  summary: 'Remove a care specialty no caregiver lists',
  request: { params: SpecialtyIdParam },
  responses: {
    200: jsonResponse(DeletedSchema, 'Removed'),
    404: noSpecialty,
    409: errorOf('A caregiver still lists it (CONFLICT)'),
  },
});

// ---------------------------------------------------------------------------------------------------
// Caregiver profiles and search

const searchRoute = defineRoute({
  method: 'get',
  path: '/caregivers/search',
  operationId: 'caregivers.search',
  tags: caregiverTags,
  summary: 'Find caregivers (verified and active, with a profile; no token)',
  description:
    'Filters: `specialty` (slug), `language` (BCP 47; `en` also matches `en-GB`), `minRate`/`maxRate` (hourly rate in minor units, inclusive), `minRating` (1–5: rating average at least this; unrated caregivers are left out), `availableOn` (`YYYY-MM-DD`: caregivers with a booking schedule and weekly hours on that weekday), and a point `lat`+`lng` (both or neither, 422 otherwise): only caregivers whose service radius covers the point, with `distanceKm` (great-circle, haversine, 2 decimals). `sort`: `distance` (nearest first, the default with a point; 422 without one), `rating` (best average first, unrated last) or `price` (cheapest first, no rate last). Without a point: `distanceKm` null, and by name unless sorted.',
  request: { query: CaregiverSearchQuery },
  responses: { 200: jsonResponse(pageOf(CaregiverSearchResultSchema), 'A page of caregivers') },
});

const getProfileRoute = defineRoute({
  method: 'get',
  path: '/caregivers/{id}/profile',
  operationId: 'caregivers.profile.get',
  tags: caregiverTags,
  summary: "A caregiver's own profile (the caregiver themselves, or an admin)",
  description:
    "The public part plus the account `status`, `verifiedAt`, an admin's `rejection` and the `credentials`. Another caregiver's profile is 404.",
  request: { params: CaregiverIdParam },
  responses: { 200: jsonResponse(CaregiverProfileSchema, 'The profile'), 404: noCaregiver },
});

const updateProfileRoute = defineRoute({
  method: 'patch',
  path: '/caregivers/{id}/profile',
  operationId: 'caregivers.profile.update',
  tags: caregiverTags,
  summary: "Change a caregiver's profile (the caregiver themselves, or an admin)",
  description: `Send only the fields to change. \`credentials\` and \`specialtyIds\` replace the whole list; every specialty must exist and every \`documentFileIds\` entry must be a file the caregiver uploaded (422 naming the field). \`hourlyRateCents\` is in minor units of \`currency\` (ISO 4217). \`serviceLocation\` is an address with latitude (−90..90) and longitude (−180..180); \`serviceRadiusKm\` is ${MIN_RADIUS_KM}..${MAX_RADIUS_KM}. \`photoFileId\` must be a file of the caregiver with purpose \`avatar\` or \`content\`. Unknown fields (\`status\`, \`verifiedAt\`…) are refused (422). On any error nothing is stored.`,
  bodyLimit: BODY_LIMIT,
  request: { params: CaregiverIdParam, body: jsonBody(UpdateCaregiverProfileBody) },
  responses: {
    200: jsonResponse(CaregiverProfileSchema, 'Updated'),
    404: noCaregiver,
    409: errorOf('Account blocked (CONFLICT)'),
  },
});

// ---------------------------------------------------------------------------------------------------
// Session reviews

const reviewSessionRoute = defineRoute({
  method: 'post',
  path: '/care-sessions/{id}/review',
  operationId: 'careSessions.review.create',
  tags: caregiverTags,
  summary: 'Review my completed care session, once (the patient)',
  description:
    "`rating` 1–5 (integer), `comment` up to 2000 characters. Only the session's patient (anyone else: 404); the session must be `completed` (409 INVALID_TRANSITION); a second review is 409 CONFLICT. The caregiver's `ratingAverage` and `ratingCount` change with it.",
  bodyLimit: BODY_LIMIT,
  request: { params: SessionIdParam, body: jsonBody(CreateSessionReviewBody) },
  responses: {
    201: jsonResponse(SessionReviewSchema, 'Reviewed'),
    404: errorOf('No such care session of mine (NOT_FOUND)'),
    409: errorOf('Not completed (INVALID_TRANSITION), or already reviewed (CONFLICT)'),
  },
});

const caregiverReviewsRoute = defineRoute({
  method: 'get',
  path: '/caregivers/{id}/reviews',
  operationId: 'caregivers.reviews',
  tags: caregiverTags,
  summary: "A listed caregiver's session reviews, newest first (no token)",
  description: 'Without their authors: a home-care review tells who receives care.',
  request: { params: CaregiverIdParam, query: PageQuery },
  responses: {
    200: jsonResponse(pageOf(PublicSessionReviewSchema), 'A page of reviews'),
    404: errorOf('No such listed caregiver (NOT_FOUND)'),
  },
});

// ---------------------------------------------------------------------------------------------------
// Recommendations

const recommendRoute = defineRoute({
  method: 'post',
  path: '/patients/{patientId}/caregiver-recommendations',
  operationId: 'caregivers.recommendations.create',
  tags: caregiverTags,
  summary: 'Recommend a caregiver to a patient of mine, with a note (doctors)',
  description:
    'Only for a patient the doctor has, or had, an appointment with (whatever its status); anyone else is 404. The caregiver must be verified, active and have a profile (422 `caregiverId`). The patient is told by a notice (the note stays in the app).',
  bodyLimit: BODY_LIMIT,
  request: { params: PatientIdParam, body: jsonBody(CreateRecommendationBody) },
  responses: {
    201: jsonResponse(RecommendationSchema, 'Recommended'),
    404: errorOf('No such patient of mine (NOT_FOUND)'),
  },
});

const myRecommendationsRoute = defineRoute({
  method: 'get',
  path: '/patients/me/caregiver-recommendations',
  operationId: 'caregivers.recommendations.mine',
  tags: caregiverTags,
  summary: 'The caregivers my doctors recommended to me, newest first',
  description:
    "Each with the doctor, the note and the caregiver's public profile (to book from). Caregivers no longer listed are left out.",
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(RecommendationSchema), 'A page of recommendations') },
});

// ---------------------------------------------------------------------------------------------------
// Verification

const queueRoute = defineRoute({
  method: 'get',
  path: '/admin/caregivers/verification-queue',
  operationId: 'admin.caregivers.verificationQueue',
  tags: caregiverTags,
  summary: 'Caregivers awaiting verification, oldest first, with credentials and documents',
  description:
    'Pending caregivers not rejected, or changed since their rejection. Approve with `POST /admin/users/{id}/verify` (the caregiver becomes active and listed); refuse with `POST /admin/caregivers/{id}/reject`.',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(VerificationQueueItemSchema), 'A page of the queue') },
});

const rejectRoute = defineRoute({
  method: 'post',
  path: '/admin/caregivers/{id}/reject',
  operationId: 'admin.caregivers.reject',
  tags: caregiverTags,
  summary: "Refuse a pending caregiver's credentials, with a reason the caregiver is told",
  description:
    'The reason (3–500 characters) is stored on the profile and sent to the caregiver; the account stays pending and returns to the queue once the caregiver changes their profile. Not a pending caregiver: 409 INVALID_TRANSITION.',
  bodyLimit: BODY_LIMIT,
  request: { params: CaregiverIdParam, body: jsonBody(RejectCaregiverBody) },
  responses: {
    200: jsonResponse(RejectionSchema, 'Rejected'),
    404: noCaregiver,
    409: errorOf('Not awaiting verification (INVALID_TRANSITION)'),
  },
});

export const careProfilesRouter = createRouter()
  .openapi(listSpecialtiesRoute, async (c) =>
    c.json(ok(await listCareSpecialties(onReplica(c.get('ctx')), c.req.valid('query'))), 200),
  )
  .openapi(createSpecialtyRoute, async (c) =>
    c.json(ok(await createCareSpecialty(c.get('ctx'), c.req.valid('json')), 'Care specialty added'), 201),
  )
  .openapi(updateSpecialtyRoute, async (c) => {
    const updated = await updateCareSpecialty(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(updated, 'Care specialty updated'), 200);
  })
  .openapi(deleteSpecialtyRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteCareSpecialty(c.get('ctx'), id);
    return c.json(ok({ id }, 'Care specialty removed'), 200);
  })
  .openapi(searchRoute, async (c) =>
    c.json(ok(await searchCaregivers(onReplica(c.get('ctx')), c.req.valid('query'))), 200),
  )
  .openapi(reviewSessionRoute, async (c) => {
    const review = await createSessionReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(review, 'Care session reviewed'), 201);
  })
  .openapi(caregiverReviewsRoute, async (c) =>
    c.json(ok(await listCaregiverReviews(onReplica(c.get('ctx')), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(getProfileRoute, async (c) =>
    c.json(ok(await getCaregiverProfile(c.get('ctx'), c.req.valid('param').id)), 200),
  )
  .openapi(updateProfileRoute, async (c) => {
    const profile = await updateCaregiverProfile(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(profile, 'Profile updated'), 200);
  })
  .openapi(myRecommendationsRoute, async (c) =>
    c.json(ok(await listMyRecommendations(c.get('ctx'), c.req.valid('query'))), 200),
  )
  .openapi(recommendRoute, async (c) => {
    const { patientId } = c.req.valid('param');
    const view = await recommendCaregiver(c.get('ctx'), patientId, c.req.valid('json'));
    return c.json(ok(view, 'Caregiver recommended'), 201);
  })
  .openapi(queueRoute, async (c) => c.json(ok(await verificationQueue(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(rejectRoute, async (c) => {
    const result = await rejectCaregiver(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').reason);
    return c.json(ok(result, 'Caregiver rejected'), 200);
  });
