import { createDb, type Db } from './db/client';
import type { AdminSubRole, Role, UserStatus } from './db/schema';
import type { Env } from './env';
import { type Clock, systemClock } from './lib/clock';
import { createIds, type IdGenerator, randomBytes } from './lib/ids';
import { createLogger, type Logger } from './lib/log';
import { createPorts, type Ports } from './platform/ports';

/** The authenticated caller, resolved once per request by the access guard. */
export interface Actor {
  id: string;
  role: Role;
  subRoles: AdminSubRole[];
  status: UserStatus;
  /** Session the access token belongs to. */
  sessionId: string | null;
}

/**
 * What every service receives: `{ ctx, input }`. The same context is built for HTTP requests, cron
 * runs, queue batches and Durable Objects, so services never see Hono.
 */
export interface ServiceContext {
  env: Env;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  ports: Ports;
  requestId: string;
  ip: string | null;
  actor: Actor | null;
  /** Per-unit-of-work memo (e.g. system settings read once per request). */
  cache: Map<string, unknown>;
}

/** The seams a test (or another runtime) replaces: time, randomness and outbound HTTP. */
export interface AppDeps {
  clock: Clock;
  random: (bytes: number) => Uint8Array;
  fetch: typeof fetch;
}

export const defaultDeps: AppDeps = {
  clock: systemClock,
  random: randomBytes,
  fetch: (input, init) => fetch(input, init),
};

/** Builds a service context for one unit of work (a request, a cron tick, a queue batch). */
export function createContext(
  env: Env,
  deps: AppDeps,
  origin: { requestId: string; ip?: string | null; actor?: Actor | null },
): ServiceContext {
  const db = createDb(env.DB);
  const ids = createIds(deps.clock, deps.random);
  const log = createLogger({ requestId: origin.requestId });
  return {
    env,
    db,
    clock: deps.clock,
    ids,
    log,
    ports: createPorts({ env, db, clock: deps.clock, ids, log, fetch: deps.fetch }),
    requestId: origin.requestId,
    ip: origin.ip ?? null,
    actor: origin.actor ?? null,
    cache: new Map(),
  };
}
