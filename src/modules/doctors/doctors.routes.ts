import { z } from '@hono/zod-openapi';
import { onReplica } from '../../context';
import { createRouter, originOf } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import {
  CreateServiceBody,
  CreateSpecializationBody,
  DeletedSchema,
  DoctorListQuery,
  DoctorSchema,
  DoctorSummarySchema,
  IdParam,
  ManagedDoctorSchema,
  ServiceParams,
  ServiceSchema,
  SpecializationIdParam,
  SpecializationSchema,
  UpdateDoctorProfileBody,
  UpdateServiceBody,
  UpdateSpecializationBody,
} from './doctors.schemas';
import { getDoctor, getManagedProfile, listDoctors, readDoctorPhoto, updateDoctorProfile } from './doctors.service';
import { createService, deleteService, updateService } from './services.service';
import { MAX_SPECIALIZATION_DEPTH } from './specializations.policy';
import {
  createSpecialization,
  deleteSpecialization,
  listSpecializations,
  updateSpecialization,
} from './specializations.service';

const BODY_LIMIT = 64 * 1024;
const specTags = ['Specializations'];
const doctorTags = ['Doctors'];
const noSpecialization = errorOf('No such specialization (NOT_FOUND)');
const noDoctor = errorOf('No such doctor, or not one I manage (NOT_FOUND)');
const noService = errorOf('No such service of this doctor (NOT_FOUND)');

// ---------------------------------------------------------------------------------------------------
// Specializations

const listSpecializationsRoute = defineRoute({
  method: 'get',
  path: '/specializations',
  operationId: 'specializations.list',
  tags: specTags,
  summary: 'Medical specializations, by name',
  description: `A flat page; each item names its \`parentId\` (null at the top), so clients build the tree from it. The taxonomy is at most ${MAX_SPECIALIZATION_DEPTH} levels deep.`,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(SpecializationSchema), 'A page of specializations') },
});

const createSpecializationRoute = defineRoute({
  method: 'post',
  path: '/specializations',
  operationId: 'specializations.create',
  tags: specTags,
  summary: 'Add a specialization to the taxonomy',
  description: `\`slug\` is kebab-case and unique (409 CONFLICT when taken). \`parentId\` puts it under another specialization: an unknown one, or one already at the deepest level (the tree is at most ${MAX_SPECIALIZATION_DEPTH} levels deep), is 422 with the field \`parentId\`.`,
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateSpecializationBody) },
  responses: {
    201: jsonResponse(SpecializationSchema, 'Added'),
    409: errorOf('Slug already taken, or the tree changed meanwhile (CONFLICT)'),
  },
});

const updateSpecializationRoute = defineRoute({
  method: 'patch',
  path: '/specializations/{id}',
  operationId: 'specializations.update',
  tags: specTags,
  summary: 'Change a specialization',
  description: `Send only the fields to change; \`null\` clears \`description\`. \`parentId\` moves it, with everything under it, below another specialization (\`null\`: to the top); the parent must exist, must not be this one or below it, and the result must stay within ${MAX_SPECIALIZATION_DEPTH} levels (422 with the field \`parentId\` otherwise). Unknown fields are refused (422).`,
  bodyLimit: BODY_LIMIT,
  request: { params: SpecializationIdParam, body: jsonBody(UpdateSpecializationBody) },
  responses: {
    200: jsonResponse(SpecializationSchema, 'Updated'),
    404: noSpecialization,
    409: errorOf('Slug already taken, or the tree changed meanwhile (CONFLICT)'),
  },
});

const deleteSpecializationRoute = defineRoute({
  method: 'delete',
  path: '/specializations/{id}',
  operationId: 'specializations.delete',
  tags: specTags,
  summary: 'Remove a specialization no doctor uses and nothing sits under',
  description: 'Move or remove the specializations under it first (409 while there are any).',
  request: { params: SpecializationIdParam },
  responses: {
    200: jsonResponse(DeletedSchema, 'Removed'),
    404: noSpecialization,
    409: errorOf('A doctor still lists it, or specializations sit under it (CONFLICT)'),
  },
});

