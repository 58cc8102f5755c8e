import { and, eq, ne, type SQL, sql } from 'drizzle-orm';
import { codeEmail } from '../../access/code-messages';
import { notify } from '../../access/notices';
import { checkCode, codeSent, invalidCode, newestCodeQuery, prepareCode } from '../../access/one-time-codes';
import type { AuthedContext } from '../../context';
import { batchOf, runBatch } from '../../db/batch';
import { oneRowGuardTripped } from '../../db/row-guard';
import { type UserRow, users } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError } from '../../lib/errors';
import { e164OrNull, toE164 } from '../../lib/phone';
import { type RateHit, type RateRule, rateLimitCounters, refundRateLimit } from '../../platform/rate-limit';
import { auditInsert } from '../audit/audit.service';
import { codeTtlMs } from '../settings/lifetimes';
import { primeSettings, settingsQuery } from '../settings/settings.service';
import { ownPhoneRegion } from './phone-region';
import { checkPassword, hasPasswordSql, reauthHits } from './reauth.service';
import { changeMobileSms, maskEmail, maskPhone } from './users.messages';
import type { UserView } from './users.schemas';
import { currentUserOf, currentUserQuery, toUserView } from './users.service';

/**
 * Changing the account's email or mobile number: a code goes to the new address, and answering it
 * switches the address. Each step is one read batch (the account, whether the address is taken, the
 * newest code, the limits' counters) and one write batch; the code is sent beside it (the person is
 * waiting for it), and the security notice of a done change goes through the notification pipeline
 * after the response.
 */

/** Change codes sent per account: 10 an hour (each address also has the one-a-minute resend cooldown). */
export const CHANGE_CODE_LIMIT: RateRule = { name: 'contact-change:account', limit: 10, windowMs: 3600_000 };

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/** What differs between the two contacts that can change. */
interface Contact {
  purpose: 'change-email' | 'change-mobile';
  column: typeof users.email | typeof users.mobileNumber;
  action: 'user.email_change' | 'user.mobile_change';
  taken: string;
  /** The columns a confirmed change sets. */
  verified(
    value: string,
    now: number,
  ): Pick<UserRow, 'email' | 'emailVerifiedAt'> | Pick<UserRow, 'mobileNumber' | 'mobileVerifiedAt'>;
}

const EMAIL: Contact = {
  purpose: 'change-email',
  column: users.email,
  action: 'user.email_change',
  taken: 'An account with this email already exists',
  verified: (email, now) => ({ email, emailVerifiedAt: now }),
};

const MOBILE: Contact = {
  purpose: 'change-mobile',
  column: users.mobileNumber,
  action: 'user.mobile_change',
  taken: 'An account with this mobile number already exists',
  verified: (mobileNumber, now) => ({ mobileNumber, mobileVerifiedAt: now }),
};

/** Codes bind the account AND the new value: a code sent for one address cannot confirm another. */
const changeTarget = (userId: string, value: string) => `${userId}:${value}`;

/** SQL that holds while some account, the caller's included, uses `value`. */
const inUseSql = (contact: Contact, value: string): SQL =>
  sql`exists (select 1 from ${users} where ${contact.column} = ${value})`;

/**
 * The read batch of a change request for `value` (null: a mobile number that is not one, refused
 * after the password check as before), with the limits counted as the checks in memory would have:
 * REAUTH_LIMIT where the password is checked (an email change refuses its own address first:
 * `recheckIf`), CHANGE_CODE_LIMIT only for a free address and a password given or not needed. A wrong
 * password gives the send back (`recheck`): only the password cannot be told in SQL.
 */
