import { and, asc, count, desc, eq, inArray, like, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf, runBatch } from '../../db/batch';
import {
  type ContentItemRow,
  type ContentSnapshot,
  type ContentStatus,
  contentCategories,
  contentItems,
  contentItemVersions,
  files,
} from '../../db/schema';
import { escapeLike, isUniqueViolation, qualified } from '../../db/sql';
import { type Page, page } from '../../lib/envelope';
import { AppError, type FieldError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { canMove, missingForKind } from './content.policy';
import type {
  AdminContentQueryInput,
  ContentStatusInput,
  ContentView,
  CreateCategoryInput,
  CreateContentInput,
  PublicContentQueryInput,
  PublicContentView,
  UpdateContentInput,
} from './content.schemas';

/** The purpose of the uploads a content item may use (the author's own, files module). */
const CONTENT_PURPOSE = 'content';
/** At most this many scheduled items are published by one cron run. */
const PUBLISH_BATCH = 100;

type Category = { id: string; name: string; slug: string };

const invalid = (...fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });
const slugTaken = () => new AppError('CONFLICT', 'Another content item has this slug');

/** The item's columns and its category's, as one row. */
const itemWithCategory = {
  item: contentItems,
  // aliased: inside a batch, joined columns sharing a name (id, slug) overwrite each other
  categoryId: sql<string | null>`${contentCategories.id}`.as('category_ref'),
  categoryName: sql<string | null>`${contentCategories.name}`.as('category_name'),
  categorySlug: sql<string | null>`${contentCategories.slug}`.as('category_slug'),
};
type JoinedRow = {
  item: ContentItemRow;
  categoryId: string | null;
  categoryName: string | null;
  categorySlug: string | null;
};

const categoryOf = (row: JoinedRow): Category | null =>
  row.categoryId && row.categoryName && row.categorySlug
    ? { id: row.categoryId, name: row.categoryName, slug: row.categorySlug }
    : null;

