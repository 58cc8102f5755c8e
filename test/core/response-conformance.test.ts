import { beforeAll, describe, expect, it } from 'vitest';
import { client, signedInUser } from '../helpers';
import { compileContract, ResponseConformanceError, type ResponseContract } from '../support/conformance';

/** The checker that test/setup.ts puts behind every app a test builds, tested on answers made up here. */

const API = 'http://localhost/api/v1';
const json = (body: unknown, status: number, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
const get = (url: string) => new Request(url);

const errorBody = (code: string, statusCode: number) => ({
  success: false,
  message: 'Made up',
  error: { code, statusCode },
  requestId: 'req_1',
  timestamp: '2026-01-15T10:30:00.000Z',
});

describe('response conformance checker', () => {
  let contract: ResponseContract;
  beforeAll(async () => {
    // The document as the app serves it.
    contract = compileContract((await client().get('/api/v1/openapi.json')).body);
  });

  it('Should name the operation and status of an answer with a status the operation does not declare', async () => {
    const violation = await contract.check(get('http://localhost/health'), json(errorBody('TEAPOT', 418), 418));
    expect(violation).toMatch(/^GET \/health → 418: status not declared \(declared: 200, 422, 429, 500, 503\)$/);
  });

  it('Should name the operation, status and first schema error of a body missing a required field', async () => {
    const api = client();
    const { token } = await signedInUser();
    const real = await api.get('/api/v1/users/me', { token });
    expect(await contract.check(get(`${API}/users/me`), json(real.body, 200))).toBeNull();
    const { id: _left, ...noId } = real.body.data.user;
    const broken = { ...real.body, data: { ...real.body.data, user: noId } };
    const violation = await contract.check(get(`${API}/users/me`), json(broken, 200));
    expect(violation).toBe(
      'GET /api/v1/users/me → 200: the body does not match the declared schema at /data/user: Instance does not have required property "id".',
    );
  });

  it('Should name a wrong value deep in the body, and an undeclared content type', async () => {
    const body = { success: 'yes', message: 'OK', data: {}, timestamp: 'now' };
    expect(await contract.check(get('http://localhost/health'), json(body, 200))).toMatch(
      /^GET \/health → 200: the body does not match the declared schema at \/success: /,
    );
    expect(await contract.check(get('http://localhost/health'), json(body, 200, 'text/html'))).toBe(
      'GET /health → 200: content type text/html not declared (declared: application/json)',
    );
  });

  it('Should pick the literal path over a templated one, and know every answer of an unknown route is 404', async () => {
    expect(contract.operationOf('GET', `${API}/users/me`)).toBe('GET /api/v1/users/me');
    expect(contract.operationOf('HEAD', 'http://localhost/health')).toBe('GET /health');
    expect(contract.operationOf('GET', `${API}/nothing-here`)).toBeNull();
    expect(await contract.check(get(`${API}/nothing-here`), json(errorBody('NOT_FOUND', 404), 404))).toBeNull();
    expect(await contract.check(get(`${API}/nothing-here`), json(errorBody('RATE_LIMITED', 429), 429))).toBeNull();
    expect(await contract.check(get(`${API}/nothing-here`), json({ ok: true }, 200))).toBe(
      'GET /api/v1/nothing-here (no operation in the document) answered 200 application/json; only 404 (or 429 from the request ceiling) with the Error body is expected',
    );
    expect(await contract.check(get(`${API}/nothing-here`), new Response('gone', { status: 404 }))).toBe(
      'GET /api/v1/nothing-here (no operation in the document) answered 404 text/plain; only 404 (or 429 from the request ceiling) with the Error body is expected',
    );
  });

  it('Should fail the request of a test whose app answers what the document does not declare', async () => {
    const api = client();
    // A route the document does not describe, added to this app only.
    api.app.put('/health', (c) => c.json({ ok: true }, 200));
    const failure = await api.put('/health').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ResponseConformanceError);
    expect((failure as Error).message).toBe(
      'Response does not conform to the OpenAPI document: PUT /health (no operation in the document) answered 200 application/json; only 404 (or 429 from the request ceiling) with the Error body is expected',
    );
    // The app's own answers pass.
    expect((await api.get('/health')).status).toBe(200);
  });
});