async function readRequest(
  ctx: AuthedContext,
  contact: Contact,
  value: string | null,
  password: string | undefined,
  recheckIf?: SQL,
) {
  const id = ctx.actor.id;
  const sends: RateHit[] = [];
  if (value !== null) {
    const free = sql`not ${inUseSql(contact, value)}`;
    sends.push([CHANGE_CODE_LIMIT, id, password ? free : sql`${free} and not ${hasPasswordSql(id)}`]);
  }
  const limits = rateLimitCounters(ctx, [...reauthHits(id, password, recheckIf), ...sends]);
  const { me, holder, newest, settings, ...counts } = await batchOf(ctx.db, {
    me: currentUserQuery(ctx),
    holder: value === null ? undefined : ctx.db.select({ id: users.id }).from(users).where(eq(contact.column, value)),
    newest: value === null ? undefined : newestCodeQuery(ctx, contact.purpose, changeTarget(id, value)),
    // The code's lifetime.
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  return { value, user: currentUserOf(me), taken: Boolean(holder?.length), newest: newest?.[0], limits, counts };
}

type ChangeRequest = Awaited<ReturnType<typeof readRequest>>;

/**
 * The password re-check of a change request. A wrong password gives back the send the read batch
 * counted for a free address, in the failure's write batch.
 * @throws AppError VALIDATION_FAILED (field `password`), RATE_LIMITED
 */
function recheck(ctx: AuthedContext, contact: Contact, request: ChangeRequest, password: string | undefined) {
  const counted = request.value !== null && !request.taken;
  return checkPassword(ctx, request.user, {
    password,
    action: contact.action,
    limits: request.limits,
    read: request.counts,
    writes: counted ? [refundRateLimit(ctx, CHANGE_CODE_LIMIT, request.user.id)] : [],
  });
}

/**
 * Stores a code for the new address (living `auth.otpTtlMinutes`) in one write batch, delivering it
 * beside the batch.
 * @throws AppError CONFLICT (address taken), RATE_LIMITED (sends per account, or the resend cooldown)
 */
async function sendCode(
  ctx: AuthedContext,
  contact: Contact,
  request: ChangeRequest,
  value: string,
  deliver: (code: string, ttlMs: number) => Promise<unknown>,
) {
  if (request.taken) throw new AppError('CONFLICT', contact.taken);
  request.limits.check(request.counts);
  const { id } = request.user;
  const ttlMs = await codeTtlMs(ctx);
  const prepared = await prepareCode(
    ctx,
    { purpose: contact.purpose, target: changeTarget(id, value), userId: id, ttlMs },
    request.newest,
  );
  await Promise.all([runBatch(ctx.db, prepared.statements), deliver(prepared.code, ttlMs)]);
  return codeSent(ttlMs);
}

/**
 * Starts an email change: re-checks the password (when the account has one) and sends a code to the
 * NEW address.
 * @throws AppError VALIDATION_FAILED (password, same address), CONFLICT (address taken), RATE_LIMITED
 */
export async function requestEmailChange(ctx: AuthedContext, input: { newEmail: string; password?: string }) {
  const { newEmail } = input;
  const own = sql`exists (select 1 from ${users} where ${users.id} = ${ctx.actor.id} and ${users.email} = ${newEmail})`;
  const request = await readRequest(ctx, EMAIL, newEmail, input.password, sql`not ${own}`);
  if (request.user.email === newEmail) throw invalid('newEmail', 'This is already your email address');
  await recheck(ctx, EMAIL, request, input.password);
  return sendCode(ctx, EMAIL, request, newEmail, (code, ttlMs) =>
    ctx.ports.mailer.send({ to: newEmail, ...codeEmail('change-email', code, ttlMs, ctx.env.APP_NAME) }),
  );
}

/**
 * Starts a mobile number change: re-checks the password (when the account has one: a number can sign
 * in by SMS, so a stolen access token alone must not be able to swap it) and sends an SMS code to the
 * new number (E.164; a national number is read in `ownPhoneRegion`).
 * @throws AppError VALIDATION_FAILED (password, not a number, same number), CONFLICT (number taken), RATE_LIMITED
 */
export async function requestMobileChange(ctx: AuthedContext, input: { mobileNumber: string; password?: string }) {
  // A national number reads its region first (one more round trip): the number keys the read batch.
  const region = await ownPhoneRegion(ctx, input.mobileNumber);
  const request = await readRequest(ctx, MOBILE, e164OrNull(input.mobileNumber, region), input.password);
  await recheck(ctx, MOBILE, request, input.password);
  const number = toE164(input.mobileNumber, { region });
  if (request.user.mobileNumber === number) throw invalid('mobileNumber', 'This is already your mobile number');
  return sendCode(ctx, MOBILE, request, number, (code, ttlMs) =>
    ctx.ports.sms.send({ to: number, body: changeMobileSms(code, ttlMs, ctx.env.APP_NAME) }),
  );
}

/**
 * Answers a change code: one read batch (the account, another account holding the address, the newest
 * code), then one write batch that consumes the code (once, even under concurrent answers) with the
 * change and its audit row, or only counts the miss. An address taken meanwhile still uses the code
 * up. Answers the account as changed.
 * @throws AppError OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, CONFLICT (address taken meanwhile)
 */
async function confirmChange(
  ctx: AuthedContext,
  contact: Contact,
  value: string,
  otp: string,
): Promise<{ before: UserRow; user: UserView }> {
  const id = ctx.actor.id;
  const target = changeTarget(id, value);
  const { me, holder, newest } = await batchOf(ctx.db, {
    me: currentUserQuery(ctx),
    holder: ctx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(contact.column, value), ne(users.id, id))),
    newest: newestCodeQuery(ctx, contact.purpose, target),
  });
  const user = currentUserOf(me);
  const check = await checkCode(ctx, { purpose: contact.purpose, target, code: otp }, newest[0]);
  if (!check.ok) return check.fail(await runBatch(ctx.db, check.statements));
  const now = ctx.clock.now().getTime();
  const changed = { ...contact.verified(value, now), updatedAt: now };
  const taken = holder.length > 0;
  try {
    await runBatch(ctx.db, [
      ...check.statements,
      ...(taken
        ? []
        : [
            ctx.db
              .update(users)
              .set(changed)
              .where(and(eq(users.id, id), ne(users.status, 'removed'))),
            auditInsert(ctx, { action: contact.action, resourceType: 'user', resourceId: id }),
          ]),
    ]);
  } catch (err) {
    // A concurrent answer used the code first.
    if (oneRowGuardTripped(err)) throw invalidCode();
    // Taken between the read and the write: nothing is written.
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', contact.taken);
    throw err;
  }
  if (taken) throw new AppError('CONFLICT', contact.taken);
  return { before: user, user: toUserView({ ...user, ...changed }) };
}

