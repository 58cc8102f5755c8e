/**
 * The Bun entry: the same app as the Worker (src/runtime/portable/server.ts) over bun:sqlite, served
 * with `Bun.serve` on PORT (default 8787). `npm run dev:bun` starts it migrated and seeded
 * (scripts/dev-portable.ts).
 */

import { createPortableRuntime } from './portable/server';
import { bunSqlite } from './sqlite/bun-driver';

interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  stop(): void;
}
declare const Bun: {
  serve(options: { port: number; fetch(request: Request, server: BunServer): Promise<Response> }): BunServer;
};

/** Starts the API on Bun; resolves once it listens. */
export async function serveBun(options: { seedSql?: string } = {}) {
  const runtime = await createPortableRuntime({
    runtime: 'bun',
    openSqlite: bunSqlite,
    processEnv: process.env,
    seedSql: options.seedSql,
  });
  const server = Bun.serve({
    port: runtime.port,
    fetch: (request, server) => runtime.fetch(request, server.requestIP(request)?.address ?? null),
  });
  console.log(`Kinwell on Bun: http://localhost:${server.port}`);
  return {
    runtime,
    stop() {
      runtime.stop();
      server.stop();
    },
  };
}

if ((import.meta as { main?: boolean }).main) await serveBun();
