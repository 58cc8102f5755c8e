import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/ensure-chromium.mjs';
import { api, type RunningApi, startApi } from '../../scripts/lib/calls-fixture.mjs';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../../scripts/seed.mjs';
import { SWAGGER_UI_VERSION } from '../../src/modules/system/docs-page';
import { externalSourcesOf } from '../support/csp';

/**
 * The browser side end to end: a real `wrangler dev --local` (started as for the calls check, migrated
 * and seeded) serving the static assets of public/ with the headers of public/_headers, and Debian's
 * Chromium driven by playwright-core (scripts/ensure-chromium.mjs). Nothing leaves 127.0.0.1.
 */

const account = (email: string) => DEMO_ACCOUNTS.find((a) => a.email === email)!;
const ADMIN = account('admin@kinwell.local');
const SUPERADMIN = account('superadmin@kinwell.local');
const RECEPTIONIST = account('receptionist@kinwell.local');
const PENDING_DOCTOR = account('pending.doctor@kinwell.local');

/** Where `CONSOLE_SCREENSHOT=1` (npm run console:screenshot) writes the dashboard's picture. */
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'images', 'console-dashboard.png');

const YEAR_IMMUTABLE = 'public, max-age=31536000, immutable';
const SWAGGER = `/vendor/swagger-ui-${SWAGGER_UI_VERSION}`;

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
  /** The API as `email` (a token of its own, not the browser's). */
  async function apiToken(email: string) {
    const data = await api(base, 'POST', '/api/v1/auth/login', { body: { email, password: DEMO_PASSWORD } });
    return data.tokens.accessToken as string;
  }

  /**
   * Signs in through the console's form as `email` (password step only) and resolves with the access
   * token the API handed the page (read off the network, for the storage check).
   */
  async function signInThroughConsole(page: Page, email: string) {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    const answer = page.waitForResponse((res) => res.url().endsWith('/api/v1/auth/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    return (await (await answer).json()) as any;
  }

  describe('the console, signed in as the demo admin', () => {
    let page: Page;
    let watch: Awaited<ReturnType<typeof openPage>>;
    let accessToken = '';

    beforeAll(async () => {
      watch = await openPage(browser!.context);
      page = watch.page;
    });

    afterAll(async () => {
      await page?.close();
    });

    it('Should sign in with the real auth flow and keep the tokens out of every storage', async () => {
      const login = await signInThroughConsole(page, ADMIN.email);
      accessToken = login.data.tokens.accessToken;
      expect(login.data.user.role).toBe('admin');
      await expect.poll(() => page.locator('#nav').isVisible()).toBe(true);
      await expect.poll(() => page.locator('#whoami').textContent()).toContain(ADMIN.name);
      const stored = await page.evaluate(() => {
        const { localStorage, sessionStorage, document } = globalThis as any;
        return {
          local: JSON.stringify({ ...localStorage }),
          session: JSON.stringify({ ...sessionStorage }),
          cookie: document.cookie as string,
        };
      });
      expect(stored).toEqual({ local: '{}', session: '{}', cookie: '' });
      const refreshToken = login.data.tokens.refreshToken;
      for (const value of Object.values(stored)) {
        expect(value).not.toContain(accessToken);
        expect(value).not.toContain(refreshToken);
      }
      // A reload starts signed out: the session lived in the page's memory only.
      await page.reload();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await signInThroughConsole(page, ADMIN.email);
      await page.locator('#nav').waitFor();
    });

    it('Should open the dashboard with its charts and the seeded numbers', async () => {
      await page.goto(`${base}/console/#/dashboard`);
      const dashboard = page.locator('.dashboard');
      await expect.poll(() => dashboard.getAttribute('data-state')).toBe('ready');
      const route = await fetch(`${base}/api/v1/admin/dashboard`, {
        headers: { authorization: `Bearer ${await apiToken(ADMIN.email)}` },
      });
      expect(route.status).toBe(200);
      const numbers = ((await route.json()) as any).data;
      // The demo seed's accounts, every one created at seeding (today's live part of the rollups).
      const byRole = (role: string) => DEMO_ACCOUNTS.filter((a) => a.role === role).length;
      expect(numbers).toMatchObject({
        totalUsers: DEMO_ACCOUNTS.length,
        totalDoctors: byRole('doctor'),
        totalPatients: byRole('user'), // a patient's role is `user`
      });
      expect(numbers.totalAppointments).toBeGreaterThan(0);
      const card = (label: string) =>
        page.locator('.card', { hasText: label }).first().locator('.card-value').textContent();
      for (const [label, value] of [
        ['Users', numbers.totalUsers],
        ['Doctors', numbers.totalDoctors],
        ['Patients', numbers.totalPatients],
        ['Appointments', numbers.totalAppointments],
        ['Pending', numbers.pendingAppointments],
        ['Completed', numbers.completedAppointments],
      ] as const) {
        expect(await card(label)).toBe(value.toLocaleString('en-US'));
      }
      // The figures and four charts, each an SVG with one bar per figure.
      expect(await page.locator('.card').count()).toBe(8);
      for (const chart of ['appointments', 'revenue', 'people', 'top-doctors']) {
        await page.locator(`[data-chart="${chart}"] svg .bar`).first().waitFor();
      }
      const people = page.locator('[data-chart="people"] .bar-value');
      expect(await people.allTextContents()).toEqual(
        [numbers.totalUsers, numbers.totalDoctors, numbers.totalPatients].map((n: number) => n.toLocaleString('en-US')),
      );
      expect(await page.locator('[data-chart="appointments"] .bar').count()).toBe(4);
      if (process.env.CONSOLE_SCREENSHOT) {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    });

    it("Should draw the dashboard route's numbers (the Arthomed shape) into its cards and charts", async () => {
      // A known answer of GET /admin/dashboard (the route's shape: revenue per currency in cents),
      // served to this page only, so every figure's place on the page is checked.
      const numbers = {
        totalUsers: 1280,
        totalDoctors: 42,
        totalPatients: 1100,
        totalAppointments: 5300,
        todayAppointments: 37,
        pendingAppointments: 12,
        completedAppointments: 4800,
        revenue: {
          today: [{ currency: 'EUR', amountCents: 185_000 }],
          thisMonth: [
            { currency: 'EUR', amountCents: 4_250_050 },
            { currency: 'USD', amountCents: 12_000 },
          ],
          thisYear: [{ currency: 'EUR', amountCents: 51_200_000 }],
        },
        recentAppointments: [
          {
            id: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
            status: 'confirmed',
            startsAt: '2026-12-01T09:00:00.000Z',
            patient: { id: 'usr_01DEMD0PAT1ENT000000000000', name: '<img src=x onerror=alert(1)>' },
            doctor: { id: 'usr_01DEMD0D0CT0R0000000000000', name: 'Dr. Dana Doctor' },
          },
        ],
        topDoctors: [
          {
            id: 'usr_01DEMD0D0CT0R0000000000000',
            name: 'Dr. Dana Doctor',
            appointmentCount: 310,
            rating: { average: 4.8, count: 25 },
          },
          {
            id: 'usr_01DEMD0PEND1NGD0CT0R000000',
            name: 'Dr. Penny Pending',
            appointmentCount: 120,
            rating: { average: 4.2, count: 9 },
          },
        ],
      };
      await page.route('**/api/v1/admin/dashboard', (route) =>
        route.fulfill({ json: { success: true, message: 'OK', data: numbers, timestamp: new Date().toISOString() } }),
      );
      try {
        await page.goto(`${base}/console/#/users`);
        await page.goto(`${base}/console/#/dashboard`);
        await expect.poll(() => page.locator('.dashboard').getAttribute('data-state')).toBe('ready');
        const card = (label: string) => page.locator('.card', { hasText: label }).locator('.card-value').textContent();
        expect(await card('Users')).toBe('1,280');
        expect(await card('Appointments')).toBe('5,300');
        expect(await card('Revenue this month')).toBe('€42,500.50 · $120.00');
        const revenueBars = page.locator('[data-chart="revenue"] .bar-value');
        expect(await revenueBars.allTextContents()).toEqual(['€1,850.00', '€42,500.50', '€512,000.00']);
        const bars = page.locator('[data-chart="top-doctors"] .bar');
        expect(await bars.count()).toBe(2);
        expect(await bars.first().locator('.bar-label').textContent()).toBe('Dr. Dana Doctor ★4.8');
        expect(await bars.first().locator('.bar-value').textContent()).toBe('310');
        const widths = await page
          .locator('[data-chart="appointments"] rect')
          .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('width'))));
        expect(widths[3]).toBeGreaterThan(widths[0]!); // all > today
        // API text stays text: the patient named like markup is shown, never parsed.
        await page.getByText('<img src=x onerror=alert(1)>').waitFor();
        expect(await page.locator('.dashboard img').count()).toBe(0);
      } finally {
        await page.unroute('**/api/v1/admin/dashboard');
      }
    });

    it('Should block a user from the users page, and the API then reports them blocked', async () => {
      await page.goto(`${base}/console/#/users`);
      await page.getByLabel('Search users').fill('Rey Receptionist');
      await page.getByRole('button', { name: 'Show' }).click();
      const row = page.locator(`tr[data-user-id="${RECEPTIONIST.id}"]`);
      await row.waitFor();
      await row.locator('[data-action="block"]').click();
      await row.getByLabel('Block: reason').fill('Shared their password with a visitor');
      await row.getByRole('button', { name: 'Confirm block' }).click();
      await row.locator('[data-action="unblock"]').waitFor();

      const token = await apiToken(ADMIN.email);
      const { user } = await api(base, 'GET', `/api/v1/admin/users/${RECEPTIONIST.id}`, { token });
      expect(user).toMatchObject({ status: 'blocked', statusReason: 'Shared their password with a visitor' });
      // Blocked means no sign-in.
      await api(base, 'POST', '/api/v1/auth/login', {
        body: { email: RECEPTIONIST.email, password: DEMO_PASSWORD },
        expect: 403,
      });
    });

    it("Should approve the seed's pending doctor from the verification queue", async () => {
      await page.goto(`${base}/console/#/verification`);
      const row = page.locator(`[data-queue="doctors"] tr[data-user-id="${PENDING_DOCTOR.id}"]`);
      await row.waitFor();
      await row.locator('[data-action="approve"]').click();
      await page.locator('[data-queue="doctors"]').getByText('No doctor is waiting.').waitFor();

      const token = await apiToken(ADMIN.email);
      const { user } = await api(base, 'GET', `/api/v1/admin/users/${PENDING_DOCTOR.id}`, { token });
      expect(user.status).toBe('active');
      expect(user.verifiedAt).not.toBeNull();
    });

    it('Should load every other page from the API without an error', async () => {
      for (const [route, heading] of [
        ['appointments', 'Appointments'],
        ['alerts', 'Care alerts'],
        ['deliveries', 'Failed deliveries'],
      ]) {
        await page.goto(`${base}/console/#/${route}`);
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await page.locator('.results table, .results .note').first().waitFor();
        expect(await page.locator('.note.error').count(), route).toBe(0);
      }
      // The demo admin lacks the support-agent sub-role and is no superadmin: those pages say so.
      for (const route of ['support', 'settings']) {
        await page.goto(`${base}/console/#/${route}`);
        await expect.poll(() => page.locator('.note.error').first().textContent()).toContain('Not allowed');
      }
      expect({ external: watch.external, violations: watch.violations }).toEqual({ external: [], violations: [] });
    });
  });

  it('Should finish a sign-in with the second factor in the browser, then show a superadmin the feature flags', async () => {
    // The demo superadmin turns on TOTP through the API and keeps a recovery code.
    const token = await apiToken(SUPERADMIN.email);
    const { secret } = await api(base, 'POST', '/api/v1/auth/2fa/totp/setup', { token });
    const code = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate();
    const { recoveryCodes } = await api(base, 'POST', '/api/v1/auth/2fa/totp/enable', { token, body: { code } });
    expect(recoveryCodes.length).toBeGreaterThan(0);

    const { page, external, violations } = await openPage(browser!.context);
    try {
      const login = await signInThroughConsole(page, SUPERADMIN.email);
      expect(login.error.code).toBe('TWO_FACTOR_REQUIRED');
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      await page.getByLabel('Method').selectOption('recovery');
      await page.getByRole('textbox', { name: 'Code' }).fill(recoveryCodes[0]);
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect.poll(() => page.locator('#whoami').textContent()).toContain('superadmin');

      await page.goto(`${base}/console/#/settings`);
      await page.locator('[data-group="flags"] tr[data-key^="features."]').first().waitFor();
      expect(await page.locator('.note.error').count()).toBe(0);
      const storedItems = () => (globalThis as any).localStorage.length + (globalThis as any).sessionStorage.length;
      expect(await page.evaluate(storedItems)).toBe(0);
      expect({ external, violations }).toEqual({ external: [], violations: [] });
    } finally {
      await page.close();
    }
  });

  it('Should fit a 390-px phone screen: the nav is there and the page does not scroll sideways', async () => {
    const page = await browser!.context.newPage();
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await signInThroughConsole(page, ADMIN.email);
      await page.locator('#nav').waitFor();
      const nav = page.locator('#nav');
      expect((await nav.boundingBox())!.width).toBeLessThanOrEqual(390);
      await page.getByRole('link', { name: 'Dashboard' }).waitFor();
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.locator('.results table, .results .note').first().waitFor();
      const width = await page.evaluate(() => {
        const { document, innerWidth } = globalThis as any;
        return { doc: document.documentElement.scrollWidth as number, view: innerWidth as number };
      });
      expect(width.doc).toBeLessThanOrEqual(width.view);
      expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toBe(
        'width=device-width, initial-scale=1',
      );
    } finally {
      await page.close();
    }
  });

  it('Should serve the console as static files under a same-origin-only policy', async () => {
    const res = await fetch(`${base}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(externalSourcesOf(csp)).toEqual([]);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    // The headers file configures the asset server; it is not itself served.
    expect((await fetch(`${base}/_headers`)).status).toBe(404);
    for (const file of ['app.js', 'api.js', 'dom.js', 'charts.js', 'pages.js', 'console.css']) {
      const asset = await fetch(`${base}/console/${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get('content-type'), file).toMatch(file.endsWith('.css') ? /^text\/css/ : /javascript/);
      const source = await asset.text();
      // No markup from strings, no storage: API data only ever becomes text nodes, the session stays in memory.
      expect(source, file).not.toMatch(
        /\.(inner|outer)HTML\s*=|insertAdjacentHTML\(|document\.write\(|(local|session)Storage\s*[.[]/,
      );
    }
  });
});
