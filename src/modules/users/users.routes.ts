import { z } from '@hono/zod-openapi';
import { ok } from '../../lib/envelope';
import { createRouter } from '../../lib/hono';
import { defineRoute, jsonResponse } from '../../lib/openapi';
import { UserSchema } from './users.schemas';
import { getMe } from './users.service';

const meRoute = defineRoute({
  method: 'get',
  path: '/users/me',
  operationId: 'users.me.get',
  tags: ['Users'],
  summary: 'The signed-in account',
  responses: { 200: jsonResponse(z.object({ user: UserSchema }), 'The account') },
});

export const usersRouter = createRouter().openapi(meRoute, async (c) =>
  c.json(ok({ user: await getMe(c.get('ctx')) }), 200),
);
