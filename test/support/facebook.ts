import type { Clock } from '../../src/lib/clock';
import { recordingFetch, testEnv, uniqueEmail } from '../helpers';

/** The Graph API endpoints the server calls. */
export const DEBUG_TOKEN_URL = 'https://graph.facebook.com/debug_token';
export const ME_URL = 'https://graph.facebook.com/me';

/** The app of vitest.config.ts, whose tokens the server accepts. */
export const FACEBOOK_APP_ID = testEnv.FACEBOOK_APP_ID!;
export const FACEBOOK_APP_SECRET = testEnv.FACEBOOK_APP_SECRET!;

/** What Facebook knows of one user access token; every field has the answer of a good token by default. */
export interface FakeFacebookToken {
  userId: string;
  email?: string | null;
  name?: string | null;
  appId?: string;
  type?: 'USER' | 'PAGE' | 'APP';
  isValid?: boolean;
  /** Unix seconds; 0 never expires. Default: an hour after the clock's now when the token was made. */
  expiresAt?: number;
  /** `/me` answers an OAuthException (the token was revoked after debug_token). */
  profileRefused?: boolean;
  /** `/me` answers for this id instead. */
  profileId?: string;
}

/** HMAC-SHA256(token) keyed with the app secret, as hex: computed here, independently of the server. */
export async function expectedProof(accessToken: string, secret = FACEBOOK_APP_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(accessToken));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const oauthError = (code: number, message: string) =>
  Response.json({ error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf' } }, { status: 400 });

/**
 * A Graph API double answering `debug_token` and `/me` as Facebook does for the tokens issued with
 * `token()`: an unknown token is `is_valid: false` (HTTP 200), a wrong app access token or a missing
 * or wrong `appsecret_proof` is a 400 OAuthException. `down` makes every call throw or answer 5xx.
 * Any other URL throws, so nothing reaches the network.
 */
export function facebookGraph(clock: Clock) {
  const tokens = new Map<string, FakeFacebookToken>();
  let down: null | 'network' | 'debug-5xx' | 'me-5xx' | 'junk' = null;
  const graph = recordingFetch(async (req) => {
    const url = new URL(req.url);
    const at = `${url.origin}${url.pathname}`;
    if (down === 'network') throw new TypeError('Network connection lost.');
    if (down === 'junk') return new Response('<html>Sorry, something went wrong.</html>', { status: 200 });
    if (at === DEBUG_TOKEN_URL) {
      if (down === 'debug-5xx') return new Response('{}', { status: 503 });
      if (url.searchParams.get('access_token') !== `${FACEBOOK_APP_ID}|${FACEBOOK_APP_SECRET}`) {
        return oauthError(190, 'Invalid OAuth access token signature.');
      }
      const t = tokens.get(url.searchParams.get('input_token') ?? '');
      if (!t) {
        return Response.json({
          data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] },
        });
      }
      return Response.json({
        data: {
          app_id: t.appId ?? FACEBOOK_APP_ID,
          type: t.type ?? 'USER',
          application: 'Kinwell',
          data_access_expires_at: Math.floor(clock.now().getTime() / 1000) + 90 * 86_400,
          expires_at: t.expiresAt,
          is_valid: t.isValid ?? true,
          scopes: ['email', 'public_profile'],
          user_id: t.userId,
        },
      });
    }
    if (at === ME_URL) {
      if (down === 'me-5xx') return new Response('{}', { status: 502 });
      const accessToken = url.searchParams.get('access_token') ?? '';
      const t = tokens.get(accessToken);
      if (!t || t.profileRefused)
        return oauthError(190, 'Error validating access token: The session has been invalidated.');
      if (url.searchParams.get('appsecret_proof') !== (await expectedProof(accessToken))) {
        return oauthError(100, 'Invalid appsecret_proof provided in the API argument');
      }
      const profile: Record<string, string> = { id: t.profileId ?? t.userId };
      if (t.name !== null) profile.name = t.name ?? 'Fiona Facebook';
      if (t.email) profile.email = t.email;
      return Response.json(profile);
    }
    throw new Error(`Unexpected outbound fetch: ${req.url}`);
  });
  let seq = 0;
  return {
    ...graph,
    /** Issues a token Facebook will describe as `t` says; a new Facebook user with an email by default. */
    token(t: Partial<FakeFacebookToken> = {}) {
      const accessToken = `EAAKinwell${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2)}`;
      const entry: FakeFacebookToken = {
        expiresAt: Math.floor(clock.now().getTime() / 1000) + 3600,
        ...t,
        userId: t.userId ?? facebookUserId(),
        email: t.email === undefined ? uniqueEmail('fb') : t.email,
      };
      tokens.set(accessToken, entry);
      return { accessToken, ...entry };
    },
    setDown(mode: typeof down) {
      down = mode;
    },
  };
}

/** A fresh app-scoped Facebook user id (digits). */
export const facebookUserId = () => String(10_000_000_000_000 + Math.floor(Math.random() * 1e13));
