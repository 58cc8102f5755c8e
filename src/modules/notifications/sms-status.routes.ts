import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { type AppEnv, createRouter, fieldErrors } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { applySmsStatus, authenticateTwilioCallback } from './sms-status.service';

const tags = ['Webhooks'];

/**
 * The form Twilio posts. Only the fields read are named; Twilio sends more (`SmsSid`, `SmsStatus`,
 * `From`, `ApiVersion`, `RawDlrDoneDate`, …) and may add others, and every one of them is signed, so
 * unknown fields are accepted.
 */
const TwilioStatusForm = z
  .looseObject({
    MessageSid: z.string().min(1).max(64).openapi({ example: 'SM0123456789abcdef0123456789abcdef' }),
    MessageStatus: z.string().min(1).max(32).openapi({
      description:
        '`delivered` sets the delivery `delivered`; `undelivered` and `failed` set it `failed`; any other status changes nothing.',
      example: 'delivered',
    }),
    AccountSid: z.string().min(1).max(64).openapi({ example: 'AC0123456789abcdef0123456789abcdef' }),
    ErrorCode: z
      .string()
      .max(16)
      .optional()
      .openapi({ description: 'With `undelivered` and `failed`', example: '30003' }),
    To: z.string().max(64).optional().openapi({ example: '+14155550123' }),
  })
  .openapi('TwilioMessageStatus', {
    example: {
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      MessageStatus: 'undelivered',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      ErrorCode: '30003',
      To: '+14155550123',
    },
  });

const SignatureHeader = z.object({
  'x-twilio-signature': z.string().optional().openapi({
    description:
      "Twilio's HMAC-SHA1 signature of the callback URL and the form, under the account's auth token (base64). Required.",
    example: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
  }),
});

const SmsStatusReceiptSchema = z
  .object({
    messageSid: z.string(),
    deliveryStatus: z.enum(['delivered', 'failed']).nullable().openapi({
      description:
        'What the callback set the SMS delivery to; null when it changed nothing (a status before an outcome, a replay, a late callback, a message Kinwell does not know)',
    }),
  })
  .openapi('SmsStatusReceipt', {
    example: { messageSid: 'SM0123456789abcdef0123456789abcdef', deliveryStatus: 'delivered' },
  });

const smsStatusRoute = defineRoute({
  method: 'post',
  path: '/webhooks/twilio/sms-status',
  operationId: 'webhooks.twilio.smsStatus',
  tags,
  summary: "Twilio's message status callback: an SMS was delivered, or could not be",
  description:
    'Twilio posts here as each SMS changes status (`StatusCallback`, set on every message when `PUBLIC_URL` is configured). The request must carry a valid `X-Twilio-Signature` for this URL as Twilio called it (`PUBLIC_URL` + this path) and the account of `TWILIO_ACCOUNT_SID`; the signature is checked before anything else. A delivery only moves forward from `sent`; a callback that changes nothing is still answered 200, so Twilio has nothing to retry.',
  request: {
    headers: SignatureHeader,
    body: {
      required: true,
      content: { 'application/x-www-form-urlencoded': { schema: TwilioStatusForm } },
    },
  },
  bodyLimit: 64 * 1024,
  responses: {
    200: jsonResponse(SmsStatusReceiptSchema, 'Received'),
    401: errorOf('No `X-Twilio-Signature` (UNAUTHENTICATED), or one that does not match (TOKEN_INVALID)'),
    403: errorOf('Signed, but for another Twilio account (FORBIDDEN)'),
    503: errorOf('Twilio is not configured here (SERVICE_UNAVAILABLE)'),
  },
});

/** The callback as it arrived, for the signature: its URL, header and every form parameter. */
async function callbackOf(c: Context<AppEnv>) {
  return {
    url: c.req.url,
    signature: c.req.header('x-twilio-signature'),
    params: new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())),
  };
}

/** Answers a callback that failed validation: 401/403 unless it is Twilio's, then 422. */
async function refuseInvalid(c: Context<AppEnv>, error: ZodError, target: string): Promise<never> {
  await authenticateTwilioCallback(c.get('ctx'), await callbackOf(c));
  throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(error, target) });
}

export const smsStatusRouter = createRouter().openapi(
  smsStatusRoute,
  async (c) => {
    const ctx = c.get('ctx');
    await authenticateTwilioCallback(ctx, await callbackOf(c));
    return c.json(ok(await applySmsStatus(ctx, c.req.valid('form')), 'Status received'), 200);
  },
  // A request that fails validation is authenticated first, so a forged one learns nothing from it
  // and is refused as forged (as the guard does for signed-in routes).
  (result, c) => (result.success ? undefined : refuseInvalid(c, result.error, result.target)),
);
