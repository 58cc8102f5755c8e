import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { configDefaults, defineConfig } from 'vitest/config';
import { vendorAssets } from './scripts/vendor-assets.mjs';

/** The contract tests read the OpenAPI document with Spectral and ajv, which run in Node, not workerd. */
const CONTRACT_TESTS = 'test/contract/**/*.test.ts';
/** The end-to-end checks start `wrangler dev` and drive it from Node (real WebRTC peers with werift). */
const E2E_TESTS = 'test/e2e/**/*.test.ts';

/**
 * Three projects. `workers`: tests run inside workerd (the Workers runtime) with the bindings of
 * wrangler.toml: local D1, R2, Durable Objects and Queues; storage is isolated per test file, so
 * factories use random ids. `contract`: the OpenAPI document checked in Node (src/app.ts imports
 * nothing from `cloudflare:*`, so it builds there too). `e2e`: Node drives a real `wrangler dev --local`
 * (test/e2e, scripts/lib/calls-fixture.mjs), e.g. two WebRTC peers meeting in a video room.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  // The pinned browser files the Worker serves (public/vendor) are generated: copied before the pool reads them.
  vendorAssets();
  return {
    test: {
      // Request logs are noise when a test passes; they stay visible for a failing one.
      silent: 'passed-only' as const,
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: './src/index.ts',
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  ENVIRONMENT: 'test',
                  JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef0123456789',
                  ENCRYPTION_KEY: 'dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=',
                  // A made-up Facebook app: tests answer for Facebook (test/support/facebook.ts).
                  FACEBOOK_APP_ID: '1234567890123456',
                  FACEBOOK_APP_SECRET: 'test-only-facebook-app-secret-0123456789',
                  // Verifies the Stripe webhooks tests sign (test/support/payments.ts). No STRIPE_SECRET_KEY:
                  // the local checkout provider, unless a test sets a made-up key and answers for Stripe.
                  STRIPE_WEBHOOK_SECRET: 'whsec_test_only_0123456789abcdef0123456789abcdef',
                  TEST_MIGRATIONS: migrations,
                },
                // Beside the REQUEST_CEILING of wrangler.toml (which every test runs under): the same
                // binding simulation with a limit a test reaches in a few requests, swapped in per call
                // by test/platform/request-ceiling.test.ts only.
                ratelimits: { REQUEST_CEILING_PROBE: { simple: { limit: 3, period: 60 } } },
              },
            }),
          ],
          test: {
            name: 'workers',
            setupFiles: ['./test/setup.ts'],
            include: ['test/**/*.test.ts'],
            exclude: [...configDefaults.exclude, CONTRACT_TESTS, E2E_TESTS],
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: 'contract',
            environment: 'node',
            include: [CONTRACT_TESTS],
            // Spectral resolves and lints the whole document, some seconds of CPU.
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          test: {
            name: 'e2e',
            environment: 'node',
            include: [E2E_TESTS],
            // The console checks drive Debian's Chromium (scripts/ensure-chromium.mjs installs it when missing).
            globalSetup: ['./test/e2e/global-setup.ts'],
            // wrangler dev's cold start (migrations, seed, workerd) takes 20-40 s on a 2-core machine.
            testTimeout: 120_000,
            hookTimeout: 300_000,
          },
        },
      ],
    },
  };
});
