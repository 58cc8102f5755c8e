import { type OutputUnit, type Schema, validate } from '@cfworker/json-schema';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { openApiDocument, WEBSOCKET_EXTENSION } from '../../src/http/openapi-document';

/**
 * Response conformance: does an answer of the app match what the OpenAPI document declares for the
 * request's operation? Status declared, content type declared for that status, and a JSON body valid
 * against the declared schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1). The validator is
 * `@cfworker/json-schema`, which interprets schemas: the suite runs inside workerd, where code
 * generation (`new Function`, as ajv compiles) is not allowed.
 */

type Json = Record<string, any>;

const COMPONENT_REF = '#/components/schemas/';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/** Keywords whose error only summarises the errors of their subschemas, which follow it. */
const APPLICATORS = new Set([
  '$ref',
  '$recursiveRef',
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'unevaluatedItems',
  'contains',
  'allOf',
  'anyOf',
  'oneOf',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'propertyNames',
]);

/** One operation of the document: its method and path template, and the regex a request path must match. */
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal (1) or templated (0) per segment: a literal segment wins over `{param}` at the same place. */
  rank: number[];
  responses: Json;
}

/** The answer of a check: `null` when the response conforms, else one readable line. */
export type Violation = string | null;

/** Checks responses against one OpenAPI document. */
export interface ResponseContract {
  /** The operation (`GET /api/v1/users/{id}`) a request is for, or `null` when the document has none. */
  operationOf(method: string, url: string): string | null;
  /**
   * Whether `response` is an answer the document declares for `request`. Reads a clone of a JSON body;
   * the response itself stays unread. Guarantees a violation names the operation, the status and,
   * for a body, the first schema error.
   */
  check(request: Request, response: Response): Promise<Violation>;
}

function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** Orders matching templates: the first segment where they differ decides, a literal before a `{param}`. */
function moreSpecific(a: Operation, b: Operation): number {
  for (let i = 0; i < Math.max(a.rank.length, b.rank.length); i++) {
    const diff = (b.rank[i] ?? 0) - (a.rank[i] ?? 0);
    if (diff) return diff;
  }
  return 0;
}

/** The media type of a Content-Type header, lower case, without parameters. */
const mediaTypeOf = (header: string | null) => (header ?? '').split(';')[0]!.trim().toLowerCase();

/** The declared content entry a media type falls under: exact, then `type/*`, then `*\/*`. */
function declaredMedia(content: Json, type: string): Json | undefined {
  return content[type] ?? content[`${type.split('/')[0]}/*`] ?? content['*/*'];
}

