import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** What a content item is: an article (markdown body), a document or a media item (a stored file). */
export const CONTENT_KINDS = ['article', 'document', 'media'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/**
 * Where a content item stands: `draft` (only content managers see it), `scheduled` (published by the
 * cron once `publishAt` passes), `published` (public), `archived` (withdrawn from the public).
 */
export const CONTENT_STATUSES = ['draft', 'scheduled', 'published', 'archived'] as const;
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

/** The categories content managers keep; an item sits in at most one. Owned by the content module. */
export const contentCategories = sqliteTable(
  'content_categories',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('content_categories_slug_idx').on(t.slug)],
);

/**
 * An article, document or media item of the content hub. The platform's content, not personal data:
 * an author's erasure keeps it under the author's id (docs/content.md). No foreign keys.
 */
export const contentItems = sqliteTable(
  'content_items',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: CONTENT_KINDS }).notNull(),
    title: text('title').notNull(),
    /** Unique, kebab-case: the public address of the item. */
    slug: text('slug').notNull(),
    summary: text('summary'),
    /** Markdown, stored as written (articles). */
    body: text('body'),
    /** The stored file of a document or media item (files module, the author's upload). */
    fileId: text('file_id'),
    categoryId: text('category_id'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    authorId: text('author_id').notNull(),
    metaTitle: text('meta_title'),
    metaDescription: text('meta_description'),
    /** An image of the author's (files) for social cards. */
    socialImageFileId: text('social_image_file_id'),
    status: text('status', { enum: CONTENT_STATUSES }).notNull(),
    /** When a scheduled item goes public (the cron publishes it). */
    publishAt: integer('publish_at'),
    publishedAt: integer('published_at'),
    /** The number of the latest version (content_item_versions). */
    version: integer('version').notNull(),
    /** Who last saved or moved it. */
    updatedBy: text('updated_by').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('content_items_slug_idx').on(t.slug),
    index('content_items_status_idx').on(t.status, t.publishedAt),
    index('content_items_due_idx').on(t.status, t.publishAt),
    index('content_items_category_idx').on(t.categoryId),
  ],
);
export type ContentItemRow = typeof contentItems.$inferSelect;

/** What a version keeps: the item's content as it was saved. */
export interface ContentSnapshot {
  kind: ContentKind;
  title: string;
  slug: string;
  summary: string | null;
  body: string | null;
  fileId: string | null;
  categoryId: string | null;
  tags: string[];
  metaTitle: string | null;
  metaDescription: string | null;
  socialImageFileId: string | null;
}

/** Every save of a content item appends one: numbered from 1, never changed. */
export const contentItemVersions = sqliteTable(
  'content_item_versions',
  {
    id: text('id').primaryKey(),
    contentItemId: text('content_item_id').notNull(),
    version: integer('version').notNull(),
    status: text('status', { enum: CONTENT_STATUSES }).notNull(),
    snapshot: text('snapshot', { mode: 'json' }).$type<ContentSnapshot>().notNull(),
    authorId: text('author_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('content_item_versions_item_idx').on(t.contentItemId, t.version)],
);
export type ContentItemVersionRow = typeof contentItemVersions.$inferSelect;
