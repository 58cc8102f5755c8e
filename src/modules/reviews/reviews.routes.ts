import { onReplica } from '../../context';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { AppointmentIdParam } from '../appointments/appointments.schemas';
import { IdParam } from '../doctors/doctors.schemas';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload } from '../files/files.service';

/** What a review photo can be: the images among the `content` upload types. */
const PHOTO_TYPES = UPLOAD_RULES.content.types.filter((type) => type.startsWith('image/'));

import {
  AdminReviewQuery,
  AppealBody,
  CreateReviewBody,
  FlagBody,
  FlaggedSchema,
  ModerationBody,
  PublicReviewSchema,
  ReplyBody,
  ReviewIdParam,
  ReviewSchema,
  UpdateReviewBody,
} from './reviews.schemas';
import {
  appealReview,
  createReview,
  flagReview,
  listDoctorReviews,
  listForModeration,
  moderateReview,
  readReviewPhoto,
  replyToReview,
  updateReview,
} from './reviews.service';

const BODY_LIMIT = 16 * 1024;
const tags = ['Reviews'];
const noReview = errorOf('No such review, or not mine (NOT_FOUND)');

const createRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/review',
  operationId: 'reviews.create',
  tags,
  summary: 'Review my completed appointment (once)',
  description: [
    '`rating` 1–5; `categories` (punctuality, bedsideManner, communication, waitTime) 1–5 each, each optional; `comment` up to 2000 characters; `photoFileId` one of my uploaded images (purpose `content`); `anonymous` hides my name from the public.',
    'A comment with contact details (email, phone number, link) or flagged words is `held` for an admin: not public and not counted in the rating until released. Otherwise it is `published` at once and counted.',
  ].join('\n\n'),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(CreateReviewBody) },
  responses: {
    201: jsonResponse(ReviewSchema, 'Reviewed'),
    404: errorOf('No such appointment of mine as patient (NOT_FOUND)'),
    409: errorOf('Not completed (INVALID_TRANSITION), or already reviewed (CONFLICT)'),
  },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/reviews/{id}',
  operationId: 'reviews.update',
  tags,
  summary: 'Edit my review, within the edit window',
  description:
    'Send only the fields to change (`null` clears an optional one). Allowed for `reviews.editWindowDays` days after writing it (`editableUntil`); the text passes the filter again.',
  bodyLimit: BODY_LIMIT,
  request: { params: ReviewIdParam, body: jsonBody(UpdateReviewBody) },
  responses: {
    200: jsonResponse(ReviewSchema, 'Edited'),
    404: noReview,
    409: errorOf('Past the edit window, or hidden (INVALID_TRANSITION)'),
  },
});

const flagRoute = defineRoute({
  method: 'post',
  path: '/reviews/{id}/flag',
  operationId: 'reviews.flag',
  tags,
  summary: 'Flag a published review for the moderators (once)',
  bodyLimit: BODY_LIMIT,
  request: { params: ReviewIdParam, body: jsonBody(FlagBody) },
  responses: {
    201: jsonResponse(FlaggedSchema, 'Flagged'),
    404: errorOf('No such published review (NOT_FOUND)'),
    409: errorOf('Already flagged by me (CONFLICT)'),
  },
});

const appealRoute = defineRoute({
  method: 'post',
  path: '/reviews/{id}/appeal',
  operationId: 'reviews.appeal',
  tags,
  summary: 'Appeal the hiding of my review (once)',
  bodyLimit: BODY_LIMIT,
  request: { params: ReviewIdParam, body: jsonBody(AppealBody) },
  responses: {
    200: jsonResponse(ReviewSchema, 'Appealed'),
    404: noReview,
    409: errorOf('Not hidden (INVALID_TRANSITION), or already appealed (CONFLICT)'),
  },
});

const replyRoute = defineRoute({
  method: 'post',
  path: '/reviews/{id}/reply',
  operationId: 'reviews.reply',
  tags,
  summary: 'Reply publicly to a review of mine (doctor, once)',
  bodyLimit: BODY_LIMIT,
  request: { params: ReviewIdParam, body: jsonBody(ReplyBody) },
  responses: {
    200: jsonResponse(ReviewSchema, 'Replied'),
    404: errorOf('No such review of mine as doctor (NOT_FOUND)'),
    409: errorOf('Not published (INVALID_TRANSITION), or already replied (CONFLICT)'),
  },
});

