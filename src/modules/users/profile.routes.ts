import { z } from '@hono/zod-openapi';
import { createRouter, originOf } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { avatarUrlFor, readSignedAvatar, removeAvatar, uploadAvatar } from './avatar.service';
import { createContact, deleteContact, listContacts, updateContact } from './profile.service';
import {
  AvatarFileParam,
  AvatarOnlySchema,
  AvatarUploadBody,
  ContactIdParam,
  ContactListQuery,
  CreateContactBody,
  DeletedContactSchema,
  EmergencyContactSchema,
  SignedAvatarQuery,
  SignedAvatarUrlSchema,
  UpdateContactBody,
  UserIdParam,
} from './users.schemas';

const CONTACTS = ['Emergency contacts'];
const AVATARS = ['Avatars'];

const listContactsRoute = defineRoute({
  method: 'get',
  path: '/users/me/emergency-contacts',
  operationId: 'users.me.emergencyContacts.list',
  tags: CONTACTS,
  summary: 'My emergency contacts, primary first',
  request: { query: ContactListQuery },
  responses: { 200: jsonResponse(pageOf(EmergencyContactSchema), 'A page of contacts') },
});

const createContactRoute = defineRoute({
  method: 'post',
  path: '/users/me/emergency-contacts',
  operationId: 'users.me.emergencyContacts.create',
  tags: CONTACTS,
  summary: 'Add an emergency contact (at most 10)',
  description: 'The phone is stored as E.164. A primary contact makes the others not primary. 409 past 10 contacts.',
  request: { body: jsonBody(CreateContactBody) },
  responses: {
    201: jsonResponse(EmergencyContactSchema, 'Added'),
    409: errorOf('Already 10 contacts (CONFLICT)'),
  },
});

const updateContactRoute = defineRoute({
  method: 'patch',
  path: '/users/me/emergency-contacts/{id}',
  operationId: 'users.me.emergencyContacts.update',
  tags: CONTACTS,
  summary: 'Change one of my emergency contacts',
  request: { params: ContactIdParam, body: jsonBody(UpdateContactBody) },
  responses: {
    200: jsonResponse(EmergencyContactSchema, 'Changed'),
    404: errorOf('No such contact of mine (NOT_FOUND)'),
  },
});

const deleteContactRoute = defineRoute({
  method: 'delete',
  path: '/users/me/emergency-contacts/{id}',
  operationId: 'users.me.emergencyContacts.delete',
  tags: CONTACTS,
  summary: 'Remove one of my emergency contacts',
  request: { params: ContactIdParam },
  responses: {
    200: jsonResponse(DeletedContactSchema, 'Removed'),
    404: errorOf('No such contact of mine (NOT_FOUND)'),
  },
});

const uploadAvatarRoute = defineRoute({
  method: 'put',
  path: '/users/me/avatar',
  operationId: 'users.me.avatar.upload',
  tags: AVATARS,
  summary: 'Set my avatar (multipart field "file": JPEG, PNG or WebP, at most 5 MiB)',
  description:
    'The type is read from the leading bytes. Replaces and deletes the previous avatar. The size limit is the `uploads.maxAvatarMb` setting (1 to 5 MiB, 5 by default): a larger file answers 413 FILE_TOO_LARGE with `details.maxBytes`.',
  bodyLimit: UPLOAD_RULES.avatar.maxBytes + 64 * 1024,
  request: { body: { required: true, content: { 'multipart/form-data': { schema: AvatarUploadBody } } } },
  responses: { 200: jsonResponse(AvatarOnlySchema, 'Avatar set') },
});

const deleteAvatarRoute = defineRoute({
  method: 'delete',
  path: '/users/me/avatar',
  operationId: 'users.me.avatar.delete',
  tags: AVATARS,
  summary: 'Remove my avatar',
  responses: {
    200: jsonResponse(z.object({}).openapi('NoContent', { example: {} }), 'Removed'),
    404: { description: 'No avatar set' },
  },
});

const avatarUrlRoute = defineRoute({
  method: 'get',
  path: '/users/{id}/avatar-url',
  operationId: 'users.avatar.url',
  tags: AVATARS,
  summary: "A signed link to an account's avatar (valid one hour)",
  request: { params: UserIdParam },
  responses: { 200: jsonResponse(SignedAvatarUrlSchema, 'Signed link'), 404: { description: 'No such avatar' } },
});

const avatarImageRoute = defineRoute({
  method: 'get',
  path: '/avatars/{fileId}',
  operationId: 'avatars.get',
  tags: AVATARS,
  summary: 'An avatar image by signed link (no token)',
  description:
    'Use the `url` from GET /users/me or GET /users/{id}/avatar-url as is. A wrong, expired or tampered link answers 404.',
  request: { params: AvatarFileParam, query: SignedAvatarQuery },
  responses: {
    200: {
      description: 'The image, with its sniffed Content-Type',
      content: { 'image/*': { schema: z.string().openapi({ format: 'binary', example: '(image bytes)' }) } },
    },
    404: { description: 'Unknown, expired or wrongly signed link' },
  },
});

export const profileRouter = createRouter()
  .openapi(listContactsRoute, async (c) => c.json(ok(await listContacts(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(createContactRoute, async (c) =>
    c.json(ok(await createContact(c.get('ctx'), c.req.valid('json')), 'Contact added'), 201),
  )
  .openapi(updateContactRoute, async (c) =>
    c.json(ok(await updateContact(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Contact updated'), 200),
  )
  .openapi(deleteContactRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteContact(c.get('ctx'), id);
    return c.json(ok({ id }, 'Contact removed'), 200);
  })
  .openapi(uploadAvatarRoute, async (c) => {
    const { file } = c.req.valid('form');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const avatar = await uploadAvatar(c.get('ctx'), { bytes, fileName: file.name || null }, originOf(c));
    return c.json(ok({ avatar }, 'Avatar set'), 200);
  })
  .openapi(deleteAvatarRoute, async (c) => {
    await removeAvatar(c.get('ctx'));
    return c.json(ok({}, 'Avatar removed'), 200);
  })
  .openapi(avatarUrlRoute, async (c) =>
    c.json(ok(await avatarUrlFor(c.get('ctx'), c.req.valid('param').id, originOf(c))), 200),
  )
  .openapi(avatarImageRoute, async (c) => {
    const avatar = await readSignedAvatar(c.get('ctx'), { ...c.req.valid('param'), ...c.req.valid('query') });
    return new Response(avatar.body, {
      headers: {
        'content-type': avatar.contentType,
        'content-length': String(avatar.size),
        'cache-control': `private, max-age=${avatar.maxAge}`,
        'content-disposition': 'inline',
        'x-content-type-options': 'nosniff',
      },
    });
  });
