import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { CreateDependentBody, DependentIdParam, DependentSchema, UpdateDependentBody } from './dependents.schemas';
import {
  createDependent,
  deleteDependent,
  getDependent,
  listDependents,
  MAX_DEPENDENTS_PER_USER,
  updateDependent,
} from './dependents.service';

const BODY_LIMIT = 64 * 1024;
const tags = ['Dependents'];
const notFound = errorOf('No such dependent of mine (NOT_FOUND)');

const listRoute = defineRoute({
  method: 'get',
  path: '/users/me/dependents',
  operationId: 'dependents.list',
  tags,
  summary: 'My dependents, newest first',
  request: { query: PageQuery },
  responses: { 200: jsonResponse(pageOf(DependentSchema), 'A page of dependents') },
});

const createDependentRoute = defineRoute({
  method: 'post',
  path: '/users/me/dependents',
  operationId: 'dependents.create',
  tags,
  summary: 'Add a dependent (a person I schedule vaccines for)',
  description: `\`dateOfBirth\` is YYYY-MM-DD, from 1900-01-01 and not in the future. At most ${MAX_DEPENDENTS_PER_USER} dependents per account (409 CONFLICT).`,
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateDependentBody) },
  responses: {
    201: jsonResponse(DependentSchema, 'Added'),
    409: errorOf(`Already ${MAX_DEPENDENTS_PER_USER} dependents (CONFLICT)`),
  },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/users/me/dependents/{id}',
  operationId: 'dependents.get',
  tags,
  summary: 'One of my dependents',
  request: { params: DependentIdParam },
  responses: { 200: jsonResponse(DependentSchema, 'The dependent'), 404: notFound },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/users/me/dependents/{id}',
  operationId: 'dependents.update',
  tags,
  summary: 'Change some details of one of my dependents',
  description: 'Send only the fields to change; `null` clears `gender` or `notes`. Unknown fields are refused (422).',
  bodyLimit: BODY_LIMIT,
  request: { params: DependentIdParam, body: jsonBody(UpdateDependentBody) },
  responses: { 200: jsonResponse(DependentSchema, 'Updated'), 404: notFound },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/users/me/dependents/{id}',
  operationId: 'dependents.delete',
  tags,
  summary: 'Remove one of my dependents',
  request: { params: DependentIdParam },
  responses: {
    200: jsonResponse(
      z.object({ id: z.string() }).openapi('DeletedDependent', { example: { id: 'dep_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } }),
      'Removed',
    ),
    404: notFound,
  },
});

export const dependentsRouter = createRouter()
  .openapi(listRoute, async (c) => c.json(ok(await listDependents(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(createDependentRoute, async (c) =>
    c.json(ok(await createDependent(c.get('ctx'), c.req.valid('json')), 'Dependent added'), 201),
  )
  .openapi(getRoute, async (c) => c.json(ok(await getDependent(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(updateRoute, async (c) => {
    const dependent = await updateDependent(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(dependent, 'Dependent updated'), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteDependent(c.get('ctx'), id);
    return c.json(ok({ id }, 'Dependent removed'), 200);
  });
