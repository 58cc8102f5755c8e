import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { MessageOnlySchema } from './auth.schemas';
import { listSessions, revokeSession } from './sessions.service';

const SessionSchema = z
  .object({
    id: z.string(),
    method: z.string().openapi({ example: 'password' }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean(),
  })
  .openapi('Session');

const listRoute = defineRoute({
  method: 'get',
  path: '/sessions',
  operationId: 'auth.sessions.list',
  tags: ['Auth'],
  summary: 'My signed-in devices, most recently used first',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(SessionSchema), 'Live sessions') },
});

const revokeRoute = defineRoute({
  method: 'delete',
  path: '/sessions/{id}',
  operationId: 'auth.sessions.revoke',
  tags: ['Auth'],
  summary: 'Sign one of my devices out',
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^ses_[0-9A-Z]{26}$/, 'Not a session id')
        .openapi({ param: { name: 'id', in: 'path' }, example: 'ses_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
    }),
  },
  responses: {
    200: jsonResponse(MessageOnlySchema, 'Session ended'),
    404: errorOf('No such session of mine (NOT_FOUND)'),
  },
});

export const sessionsRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listSessions(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(revokeRoute, async (c) => {
    await revokeSession(c.get('ctx'), c.req.valid('param').id);
    return c.json(ok({}, 'Session ended'), 200);
  });
