import {
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  notInArray,
  or,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { PROFESSIONAL_ROLES, users } from '../../../db/schema';
import { escapeLike } from '../../../db/sql';
import { type Page, page } from '../../../lib/envelope';
import { notFound } from '../../../lib/errors';
import type { AdminUserListInput, AdminUserView } from '../admin.schemas';
import { adminViewQuery, lastSignInAt, toAdminView } from './shared';

const likeAny = (column: SQLWrapper, pattern: string) => sql`lower(${column}) like ${pattern} escape '\\'`;

/** name, email or mobile number contains `search` (case-insensitive; digits match a formatted number). */
function searchCondition(search: string): SQL {
  const pattern = `%${escapeLike(search.toLowerCase())}%`;
  const conditions = [likeAny(users.name, pattern), likeAny(users.email, pattern)];
  const digits = search.replace(/\D/g, '');
  // "+1 (415) 555-01" searches numbers stored as +141555501…
  const phoneLike = /^[\d\s+().-]+$/.test(search) && digits.length > 0;
  conditions.push(likeAny(users.mobileNumber, phoneLike ? `%${digits}%` : pattern));
  return or(...conditions)!;
}

/** Doctors and caregivers count as verified once their credentials are (verifiedAt); others once their email is. */
function verifiedCondition(verified: boolean): SQL {
  const professional = inArray(users.role, [...PROFESSIONAL_ROLES]);
  const other = notInArray(users.role, [...PROFESSIONAL_ROLES]);
  return verified
    ? or(and(professional, isNotNull(users.verifiedAt)), and(other, isNotNull(users.emailVerifiedAt)))!
    : or(and(professional, isNull(users.verifiedAt)), and(other, isNull(users.emailVerifiedAt)))!;
}

/** Accounts for the back office: searched, filtered, sorted and paginated, in one D1 round trip. */
export async function listUsers(ctx: ServiceContext, query: AdminUserListInput): Promise<Page<AdminUserView>> {
  const filters: SQL[] = [];
  if (query.search) filters.push(searchCondition(query.search));
  if (query.role) filters.push(eq(users.role, query.role));
  if (query.status) filters.push(eq(users.status, query.status));
  if (query.verified !== undefined) filters.push(verifiedCondition(query.verified));
  if (query.createdFrom) filters.push(gte(users.createdAt, Date.parse(query.createdFrom)));
  if (query.createdTo) filters.push(lt(users.createdAt, Date.parse(query.createdTo)));
  const where = filters.length ? and(...filters) : undefined;
  const order = query.order ?? (query.sort === 'name' ? 'asc' : 'desc');
  const direction = order === 'asc' ? asc : desc;
  const orderBy =
    query.sort === 'name'
      ? [direction(sql`${users.name} collate nocase`), direction(users.id)]
      : [direction(users.createdAt), direction(users.id)];
  const [rows, [total]] = await ctx.db.batch([
    ctx.db
      .select({ user: users, lastSignInAt })
      .from(users)
      .where(where)
      .orderBy(...orderBy)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(users).where(where),
  ]);
  return page(
    rows.map((r) => toAdminView(r.user, r.lastSignInAt)),
    total?.n ?? 0,
    query,
  );
}

/** One account for the back office. @throws AppError NOT_FOUND */
export async function getUser(ctx: ServiceContext, id: string): Promise<AdminUserView> {
  const row = await adminViewQuery(ctx, id).get();
  if (!row) throw notFound('User');
  return toAdminView(row.user, row.lastSignInAt);
}
