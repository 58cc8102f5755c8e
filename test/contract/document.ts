import { createApp } from '../../src/app';
import { openApiDocument } from '../../src/http/openapi-document';
import { cloudflareDeps } from '../../src/runtime/cloudflare';

/**
 * The OpenAPI document as GET /api/v1/openapi.json serves it (same generator call, same JSON), built
 * in Node: no bindings are needed to describe the routes.
 */
export function servedDocument(): Record<string, any> {
  return JSON.parse(JSON.stringify(openApiDocument(createApp(cloudflareDeps))));
}