export function toPublicView(row: ContentItemRow, category: Category | null): PublicContentView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    slug: row.slug,
    summary: row.summary,
    body: row.body,
    fileId: row.fileId,
    category,
    tags: row.tags,
    authorId: row.authorId,
    seo: { metaTitle: row.metaTitle, metaDescription: row.metaDescription, socialImageFileId: row.socialImageFileId },
    publishedAt: iso(row.publishedAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toContentView(row: ContentItemRow, category: Category | null): ContentView {
  return {
    ...toPublicView(row, category),
    status: row.status,
    publishAt: iso(row.publishAt),
    version: row.version,
    updatedBy: row.updatedBy,
    createdAt: iso(row.createdAt),
  };
}

/** The filters both lists share: text in the title or summary, a tag, a category's slug, a kind. */
function filtersOf(query: PublicContentQueryInput): SQL[] {
  const where: SQL[] = [];
  if (query.q) {
    const pattern = `%${escapeLike(query.q)}%`;
    where.push(
      or(
        sql`${contentItems.title} like ${pattern} escape '\\'`,
        sql`${contentItems.summary} like ${pattern} escape '\\'`,
      )!,
    );
  }
  if (query.tag) where.push(sql`exists (select 1 from json_each(${contentItems.tags}) where value = ${query.tag})`);
  if (query.category) where.push(eq(contentCategories.slug, query.category));
  if (query.kind) where.push(eq(contentItems.kind, query.kind));
  return where;
}

/** One page of items with their categories and the total, in one round trip. */
async function pageOfItems<V>(
  ctx: ServiceContext,
  where: SQL | undefined,
  order: SQL[],
  query: { page: number; limit: number },
  map: (row: ContentItemRow, category: Category | null) => V,
): Promise<Page<V>> {
  const { rows, total } = await batchOf(ctx.db, {
    rows: ctx.db
      .select(itemWithCategory)
      .from(contentItems)
      .leftJoin(contentCategories, eq(contentCategories.id, contentItems.categoryId))
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db
      .select({ n: count() })
      .from(contentItems)
      .leftJoin(contentCategories, eq(contentCategories.id, contentItems.categoryId))
      .where(where),
  });
  return page(
    rows.map((row) => map(row.item, categoryOf(row))),
    total[0]?.n ?? 0,
    query,
  );
}

/** Published items, newest first, for everyone (the body is left out of the list). One round trip. */
export function listPublished(ctx: ServiceContext, query: PublicContentQueryInput) {
  const where = and(eq(contentItems.status, 'published'), ...filtersOf(query));
  return pageOfItems(ctx, where, [desc(contentItems.publishedAt), desc(contentItems.id)], query, (row, category) => {
    const { body: _body, ...view } = toPublicView(row, category);
    return view;
  });
}

/** One published item by its slug; anything else is 404. One round trip. */
export async function getPublished(ctx: ServiceContext, slug: string): Promise<PublicContentView> {
  const [row] = await ctx.db
    .select(itemWithCategory)
    .from(contentItems)
    .leftJoin(contentCategories, eq(contentCategories.id, contentItems.categoryId))
    .where(and(eq(contentItems.slug, slug), eq(contentItems.status, 'published')));
  if (!row) throw notFound('Content');
  return toPublicView(row.item, categoryOf(row));
}

/** Every category, by name. One round trip. */
export async function listCategories(ctx: ServiceContext): Promise<Category[]> {
  return ctx.db
    .select({ id: contentCategories.id, name: contentCategories.name, slug: contentCategories.slug })
    .from(contentCategories)
    .orderBy(asc(contentCategories.name));
}

/** Items in every status for content managers, last changed first. One round trip. */
export function listForManagers(ctx: AuthedContext, query: AdminContentQueryInput) {
  const where = and(...filtersOf(query), query.status ? eq(contentItems.status, query.status) : undefined);
  return pageOfItems(ctx, where, [desc(contentItems.updatedAt), desc(contentItems.id)], query, toContentView);
}

/** One item in any status for content managers. One round trip. */
export async function getForManagers(ctx: AuthedContext, id: string): Promise<ContentView> {
  const [row] = await ctx.db
    .select(itemWithCategory)
    .from(contentItems)
    .leftJoin(contentCategories, eq(contentCategories.id, contentItems.categoryId))
    .where(eq(contentItems.id, id));
  if (!row) throw notFound('Content');
  return toContentView(row.item, categoryOf(row));
}

/** The caller's own upload of the content purpose (an image when `image`), for a read batch. */
function ownFileQuery(ctx: AuthedContext, fileId: string | null | undefined, image: boolean) {
  if (!fileId) return undefined;
  return ctx.db
    .select({ id: files.id })
    .from(files)
    .where(
      and(
        eq(files.id, fileId),
        eq(files.ownerId, ctx.actor.id),
        eq(files.purpose, CONTENT_PURPOSE),
        image ? like(files.contentType, 'image/%') : undefined,
      ),
    );
}

const categoryQuery = (ctx: ServiceContext, id: string | null | undefined) =>
  id
    ? ctx.db
        .select({ id: contentCategories.id, name: contentCategories.name, slug: contentCategories.slug })
        .from(contentCategories)
        .where(eq(contentCategories.id, id))
    : undefined;

const slugQuery = (ctx: ServiceContext, slug: string | undefined) =>
  slug ? ctx.db.select({ id: contentItems.id }).from(contentItems).where(eq(contentItems.slug, slug)) : undefined;

/** The reads a save needs besides the item: the slug's holder, the files and the category. */
async function readForSave(ctx: AuthedContext, input: UpdateContentInput, item?: ReturnType<typeof itemQuery>) {
  const read = await batchOf(ctx.db, {
    item,
    slug: slugQuery(ctx, input.slug),
    file: ownFileQuery(ctx, input.fileId, false),
    image: ownFileQuery(ctx, input.socialImageFileId, true),
    category: categoryQuery(ctx, input.categoryId),
  });
  const fields: FieldError[] = [];
  if (input.fileId && !read.file?.length)
    fields.push({ field: 'fileId', message: 'Must be one of my uploads with purpose content' });
  if (input.socialImageFileId && !read.image?.length)
    fields.push({ field: 'socialImageFileId', message: 'Must be one of my uploaded images with purpose content' });
  if (input.categoryId && !read.category?.length) fields.push({ field: 'categoryId', message: 'No such category' });
  return { read, fields };
}

const itemQuery = (ctx: ServiceContext, id: string) =>
  ctx.db
    .select(itemWithCategory)
    .from(contentItems)
    .leftJoin(contentCategories, eq(contentCategories.id, contentItems.categoryId))
    .where(eq(contentItems.id, id));

const snapshotOf = (row: ContentItemRow): ContentSnapshot => ({
  kind: row.kind,
  title: row.title,
  slug: row.slug,
  summary: row.summary,
  body: row.body,
  fileId: row.fileId,
  categoryId: row.categoryId,
  tags: row.tags,
  metaTitle: row.metaTitle,
  metaDescription: row.metaDescription,
  socialImageFileId: row.socialImageFileId,
});

const versionInsert = (ctx: AuthedContext, row: ContentItemRow) =>
  ctx.db.insert(contentItemVersions).values({
    id: ctx.ids.id('cnv'),
    contentItemId: row.id,
    version: row.version,
    status: row.status,
    snapshot: snapshotOf(row),
    authorId: ctx.actor.id,
    createdAt: row.updatedAt,
  });

/** Ids and codes only in the audit trail: never the item's text. */
const contentAudit = (row: Pick<ContentItemRow, 'id' | 'status' | 'version'>, action: string) =>
  ({
    action,
    resourceType: 'content',
    resourceId: row.id,
    metadata: { status: row.status, version: row.version },
  }) as const;

/**
 * A content manager writes a new draft (version 1). Two round trips: the slug, files and category in
 * one read; the item, its first version and the audit event in one write.
 * @throws AppError VALIDATION_FAILED (a kind's missing part, a file not mine, no such category),
 *   CONFLICT (the slug is taken)
 */
export async function createContent(ctx: AuthedContext, input: CreateContentInput): Promise<ContentView> {
  const { read, fields } = await readForSave(ctx, input);
  const missing = missingForKind(input.kind, { body: input.body ?? null, fileId: input.fileId ?? null });
  if (missing) fields.unshift(missing);
  if (fields.length) throw invalid(...fields);
  if (read.slug?.length) throw slugTaken();
  const now = ctx.clock.now().getTime();
  const row: ContentItemRow = {
    id: ctx.ids.id('cnt'),
    kind: input.kind,
    title: input.title,
    slug: input.slug,
    summary: input.summary ?? null,
    body: input.body ?? null,
    fileId: input.fileId ?? null,
    categoryId: input.categoryId ?? null,
    tags: [...new Set(input.tags ?? [])],
    authorId: ctx.actor.id,
    metaTitle: input.metaTitle ?? null,
    metaDescription: input.metaDescription ?? null,
    socialImageFileId: input.socialImageFileId ?? null,
    status: 'draft',
    publishAt: null,
    publishedAt: null,
    version: 1,
    updatedBy: ctx.actor.id,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(contentItems).values(row),
      versionInsert(ctx, row),
      auditInsert(ctx, contentAudit(row, 'content.create')),
    ]);
  } catch (err) {
    if (isUniqueViolation(err, contentItems.slug)) throw slugTaken();
    throw err;
  }
  return toContentView(row, read.category?.[0] ?? null);
}

