import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { type OtpPurpose, oneTimeCodes } from '../db/schema';
import { hmacHex } from '../lib/crypto';
import { AppError } from '../lib/errors';

/**
 * One-time codes (6 digits, hashed at rest) that prove the caller holds an email address, a phone or a
 * pending sign-in: sign-in and password-reset codes, second factors, contact changes, account deletion,
 * invitations. Sign-in, the account module and the back office all use them, so they live here, below
 * the modules, rather than in one of them.
 */

/** Codes live 10 minutes, allow 5 wrong tries, and a new one may be sent once a minute. */
export const OTP_TTL_MS = 10 * 60_000;
export const OTP_MAX_TRIES = 5;
export const OTP_RESEND_COOLDOWN_MS = 60_000;

function codeKey(ctx: ServiceContext): string {
  if (!ctx.env.JWT_SECRET) throw new AppError('INTERNAL', 'JWT_SECRET is not configured');
  return `otp:${ctx.env.JWT_SECRET}`;
}

const hashCode = (ctx: ServiceContext, purpose: OtpPurpose, target: string, code: string) =>
  hmacHex(codeKey(ctx), `${purpose}:${target}:${code}`);

/**
 * Creates a fresh 6-digit code for `purpose` + `target` and returns it (the caller delivers it). It
 * lives `ttlMs` (default 10 minutes; invitations live longer).
 * Older live codes for the same target stop working.
 * @throws AppError RATE_LIMITED (with Retry-After) when asked again within the resend cooldown.
 */
export async function issueCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; userId?: string | null; ttlMs?: number },
): Promise<string> {
  const now = ctx.clock.now().getTime();
  const last = await ctx.db
    .select({ createdAt: oneTimeCodes.createdAt })
    .from(oneTimeCodes)
    .where(and(eq(oneTimeCodes.purpose, input.purpose), eq(oneTimeCodes.target, input.target)))
    .orderBy(desc(oneTimeCodes.createdAt))
    .get();
  if (last && now - last.createdAt < OTP_RESEND_COOLDOWN_MS) {
    throw new AppError('RATE_LIMITED', 'A code was sent a moment ago; wait before asking for another', {
      retryAfter: Math.ceil((last.createdAt + OTP_RESEND_COOLDOWN_MS - now) / 1000),
    });
  }
  const code = String(ctx.ids.int(1_000_000)).padStart(6, '0');
  await ctx.db.batch([
    ctx.db
      .update(oneTimeCodes)
      .set({ consumedAt: now })
      .where(
        and(
          eq(oneTimeCodes.purpose, input.purpose),
          eq(oneTimeCodes.target, input.target),
          isNull(oneTimeCodes.consumedAt),
        ),
      ),
    ctx.db.insert(oneTimeCodes).values({
      id: ctx.ids.id('otc'),
      purpose: input.purpose,
      target: input.target,
      userId: input.userId ?? null,
      codeHash: await hashCode(ctx, input.purpose, input.target, code),
      createdAt: now,
      expiresAt: now + (input.ttlMs ?? OTP_TTL_MS),
    }),
  ]);
  return code;
}

/**
 * Checks a code against the newest code for `purpose` + `target` and consumes it on success.
 * @throws AppError OTP_INVALID (wrong or no code), OTP_EXPIRED, OTP_MAX_ATTEMPTS (5 wrong tries burn it)
 */
export async function consumeCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; code: string },
): Promise<{ userId: string | null }> {
  const now = ctx.clock.now().getTime();
  const row = await ctx.db
    .select()
    .from(oneTimeCodes)
    .where(and(eq(oneTimeCodes.purpose, input.purpose), eq(oneTimeCodes.target, input.target)))
    .orderBy(desc(oneTimeCodes.createdAt))
    .get();
  if (!row || (row.consumedAt !== null && row.attempts < OTP_MAX_TRIES)) {
    throw new AppError('OTP_INVALID', 'The code is not valid');
  }
  if (row.attempts >= OTP_MAX_TRIES) {
    throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; ask for a new one');
  }
  if (row.expiresAt <= now) throw new AppError('OTP_EXPIRED', 'The code has expired; ask for a new one');
  const matches = row.codeHash === (await hashCode(ctx, input.purpose, input.target, input.code));
  if (!matches) {
    // Count the miss atomically; the fifth miss also burns the code.
    const updated = await ctx.db
      .update(oneTimeCodes)
      .set({
        attempts: sql`${oneTimeCodes.attempts} + 1`,
        consumedAt: sql`case when ${oneTimeCodes.attempts} + 1 >= ${OTP_MAX_TRIES} then ${now} else ${oneTimeCodes.consumedAt} end`,
      })
      .where(eq(oneTimeCodes.id, row.id))
      .returning({ attempts: oneTimeCodes.attempts })
      .get();
    if ((updated?.attempts ?? OTP_MAX_TRIES) >= OTP_MAX_TRIES) {
      throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; ask for a new one');
    }
    throw new AppError('OTP_INVALID', 'The code is not valid', {
      details: { attemptsLeft: OTP_MAX_TRIES - (updated?.attempts ?? 0) },
    });
  }
  // Single use even under concurrent verifies: only the update that flips consumed_at wins.
  const consumed = await ctx.db
    .update(oneTimeCodes)
    .set({ consumedAt: now })
    .where(and(eq(oneTimeCodes.id, row.id), isNull(oneTimeCodes.consumedAt)))
    .run();
  if (!consumed.meta.changes) throw new AppError('OTP_INVALID', 'The code is not valid');
  return { userId: row.userId };
}
