import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { recoveryCodes } from '../../../db/schema';
import { hmacHex } from '../../../lib/crypto';
import { AppError } from '../../../lib/errors';

/** Recovery codes: ten single-use codes, stored as keyed hashes, that stand in for any second factor. */

/** Codes in a set. */
export const RECOVERY_CODE_COUNT = 10;
/** Crockford base32 in lower case (no i, l, o, u): 5 bits a character, 10 characters = 50 bits a code. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function recoveryKey(ctx: ServiceContext): string {
  if (!ctx.env.JWT_SECRET) throw new AppError('INTERNAL', 'JWT_SECRET is not configured');
  return `recovery:${ctx.env.JWT_SECRET}`;
}

/** Lower case without separators; Crockford look-alikes (o → 0, i/l → 1) are forgiven. */
const normalizeRecoveryCode = (code: string) =>
  code.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');

/** The stored form of a recovery code: keyed, bound to its account, forgiving look-alike characters. */
export const recoveryHash = (ctx: ServiceContext, userId: string, code: string) =>
  hmacHex(recoveryKey(ctx), `${userId}:${normalizeRecoveryCode(code)}`);

function randomRecoveryCode(ctx: ServiceContext): string {
  let raw = '';
  for (let i = 0; i < 10; i++) raw += RECOVERY_ALPHABET[ctx.ids.int(RECOVERY_ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** A new set of codes (plain, to show once) and the statements that replace the stored set with it. */
export async function freshRecoveryCodes(ctx: ServiceContext, userId: string) {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomRecoveryCode(ctx));
  const now = ctx.clock.now().getTime();
  const rows = await Promise.all(
    [...codes].map(async (code) => ({ userId, codeHash: await recoveryHash(ctx, userId, code), createdAt: now })),
  );
  return {
    codes: [...codes],
    statements: [
      ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
      ctx.db.insert(recoveryCodes).values(rows),
    ] as const,
  };
}
