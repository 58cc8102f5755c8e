import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApp } from '../../app';
import type { AppDeps } from '../../context';
import type { Env } from '../../env';
import { systemClock } from '../../lib/clock';
import { randomBytes } from '../../lib/ids';
import { createLogger } from '../../lib/log';
import { type ClientIp, trustedProxyClientIp } from '../../platform/client-ip';
import { memoryRequestCeiling, parseCeilingPolicy } from '../../platform/request-ceiling';
import { ensureQueueTable } from '../../platform/sql-queue';
import { sqliteD1 } from '../sqlite/d1';
import type { SqliteDriver } from '../sqlite/driver';
import { applyMigrations, migrationsFromFiles } from '../sqlite/migrate';
import { portableAdapters, storageFromVars } from './adapters';
import { parseHeadersFile, staticAssets } from './assets';
import { cronTick, pumpJobs } from './jobs';
import { nodeFileSystem } from './node-fs';
import { type Scheduler, startScheduler } from './scheduler';
import { type SocketObjects, socketObjects, type Upgrade } from './sockets';

/** The default database file of the Bun and Deno entries, relative to the working directory. */
export const DEFAULT_DB_FILE = '.data/kinwell.sqlite';

/** `KEY=value` lines (a `.dev.vars` file): `#` comments and blank lines skipped, quotes stripped. */
export function parseVarsFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    vars[match[1] as string] = (match[2] as string).replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

/** How an entry runs: `development` (`npm run dev:*`) or `production` (`npm run start:*`). */
export type PortableMode = 'development' | 'production';

/**
 * A vars table of wrangler.toml (`KEY = "value"` lines): `[vars]`, the defaults `npm run dev` runs
 * with, or, for `production`, `[env.production.vars]`, what `wrangler deploy --env production` deploys.
 */
export function wranglerVars(toml: string, mode: PortableMode = 'development'): Record<string, string> {
  const header = mode === 'production' ? String.raw`\[env\.production\.vars\]` : String.raw`\[vars\]`;
  const section = new RegExp(`^${header}\\s*$([\\s\\S]*?)(?=^\\[)`, 'm').exec(`${toml}\n[`)?.[1] ?? '';
  return parseVarsFile(section.replace(/^(\s*[A-Za-z_][A-Za-z0-9_]*)\s*=\s*/gm, '$1='));
}

/**
 * The variables of a Bun or Deno process, each source overriding the last: wrangler.toml's vars for
 * the mode; in development `.dev.vars` (the local secrets `scripts/dev-vars.mjs` generates; never read
 * in production, whose secrets come from the environment); then the process environment.
 */
export function loadVars(
  root: string,
  processEnv: Record<string, string | undefined>,
  mode: PortableMode = 'development',
): Record<string, string> {
  const read = (name: string) => (existsSync(join(root, name)) ? readFileSync(join(root, name), 'utf8') : '');
  const fromProcess = Object.fromEntries(
    Object.entries(processEnv).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const local = mode === 'development' ? parseVarsFile(read('.dev.vars')) : {};
  return { ...wranglerVars(read('wrangler.toml'), mode), ...local, ...fromProcess };
}

/**
 * What production cannot start without, as `wrangler secret put` provides it on Workers: the token
 * signing key (32 characters or more) and the records' encryption key. Development has them from
 * `.dev.vars`. Returns what is missing, by name.
 */
export function missingProductionSecrets(vars: Record<string, string | undefined>): string[] {
  const missing: string[] = [];
  if ((vars.JWT_SECRET ?? '').length < 32) missing.push('JWT_SECRET (32 characters or more)');
  if (!vars.ENCRYPTION_KEY) missing.push('ENCRYPTION_KEY');
  return missing;
}

/**
 * Stops an entry on SIGTERM or SIGINT (a service manager, a container stop, Ctrl-C): its server stops
 * taking requests and finishes the ones in flight (at most `graceMs`: open sockets are then dropped, and
 * clients reconnect as after any network loss), then `stop` ends the pump and the cron and closes the
 * database, and the process exits 0.
 */
export function stopOnSignals(
  onSignal: (signal: string, handler: () => void) => void,
  stopServer: () => Promise<unknown>,
  runtime: Pick<PortableRuntime, 'stop'>,
  exit: (code: number) => void,
  graceMs = 10_000,
): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.race([stopServer(), new Promise((resolve) => setTimeout(resolve, graceMs))]);
    await runtime.stop();
    exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT']) onSignal(signal, () => void stop());
}

/** What a Bun or Deno entry serves and runs beside its HTTP server. */
export interface PortableRuntime {
  env: Env;
  deps: AppDeps;
  /** The same app the Worker serves; the entry passes each request with the connection's address. */
  fetch(request: Request, remoteAddress: string | null): Promise<Response>;
  port: number;
  /** The user hubs and video rooms the process holds. */
  sockets: SocketObjects;
  /**
   * Stops the queue pump and the cron, waits for a run still going, then closes the database. The entry
   * stops its server first, so no request is using it.
   */
  stop(): Promise<void>;
}

