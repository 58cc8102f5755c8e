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
