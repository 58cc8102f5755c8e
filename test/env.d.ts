import type { D1Migration } from 'cloudflare:test';
import type { Env as KinwellEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends KinwellEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