const adminListRoute = defineRoute({
  method: 'get',
  path: '/admin/reviews',
  operationId: 'admin.reviews.list',
  tags,
  summary: 'The moderation queue: held, flagged, hidden, appealed or published reviews, newest first',
  request: { query: AdminReviewQuery },
  responses: { 200: jsonResponse(pageOf(ReviewSchema), 'A page of reviews') },
});

const moderateRoute = (action: 'hide' | 'restore') =>
  defineRoute({
    method: 'post',
    path: `/admin/reviews/{id}/${action}`,
    operationId: action === 'hide' ? 'admin.reviews.hide' : 'admin.reviews.restore',
    tags,
    summary:
      action === 'hide'
        ? 'Hide a review from the public and the rating, with a reason'
        : 'Publish a hidden or held review again, with a reason',
    bodyLimit: BODY_LIMIT,
    request: { params: ReviewIdParam, body: jsonBody(ModerationBody) },
    responses: {
      200: jsonResponse(ReviewSchema, action === 'hide' ? 'Hidden' : 'Published'),
      404: errorOf('No such review (NOT_FOUND)'),
      409: errorOf(
        action === 'hide' ? 'Already hidden (INVALID_TRANSITION)' : 'Already published (INVALID_TRANSITION)',
      ),
    },
  });

const hideRoute = moderateRoute('hide');
const restoreRoute = moderateRoute('restore');

const photoRoute = defineRoute({
  method: 'get',
  path: '/reviews/{id}/photo',
  operationId: 'reviews.photo',
  tags,
  summary: "A published review's photo (no token)",
  description:
    'The image the patient attached (`photoFileId` set in the public list), as a download that is never cached. Held and hidden reviews show none: 404.',
  request: { params: ReviewIdParam },
  responses: {
    200: downloadResponse(PHOTO_TYPES, 'The image'),
    404: errorOf('No such published review, or it has no photo (NOT_FOUND)'),
  },
});

const doctorReviewsRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/reviews',
  operationId: 'doctors.reviews',
  tags,
  summary: "A listed doctor's published reviews, newest first (no token)",
  description: 'An anonymous review has `author: null`. Held and hidden reviews are never listed.',
  request: { params: IdParam, query: PageQuery },
  responses: {
    200: jsonResponse(pageOf(PublicReviewSchema), 'A page of reviews'),
    404: errorOf('No such listed doctor (NOT_FOUND)'),
  },
});

export const reviewsRouter = createRouter()
  .openapi(createRoute, async (c) =>
    c.json(ok(await createReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Review created'), 201),
  )
  .openapi(updateRoute, async (c) =>
    c.json(ok(await updateReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'))), 200),
  )
  .openapi(flagRoute, async (c) =>
    c.json(ok(await flagReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').reason), 'Flagged'), 201),
  )
  .openapi(appealRoute, async (c) =>
    c.json(ok(await appealReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').text)), 200),
  )
  .openapi(replyRoute, async (c) =>
    c.json(ok(await replyToReview(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').text)), 200),
  )
  .openapi(adminListRoute, async (c) => c.json(ok(await listForModeration(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(hideRoute, async (c) =>
    c.json(ok(await moderateReview(c.get('ctx'), c.req.valid('param').id, 'hide', c.req.valid('json').reason)), 200),
  )
  .openapi(restoreRoute, async (c) =>
    c.json(ok(await moderateReview(c.get('ctx'), c.req.valid('param').id, 'restore', c.req.valid('json').reason)), 200),
  )
  .openapi(photoRoute, async (c) => {
    const { file, body } = await readReviewPhoto(onReplica(c.get('ctx')), c.req.valid('param').id);
    return fileDownload(file, body);
  })
  .openapi(doctorReviewsRoute, async (c) =>
    c.json(ok(await listDoctorReviews(onReplica(c.get('ctx')), c.req.valid('param').id, c.req.valid('query'))), 200),
  );
