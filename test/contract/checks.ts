import { Spectral } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { WEBSOCKET_EXTENSION } from '../../src/http/openapi-document';

/**
 * Checks of an OpenAPI 3.1 document that a client generator or validator would trip over. Each returns
 * findings as readable lines naming where in the document the problem is; an empty list means clean.
 */

type Json = Record<string, any>;

/** Refs to `#/components/schemas/X` become this base plus `/X`, so each schema compiles on its own. */
const SCHEMA_BASE = 'https://contract.kinwell.test/schemas/';
const COMPONENT_REF = '#/components/schemas/';

/**
 * The keys of a path item holding an operation: the HTTP methods, and the WebSocket handshake that the
 * served document keeps under its `x-websocket` extension (src/http/openapi-document.ts), so its
 * parameters, examples and error bodies are checked like any operation's.
 */
const OPERATION_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', WEBSOCKET_EXTENSION];

/** Keywords holding one subschema, or a map or list of them (JSON Schema 2020-12 applicators). */
const ONE_SCHEMA = [
  'items',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/** A schema found in the document, with its place there (a dotted path) for findings. */
interface Located {
  where: string;
  schema: Json;
}

/** An example found in the document, with the schema it must satisfy. */
interface LocatedExample extends Located {
  example: unknown;
}

function withLocalRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withLocalRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) =>
      key === '$ref' && typeof child === 'string' && child.startsWith(COMPONENT_REF)
        ? [key, SCHEMA_BASE + child.slice(COMPONENT_REF.length)]
        : [key, withLocalRefs(child)],
    ),
  );
}

/** Every schema and subschema under `root` (at `where`), depth first. */
function* subschemas(where: string, root: unknown): Generator<Located> {
  if (!root || typeof root !== 'object' || Array.isArray(root)) return;
  const schema = root as Json;
  yield { where, schema };
  for (const key of ONE_SCHEMA) yield* subschemas(`${where}.${key}`, schema[key]);
  for (const key of SCHEMA_MAPS) {
    for (const [name, child] of Object.entries<unknown>(schema[key] ?? {})) {
      yield* subschemas(`${where}.${key}.${name}`, child);
    }
  }
  for (const key of SCHEMA_LISTS) {
    for (const [index, child] of (schema[key] ?? []).entries()) yield* subschemas(`${where}.${key}.${index}`, child);
  }
}

/** Every schema the document holds at the top: components, parameters, bodies, responses, headers. */
function* documentSchemas(doc: Json): Generator<Located> {
  for (const [name, schema] of Object.entries<Json>(doc.components?.schemas ?? {})) {
    yield { where: `components.schemas.${name}`, schema };
  }
  for (const { where, schema } of mediaAndParameters(doc)) if (schema) yield { where: `${where}.schema`, schema };
}

interface Carrier {
  where: string;
  schema: Json | undefined;
  /** The object that may hold `example` / `examples` beside the schema (a parameter or media type). */
  holder: Json;
}

/** Parameters, media types and headers of every operation (and of the reusable components). */
function* mediaAndParameters(doc: Json): Generator<Carrier> {
  const media = function* (where: string, content: Json | undefined): Generator<Carrier> {
    for (const [type, entry] of Object.entries<Json>(content ?? {})) {
      yield { where: `${where}.content.${type}`, schema: entry.schema, holder: entry };
    }
  };
  const response = function* (where: string, res: Json): Generator<Carrier> {
    yield* media(where, res.content);
    for (const [name, header] of Object.entries<Json>(res.headers ?? {})) {
      yield { where: `${where}.headers.${name}`, schema: header.schema, holder: header };
    }
  };
  const parameters = function* (where: string, list: Json[] | undefined): Generator<Carrier> {
    for (const [index, parameter] of (list ?? []).entries()) {
      yield { where: `${where}.parameters.${index}(${parameter.name})`, schema: parameter.schema, holder: parameter };
    }
  };
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    yield* parameters(`paths.${path}`, item.parameters);
    for (const method of OPERATION_KEYS) {
      const op = item[method];
      if (!op) continue;
      const where = `paths.${path}.${method}`;
      yield* parameters(where, op.parameters);
      if (op.requestBody) yield* media(`${where}.requestBody`, op.requestBody.content);
      for (const [status, res] of Object.entries<Json>(op.responses ?? {})) {
        yield* response(`${where}.responses.${status}`, res);
      }
    }
  }
  for (const [name, parameter] of Object.entries<Json>(doc.components?.parameters ?? {})) {
    yield { where: `components.parameters.${name}`, schema: parameter.schema, holder: parameter };
  }
  for (const [name, body] of Object.entries<Json>(doc.components?.requestBodies ?? {})) {
    yield* media(`components.requestBodies.${name}`, body.content);
  }
  for (const [name, res] of Object.entries<Json>(doc.components?.responses ?? {})) {
    yield* response(`components.responses.${name}`, res);
  }
}

/** Examples on schemas (`example`, `examples`) and beside them (parameters, media types, headers). */
function* documentExamples(doc: Json): Generator<LocatedExample> {
  for (const top of documentSchemas(doc)) {
    for (const { where, schema } of subschemas(top.where, top.schema)) {
      if ('example' in schema) yield { where: `${where}.example`, schema, example: schema.example };
      for (const [index, example] of (Array.isArray(schema.examples) ? schema.examples : []).entries()) {
        yield { where: `${where}.examples.${index}`, schema, example };
      }
    }
  }
  for (const { where, schema, holder } of mediaAndParameters(doc)) {
    if (!schema) continue;
    if ('example' in holder) yield { where: `${where}.example`, schema, example: holder.example };
    for (const [name, example] of Object.entries<Json>(holder.examples ?? {})) {
      if ('value' in example) yield { where: `${where}.examples.${name}`, schema, example: example.value };
    }
  }
}

