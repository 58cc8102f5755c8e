import { createRouter } from '../../http/hono';
import { defineRoute, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import {
  AdminUserListQuery,
  AdminUserResultSchema,
  AdminUserSchema,
  BulkBody,
  BulkResultSchema,
  CreatedUserSchema,
  CreateUserBody,
  DeleteBody,
  DeletedUserSchema,
  LoggedOutSchema,
  StatusBody,
  SubRolesBody,
  UserIdParam,
} from './admin.schemas';
import {
  applyBulk,
  applyDelete,
  applyLogout,
  applyStatus,
  applySubRoles,
  applyVerify,
  createUser,
  getUser,
  listUsers,
} from './admin.service';

const TAGS = ['Admin'];

const RULES =
  'Admins manage patients, doctors, caregivers and receptionists; only superadmins manage admins. Nobody acts on their own account here, and the last active superadmin cannot be removed.';

const described = (description: string) => ({ description });

const STATUS_MESSAGES = {
  activate: 'Account activated',
  deactivate: 'Account deactivated',
  block: 'Account blocked',
  unblock: 'Account unblocked',
} as const;

const listRoute = defineRoute({
  method: 'get',
  path: '/admin/users',
  operationId: 'admin.users.list',
  tags: TAGS,
  summary: 'Search and filter accounts',
  description:
    '`search` matches part of the name, email or mobile number (case-insensitive; `%` and `_` are literal). `verified` means credentials verified for doctors and caregivers, email verified for everyone else. Newest first unless `sort`/`order` say otherwise.',
  request: { query: AdminUserListQuery },
  responses: { 200: jsonResponse(pageOf(AdminUserSchema), 'A page of accounts') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/admin/users/{id}',
  operationId: 'admin.users.get',
  tags: TAGS,
  summary: 'One account, with its status reason and last sign-in',
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(AdminUserResultSchema, 'The account'),
    404: described('No such account'),
  },
});

const createRoute = defineRoute({
  method: 'post',
  path: '/admin/users',
  operationId: 'admin.users.create',
  tags: TAGS,
  summary: 'Create a doctor, receptionist, caregiver or admin account and email an invitation',
  description:
    'The account has a verified email and no password. The invitation email carries a code valid for 72 hours: the invitee sets a password with POST /auth/password/reset `{ email, otp, newPassword }` using that code. Doctors and caregivers created here are verified and active; a new admin is `pending` until a superadmin approves it (active at once when a superadmin creates it). Superadmins and patients cannot be created here (422).',
  request: { body: jsonBody(CreateUserBody) },
  responses: {
    201: jsonResponse(CreatedUserSchema, 'Created; invitation emailed'),
    409: described('Email or mobile number already registered'),
  },
});

const statusRoute = defineRoute({
  method: 'post',
  path: '/admin/users/{id}/status',
  operationId: 'admin.users.status',
  tags: TAGS,
  summary: 'Activate, deactivate, block or unblock an account',
  description: `Transitions: activate inactive → active; deactivate active/pending → inactive; block active/pending/inactive → blocked; unblock blocked → active (an unverified doctor or caregiver returns to pending). A reason (3–500 characters) is required to block or deactivate. Blocking and deactivating end every session and access token of the account at once. A pending doctor or caregiver is activated by verifying them. Anything else is 409 INVALID_TRANSITION. ${RULES}`,
  request: { params: UserIdParam, body: jsonBody(StatusBody) },
  responses: {
    200: jsonResponse(AdminUserResultSchema, 'The account after the change'),
    404: described('No such account'),
    409: described('Transition not allowed (INVALID_TRANSITION) or last active superadmin (CONFLICT)'),
  },
});

const verifyRoute = defineRoute({
  method: 'post',
  path: '/admin/users/{id}/verify',
  operationId: 'admin.users.verify',
  tags: TAGS,
  summary: "Verify a pending doctor's or caregiver's credentials; they become active and are emailed",
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(AdminUserResultSchema, 'The verified account'),
    404: described('No such account'),
    409: described('Not a pending doctor or caregiver (INVALID_TRANSITION)'),
  },
});

