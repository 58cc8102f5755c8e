import { and, asc, count, desc, eq, inArray, isNull, ne, or, type SQL, sql } from 'drizzle-orm';
import { alias, union } from 'drizzle-orm/sqlite-core';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import { caregiverLinks, caregiverRequests, type UserRow, users } from '../../db/schema';
import { escapeLike, qualified } from '../../db/sql';
import { type Page, page } from '../../lib/envelope';
import { iso } from '../../lib/time';
import { isNetworkRole, NETWORK_ROLES } from './care-access';
import type {
  PendingRequestsView,
  PendingRequestView,
  PersonView,
  RelationshipView,
  SuggestionsInput,
} from './caregivers.schemas';
import { toRequestView } from './caregivers.service';

/**
 * The read side of the caregiver network: pending requests, suggestions and the relationship lists.
 * Each shows other accounts only as `{ id, name, role }` and leaves out accounts that are no longer
 * active (blocked, deactivated, removed).
 */

/** Most requests each side of GET /caregiver/requests returns (newest first). */
export const MAX_PENDING_LISTED = 100;

const person = (row: Pick<UserRow, 'id' | 'name' | 'role'>): PersonView => ({
  id: row.id,
  name: row.name,
  role: isNetworkRole(row.role) ? row.role : 'user',
});

const pendingColumns = {
  id: caregiverRequests.id,
  requesterId: caregiverRequests.requesterId,
  receiverId: caregiverRequests.receiverId,
  status: caregiverRequests.status,
  message: caregiverRequests.message,
  createdAt: caregiverRequests.createdAt,
  respondedAt: caregiverRequests.respondedAt,
  userName: users.name,
  userRole: users.role,
};

async function pendingSide(ctx: AuthedContext, side: 'incoming' | 'outgoing'): Promise<PendingRequestView[]> {
  const mine = side === 'incoming' ? caregiverRequests.receiverId : caregiverRequests.requesterId;
  const other = side === 'incoming' ? caregiverRequests.requesterId : caregiverRequests.receiverId;
  const rows = await ctx.db
    .select(pendingColumns)
    .from(caregiverRequests)
    .innerJoin(users, eq(users.id, other))
    .where(
      and(
        eq(mine, ctx.actor.id),
        eq(caregiverRequests.status, 'pending'),
        eq(users.status, 'active'),
        inArray(users.role, [...NETWORK_ROLES]),
      ),
    )
    .orderBy(desc(caregiverRequests.createdAt), desc(caregiverRequests.id))
    .limit(MAX_PENDING_LISTED)
    .all();
  return rows.map(({ userName, userRole, ...request }) => ({
    ...toRequestView(request),
    user: person({
      id: side === 'incoming' ? request.requesterId : request.receiverId,
      name: userName,
      role: userRole,
    }),
  }));
}

/**
 * The caller's pending requests: `incoming` (asking the caller to care for them) and `outgoing` (the
 * caller asking others), newest first, at most MAX_PENDING_LISTED each, each with the other party.
 * Requests whose other party's account is no longer active are left out.
 */
export async function pendingRequests(ctx: AuthedContext): Promise<PendingRequestsView> {
  const [incoming, outgoing] = await Promise.all([pendingSide(ctx, 'incoming'), pendingSide(ctx, 'outgoing')]);
  return { incoming, outgoing };
}

/**
 * The ids of the people the caller already shares the caregiver network with, as a subquery: the
 * patients the caller cares for and the other caregivers of those patients. Never a caregiver's other
 * patients: who else someone cares for is the patients' business, not their fellow patients'. A link counts only while it is active and the person it goes through (the
 * shared patient or caregiver) is an active network account, as everywhere in the network.
 */
