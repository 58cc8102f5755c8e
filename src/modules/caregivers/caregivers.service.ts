import { and, desc, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import { notify } from '../../access/notices';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type CaregiverLinkRow,
  type CaregiverRequestRow,
  caregiverLinks,
  caregiverRequests,
  type UserRow,
  users,
} from '../../db/schema';
import { ifOneRowChanged, isNotNullViolation, isUniqueViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { HOUR_MS, iso } from '../../lib/time';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { accountsQuery, activeLinkBetween, asMember, memberIn, toLinkView } from './care-access';
import type {
  CaregiverRequestView,
  LinkView,
  ResponseStatus,
  SendRequestInput,
  UpdateStatusResult,
} from './caregivers.schemas';

/**
 * The caregiver network: a patient (the REQUESTER) asks another account (the RECEIVER) to become their
 * caregiver; the receiver accepts (a caregiver link: patient = requester, caregiver = receiver) or
 * rejects; either side ends the relationship. REST routes and socket events call these same functions,
 * so both trigger the same pushes (`ctx.ports.realtime.notify`, after the change is stored: a user with
 * no open socket loses nothing). Lists and suggestions: caregiver-lists.service.ts.
 */

/** The client's view of a request row. */
export function toRequestView(row: CaregiverRequestRow): CaregiverRequestView {
  return {
    id: row.id,
    requesterId: row.requesterId,
    receiverId: row.receiverId,
    status: row.status,
    message: row.message,
    createdAt: iso(row.createdAt),
    respondedAt: row.respondedAt === null ? null : iso(row.respondedAt),
  };
}

const duplicate = () =>
  new AppError('CONFLICT', 'You already have a pending caregiver request to this person', {
    details: { reason: 'pending-request' },
  });
const alreadyCaregiver = () =>
  new AppError('CONFLICT', 'This person is already your caregiver', { details: { reason: 'already-caregiver' } });

const notInNetwork = () => new AppError('FORBIDDEN', 'Only patients and caregivers take part in the caregiver network');

/** The latest rejected request from `requesterId` to `receiverId`, for a read batch (the cooldown). */
function lastRejection(ctx: ServiceContext, requesterId: string, receiverId: string) {
  return ctx.db
    .select({ respondedAt: caregiverRequests.respondedAt })
    .from(caregiverRequests)
    .where(
      and(
        eq(caregiverRequests.requesterId, requesterId),
        eq(caregiverRequests.receiverId, receiverId),
        eq(caregiverRequests.status, 'rejected'),
      ),
    )
    .orderBy(desc(caregiverRequests.respondedAt))
    .limit(1);
}

/**
 * Refuses a request to someone who rejected one from the caller less than
 * `caregivers.requestCooldownHours` ago (`respondedAt`: when they last rejected one, if ever).
 * @throws AppError CONFLICT with `retryAfter` seconds (the Retry-After header; also `details.retryAfter`,
 *   which socket error replies carry)
 */
async function assertCooledDown(ctx: ServiceContext, respondedAt: number | null | undefined): Promise<void> {
  const hours = await getSetting(ctx, 'caregivers.requestCooldownHours');
  if (hours === 0 || respondedAt == null) return;
  const waitMs = respondedAt + hours * HOUR_MS - ctx.clock.now().getTime();
  if (waitMs <= 0) return;
  const retryAfter = Math.ceil(waitMs / 1000);
  throw new AppError('CONFLICT', `This person declined your last request; you can ask again in ${hours} hours`, {
    details: { reason: 'cooldown', cooldownHours: hours, retryAfter },
    retryAfter,
  });
}

/**
 * The caller asks `receiverId` to become their caregiver; the receiver is pushed `request:incoming`
 * `{ request, requester: { id, name } }` and sent the `caregiver.request` notice (after the response).
 * Two round trips: everything the checks need (both accounts, the link, the pending request, the last
 * rejection, the settings) in one read batch, then the insert with its audit row.
 * @throws AppError FORBIDDEN (the caller is not a patient or caregiver), VALIDATION_FAILED (receiverId
 *   is the caller), NOT_FOUND (no active patient or caregiver account with that id), CONFLICT (a
 *   pending request to them exists, they already care for the caller, or the cooldown after their last
 *   rejection is running: `retryAfter` seconds)
 */
export async function sendRequest(ctx: AuthedContext, input: SendRequestInput): Promise<CaregiverRequestView> {
  const caller = ctx.actor.id;
  const read = await batchOf(ctx.db, {
    accounts: accountsQuery(ctx, [caller, input.receiverId]),
    link: activeLinkBetween(ctx, caller, input.receiverId),
    pending: ctx.db
      .select({ id: caregiverRequests.id })
      .from(caregiverRequests)
      .where(
        and(
          eq(caregiverRequests.requesterId, caller),
          eq(caregiverRequests.receiverId, input.receiverId),
          eq(caregiverRequests.status, 'pending'),
        ),
      )
      .limit(1),
    rejected: lastRejection(ctx, caller, input.receiverId),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const requester = memberIn(read.accounts, caller);
  if (!requester) throw notInNetwork();
  if (input.receiverId === requester.id) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'receiverId', message: 'You cannot ask yourself to be your caregiver' }],
    });
  }
  const receiver = memberIn(read.accounts, input.receiverId);
  if (!receiver) throw notFound('User');
  if (read.link.length) throw alreadyCaregiver();
  if (read.pending.length) throw duplicate();
  await assertCooledDown(ctx, read.rejected[0]?.respondedAt);

  const row: CaregiverRequestRow = {
    id: ctx.ids.id('cgr'),
    requesterId: requester.id,
    receiverId: receiver.id,
    status: 'pending',
    message: input.message ?? null,
    createdAt: ctx.clock.now().getTime(),
    respondedAt: null,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(caregiverRequests).values(row),
      auditInsert(ctx, {
        action: 'caregiver.request.send',
        resourceType: 'caregiver_request',
        resourceId: row.id,
        patientId: requester.id,
        metadata: { receiverId: receiver.id },
      }),
    ]);
  } catch (err) {
    // A concurrent send for the same pair won the partial unique index (one pending per pair).
    if (isUniqueViolation(err)) throw duplicate();
    throw err;
  }
  const request = toRequestView(row);
  ctx.defer(
    ctx.ports.realtime.notify(receiver.id, 'request:incoming', {
      request,
      requester: { id: requester.id, name: requester.name },
    }),
  );
  // The request's own message is not in the notice: it may say something about the requester's health.
  notify(ctx, {
    recipients: [receiver.id],
    kind: 'caregiver.request',
    type: 'system',
    template: 'caregiver-request',
    data: { requestId: row.id, requesterName: requester.name },
    subject: { type: 'caregiver-request', id: row.id },
  });
  return request;
}