const subRolesRoute = defineRoute({
  method: 'put',
  path: '/admin/users/{id}/sub-roles',
  operationId: 'admin.users.subRoles',
  tags: TAGS,
  summary: "Replace an admin's sub-roles (superadmins only)",
  description:
    "Bumps the admin's token version: access tokens issued before fail with TOKEN_REVOKED; a refresh issues one for the new role data. Only admin accounts have sub-roles (409 otherwise).",
  request: { params: UserIdParam, body: jsonBody(SubRolesBody) },
  responses: {
    200: jsonResponse(AdminUserResultSchema, 'The admin after the change'),
    404: described('No such account'),
    409: described('Not an admin account (INVALID_TRANSITION)'),
  },
});

const logoutRoute = defineRoute({
  method: 'post',
  path: '/admin/users/{id}/logout',
  operationId: 'admin.users.logout',
  tags: TAGS,
  summary: 'Force a logout: end every session and access token of the account',
  request: { params: UserIdParam },
  responses: {
    200: jsonResponse(LoggedOutSchema, 'Signed out everywhere'),
    404: described('No such account'),
    409: described('A removed account (INVALID_TRANSITION)'),
  },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/admin/users/{id}',
  operationId: 'admin.users.delete',
  tags: TAGS,
  summary: 'Delete an account permanently, with its personal data and files',
  description: `No body, or \`{ "reason": "…" }\` to keep a reason in the audit trail. ${RULES}`,
  request: { params: UserIdParam, body: { ...jsonBody(DeleteBody), required: false } },
  responses: {
    200: jsonResponse(DeletedUserSchema, 'Deleted'),
    404: described('No such account'),
    409: described('Last active superadmin (CONFLICT)'),
  },
});

const bulkRoute = defineRoute({
  method: 'post',
  path: '/admin/users/bulk',
  operationId: 'admin.users.bulk',
  tags: TAGS,
  summary: 'Activate, deactivate or delete up to 100 accounts, each independently',
  description: `Each id gets the same rules as the single-account routes and its own outcome in \`results\` (\`ok: false\` with code NOT_FOUND, FORBIDDEN, INVALID_TRANSITION or CONFLICT); one failure never stops the others, and the answer is 200 either way. A reason is required to deactivate. ${RULES}`,
  request: { body: jsonBody(BulkBody) },
  responses: { 200: jsonResponse(BulkResultSchema, 'Per-id report') },
});

export const adminRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listUsers(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(bulkRoute, async (c) => {
    const report = await applyBulk(c.get('ctx'), c.req.valid('json'));
    return c.json(ok(report, `${report.counts.succeeded} of ${report.counts.requested} done`), 200);
  })
  .openapi(getRoute, async (c) => c.json(ok({ user: await getUser(c.get('ctx'), c.req.valid('param').id) }), 200))
  .openapi(createRoute, async (c) =>
    c.json(ok(await createUser(c.get('ctx'), c.req.valid('json')), 'Account created'), 201),
  )
  .openapi(statusRoute, async (c) => {
    const ctx = c.get('ctx');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    return c.json(ok({ user: await applyStatus(ctx, id, body) }, STATUS_MESSAGES[body.action]), 200);
  })
  .openapi(verifyRoute, async (c) => {
    const ctx = c.get('ctx');
    const { id } = c.req.valid('param');
    return c.json(ok({ user: await applyVerify(ctx, id) }, 'Account verified'), 200);
  })
  .openapi(subRolesRoute, async (c) => {
    const ctx = c.get('ctx');
    const { id } = c.req.valid('param');
    return c.json(ok({ user: await applySubRoles(ctx, id, c.req.valid('json').subRoles) }, 'Sub-roles updated'), 200);
  })
  .openapi(logoutRoute, async (c) =>
    c.json(ok(await applyLogout(c.get('ctx'), c.req.valid('param').id), 'Signed out everywhere'), 200),
  )
  .openapi(deleteRoute, async (c) => {
    const result = await applyDelete(
      c.get('ctx'),
      c.req.valid('param').id,
      (c.req.valid('json') as { reason?: string } | undefined)?.reason ?? null,
    );
    return c.json(ok(result, 'Account deleted'), 200);
  });
