import { and, eq, ne } from 'drizzle-orm';
import { codeEmail } from '../../access/code-messages';
import { consumeCode, issueCode, OTP_RESEND_COOLDOWN_MS, OTP_TTL_MS } from '../../access/one-time-codes';
import type { AuthedContext, ServiceContext } from '../../context';
import { users } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError } from '../../lib/errors';
import { toE164 } from '../../lib/phone';
import { hitRateLimits, type RateRule } from '../../platform/rate-limit';
import { auditInsert } from '../audit/audit.service';
import { confirmPassword } from './reauth.service';
import { changeMobileSms, emailChangedNotice, mobileChangedNotice } from './users.messages';
import type { UserView } from './users.schemas';
import { currentUser, toUserView } from './users.service';

/** Change codes sent per account: 10 an hour (each address also has the one-a-minute resend cooldown). */
export const CHANGE_CODE_LIMIT: RateRule = { name: 'contact-change:account', limit: 10, windowMs: 3600_000 };

const CODE_SENT = { expiresIn: OTP_TTL_MS / 1000, resendAfter: OTP_RESEND_COOLDOWN_MS / 1000 };

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** Codes bind the account AND the new value: a code sent for one address cannot confirm another. */
const changeTarget = (userId: string, value: string) => `${userId}:${value}`;

async function taken(ctx: ServiceContext, column: typeof users.email | typeof users.mobileNumber, value: string) {
  const row = await ctx.db.select({ id: users.id }).from(users).where(eq(column, value)).get();
  return row !== undefined;
}

/**
 * Starts an email change: re-checks the password (when the account has one) and sends a code to the
 * NEW address.
 * @throws AppError VALIDATION_FAILED (password, same address), CONFLICT (address taken), RATE_LIMITED
 */
export async function requestEmailChange(ctx: AuthedContext, input: { newEmail: string; password?: string }) {
  const user = await currentUser(ctx);
  if (user.email === input.newEmail) throw invalid('newEmail', 'This is already your email address');
  await confirmPassword(ctx, user, input.password, 'user.email_change');
  if (await taken(ctx, users.email, input.newEmail)) {
    throw new AppError('CONFLICT', 'An account with this email already exists');
  }
  await hitRateLimits(ctx, [[CHANGE_CODE_LIMIT, user.id]]);
  const code = await issueCode(ctx, {
    purpose: 'change-email',
    target: changeTarget(user.id, input.newEmail),
    userId: user.id,
  });
  await ctx.ports.mailer.send({ to: input.newEmail, ...codeEmail('change-email', code, ctx.env.APP_NAME) });
  return CODE_SENT;
}

/**
 * Finishes an email change with the code sent to the new address: switches the email (now verified)
 * and tells the old address (when it was verified).
 * @throws AppError OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, CONFLICT (address taken meanwhile)
 */
export async function confirmEmailChange(ctx: AuthedContext, input: { newEmail: string; otp: string }) {
  const user = await currentUser(ctx);
  await consumeCode(ctx, { purpose: 'change-email', target: changeTarget(user.id, input.newEmail), code: input.otp });
  const now = ctx.clock.now().getTime();
  try {
    await ctx.db.batch([
      ctx.db
        .update(users)
        .set({ email: input.newEmail, emailVerifiedAt: now, updatedAt: now })
        .where(and(eq(users.id, user.id), ne(users.status, 'removed'))),
      auditInsert(ctx, { action: 'user.email_change', resourceType: 'user', resourceId: user.id }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'An account with this email already exists');
    throw err;
  }
  // Only a verified old address is told: an unverified one may belong to someone else.
  if (user.email && user.emailVerifiedAt && user.email !== input.newEmail) {
    await ctx.ports.mailer.send({ to: user.email, ...emailChangedNotice(input.newEmail, ctx.env.APP_NAME) });
  }
  return { user: toUserView({ ...user, email: input.newEmail, emailVerifiedAt: now, updatedAt: now }) };
}

/**
 * Starts a mobile number change: re-checks the password (when the account has one: a number can sign
 * in by SMS, so a stolen access token alone must not be able to swap it) and sends an SMS code to the
 * new number (E.164).
 * @throws AppError VALIDATION_FAILED (password, not a number, same number), CONFLICT (number taken), RATE_LIMITED
 */
export async function requestMobileChange(ctx: AuthedContext, input: { mobileNumber: string; password?: string }) {
  const user = await currentUser(ctx);
  await confirmPassword(ctx, user, input.password, 'user.mobile_change');
  const number = toE164(input.mobileNumber);
  if (user.mobileNumber === number) throw invalid('mobileNumber', 'This is already your mobile number');
  if (await taken(ctx, users.mobileNumber, number)) {
    throw new AppError('CONFLICT', 'An account with this mobile number already exists');
  }
  await hitRateLimits(ctx, [[CHANGE_CODE_LIMIT, user.id]]);
  const code = await issueCode(ctx, {
    purpose: 'change-mobile',
    target: changeTarget(user.id, number),
    userId: user.id,
  });
  await ctx.ports.sms.send({ to: number, body: changeMobileSms(code, ctx.env.APP_NAME) });
  return CODE_SENT;
}

/**
 * Finishes a mobile number change with the SMS code; the account's verified email is told.
 * @throws AppError VALIDATION_FAILED, OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, CONFLICT (taken meanwhile)
 */
export async function confirmMobileChange(
  ctx: AuthedContext,
  input: { mobileNumber: string; otp: string },
): Promise<{ user: UserView }> {
  const user = await currentUser(ctx);
  const number = toE164(input.mobileNumber);
  await consumeCode(ctx, { purpose: 'change-mobile', target: changeTarget(user.id, number), code: input.otp });
  const now = ctx.clock.now().getTime();
  try {
    await ctx.db.batch([
      ctx.db
        .update(users)
        .set({ mobileNumber: number, mobileVerifiedAt: now, updatedAt: now })
        .where(and(eq(users.id, user.id), ne(users.status, 'removed'))),
      auditInsert(ctx, { action: 'user.mobile_change', resourceType: 'user', resourceId: user.id }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'An account with this mobile number already exists');
    throw err;
  }
  if (user.email && user.emailVerifiedAt) {
    await ctx.ports.mailer.send({ to: user.email, ...mobileChangedNotice(number, ctx.env.APP_NAME) });
  }
  return { user: toUserView({ ...user, mobileNumber: number, mobileVerifiedAt: now, updatedAt: now }) };
}
