import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { DeletedSchema, SignInResultSchema } from './auth.schemas';
import {
  AuthenticateOptionsBody,
  AuthenticateVerifyBody,
  AuthenticationOptionsSchema,
  ListPasskeysQuery,
  PasskeyIdParam,
  PasskeySchema,
  PasskeyTwoFactorSchema,
  RegisterVerifyBody,
  RegistrationOptionsSchema,
  TwoFactorPasskeyOptionsBody,
} from './passkeys.schemas';
import {
  authenticationOptions,
  deletePasskey,
  listPasskeys,
  registerPasskey,
  registrationOptions,
  signInWithPasskey,
  twoFactorPasskeyOptions,
} from './passkeys.service';
import { enablePasskeyTwoFactor } from './two-factor.service';

const TAGS = ['Auth: passkeys'];

const TURNED_OFF = ' Answers 403 FORBIDDEN while the `features.passkeys` setting is off.';

const registerOptionsRoute = defineRoute({
  method: 'post',
  path: '/passkeys/register/options',
  operationId: 'auth.passkeys.register.options',
  tags: TAGS,
  summary: 'Start registering a passkey',
  description: `Options for \`navigator.credentials.create()\`. The challenge is valid for 5 minutes, once; passkeys already registered are excluded.${TURNED_OFF}`,
  responses: {
    200: jsonResponse(RegistrationOptionsSchema, 'Registration options'),
    403: errorOf('Passkeys turned off (FORBIDDEN)'),
  },
});

const registerVerifyRoute = defineRoute({
  method: 'post',
  path: '/passkeys/register/verify',
  operationId: 'auth.passkeys.register.verify',
  tags: TAGS,
  summary: 'Finish registering a passkey',
  description: `Send the credential \`navigator.credentials.create()\` returned (its JSON form). Answers 400 when it does not verify against the challenge (then start again) and 409 when the passkey is already registered.${TURNED_OFF}`,
  request: { body: jsonBody(RegisterVerifyBody) },
  responses: {
    201: jsonResponse(PasskeySchema, 'Registered'),
    400: errorOf('Not verified (BAD_REQUEST)'),
    403: errorOf('Passkeys turned off (FORBIDDEN)'),
    409: errorOf('Already registered (CONFLICT)'),
  },
});

const authenticateOptionsRoute = defineRoute({
  method: 'post',
  path: '/passkeys/authenticate/options',
  operationId: 'auth.passkeys.authenticate.options',
  tags: TAGS,
  summary: 'Start signing in with a passkey',
  description: `Options for \`navigator.credentials.get()\`. \`allowCredentials\` is always empty: the device offers its discoverable passkeys for this site, and the answer is the same whatever the email, so it never tells whether an address has passkeys. With the \`email\` of an account that has passkeys, only that account's passkeys can answer the challenge. The challenge is valid for 5 minutes, once.${TURNED_OFF}`,
  request: { body: jsonBody(AuthenticateOptionsBody) },
  responses: {
    200: jsonResponse(AuthenticationOptionsSchema, 'Authentication options'),
    403: errorOf('Passkeys turned off (FORBIDDEN)'),
  },
});

