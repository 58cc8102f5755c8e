import { codeEmail } from '../../access/code-messages';
import { type CodeCheck, invalidCode, prepareCode } from '../../access/one-time-codes';
import type { ServiceContext } from '../../context';
import { runBatch, type Statements } from '../../db/batch';
import { decideAgainOnLostRace } from '../../db/row-guard';
import type { OtpPurpose, UserRow } from '../../db/schema';
import type { ErrorCode } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';

/**
 * The sign-in flows' share of one-time codes: sending one beside its write batch, refusing a wrong
 * answer with its audit row in one batch, and deciding again when a concurrent answer won the code.
 */

/**
 * Stores a prepared code living `code.ttlMs` and, in the same round trip, mails it when the account
 * exists. For an unknown address the code is still recorded (never sent), so cooldowns and answers are
 * the same and reveal nothing. `code.newest` is what `newestCodeQuery` read; `writes` commit in the
 * same batch.
 * @throws AppError RATE_LIMITED within the resend cooldown
 */
export async function storeAndMailCode(
  ctx: ServiceContext,
  purpose: OtpPurpose,
  email: string,
  user: Pick<UserRow, 'id'> | undefined,
  code: { newest: { createdAt: number } | undefined; ttlMs: number },
  writes: Statements = [],
) {
  const { ttlMs } = code;
  const prepared = await prepareCode(ctx, { purpose, target: email, userId: user?.id ?? null, ttlMs }, code.newest);
  await Promise.all([
    runBatch(ctx.db, [...writes, ...prepared.statements]),
    user ? ctx.ports.mailer.send({ to: email, ...codeEmail(purpose, prepared.code, ttlMs, ctx.env.APP_NAME) }) : null,
  ]);
}

/** The audit row of a refused code (wrong, expired or exhausted; or consumed by a concurrent answer). */
const codeRefusedAudit = (ctx: ServiceContext, purpose: OtpPurpose, code: ErrorCode) =>
  auditInsert(ctx, {
    action: 'auth.otp_verify',
    resourceType: 'one-time-code',
    outcome: 'failure',
    metadata: { purpose, code },
  });

/**
 * Refuses a code answer: counts the miss (if any), audits it and runs `writes` (the address's failure
 * count) in one batch, then throws.
 */
export async function refuseCode(
  ctx: ServiceContext,
  purpose: OtpPurpose,
  check: CodeCheck & { ok: false },
  writes: Statements = [],
): Promise<never> {
  return check.fail(
    await runBatch(ctx.db, [...check.statements, codeRefusedAudit(ctx, purpose, check.error), ...writes]),
  );
}

/**
 * Runs a code-answering flow: a read batch (the first time with the limits' counters), then one write
 * batch that consumes the code. When that batch lost a race (the code consumed, or the account
 * created, by a concurrent request: `oneRowGuardTripped`), the flow decides once more on fresh reads
 * without counting the limits again; losing twice answers OTP_INVALID, audited.
 */
export function answerCode<T>(
  ctx: ServiceContext,
  purpose: OtpPurpose,
  run: (first: boolean) => Promise<T>,
): Promise<T> {
  return decideAgainOnLostRace(run, async () => {
    await runBatch(ctx.db, [codeRefusedAudit(ctx, purpose, 'OTP_INVALID')]);
    throw invalidCode();
  });
}
