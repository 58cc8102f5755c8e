import type { ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import { abortUnlessOneRowChanged } from '../../db/row-guard';
import {
  type AdminSubRole,
  PROFESSIONAL_ROLES,
  type Role,
  type UserRow,
  type UserStatus,
  users,
} from '../../db/schema';
import { auditInsert } from '../audit/audit.service';

/** What the way an account was created proved about it; each proof is stamped with the current time. */
export interface AccountProofs {
  /** The email address is the person's (an emailed invitation, Google's verified claim). */
  email?: boolean;
  /** The mobile number is the person's (an SMS code). */
  mobile?: boolean;
  /** An admin vouched for a doctor's or caregiver's credentials; ignored for other roles. */
  credentials?: boolean;
}

export interface NewAccountInput {
  role: Role;
  name: string;
  /** Stored trimmed and lower-cased. */
  email?: string | null;
  /** Already in E.164 (`toE164`), as the unique column compares it byte for byte. */
  mobileNumber?: string | null;
  passwordHash?: string | null;
  /** Kept for admins only; every other role has none. */
  subRoles?: readonly AdminSubRole[];
  /**
   * Defaults to `pending` for a doctor or caregiver whose credentials nobody vouched for yet (they may
   * not work until an admin verifies them), `active` for everyone else.
   */
  status?: UserStatus;
  verified?: AccountProofs;
  googleSub?: string | null;
  facebookId?: string | null;
}

/**
 * The row of a new account, not stored yet: every way an account comes to exist (sign-up, an admin's
 * invitation, a first SMS, Google or Facebook sign-in, the test factory) builds it here, so the defaults are
 * decided once: a fresh `usr_` id, token version 0, no status reason, not deleted, created and updated
 * now, sub-roles only for admins, the email normalised, and verification stamps only for what was
 * proved. Callers insert it (the unique email, mobile number, Google subject and Facebook id refuse a duplicate).
 */
export function newAccount(ctx: Pick<ServiceContext, 'ids' | 'clock'>, input: NewAccountInput): UserRow {
  const now = ctx.clock.now().getTime();
  const proofs = input.verified ?? {};
  const professional = PROFESSIONAL_ROLES.includes(input.role);
  const vouched = professional && proofs.credentials === true;
  return {
    id: ctx.ids.id('usr'),
    email: input.email ? input.email.trim().toLowerCase() : null,
    mobileNumber: input.mobileNumber ?? null,
    name: input.name,
    passwordHash: input.passwordHash ?? null,
    role: input.role,
    subRoles: input.role === 'admin' ? [...(input.subRoles ?? [])] : [],
    status: input.status ?? (professional && !vouched ? 'pending' : 'active'),
    verifiedAt: vouched ? now : null,
    emailVerifiedAt: proofs.email ? now : null,
    mobileVerifiedAt: proofs.mobile ? now : null,
    googleSub: input.googleSub ?? null,
    facebookId: input.facebookId ?? null,
    statusReason: null,
    deletedAt: null,
    tokenVersion: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The statements that store a sign-up's new account in its write batch, in this order: the insert,
 * which a concurrent sign-up holding the same email, number, Google subject or Facebook id leaves
 * without effect; a guard that then aborts the whole batch (`oneRowGuardTripped` tells it), so the
 * caller decides again on fresh reads; and the `auth.register` audit row with `metadata` (how).
 */
export function registerAccountStatements(
  ctx: ServiceContext,
  user: UserRow,
  metadata: Record<string, unknown>,
): Statements {
  return [
    ctx.db.insert(users).values(user).onConflictDoNothing(),
    abortUnlessOneRowChanged(ctx.db),
    auditInsert(ctx, {
      actorId: user.id,
      action: 'auth.register',
      resourceType: 'user',
      resourceId: user.id,
      metadata,
    }),
  ];
}