const authenticateVerifyRoute = defineRoute({
  method: 'post',
  path: '/passkeys/authenticate/verify',
  operationId: 'auth.passkeys.authenticate.verify',
  tags: TAGS,
  summary: 'Sign in with a passkey',
  description: `Send the assertion \`navigator.credentials.get()\` returned (its JSON form). A passkey sign-in never asks for a second factor. Any failure answers 401 UNAUTHENTICATED with the same message.${TURNED_OFF}`,
  request: { body: jsonBody(AuthenticateVerifyBody) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: errorOf('Not verified (UNAUTHENTICATED)'),
    403: errorOf('Passkeys turned off (FORBIDDEN), account blocked or deactivated (USER_BLOCKED, USER_INACTIVE)'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/passkeys',
  operationId: 'auth.passkeys.list',
  tags: TAGS,
  summary: 'My passkeys, newest first',
  request: { query: ListPasskeysQuery },
  responses: { 200: jsonResponse(pageOf(PasskeySchema), 'A page of passkeys') },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/passkeys/{id}',
  operationId: 'auth.passkeys.delete',
  tags: TAGS,
  summary: 'Delete one of my passkeys',
  description:
    'The last passkey cannot be deleted while passkeys are a second factor of the account (409): turn passkey two-factor off first with POST /api/v1/auth/2fa/disable, which asks for a fresh second factor, so a stolen access token alone cannot strip it. An account without a password keeps a way to sign in: its last passkey is refused too (409) when no verified email, verified mobile number (with SMS sign-in on) or linked Google account (with Google sign-in on) remains.',
  request: { params: PasskeyIdParam },
  responses: {
    200: jsonResponse(DeletedSchema, 'Deleted'),
    404: errorOf('No such passkey of mine (NOT_FOUND)'),
    409: errorOf(
      'The last passkey, while passkeys are a second factor (CONFLICT); or the passkey without which an account with no password could no longer sign in (CONFLICT, `details.reason` "last-sign-in-method")',
    ),
  },
});

const twoFactorOptionsRoute = defineRoute({
  method: 'post',
  path: '/2fa/passkey/options',
  operationId: 'auth.2fa.passkey.options',
  tags: TAGS,
  summary: 'Answer a 2FA sign-in challenge with a passkey: get options',
  description:
    "For a sign-in that answered TWO_FACTOR_REQUIRED with `passkey` among `methods`: options for `navigator.credentials.get()` restricted to that account's passkeys. Send the assertion to POST /api/v1/auth/2fa/verify with `method: 'passkey'`. Works even while the `features.passkeys` setting is off, so accounts with passkey 2FA are not locked out.",
  request: { body: jsonBody(TwoFactorPasskeyOptionsBody) },
  responses: {
    200: jsonResponse(AuthenticationOptionsSchema, 'Authentication options'),
    400: errorOf('Passkeys are not a second factor of this account (BAD_REQUEST)'),
    401: errorOf('Unknown, used or expired challenge (TOKEN_INVALID, TOKEN_EXPIRED)'),
  },
});

const twoFactorEnableRoute = defineRoute({
  method: 'post',
  path: '/2fa/passkey/enable',
  operationId: 'auth.2fa.passkey.enable',
  tags: TAGS,
  summary: 'Use my passkeys as a second factor',
  description: 'Password and code sign-ins will then ask for a passkey. Needs at least one registered passkey (409).',
  responses: {
    200: jsonResponse(PasskeyTwoFactorSchema, 'Enabled'),
    409: errorOf('No passkey registered (CONFLICT)'),
  },
});

export const passkeysRouter = createRouter()
  .openapi(registerOptionsRoute, async (c) =>
    c.json(ok(await registrationOptions(c.get('ctx')), 'Registration options'), 200),
  )
  .openapi(registerVerifyRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(ok(await registerPasskey(c.get('ctx'), body), 'Passkey registered'), 201);
  })
  .openapi(authenticateOptionsRoute, async (c) =>
    c.json(ok(await authenticationOptions(c.get('ctx'), c.req.valid('json')), 'Authentication options'), 200),
  )
  .openapi(authenticateVerifyRoute, async (c) => {
    const { response } = c.req.valid('json');
    const result = await signInWithPasskey(c.get('ctx'), { response, userAgent: c.req.header('user-agent') ?? null });
    return c.json(ok(result, 'Signed in'), 200);
  })
  .openapi(listRoute, async (c) => c.json(ok(await listPasskeys(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deletePasskey(c.get('ctx'), id);
    return c.json(ok({ id }, 'Passkey deleted'), 200);
  })
  .openapi(twoFactorOptionsRoute, async (c) =>
    c.json(ok(await twoFactorPasskeyOptions(c.get('ctx'), c.req.valid('json')), 'Authentication options'), 200),
  )
  .openapi(twoFactorEnableRoute, async (c) =>
    c.json(ok(await enablePasskeyTwoFactor(c.get('ctx')), 'Passkeys are now a second factor'), 200),
  );
