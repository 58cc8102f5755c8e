import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type AppEnv, createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UserSchema } from '../users/users.schemas';
import {
  EmailSchema,
  MessageOnlySchema,
  MobileNumberSchema,
  OtpSchema,
  PasswordInputSchema,
  SignInResultSchema,
  TokensSchema,
} from './auth.schemas';
import {
  changePassword,
  forgotPassword,
  login,
  logout,
  register,
  resendVerification,
  resetPassword,
  setPassword,
  verifyEmail,
} from './auth.service';
import { type OtpTarget, sendSignInCode, verifySignInCode } from './otp-sign-in.service';
import { type RemovalProof, removePassword } from './password-removal.service';
import { RECAPTCHA_HEADER, verifyRecaptcha } from './recaptcha';
import { type DeviceInfo, logoutEverywhere, refreshSession } from './sessions.service';
import { FreshFactorSchema } from './two-factor.schemas';

const TAGS = ['Auth'];

/** The device a sign-in comes from, for the session list. */
export const deviceOf = <E extends AppEnv>(c: Context<E>): DeviceInfo => ({
  userAgent: c.req.header('user-agent') ?? null,
  ip: c.get('ctx').ip,
});

const recaptchaHeader = z.object({
  [RECAPTCHA_HEADER]: z
    .string()
    .max(4096)
    .optional()
    .openapi({ description: 'reCAPTCHA token (required when the server has RECAPTCHA_SECRET)' }),
});

const CodeSentSchema = z
  .object({
    expiresIn: z.number().int().openapi({ example: 600 }),
    resendAfter: z.number().int().openapi({ example: 60 }),
  })
  .openapi('CodeSent');

/** `{ email }` or `{ mobileNumber }`, exactly one. */
const OtpTargetSchema = z
  .object({ email: EmailSchema.optional(), mobileNumber: MobileNumberSchema.optional() })
  .refine((v) => Boolean(v.email) !== Boolean(v.mobileNumber), {
    message: 'Send either email or mobileNumber',
    path: ['email'],
  });

/** reCAPTCHA's answers (src/modules/auth/recaptcha.ts) on the routes it guards. */
const RECAPTCHA_ERRORS = {
  403: errorOf('reCAPTCHA token missing or failed (FORBIDDEN)'),
  503: errorOf('reCAPTCHA not configured, or Google unreachable (SERVICE_UNAVAILABLE)'),
};

/** A code or password was right but the sign-in cannot finish yet, or the account may not sign in. */
const SECOND_FACTOR_NEEDED = errorOf(
  'A second factor is needed (TWO_FACTOR_REQUIRED; `data` holds `challengeId`, `methods`, `expiresAt`)',
);
const MAY_NOT_SIGN_IN = 'account blocked or deactivated (USER_BLOCKED, USER_INACTIVE)';

const registerRoute = defineRoute({
  method: 'post',
  path: '/register',
  operationId: 'auth.register',
  tags: TAGS,
  summary: 'Create an account (patient, doctor or caregiver) and email a verification code',
  description:
    'Doctors and caregivers start `pending` until an admin verifies them. Sign-in with a password needs the email verified first (POST /auth/verify-email).',
  request: {
    headers: recaptchaHeader,
    body: jsonBody(
      z
        .object({
          email: EmailSchema,
          password: PasswordInputSchema,
          name: z.string().trim().min(1).max(120).openapi({ example: 'Pat Patient' }),
          mobileNumber: MobileNumberSchema.optional(),
          role: z.enum(['user', 'doctor', 'caregiver']).default('user'),
        })
        .openapi('RegisterInput', {
          example: { email: 'pat@example.com', password: 'Tulip-Harbor-42', name: 'Pat Patient', role: 'user' },
        }),
    ),
  },
  responses: {
    201: jsonResponse(z.object({ user: UserSchema, verification: CodeSentSchema }), 'Created; code emailed'),
    ...RECAPTCHA_ERRORS,
    409: { description: 'Email or number already registered' },
  },
});

