import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DeletedAccountSchema, DeleteMeBody, DeletionCodeSentSchema } from '../users/users.schemas';
import { deleteMyAccount, sendDeletionCode } from './account-deletion.service';

// The caller's own account, so its routes sit with the other /users/me routes in the document.
const TAGS = ['Users'];

const deleteMeRoute = defineRoute({
  method: 'delete',
  path: '/users/me',
  operationId: 'users.me.delete',
  tags: TAGS,
  summary: 'Delete my account (password, or a code for accounts without one)',
  description:
    'Erases personal data, files and sessions; the account cannot sign in again. Audit records are kept with ids only. The last active superadmin cannot delete themselves (409).',
  request: { body: jsonBody(DeleteMeBody) },
  responses: {
    200: jsonResponse(DeletedAccountSchema, 'Deleted'),
    409: errorOf('The last active superadmin (CONFLICT)'),
  },
});

const deletionCodeRoute = defineRoute({
  method: 'post',
  path: '/users/me/deletion-code',
  operationId: 'users.me.deletionCode',
  tags: TAGS,
  summary: 'Send an account-deletion code (accounts without a password)',
  description: 'Sent to the verified email, else by SMS to the verified number. 409 for accounts with a password.',
  responses: {
    200: jsonResponse(DeletionCodeSentSchema, 'Code sent'),
    409: errorOf('The account has a password, or no verified email or number to send to (CONFLICT)'),
  },
});

export const accountDeletionRouter = createRouter()
  .openapi(deleteMeRoute, async (c) =>
    c.json(ok(await deleteMyAccount(c.get('ctx'), c.req.valid('json')), 'Account deleted'), 200),
  )
  .openapi(deletionCodeRoute, async (c) => c.json(ok(await sendDeletionCode(c.get('ctx')), 'Code sent'), 200));
