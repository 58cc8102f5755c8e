import { describe, expect, it } from 'vitest';
import { client } from '../helpers';

type Schema = Record<string, any>;

/** Whether a schema (following $refs into components) carries an example anywhere a reader would look. */
function hasExample(schema: Schema | undefined, components: Record<string, Schema>, depth = 0): boolean {
  if (!schema || depth > 8) return false;
  if (schema.$ref) return hasExample(components[schema.$ref.split('/').pop()], components, depth + 1);
  if ('example' in schema || 'examples' in schema) return true;
  const children: Schema[] = [
    ...Object.values(schema.properties ?? {}),
    ...(schema.items ? [schema.items] : []),
    ...(schema.allOf ?? []),
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
  ];
  return children.some((child) => hasExample(child, components, depth + 1));
}

describe('OpenAPI document', () => {
  it('Should give every request body and success response a schema with an example', async () => {
    const doc = (await client().get('/api/v1/openapi.json')).body;
    const components = doc.components.schemas;
    const missing: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toBeTruthy();
        expect(op.summary, where).toBeTruthy();
        for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {})) {
          if (!hasExample(media.schema, components)) missing.push(`${where} request ${type}`);
        }
        for (const [status, response] of Object.entries<any>(op.responses)) {
          if (!status.startsWith('2')) continue;
          const content = Object.entries<any>(response.content ?? {});
          expect(content.length, `${where} ${status} has no schema`).toBeGreaterThan(0);
          for (const [type, media] of content) {
            if (!hasExample(media.schema, components)) missing.push(`${where} ${status} ${type}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
