import type { ServiceContext } from '../../context';
import { hmacHex } from '../../lib/crypto';
import { AppError } from '../../lib/errors';

/**
 * Facebook's Graph API. Unversioned: calls run at the version set for the app in Facebook's dashboard,
 * so a retired version is moved forward there, not in a release of Kinwell.
 */
export const GRAPH_API_URL = 'https://graph.facebook.com';

/** A Graph call that has not answered by then counts as Facebook being down. */
const GRAPH_TIMEOUT_MS = 8_000;

/** A refused Facebook token: `reason` goes to the audit log only, never to the client. */
export class FacebookTokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FacebookTokenRejected';
  }
}

/** Who a verified Facebook user access token belongs to, as Facebook's profile names them. */
export interface FacebookIdentity {
  /** The app-scoped user id (the same for this app on every device, another for another app). */
  id: string;
  /** Lower-cased; null when the person did not share one (the `email` permission) or it is unusable. */
  email: string | null;
  name: string | null;
}

interface FacebookApp {
  appId: string;
  appSecret: string;
}

/**
 * The Facebook app whose tokens are accepted.
 * @throws AppError SERVICE_UNAVAILABLE (`details.missing`) when FACEBOOK_APP_ID or FACEBOOK_APP_SECRET is unset
 */
function facebookApp(env: { FACEBOOK_APP_ID?: string; FACEBOOK_APP_SECRET?: string }): FacebookApp {
  const appId = env.FACEBOOK_APP_ID?.trim() ?? '';
  const appSecret = env.FACEBOOK_APP_SECRET?.trim() ?? '';
  const missing = [appId ? null : 'FACEBOOK_APP_ID', appSecret ? null : 'FACEBOOK_APP_SECRET'].filter(Boolean);
  if (missing.length) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Facebook sign-in is not configured', {
      details: { missing: missing.join(', ') },
    });
  }
  return { appId, appSecret };
}

function graphUnavailable(cause?: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Facebook sign-in is unavailable right now; try again shortly', {
    cause,
  });
}

/**
 * One GET to the Graph API: the status and the JSON body of any answer below 500. The URL carries the
 * app secret and the user's token, so it is never logged; only which call failed and how.
 * @throws AppError SERVICE_UNAVAILABLE when Facebook cannot be reached, answers 5xx or not JSON
 */
async function graphGet(
  ctx: ServiceContext,
  call: 'debug_token' | 'me',
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${GRAPH_API_URL}/${call}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await ctx.ports.fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS),
    });
  } catch (err) {
    ctx.log.log('warn', 'facebook_graph_unreachable', { call, error: err instanceof Error ? err.name : 'unknown' });
    throw graphUnavailable(err);
  }
  if (res.status >= 500) {
    ctx.log.log('warn', 'facebook_graph_failed', { call, status: res.status });
    throw graphUnavailable();
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    ctx.log.log('warn', 'facebook_graph_malformed', { call, status: res.status });
    throw graphUnavailable(err);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    ctx.log.log('warn', 'facebook_graph_malformed', { call, status: res.status });
    throw graphUnavailable();
  }
  return { status: res.status, body: body as Record<string, unknown> };
}

/**
 * `appsecret_proof`: HMAC-SHA256 of the user's access token keyed with the app secret, as hex. With
 * "Require App Secret" on in the app's settings, Facebook refuses user-token calls without it, so a
 * token stolen from a device cannot be used against the Graph API from anywhere but this server.
 */
export function appSecretProof(appSecret: string, accessToken: string): Promise<string> {
  return hmacHex(appSecret, accessToken);
}

/**
 * What `debug_token` says of the token: it must be valid, a user token, for our app, not expired by the
 * context clock (`expires_at` 0 means it does not expire), and name its user.
 * @throws FacebookTokenRejected; AppError SERVICE_UNAVAILABLE when Facebook refuses our app credentials
 */
async function debugToken(ctx: ServiceContext, app: FacebookApp, accessToken: string): Promise<string> {
  const { status, body } = await graphGet(ctx, 'debug_token', {
    input_token: accessToken,
    access_token: `${app.appId}|${app.appSecret}`,
  });
  // A bad input token answers 200 with `is_valid: false`; a 4xx is Facebook refusing the app's own
  // credentials (a wrong id or secret): nobody's token can be checked until that is fixed.
  if (status !== 200) {
    ctx.log.log('error', 'facebook_app_credentials_refused', { status });
    throw graphUnavailable();
  }
  const data = body.data as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null) throw new FacebookTokenRejected('malformed');
  if (data.is_valid !== true) throw new FacebookTokenRejected('invalid');
  if (String(data.app_id) !== app.appId) throw new FacebookTokenRejected('other_app');
  if (data.type !== 'USER') throw new FacebookTokenRejected('not_user_token');
  const expiresAt = data.expires_at;
  if (typeof expiresAt !== 'number') throw new FacebookTokenRejected('malformed');
  if (expiresAt !== 0 && expiresAt * 1000 <= ctx.clock.now().getTime()) throw new FacebookTokenRejected('expired');
  const userId = data.user_id;
  if (typeof userId !== 'string' || !/^\d{1,64}$/.test(userId)) throw new FacebookTokenRejected('no_user');
  return userId;
}

/**
 * The profile of the token's user: id, name and email (with `appsecret_proof`). It must be the user
 * `debug_token` named.
 * @throws FacebookTokenRejected when Facebook refuses the token (revoked meanwhile) or names someone else
 */
async function profileOf(
  ctx: ServiceContext,
  app: FacebookApp,
  accessToken: string,
  userId: string,
): Promise<FacebookIdentity> {
  const { status, body } = await graphGet(ctx, 'me', {
    fields: 'id,name,email',
    access_token: accessToken,
    appsecret_proof: await appSecretProof(app.appSecret, accessToken),
  });
  if (status !== 200) throw new FacebookTokenRejected('profile_refused');
  if (body.id !== userId) throw new FacebookTokenRejected('profile_mismatch');
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
  const name = typeof body.name === 'string' ? body.name.trim().slice(0, 100) : '';
  return {
    id: userId,
    email: email.includes('@') && email.length <= 254 ? email : null,
    name: name || null,
  };
}

/**
 * Verifies a Facebook user access token server-side and returns whose it is: `debug_token` with the
 * app access token (FACEBOOK_APP_ID|FACEBOOK_APP_SECRET), then `/me` for the profile. Two calls to
 * Facebook, no D1.
 * @throws FacebookTokenRejected for any token problem; AppError SERVICE_UNAVAILABLE when unconfigured,
 * when Facebook is unreachable or failing, or when it refuses the app's credentials
 */
export async function verifyFacebookToken(ctx: ServiceContext, accessToken: string): Promise<FacebookIdentity> {
  const app = facebookApp(ctx.env);
  const userId = await debugToken(ctx, app, accessToken);
  return profileOf(ctx, app, accessToken, userId);
}