/** Raises a conflict for a conditional write that lost a race, or a slug taken meanwhile. */
function raceOf(err: unknown): never {
  if (isUniqueViolation(err, contentItems.slug)) throw slugTaken();
  if (auditGuardTripped(err)) throw new AppError('CONFLICT', 'The item changed meanwhile; read it and try again');
  throw err;
}

/**
 * A content manager saves changes to an item (any status but archived); the save appends a version.
 * Send only the fields to change (`null` clears an optional one). Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (archived), VALIDATION_FAILED, CONFLICT (slug taken,
 *   or the item changed meanwhile)
 */
export async function updateContent(ctx: AuthedContext, id: string, input: UpdateContentInput): Promise<ContentView> {
  if (Object.keys(input).length === 0) throw invalid({ field: 'body', message: 'Nothing to change' });
  const { read, fields } = await readForSave(ctx, input, itemQuery(ctx, id));
  const current = read.item?.[0];
  if (!current) throw notFound('Content');
  const old = current.item;
  if (old.status === 'archived') {
    throw new AppError('INVALID_TRANSITION', 'An archived item is moved back to draft before it is edited');
  }
  const next: ContentItemRow = {
    ...old,
    ...Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)),
    tags: input.tags ? [...new Set(input.tags)] : old.tags,
    version: old.version + 1,
    updatedBy: ctx.actor.id,
    updatedAt: ctx.clock.now().getTime(),
  };
  const missing = missingForKind(next.kind, next);
  if (missing) fields.unshift(missing);
  if (fields.length) throw invalid(...fields);
  if (read.slug?.some((holder) => holder.id !== id)) throw slugTaken();
  const { id: _id, createdAt: _c, authorId: _a, kind: _k, ...changes } = next;
  try {
    await ctx.db.batch([
      ctx.db
        .update(contentItems)
        .set(changes)
        .where(and(eq(contentItems.id, id), eq(contentItems.version, old.version))),
      auditInsert(ctx, contentAudit(next, 'content.update'), { guard: 'one-row-changed' }),
      versionInsert(ctx, next),
    ]);
  } catch (err) {
    raceOf(err);
  }
  const category = input.categoryId === undefined ? categoryOf(current) : (read.category?.[0] ?? null);
  return toContentView(next, category);
}

