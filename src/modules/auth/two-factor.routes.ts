import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, jsonBody, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { SignInResultSchema } from './auth.schemas';
import {
  DisableBody,
  EnableBody,
  RecoveryCodesSchema,
  RegenerateBody,
  SendBody,
  TotpSetupSchema,
  TwoFactorCodeSentSchema,
  TwoFactorEnabledSchema,
  TwoFactorStatusSchema,
  VerifyBody,
} from './two-factor.schemas';
import {
  disableTwoFactor,
  enableEmail,
  enableTotp,
  regenerateRecoveryCodes,
  sendTwoFactorEmail,
  setupEmail,
  setupTotp,
  twoFactorStatus,
  verifyTwoFactor,
} from './two-factor.service';

const TAGS = ['Auth: two-factor'];

const FRESH_FACTOR_DOC =
  '`factor` proves a second factor again: `{ type: "totp", code }` (a current authenticator code), `{ type: "recovery", code }` (an unused recovery code, then spent), or `{ type: "email", code }` (a code from POST /auth/2fa/email/setup, usable while email 2FA is on). Each TOTP time-step is accepted once.';

const statusRoute = defineRoute({
  method: 'get',
  path: '/2fa',
  operationId: 'auth.2fa.status',
  tags: TAGS,
  summary: 'My second factors and how many recovery codes are left',
  responses: { 200: jsonResponse(TwoFactorStatusSchema, 'Two-factor status') },
});

const totpSetupRoute = defineRoute({
  method: 'post',
  path: '/2fa/totp/setup',
  operationId: 'auth.2fa.totp.setup',
  tags: TAGS,
  summary: 'Create a TOTP secret for an authenticator app (pending until confirmed)',
  description:
    'Returns the base32 secret and an `otpauth://` URL (show it as a QR code). SHA-1, 6 digits, 30 s. Running it again replaces a pending secret; confirm with POST /auth/2fa/totp/enable.',
  responses: {
    200: jsonResponse(TotpSetupSchema, 'Secret created'),
    409: { description: 'TOTP is already on (CONFLICT)' },
  },
});

const totpEnableRoute = defineRoute({
  method: 'post',
  path: '/2fa/totp/enable',
  operationId: 'auth.2fa.totp.enable',
  tags: TAGS,
  summary: 'Turn TOTP on with a code from the authenticator',
  description:
    'When the account has no recovery codes yet, ten are created and returned in `recoveryCodes`, once. A wrong code answers 422 `OTP_INVALID`.',
  request: { body: jsonBody(EnableBody) },
  responses: {
    200: jsonResponse(TwoFactorEnabledSchema, 'TOTP on'),
    409: { description: 'Already on, or not set up (CONFLICT)' },
  },
});

const emailSetupRoute = defineRoute({
  method: 'post',
  path: '/2fa/email/setup',
  operationId: 'auth.2fa.email.setup',
  tags: TAGS,
  summary: 'Email a code to the account address, to turn email 2FA on (or to prove it)',
  description:
    'The code confirms POST /auth/2fa/email/enable. While email 2FA is on, the same call sends the `email` fresh factor for POST /auth/2fa/disable and POST /auth/2fa/recovery-codes. Once a minute.',
  responses: {
    200: jsonResponse(TwoFactorCodeSentSchema, 'Code sent'),
    409: { description: 'No verified email on the account (CONFLICT)' },
  },
});

const emailEnableRoute = defineRoute({
  method: 'post',
  path: '/2fa/email/enable',
  operationId: 'auth.2fa.email.enable',
  tags: TAGS,
  summary: 'Turn email codes on as a second factor',
  description: 'With the code from POST /auth/2fa/email/setup. Recovery codes as for TOTP.',
  request: { body: jsonBody(EnableBody) },
  responses: {
    200: jsonResponse(TwoFactorEnabledSchema, 'Email 2FA on'),
    409: { description: 'Already on, or no verified email (CONFLICT)' },
  },
});

const disableRoute = defineRoute({
  method: 'post',
  path: '/2fa/disable',
  operationId: 'auth.2fa.disable',
  tags: TAGS,
  summary: 'Turn a second factor (or all of them) off',
  description: `${FRESH_FACTOR_DOC} Turning the last factor off deletes the recovery codes. \`passkey\` stops passkeys counting as a second factor; they stay registered.`,
  request: { body: jsonBody(DisableBody) },
  responses: {
    200: jsonResponse(TwoFactorStatusSchema, 'Turned off; the status after'),
    409: { description: 'That factor is not on (CONFLICT)' },
  },
});

