import type { Context } from 'hono';
import { onReplica } from '../../context';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { sha256Hex } from '../../lib/crypto';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload } from '../files/files.service';
import {
  AdminContentQuery,
  CategoryIdParam,
  CategoryListSchema,
  CategorySchema,
  ContentIdParam,
  ContentSchema,
  ContentStatusBody,
  ContentVersionListSchema,
  CreateCategoryBody,
  CreateContentBody,
  PublicContentQuery,
  PublicContentSchema,
  PublicContentSummarySchema,
  SlugParam,
  UpdateContentBody,
} from './content.schemas';
import {
  changeContentStatus,
  createCategory,
  createContent,
  deleteCategory,
  getForManagers,
  getPublished,
  listCategories,
  listContentVersions,
  listForManagers,
  listPublished,
  readPublishedFile,
  updateContent,
} from './content.service';

const tags = ['Content'];
const BODY_LIMIT = 256 * 1024;
const noItem = errorOf('No such content item (NOT_FOUND)');

/**
 * Public reads may be cached by browsers and shared caches for a minute: long enough to absorb a
 * burst of readers, short enough that an archived item disappears quickly (docs/content.md).
 */
export const PUBLIC_MAX_AGE_SECONDS = 60;

const CACHE_HEADERS = {
  ETag: { description: 'A hash of the answer; send it back in `If-None-Match`', schema: { type: 'string' as const } },
  'Cache-Control': {
    description: `\`public, max-age=${PUBLIC_MAX_AGE_SECONDS}\``,
    schema: { type: 'string' as const },
  },
};
const NOT_MODIFIED = { description: 'Not modified (If-None-Match matched the ETag)', headers: CACHE_HEADERS };
const cacheable = <T extends ReturnType<typeof jsonResponse>>(response: T) => ({ ...response, headers: CACHE_HEADERS });

/** Whether an `If-None-Match` header names `etag` (or is `*`); weak comparison, as RFC 9110 asks for GET. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === etag;
  });
}

/** A public answer with its ETag (a hash of the data) and Cache-Control; 304 when the client has it. */
async function publicAnswer<T>(c: Context, data: T) {
  const etag = `"${(await sha256Hex(JSON.stringify(data))).slice(0, 32)}"`;
  const headers = { etag, 'cache-control': `public, max-age=${PUBLIC_MAX_AGE_SECONDS}` };
  if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  return c.json(ok(data), 200, headers);
}

const listPublicRoute = defineRoute({
  method: 'get',
  path: '/content',
  operationId: 'content.list',
  tags,
  summary: 'Published articles, documents and media, newest first (no token, cacheable)',
  description:
    'Filters: `q` (text in the title or summary), `tag`, `category` (a category slug), `kind`. Items come without their body (read one by slug for it). Drafts, scheduled and archived items are never listed. Answers carry an `ETag` and `Cache-Control: public, max-age=60`; send `If-None-Match` for a 304.',
  request: { query: PublicContentQuery },
  responses: {
    200: cacheable(jsonResponse(pageOf(PublicContentSummarySchema), 'A page of published items')),
    304: NOT_MODIFIED,
  },
});

const getPublicRoute = defineRoute({
  method: 'get',
  path: '/content/{slug}',
  operationId: 'content.get',
  tags,
  summary: 'One published item by its slug (no token, cacheable)',
  description: 'A draft, scheduled or archived item answers 404. Same caching as the list.',
  request: { params: SlugParam },
  responses: {
    200: cacheable(jsonResponse(PublicContentSchema, 'The item')),
    304: NOT_MODIFIED,
    404: errorOf('No such published item (NOT_FOUND)'),
  },
});

const fileRoute = defineRoute({
  method: 'get',
  path: '/content/{slug}/file',
  operationId: 'content.file',
  tags,
  summary: "A published document's or media item's file (no token)",
  description:
    'The stored bytes as a download, never cached. Drafts, scheduled and archived items, and articles, answer 404.',
  request: { params: SlugParam },
  responses: {
    200: downloadResponse(UPLOAD_RULES.content.types, 'The file'),
    404: errorOf('No such published item with a file (NOT_FOUND)'),
  },
});

const categoriesRoute = defineRoute({
  method: 'get',
  path: '/content-categories',
  operationId: 'content.categories.list',
  tags,
  summary: 'The content categories, by name (no token)',
  responses: { 200: jsonResponse(CategoryListSchema, 'Every category') },
});

const createCategoryRoute = defineRoute({
  method: 'post',
  path: '/admin/content-categories',
  operationId: 'admin.content.categories.create',
  tags,
  summary: 'Add a content category (content managers)',
  bodyLimit: 4 * 1024,
  request: { body: jsonBody(CreateCategoryBody) },
  responses: {
    201: jsonResponse(CategorySchema, 'Added'),
    409: errorOf('Another category has this slug (CONFLICT)'),
  },
});