/**
 * Finishes an email change with the code sent to the new address: switches the email (now verified)
 * and sends the `account.email-changed` notice, its email to the OLD address (when it was verified),
 * which is no longer the account's: the notice names it (`to`, which only security notices may).
 * @throws AppError OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, CONFLICT (address taken meanwhile)
 */
export async function confirmEmailChange(ctx: AuthedContext, input: { newEmail: string; otp: string }) {
  const { before, user } = await confirmChange(ctx, EMAIL, input.newEmail, input.otp);
  // Only a verified old address is told: an unverified one may belong to someone else.
  if (before.email && before.emailVerifiedAt && before.email !== input.newEmail) {
    notify(ctx, {
      recipients: [before.id],
      // The change's instant makes each change its own notice; a redelivered job is the same one.
      kind: `account.email-changed:${ctx.clock.now().getTime()}`,
      type: 'system',
      template: 'email-changed',
      data: { newEmail: maskEmail(input.newEmail) },
      subject: { type: 'account', id: before.id },
      to: { email: before.email },
    });
  }
  return { user };
}

/**
 * Finishes a mobile number change with the SMS code; the account is sent the `account.mobile-changed`
 * notice (its email to the account's verified address).
 * @throws AppError VALIDATION_FAILED, OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, CONFLICT (taken meanwhile)
 */
export async function confirmMobileChange(
  ctx: AuthedContext,
  input: { mobileNumber: string; otp: string },
): Promise<{ user: UserView }> {
  const number = toE164(input.mobileNumber, { region: await ownPhoneRegion(ctx, input.mobileNumber) });
  const { before, user } = await confirmChange(ctx, MOBILE, number, input.otp);
  notify(ctx, {
    recipients: [before.id],
    kind: `account.mobile-changed:${ctx.clock.now().getTime()}`,
    type: 'system',
    template: 'mobile-changed',
    data: { newNumber: maskPhone(number) },
    subject: { type: 'account', id: before.id },
  });
  return { user };
}
