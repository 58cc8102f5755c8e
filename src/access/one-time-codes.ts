import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { runBatch, type Statements } from '../db/batch';
import { abortUnlessOneRowChanged, oneRowGuardTripped } from '../db/row-guard';
import { type OtpPurpose, oneTimeCodes } from '../db/schema';
import { hmacHex } from '../lib/crypto';
import { AppError, type ErrorCode } from '../lib/errors';

/**
 * One-time codes (6 digits, hashed at rest) that prove the caller holds an email address, a phone or a
 * pending sign-in: sign-in and password-reset codes, second factors, contact changes, account deletion,
 * invitations. Sign-in, the account module and the back office all use them, so they live here, below
 * the modules, rather than in one of them. Each step comes as a read for the caller's read batch
 * (`newestCodeQuery`) and statements for its write batch (`prepareCode`, `checkCode`), so a flow that
 * sends or answers a code stays within one read batch and one write batch; `issueCode` and
 * `consumeCode` do both for callers that need nothing else.
 */
/**
 * Codes live 10 minutes unless the setting `auth.otpTtlMinutes` says otherwise (this is its default;
 * callers pass the lifetime they read), allow 5 wrong tries, and a new one may be sent once a minute.
 */
export const OTP_TTL_MS = 10 * 60_000;
export const OTP_MAX_TRIES = 5;
export const OTP_RESEND_COOLDOWN_MS = 60_000;

function codeKey(ctx: ServiceContext): string {
  if (!ctx.env.JWT_SECRET) throw new AppError('INTERNAL', 'JWT_SECRET is not configured');
  return `otp:${ctx.env.JWT_SECRET}`;
}

const hashCode = (ctx: ServiceContext, purpose: OtpPurpose, target: string, code: string) =>
  hmacHex(codeKey(ctx), `${purpose}:${target}:${code}`);

/** The newest code for `purpose` + `target` (no row when none), for a caller's read batch. */
export function newestCodeQuery(ctx: ServiceContext, purpose: OtpPurpose, target: string) {
  return ctx.db
    .select()
    .from(oneTimeCodes)
    .where(and(eq(oneTimeCodes.purpose, purpose), eq(oneTimeCodes.target, target)))
    .orderBy(desc(oneTimeCodes.createdAt))
    .limit(1);
}

type CodeRow = typeof oneTimeCodes.$inferSelect;

/** What a code-sent answer says: seconds until the code expires, and until another may be sent. */
export const codeSent = (ttlMs: number) => ({
  expiresIn: Math.round(ttlMs / 1000),
  resendAfter: OTP_RESEND_COOLDOWN_MS / 1000,
});

/**
 * A fresh 6-digit code for `purpose` + `target` and the statements that store it (older live codes
 * for the same target stop working), for the caller's write batch. `newest` is what `newestCodeQuery`
 * read. It lives `ttlMs` (the setting `auth.otpTtlMinutes`; invitations live longer).
 * @throws AppError RATE_LIMITED (with Retry-After) when asked again within the resend cooldown.
 */
export async function prepareCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; userId?: string | null; ttlMs: number },
  newest: Pick<CodeRow, 'createdAt'> | undefined,
): Promise<{ code: string; statements: Statements }> {
  const now = ctx.clock.now().getTime();
  if (newest && now - newest.createdAt < OTP_RESEND_COOLDOWN_MS) {
    throw new AppError('RATE_LIMITED', 'A code was sent a moment ago; wait before asking for another', {
      retryAfter: Math.ceil((newest.createdAt + OTP_RESEND_COOLDOWN_MS - now) / 1000),
    });
  }
  const code = String(ctx.ids.int(1_000_000)).padStart(6, '0');
  return {
    code,
    statements: [
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
        expiresAt: now + input.ttlMs,
      }),
    ],
  };
}

/**
 * Creates a fresh 6-digit code for `purpose` + `target` and returns it (the caller delivers it). It
 * lives `ttlMs`.
 * Older live codes for the same target stop working.
 * @throws AppError RATE_LIMITED (with Retry-After) when asked again within the resend cooldown.
 */
export async function issueCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; userId?: string | null; ttlMs: number },
): Promise<string> {
  const [newest] = await newestCodeQuery(ctx, input.purpose, input.target);
  const { code, statements } = await prepareCode(ctx, input, newest);
  await runBatch(ctx.db, statements);
  return code;
}

