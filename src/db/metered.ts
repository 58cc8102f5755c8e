/**
 * The DB port's meter: every call that leaves the Worker for D1 (`first`, `all`, `run`, `raw`, `batch`,
 * `exec`) passes through it. It counts sequential round trips and folds a pending access gate (the
 * guard's session read) into the first call of the unit of work, so a signed-in read costs one round
 * trip instead of two.
 *
 * A round trip is counted when a call starts while no other call of the same unit of work is in
 * flight: calls issued together (`Promise.all`, the gate beside the first read) are one round trip,
 * calls that wait for each other are several. That is the figure a far-away client pays in latency.
 */

/** A gate that must pass before the unit of work may see data or change anything. */
export interface D1Gate {
  /**
   * One statement that answers a row when the caller may act and fails (an SQL error) when not, so
   * that placed first in a write batch it rolls the whole batch back.
   */
  statement(d1: D1Database): D1PreparedStatement;
  /** Called with the row the statement answered. */
  passed(row: Record<string, unknown>): void;
  /**
   * Called when a call carrying the gate failed: throws the caller's precise refusal when the gate is
   * what failed, or returns normally when the gate would pass (the failure was the call's own).
   */
  refused(d1: D1Database): Promise<void>;
}

const WRITE_SQL = /\b(insert|update|delete|replace|create|drop|alter)\b/i;

/** Whether a statement may change the database (conservative: anything not clearly a read is a write). */
export function isWriteSql(sql: string): boolean {
  const head = sql.trimStart().slice(0, 6).toLowerCase();
  if (head === 'select') return false;
  if (head.startsWith('with')) return WRITE_SQL.test(sql);
  return true;
}

/** Counts round trips and holds the gate of one unit of work (a request, a socket frame, a job). */
export class D1Meter {
  /** Sequential round trips so far. */
  roundTrips = 0;
  private inFlight = 0;
  private gate: D1Gate | null = null;
  private settling: Promise<void> | null = null;

  /** Arms a gate: the next call carries it (reads beside it, writes behind it in one batch). */
  arm(gate: D1Gate): void {
    this.gate = gate;
  }

  /** Whether a gate is armed and has not been checked yet. */
  get pending(): boolean {
    return this.gate !== null;
  }

  /**
   * Checks a pending gate on its own (one round trip), for work that reaches no table, or before a side
   * effect outside D1 (a file write, an outbound call). Resolves at once when nothing is pending.
   */
  settle(d1: D1Database): Promise<void> {
    const gate = this.gate;
    if (gate) {
      this.gate = null;
      this.settling = this.verdict(
        d1,
        gate,
        this.track(() => gate.statement(d1).first<Record<string, unknown>>()),
      );
    }
    return this.settling ?? Promise.resolve();
  }

  /** Runs one call to D1, counted, with the pending gate folded in. */
  async call<T>(
    d1: D1Database,
    call: {
      statements: D1PreparedStatement[];
      write: boolean;
      run: () => Promise<T>;
      gated: (results: D1Result[]) => T;
    },
  ): Promise<T> {
    const { statements, write, run } = call;
    const gate = this.gate;
    if (gate && write && statements.length) {
      // A write goes out behind the gate in one batch (one transaction): a refused gate rolls it back.
      this.gate = null;
      const guarded = this.track(() => d1.batch([gate.statement(d1), ...statements]));
      this.settling = this.verdict(
        d1,
        gate,
        guarded.then((results) => (results[0]?.results?.[0] as Record<string, unknown> | undefined) ?? null),
      );
      await this.settling;
      return call.gated((await guarded).slice(1));
    }
    // A read goes out beside the gate (or beside reads already waiting for it); its answer is handed
    // over only once the gate has passed. A write waits for the gate's verdict before it leaves.
    if (gate) this.settle(d1);
    if (write && this.settling) await this.settling;
    const result = this.track(run);
    if (this.settling) {
      try {
        await this.settling;
      } catch (err) {
        result.catch(() => undefined);
        throw err;
      }
    }
    return result;
  }

  /** Resolves when the gate passed; rejects with the caller's refusal when it did not. */
  private verdict(d1: D1Database, gate: D1Gate, check: Promise<Record<string, unknown> | null>): Promise<void> {
    return check.then(
      (row) => gate.passed(row ?? {}),
      async () => {
        await gate.refused(d1);
        gate.passed({});
      },
    );
  }

  private track<T>(run: () => Promise<T>): Promise<T> {
    if (this.inFlight === 0) this.roundTrips += 1;
    this.inFlight += 1;
    let promise: Promise<T>;
    try {
      promise = run();
    } catch (err) {
      promise = Promise.reject(err);
    }
    return promise.finally(() => {
      this.inFlight -= 1;
    });
  }
}

type Mode = 'first' | 'all' | 'run' | 'raw';

/** What a single statement's call answers when it was sent inside a batch (the gate's). */
function fromBatch(mode: Mode, result: D1Result, column?: string): unknown {
  const rows = (result.results ?? []) as Record<string, unknown>[];
  switch (mode) {
    case 'all':
    case 'run':
      return result;
    case 'first': {
      const row = rows[0] ?? null;
      return column && row ? row[column] : row;
    }
    case 'raw':
      return rows.map((row) => Object.values(row));
  }
}

class MeteredStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly sql: string,
    private readonly d1: D1Database,
    private readonly meter: D1Meter,
  ) {}

  bind(...values: unknown[]): MeteredStatement {
    return new MeteredStatement(this.inner.bind(...values), this.sql, this.d1, this.meter);
  }

  private single<T>(mode: Mode, run: () => Promise<T>, column?: string): Promise<T> {
    return this.meter.call(this.d1, {
      statements: [this.inner],
      write: isWriteSql(this.sql),
      run,
      gated: (results) => fromBatch(mode, results[0]!, column) as T,
    });
  }

  first<T = unknown>(column?: string): Promise<T | null> {
    return this.single('first', () => (column ? this.inner.first<T>(column) : this.inner.first<T>()), column);
  }

  all<T = unknown>(): Promise<D1Result<T>> {
    return this.single('all', () => this.inner.all<T>());
  }

  run<T = unknown>(): Promise<D1Result<T>> {
    return this.single('run', () => this.inner.run<T>());
  }

  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    // drizzle never asks for column names; a gated write answers rows without them.
    return this.single('raw', () => this.inner.raw<T>(options as { columnNames: true }) as Promise<T[]>);
  }
}

/**
 * A D1 database whose every call is counted by `meter` and carries its pending gate. Statements it
 * prepares may only be used with it (its `batch` unwraps them).
 */
export function meteredD1(d1: D1Database, meter: D1Meter): D1Database {
  const metered = {
    prepare(sql: string) {
      return new MeteredStatement(d1.prepare(sql), sql, d1, meter) as unknown as D1PreparedStatement;
    },
    batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const inner = statements.map((s) => (s instanceof MeteredStatement ? s.inner : s));
      const write = statements.some((s) => !(s instanceof MeteredStatement) || isWriteSql(s.sql));
      return meter.call(d1, {
        statements: inner,
        write,
        run: () => d1.batch<T>(inner),
        gated: (results) => results as D1Result<T>[],
      });
    },
    exec(sql: string) {
      return meter.call(d1, {
        statements: [],
        write: true,
        run: () => d1.exec(sql),
        gated: () => ({ count: 0, duration: 0 }),
      });
    },
    dump() {
      return d1.dump();
    },
    withSession(constraint?: string) {
      return d1.withSession(constraint as never);
    },
  };
  return metered as unknown as D1Database;
}