const verifyEmailRoute = defineRoute({
  method: 'post',
  path: '/verify-email',
  operationId: 'auth.verifyEmail',
  tags: TAGS,
  summary: 'Confirm the email with its 6-digit code; signs the user in',
  request: { body: jsonBody(z.object({ email: EmailSchema, otp: OtpSchema })) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Verified and signed in'),
    401: SECOND_FACTOR_NEEDED,
    403: errorOf(`Verified, but the ${MAY_NOT_SIGN_IN}`),
  },
});

const resendRoute = defineRoute({
  method: 'post',
  path: '/verify-email/resend',
  operationId: 'auth.verifyEmail.resend',
  tags: TAGS,
  summary: 'Send a new verification code (once a minute)',
  request: { body: jsonBody(z.object({ email: EmailSchema })) },
  responses: { 200: jsonResponse(CodeSentSchema, 'Sent if the account needs it') },
});

const loginRoute = defineRoute({
  method: 'post',
  path: '/login',
  operationId: 'auth.login',
  tags: TAGS,
  summary: 'Sign in with email and password',
  description:
    'With 2FA on, answers 401 `TWO_FACTOR_REQUIRED` whose `data` holds `challengeId` and `methods`; finish at POST /auth/2fa/verify.',
  request: {
    body: jsonBody(
      z
        .object({ email: EmailSchema, password: PasswordInputSchema })
        .openapi('LoginInput', { example: { email: 'patient@kinwell.local', password: 'Kinwell-dev-2026!' } }),
    ),
  },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: errorOf(
      'Wrong email or password, the same answer for both (UNAUTHENTICATED); or a second factor is needed (TWO_FACTOR_REQUIRED; `data` holds `challengeId`, `methods`, `expiresAt`)',
    ),
    403: errorOf(`Email not verified yet (EMAIL_NOT_VERIFIED), or ${MAY_NOT_SIGN_IN}`),
  },
});

const otpSendRoute = defineRoute({
  method: 'post',
  path: '/otp/send',
  operationId: 'auth.otp.send',
  tags: TAGS,
  summary: 'Send a one-time sign-in code by email or SMS',
  description:
    'An email code is sent only to an existing account (the answer is the same either way). Any valid mobile number gets an SMS; verifying it creates a patient account if the number is new. A mobile number answers 403 FORBIDDEN while the `features.smsSignIn` setting is off.',
  request: {
    headers: recaptchaHeader,
    body: jsonBody(OtpTargetSchema.openapi('OtpSendInput', { example: { mobileNumber: '+14155550123' } })),
  },
  responses: {
    200: jsonResponse(CodeSentSchema.extend({ channel: z.enum(['email', 'sms']) }), 'Code sent'),
    ...RECAPTCHA_ERRORS,
    403: errorOf('Sign-in by SMS turned off, or reCAPTCHA token missing or failed (FORBIDDEN)'),
  },
});

const otpVerifyRoute = defineRoute({
  method: 'post',
  path: '/otp/verify',
  operationId: 'auth.otp.verify',
  tags: TAGS,
  summary: 'Sign in with a one-time code (unknown mobile numbers become patient accounts)',
  description: 'A mobile number answers 403 FORBIDDEN while the `features.smsSignIn` setting is off.',
  request: {
    body: jsonBody(
      OtpTargetSchema.and(z.object({ otp: OtpSchema })).openapi('OtpVerifyInput', {
        example: { mobileNumber: '+14155550123', otp: '123456' },
      }),
    ),
  },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: SECOND_FACTOR_NEEDED,
    403: errorOf(`Sign-in by SMS turned off (FORBIDDEN), or ${MAY_NOT_SIGN_IN}`),
  },
});