/**
 * A content manager moves an item (content.policy.ts): publish now, schedule (`publishAt` in the
 * future), back to draft, archive. Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION, VALIDATION_FAILED (publishAt), CONFLICT (a race)
 */
export async function changeContentStatus(
  ctx: AuthedContext,
  id: string,
  input: ContentStatusInput,
): Promise<ContentView> {
  const now = ctx.clock.now().getTime();
  const publishAt = input.publishAt === undefined ? null : Date.parse(input.publishAt);
  if (input.status === 'scheduled' && (publishAt === null || publishAt <= now)) {
    throw invalid({ field: 'publishAt', message: 'A scheduled item needs a publishAt in the future' });
  }
  if (input.status !== 'scheduled' && publishAt !== null) {
    throw invalid({ field: 'publishAt', message: 'Only a scheduled item takes publishAt' });
  }
  const [current] = await itemQuery(ctx, id);
  if (!current) throw notFound('Content');
  const old = current.item;
  if (!canMove(old.status, input.status)) {
    throw new AppError('INVALID_TRANSITION', `A ${old.status} item cannot become ${input.status}`, {
      details: { status: old.status },
    });
  }
  const next: ContentItemRow = {
    ...old,
    status: input.status,
    publishAt,
    publishedAt: input.status === 'published' ? now : input.status === 'archived' ? old.publishedAt : null,
    updatedBy: ctx.actor.id,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db
        .update(contentItems)
        .set({
          status: next.status,
          publishAt: next.publishAt,
          publishedAt: next.publishedAt,
          updatedBy: next.updatedBy,
          updatedAt: now,
        })
        .where(
          and(eq(contentItems.id, id), eq(contentItems.version, old.version), eq(contentItems.status, old.status)),
        ),
      auditInsert(ctx, contentAudit(next, `content.${input.status}`), { guard: 'one-row-changed' }),
    ]);
  } catch (err) {
    raceOf(err);
  }
  return toContentView(next, categoryOf(current));
}

