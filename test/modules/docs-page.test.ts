import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import swaggerUiPackage from '../../node_modules/swagger-ui-dist/package.json';
import pkg from '../../package.json';
import { DOCS_CSP, SWAGGER_UI_VERSION } from '../../src/modules/system/docs-page';
import { externalSourcesOf } from '../support/csp';

/**
 * The docs page through the whole Worker (SELF). The files it points at are static assets (wrangler.toml
 * [assets], public/): the asset server answers them before the Worker, which SELF bypasses, so their
 * status, content types and cache headers are checked against a real `wrangler dev` in test/e2e/console.test.ts.
 */

const ORIGIN = 'http://kinwell.test';
const get = (path: string) => SELF.fetch(`${ORIGIN}${path}`);

/** Every src/href of a page's HTML. */
const referencesOf = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe('API docs page: pinned, self-hosted Swagger UI', () => {
  it('Should pin swagger-ui-dist to the exact version the page names', () => {
    expect(pkg.dependencies['swagger-ui-dist']).toBe(SWAGGER_UI_VERSION);
    expect(swaggerUiPackage.version).toBe(SWAGGER_UI_VERSION);
  });

  it('Should reference only same-origin files, under a policy that names no other origin', async () => {
    const res = await get('/api/v1/docs');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toBe(DOCS_CSP);
    expect(externalSourcesOf(csp)).toEqual([]);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    const refs = referencesOf(html);
    expect(refs).toEqual([
      `/vendor/swagger-ui-${SWAGGER_UI_VERSION}/swagger-ui.css`,
      `/vendor/swagger-ui-${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`,
      '/docs/swagger-init.js',
    ]);
    // No inline script: every <script> has a src and an empty body.
    expect(html.match(/<script\b[^>]*>[^<]+<\/script>/g)).toBeNull();
    expect(html).not.toMatch(/https?:\/\//);
  });
});
