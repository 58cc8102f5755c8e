import { z } from '@hono/zod-openapi';
import { OUTBOX_CHANNELS } from '../../db/schema';
import { createRouter } from '../../http/hono';
import { defineRoute, envelope, errorOf, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { checkHealth, listOutbox, OUTBOX_VIEW_CSP, outboxPage } from './system.service';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    environment: z.string(),
    checks: z.object({
      database: z.object({ status: z.enum(['ok', 'error']), latencyMs: z.number() }),
    }),
  })
  .openapi('Health', {
    example: { status: 'ok', environment: 'production', checks: { database: { status: 'ok', latencyMs: 3 } } },
  });

const OutboxMessageSchema = z
  .object({
    id: z.string(),
    channel: z.enum(OUTBOX_CHANNELS),
    recipient: z.string().openapi({ description: 'An email address, an E.164 number, or a push device token' }),
    subject: z.string().nullable().openapi({ description: "An email's subject or a push notification's title" }),
    body: z.string(),
    html: z.string().nullable(),
    attachments: z
      .array(z.object({ filename: z.string(), contentType: z.string(), size: z.number().int() }))
      .nullable()
      .openapi({ description: "An email's attachments (their bytes are not kept)" }),
    data: z.record(z.string(), z.string()).nullable().openapi({ description: "A push notification's data payload" }),
    createdAt: z.string(),
  })
  .openapi('OutboxMessage', {
    example: {
      id: 'msg_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      channel: 'email',
      recipient: 'patient@kinwell.local',
      subject: 'Kinwell: Your sign-in code',
      body: 'Your Kinwell code is 123456. It expires in 10 minutes.',
      html: null,
      attachments: null,
      data: null,
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

/** Where liveness is answered, outside the versioned prefix (exempt from the request ceiling, src/app.ts). */
export const HEALTH_PATH = '/health';

const healthRoute = defineRoute({
  method: 'get',
  path: HEALTH_PATH,
  operationId: 'system.health',
  tags: ['System'],
  summary: 'Liveness and database reachability',
  responses: {
    200: jsonResponse(HealthSchema, 'Healthy'),
    503: { description: 'Database unreachable', content: { 'application/json': { schema: envelope(HealthSchema) } } },
  },
});

const outboxRoute = defineRoute({
  method: 'get',
  path: '/api/v1/dev/outbox',
  operationId: 'dev.outbox.list',
  tags: ['Development'],
  summary: 'Email, SMS and push notifications captured in development (404 in any other environment)',
  request: {
    query: PageQuery.extend({
      recipient: z.string().max(320).optional().openapi({ example: 'patient@kinwell.local' }),
      channel: z.enum(OUTBOX_CHANNELS).optional(),
    }),
  },
  responses: {
    200: jsonResponse(pageOf(OutboxMessageSchema), 'Captured messages, newest first'),
    404: errorOf('Not in development (NOT_FOUND)'),
  },
});

const outboxViewRoute = defineRoute({
  method: 'get',
  path: '/api/v1/dev/outbox/{id}',
  operationId: 'dev.outbox.view',
  tags: ['Development'],
  summary: 'One captured message as a person would see it (404 in any other environment)',
  description:
    "An email's HTML exactly as sent (its text part when it has none); an SMS or push notification as a plain page. Served with a strict Content-Security-Policy: no script, no remote content, sandboxed.",
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not an outbox message id')
        .openapi({ param: { name: 'id', in: 'path' }, example: 'msg_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
    }),
  },
  responses: {
    200: {
      description: 'The message rendered as HTML',
      content: { 'text/html': { schema: z.string().openapi({ example: '<!doctype html><html>…</html>' }) } },
    },
    404: errorOf('Not in development, or no such message (NOT_FOUND)'),
  },
});

/** The OpenAPI document's top: the parts a reader checks before it reads the paths. */
const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.looseObject({})),
  })
  .openapi('OpenApiDocument', {
    example: { openapi: '3.1.0', info: { title: 'Kinwell API', version: '1.0.0' }, paths: {} },
  });

/**
 * GET /api/v1/openapi.json: the document describes itself too, so every answer of the API is in it. The
 * app serves it (src/app.ts), since only the app knows all the routes.
 */
export const openApiDocumentRoute = defineRoute({
  method: 'get',
  path: '/api/v1/openapi.json',
  operationId: 'system.openapi',
  tags: ['System'],
  summary: 'This OpenAPI 3.1 document',
  description: 'The document as it is, not in the envelope: client generators and validators read it.',
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document',
      content: { 'application/json': { schema: OpenApiDocumentSchema } },
    },
  },
});

/** GET /api/v1/docs: the interactive docs (Swagger UI) over the document; served by the app too. */
export const docsRoute = defineRoute({
  method: 'get',
  path: '/api/v1/docs',
  operationId: 'system.docs',
  tags: ['System'],
  summary: 'Interactive docs (Swagger UI) over this document',
  responses: {
    200: {
      description: 'The docs page',
      content: { 'text/html': { schema: z.string().openapi({ example: '<!doctype html><html>…</html>' }) } },
    },
  },
});

export const systemRouter = createRouter()
  .openapi(healthRoute, async (c) => {
    const report = await checkHealth(c.get('ctx'));
    return report.status === 'ok' ? c.json(ok(report), 200) : c.json(ok(report, 'Degraded'), 503);
  })
  .openapi(outboxRoute, async (c) => c.json(ok(await listOutbox(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(outboxViewRoute, async (c) => {
    const page = await outboxPage(c.get('ctx'), c.req.valid('param').id);
    c.header('Content-Security-Policy', OUTBOX_VIEW_CSP);
    return c.html(page, 200);
  });