// ---------------------------------------------------------------------------------------------------
// Doctors

const listDoctorsRoute = defineRoute({
  method: 'get',
  path: '/doctors',
  operationId: 'doctors.list',
  tags: doctorTags,
  summary: 'Find doctors (verified and active only), by name',
  description:
    'Filters: `specialization` (slug; also finds doctors of the specializations under it), `service` (service name contains), `language` (BCP 47 tag; `en` also matches `en-GB`), `search` (doctor name contains).',
  request: { query: DoctorListQuery },
  responses: { 200: jsonResponse(pageOf(DoctorSummarySchema), 'A page of doctors') },
});

const getDoctorRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}',
  operationId: 'doctors.get',
  tags: doctorTags,
  summary: "A doctor's public profile",
  request: { params: IdParam },
  responses: { 200: jsonResponse(DoctorSchema, 'The doctor'), 404: errorOf('No such listed doctor (NOT_FOUND)') },
});

/** Shared caches may keep a doctor's photo an hour; its URL changes with the photo (`v`). */
const PHOTO_MAX_AGE_SECONDS = 3600;

const doctorPhotoRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/photo',
  operationId: 'doctors.photo',
  tags: doctorTags,
  summary: "A listed doctor's profile photo (no token)",
  description:
    'Use `photoUrl` from the directory or the profile as is: publicly cacheable for an hour, with an ETag (send `If-None-Match` for a 304). Only the photo the profile points at is served, never another file. `v` only busts caches.',
  request: {
    params: IdParam,
    query: z.object({ v: z.string().max(64).optional().openapi({ description: 'The photo file id (cache buster)' }) }),
  },
  responses: {
    200: {
      description: 'The image, with its sniffed Content-Type',
      content: { 'image/*': { schema: z.string().openapi({ format: 'binary', example: '(image bytes)' }) } },
    },
    304: { description: 'Not modified (If-None-Match matched the ETag)' },
    404: errorOf('No such listed doctor, or no photo (NOT_FOUND)'),
  },
});

const getProfileRoute = defineRoute({
  method: 'get',
  path: '/doctors/{id}/profile',
  operationId: 'doctors.profile.get',
  tags: doctorTags,
  summary: "A doctor's own profile with its completeness (the doctor themselves, or an admin)",
  description:
    "The public profile plus the account `status` (also while the doctor awaits verification) and `completeness`: a score from 0 to 100 and the fields still empty (`photo`, `bio`, `specializations`, `qualifications`, `registrationNumber`, `languages`, `yearsOfExperience`, `consultationFee`, `services`). Another doctor's profile is 404.",
  request: { params: IdParam },
  responses: { 200: jsonResponse(ManagedDoctorSchema, 'The profile'), 404: noDoctor },
});

const updateProfileRoute = defineRoute({
  method: 'patch',
  path: '/doctors/{id}/profile',
  operationId: 'doctors.profile.update',
  tags: doctorTags,
  summary: "Change a doctor's profile (the doctor themselves, or an admin)",
  description:
    'Send only the fields to change. `consultationFee.amount` is a decimal string with 2 places (`"50.00"`). `specializationIds` replaces the whole set and each must exist (422). `photoFileId` must be a file of the doctor with purpose `avatar` or `content` (422). Unknown fields (`role`, `status`, `verifiedAt`, `userId`…) are refused (422).',
  bodyLimit: BODY_LIMIT,
  request: { params: IdParam, body: jsonBody(UpdateDoctorProfileBody) },
  responses: { 200: jsonResponse(DoctorSchema, 'Updated'), 404: noDoctor, 409: errorOf('Account blocked (CONFLICT)') },
});

const createServiceRoute = defineRoute({
  method: 'post',
  path: '/doctors/{id}/services',
  operationId: 'doctors.services.create',
  tags: doctorTags,
  summary: 'Offer a new service (the doctor themselves, or an admin)',
  description: '`durationMinutes` is 5–480 in steps of 5; `price.amount` is a decimal string with 2 places.',
  bodyLimit: BODY_LIMIT,
  request: { params: IdParam, body: jsonBody(CreateServiceBody) },
  responses: { 201: jsonResponse(ServiceSchema, 'Added'), 404: noDoctor, 409: errorOf('Account blocked (CONFLICT)') },
});

