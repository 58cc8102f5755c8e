import { createDb, type Db } from './db/client';
import { D1Meter, meteredD1 } from './db/metered';
import type { AdminSubRole, Role, UserStatus } from './db/schema';
import type { Env } from './env';
import type { Clock } from './lib/clock';
import { createIds, type IdGenerator } from './lib/ids';
import { createLogger, type Logger } from './lib/log';
import type { ClientIp } from './platform/client-ip';
import { createPorts, type PortAdapters, type Ports } from './platform/ports';
import type { RequestCeilingAdapter } from './platform/request-ceiling';

/** The authenticated caller, resolved once per request by the access guard. */
export interface Actor {
  id: string;
  role: Role;
  subRoles: AdminSubRole[];
  status: UserStatus;
  /** Session the access token belongs to. */
  sessionId: string | null;
  /**
   * The profile's preferred language (BCP 47), once the session check read it (null: none set); API
   * messages follow it (src/lib/i18n).
   */
  language?: string | null;
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
  /**
   * The same database through D1's Sessions API (`first-unconstrained`): a read replica near the client
   * may answer. Only public reads (directory, doctor profiles, slots) use it: a signed-in user must
   * always read their own writes, which only the primary guarantees. Counted by the same meter.
   */
  replica: Db;
  /** Counts this unit of work's sequential D1 round trips and carries the guard's pending session check. */
  meter: D1Meter;
  /**
   * Resolves once the caller's session is proven (at once when it already is, or there is no caller);
   * rejects with the refusal. Ports call it before any side effect outside D1.
   */
  settle(): Promise<void>;
  /**
   * Runs `task` after the response (the runtime's waitUntil), off the request's critical path: socket
   * pushes and notices. A failure is logged, never thrown at the caller.
   */
  defer(task: Promise<unknown>): void;
}

/**
 * The context of a signed-in caller: what every service acting for someone takes, so it reads
 * `ctx.actor.id` with no null check. Only the HTTP guard (src/http/guard.ts), the socket hub
 * (src/realtime/user-hub.ts) and the video rooms (src/realtime/video-room.ts) produce it, after authenticating the caller and applying the route's
 * policy (src/access/policy.ts `assertAllowed`).
 */
export interface AuthedContext extends ServiceContext {
  actor: Actor;
}

/** `ctx` acting for `actor` (the same object, its `actor` set): for the guard, the hub and tests. */
export function withActor(ctx: ServiceContext, actor: Actor): AuthedContext {
  ctx.actor = actor;
  return ctx as AuthedContext;
}

/**
 * What the entry point hands the app: the seams a test replaces (time, randomness, outbound HTTP) and
 * the runtime's own parts. The Worker's are `cloudflareDeps` (src/runtime/cloudflare.ts).
 */
export interface AppDeps {
  clock: Clock;
  random: (bytes: number) => Uint8Array;
  fetch: typeof fetch;
  /** Storage, queue and socket pushes over the runtime's bindings. */
  adapters: PortAdapters;
  /** The client's address of a request (src/platform/client-ip.ts); null when it cannot be told. */
  clientIp: ClientIp;
  /**
   * The per-address request ceiling for a request's env (src/platform/request-ceiling.ts): Cloudflare's
   * rate-limiting binding on Workers, a counter in memory elsewhere; null answers none.
   */
  requestCeiling: RequestCeilingAdapter;
}

/** Builds a service context for one unit of work (a request, a cron tick, a queue batch). */
export function createContext(
  env: Env,
  deps: AppDeps,
  origin: {
    requestId: string;
    ip?: string | null;
    actor?: Actor | null;
    /** The runtime's waitUntil for this unit of work; without one, deferred tasks just run. */
    waitUntil?: (task: Promise<unknown>) => void;
  },
): ServiceContext {
  const meter = new D1Meter();
  const db = createDb(meteredD1(env.DB, meter));
  const ids = createIds(deps.clock, deps.random);
  const log = createLogger({ requestId: origin.requestId });
  const settle = () => meter.settle(env.DB);
  let replica: Db | undefined;
  return {
    env,
    db,
    clock: deps.clock,
    ids,
    log,
    ports: settledPorts(
      // The outbox stands in for the mail, SMS and push providers' HTTP APIs: its writes go unmetered, as a
      // provider call would, so a request's round-trip count is the one it has in production.
      createPorts({
        env,
        db: createDb(env.DB),
        clock: deps.clock,
        ids,
        log,
        fetch: deps.fetch,
        adapters: deps.adapters,
      }),
      settle,
    ),
    requestId: origin.requestId,
    ip: origin.ip ?? null,
    actor: origin.actor ?? null,
    cache: new Map(),
    get replica() {
      replica ??= createDb(meteredD1(sessionOf(env.DB), meter));
      return replica;
    },
    meter,
    settle,
    defer(task) {
      const logged = task.catch((err) =>
        log.log('warn', 'deferred task failed', { error: err instanceof Error ? err.message : String(err) }),
      );
      origin.waitUntil?.(logged);
    },
  };
}

/** A Sessions API session of `d1` that may be served by a replica, with the calls the DB port makes. */
function sessionOf(d1: D1Database): D1Database {
  const session = d1.withSession('first-unconstrained');
  return { prepare: (sql) => session.prepare(sql), batch: (statements) => session.batch(statements) } as D1Database;
}

/**
 * The unit of work reading from `ctx.replica`: for public routes whose answer may lag the primary by
 * a moment (a directory, a profile, free slots; a booking re-checks on the primary).
 */
export function onReplica(ctx: ServiceContext): ServiceContext {
  return { ...ctx, db: ctx.replica };
}

/** Every port method first waits for the caller's session to be proven, so no side effect escapes a refusal. */
function settledPorts(ports: Ports, settle: () => Promise<void>): Ports {
  const wrap = <T extends object>(port: T): T =>
    new Proxy(port, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await settle();
          return value.apply(target, args);
        };
      },
    });
  return {
    mailer: wrap(ports.mailer),
    sms: wrap(ports.sms),
    voice: wrap(ports.voice),
    push: wrap(ports.push),
    payments: wrap(ports.payments),
    storage: wrap(ports.storage),
    jobs: wrap(ports.jobs),
    realtime: ports.realtime,
    fetch: async (input, init) => {
      await settle();
      return ports.fetch(input, init);
    },
    ai: ports.ai ? wrap(ports.ai) : null,
  };
}