/** An item's versions, newest first, for content managers. One round trip. */
export async function listContentVersions(ctx: AuthedContext, id: string) {
  const { item, versions } = await batchOf(ctx.db, {
    item: ctx.db.select({ id: contentItems.id }).from(contentItems).where(eq(contentItems.id, id)),
    versions: ctx.db
      .select()
      .from(contentItemVersions)
      .where(eq(contentItemVersions.contentItemId, id))
      .orderBy(desc(contentItemVersions.version)),
  });
  if (!item.length) throw notFound('Content');
  return versions.map((v) => ({
    version: v.version,
    status: v.status,
    authorId: v.authorId,
    createdAt: iso(v.createdAt),
    snapshot: v.snapshot,
  }));
}

/**
 * A content manager adds a category. One round trip (the write; a taken slug fails on its key).
 * @throws AppError CONFLICT (the slug is taken)
 */
export async function createCategory(ctx: AuthedContext, input: CreateCategoryInput): Promise<Category> {
  const row = { id: ctx.ids.id('cat'), name: input.name, slug: input.slug, createdAt: ctx.clock.now().getTime() };
  try {
    await ctx.db.batch([
      ctx.db.insert(contentCategories).values(row),
      auditInsert(ctx, { action: 'content.category.create', resourceType: 'content_category', resourceId: row.id }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err, contentCategories.slug))
      throw new AppError('CONFLICT', 'Another category has this slug');
    throw err;
  }
  return { id: row.id, name: row.name, slug: row.slug };
}

/**
 * A content manager removes a category; its items keep going without one. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function deleteCategory(ctx: AuthedContext, id: string): Promise<void> {
  try {
    await ctx.db.batch([
      ctx.db.delete(contentCategories).where(eq(contentCategories.id, id)),
      auditInsert(
        ctx,
        { action: 'content.category.delete', resourceType: 'content_category', resourceId: id },
        { guard: 'one-row-changed' },
      ),
      ctx.db.update(contentItems).set({ categoryId: null }).where(eq(contentItems.categoryId, id)),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw notFound('Category');
    throw err;
  }
}

/**
 * The cron's part: scheduled items whose `publishAt` has passed become published (at most
 * PUBLISH_BATCH a run), each with an audit event. Answers how many.
 */
export async function publishDueContent(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const due = ctx.db
    .select({ id: contentItems.id })
    .from(contentItems)
    .where(and(eq(contentItems.status, 'scheduled'), lte(contentItems.publishAt, now)))
    .orderBy(contentItems.publishAt)
    .limit(PUBLISH_BATCH);
  const chosen = and(inArray(contentItems.id, due), eq(contentItems.status, 'scheduled'))!;
  const [, published] = await runBatch(ctx.db, [
    auditInsert(
      ctx,
      {
        id: sql`${ctx.ids.id('aud').slice(0, 14)} || substr(hex(randomblob(8)), 1, 16)`,
        action: 'content.published',
        resourceType: 'content',
        resourceId: qualified(contentItems.id),
        actorId: null,
        metadata: sql`json_object('version', ${qualified(contentItems.version)}, 'by', 'cron')`,
      },
      { guard: { from: contentItems, where: chosen } },
    ),
    ctx.db
      .update(contentItems)
      .set({ status: 'published' as ContentStatus, publishedAt: sql`${contentItems.publishAt}`, updatedAt: now })
      .where(chosen)
      .returning({ id: contentItems.id }),
  ]);
  return (published as { id: string }[]).length;
}

/**
 * The stored file of a published document or media item, for everyone. One round trip, then the
 * bytes from storage.
 * @throws AppError NOT_FOUND (no such published item, it has no file, or the file is gone)
 */
export async function readPublishedFile(ctx: ServiceContext, slug: string) {
  const [found] = await ctx.db
    .select({ contentType: files.contentType, size: files.size, storageKey: files.storageKey })
    .from(contentItems)
    .innerJoin(files, eq(files.id, contentItems.fileId))
    .where(and(eq(contentItems.slug, slug), eq(contentItems.status, 'published')));
  const object = found ? await ctx.ports.storage.get(found.storageKey) : null;
  if (!found || !object) throw notFound('Content file');
  return { file: { contentType: found.contentType, size: found.size }, body: object.body };
}