const notAnswerable = (status: CaregiverRequestRow['status']) =>
  new AppError('INVALID_TRANSITION', `This request is already ${status}`, { details: { status } });

/**
 * The receiver accepts or rejects a pending request. Accepting creates the link in the same batch as
 * the status change, guarded so two concurrent answers create at most one link, and pushes
 * `request:accepted:notify` `{ request, caregiver: { id, name } }` to the requester, who is also sent
 * the `caregiver.accepted` notice (after the response). A rejection starts the requester's cooldown
 * for this pair.
 * @throws AppError NOT_FOUND (no such request, or the caller is not its receiver, or the requester's
 *   account is no longer active), INVALID_TRANSITION (not pending any more), CONFLICT (already linked)
 */
export async function updateRequestStatus(
  ctx: AuthedContext,
  requestId: string,
  status: ResponseStatus,
): Promise<UpdateStatusResult> {
  const caller = ctx.actor.id;
  const read = await batchOf(ctx.db, {
    accounts: accountsQuery(ctx, [caller]),
    // The requester's account comes along under its own names: a batch would let the account's `id`,
    // `status` and `created_at` overwrite the request's.
    request: ctx.db
      .select({
        ...getTableColumns(caregiverRequests),
        requesterName: sql<string>`${users.name}`.as('requester_name'),
        requesterRole: sql<UserRow['role']>`${users.role}`.as('requester_role'),
        requesterStatus: sql<UserRow['status']>`${users.status}`.as('requester_status'),
      })
      .from(caregiverRequests)
      .innerJoin(users, eq(users.id, caregiverRequests.requesterId))
      .where(and(eq(caregiverRequests.id, requestId), eq(caregiverRequests.receiverId, caller)))
      .limit(1),
  });
  const receiver = memberIn(read.accounts, caller);
  if (!receiver) throw notInNetwork();
  const found = read.request[0];
  const requester =
    found &&
    asMember({
      id: found.requesterId,
      name: found.requesterName,
      role: found.requesterRole,
      status: found.requesterStatus,
    });
  if (!found || !requester) throw notFound('Caregiver request');
  const { requesterName: _name, requesterRole: _role, requesterStatus: _status, ...request } = found;
  if (request.status !== 'pending') throw notAnswerable(request.status);

  const now = ctx.clock.now().getTime();
  const answer = ctx.db
    .update(caregiverRequests)
    .set({ status, respondedAt: now })
    .where(and(eq(caregiverRequests.id, request.id), eq(caregiverRequests.status, 'pending')))
    .returning();
  const audit = {
    action: `caregiver.request.${status === 'accepted' ? 'accept' : 'reject'}`,
    resourceType: 'caregiver_request',
    resourceId: request.id,
    patientId: request.requesterId,
  };
  const link: CaregiverLinkRow | null =
    status === 'accepted'
      ? {
          id: ctx.ids.id('cgl'),
          patientId: request.requesterId,
          caregiverId: receiver.id,
          requestId: request.id,
          createdAt: now,
          endedAt: null,
          endedBy: null,
        }
      : null;
  let updated: CaregiverRequestRow;
  try {
    const [rows] = link
      ? await ctx.db.batch([
          answer,
          // request_id is NULL (rolling the batch back) unless the UPDATE above changed the request.
          ctx.db.insert(caregiverLinks).values({ ...link, requestId: ifOneRowChanged(request.id) }),
          auditInsert(ctx, { ...audit, metadata: { linkId: link.id } }),
        ])
      : await ctx.db.batch([answer, auditInsert(ctx, audit, { guard: 'one-row-changed' })]);
    updated = rows[0]!;
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyCaregiver();
    if (!auditGuardTripped(err) && !isNotNullViolation(err, caregiverLinks.requestId)) {
      throw err;
    }
    // Answered meanwhile (e.g. a second device accepted first).
    const current = await ctx.db.select().from(caregiverRequests).where(eq(caregiverRequests.id, request.id)).get();
    throw notAnswerable(current?.status ?? 'cancelled');
  }
  const result = { request: toRequestView(updated), link: link && toLinkView(link) };
  if (link) {
    ctx.defer(
      ctx.ports.realtime.notify(request.requesterId, 'request:accepted:notify', {
        request: result.request,
        caregiver: { id: receiver.id, name: receiver.name },
      }),
    );
    notify(ctx, {
      recipients: [request.requesterId],
      kind: 'caregiver.accepted',
      type: 'system',
      template: 'caregiver-accepted',
      data: { requestId: request.id, caregiverName: receiver.name },
      subject: { type: 'caregiver-request', id: request.id },
    });
  }
  return result;
}

