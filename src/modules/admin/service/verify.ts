import { and, eq, inArray } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { PROFESSIONAL_ROLES, type UserRow, users } from '../../../db/schema';
import { auditInsert } from '../../audit/audit.service';
import { verifyRefusal } from '../admin.policy';
import type { AdminUserView } from '../admin.schemas';
import { adminViewOf, adminViewQuery, authorizedTarget, changedMeanwhile, commitGuarded, refuseWith } from './shared';

async function plan(ctx: AuthedContext, id: string): Promise<UserRow> {
  const { target } = await authorizedTarget(ctx, id, 'verify');
  refuseWith(verifyRefusal(target));
  return target;
}

export function verifiedEmail(appName = 'Kinwell') {
  const subject = `${appName}: Your account is verified`;
  const text = `Good news: an administrator has verified your ${appName} account. You can now sign in and use everything your role offers.`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>Your account is verified</h2><p>${text}</p></body></html>`;
  return { subject, text, html };
}

/**
 * Verifies a pending doctor or caregiver: they become active with `verifiedAt`, and are told by email.
 * @throws AppError NOT_FOUND, FORBIDDEN, INVALID_TRANSITION (anyone else, or not pending)
 */
export async function applyVerify(ctx: AuthedContext, id: string): Promise<AdminUserView> {
  const target = await plan(ctx, id);
  const now = ctx.clock.now().getTime();
  const results = await commitGuarded(
    ctx,
    [
      ctx.db
        .update(users)
        .set({ status: 'active', verifiedAt: now, statusReason: null, updatedAt: now })
        .where(and(eq(users.id, id), eq(users.status, 'pending'), inArray(users.role, [...PROFESSIONAL_ROLES]))),
      auditInsert(
        ctx,
        {
          action: 'admin.users.verify',
          resourceType: 'user',
          resourceId: id,
          metadata: { role: target.role, from: target.status, to: 'active' },
        },
        { guard: 'one-row-changed' },
      ),
      adminViewQuery(ctx, id),
    ],
    async () => {
      await plan(ctx, id);
      throw changedMeanwhile();
    },
  );
  const view = adminViewOf(results);
  if (!target.email) return view;
  // The notice goes after the response; the verification stands if it is lost (logged, not fatal).
  ctx.defer(
    ctx.ports.mailer.send({ to: target.email, ...verifiedEmail(ctx.env.APP_NAME) }).catch((err) => {
      ctx.log.log('warn', 'admin.verified_email_not_sent', { userId: id, error: String(err) });
    }),
  );
  return view;
}
