import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { SignInResultSchema } from './auth.schemas';
import { signInWithGoogle } from './google.service';

export const GoogleSignInBody = z
  .object({
    idToken: z.string().min(1, 'Send the Google ID token').max(8192).openapi({
      description: 'The ID token (a JWT) from Google Sign-In',
      example: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ij...',
    }),
  })
  .openapi('GoogleSignInInput');

const googleRoute = defineRoute({
  method: 'post',
  path: '/google',
  operationId: 'auth.google',
  tags: ['Auth'],
  summary: 'Sign in with a Google ID token',
  description:
    "Verifies the token against Google's keys (issuer, audience, expiry, verified email). The first sign-in creates a patient account, or links the account that already has the email. Accounts with 2FA answer TWO_FACTOR_REQUIRED with a challenge. Answers 403 FORBIDDEN while the `features.googleSignIn` setting is off.",
  request: { body: jsonBody(GoogleSignInBody) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: errorOf('Token not accepted (TOKEN_INVALID) or second factor needed (TWO_FACTOR_REQUIRED)'),
    403: errorOf(
      'Google sign-in turned off (FORBIDDEN), account blocked (USER_BLOCKED) or deactivated (USER_INACTIVE)',
    ),
    503: errorOf('Google sign-in not configured or Google unreachable (SERVICE_UNAVAILABLE)'),
  },
});

export const googleRouter = createRouter().openapi(googleRoute, async (c) => {
  const { idToken } = c.req.valid('json');
  const result = await signInWithGoogle(c.get('ctx'), { idToken, userAgent: c.req.header('user-agent') ?? null });
  return c.json(ok(result, 'Signed in'), 200);
});
