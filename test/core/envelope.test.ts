import { createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema';
import { client, db, signedInUser, testEnv } from '../helpers';
import { exemptTestRoutes } from '../support/conformance';

/** The app plus two probe routes mounted only in this test: one JSON-bodied, one that crashes. */
function probeApp() {
  const api = client();
  // The probes are no routes of the API, so the document does not describe them.
  exemptTestRoutes(api.app, '/probe/');
  api.app.openapi(
    createRoute({
      method: 'post',
      path: '/probe/echo',
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ name: z.string().min(1), age: z.number().int() }) } },
        },
      },
      responses: { 200: { description: 'echo' } },
    }),
    (c) => c.json({ success: true, data: c.req.valid('json') }, 200),
  );
  api.app.get('/probe/boom', () => {
    throw new Error('SELECT * FROM users -- internal detail');
  });
  return api;
}

function expectErrorEnvelope(body: any, status: number, code: string) {
  expect(body).toMatchObject({ success: false, error: { code, statusCode: status } });
  expect(typeof body.message).toBe('string');
  expect(body.requestId).toMatch(/^req_[0-9A-Z]{26}$/);
  expect(new Date(body.timestamp).toString()).not.toBe('Invalid Date');
}

describe('envelope and error shapes', () => {
  it('Should wrap success in { success, message, data, timestamp } with a request id header', async () => {
    const res = await client().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: 'OK', data: { status: 'ok' } });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('Should answer malformed JSON with 400 INVALID_JSON', async () => {
    const res = await probeApp().post('/probe/echo', {
      body: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.body, 400, 'INVALID_JSON');
  });

  it('Should answer wrong types and missing fields with 422 and field errors', async () => {
    const res = await probeApp().post('/probe/echo', { json: { name: '', age: 'ten' } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res.body, 422, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['age', 'name']);
  });

  it('Should answer 422 for out-of-range pagination on a real route', async () => {
    const { token } = await signedInUser({ role: 'superadmin' });
    const res = await client().get('/api/v1/audit-events?limit=1000&page=0', { token });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'page']);
  });

  it('Should answer 401 UNAUTHENTICATED without a token and TOKEN_INVALID with a garbage one', async () => {
    const api = client();
    const anonymous = await api.get('/api/v1/users/me');
    expect(anonymous.status).toBe(401);
    expectErrorEnvelope(anonymous.body, 401, 'UNAUTHENTICATED');
    const garbage = await api.get('/api/v1/users/me', { token: 'not.a.jwt' });
    expect(garbage.status).toBe(401);
    expectErrorEnvelope(garbage.body, 401, 'TOKEN_INVALID');
  });

  it('Should answer 403 FORBIDDEN for a role the policy does not allow', async () => {
    const { token } = await signedInUser({ role: 'admin' });
    const res = await client().get('/api/v1/audit-events', { token });
    expect(res.status).toBe(403);
    expectErrorEnvelope(res.body, 403, 'FORBIDDEN');
  });

  it('Should answer an unknown route with the 404 envelope', async () => {
    const res = await client().get('/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expectErrorEnvelope(res.body, 404, 'NOT_FOUND');
  });

  it('Should answer an oversized body with 413 PAYLOAD_TOO_LARGE before reading it', async () => {
    const { token } = await signedInUser();
    const big = new Uint8Array(101 * 1024 * 1024);
    const upload = await client().post('/api/v1/files', {
      token,
      body: big,
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(big.byteLength) },
    });
    expect(upload.status).toBe(413);
    expectErrorEnvelope(upload.body, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('Should answer an unexpected error with 500 INTERNAL and no internals', async () => {
    const res = await probeApp().get('/probe/boom');
    expect(res.status).toBe(500);
    expectErrorEnvelope(res.body, 500, 'INTERNAL');
    expect(JSON.stringify(res.body)).not.toMatch(/SELECT|users|stack/i);
    expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
  });

  it('Should set secure headers and allow only configured CORS origins', async () => {
    const api = client();
    const allowed = await api.get('/health', { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('strict-transport-security')).toContain('max-age=');
    const denied = await api.get('/health', { headers: { origin: 'https://evil.example' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(testEnv.CORS_ORIGINS).toContain('http://localhost:5173');
  });

  it('Should answer an undeclared media type with 415 and write nothing', async () => {
    const before = await db.$count(auditEvents);
    const { token } = await signedInUser();
    const res = await client().post('/api/v1/files', { token, json: { purpose: 'avatar' } });
    expect(res.status).toBe(415);
    expectErrorEnvelope(res.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await db.$count(auditEvents)).toBe(before);
  });
});
