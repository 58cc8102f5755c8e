import { createRouter } from '../../http/hono';
import { defineRoute, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AuditEventSchema, AuditQuerySchema } from './audit.schemas';
import { listAuditEvents } from './audit.service';

const listRoute = defineRoute({
  method: 'get',
  path: '/audit-events',
  operationId: 'audit.events.list',
  tags: ['Audit'],
  summary: 'List audit events (newest first) with filters',
  request: { query: AuditQuerySchema },
  responses: { 200: jsonResponse(pageOf(AuditEventSchema), 'A page of audit events') },
});

export const auditRouter = createRouter().openapi(listRoute, async (c) => {
  const { from, to, ...query } = c.req.valid('query');
  const result = await listAuditEvents(c.get('ctx'), {
    ...query,
    ...(from ? { from: new Date(from) } : {}),
    ...(to ? { to: new Date(to) } : {}),
  });
  return c.json(ok(result), 200);
});
