/**
 * Bindings and variables the Worker receives. Bindings are declared in wrangler.toml; secrets are set
 * with `wrangler secret put` in production and generated into `.dev.vars` by `npm run dev` locally.
 * Every entry is documented in the README configuration table.
 */
export interface Env {
  DB: D1Database;
  FILES: R2Bucket;
  USER_HUB: DurableObjectNamespace;
  /** One VideoRoom per video visit (src/realtime/video-room.do.ts), named by the room id. */
  CALL_ROOM: DurableObjectNamespace;
  JOBS: Queue<unknown>;
  /** Workers AI: bound in production only. */
  AI?: Ai;
  /** The schedule bot's Workers AI model (default `@cf/meta/llama-3.3-70b-instruct-fp8-fast`). */
  BOT_MODEL?: string;
  /** Cloudflare's rate-limiting binding behind the per-address request ceiling (src/platform/request-ceiling.ts). */
  REQUEST_CEILING?: RateLimit;

  /** `development`, `test` or `production`. Dev-only routes and adapters key off this. */
  ENVIRONMENT: string;
  APP_NAME?: string;
  /**
   * The API's public origin as the outside world reaches it (e.g. `https://api.kinwell.health`, no
   * path): the base of the callback URLs given to providers (Twilio's `StatusCallback`), and the URL
   * their signatures are checked against, whatever host a proxy forwarded the request with.
   */
  PUBLIC_URL?: string;
  /** Comma-separated list of browser origins allowed by CORS. */
  CORS_ORIGINS?: string;
  /** Maximum JSON request body in bytes (default 1 MiB). */
  MAX_BODY_BYTES?: string;

  /** Development/test only: multiplies every rate limit (ignored in production). */
  RATE_LIMIT_SCALE?: string;
  /**
   * The per-address request ceiling: `<limit>/<period seconds>`, the same values as the
   * REQUEST_CEILING binding's `simple` settings in wrangler.toml (they drive the response headers), or
   * `off` to switch it off.
   */
  REQUEST_CEILING_POLICY?: string;

  /** HMAC key for access tokens (secret, at least 32 bytes). */
  JWT_SECRET?: string;
  /** Base64 32-byte key encrypting secrets at rest, e.g. TOTP secrets (secret). */
  ENCRYPTION_KEY?: string;
  /** The id medical records store with what ENCRYPTION_KEY sealed (default `k1`); a new id for a new key. */
  ENCRYPTION_KEY_ID?: string;
  /** Keys rotated out, still opening what they sealed: JSON `{ "<key id>": "<base64 key>" }` (secret). */
  ENCRYPTION_KEYS_RETIRED?: string;

  /** reCAPTCHA secret; when unset, non-production environments skip the check and production refuses. */
  RECAPTCHA_SECRET?: string;
  /** Comma-separated OAuth client ids whose Google ID tokens are accepted (the `aud` claim). */
  GOOGLE_CLIENT_IDS?: string;
  /** Facebook app whose user access tokens are accepted (`data.app_id` of debug_token). */
  FACEBOOK_APP_ID?: string;
  /** That app's secret (secret): the app access token for debug_token and the `appsecret_proof` key. */
  FACEBOOK_APP_SECRET?: string;
  /** WebAuthn relying party: id (a domain), display name, and accepted origins (comma-separated). */
  WEBAUTHN_RP_ID?: string;
  WEBAUTHN_RP_NAME?: string;
  WEBAUTHN_ORIGINS?: string;

  /** Email provider (Resend-compatible HTTP API). */
  EMAIL_API_KEY?: string;
  EMAIL_API_URL?: string;
  EMAIL_FROM?: string;

  /** Twilio REST (SMS); the auth token also verifies Twilio's signed status callbacks. */
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM_NUMBER?: string;
  /**
   * The clinic's number for voice calls (masked doctor–patient calls ring from it and show it as caller
   * id); defaults to TWILIO_FROM_NUMBER. Incoming calls to it are answered by POST /api/v1/webhooks/twilio/voice.
   */
  TWILIO_VOICE_NUMBER?: string;

  /**
   * Stripe (payments). Without the secret key, development and tests use the local checkout page
   * (`GET /api/v1/dev/checkout/{id}`) and production refuses to start payments. The webhook secret
   * (`whsec_…`) verifies `POST /api/v1/webhooks/stripe`; `npm run dev` generates a local one.
   */
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /**
   * Where checkout sends the patient back (the app's page), `?appointmentId=…&checkout=success|cancelled`
   * appended. Defaults to the local checkout page's result page under `PUBLIC_URL`.
   */
  CHECKOUT_RETURN_URL?: string;

  /**
   * TURN for video calls (Cloudflare Realtime TURN): the TURN key's id and API token. Without them
   * `GET /api/v1/calls/ice-servers` answers STUN only (development); production needs them for peers
   * behind symmetric NATs.
   */
  TURN_KEY_ID?: string;
  TURN_KEY_API_TOKEN?: string;

  /** Firebase Cloud Messaging (push): the service account key file's JSON (secret). */
  FCM_SERVICE_ACCOUNT?: string;
  /** Firebase project id; defaults to the service account's `project_id`. */
  FCM_PROJECT_ID?: string;
}

export type Environment = 'development' | 'test' | 'production';

/** The environment name, defaulting to production so a missing variable never enables dev-only paths. */
export function environmentOf(env: Pick<Env, 'ENVIRONMENT'>): Environment {
  return env.ENVIRONMENT === 'development' || env.ENVIRONMENT === 'test' ? env.ENVIRONMENT : 'production';
}
