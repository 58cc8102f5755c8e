/**
 * The Deno entry: the same app as the Worker (src/runtime/portable/server.ts) over node:sqlite, served
 * with `Deno.serve` on PORT (default 8787). `npm run dev:deno` starts it migrated and seeded
 * (scripts/dev-portable.ts).
 */

import { createPortableRuntime } from './portable/server';
import { nodeSqlite } from './sqlite/node-driver';

interface DenoServeInfo {
  remoteAddr: { hostname?: string };
}
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: DenoServeInfo) => Promise<Response>,
  ): { shutdown(): Promise<void> };
};

/** Starts the API on Deno; resolves once it is set up. */
export async function serveDeno(options: { seedSql?: string } = {}) {
  const runtime = await createPortableRuntime({
    runtime: 'deno',
    openSqlite: nodeSqlite,
    processEnv: Deno.env.toObject(),
    seedSql: options.seedSql,
  });
  const server = Deno.serve(
    { port: runtime.port, onListen: ({ port }) => console.log(`Kinwell on Deno: http://localhost:${port}`) },
    (request, info) => runtime.fetch(request, info.remoteAddr.hostname ?? null),
  );
  return {
    runtime,
    async stop() {
      runtime.stop();
      await server.shutdown();
    },
  };
}

if ((import.meta as { main?: boolean }).main) await serveDeno();
