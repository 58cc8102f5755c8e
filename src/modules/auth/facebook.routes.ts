import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { SignInResultSchema } from './auth.schemas';
import { signInWithFacebook } from './facebook.service';

export const FacebookSignInBody = z
  .object({
    accessToken: z
      .string()
      .min(1, 'Send the Facebook access token')
      .max(4096)
      .regex(/^[A-Za-z0-9._-]+$/, 'Send the access token as the Facebook SDK gives it')
      .openapi({
        description: "The user access token from the Facebook SDK's login (`AccessToken.tokenString`)",
        example: 'EAAGm0PX4ZCpsBAO3ZBv0ZA8ZCZAeZAs...',
      }),
  })
  .openapi('FacebookSignInInput');

/** A sign-in body is one token: far below the 1 MiB every JSON route takes by default. */
const FACEBOOK_BODY_LIMIT = 16 * 1024;

const facebookRoute = defineRoute({
  method: 'post',
  path: '/facebook',
  operationId: 'auth.facebook',
  tags: ['Auth'],
  summary: 'Sign in with a Facebook access token',
  description:
    'Verifies the user access token with Facebook (Graph API `debug_token` for our app, not expired, then the profile with `appsecret_proof`). The first sign-in creates a patient account with the email Facebook shares (stored unverified); an existing account with that email is never linked (409 CONFLICT, `details.reason: "email-in-use"`). Accounts with 2FA answer TWO_FACTOR_REQUIRED with a challenge. Answers 403 FORBIDDEN while the `features.facebookSignIn` setting is off (the default).',
  bodyLimit: FACEBOOK_BODY_LIMIT,
  request: { body: jsonBody(FacebookSignInBody) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: errorOf('Token not accepted (TOKEN_INVALID) or second factor needed (TWO_FACTOR_REQUIRED)'),
    403: errorOf(
      'Facebook sign-in turned off (FORBIDDEN), account blocked (USER_BLOCKED) or deactivated (USER_INACTIVE)',
    ),
    409: errorOf(
      'An account already has the email Facebook shared (CONFLICT, `details.reason: "email-in-use"`), or it changed meanwhile (`"account-changed"`)',
    ),
    413: errorOf('Body over 16 KiB (PAYLOAD_TOO_LARGE)'),
    422: errorOf(
      'Validation failed (VALIDATION_FAILED), also when a first sign-in comes without the email permission (field `accessToken`)',
    ),
    503: errorOf(
      'Facebook sign-in not configured (`details.missing`), or Facebook unreachable or failing (SERVICE_UNAVAILABLE)',
    ),
  },
});

export const facebookRouter = createRouter().openapi(facebookRoute, async (c) => {
  const { accessToken } = c.req.valid('json');
  const result = await signInWithFacebook(c.get('ctx'), {
    accessToken,
    userAgent: c.req.header('user-agent') ?? null,
  });
  return c.json(ok(result, 'Signed in'), 200);
});
