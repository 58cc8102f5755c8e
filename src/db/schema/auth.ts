import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const AUTH_METHODS = [
  'password',
  'email-otp',
  'sms-otp',
  'google',
  'facebook',
  'passkey',
  'verify-email',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** A signed-in device. Access tokens name it in `sid`; revoking it ends that device's access at once. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    method: text('method', { enum: AUTH_METHODS }).notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at').notNull(),
    /** Absolute end of the session: refresh stops working after it. */
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.revokedAt),
    // The stats rollups: sign-ins and active users per day.
    index('sessions_created_idx').on(t.createdAt),
    index('sessions_last_used_idx').on(t.lastUsedAt, t.userId),
  ],
);

/**
 * Refresh tokens, stored as SHA-256 hashes. Each refresh marks the presented token rotated and issues a
 * new one; presenting a rotated token again revokes the whole session (theft detection).
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id').notNull(),
    userId: text('user_id').notNull(),
    issuedAt: integer('issued_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    rotatedAt: integer('rotated_at'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

export const OTP_PURPOSES = [
  'verify-email',
  'change-email',
  'change-mobile',
  'account-deletion',
  'invitation',
  'login-email',
  'login-sms',
  'password-reset',
  'two-factor',
  'email-2fa-setup',
] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

/**
 * One-time codes. The code is stored as an HMAC (keyed, so a leaked table cannot be brute-forced
 * offline). Only the newest unconsumed code of a purpose + target is live.
 */
export const oneTimeCodes = sqliteTable(
  'one_time_codes',
  {
    id: text('id').primaryKey(),
    purpose: text('purpose', { enum: OTP_PURPOSES }).notNull(),
    /** Lower-cased email or E.164 number, or a challenge id for 2FA codes. */
    target: text('target').notNull(),
    userId: text('user_id'),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    consumedAt: integer('consumed_at'),
  },
  (t) => [index('otc_target_idx').on(t.purpose, t.target, t.createdAt)],
);

/** Fixed-window counters for rate limits, updated with one atomic upsert per hit. */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
});

/** Second factors of one account. The TOTP secret is AES-GCM encrypted with ENCRYPTION_KEY. */
export const userMfa = sqliteTable('user_mfa', {
  userId: text('user_id').primaryKey(),
  totpSecretEncrypted: text('totp_secret_encrypted'),
  /** Set once the user confirmed a code; until then the secret is only pending. */
  totpEnabledAt: integer('totp_enabled_at'),
  emailOtpEnabledAt: integer('email_otp_enabled_at'),
  /** Passkeys count as a second factor when this is set. */
  passkeyEnabledAt: integer('passkey_enabled_at'),
  updatedAt: integer('updated_at').notNull(),
});

/** Ten single-use recovery codes per account, hashed; regenerating deletes the old set. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    userId: text('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * The pending second step of a sign-in that needs a second factor (`TWO_FACTOR_REQUIRED`). Short-lived,
 * single-use, limited attempts; carries what the session will be created with.
 */
export const loginChallenges = sqliteTable('login_challenges', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull(),
  method: text('method', { enum: AUTH_METHODS }).notNull(),
  userAgent: text('user_agent'),
  ip: text('ip'),
  attempts: integer('attempts').notNull().default(0),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  consumedAt: integer('consumed_at'),
});

/** WebAuthn challenges handed out by the options endpoints, single-use and short-lived. */
export const webauthnChallenges = sqliteTable('webauthn_challenges', {
  id: text('id').primaryKey(),
  challenge: text('challenge').notNull().unique(),
  kind: text('kind', { enum: ['register', 'authenticate', 'two-factor'] }).notNull(),
  userId: text('user_id'),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  consumedAt: integer('consumed_at'),
});

/** Registered passkeys (WebAuthn credentials). */
export const passkeys = sqliteTable(
  'passkeys',
  {
    /** Credential id, base64url. */
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    /** COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    counter: integer('counter').notNull(),
    transports: text('transports', { mode: 'json' }).$type<string[]>(),
    deviceType: text('device_type').notNull(),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('passkeys_user_idx').on(t.userId)],
);

export type SessionRow = typeof sessions.$inferSelect;
export type PasskeyRow = typeof passkeys.$inferSelect;
