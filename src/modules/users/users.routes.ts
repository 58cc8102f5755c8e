import { createRouter, originOf } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import {
  confirmEmailChange,
  confirmMobileChange,
  requestEmailChange,
  requestMobileChange,
} from './contact-change.service';
import { getMyAccount, updateMe } from './profile.service';
import {
  ChangeCodeSentSchema,
  EmailChangeBody,
  EmailConfirmBody,
  MeSchema,
  MobileChangeBody,
  MobileConfirmBody,
  UpdateMeBody,
  UserOnlySchema,
} from './users.schemas';

const TAGS = ['Users'];

const meRoute = defineRoute({
  method: 'get',
  path: '/users/me',
  operationId: 'users.me.get',
  tags: TAGS,
  summary: 'The signed-in account and its profile',
  description: '`profile.avatar.url` is a signed link that works without a token for an hour.',
  responses: { 200: jsonResponse(MeSchema, 'The account') },
});

const updateMeRoute = defineRoute({
  method: 'patch',
  path: '/users/me',
  operationId: 'users.me.update',
  tags: TAGS,
  summary: 'Change my name and profile (null clears a field)',
  description:
    'Any other key (role, status, email, …) is refused with 422 naming it. Email and mobile number change through their own confirmed flows.',
  request: { body: jsonBody(UpdateMeBody) },
  responses: { 200: jsonResponse(MeSchema, 'The updated account') },
});

const emailChangeRoute = defineRoute({
  method: 'post',
  path: '/users/me/email',
  operationId: 'users.me.email.change',
  tags: TAGS,
  summary: 'Start an email change: a code goes to the new address',
  description: 'Accounts with a password must give it. 409 when another account uses the address.',
  request: { body: jsonBody(EmailChangeBody) },
  responses: {
    200: jsonResponse(ChangeCodeSentSchema, 'Code sent to the new address'),
    409: errorOf('Another account uses the address (CONFLICT)'),
  },
});

const emailConfirmRoute = defineRoute({
  method: 'post',
  path: '/users/me/email/verify',
  operationId: 'users.me.email.confirm',
  tags: TAGS,
  summary: 'Confirm the new email with its code; the old address is notified',
  request: { body: jsonBody(EmailConfirmBody) },
  responses: {
    200: jsonResponse(UserOnlySchema, 'Email changed'),
    409: errorOf('Another account took the address meanwhile (CONFLICT)'),
  },
});

const mobileChangeRoute = defineRoute({
  method: 'post',
  path: '/users/me/mobile',
  operationId: 'users.me.mobile.change',
  tags: TAGS,
  summary: 'Start a mobile number change: an SMS code goes to the new number',
  request: { body: jsonBody(MobileChangeBody) },
  responses: {
    200: jsonResponse(ChangeCodeSentSchema, 'Code sent to the new number'),
    409: errorOf('Another account uses the number (CONFLICT)'),
  },
});

const mobileConfirmRoute = defineRoute({
  method: 'post',
  path: '/users/me/mobile/verify',
  operationId: 'users.me.mobile.confirm',
  tags: TAGS,
  summary: 'Confirm the new mobile number with its SMS code',
  request: { body: jsonBody(MobileConfirmBody) },
  responses: {
    200: jsonResponse(UserOnlySchema, 'Mobile number changed'),
    409: errorOf('Another account took the number meanwhile (CONFLICT)'),
  },
});

export const usersRouter = createRouter()
  .openapi(meRoute, async (c) => c.json(ok(await getMyAccount(c.get('ctx'), originOf(c))), 200))
  .openapi(updateMeRoute, async (c) =>
    c.json(ok(await updateMe(c.get('ctx'), c.req.valid('json'), originOf(c)), 'Profile updated'), 200),
  )
  .openapi(emailChangeRoute, async (c) =>
    c.json(ok(await requestEmailChange(c.get('ctx'), c.req.valid('json')), 'Code sent to the new address'), 200),
  )
  .openapi(emailConfirmRoute, async (c) =>
    c.json(ok(await confirmEmailChange(c.get('ctx'), c.req.valid('json')), 'Email changed'), 200),
  )
  .openapi(mobileChangeRoute, async (c) =>
    c.json(ok(await requestMobileChange(c.get('ctx'), c.req.valid('json')), 'Code sent to the new number'), 200),
  )
  .openapi(mobileConfirmRoute, async (c) =>
    c.json(ok(await confirmMobileChange(c.get('ctx'), c.req.valid('json')), 'Mobile number changed'), 200),
  );