const refreshRoute = defineRoute({
  method: 'post',
  path: '/refresh',
  operationId: 'auth.refresh',
  tags: TAGS,
  summary: 'Exchange a refresh token for a new pair (the old one stops working)',
  description: 'Presenting an already-rotated refresh token ends the whole session (401 `TOKEN_REVOKED`).',
  request: {
    body: jsonBody(
      z
        .object({ refreshToken: z.string().min(10).max(200) })
        .openapi('RefreshInput', { example: { refreshToken: 'rt_pX2mQ9v7Yc1b3Kf8Wd0sLe5Hn4Ta6Ru' } }),
    ),
  },
  responses: {
    200: jsonResponse(z.object({ tokens: TokensSchema }), 'New tokens'),
    401: errorOf(
      'Unknown refresh token (TOKEN_INVALID), expired token or session (TOKEN_EXPIRED), or reused token, revoked session or account gone (TOKEN_REVOKED)',
    ),
  },
});

const logoutRoute = defineRoute({
  method: 'post',
  path: '/logout',
  operationId: 'auth.logout',
  tags: TAGS,
  summary: 'End this session',
  responses: { 200: jsonResponse(MessageOnlySchema, 'Signed out') },
});

const logoutAllRoute = defineRoute({
  method: 'post',
  path: '/logout-all',
  operationId: 'auth.logoutAll',
  tags: TAGS,
  summary: 'End every session; every access token issued before stops working',
  responses: { 200: jsonResponse(MessageOnlySchema, 'Signed out everywhere') },
});

const forgotRoute = defineRoute({
  method: 'post',
  path: '/password/forgot',
  operationId: 'auth.password.forgot',
  tags: TAGS,
  summary: 'Email a password-reset code (same answer whether or not the account exists)',
  request: { headers: recaptchaHeader, body: jsonBody(z.object({ email: EmailSchema })) },
  responses: { 200: jsonResponse(CodeSentSchema, 'Sent if the account exists'), ...RECAPTCHA_ERRORS },
});

const resetRoute = defineRoute({
  method: 'post',
  path: '/password/reset',
  operationId: 'auth.password.reset',
  tags: TAGS,
  summary: 'Set a new password with a reset code; signs out every session',
  request: { body: jsonBody(z.object({ email: EmailSchema, otp: OtpSchema, newPassword: PasswordInputSchema })) },
  responses: { 200: jsonResponse(MessageOnlySchema, 'Password reset') },
});

const changeRoute = defineRoute({
  method: 'post',
  path: '/password/change',
  operationId: 'auth.password.change',
  tags: TAGS,
  summary: 'Change the password; other sessions end, this device gets new tokens',
  request: { body: jsonBody(z.object({ currentPassword: PasswordInputSchema, newPassword: PasswordInputSchema })) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Changed'),
    409: errorOf('The account has no password yet: set one with POST /auth/password/set (CONFLICT)'),
  },
});

const setRoute = defineRoute({
  method: 'post',
  path: '/password/set',
  operationId: 'auth.password.set',
  tags: TAGS,
  summary: 'Give an OTP-only account a password',
  request: { body: jsonBody(z.object({ newPassword: PasswordInputSchema })) },
  responses: {
    200: jsonResponse(z.object({ user: UserSchema }), 'Password set'),
    409: errorOf('The account already has a password: change it with POST /auth/password/change (CONFLICT)'),
  },
});

/** `{ password }` or `{ factor }`, exactly one: the fresh proof a password removal needs. */
const RemovePasswordBody = z
  .object({
    password: PasswordInputSchema.optional().openapi({ description: 'The current password' }),
    factor: FreshFactorSchema.optional(),
  })
  .refine((v) => (v.password === undefined) !== (v.factor === undefined), {
    message: 'Send either password or factor',
    path: ['password'],
  })
  .openapi('RemovePasswordInput', { example: { password: 'Kinwell-dev-2026!' } });

