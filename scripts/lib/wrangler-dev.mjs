// How `wrangler dev --local` is started, shared by `npm run dev` (scripts/dev.mjs) and the calls
// end-to-end check and bench (scripts/lib/calls-fixture.mjs), so both run the Worker the same way.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** wrangler's own entry point, run with this Node (no npx in between, so signals reach it directly). */
export const wranglerBin = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/** The repository root (wrangler.toml, migrations/, .dev.vars). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The script creating .dev.vars (random local secrets) when it lacks any. */
export const devVarsScript = fileURLToPath(new URL('../dev-vars.mjs', import.meta.url));

/**
 * The arguments of `node <wranglerBin> dev --local` on `port`; `extra` go last. The local checkout
 * page's links (and the default checkout return URL) point at the API's own origin: this port, unless
 * PUBLIC_URL was given (e.g. a tunnel).
 */
export function wranglerDevArgs(port, extra = []) {
  const publicUrl = process.env.PUBLIC_URL ? [] : ['--var', `PUBLIC_URL:http://localhost:${port}`];
  return [wranglerBin, 'dev', '--local', '--port', String(port), ...publicUrl, ...extra];
}

function listenOn(port) {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address();
      srv.close(() => resolve(bound));
    });
  });
}

/** A TCP port nobody listens on now on 127.0.0.1: `preferred` if free, else one the system picks. */
export const freePort = (preferred = 0) => listenOn(preferred).catch(() => listenOn(0));
