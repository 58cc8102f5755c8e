import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf, type Statements } from '../../db/batch';
import { decideAgainOnLostRace } from '../../db/row-guard';
import { type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type AddressRule, rateLimitCounters } from '../../platform/rate-limit';
import { assertFlagOn, flagOnSql, primeSettings, settingsQuery } from '../settings/settings.service';
import { newAccount, registerAccountStatements } from '../users/new-account';
import { type FacebookIdentity, FacebookTokenRejected, verifyFacebookToken } from './facebook-graph';
import {
  assertCanSignIn,
  auditSignInFailure,
  completeSignIn,
  factorStateQueries,
  type SignInResult,
  toFactorState,
} from './sign-in.service';

/**
 * Per address: refused Facebook tokens (30 in 15 minutes), and every Facebook sign-in under a high
 * ceiling, so people signing in right from one shared address are never refused.
 */
export const FACEBOOK_IP_RULE: AddressRule = {
  failures: { name: 'facebook-failures:ip', limit: 30, windowMs: 15 * 60_000 },
  ceiling: { name: 'facebook:ip', limit: 600, windowMs: 15 * 60_000 },
};

const FAILED_MESSAGE = 'Facebook sign-in failed';

/**
 * A sign-in refused for what the verified token's person is, not for the token: audited with `reason`
 * (never shown) and answered with `answer`; unlike a refused token it does not count against the address.
 */
class FacebookSignInRefused extends Error {
  constructor(
    readonly reason: string,
    readonly userId: string | null,
    readonly answer: AppError,
  ) {
    super(reason);
    this.name = 'FacebookSignInRefused';
  }
}

/**
 * The account of a Facebook identity and the writes that sign it in, decided from the read batch: the
 * account linked to the Facebook id; else, when Facebook shared an email nobody has, a new active
 * patient (created in the write batch, its insert guarded so a concurrent creation aborts the batch).
 *
 * An account that already has the email is never linked: Facebook does not say that the person
 * proved the address, so linking on it would hand someone else's account to whoever typed that email
 * into a Facebook profile. The new account's email is stored unverified for the same reason.
 * @throws FacebookSignInRefused no email (422), email in use (409), an account that may not sign in
 */
function planFacebookUser(
  ctx: ServiceContext,
  identity: FacebookIdentity,
  read: { byId: UserRow | undefined; byEmail: UserRow | undefined },
): { user: UserRow; writes: Statements } {
  if (read.byId) {
    try {
      assertCanSignIn(read.byId);
    } catch (err) {
      // A removed account answers like any other refused Facebook sign-in.
      const answer =
        err instanceof AppError && err.code !== 'UNAUTHENTICATED' ? err : new AppError('TOKEN_INVALID', FAILED_MESSAGE);
      throw new FacebookSignInRefused(`user_${read.byId.status}`, read.byId.id, answer);
    }
    return { user: read.byId, writes: [] };
  }
  if (!identity.email) {
    throw new FacebookSignInRefused(
      'no_email',
      null,
      new AppError('VALIDATION_FAILED', 'Facebook did not share an email address', {
        fields: [
          {
            field: 'accessToken',
            message: 'A first Facebook sign-in needs the email permission: ask for it again and send the new token',
          },
        ],
      }),
    );
  }
  if (read.byEmail) {
    throw new FacebookSignInRefused(
      'email_in_use',
      read.byEmail.id,
      new AppError(
        'CONFLICT',
        'An account with this email already exists: sign in to it another way (password, emailed code, Google)',
        { details: { reason: 'email-in-use' } },
      ),
    );
  }
  const user = newAccount(ctx, {
    role: 'user',
    name: identity.name ?? identity.email.split('@')[0]!.slice(0, 100),
    email: identity.email,
    facebookId: identity.id,
  });
  return { user, writes: registerAccountStatements(ctx, user, { method: 'facebook' }) };
}

/**
 * Signs in with a Facebook user access token from the mobile SDK, creating a patient account on the
 * first sign-in, then finishes like every sign-in (2FA challenge or a session). While the
 * `features.facebookSignIn` flag is off it answers FORBIDDEN before anything else (no rate-limit hit,
 * no call to Facebook). Refused tokens are audited with the reason, count against the address and are
 * answered with one message that does not say which check failed.
 *
 * Three round trips when it signs in: the flag and the address's limits (read before Facebook is
 * called), then, once Facebook named the user, the accounts of that id and email with their second
 * factors, then the write batch. An access token is opaque: unlike a Google ID token it names nobody
 * until Facebook has answered, so the account cannot be read in the first batch.
 * @throws AppError FORBIDDEN, RATE_LIMITED, TOKEN_INVALID, VALIDATION_FAILED (no email on a first
 * sign-in), CONFLICT (`details.reason: "email-in-use"`), USER_BLOCKED, USER_INACTIVE,
 * TWO_FACTOR_REQUIRED, SERVICE_UNAVAILABLE (not configured, Facebook unreachable or failing)
 */
export async function signInWithFacebook(
  ctx: ServiceContext,
  input: { accessToken: string; userAgent: string | null },
): Promise<SignInResult> {
  const limits = rateLimitCounters(ctx, [], {
    address: [FACEBOOK_IP_RULE, ctx.ip],
    onlyIf: flagOnSql('features.facebookSignIn'),
  });
  const { settings, ...counts } = await batchOf(ctx.db, { settings: settingsQuery(ctx), ...limits.statements });
  primeSettings(ctx, settings);
  await assertFlagOn(ctx, 'features.facebookSignIn', 'Facebook sign-in is turned off');
  limits.check(counts);
  const device = { userAgent: input.userAgent, ip: ctx.ip };
  let identity: FacebookIdentity;
  try {
    identity = await verifyFacebookToken(ctx, input.accessToken);
  } catch (err) {
    if (!(err instanceof FacebookTokenRejected)) throw err;
    // A refused token counts against the address, in the same batch as its audit row.
    await auditSignInFailure(ctx, 'facebook', err.reason, null, limits.failed());
    throw new AppError('TOKEN_INVALID', FAILED_MESSAGE);
  }
  const owner = sql`(select ${users.id} from ${users} where ${users.facebookId} = ${identity.id})`;
  try {
    return await decideAgainOnLostRace(
      async () => {
        const { byId, byEmail, mfa, recovery } = await batchOf(ctx.db, {
          byId: ctx.db.select().from(users).where(eq(users.facebookId, identity.id)),
          byEmail: identity.email ? ctx.db.select().from(users).where(eq(users.email, identity.email)) : undefined,
          ...factorStateQueries(ctx, owner),
        });
        const plan = planFacebookUser(ctx, identity, { byId: byId[0], byEmail: byEmail?.[0] });
        return completeSignIn(ctx, plan.user, 'facebook', device, {
          factors: toFactorState(mfa, recovery),
          writes: plan.writes,
        });
      },
      () => {
        // Created and taken away twice in a row: answered as a conflict, the client may try again.
        throw new FacebookSignInRefused(
          'account_conflict',
          null,
          new AppError('CONFLICT', 'The account changed meanwhile; try again', {
            details: { reason: 'account-changed' },
          }),
        );
      },
    );
  } catch (err) {
    if (!(err instanceof FacebookSignInRefused)) throw err;
    await auditSignInFailure(ctx, 'facebook', err.reason, err.userId);
    throw err.answer;
  }
}
