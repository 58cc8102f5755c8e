import { env } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { cases } from './d1-cases';

/**
 * The D1 conformance cases against miniflare's D1, the reference the SQLite adapter of the Bun and Deno
 * entries is held to (scripts/conformance.ts runs the same cases there). test/setup.ts has already
 * applied the migrations with cloudflare:test, so the migrations case checks the runner agrees with it.
 */
describe('D1 conformance (miniflare)', () => {
  for (const testCase of cases) {
    it(testCase.name, () => testCase.run(env.DB, { migrations: env.TEST_MIGRATIONS }));
  }
});
