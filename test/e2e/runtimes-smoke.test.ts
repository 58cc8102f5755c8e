import { afterAll, beforeAll, describe, it } from 'vitest';
import { type StartedRuntime, smokeChecks, startRuntime } from '../smoke/smoke';

/**
 * The runtime smoke suite (test/smoke/smoke.ts) against Bun and Deno, each started by its npm script
 * (`npm run dev:bun`, `npm run dev:deno`) on a fresh SQLite file: migrations, seed, HTTP, files, the
 * queue pump and the cron. Sockets are not checked: Bun and Deno do not serve them yet. The checks run
 * in order, each on the state the previous ones left.
 */
for (const script of ['dev:bun', 'dev:deno']) {
  describe(`smoke: npm run ${script}`, () => {
    let server: StartedRuntime | undefined;
    beforeAll(async () => {
      server = await startRuntime(script);
    }, 60_000);
    afterAll(() => server?.stop());

    for (const [name, check] of smokeChecks(() => server as StartedRuntime)) it(name, check, 30_000);
  });
}
