import { and, asc, count, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import { deliverJobs, notify } from '../../access/notices';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type CaregiverProfileRow, caregiverCredentials, caregiverProfiles, files, users } from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { addDays, iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import type { VerificationQueueItemView } from './care-profiles.schemas';
import { caregiverRowColumns, specialtiesByCaregiver, specialtiesQuery, toCredentialView } from './profile.service';

/** How many days ahead of its expiry a caregiver is told a credential runs out. */
export const CREDENTIAL_EXPIRY_NOTICE_DAYS = 30;

/**
 * Caregivers awaiting verification: pending caregiver accounts not yet rejected, or changed since
 * their rejection (a caregiver who fixed their credentials is back in the queue).
 */
const AWAITING = and(
  eq(users.role, 'caregiver'),
  eq(users.status, 'pending'),
  isNull(users.verifiedAt),
  or(isNull(caregiverProfiles.rejectedAt), gt(caregiverProfiles.updatedAt, caregiverProfiles.rejectedAt)),
);

/**
 * The verification queue, oldest account first: each caregiver with their profile, credentials and
 * the documents those name (metadata; only the caregiver's own files). Approve with the admin verify
 * action (`POST /admin/users/{id}/verify`), refuse with `rejectCaregiver`. One round trip.
 */
export async function verificationQueue(ctx: ServiceContext, query: { page: number; limit: number }) {
  const from = <T extends SQLiteSelect>(select: T) =>
    select.leftJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id)).where(AWAITING);
  const pageOf = <T extends SQLiteSelect>(select: T) =>
    from(select)
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit);
  const ids = pageOf(ctx.db.select({ id: users.id }).from(users).$dynamic());
  const { rows, total, specs, credentials, documents } = await batchOf(ctx.db, {
    rows: pageOf(
      ctx.db
        .select({ ...caregiverRowColumns(), stored: caregiverProfiles.userId })
        .from(users)
        .$dynamic(),
    ),
    total: from(ctx.db.select({ n: count() }).from(users).$dynamic()),
    specs: specialtiesQuery(ctx, ids),
    credentials: ctx.db
      .select()
      .from(caregiverCredentials)
      .where(inArray(caregiverCredentials.caregiverId, ids))
      .orderBy(asc(caregiverCredentials.createdAt), asc(caregiverCredentials.id)),
    documents: ctx.db
      .select({
        id: files.id,
        ownerId: files.ownerId,
        fileName: files.fileName,
        contentType: files.contentType,
        size: files.size,
        createdAt: files.createdAt,
      })
      .from(files)
      .where(
        and(
          inArray(files.ownerId, ids),
          sql`${files.id} in (select value from ${caregiverCredentials}, json_each(${caregiverCredentials.documentFileIds}) where ${caregiverCredentials.caregiverId} = ${files.ownerId})`,
        ),
      ),
  });
  const bySpecialty = specialtiesByCaregiver(specs);
  const items: VerificationQueueItemView[] = rows.map(({ user, profile, stored }) => {
    const p = stored === null ? null : (profile as CaregiverProfileRow);
    return {
      id: user.id,
      name: user.name,
      email: user.email,
      registeredAt: iso(user.createdAt),
      specialties: bySpecialty.get(user.id) ?? [],
      bio: p?.bio ?? null,
      yearsOfExperience: p?.yearsOfExperience ?? null,
      previousRejection:
        p?.rejectionReason && p.rejectedAt !== null ? { reason: p.rejectionReason, at: iso(p.rejectedAt) } : null,
      credentials: credentials.filter((c) => c.caregiverId === user.id).map(toCredentialView),
      documents: documents
        .filter((d) => d.ownerId === user.id)
        .map((d) => ({
          id: d.id,
          fileName: d.fileName,
          contentType: d.contentType,
          size: d.size,
          uploadedAt: iso(d.createdAt),
        })),
    };
  });
  return page(items, total[0]?.n ?? 0, query);
}

