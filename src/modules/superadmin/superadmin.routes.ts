import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AdminAccountSchema, GrantAdminBody, ListAdminsQuery, ReasonBody, UserIdParam } from './superadmin.schemas';
import {
  approveAdmin,
  blockAdmin,
  grantAdmin,
  listAdmins,
  rejectAdmin,
  revokeAdmin,
  unblockAdmin,
} from './superadmin.service';

const tags = ['Superadmin'];
const LAST_SUPERADMIN_RULE = 'The last active superadmin cannot be blocked, demoted or removed (409 CONFLICT).';

const NO_SUCH_ADMIN = errorOf('No such admin or superadmin (NOT_FOUND)');
const NO_SUCH_ACCOUNT = errorOf('No such account (NOT_FOUND)');

const listRoute = defineRoute({
  method: 'get',
  path: '/superadmin/admins',
  operationId: 'superadmin.admins.list',
  tags,
  summary: 'Admins and superadmins, newest first (filter by status, role; search name or email)',
  request: { query: ListAdminsQuery },
  responses: { 200: jsonResponse(pageOf(AdminAccountSchema), 'A page of admin accounts') },
});

const approveRoute = defineRoute({
  method: 'post',
  path: '/superadmin/admins/{id}/approve',
  operationId: 'superadmin.admins.approve',
  tags,
  summary: 'Approve a pending admin (they are emailed)',
  description: 'Only a `pending` admin can be approved; any other status answers 409 INVALID_TRANSITION.',
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The admin, now active'),
    404: NO_SUCH_ADMIN,
    409: errorOf('Not pending, or changed meanwhile (INVALID_TRANSITION)'),
  },
});

const rejectRoute = defineRoute({
  method: 'post',
  path: '/superadmin/admins/{id}/reject',
  operationId: 'superadmin.admins.reject',
  tags,
  summary: 'Reject a pending admin',
  description: 'The account becomes `removed` with the reason, and every session and token it holds is revoked.',
  request: { params: UserIdParam, body: jsonBody(ReasonBody) },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The admin, now removed'),
    404: NO_SUCH_ADMIN,
    409: errorOf('Not pending, or changed meanwhile (INVALID_TRANSITION)'),
  },
});

const blockRoute = defineRoute({
  method: 'post',
  path: '/superadmin/admins/{id}/block',
  operationId: 'superadmin.admins.block',
  tags,
  summary: 'Block an admin; their tokens stop working at once',
  description: `You cannot block yourself (403). ${LAST_SUPERADMIN_RULE}`,
  request: { params: UserIdParam, body: jsonBody(ReasonBody) },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The admin, now blocked'),
    404: NO_SUCH_ADMIN,
    409: errorOf(
      'The last active superadmin (CONFLICT); pending, blocked or removed, or changed meanwhile (INVALID_TRANSITION)',
    ),
  },
});

const unblockRoute = defineRoute({
  method: 'post',
  path: '/superadmin/admins/{id}/unblock',
  operationId: 'superadmin.admins.unblock',
  tags,
  summary: 'Unblock a blocked admin',
  description: 'The admin signs in again: tokens revoked by the block stay revoked.',
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The admin, active again'),
    404: NO_SUCH_ADMIN,
    409: errorOf('Not blocked, or changed meanwhile (INVALID_TRANSITION)'),
  },
});

const grantRoute = defineRoute({
  method: 'post',
  path: '/superadmin/users/{id}/grant-admin',
  operationId: 'superadmin.admins.grant',
  tags,
  summary: 'Make an existing account an active admin',
  description:
    'For a patient, doctor, caregiver or receptionist that is active or pending; no approval step follows. Their tokens are revoked so new ones carry the admin role. Admins, superadmins and removed accounts answer 409.',
  request: { params: UserIdParam, body: jsonBody(GrantAdminBody) },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The account, now an admin'),
    404: NO_SUCH_ACCOUNT,
    409: errorOf('Already an admin or superadmin (CONFLICT); removed, blocked or deactivated (INVALID_TRANSITION)'),
  },
});

const revokeRoute = defineRoute({
  method: 'post',
  path: '/superadmin/admins/{id}/revoke-admin',
  operationId: 'superadmin.admins.revoke',
  tags,
  summary: 'Take admin rights away (back to role user, no sub-roles)',
  description: `The account is signed out everywhere. You cannot revoke yourself (403). ${LAST_SUPERADMIN_RULE}`,
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(AdminAccountSchema, 'The account, now a user'),
    404: NO_SUCH_ADMIN,
    409: errorOf('The last active superadmin (CONFLICT); removed, or changed meanwhile (INVALID_TRANSITION)'),
  },
});

export const superadminRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listAdmins(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(approveRoute, async (c) =>
    c.json(ok(await approveAdmin(c.get('ctx'), c.req.valid('param').id), 'Admin approved'), 200),
  )
  .openapi(rejectRoute, async (c) => {
    const admin = await rejectAdmin(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').reason);
    return c.json(ok(admin, 'Admin rejected'), 200);
  })
  .openapi(blockRoute, async (c) => {
    const admin = await blockAdmin(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').reason);
    return c.json(ok(admin, 'Admin blocked'), 200);
  })
  .openapi(unblockRoute, async (c) =>
    c.json(ok(await unblockAdmin(c.get('ctx'), c.req.valid('param').id), 'Admin unblocked'), 200),
  )
  .openapi(grantRoute, async (c) => {
    const admin = await grantAdmin(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').subRoles);
    return c.json(ok(admin, 'Admin rights granted'), 200);
  })
  .openapi(revokeRoute, async (c) =>
    c.json(ok(await revokeAdmin(c.get('ctx'), c.req.valid('param').id), 'Admin rights revoked'), 200),
  );
