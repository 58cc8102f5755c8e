import type { Clock } from '../lib/clock';
import type { IdGenerator } from '../lib/ids';
import type { JobQueue } from './jobs';

/**
 * A job queue in SQLite (through any D1-compatible database: D1 itself, or the runtime's adapter over
 * bun:sqlite / node:sqlite), with the semantics Cloudflare Queues give the consumers of src/jobs/queue.ts:
 * batches of at most `maxBatchSize`, `attempts` counted from 1, ack and retry per message (a retry waits
 * the delay the consumer asked for, else `retryDelay`), and after `maxRetries` retries the message moves
 * to the dead-letter queue (or is dropped when the queue has none). Delivery is at least once: a claimed
 * message whose pump died reappears once its lease ends.
 *
 * The table is the runtime's own infrastructure (as wrangler keeps its `d1_migrations`), created by
 * {@link ensureQueueTable}, not a drizzle migration.
 */

/** One queue's consumer settings: the values of its `[[queues.consumers]]` entry in wrangler.toml. */
export interface QueueSettings {
  name: string;
  maxBatchSize: number;
  maxRetries: number;
  /** Seconds a retried message waits when the consumer named no delay. */
  retryDelay: number;
  deadLetterQueue?: string;
}

export interface SqlQueueDeps {
  clock: Clock;
  ids: IdGenerator;
}

/** How long a claimed batch stays hidden from other pumps before it is delivered again (ms). */
export const CLAIM_LEASE_MS = 5 * 60_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS queue_messages (
    id TEXT PRIMARY KEY NOT NULL,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    claim TEXT,
    created_at INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS queue_messages_due ON queue_messages (queue, visible_at)',
];

/** Creates the queue's table when it is missing (idempotent; call once at start-up). */
export async function ensureQueueTable(db: D1Database): Promise<void> {
  await db.batch(SCHEMA.map((sql) => db.prepare(sql)));
}

/** A JobQueue writing to `queue` (the producer side of `sqlQueue`): each job is one message row. */
export function sqlQueue(db: D1Database, queue: string, deps: SqlQueueDeps): JobQueue {
  return {
    async enqueue(jobs) {
      if (!jobs.length) return;
      const now = deps.clock.now().getTime();
      const insert = db.prepare(
        'INSERT INTO queue_messages (id, queue, body, attempts, visible_at, created_at) VALUES (?, ?, ?, 0, ?, ?)',
      );
      await db.batch(jobs.map((job) => insert.bind(deps.ids.id('msg'), queue, JSON.stringify(job), now, now)));
    },
  };
}

interface ClaimedRow {
  id: string;
  body: string;
  attempts: number;
  created_at: number;
}

type Outcome = { kind: 'ack' } | { kind: 'retry'; delaySeconds?: number };

/**
 * Claims up to `maxBatchSize` due messages of one queue, hands them to `handle` as a `MessageBatch`,
 * then applies what it decided: acked messages are deleted, retried ones wait their delay (or move to the
 * dead-letter queue past `maxRetries`). Messages neither acked nor retried are acked when `handle`
 * returns and retried when it throws, as on Cloudflare. The claim is one UPDATE … RETURNING, so two
 * pumps never deliver the same message at once. Answers the number of messages delivered.
 */
export async function drainQueue(
  db: D1Database,
  settings: QueueSettings,
  handle: (batch: MessageBatch<unknown>) => Promise<void>,
  deps: SqlQueueDeps,
): Promise<number> {
  const now = deps.clock.now().getTime();
  const claim = deps.ids.token(16);
  const { results } = await db
    .prepare(
      `UPDATE queue_messages SET attempts = attempts + 1, visible_at = ?1, claim = ?2
       WHERE visible_at <= ?3 AND queue = ?4 AND id IN (
         SELECT id FROM queue_messages WHERE queue = ?4 AND visible_at <= ?3 ORDER BY visible_at, id LIMIT ?5
       )
       RETURNING id, body, attempts, created_at`,
    )
    .bind(now + CLAIM_LEASE_MS, claim, now, settings.name, settings.maxBatchSize)
    .all<ClaimedRow>();
  if (!results.length) return 0;
  const rows = [...results].sort((a, b) => (a.id < b.id ? -1 : 1));

  const outcomes = new Map<string, Outcome>();
  const decide = (id: string, outcome: Outcome) => {
    if (!outcomes.has(id)) outcomes.set(id, outcome);
  };
  const messages: Message<unknown>[] = rows.map((row) => ({
    id: row.id,
    timestamp: new Date(row.created_at),
    body: JSON.parse(row.body),
    attempts: row.attempts,
    ack: () => decide(row.id, { kind: 'ack' }),
    retry: (options) => decide(row.id, { kind: 'retry', delaySeconds: options?.delaySeconds }),
  }));
  const batch: MessageBatch<unknown> = {
    queue: settings.name,
    messages,
    metadata: { metrics: { backlogCount: rows.length, backlogBytes: 0 } },
    ackAll: () => {
      for (const row of rows) decide(row.id, { kind: 'ack' });
    },
    retryAll: (options) => {
      for (const row of rows) decide(row.id, { kind: 'retry', delaySeconds: options?.delaySeconds });
    },
  };
  let fallback: Outcome = { kind: 'ack' };
  try {
    await handle(batch);
  } catch {
    fallback = { kind: 'retry' };
  }

  const after = deps.clock.now().getTime();
  const statements = rows.map((row) => {
    const outcome = outcomes.get(row.id) ?? fallback;
    const mine = 'WHERE id = ? AND claim = ?';
    if (outcome.kind === 'ack') return db.prepare(`DELETE FROM queue_messages ${mine}`).bind(row.id, claim);
    if (row.attempts > settings.maxRetries) {
      // Out of retries: on to the dead-letter queue, delivered there from its first attempt.
      return settings.deadLetterQueue
        ? db
            .prepare(`UPDATE queue_messages SET queue = ?, attempts = 0, visible_at = ?, claim = NULL ${mine}`)
            .bind(settings.deadLetterQueue, after, row.id, claim)
        : db.prepare(`DELETE FROM queue_messages ${mine}`).bind(row.id, claim);
    }
    const delay = (outcome.delaySeconds ?? settings.retryDelay) * 1000;
    return db
      .prepare(`UPDATE queue_messages SET visible_at = ?, claim = NULL ${mine}`)
      .bind(after + delay, row.id, claim);
  });
  await db.batch(statements);
  return rows.length;
}

/**
 * Drains every queue until none has a due message (or `maxBatches` batches ran): what a pump calls on
 * each tick. Answers the number of messages delivered.
 */
export async function drainQueues(
  db: D1Database,
  queues: QueueSettings[],
  handle: (batch: MessageBatch<unknown>) => Promise<void>,
  deps: SqlQueueDeps & { maxBatches?: number },
): Promise<number> {
  let delivered = 0;
  for (let round = 0; round < (deps.maxBatches ?? 40); round++) {
    let thisRound = 0;
    for (const queue of queues) thisRound += await drainQueue(db, queue, handle, deps);
    if (!thisRound) break;
    delivered += thisRound;
  }
  return delivered;
}