const recoveryCodesRoute = defineRoute({
  method: 'post',
  path: '/2fa/recovery-codes',
  operationId: 'auth.2fa.recoveryCodes',
  tags: TAGS,
  summary: 'Replace the recovery codes with ten new ones (shown once)',
  description: `${FRESH_FACTOR_DOC} The old codes stop working at once.`,
  request: { body: jsonBody(RegenerateBody) },
  responses: {
    200: jsonResponse(z.object({ recoveryCodes: RecoveryCodesSchema }), 'New recovery codes'),
    409: { description: 'Two-factor authentication is off (CONFLICT)' },
  },
});

const emailSendRoute = defineRoute({
  method: 'post',
  path: '/2fa/email/send',
  operationId: 'auth.2fa.email.send',
  tags: TAGS,
  summary: 'Email a code for a pending sign-in challenge',
  description: 'For a `challengeId` from 401 `TWO_FACTOR_REQUIRED` whose `methods` include `email`. Once a minute.',
  request: { body: jsonBody(SendBody) },
  responses: {
    200: jsonResponse(TwoFactorCodeSentSchema, 'Code sent'),
    401: { description: 'Unknown, used or expired challenge (TOKEN_INVALID, TOKEN_EXPIRED)' },
    409: { description: 'Email is not one of the account’s second factors (CONFLICT)' },
  },
});

const verifyRoute = defineRoute({
  method: 'post',
  path: '/2fa/verify',
  operationId: 'auth.2fa.verify',
  tags: TAGS,
  summary: 'Finish a sign-in with the second factor',
  description:
    '`method` is one of the challenge’s `methods`: `totp` (authenticator code), `email` (code from POST /auth/2fa/email/send), `recovery` (single-use recovery code), `passkey` (`response`: the WebAuthn assertion for options from POST /auth/2fa/passkey/options). A challenge lives 5 minutes and dies after 5 wrong answers (429 `OTP_MAX_ATTEMPTS`).',
  request: { body: jsonBody(VerifyBody) },
  responses: {
    200: jsonResponse(SignInResultSchema, 'Signed in'),
    401: { description: 'Unknown, used or expired challenge (TOKEN_INVALID, TOKEN_EXPIRED)' },
    403: { description: 'Answered, but the account is blocked or deactivated (USER_BLOCKED, USER_INACTIVE)' },
    409: { description: 'That method is not on for the account (CONFLICT)' },
  },
});

export const twoFactorRouter = createRouter()
  .openapi(statusRoute, async (c) => c.json(ok(await twoFactorStatus(c.get('ctx'))), 200))
  .openapi(totpSetupRoute, async (c) =>
    c.json(ok(await setupTotp(c.get('ctx')), 'Scan the code, then confirm with a code from the app'), 200),
  )
  .openapi(totpEnableRoute, async (c) =>
    c.json(ok(await enableTotp(c.get('ctx'), c.req.valid('json').code), 'Two-factor by authenticator app is on'), 200),
  )
  .openapi(emailSetupRoute, async (c) => c.json(ok(await setupEmail(c.get('ctx')), 'Code sent'), 200))
  .openapi(emailEnableRoute, async (c) =>
    c.json(ok(await enableEmail(c.get('ctx'), c.req.valid('json').code), 'Two-factor by email is on'), 200),
  )
  .openapi(disableRoute, async (c) =>
    c.json(ok(await disableTwoFactor(c.get('ctx'), c.req.valid('json')), 'Two-factor turned off'), 200),
  )
  .openapi(recoveryCodesRoute, async (c) =>
    c.json(
      ok(
        await regenerateRecoveryCodes(c.get('ctx'), c.req.valid('json').factor),
        'New recovery codes; the old ones no longer work',
      ),
      200,
    ),
  )
  .openapi(emailSendRoute, async (c) =>
    c.json(ok(await sendTwoFactorEmail(c.get('ctx'), c.req.valid('json').challengeId), 'Code sent'), 200),
  )
  .openapi(verifyRoute, async (c) =>
    c.json(ok(await verifyTwoFactor(c.get('ctx'), c.req.valid('json')), 'Signed in'), 200),
  );
