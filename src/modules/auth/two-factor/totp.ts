import { and, eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import type { ServiceContext } from '../../../context';
import { userMfa } from '../../../db/schema';
import { decryptSecret, encryptSecret } from '../../../lib/crypto';
import { AppError } from '../../../lib/errors';

/** Authenticator-app codes (RFC 6238): the sealed secret and accepting a code once. */

/** RFC 6238 defaults every authenticator app supports. */
const TOTP_ISSUER = 'Kinwell';
const TOTP_PERIOD = 30;
const TOTP_DIGITS = 6;
export const TOTP_SECRET_BYTES = 20;

function encryptionKey(ctx: ServiceContext): string {
  if (!ctx.env.ENCRYPTION_KEY) throw new AppError('INTERNAL', 'ENCRYPTION_KEY is not configured');
  return ctx.env.ENCRYPTION_KEY;
}

/**
 * What `user_mfa.totp_secret_encrypted` holds once decrypted: the base32 secret and the last time-step
 * a code was accepted for (replay protection: a step is accepted at most once, and never one older
 * than the last accepted). The whole blob is AES-GCM sealed with a fresh IV on every write, so the
 * ciphertext itself works as a compare-and-swap version.
 */
interface TotpState {
  v: 1;
  secret: string;
  lastStep: number | null;
}

/** The sealed (AES-GCM, fresh IV) form of a TOTP state, as stored in `user_mfa.totp_secret_encrypted`. */
export const sealTotp = (ctx: ServiceContext, state: TotpState) =>
  encryptSecret(encryptionKey(ctx), JSON.stringify(state));

async function openTotp(ctx: ServiceContext, sealed: string): Promise<TotpState> {
  const state = JSON.parse(await decryptSecret(encryptionKey(ctx), sealed)) as TotpState;
  if (state.v !== 1 || typeof state.secret !== 'string') throw new Error('Unknown TOTP state format');
  return state;
}

/** The TOTP generator of `secret`, labelled for an authenticator app. */
export const totpOf = (secret: Secret, label = '') =>
  new TOTP({ issuer: TOTP_ISSUER, label, secret, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD });

/** The time-step `token` belongs to (now ± 1 step), or null when it matches none. */
function matchingStep(secret: string, token: string, now: number): number | null {
  const totp = totpOf(Secret.fromBase32(secret));
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}

type MfaRow = typeof userMfa.$inferSelect;

/**
 * The write that accepts a TOTP code once, against the state in `row` (read in the caller's batch):
 * finds the code's time-step, refuses a step at or before the last accepted one (null: the code is not
 * acceptable), and records the new step with a compare-and-swap on the sealed blob, so of two
 * concurrent uses of one code only one changes a row (guard it with `abortUnlessOneRowChanged`).
 * `pending` confirms a set-up secret and turns TOTP on in the same write.
 */
export async function totpAcceptance(
  ctx: ServiceContext,
  row: MfaRow | undefined,
  token: string,
  stage: 'pending' | 'enabled',
) {
  const sealed = row?.totpSecretEncrypted;
  if (!row || !sealed || (row.totpEnabledAt !== null) !== (stage === 'enabled')) return null;
  const state = await openTotp(ctx, sealed);
  const now = ctx.clock.now().getTime();
  const step = matchingStep(state.secret, token, now);
  if (step === null || (state.lastStep !== null && step <= state.lastStep)) return null;
  const next = await sealTotp(ctx, { ...state, lastStep: step });
  // Wrapped: a query builder is a thenable, and an async function would run the one it returned.
  return {
    swap: ctx.db
      .update(userMfa)
      .set({ totpSecretEncrypted: next, updatedAt: now, ...(stage === 'pending' ? { totpEnabledAt: now } : {}) })
      .where(and(eq(userMfa.userId, row.userId), eq(userMfa.totpSecretEncrypted, sealed))),
  };
}