const updateServiceRoute = defineRoute({
  method: 'patch',
  path: '/doctors/{id}/services/{serviceId}',
  operationId: 'doctors.services.update',
  tags: doctorTags,
  summary: "Change one of a doctor's services",
  description: 'Send only the fields to change; `active: false` withdraws it, `true` offers it again.',
  bodyLimit: BODY_LIMIT,
  request: { params: ServiceParams, body: jsonBody(UpdateServiceBody) },
  responses: {
    200: jsonResponse(ServiceSchema, 'Updated'),
    404: noService,
    409: errorOf('Account blocked (CONFLICT)'),
  },
});

const deleteServiceRoute = defineRoute({
  method: 'delete',
  path: '/doctors/{id}/services/{serviceId}',
  operationId: 'doctors.services.delete',
  tags: doctorTags,
  summary: "Withdraw one of a doctor's services",
  description:
    'The service is deactivated (`active: false`), not erased, so past appointments keep their history; it no longer shows publicly.',
  request: { params: ServiceParams },
  responses: { 200: jsonResponse(DeletedSchema, 'Withdrawn'), 404: noService },
});

export const doctorsRouter = createRouter()
  .openapi(listSpecializationsRoute, async (c) =>
    c.json(ok(await listSpecializations(onReplica(c.get('ctx')), c.req.valid('query'))), 200),
  )
  .openapi(createSpecializationRoute, async (c) =>
    c.json(ok(await createSpecialization(c.get('ctx'), c.req.valid('json')), 'Specialization added'), 201),
  )
  .openapi(updateSpecializationRoute, async (c) => {
    const updated = await updateSpecialization(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(updated, 'Specialization updated'), 200);
  })
  .openapi(deleteSpecializationRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteSpecialization(c.get('ctx'), id);
    return c.json(ok({ id }, 'Specialization removed'), 200);
  })
  .openapi(listDoctorsRoute, async (c) =>
    c.json(ok(await listDoctors(onReplica(c.get('ctx')), c.req.valid('query'), originOf(c))), 200),
  )
  .openapi(getDoctorRoute, async (c) =>
    c.json(ok(await getDoctor(onReplica(c.get('ctx')), c.req.valid('param').id, originOf(c))), 200),
  )
  .openapi(doctorPhotoRoute, async (c) => {
    const photo = await readDoctorPhoto(onReplica(c.get('ctx')), c.req.valid('param').id);
    const headers = {
      'cache-control': `public, max-age=${PHOTO_MAX_AGE_SECONDS}`,
      etag: photo.etag,
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === photo.etag) {
      await photo.body.cancel();
      return new Response(null, { status: 304, headers });
    }
    return new Response(photo.body, {
      headers: {
        ...headers,
        'content-type': photo.contentType,
        'content-length': String(photo.size),
        'content-disposition': 'inline',
      },
    });
  })
  .openapi(getProfileRoute, async (c) =>
    c.json(ok(await getManagedProfile(c.get('ctx'), c.req.valid('param').id, originOf(c))), 200),
  )
  .openapi(updateProfileRoute, async (c) => {
    const doctor = await updateDoctorProfile(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'), originOf(c));
    return c.json(ok(doctor, 'Profile updated'), 200);
  })
  .openapi(createServiceRoute, async (c) => {
    const service = await createService(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(service, 'Service added'), 201);
  })
  .openapi(updateServiceRoute, async (c) => {
    const { id, serviceId } = c.req.valid('param');
    return c.json(ok(await updateService(c.get('ctx'), id, serviceId, c.req.valid('json')), 'Service updated'), 200);
  })
  .openapi(deleteServiceRoute, async (c) => {
    const { id, serviceId } = c.req.valid('param');
    await deleteService(c.get('ctx'), id, serviceId);
    return c.json(ok({ id: serviceId }, 'Service withdrawn'), 200);
  });