const deleteCategoryRoute = defineRoute({
  method: 'delete',
  path: '/admin/content-categories/{id}',
  operationId: 'admin.content.categories.delete',
  tags,
  summary: 'Remove a content category; its items keep going without one (content managers)',
  request: { params: CategoryIdParam },
  responses: {
    200: jsonResponse(CategoryIdParam, 'Removed'),
    404: errorOf('No such category (NOT_FOUND)'),
  },
});

const createRoute = defineRoute({
  method: 'post',
  path: '/admin/content',
  operationId: 'admin.content.create',
  tags,
  summary: 'Write a new content item as a draft (content managers)',
  description:
    'An `article` carries a markdown `body`; a `document` or `media` item a `fileId`, one of my uploads with purpose `content`. `socialImageFileId` is one of my uploaded images. The slug is unique and kebab-case. Version 1 is recorded.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateContentBody) },
  responses: {
    201: jsonResponse(ContentSchema, 'Drafted'),
    409: errorOf('Another item has this slug (CONFLICT)'),
  },
});

const adminListRoute = defineRoute({
  method: 'get',
  path: '/admin/content',
  operationId: 'admin.content.list',
  tags,
  summary: 'Content items in every status, last changed first (content managers)',
  request: { query: AdminContentQuery },
  responses: { 200: jsonResponse(pageOf(ContentSchema), 'A page of items') },
});

const adminGetRoute = defineRoute({
  method: 'get',
  path: '/admin/content/{id}',
  operationId: 'admin.content.get',
  tags,
  summary: 'One content item in any status (content managers)',
  request: { params: ContentIdParam },
  responses: { 200: jsonResponse(ContentSchema, 'The item'), 404: noItem },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/admin/content/{id}',
  operationId: 'admin.content.update',
  tags,
  summary: 'Save changes to a content item; each save appends a version (content managers)',
  description:
    'Send only the fields to change (`null` clears an optional one). A published item stays published with the change. An archived item goes back to draft first.',
  bodyLimit: BODY_LIMIT,
  request: { params: ContentIdParam, body: jsonBody(UpdateContentBody) },
  responses: {
    200: jsonResponse(ContentSchema, 'Saved'),
    404: noItem,
    409: errorOf('Archived (INVALID_TRANSITION), the slug is taken or the item changed meanwhile (CONFLICT)'),
  },
});

const statusRoute = defineRoute({
  method: 'post',
  path: '/admin/content/{id}/status',
  operationId: 'admin.content.status',
  tags,
  summary: 'Publish, schedule, unpublish to draft or archive a content item (content managers)',
  description:
    'draft → scheduled | published | archived; scheduled → draft | scheduled (a new time) | published | archived; published → archived; archived → draft. `scheduled` takes `publishAt` in the future: the every-minute cron publishes it once that time has passed.',
  bodyLimit: 4 * 1024,
  request: { params: ContentIdParam, body: jsonBody(ContentStatusBody) },
  responses: {
    200: jsonResponse(ContentSchema, 'Moved'),
    404: noItem,
    409: errorOf('Not allowed from its status (INVALID_TRANSITION), or it changed meanwhile (CONFLICT)'),
  },
});

const versionsRoute = defineRoute({
  method: 'get',
  path: '/admin/content/{id}/versions',
  operationId: 'admin.content.versions',
  tags,
  summary: "A content item's saved versions, newest first (content managers)",
  request: { params: ContentIdParam },
  responses: { 200: jsonResponse(ContentVersionListSchema, 'The versions'), 404: noItem },
});

export const contentRouter = createRouter()
  .openapi(listPublicRoute, async (c) =>
    publicAnswer(c, await listPublished(onReplica(c.get('ctx')), c.req.valid('query'))),
  )
  .openapi(getPublicRoute, async (c) =>
    publicAnswer(c, await getPublished(onReplica(c.get('ctx')), c.req.valid('param').slug)),
  )
  .openapi(fileRoute, async (c) => {
    const { file, body } = await readPublishedFile(onReplica(c.get('ctx')), c.req.valid('param').slug);
    return fileDownload(file, body);
  })
  .openapi(categoriesRoute, async (c) => c.json(ok(await listCategories(onReplica(c.get('ctx')))), 200))
  .openapi(createCategoryRoute, async (c) =>
    c.json(ok(await createCategory(c.get('ctx'), c.req.valid('json')), 'Category added'), 201),
  )
  .openapi(deleteCategoryRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteCategory(c.get('ctx'), id);
    return c.json(ok({ id }, 'Category removed'), 200);
  })
  .openapi(createRoute, async (c) =>
    c.json(ok(await createContent(c.get('ctx'), c.req.valid('json')), 'Content drafted'), 201),
  )
  .openapi(adminListRoute, async (c) => c.json(ok(await listForManagers(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(adminGetRoute, async (c) => c.json(ok(await getForManagers(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(updateRoute, async (c) =>
    c.json(ok(await updateContent(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Content saved'), 200),
  )
  .openapi(statusRoute, async (c) =>
    c.json(ok(await changeContentStatus(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'))), 200),
  )
  .openapi(versionsRoute, async (c) =>
    c.json(ok(await listContentVersions(c.get('ctx'), c.req.valid('param').id)), 200),
  );
