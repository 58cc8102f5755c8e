import { z } from '@hono/zod-openapi';
import { CONTENT_KINDS, CONTENT_STATUSES } from '../../db/schema/content';
import { idParam, PageQuery } from '../../http/openapi';

/** Longest markdown body of an article, in characters. */
export const MAX_BODY = 100_000;
/** At most this many tags on an item. */
export const MAX_TAGS = 20;

export const ContentIdParam = idParam('cnt', 'content item');
export const CategoryIdParam = idParam('cat', 'content category');

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const Slug = z.string().min(1).max(120).regex(KEBAB, 'Lowercase letters and digits in words joined by hyphens');
const Tag = z.string().trim().toLowerCase().min(1).max(40);
const Kind = z.enum(CONTENT_KINDS);
const Status = z.enum(CONTENT_STATUSES);

export const SlugParam = z.object({
  slug: Slug.openapi({ param: { name: 'slug', in: 'path' }, example: 'sleep-hygiene-basics' }),
});

const editable = {
  title: z.string().trim().min(1).max(200),
  summary: z.string().trim().min(1).max(1000).nullable().optional(),
  body: z.string().min(1).max(MAX_BODY).nullable().optional().openapi({ description: 'Markdown, articles only' }),
  fileId: z.string().nullable().optional().openapi({ description: 'One of my uploads (documents and media)' }),
  categoryId: z.string().nullable().optional(),
  tags: z.array(Tag).max(MAX_TAGS).optional(),
  metaTitle: z.string().trim().min(1).max(120).nullable().optional(),
  metaDescription: z.string().trim().min(1).max(320).nullable().optional(),
  socialImageFileId: z.string().nullable().optional().openapi({ description: 'One of my uploaded images' }),
};

export const CreateContentBody = z.strictObject({ kind: Kind, slug: Slug, ...editable }).openapi('CreateContent', {
  example: {
    kind: 'article',
    title: 'Sleep hygiene basics',
    slug: 'sleep-hygiene-basics',
    summary: 'Seven habits for better sleep.',
    body: '# Sleep hygiene\n\nGo to bed at the same time every night.',
    tags: ['sleep', 'habits'],
    metaTitle: 'Sleep hygiene basics | Kinwell',
    metaDescription: 'Seven habits for better sleep, from our clinicians.',
  },
});
export type CreateContentInput = z.infer<typeof CreateContentBody>;

export const UpdateContentBody = z
  .strictObject({ slug: Slug.optional(), ...editable, title: editable.title.optional() })
  .openapi('UpdateContent', {
    example: { summary: 'Seven habits for better sleep, updated.', tags: ['sleep', 'habits', 'routine'] },
  });
export type UpdateContentInput = z.infer<typeof UpdateContentBody>;

export const ContentStatusBody = z
  .strictObject({
    status: Status.openapi({ description: 'The status to move to' }),
    publishAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Required for `scheduled`: when the cron publishes it (in the future)' }),
  })
  .openapi('ContentStatusChange', { example: { status: 'scheduled', publishAt: '2026-12-01T08:00:00Z' } });
export type ContentStatusInput = z.infer<typeof ContentStatusBody>;

export const PublicContentQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Text in the title or summary' }),
  tag: Tag.optional().openapi({ example: 'sleep' }),
  category: Slug.optional().openapi({ description: "A category's slug", example: 'wellbeing' }),
  kind: Kind.optional(),
});
export type PublicContentQueryInput = z.infer<typeof PublicContentQuery>;

export const AdminContentQuery = PublicContentQuery.extend({ status: Status.optional() });
export type AdminContentQueryInput = z.infer<typeof AdminContentQuery>;

export const CreateCategoryBody = z
  .strictObject({ name: z.string().trim().min(1).max(80), slug: Slug })
  .openapi('CreateContentCategory', { example: { name: 'Wellbeing', slug: 'wellbeing' } });
export type CreateCategoryInput = z.infer<typeof CreateCategoryBody>;