/**
 * Ends an active link at once (audited) and pushes `request:removedByUser`
 * `{ linkId, patientId, caregiverId, by }` to the other side.
 * @throws AppError NOT_FOUND (ended meanwhile)
 */
async function endLink(ctx: AuthedContext, link: CaregiverLinkRow, what: string): Promise<LinkView> {
  const by = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  let ended: CaregiverLinkRow;
  try {
    const [rows] = await ctx.db.batch([
      ctx.db
        .update(caregiverLinks)
        .set({ endedAt: now, endedBy: by })
        .where(and(eq(caregiverLinks.id, link.id), isNull(caregiverLinks.endedAt)))
        .returning(),
      auditInsert(
        ctx,
        {
          action: 'caregiver.link.end',
          resourceType: 'caregiver_link',
          resourceId: link.id,
          patientId: link.patientId,
          metadata: { caregiverId: link.caregiverId, by: by === link.patientId ? 'patient' : 'caregiver' },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
    ended = rows[0]!;
  } catch (err) {
    if (auditGuardTripped(err)) throw notFound(what);
    throw err;
  }
  const other = by === link.patientId ? link.caregiverId : link.patientId;
  ctx.defer(
    ctx.ports.realtime.notify(other, 'request:removedByUser', {
      linkId: link.id,
      patientId: link.patientId,
      caregiverId: link.caregiverId,
      by,
    }),
  );
  return toLinkView(ended);
}

/**
 * The patient (caller) removes one of their caregivers; the caregiver's access ends at once.
 * @throws AppError NOT_FOUND (no active link in which they care for the caller)
 */
export async function removeCaregiver(ctx: AuthedContext, caregiverId: string): Promise<LinkView> {
  const [link] = await activeLinkBetween(ctx, ctx.actor.id, caregiverId);
  if (!link) throw notFound('Caregiver');
  return endLink(ctx, link, 'Caregiver');
}

/**
 * The caregiver (caller) stops caring for a patient; their access ends at once.
 * @throws AppError NOT_FOUND (no active link in which the caller cares for them)
 */
export async function leavePatient(ctx: AuthedContext, patientId: string): Promise<LinkView> {
  const [link] = await activeLinkBetween(ctx, patientId, ctx.actor.id);
  if (!link) throw notFound('Patient');
  return endLink(ctx, link, 'Patient');
}