function networkOf(ctx: AuthedContext, caller: string) {
  const mine = alias(caregiverLinks, 'mine');
  const theirs = alias(caregiverLinks, 'theirs');
  const via = alias(users, 'via');
  const myPatients = ctx.db
    .select({ id: mine.patientId })
    .from(mine)
    .where(and(eq(mine.caregiverId, caller), isNull(mine.endedAt)));
  // The other caregivers of the patients I care for (the patient still an active network account).
  const coCaregivers = ctx.db
    .select({ id: theirs.caregiverId })
    .from(mine)
    .innerJoin(theirs, and(eq(theirs.patientId, mine.patientId), isNull(theirs.endedAt)))
    .innerJoin(via, and(eq(via.id, mine.patientId), eq(via.status, 'active'), inArray(via.role, [...NETWORK_ROLES])))
    .where(and(eq(mine.caregiverId, caller), isNull(mine.endedAt)));
  return union(myPatients, coCaregivers);
}

/**
 * Accounts the caller could ask to be their caregiver: active patients and caregivers whose name
 * contains `search` (case-insensitive) or whose email is exactly `search`; with an empty search, only
 * the people the caller already shares the network with (`networkOf`), so an empty search never pages
 * through the user base. Never the caller, anyone already caring for them, or anyone they have a
 * pending request to. Only id, name and role are shown. One round trip (the page and its count).
 */
export async function suggestUsers(ctx: AuthedContext, query: SuggestionsInput): Promise<Page<PersonView>> {
  const caller = ctx.actor.id;
  const search = query.search.trim().toLowerCase();
  const matches: SQL =
    search === ''
      ? inArray(users.id, networkOf(ctx, caller))
      : or(sql`lower(${users.name}) like ${`%${escapeLike(search)}%`} escape '\\'`, eq(users.email, search))!;
  const caresForCaller = sql`exists (select 1 from ${caregiverLinks} where ${qualified(caregiverLinks.patientId)} = ${caller} and ${qualified(caregiverLinks.caregiverId)} = ${qualified(users.id)} and ${qualified(caregiverLinks.endedAt)} is null)`;
  const askedByCaller = sql`exists (select 1 from ${caregiverRequests} where ${qualified(caregiverRequests.requesterId)} = ${caller} and ${qualified(caregiverRequests.receiverId)} = ${qualified(users.id)} and ${qualified(caregiverRequests.status)} = 'pending')`;
  return paginate(ctx.db, users, {
    where: and(
      ne(users.id, caller),
      eq(users.status, 'active'),
      inArray(users.role, [...NETWORK_ROLES]),
      matches,
      sql`not ${caresForCaller}`,
      sql`not ${askedByCaller}`,
    ),
    orderBy: [asc(sql`lower(${users.name})`), asc(users.id)],
    page: query.page,
    limit: query.limit,
    map: person,
  });
}

/**
 * A page of the caller's active relationships, newest first: as the patient (`my-caregivers`: the
 * people caring for me) or as the caregiver (`i-care-for`). People whose account is no longer active
 * are left out.
 */
export async function listRelationships(
  ctx: AuthedContext,
  as: 'patient' | 'caregiver',
  query: { page: number; limit: number },
): Promise<Page<RelationshipView>> {
  const mine = as === 'patient' ? caregiverLinks.patientId : caregiverLinks.caregiverId;
  const other = as === 'patient' ? caregiverLinks.caregiverId : caregiverLinks.patientId;
  const where = and(
    eq(mine, ctx.actor.id),
    isNull(caregiverLinks.endedAt),
    eq(users.status, 'active'),
    inArray(users.role, [...NETWORK_ROLES]),
  );
  // Only the link's columns and the user's name and role: no two selected columns share a name.
  const [rows, [total]] = await ctx.db.batch([
    ctx.db
      .select({
        linkId: caregiverLinks.id,
        userId: other,
        since: caregiverLinks.createdAt,
        name: users.name,
        role: users.role,
      })
      .from(caregiverLinks)
      .innerJoin(users, eq(users.id, other))
      .where(where)
      .orderBy(desc(caregiverLinks.createdAt), desc(caregiverLinks.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(caregiverLinks).innerJoin(users, eq(users.id, other)).where(where),
  ]);
  return page(
    rows.map((r) => ({
      linkId: r.linkId,
      user: person({ id: r.userId, name: r.name, role: r.role }),
      since: iso(r.since),
    })),
    total?.n ?? 0,
    query,
  );
}
