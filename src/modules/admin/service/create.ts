import { codeEmail } from '../../../access/code-messages';
import { newestCodeQuery, prepareCode } from '../../../access/one-time-codes';
import type { AuthedContext, ServiceContext } from '../../../context';
import { batchOf } from '../../../db/batch';
import { type UserRow, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { escapeHtml } from '../../../lib/html';
import { toE164 } from '../../../lib/phone';
import { auditInsert } from '../../audit/audit.service';
import { phoneRegionFor, primeSettings, settingsQuery } from '../../settings/settings.service';
import { newAccount } from '../../users/new-account';
import { initialStatus } from '../admin.policy';
import type { AdminUserView, CreateUserInput } from '../admin.schemas';
import { commitGuarded, toAdminView } from './shared';

/** An invitation code lives 72 hours (a normal reset code lives 10 minutes). */
export const INVITATION_TTL_MS = 72 * 3600_000;

/**
 * The invitation email. The code is a `password-reset` code, so the invitee sets a password through
 * the existing POST /auth/password/reset `{ email, otp, newPassword }`.
 */
export function invitationEmail(
  input: { email: string; role: CreateUserInput['role']; code: string },
  appName = 'Kinwell',
) {
  const { subject } = codeEmail('invitation', input.code, INVITATION_TTL_MS, appName);
  const role = input.role;
  const text = [
    `Your ${appName} invitation code is ${input.code}.`,
    `An administrator created a ${role} account for you; you sign in with ${input.email}.`,
    `To choose your password, open "Reset password" in the app and enter this email, the code and your new password (API: POST /api/v1/auth/password/reset with { email, otp, newPassword }).`,
    `The code is valid for 72 hours. After that, use "Forgot password" to get a new one.`,
  ].join('\n\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>You have been invited to ${escapeHtml(appName)}</h2><p>An administrator created a ${escapeHtml(role)} account for you; you sign in with <strong>${escapeHtml(input.email)}</strong>.</p><p>Your invitation code is</p><p style="font-size:28px;letter-spacing:6px"><strong>${input.code}</strong></p><p>To choose your password, open "Reset password" in the app and enter your email, this code and your new password. The code is valid for 72 hours; after that, use "Forgot password" to get a new one.</p></body></html>`;
  return { subject, text, html };
}

/**
 * The invitation code for `user`, prepared for the account's own write batch from the newest code for
 * its address (read beforehand). Null when none can be sent now (a code went to the address within
 * the resend cooldown): the account is created all the same and the answer says nothing was sent.
 */
async function prepareInvitation(ctx: ServiceContext, user: UserRow, newest: { createdAt: number } | undefined) {
  try {
    return await prepareCode(
      ctx,
      { purpose: 'password-reset', target: user.email!, userId: user.id, ttlMs: INVITATION_TTL_MS },
      newest,
    );
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    ctx.log.log('warn', 'admin.invitation_not_sent', { userId: user.id, error: err.code });
    return null;
  }
}

/** Mails the invitation; a failure is logged and reported, never undoes the account. */
async function mailInvitation(ctx: ServiceContext, user: UserRow, role: CreateUserInput['role'], code: string) {
  try {
    await ctx.ports.mailer.send({
      to: user.email!,
      ...invitationEmail({ email: user.email!, role, code }, ctx.env.APP_NAME),
    });
    return true;
  } catch (err) {
    ctx.log.log('warn', 'admin.invitation_not_sent', {
      userId: user.id,
      error: err instanceof AppError ? err.code : String(err),
    });
    return false;
  }
}

/**
 * Creates a staff or professional account with a verified email and no password, and emails an
 * invitation code to set one. Doctors and caregivers an admin creates are verified and active; a new
 * admin waits for a superadmin's approval unless a superadmin creates it.
 * @throws AppError VALIDATION_FAILED (bad number), CONFLICT (email or number taken)
 */
export async function createUser(
  ctx: AuthedContext,
  input: CreateUserInput,
): Promise<{ user: AdminUserView; invitation: { sent: boolean; expiresIn: number } }> {
  const actor = ctx.actor;
  // One read batch (the address's newest code, for the resend cooldown; the settings, for the region a
  // national number is read in), then one write batch: the account, its audit event and its invitation
  // code commit together or not at all.
  const { newest, settings } = await batchOf(ctx.db, {
    newest: newestCodeQuery(ctx, 'password-reset', input.email),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const region = await phoneRegionFor(ctx, input.mobileNumber);
  const mobileNumber = input.mobileNumber ? toE164(input.mobileNumber, { region }) : null;
  // The invitation goes to the email, so it counts as proved; the admin vouches for the credentials.
  const user = newAccount(ctx, {
    role: input.role,
    name: input.name,
    email: input.email,
    mobileNumber,
    subRoles: input.subRoles,
    status: initialStatus(actor.role, input.role),
    verified: { email: true, credentials: true },
  });
  const invitation = await prepareInvitation(ctx, user, newest[0]);
  await commitGuarded(
    ctx,
    [
      ctx.db.insert(users).values(user).onConflictDoNothing(),
      auditInsert(
        ctx,
        {
          action: 'admin.users.create',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { role: user.role, status: user.status, subRoles: user.subRoles },
        },
        { guard: 'one-row-changed' },
      ),
      ...(invitation?.statements ?? []),
    ],
    async () => {
      throw new AppError('CONFLICT', 'An account with this email or mobile number already exists');
    },
  );
  const sent = invitation ? await mailInvitation(ctx, user, input.role, invitation.code) : false;
  return { user: toAdminView(user, null), invitation: { sent, expiresIn: INVITATION_TTL_MS / 1000 } };
}
