/**
 * The Deno entry: the same app as the Worker (src/runtime/portable/server.ts) over node:sqlite, served
 * with `Deno.serve` on PORT (default 8787), sockets included (`Deno.upgradeWebSocket` feeds
 * src/runtime/portable/sockets.ts). `npm run dev:deno` starts it migrated and seeded
 * (scripts/dev-portable.ts); `npm run start:deno` runs this file in production (docs/runtimes.md).
 */

import { createPortableRuntime, type PortableMode, stopOnSignals } from './portable/server';
import type { Upgrade } from './portable/sockets';
import { nodeSqlite } from './sqlite/node-driver';

/** Deno's server-side WebSocket: the standard one (typed here, the project's types being workerd's). */
interface DenoSocket {
  binaryType: 'arraybuffer' | 'blob';
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
interface DenoServeInfo {
  remoteAddr: { hostname?: string };
}
declare const Deno: {
  env: { toObject(): Record<string, string> };
  addSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
  serve(
    options: { port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: DenoServeInfo) => Promise<Response>,
  ): { shutdown(): Promise<void> };
  upgradeWebSocket(request: Request, options?: { protocol?: string }): { socket: DenoSocket; response: Response };
};

/**
 * Deno's upgrade: the standard WebSocket it hands back reports to the portable sockets. The subprotocol
 * is set on the response rather than passed as `protocol`, which Deno checks against the offer split at
 * ", " only (a client joining the offer with "," alone, as `ws` does, would be refused).
 */
const upgrade: Upgrade = (request, protocol, events) => {
  let upgraded: { socket: DenoSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request);
  } catch {
    return null;
  }
  const { socket, response } = upgraded;
  if (protocol) response.headers.set('sec-websocket-protocol', protocol);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => events.open(socket);
  socket.onmessage = (event) => events.message(event.data);
  socket.onclose = (event) => events.close(event.code);
  socket.onerror = (event) => events.error(event);
  return response;
};

/** Starts the API on Deno; resolves once it is set up. */
export async function serveDeno(options: { mode: PortableMode; seedSql?: string }) {
  const runtime = await createPortableRuntime({
    runtime: 'deno',
    openSqlite: nodeSqlite,
    processEnv: Deno.env.toObject(),
    upgrade,
    mode: options.mode,
    seedSql: options.seedSql,
  });
  const server = Deno.serve(
    { port: runtime.port, onListen: ({ port }) => console.log(`Kinwell on Deno: http://localhost:${port}`) },
    (request, info) => runtime.fetch(request, info.remoteAddr.hostname ?? null),
  );
  // Deno's shutdown finishes the requests in flight and closes open sockets itself (1001, going away).
  stopOnSignals(
    (signal, handler) => Deno.addSignalListener(signal, handler),
    () => server.shutdown(),
    runtime,
    (code) => Deno.exit(code),
  );
  return {
    runtime,
    async stop() {
      await server.shutdown();
      await runtime.stop();
    },
  };
}

if ((import.meta as { main?: boolean }).main) await serveDeno({ mode: 'production' });
