import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/ensure-chromium.mjs';
import { type RunningApi, startApi } from '../../scripts/lib/calls-fixture.mjs';
import { SWAGGER_UI_VERSION } from '../../src/modules/system/docs-page';

/**
 * The browser side end to end: a real `wrangler dev --local` (started as for the calls check, migrated
 * and seeded) serving the static assets of public/ with the headers of public/_headers, and Debian's
 * Chromium driven by playwright-core (scripts/ensure-chromium.mjs). Nothing leaves 127.0.0.1.
 */

const YEAR_IMMUTABLE = 'public, max-age=31536000, immutable';
const SWAGGER = `/vendor/swagger-ui-${SWAGGER_UI_VERSION}`;

/** Every origin a Content-Security-Policy names besides its keywords ('self', 'none') and data:. */
const externalSourcesOf = (csp: string) =>
  csp
    .split(';')
    .flatMap((directive) => directive.trim().split(/\s+/).slice(1))
    .filter((source) => !/^'(self|none)'$/.test(source) && source !== 'data:');

describe('Docs page and admin console in a browser (wrangler dev + Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinwell-console-'));
  let server: RunningApi | undefined;
  let browser: { context: BrowserContext; close(): Promise<void> } | undefined;
  let base = '';

  beforeAll(async () => {
    const paths = { persistTo: join(dir, 'state'), logFile: join(dir, 'wrangler.log') };
    [server, browser] = await Promise.all([startApi({ ...paths, timeoutMs: 180_000 }), launchChromium()]);
    base = server.baseUrl;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new page that records every request leaving the origin, failed responses and CSP violations. */
  async function openPage(context: BrowserContext) {
    const page = await context.newPage();
    const external: string[] = [];
    const failed: string[] = [];
    const violations: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith('data:')) external.push(req.url());
    });
    page.on('response', (res) => {
      // Chromium asks for /favicon.ico by itself; the API answers it 404.
      if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) failed.push(`${res.status()} ${res.url()}`);
    });
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    return { page, external, failed, violations };
  }

  it('Should serve the pinned Swagger UI files with their content types and a year-long immutable cache', async () => {
    const css = await fetch(`${base}${SWAGGER}/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe(YEAR_IMMUTABLE);
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await css.text()).toContain('.swagger-ui');

    const js = await fetch(`${base}${SWAGGER}/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(js.headers.get('cache-control')).toBe(YEAR_IMMUTABLE);
    expect(await js.text()).toContain('SwaggerUIBundle');

    const init = await fetch(`${base}/docs/swagger-init.js`);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(init.headers.get('cache-control')).toBe('no-cache');

    const docs = await fetch(`${base}/api/v1/docs`);
    expect(externalSourcesOf(docs.headers.get('content-security-policy')!)).toEqual([]);
  });

  it('Should render the docs page from the Worker alone, with no request leaving the origin and no CSP violation', async () => {
    const { page, external, failed, violations } = await openPage(browser!.context);
    try {
      await page.goto(`${base}/api/v1/docs`);
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
      expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Kinwell API');
      await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 30_000 });
      expect({ external, failed, violations }).toEqual({ external: [], failed: [], violations: [] });
    } finally {
      await page.close();
    }
  });
});
