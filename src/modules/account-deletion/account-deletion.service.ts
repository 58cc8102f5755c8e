import { codeEmail } from '../../access/code-messages';
import { codeSent, consumeCode, issueCode } from '../../access/one-time-codes';
import type { AuthedContext } from '../../context';
import { AppError } from '../../lib/errors';
import { codeTtlMs } from '../settings/lifetimes';
import { confirmPassword } from '../users/reauth.service';
import { accountDeletionSms } from '../users/users.messages';
import { currentUser, otherActiveSuperadmins } from '../users/users.service';
import { eraseAccount } from './account-erasure';

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/**
 * For accounts without a password: sends a deletion code to the verified email, else by SMS to the
 * verified mobile number. Accounts with a password confirm deletion with it instead.
 * @throws AppError CONFLICT (the account has a password, or no verified email or number), RATE_LIMITED
 */
export async function sendDeletionCode(ctx: AuthedContext) {
  // The code's lifetime is read beside the account, in the same round trip.
  const [user, ttlMs] = await Promise.all([currentUser(ctx), codeTtlMs(ctx)]);
  if (user.passwordHash) {
    throw new AppError('CONFLICT', 'This account has a password: confirm the deletion with it');
  }
  const channel =
    user.email && user.emailVerifiedAt ? 'email' : user.mobileNumber && user.mobileVerifiedAt ? 'sms' : null;
  if (!channel) {
    throw new AppError(
      'CONFLICT',
      'This account has no verified email or mobile number to confirm with; contact support',
    );
  }
  const code = await issueCode(ctx, { purpose: 'account-deletion', target: user.id, userId: user.id, ttlMs });
  if (channel === 'email') {
    await ctx.ports.mailer.send({
      to: user.email!,
      ...codeEmail('account-deletion', code, ttlMs, ctx.env.APP_NAME),
    });
  } else {
    await ctx.ports.sms.send({ to: user.mobileNumber!, body: accountDeletionSms(code, ttlMs, ctx.env.APP_NAME) });
  }
  return { channel, ...codeSent(ttlMs) } as const;
}

/**
 * Deletes the caller's own account after re-authentication (password, or the emailed/SMS code for
 * accounts without one): personal data, files and sessions go; the user row stays as an anonymous
 * tombstone so kept records (audit) still resolve.
 * @throws AppError VALIDATION_FAILED (missing/wrong password, missing code), OTP_INVALID, OTP_EXPIRED,
 *   OTP_MAX_ATTEMPTS, CONFLICT (the last active superadmin), RATE_LIMITED
 */
export async function deleteMyAccount(ctx: AuthedContext, input: { password?: string; otp?: string }) {
  const user = await currentUser(ctx);
  if (user.role === 'superadmin' && (await otherActiveSuperadmins(ctx, user.id)) === 0) {
    throw new AppError('CONFLICT', 'The last active superadmin cannot delete their account; appoint another first');
  }
  if (user.passwordHash) {
    await confirmPassword(ctx, user, input.password, 'user.delete');
  } else {
    if (!input.otp) throw invalid('otp', 'Enter the code sent by POST /users/me/deletion-code');
    await consumeCode(ctx, { purpose: 'account-deletion', target: user.id, code: input.otp });
  }
  await eraseAccount(ctx, user.id, 'anonymize');
  return { id: user.id };
}