/**
 * An admin refuses a pending caregiver's credentials with a reason: stored on the profile (the
 * caregiver sees it), audited, and the caregiver is told. The account stays pending; once the
 * caregiver changes their profile they are back in the queue. A read, then the write batch.
 * @throws AppError NOT_FOUND (no such caregiver), INVALID_TRANSITION (not awaiting verification)
 */
export async function rejectCaregiver(ctx: AuthedContext, caregiverId: string, reason: string) {
  const { target } = await batchOf(ctx.db, {
    target: ctx.db
      .select({ id: users.id, status: users.status, verifiedAt: users.verifiedAt })
      .from(users)
      .where(and(eq(users.id, caregiverId), eq(users.role, 'caregiver'))),
  });
  const row = target[0];
  if (!row || row.status === 'removed') throw notFound('Caregiver');
  if (row.status !== 'pending' || row.verifiedAt !== null) {
    throw new AppError('INVALID_TRANSITION', 'Only a caregiver awaiting verification can be rejected', {
      details: { status: row.status },
    });
  }
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .insert(caregiverProfiles)
      .values({ userId: caregiverId, languages: [], rejectionReason: reason, rejectedAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: caregiverProfiles.userId,
        set: { rejectionReason: reason, rejectedAt: now, updatedAt: now },
      }),
    auditInsert(ctx, {
      action: 'admin.caregivers.reject',
      resourceType: 'user',
      resourceId: caregiverId,
      metadata: { reason },
    }),
  ]);
  notify(ctx, {
    recipients: [caregiverId],
    kind: 'caregiver.rejected',
    type: 'system',
    template: 'notice',
    data: {
      title: 'Your credentials need another look',
      message: `An administrator could not verify your credentials yet: ${reason}\n\nUpdate your profile in the app and it will be reviewed again.`,
    },
    subject: { type: 'caregiver-verification', id: `${caregiverId}:${now}` },
  });
  return { id: caregiverId, rejection: { reason, at: iso(now) } };
}

/**
 * Cron: tells each caregiver, once per credential and expiry date, that a credential expires within
 * CREDENTIAL_EXPIRY_NOTICE_DAYS days (today included; UTC dates). Finds them, enqueues the notices, then
 * marks them (`expiry_notice_at`): a run that fails before marking is retried by the next minute's, and
 * the pipeline's own key (subject, kind, recipient, channel) keeps that to one delivery; once marked, a
 * credential is not found again until its expiry date changes.
 * @returns how many credentials were flagged
 */
export async function flagExpiringCredentials(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now();
  const today = now.toISOString().slice(0, 10);
  const horizon = addDays(today, CREDENTIAL_EXPIRY_NOTICE_DAYS);
  const due = await ctx.db
    .select()
    .from(caregiverCredentials)
    .where(
      and(
        isNull(caregiverCredentials.expiryNoticeAt),
        sql`${caregiverCredentials.expiresAt} between ${today} and ${horizon}`,
      ),
    )
    .limit(EXPIRY_BATCH);
  if (!due.length) return 0;
  await ctx.ports.jobs.enqueue(
    due.flatMap((credential) =>
      deliverJobs({
        recipients: [credential.caregiverId],
        kind: 'caregiver.credential-expiring',
        type: 'system',
        template: 'notice',
        data: {
          title: 'A credential expires soon',
          message: `Your ${credential.type} (${credential.number}) expires on ${credential.expiresAt}. Upload the renewed document in your profile so you stay listed.`,
          credentialId: credential.id,
        },
        subject: { type: 'caregiver-credential', id: `${credential.id}:${credential.expiresAt}` },
      }),
    ),
  );
  await ctx.db
    .update(caregiverCredentials)
    .set({ expiryNoticeAt: now.getTime() })
    .where(
      inArray(
        caregiverCredentials.id,
        due.map((c) => c.id),
      ),
    );
  return due.length;
}

/** At most this many credentials are flagged per cron run; the next minute takes the rest. */
const EXPIRY_BATCH = 200;
