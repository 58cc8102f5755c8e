import { afterAll, beforeAll, describe, it } from 'vitest';
import { gracefulStop, type StartedRuntime, smokeChecks, startRuntime, startWorkerd } from '../smoke/smoke';

/**
 * The runtime smoke suite (test/smoke/smoke.ts) against workerd (`wrangler dev --local`, as `npm run
 * dev` and the calls check start it), Bun and Deno, each started by its npm script
 * (`npm run dev:bun`, `npm run dev:deno`) on a fresh SQLite file: migrations, seed, HTTP, files, the
 * queue pump, the cron and the user hub's socket (ping, a pushed event, per-frame authority). The checks
 * run in order, each on the state the previous ones left.
 */
const RUNTIMES: [string, () => Promise<StartedRuntime>][] = [
  ['workerd (wrangler dev)', () => startWorkerd()],
  ['bun (npm run dev:bun)', () => startRuntime('dev:bun')],
  ['deno (npm run dev:deno)', () => startRuntime('dev:deno')],
];

for (const [runtime, start] of RUNTIMES) {
  describe(`smoke: ${runtime}`, () => {
    let server: StartedRuntime | undefined;
    beforeAll(async () => {
      server = await start();
    }, 150_000);
    afterAll(() => server?.stop());

    for (const [name, check] of smokeChecks(() => server as StartedRuntime)) it(name, check, 30_000);
    // Last: it stops the server. wrangler dev is not ours to stop gracefully.
    if (runtime.startsWith('bun') || runtime.startsWith('deno')) {
      it(
        'a graceful stop on SIGTERM (sockets closed 1001, pump and cron ended, database closed)',
        () => gracefulStop(server as StartedRuntime),
        40_000,
      );
    }
  });
}
