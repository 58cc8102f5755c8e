import { importPKCS8, SignJWT } from 'jose';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { type OutboxDeps, writeOutbox } from './outbox';

/** A notification to one device, by its FCM registration token. Data values are strings, as FCM wants. */
export interface PushMessage {
  token: string;
  title: string;
  body: string;
  data?: Record<string, string>;
}

/**
 * What became of a push: `sent` with the provider's message name, or `unregistered` when the provider
 * says the token will never work again (the app was uninstalled, the token expired or is not a token):
 * the caller deletes it.
 */
export type PushResult = { status: 'sent'; name: string } | { status: 'unregistered' };

/** Port: sends push notifications. */
export interface PushSender {
  /**
   * Sends one notification, its body first shortened to fit the payload limit (`fitPushPayload`).
   * @throws AppError PAYLOAD_TOO_LARGE (the title and data alone are over the limit) or BAD_REQUEST (a
   *   data key FCM reserves): retrying cannot help. SERVICE_UNAVAILABLE for every other failure
   *   (credentials refused, throttling, provider errors, network): a retry may succeed.
   */
  send(message: PushMessage): Promise<PushResult>;
}

/** FCM's limit on a message's payload (notification and data, keys and values), in bytes. */
export const PUSH_PAYLOAD_LIMIT = 4096;

const encoder = new TextEncoder();

/**
 * The bytes this message's payload counts against the limit: the UTF-8 JSON of its notification and
 * data. That counts quotes, braces and escapes FCM does not, so a payload that fits here fits FCM.
 */
export function pushPayloadBytes(message: Pick<PushMessage, 'title' | 'body' | 'data'>): number {
  const payload = { notification: { title: message.title, body: message.body }, data: message.data ?? {} };
  return encoder.encode(JSON.stringify(payload)).length;
}

/** Data keys FCM rejects (it uses them itself). */
const RESERVED_DATA_KEY = /^(from|notification|message_type|google(\..*)?|gcm(\..*)?)$/i;

/**
 * `message` within the payload limit. A body too long is cut at a character boundary and ends in "…"
 * (a notification shows a few lines anyway; the app opens the full text). The title and data are never
 * cut: data is read by the app, and a cut value would be a wrong value.
 * @throws AppError PAYLOAD_TOO_LARGE when the title and data alone exceed the limit; BAD_REQUEST for a
 *   data key FCM reserves (`from`, `notification`, `message_type`, `google…`, `gcm…`).
 */
export function fitPushPayload(message: PushMessage): PushMessage {
  const reserved = Object.keys(message.data ?? {}).filter((key) => RESERVED_DATA_KEY.test(key));
  if (reserved.length) {
    throw new AppError('BAD_REQUEST', 'Push data uses keys FCM reserves', { details: { keys: reserved } });
  }
  if (pushPayloadBytes(message) <= PUSH_PAYLOAD_LIMIT) return message;
  const bare = pushPayloadBytes({ ...message, body: '' });
  if (bare > PUSH_PAYLOAD_LIMIT) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'Push title and data exceed the payload limit', {
      details: { bytes: bare, limit: PUSH_PAYLOAD_LIMIT },
    });
  }
  // The longest prefix (in code points, so no surrogate pair is split) that fits with its ellipsis.
  const chars = Array.from(message.body);
  const cut = (kept: number) => (kept === 0 ? '' : `${chars.slice(0, kept).join('').trimEnd()}…`);
  let low = 0;
  let high = chars.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (pushPayloadBytes({ ...message, body: cut(mid) }) <= PUSH_PAYLOAD_LIMIT) low = mid;
    else high = mid - 1;
  }
  return { ...message, body: cut(low) };
}

/**
 * Development/test adapter: stores the notification (as FCM would get it) in D1 for
 * GET /api/v1/dev/outbox; `name` is the outbox message id. It never reports a token unregistered.
 */
export function outboxPush(deps: OutboxDeps): PushSender {
  return {
    async send(message) {
      const fitted = fitPushPayload(message);
      const id = await writeOutbox(deps, {
        channel: 'push',
        recipient: fitted.token,
        subject: fitted.title,
        body: fitted.body,
        data: fitted.data,
      });
      return { status: 'sent', name: id };
    },
  };
}

export interface FcmConfig {
  /** The service account key file's JSON (`client_email`, `private_key`, `project_id`). */
  serviceAccount: string;
  /** Overrides the key's `project_id`. */
  projectId?: string;
}

interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  projectId: string;
}

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** An access token is replaced this long before it expires, so none expires between check and use. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const ASSERTION_TTL_S = 3600;

/**
 * Access tokens per service account (client email), per isolate: one exchange serves every push for
 * about an hour. Only settled tokens are shared; a pending exchange belongs to the request that began
 * it (the Workers runtime does not let one request wait on another's I/O).
 */
const accessTokens = new Map<string, { token: string; refreshAt: number }>();