/** Escapes whose meaning needs the `u` flag: without it `\p{L}` is the letters `p{L}`. */
const UNICODE_ONLY = /\\[pP]\{|\\u\{/;
/** Regex flags pasted into the source (`…$/u`): after `$` they can never match. */
const LEAKED_FLAGS = /\$\/[dgimsuvy]+$/;

/**
 * Every `pattern` must be an ECMAScript regular expression meaning the same with and without the `u`
 * flag (clients compile it either way). Findings name the schema and the pattern.
 */
export function patternFindings(doc: Json): string[] {
  const findings: string[] = [];
  for (const top of documentSchemas(doc)) {
    for (const { where, schema } of subschemas(top.where, top.schema)) {
      if (typeof schema.pattern !== 'string') continue;
      const pattern: string = schema.pattern;
      const problems: string[] = [];
      for (const flags of ['', 'u']) {
        try {
          new RegExp(pattern, flags);
        } catch (err) {
          problems.push(`invalid with flags "${flags}": ${(err as Error).message}`);
        }
      }
      if (UNICODE_ONLY.test(pattern)) problems.push('uses \\p{…} or \\u{…}, which mean something else without u');
      if (LEAKED_FLAGS.test(pattern)) problems.push('ends in regex flags after $');
      for (const problem of problems) findings.push(`${where}.pattern ${JSON.stringify(pattern)}: ${problem}`);
    }
  }
  return findings;
}

/**
 * Compiles every schema of the document with a JSON Schema 2020-12 validator (strict: unknown
 * keywords, formats and bad regexes are errors) and validates every example against its schema.
 */
export function schemaFindings(doc: Json): string[] {
  const findings: string[] = [];
  const local = withLocalRefs(doc) as Json;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own format for file uploads, and its annotation keywords.
  ajv.addFormat('binary', true);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);

  for (const [name, schema] of Object.entries<Json>(local.components?.schemas ?? {})) {
    try {
      ajv.addSchema(schema, SCHEMA_BASE + name);
    } catch (err) {
      findings.push(`components.schemas.${name}: ${(err as Error).message}`);
    }
  }
  const compiled = new Map<Json, ValidateFunction | null>();
  const compile = (where: string, schema: Json): ValidateFunction | null => {
    if (!compiled.has(schema)) {
      try {
        compiled.set(schema, ajv.compile(schema));
      } catch (err) {
        compiled.set(schema, null);
        findings.push(`${where}: does not compile: ${(err as Error).message}`);
      }
    }
    return compiled.get(schema) ?? null;
  };
  for (const { where, schema } of documentSchemas(local)) compile(where, schema);
  for (const { where, schema, example } of documentExamples(local)) {
    const validate = compile(where, schema);
    if (validate && !validate(example)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
      findings.push(`${where} does not match its schema: ${errors.join('; ')}`);
    }
  }
  return findings;
}

/** Answers whose body is not the error envelope on purpose, each with the reason. */
export const NON_ENVELOPE_ERRORS: Record<string, string> = {
  // Load balancers read the health report itself; it says which check failed.
  'paths./health.get.responses.503': 'the health report, degraded',
};

/** Every 4xx and 5xx response carries the `Error` schema (JSON), apart from {@link NON_ENVELOPE_ERRORS}. */
export function errorResponseFindings(doc: Json): string[] {
  const findings: string[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of OPERATION_KEYS) {
      for (const [status, res] of Object.entries<Json>(item[method]?.responses ?? {})) {
        const where = `paths.${path}.${method}.responses.${status}`;
        if (!/^[45]/.test(status) || where in NON_ENVELOPE_ERRORS) continue;
        const types = Object.keys(res.content ?? {});
        const schema = res.content?.['application/json']?.schema;
        if (types.length !== 1 || schema?.$ref !== `${COMPONENT_REF}Error`) {
          findings.push(`${where}: ${types.length ? `content ${types.join(', ')}` : 'no body'}, not the Error schema`);
        }
      }
    }
  }
  return findings;
}

/**
 * Every declared tag has a description and is used by an operation (Spectral finds the opposite:
 * used tags that are not declared).
 */
export function tagFindings(doc: Json): string[] {
  const used = new Set<string>();
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    for (const method of OPERATION_KEYS) for (const tag of item[method]?.tags ?? []) used.add(tag);
  }
  const findings: string[] = [];
  for (const [index, tag] of (doc.tags ?? []).entries()) {
    if (!tag.description) findings.push(`tags.${index} (${tag.name}): no description`);
    if (!used.has(tag.name)) findings.push(`tags.${index} (${tag.name}): no operation uses it`);
  }
  return findings;
}

/** A Spectral result worth failing for (an error or a warning), as one readable line. */
export interface LintFinding {
  /** `<rule> at <path>`. */
  key: string;
  line: string;
}

/** Runs Spectral's `spectral:oas` ruleset (recommended rules) and returns its errors and warnings. */
export async function lintFindings(doc: Json): Promise<LintFinding[]> {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
  const results = await spectral.run(doc);
  return results
    .filter((r) => r.severity <= 1)
    .map((r) => {
      const key = `${r.code} at ${r.path.join('.')}`;
      return { key, line: `${r.severity === 0 ? 'error' : 'warning'} ${key}: ${r.message}` };
    });
}