/**
 * What a code answer comes to, before anything is written. `ok`: the statements consume the code
 * (once, even under concurrent answers: they abort the caller's batch, `oneRowGuardTripped`, when
 * another answer consumed it first). Not `ok`: the statements (possibly none) count the miss, and
 * `fail` takes their answers and throws the refusal. `error` is that refusal's code as far as the read
 * tells (concurrent misses may make it OTP_MAX_ATTEMPTS), for an audit row in the same batch.
 */
export type CodeCheck =
  | { ok: true; userId: string | null; statements: Statements }
  | { ok: false; error: ErrorCode; statements: Statements; fail(results: readonly unknown[]): never };

/** The refusal of a code that is wrong, unknown, used, or consumed by a concurrent answer. */
export const invalidCode = (): AppError => new AppError('OTP_INVALID', 'The code is not valid');
const refused = (err: AppError): CodeCheck => ({
  ok: false,
  error: err.code,
  statements: [],
  fail: () => {
    throw err;
  },
});

/**
 * Checks an answer against the newest code for its purpose + target (`newest`, read by
 * `newestCodeQuery`); writes nothing. See `CodeCheck`.
 */
export async function checkCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; code: string },
  newest: CodeRow | undefined,
): Promise<CodeCheck> {
  const now = ctx.clock.now().getTime();
  const row = newest;
  if (!row || (row.consumedAt !== null && row.attempts < OTP_MAX_TRIES)) return refused(invalidCode());
  if (row.attempts >= OTP_MAX_TRIES) {
    return refused(new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; ask for a new one'));
  }
  if (row.expiresAt <= now) return refused(new AppError('OTP_EXPIRED', 'The code has expired; ask for a new one'));
  const matches = row.codeHash === (await hashCode(ctx, input.purpose, input.target, input.code));
  if (!matches) {
    return {
      ok: false,
      error: row.attempts + 1 >= OTP_MAX_TRIES ? 'OTP_MAX_ATTEMPTS' : 'OTP_INVALID',
      // Count the miss atomically; the fifth miss also burns the code.
      statements: [
        ctx.db
          .update(oneTimeCodes)
          .set({
            attempts: sql`${oneTimeCodes.attempts} + 1`,
            consumedAt: sql`case when ${oneTimeCodes.attempts} + 1 >= ${OTP_MAX_TRIES} then ${now} else ${oneTimeCodes.consumedAt} end`,
          })
          .where(eq(oneTimeCodes.id, row.id))
          .returning({ attempts: oneTimeCodes.attempts }),
      ],
      fail(results) {
        const attempts = (results[0] as { attempts: number }[] | undefined)?.[0]?.attempts ?? OTP_MAX_TRIES;
        if (attempts >= OTP_MAX_TRIES)
          throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; ask for a new one');
        throw new AppError('OTP_INVALID', 'The code is not valid', {
          details: { attemptsLeft: OTP_MAX_TRIES - attempts },
        });
      },
    };
  }
  return {
    ok: true,
    userId: row.userId,
    // Single use even under concurrent verifies: only the update that flips consumed_at passes the guard.
    statements: [
      ctx.db
        .update(oneTimeCodes)
        .set({ consumedAt: now })
        .where(and(eq(oneTimeCodes.id, row.id), isNull(oneTimeCodes.consumedAt))),
      abortUnlessOneRowChanged(ctx.db),
    ],
  };
}

/**
 * Checks a code against the newest code for `purpose` + `target` and consumes it on success.
 * @throws AppError OTP_INVALID (wrong or no code), OTP_EXPIRED, OTP_MAX_ATTEMPTS (5 wrong tries burn it)
 */
export async function consumeCode(
  ctx: ServiceContext,
  input: { purpose: OtpPurpose; target: string; code: string },
): Promise<{ userId: string | null }> {
  const [newest] = await newestCodeQuery(ctx, input.purpose, input.target);
  const check = await checkCode(ctx, input, newest);
  if (!check.ok) return check.fail(await runBatch(ctx.db, check.statements));
  try {
    await runBatch(ctx.db, check.statements);
  } catch (err) {
    if (oneRowGuardTripped(err)) throw invalidCode();
    throw err;
  }
  return { userId: check.userId };
}