function misconfigured(reason: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Push is not configured', {
    details: { invalid: 'FCM_SERVICE_ACCOUNT', reason },
  });
}

function unavailable(message: string, res?: Response, details: Record<string, unknown> = {}): AppError {
  const retryAfter = Number(res?.headers.get('retry-after'));
  return new AppError('SERVICE_UNAVAILABLE', message, {
    details: { ...(res ? { providerStatus: res.status } : {}), ...details },
    ...(Number.isInteger(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
  });
}

/** `fetch`, with a network failure (no answer at all) turned into SERVICE_UNAVAILABLE. */
async function post(fetcher: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetcher(url, { method: 'POST', ...init });
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Push provider unreachable', { cause: err });
  }
}

function parseServiceAccount(config: FcmConfig): ServiceAccount {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(config.serviceAccount);
  } catch {
    throw misconfigured('not JSON');
  }
  const text = (name: string) => (typeof key[name] === 'string' && key[name] ? (key[name] as string) : undefined);
  const clientEmail = text('client_email');
  const privateKey = text('private_key');
  const projectId = config.projectId || text('project_id');
  if (!clientEmail || !privateKey || !projectId) throw misconfigured('client_email, private_key or project_id missing');
  return { clientEmail, privateKey, privateKeyId: text('private_key_id'), projectId };
}

/** The service account's signed JWT (RFC 7523 assertion) for Google's token endpoint. */
async function assertionFor(account: ServiceAccount, nowMs: number): Promise<string> {
  let key: CryptoKey;
  try {
    key = await importPKCS8(account.privateKey, 'RS256');
  } catch {
    throw misconfigured('private_key is not a PKCS#8 RSA key');
  }
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ scope: FCM_SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) })
    .setIssuer(account.clientEmail)
    .setAudience(TOKEN_URL)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_S)
    .sign(key);
}

async function accessToken(account: ServiceAccount, deps: { fetch: typeof fetch; clock: Clock }): Promise<string> {
  const now = deps.clock.now().getTime();
  const cached = accessTokens.get(account.clientEmail);
  if (cached && now < cached.refreshAt) return cached.token;
  const res = await post(deps.fetch, TOKEN_URL, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: await assertionFor(account, now),
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw unavailable('Google refused the push credentials', res);
  }
  const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : ASSERTION_TTL_S) * 1000;
  accessTokens.set(account.clientEmail, { token: body.access_token, refreshAt: now + lifetimeMs - REFRESH_MARGIN_MS });
  return body.access_token;
}

interface FcmErrorBody {
  error?: { status?: string; message?: string; details?: { '@type'?: string; errorCode?: string }[] };
}

/**
 * Whether FCM's answer says the token is dead: 404 with the FcmError code UNREGISTERED, or 400
 * INVALID_ARGUMENT saying it is not a valid registration token (a 400 about anything else is not).
 * SENDER_ID_MISMATCH is not taken as dead: a wrong service account would then erase every token.
 */
function isUnregistered(status: number, body: FcmErrorBody): boolean {
  const error = body.error;
  const codes = (error?.details ?? []).map((detail) => detail.errorCode);
  if (status === 404) return codes.includes('UNREGISTERED');
  return (
    status === 400 &&
    error?.status === 'INVALID_ARGUMENT' &&
    /not a valid FCM registration token/i.test(error.message ?? '')
  );
}

/**
 * Production adapter: FCM HTTP v1 (`POST /v1/projects/{projectId}/messages:send`) over the injected
 * fetch, authorised by an OAuth 2 access token that a service-account JWT (RS256, signed with jose)
 * buys from Google's token endpoint and that is reused until five minutes before it expires.
 */
export function fcmPush(config: FcmConfig, deps: { fetch: typeof fetch; clock: Clock }): PushSender {
  return {
    async send(message) {
      const fitted = fitPushPayload(message);
      const account = parseServiceAccount(config);
      const token = await accessToken(account, deps);
      const url = `https://fcm.googleapis.com/v1/projects/${encodeURIComponent(account.projectId)}/messages:send`;
      const res = await post(deps.fetch, url, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          message: {
            token: fitted.token,
            notification: { title: fitted.title, body: fitted.body },
            ...(fitted.data && Object.keys(fitted.data).length ? { data: fitted.data } : {}),
          },
        }),
      });
      const body = (await res.json().catch(() => ({}))) as FcmErrorBody & { name?: unknown };
      if (res.ok && typeof body.name === 'string') return { status: 'sent', name: body.name };
      if (isUnregistered(res.status, body)) return { status: 'unregistered' };
      // A refused access token (revoked, or the clock moved) is bought again on the retry.
      if (res.status === 401) accessTokens.delete(account.clientEmail);
      const errorCode = body.error?.details?.find((detail) => detail.errorCode)?.errorCode;
      throw unavailable('Push provider refused the message', res, errorCode ? { errorCode } : {});
    },
  };
}