const CategoryView = z.object({ id: z.string(), name: z.string(), slug: z.string() });
export const CategorySchema = CategoryView.openapi('ContentCategory', {
  example: { id: 'cat_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Wellbeing', slug: 'wellbeing' },
});
export const CategoryListSchema = z.array(CategorySchema).openapi('ContentCategories');

const ITEM_EXAMPLE = {
  id: 'cnt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  kind: 'article' as const,
  title: 'Sleep hygiene basics',
  slug: 'sleep-hygiene-basics',
  summary: 'Seven habits for better sleep.',
  body: '# Sleep hygiene\n\nGo to bed at the same time every night.',
  fileId: null,
  category: { id: 'cat_01JF8ZS5X0V6M3A2Q9K1T7B4CF', name: 'Wellbeing', slug: 'wellbeing' },
  tags: ['sleep', 'habits'],
  authorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CG',
  seo: {
    metaTitle: 'Sleep hygiene basics | Kinwell',
    metaDescription: 'Seven habits for better sleep, from our clinicians.',
    socialImageFileId: null,
  },
  publishedAt: '2026-11-21T08:00:00.000Z',
  updatedAt: '2026-11-21T08:00:00.000Z',
};

const publicShape = {
  id: z.string(),
  kind: Kind,
  title: z.string(),
  slug: z.string(),
  summary: z.string().nullable(),
  body: z.string().nullable().openapi({ description: 'Markdown as written (articles)' }),
  fileId: z.string().nullable().openapi({ description: 'The stored document or media file' }),
  category: CategoryView.nullable(),
  tags: z.array(z.string()),
  authorId: z.string(),
  seo: z.object({
    metaTitle: z.string().nullable(),
    metaDescription: z.string().nullable(),
    socialImageFileId: z.string().nullable(),
  }),
  publishedAt: z.string().nullable(),
  updatedAt: z.string(),
};

export const PublicContentSchema = z.object(publicShape).openapi('PublicContent', { example: ITEM_EXAMPLE });
export type PublicContentView = z.infer<typeof PublicContentSchema>;

/** A published item in the public list: everything but the body. */
export const PublicContentSummarySchema = PublicContentSchema.omit({ body: true }).openapi('PublicContentSummary', {
  example: (({ body: _body, ...rest }) => rest)(ITEM_EXAMPLE),
});

export const ContentSchema = z
  .object({
    ...publicShape,
    status: Status,
    publishAt: z.string().nullable(),
    version: z.number().int(),
    updatedBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('Content', {
    example: {
      ...ITEM_EXAMPLE,
      status: 'published',
      publishAt: null,
      version: 2,
      updatedBy: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CG',
      createdAt: '2026-11-20T08:00:00.000Z',
    },
  });
export type ContentView = z.infer<typeof ContentSchema>;

export const ContentVersionSchema = z
  .object({
    version: z.number().int(),
    status: Status.openapi({ description: 'The status when it was saved' }),
    authorId: z.string(),
    createdAt: z.string(),
    snapshot: z.object({
      kind: Kind,
      title: z.string(),
      slug: z.string(),
      summary: z.string().nullable(),
      body: z.string().nullable(),
      fileId: z.string().nullable(),
      categoryId: z.string().nullable(),
      tags: z.array(z.string()),
      metaTitle: z.string().nullable(),
      metaDescription: z.string().nullable(),
      socialImageFileId: z.string().nullable(),
    }),
  })
  .openapi('ContentVersion', {
    example: {
      version: 1,
      status: 'draft',
      authorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CG',
      createdAt: '2026-11-20T08:00:00.000Z',
      snapshot: {
        kind: 'article',
        title: 'Sleep hygiene basics',
        slug: 'sleep-hygiene-basics',
        summary: 'Seven habits for better sleep.',
        body: '# Sleep hygiene',
        fileId: null,
        categoryId: null,
        tags: ['sleep'],
        metaTitle: null,
        metaDescription: null,
        socialImageFileId: null,
      },
    },
  });
export const ContentVersionListSchema = z.array(ContentVersionSchema).openapi('ContentVersions');
