import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, vi } from 'vitest';

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

// Tests never reach the real network: any outbound fetch a test did not inject fails loudly.
vi.stubGlobal('fetch', (input: RequestInfo | URL) => {
  throw new Error(`Unexpected outbound fetch in a test: ${String(input instanceof Request ? input.url : input)}`);
});

afterEach(() => {
  vi.restoreAllMocks();
});

// Every app a test builds (client(), createApp, and the Worker behind SELF) answers only what the
// OpenAPI document declares: a response it does not declare fails the test that made the request.
vi.mock('../src/app', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/app')>();
  const { conformingApps } = await import('./support/conformance');
  return { ...original, createApp: conformingApps(original.createApp) };
});
