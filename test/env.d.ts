import type { D1Migration } from 'cloudflare:test';
import type { Env as KinwellEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends KinwellEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** A rate-limiting binding with a small limit (vitest.config.ts): the request ceiling test reaches it. */
      REQUEST_CEILING_PROBE: RateLimit;
    }
  }
}
