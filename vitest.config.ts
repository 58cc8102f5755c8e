import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Tests run inside workerd (the Workers runtime) with the bindings of wrangler.toml: local D1, R2,
 * Durable Objects and Queues. Storage is isolated per test file, so factories use random ids.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    plugins: [
      cloudflareTest({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            ENVIRONMENT: 'test',
            JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef0123456789',
            ENCRYPTION_KEY: 'dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=',
            TEST_MIGRATIONS: migrations,
          },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      include: ['test/**/*.test.ts'],
      testTimeout: 20_000,
      // Request logs are noise when a test passes; they stay visible for a failing one.
      silent: 'passed-only' as const,
    },
  };
});
