import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { ServiceContext } from '../context';
import { AppError } from '../lib/errors';
import { verifyTwilioSignature } from '../platform/sms';
import { type AppEnv, fieldErrors } from './hono';

/**
 * Twilio's signed webhooks (message status, voice calls and their status): what every route Twilio
 * calls checks before anything else, so each one refuses a forged request the same way.
 */

/** A Twilio request as it arrived: the URL it was posted to, its signature header and its form. */
export interface TwilioCallbackRequest {
  url: string;
  signature: string | undefined;
  params: URLSearchParams;
}

/**
 * The URL Twilio signed: the callback URL it was given, which is `PUBLIC_URL` plus the path and query
 * (the adapters build it so). Behind a proxy the Worker may see another host; without `PUBLIC_URL` the
 * request's own URL is all there is.
 */
function signedUrl(publicUrl: string | undefined, requestUrl: string): string {
  const origin = publicUrl?.trim().replace(/\/+$/, '');
  if (!origin) return requestUrl;
  const { pathname, search } = new URL(requestUrl);
  return `${origin}${pathname}${search}`;
}

/**
 * Proves a request is Twilio's, for this account: `X-Twilio-Signature` must be the HMAC-SHA1 of the
 * URL and every form parameter under `TWILIO_AUTH_TOKEN`, and `AccountSid` must be
 * `TWILIO_ACCOUNT_SID`. Touches no storage.
 * @throws AppError SERVICE_UNAVAILABLE (Twilio not configured here), UNAUTHENTICATED (no signature),
 *   TOKEN_INVALID (a signature that does not match), FORBIDDEN (signed, but for another account)
 */
export async function authenticateTwilioCallback(ctx: ServiceContext, request: TwilioCallbackRequest): Promise<void> {
  const { TWILIO_AUTH_TOKEN: authToken, TWILIO_ACCOUNT_SID: accountSid } = ctx.env;
  if (!authToken || !accountSid) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Twilio is not configured', {
      details: { missing: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN' },
    });
  }
  if (!request.signature) throw new AppError('UNAUTHENTICATED', 'X-Twilio-Signature is missing');
  const url = signedUrl(ctx.env.PUBLIC_URL, request.url);
  if (!(await verifyTwilioSignature(authToken, request.signature, url, request.params))) {
    throw new AppError('TOKEN_INVALID', 'X-Twilio-Signature does not match this request');
  }
  if (request.params.get('AccountSid') !== accountSid) {
    throw new AppError('FORBIDDEN', 'This callback is for another Twilio account');
  }
}

/** The request as it arrived, for the signature: its URL, header and every form parameter. */
export async function twilioCallbackOf(c: Context<AppEnv>): Promise<TwilioCallbackRequest> {
  return {
    url: c.req.url,
    signature: c.req.header('x-twilio-signature'),
    params: new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())),
  };
}

/** Authenticates the Twilio request a route handles (see `authenticateTwilioCallback`). */
export async function verifyTwilioWebhook(c: Context<AppEnv>): Promise<void> {
  await authenticateTwilioCallback(c.get('ctx'), await twilioCallbackOf(c));
}

/**
 * The validation hook of a Twilio route: a request that fails validation is authenticated first, so a
 * forged one learns nothing from it and is refused as forged (as the guard does for signed-in routes);
 * Twilio's own then answers 422.
 */
export function twilioValidationHook(
  result: { success: boolean; error?: ZodError; target?: string },
  c: Context<AppEnv>,
) {
  return result.success ? undefined : refuseInvalid(c, result.error!, result.target ?? 'form');
}

async function refuseInvalid(c: Context<AppEnv>, error: ZodError, target: string): Promise<never> {
  await verifyTwilioWebhook(c);
  throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(error, target) });
}

/** The `X-Twilio-Signature` header of every Twilio route, for the OpenAPI document. */
export const TwilioSignatureHeader = z.object({
  'x-twilio-signature': z.string().optional().openapi({
    description:
      "Twilio's HMAC-SHA1 signature of the callback URL and the form, under the account's auth token (base64). Required.",
    example: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
  }),
});

/** The responses every Twilio route gives a request that is not Twilio's. */
export const TWILIO_REFUSALS = {
  401: 'No `X-Twilio-Signature` (UNAUTHENTICATED), or one that does not match (TOKEN_INVALID)',
  403: 'Signed, but for another Twilio account (FORBIDDEN)',
  503: 'Twilio is not configured here (SERVICE_UNAVAILABLE)',
} as const;