/**
 * Builds what a Bun or Deno entry serves: the SQLite database at DB_FILE (default
 * `.data/kinwell.sqlite`) with migrations applied (and `seedSql` run, when given), the portable
 * adapters (files in FILES_DIR or S3, jobs in the SQLite queue), the client address from the
 * connection, or from `X-Forwarded-For` behind TRUSTED_PROXIES proxies, the request ceiling counted in
 * memory, sockets held by the process (src/runtime/portable/sockets.ts) through the entry's `upgrade`,
 * the static assets of `public/` as wrangler's [assets] serves them (src/runtime/portable/assets.ts),
 * the queue pumped every second and the every-minute cron (also run once at start-up).
 */
export async function createPortableRuntime(options: {
  runtime: string;
  openSqlite: (path: string) => SqliteDriver;
  root?: string;
  processEnv: Record<string, string | undefined>;
  upgrade: Upgrade;
  mode: PortableMode;
  seedSql?: string;
}): Promise<PortableRuntime> {
  const root = options.root ?? '.';
  const vars = loadVars(root, options.processEnv, options.mode);
  const missing = options.mode === 'production' ? missingProductionSecrets(vars) : [];
  if (missing.length) throw new Error(`Production needs these variables set: ${missing.join(', ')} (docs/runtimes.md)`);
  const log = createLogger({ requestId: `${options.runtime}-entry` });
  const info = (event: string, fields: Record<string, unknown> = {}) => log.log('info', event, fields);

  const dbFile = vars.DB_FILE || DEFAULT_DB_FILE;
  await nodeFileSystem.mkdir(resolve(root, dbFile, '..'));
  const db = sqliteD1(options.openSqlite(resolve(root, dbFile)));
  const migrationsDir = join(root, 'migrations');
  const applied = await applyMigrations(
    db,
    migrationsFromFiles(
      readdirSync(migrationsDir)
        .filter((name) => name.endsWith('.sql'))
        .map((name) => ({ name, sql: readFileSync(join(migrationsDir, name), 'utf8') })),
    ),
  );
  await ensureQueueTable(db);
  if (options.seedSql) await db.exec(options.seedSql);
  info('portable.database', { file: dbFile, migrationsApplied: applied.length, seeded: Boolean(options.seedSql) });

  const port = Number(vars.PORT || 8787);
  // As `npm run dev` does (scripts/lib/wrangler-dev.mjs): in development the API's own origin is this port.
  const publicUrl = vars.PUBLIC_URL || (vars.ENVIRONMENT === 'development' ? `http://localhost:${port}` : undefined);
  const env = { ...vars, PUBLIC_URL: publicUrl, DB: db } as unknown as Env;
  const addresses = new WeakMap<Request, string>();
  const trusted = vars.TRUSTED_PROXIES ? trustedProxyClientIp(Number(vars.TRUSTED_PROXIES)) : null;
  const clientIp: ClientIp = trusted ?? ((request) => addresses.get(request) ?? null);
  const ceilingPolicy = parseCeilingPolicy(vars.REQUEST_CEILING_POLICY ?? 'off');
  const ceiling = ceilingPolicy ? memoryRequestCeiling(ceilingPolicy, systemClock) : null;
  const sockets = socketObjects({ upgrade: options.upgrade, deps: () => deps, log });
  const deps: AppDeps = {
    clock: systemClock,
    random: randomBytes,
    fetch: (input, init) => fetch(input, init),
    adapters: portableAdapters({
      storage: storageFromVars(vars, nodeFileSystem),
      clock: systemClock,
      fetch: (input, init) => fetch(input, init),
      realtime: (env) => sockets.port(env),
    }),
    clientIp,
    requestCeiling: () => ceiling,
  };
  const app = createApp(deps);
  // wrangler.toml's [assets]: public/ (the console, the docs page's files), answered before the app.
  const assetsDir = resolve(root, 'public');
  const headersFile = join(assetsDir, '_headers');
  const assets = staticAssets({
    dir: assetsDir,
    readFile: (path) => nodeFileSystem.readFile(path),
    rules: parseHeadersFile(existsSync(headersFile) ? readFileSync(headersFile, 'utf8') : ''),
    cache: vars.ENVIRONMENT !== 'development',
  });
  const onError = (task: string) => (err: unknown) => log.log('error', `${task}.failed`, { error: String(err) });
  const schedulers: Scheduler[] = [
    startScheduler({ cron: '* * * * * *', run: () => pumpJobs(env, deps), onError: onError('queue.pump') }),
    startScheduler({
      cron: '* * * * *',
      run: () => {
        const rooms = sockets.sweep();
        if (rooms) info('realtime.rooms_forgotten', { rooms });
        return cronTick(env, deps);
      },
      onError: onError('cron'),
    }),
  ];
  // The first cron run at start-up, rather than up to a minute later.
  void schedulers[1]?.tick();
  const noCrash = onError('waitUntil');
  return {
    env,
    deps,
    port,
    sockets,
    async fetch(request, remoteAddress) {
      const asset = await assets(request);
      if (asset) return asset;
      if (remoteAddress) addresses.set(request, remoteAddress);
      const execution = {
        waitUntil: (task: Promise<unknown>) => void task.catch(noCrash),
        passThroughOnException: () => undefined,
        props: {},
      } as unknown as ExecutionContext;
      return app.fetch(request, env, execution);
    },
    stop: async () => {
      for (const scheduler of schedulers) scheduler.stop();
      await Promise.all(schedulers.map((scheduler) => scheduler.idle()));
      db.close();
      info('portable.stopped');
    },
  };
}
