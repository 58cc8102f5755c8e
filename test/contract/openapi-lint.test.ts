import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, WEBSOCKET_EXTENSION } from '../../src/http/openapi-document';
import { type LintFinding, lintFindings } from './checks';
import { servedDocument } from './document';
import { brokenBy, tinyDocument } from './fixtures';

const keys = (findings: LintFinding[]) => findings.map((f) => f.key);

describe('OpenAPI document: Spectral spectral:oas', () => {
  let findings: LintFinding[];
  beforeAll(async () => {
    findings = await lintFindings(servedDocument());
  });

  it('Should report no error and no warning', () => {
    expect(findings.map((f) => f.line)).toEqual([]);
  });
});

describe('the WebSocket handshake in the document', () => {
  const realtime = () => servedDocument().paths['/api/v1/realtime'];

  it('Should describe GET /api/v1/realtime under x-websocket, with its 101 and every refusal', () => {
    const item = realtime();
    expect(Object.keys(item)).toEqual([WEBSOCKET_EXTENSION]);
    const handshake = item[WEBSOCKET_EXTENSION];
    expect(handshake.operationId).toBe('realtime.connect');
    expect(Object.keys(handshake.responses).sort()).toEqual(['101', '400', '401', '403', '422', '426', '429', '500']);
    expect(Object.keys(handshake.responses['101'].headers)).toContain('Sec-WebSocket-Accept');
    expect(handshake.parameters.map((p: { name: string }) => p.name)).toEqual(['ticket', 'sec-websocket-protocol']);
  });

  it('Should be what Spectral would flag as an HTTP operation, so the move is what makes it clean', async () => {
    const doc = servedDocument();
    const item = doc.paths['/api/v1/realtime'];
    item.get = item[WEBSOCKET_EXTENSION];
    delete item[WEBSOCKET_EXTENSION];
    expect(keys(await lintFindings(doc))).toEqual([
      'operation-success-response at paths./api/v1/realtime.get.responses',
    ]);
  });

  it('Should move only a GET whose one success is 101, and leave every other operation where it is', () => {
    const generated = {
      openapi: '3.1.0',
      paths: {
        '/socket': { get: { operationId: 'socket', responses: { 101: {}, 401: {} } } },
        '/either': { get: { operationId: 'either', responses: { 101: {}, 200: {} } } },
        '/plain': { get: { operationId: 'plain', responses: { 200: {} } }, post: { responses: { 101: {} } } },
      },
    };
    const doc = openApiDocument({ getOpenAPI31Document: () => structuredClone(generated) as never });
    expect(doc.paths).toEqual({
      '/socket': { [WEBSOCKET_EXTENSION]: generated.paths['/socket'].get },
      '/either': generated.paths['/either'],
      '/plain': generated.paths['/plain'],
    });
  });
});

describe('the Spectral check itself', () => {
  it('Should find nothing wrong in the tiny document', async () => {
    expect((await lintFindings(tinyDocument())).map((f) => f.line)).toEqual([]);
  });

  it('Should report an undeclared tag, a missing contact and an example that breaks its schema', async () => {
    const doc = brokenBy((d) => {
      d.paths['/people'].post.tags = ['Persons'];
      delete d.info.contact;
      d.components.schemas.Person.properties.name.example = 'Ada\u0007';
    });
    expect(keys(await lintFindings(doc)).sort()).toEqual([
      'info-contact at info',
      'oas3-valid-schema-example at components.schemas.Person.properties.name.example',
      // Spectral lints the resolved document, so a component's example is found again where it is used.
      'oas3-valid-schema-example at paths./people.post.requestBody.content.application/json.schema.properties.name.example',
      'oas3-valid-schema-example at paths./people.post.responses.201.content.application/json.schema.properties.name.example',
      'operation-tag-defined at paths./people.post.tags.0',
    ]);
  });

  it('Should report an operation without a success answer', async () => {
    const doc = brokenBy((d) => {
      const { 422: error } = d.paths['/people'].post.responses;
      d.paths['/people'].post.responses = { 101: { description: 'Switching Protocols' }, 422: error };
    });
    expect(keys(await lintFindings(doc))).toEqual(['operation-success-response at paths./people.post.responses']);
  });
});
