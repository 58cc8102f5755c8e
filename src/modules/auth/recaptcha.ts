import type { ServiceContext } from '../../context';
import { environmentOf } from '../../env';
import { AppError } from '../../lib/errors';

export const RECAPTCHA_HEADER = 'x-recaptcha-token';
const VERIFY_URL = 'https://www.google.com/recaptcha/api/siteverify';
/** reCAPTCHA v3 scores below this are treated as bots (v2 answers carry no score). */
const MIN_SCORE = 0.5;

/**
 * Verifies a reCAPTCHA token server-side with Google's siteverify API.
 * - RECAPTCHA_SECRET set: the token is required and must verify (any environment).
 * - unset in development/test: skipped, so local clients and tests need no Google account.
 * - unset in production: the request is refused with 503 rather than run unprotected.
 * @throws AppError FORBIDDEN (missing or failed token), SERVICE_UNAVAILABLE (not configured / Google down)
 */
export async function verifyRecaptcha(ctx: ServiceContext, token: string | undefined, action: string): Promise<void> {
  const secret = ctx.env.RECAPTCHA_SECRET;
  if (!secret) {
    if (environmentOf(ctx.env) !== 'production') return;
    throw new AppError('SERVICE_UNAVAILABLE', 'reCAPTCHA is not configured');
  }
  if (!token) throw new AppError('FORBIDDEN', `Send the reCAPTCHA token in the ${RECAPTCHA_HEADER} header`);
  const body = new URLSearchParams({ secret, response: token });
  if (ctx.ip) body.set('remoteip', ctx.ip);
  let result: { success?: boolean; score?: number; action?: string };
  try {
    const res = await ctx.ports.fetch(VERIFY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
    if (!res.ok) throw new Error(`siteverify answered ${res.status}`);
    result = await res.json();
  } catch (err) {
    ctx.log.log('error', 'recaptcha.unreachable', { error: String(err) });
    throw new AppError('SERVICE_UNAVAILABLE', 'reCAPTCHA could not be checked; try again');
  }
  const scoreOk = result.score === undefined || result.score >= MIN_SCORE;
  const actionOk = result.action === undefined || result.action === action;
  if (!result.success || !scoreOk || !actionOk) throw new AppError('FORBIDDEN', 'reCAPTCHA check failed');
}
