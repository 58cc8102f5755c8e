import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, envelope, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { checkHealth, listOutbox } from './system.service';

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
    channel: z.enum(['email', 'sms']),
    recipient: z.string(),
    subject: z.string().nullable(),
    body: z.string(),
    html: z.string().nullable(),
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
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

const healthRoute = defineRoute({
  method: 'get',
  path: '/health',
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
  summary: 'Email and SMS captured in development (404 in any other environment)',
  request: {
    query: PageQuery.extend({
      recipient: z.string().max(320).optional().openapi({ example: 'patient@kinwell.local' }),
      channel: z.enum(['email', 'sms']).optional(),
    }),
  },
  responses: { 200: jsonResponse(pageOf(OutboxMessageSchema), 'Captured messages, newest first') },
});

export const systemRouter = createRouter()
  .openapi(healthRoute, async (c) => {
    const report = await checkHealth(c.get('ctx'));
    return report.status === 'ok' ? c.json(ok(report), 200) : c.json(ok(report, 'Degraded'), 503);
  })
  .openapi(outboxRoute, async (c) => c.json(ok(await listOutbox(c.get('ctx'), c.req.valid('query'))), 200));
