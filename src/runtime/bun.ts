/**
 * The Bun entry: the same app as the Worker (src/runtime/portable/server.ts) over bun:sqlite, served
 * with `Bun.serve` on PORT (default 8787), sockets included (its `server.upgrade` and `websocket`
 * handlers feed src/runtime/portable/sockets.ts). `npm run dev:bun` starts it migrated and seeded
 * (scripts/dev-portable.ts); `npm run start:bun` runs this file in production (docs/runtimes.md).
 */

import { createPortableRuntime, type PortableMode, stopOnSignals } from './portable/server';
import type { ConnectionEvents, Upgrade } from './portable/sockets';
import { bunSqlite } from './sqlite/bun-driver';

interface BunSocket {
  data: ConnectionEvents;
  send(text: string): number;
  close(code?: number, reason?: string): void;
}
interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  upgrade(request: Request, options: { data: ConnectionEvents; headers?: Record<string, string> }): boolean;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  serve(options: {
    port: number;
    fetch(request: Request, server: BunServer): Promise<Response>;
    websocket: {
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
      close(ws: BunSocket, code: number, reason: string): void;
    };
  }): BunServer;
};

/** Starts the API on Bun; resolves once it listens. */
export async function serveBun(options: { mode: PortableMode; seedSql?: string }) {
  let server: BunServer | null = null;
  // After a successful `server.upgrade` Bun answers 101 itself and ignores the response returned (a 101
  // here, so the request log tells the truth).
  const upgrade: Upgrade = (request, protocol, events) =>
    server?.upgrade(request, {
      data: events,
      headers: protocol ? { 'sec-websocket-protocol': protocol } : undefined,
    })
      ? new Response(null, { status: 101 })
      : null;
  const runtime = await createPortableRuntime({
    runtime: 'bun',
    openSqlite: bunSqlite,
    processEnv: process.env,
    upgrade,
    mode: options.mode,
    seedSql: options.seedSql,
  });
  server = Bun.serve({
    port: runtime.port,
    fetch: (request, bun) => runtime.fetch(request, bun.requestIP(request)?.address ?? null),
    websocket: {
      open: (ws) =>
        ws.data.open({ send: (text) => void ws.send(text), close: (code, reason) => ws.close(code, reason) }),
      message: (ws, message) => ws.data.message(typeof message === 'string' ? message : new Uint8Array(message).buffer),
      close: (ws, code) => ws.data.close(code),
    },
  });
  console.log(`Kinwell on Bun: http://localhost:${server.port}`);
  const bun = server;
  // Bun's graceful stop waits for open sockets, so they are told first (1001, going away: reconnect).
  const stopServer = async () => {
    runtime.sockets.closeAll(1001, 'server stopping');
    await bun.stop();
  };
  stopOnSignals(
    (signal, handler) => process.on(signal, handler),
    stopServer,
    runtime,
    (code) => process.exit(code),
  );
  return {
    runtime,
    async stop() {
      await stopServer();
      await runtime.stop();
    },
  };
}

if ((import.meta as { main?: boolean }).main) await serveBun({ mode: 'production' });