const removeRoute = defineRoute({
  method: 'delete',
  path: '/password',
  operationId: 'auth.password.remove',
  tags: TAGS,
  summary: 'Remove the password ("Delete password"); other sessions end, this device gets new tokens',
  description:
    'For an account that can still sign in another way: a verified email (email codes), a verified mobile number while SMS sign-in is on, a linked Google account while Google sign-in is on, or a passkey while passkey sign-in is on. Prove it is you with `password` (the current one) or `factor`, a fresh second factor as POST /auth/2fa/disable takes it. Afterwards password sign-in answers exactly as a wrong password; POST /auth/password/set (signed in) or the reset code of POST /auth/password/forgot sets one again.',
  request: { body: jsonBody(RemovePasswordBody) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Removed'),
    409: errorOf(
      'The account has no password (CONFLICT, `details.reason` "no-password"), removing it would leave no way to sign in (CONFLICT, `details.reason` "last-sign-in-method"), or the account changed meanwhile (CONFLICT)',
    ),
  },
});

const recaptchaOf = <E extends AppEnv>(c: Context<E>) => c.req.header(RECAPTCHA_HEADER);

export const authRouter = createRouter()
  .openapi(registerRoute, async (c) => {
    const ctx = c.get('ctx');
    await verifyRecaptcha(ctx, recaptchaOf(c), 'register');
    return c.json(ok(await register(ctx, c.req.valid('json')), 'Account created; check your email for the code'), 201);
  })
  .openapi(verifyEmailRoute, async (c) =>
    c.json(ok(await verifyEmail(c.get('ctx'), c.req.valid('json'), deviceOf(c)), 'Email verified'), 200),
  )
  .openapi(resendRoute, async (c) =>
    c.json(
      ok(
        await resendVerification(c.get('ctx'), c.req.valid('json').email),
        'If the account needs it, a code is on its way',
      ),
      200,
    ),
  )
  .openapi(loginRoute, async (c) =>
    c.json(ok(await login(c.get('ctx'), c.req.valid('json'), deviceOf(c)), 'Signed in'), 200),
  )
  .openapi(otpSendRoute, async (c) => {
    const ctx = c.get('ctx');
    const input = c.req.valid('json') as OtpTarget;
    const human = () => verifyRecaptcha(ctx, recaptchaOf(c), 'otp_send');
    return c.json(ok(await sendSignInCode(ctx, input, human), 'Code sent'), 200);
  })
  .openapi(otpVerifyRoute, async (c) => {
    const input = c.req.valid('json') as OtpTarget & { otp: string };
    return c.json(ok(await verifySignInCode(c.get('ctx'), input, deviceOf(c)), 'Signed in'), 200);
  })
  .openapi(refreshRoute, async (c) =>
    c.json(
      ok({ tokens: await refreshSession(c.get('ctx'), c.req.valid('json').refreshToken) }, 'Tokens refreshed'),
      200,
    ),
  )
  .openapi(logoutRoute, async (c) => {
    await logout(c.get('ctx'));
    return c.json(ok({}, 'Signed out'), 200);
  })
  .openapi(logoutAllRoute, async (c) => {
    await logoutEverywhere(c.get('ctx'));
    return c.json(ok({}, 'Signed out everywhere'), 200);
  })
  .openapi(forgotRoute, async (c) => {
    const ctx = c.get('ctx');
    await verifyRecaptcha(ctx, recaptchaOf(c), 'password_forgot');
    return c.json(
      ok(await forgotPassword(ctx, c.req.valid('json').email), 'If the account exists, a code is on its way'),
      200,
    );
  })
  .openapi(resetRoute, async (c) => {
    await resetPassword(c.get('ctx'), c.req.valid('json'));
    return c.json(ok({}, 'Password reset; sign in again'), 200);
  })
  .openapi(changeRoute, async (c) =>
    c.json(ok(await changePassword(c.get('ctx'), c.req.valid('json'), deviceOf(c)), 'Password changed'), 200),
  )
  .openapi(setRoute, async (c) =>
    c.json(ok({ user: await setPassword(c.get('ctx'), c.req.valid('json').newPassword) }, 'Password set'), 200),
  )
  .openapi(removeRoute, async (c) => {
    const proof = c.req.valid('json') as RemovalProof;
    return c.json(ok(await removePassword(c.get('ctx'), proof, deviceOf(c)), 'Password removed'), 200);
  });