/** The declared response for a status: exact, then its range (`2XX`), then `default`. */
function declaredResponse(responses: Json, status: number): Json | undefined {
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

/** The most telling error: the first one that is not only a summary of its subschemas' errors. */
function firstError(errors: OutputUnit[]): string {
  const leaf = errors.find((e) => !APPLICATORS.has(e.keyword)) ?? errors[0];
  if (!leaf) return 'invalid';
  const where = leaf.instanceLocation.replace(/^#/, '') || '(root)';
  return `${where}: ${leaf.keyword === 'false' ? 'not allowed here.' : leaf.error}`;
}

/**
 * Compiles `doc` (the OpenAPI document as served, plain JSON) for {@link ResponseContract.check}: the
 * operations with their path templates, and the component schemas `$ref`s point to. Do this once per
 * document, not per response. A request no operation matches (an unknown path or method) must get the
 * app's 404 with the `Error` body, or the request ceiling's 429 with it; a CORS preflight is answered by the CORS middleware for every path
 * and is not an operation, so it is not checked.
 */
export function compileContract(doc: Json): ResponseContract {
  // The document's refs are all `#/components/schemas/X`, and a `$ref` the validator finds no absolute
  // URI for is looked up as written; so the lookup is those names, and nothing is walked or mutated.
  const lookup: Record<string, Schema> = Object.create(null);
  for (const [name, schema] of Object.entries<Schema>(doc.components?.schemas ?? {})) {
    lookup[`${COMPONENT_REF}${name}`] = schema;
  }
  const resolve = (value: Json): Json =>
    typeof value?.$ref === 'string' && value.$ref.startsWith('#/')
      ? resolve(
          value.$ref
            .slice(2)
            .split('/')
            .reduce<any>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc),
        )
      : value;

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths ?? {})) {
    const rank = template
      .split('/')
      .slice(1)
      .map((segment) => (segment.includes('{') ? 0 : 1));
    const add = (method: string, op: Json | undefined) => {
      if (op) operations.push({ method, template, pattern: templatePattern(template), rank, responses: op.responses });
    };
    for (const method of HTTP_METHODS) add(method.toUpperCase(), item[method]);
    // The WebSocket handshake is a GET the document keeps under its extension (src/http/openapi-document.ts).
    add('GET', item[WEBSOCKET_EXTENSION]);
  }

  const find = (method: string, url: string): Operation | undefined => {
    const path = new URL(url, 'http://localhost').pathname;
    // HEAD is GET without the body (Hono answers it from the GET route).
    const wanted = method === 'HEAD' ? 'GET' : method;
    return operations.filter((op) => op.method === wanted && op.pattern.test(path)).sort(moreSpecific)[0];
  };

  const errorSchema = doc.components?.schemas?.Error as Schema;

  async function checkBody(name: string, media: Json | undefined, type: string, response: Response) {
    if (!JSON_TYPE.test(type) || !media?.schema) return null;
    const text = await response.clone().text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `${name}: the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`;
    }
    const result = validate(body, media.schema as Schema, '2020-12', lookup, true);
    return result.valid ? null : `${name}: the body does not match the declared schema at ${firstError(result.errors)}`;
  }

  return {
    operationOf(method, url) {
      const op = find(method.toUpperCase(), url);
      return op ? `${op.method} ${op.template}` : null;
    },

    async check(request, response) {
      const method = request.method.toUpperCase();
      if (method === 'OPTIONS' && request.headers.has('access-control-request-method')) return null;
      const status = response.status;
      const type = mediaTypeOf(response.headers.get('content-type'));
      const op = find(method, request.url);
      if (!op) {
        const name = `${method} ${new URL(request.url).pathname} (no operation in the document)`;
        // The request ceiling refuses before routing (src/app.ts), so an unknown path may answer its 429.
        if ((status !== 404 && status !== 429) || !JSON_TYPE.test(type)) {
          return `${name} answered ${status} ${type || '(no body)'}; only 404 (or 429 from the request ceiling) with the Error body is expected`;
        }
        return checkBody(`${name} → ${status}`, { schema: errorSchema }, type, response);
      }
      const name = `${op.method} ${op.template} → ${status}`;
      const declared = declaredResponse(op.responses, status);
      if (!declared) {
        return `${name}: status not declared (declared: ${Object.keys(op.responses).join(', ')})`;
      }
      const content = resolve(declared).content as Json | undefined;
      const bodiless = status === 101 || status === 204 || status === 304 || method === 'HEAD';
      if (!content || !Object.keys(content).length) {
        return type && !bodiless ? `${name}: answered a ${type} body where none is declared` : null;
      }
      if (method === 'HEAD') return null;
      const media = declaredMedia(content, type);
      if (!media) {
        return `${name}: content type ${type || '(none)'} not declared (declared: ${Object.keys(content).join(', ')})`;
      }
      return checkBody(name, media, type, response);
    },
  };
}

/** A response the document does not declare; thrown to the test that made the request. */
export class ResponseConformanceError extends Error {
  override name = 'ResponseConformanceError';
}

type App = Pick<OpenAPIHono<any>, 'fetch' | 'getOpenAPI31Document'>;

/** The document's contract, compiled once per test file (each file has its own module instances). */
let compiled: ResponseContract | undefined;

/** Path prefixes of routes a test mounted on one app of its own, which are not the API's. */
const testRoutes = new WeakMap<object, string[]>();

/**
 * Leaves answers of `app` under `prefix` unchecked: for probe routes a test mounts on its own app to
 * drive the app's shared machinery (envelope, error handler). Never for a route of the API.
 */
export function exemptTestRoutes(app: object, prefix: string): void {
  testRoutes.set(app, [...(testRoutes.get(app) ?? []), prefix]);
}

/**
 * Wraps `createApp` so every app it builds checks its answers with {@link ResponseContract.check}:
 * `app.fetch` (which `app.request` and the Worker's `fetch` call) throws
 * {@link ResponseConformanceError} for an answer the document does not declare, so the test that made
 * the request fails with the operation, status and first schema error. The contract is the document
 * of a fresh app (as GET /api/v1/openapi.json serves it), so routes a test adds to its own app never
 * enter it.
 */
export function conformingApps<D, A extends App>(createApp: (deps: D) => A): (deps: D) => A {
  return (deps) => {
    const app = createApp(deps);
    const fetch = app.fetch;
    app.fetch = async (request, ...rest) => {
      const response = await fetch(request, ...rest);
      const path = new URL(request.url).pathname;
      if (testRoutes.get(app)?.some((prefix) => path.startsWith(prefix))) return response;
      compiled ??= compileContract(JSON.parse(JSON.stringify(openApiDocument(createApp(deps)))));
      const violation = await compiled.check(request, response);
      if (violation)
        throw new ResponseConformanceError(`Response does not conform to the OpenAPI document: ${violation}`);
      return response;
    };
    return app;
  };
}
