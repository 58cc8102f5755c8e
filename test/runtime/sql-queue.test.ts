/// <reference types="vite/client" />
import { eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/context';
import { deadJobs } from '../../src/db/schema';
import type { JobConsumer } from '../../src/jobs/queue';
import { DEAD_LETTER_QUEUE, retryDelaySeconds } from '../../src/jobs/queue';
import { fixedClock } from '../../src/lib/clock';
import { createIds } from '../../src/lib/ids';
import { drainQueue, ensureQueueTable, sqlQueue } from '../../src/platform/sql-queue';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { JOBS_QUEUE, PORTABLE_QUEUES, pumpJobs } from '../../src/runtime/portable/jobs';
import wranglerToml from '../../wrangler.toml?raw';
import { db, testEnv, uniqueId } from '../helpers';

const DB = testEnv.DB;

async function rows(): Promise<{ id: string; queue: string; attempts: number; visible_at: number; body: string }[]> {
  return (await DB.prepare('SELECT * FROM queue_messages ORDER BY id').all<never>()).results;
}

/** A clock, the deps of a pump at that clock, and a producer writing to the jobs queue. */
function setup(start = '2026-03-29T10:00:00Z') {
  const clock = fixedClock(start);
  const deps: AppDeps = { ...cloudflareDeps, clock };
  const queue = sqlQueue(DB, JOBS_QUEUE, { clock, ids: createIds(clock, cloudflareDeps.random) });
  return { clock, deps, queue };
}

beforeAll(async () => {
  await ensureQueueTable(DB);
  await ensureQueueTable(DB); // idempotent
});

describe('the SQLite job queue', () => {
  it('Should mirror the consumer settings of wrangler.toml', () => {
    const consumers = wranglerToml
      .split(/\n\[+env\./)[0]!
      .split('[[queues.consumers]]')
      .slice(1);
    const settings = consumers.map((block) => ({
      name: block.match(/queue = "([^"]+)"/)![1],
      maxBatchSize: Number(block.match(/max_batch_size = (\d+)/)![1]),
      maxRetries: Number(block.match(/max_retries = (\d+)/)![1]),
      retryDelay: Number(block.match(/retry_delay = (\d+)/)![1]),
      ...(block.includes('dead_letter_queue')
        ? { deadLetterQueue: block.match(/dead_letter_queue = "([^"]+)"/)![1] }
        : {}),
    }));
    expect(settings).toEqual(PORTABLE_QUEUES);
  });

  it('Should deliver enqueued jobs to their consumer through handleQueueBatch and delete them once acked', async () => {
    const { deps, queue } = setup();
    const delivered: unknown[] = [];
    const consumers: Record<string, JobConsumer> = {
      'test.ok': async (ctx, job) => {
        delivered.push({ payload: job.payload, at: ctx.clock.now().toISOString() });
      },
    };
    await queue.enqueue([
      { type: 'test.ok', payload: { n: 1 } },
      { type: 'test.ok', payload: { n: 2 } },
    ]);
    expect((await rows()).map((r) => [r.queue, r.attempts])).toEqual([
      [JOBS_QUEUE, 0],
      [JOBS_QUEUE, 0],
    ]);

    expect(await pumpJobs(testEnv, deps, { consumers })).toBe(2);
    expect(delivered).toEqual([
      { payload: { n: 1 }, at: '2026-03-29T10:00:00.000Z' },
      { payload: { n: 2 }, at: '2026-03-29T10:00:00.000Z' },
    ]);
    expect(await rows()).toEqual([]);
    expect(await pumpJobs(testEnv, deps, { consumers })).toBe(0);
  });

  it('Should retry a failing job with the backoff it asked for, then dead-letter it after 5 retries', async () => {
    const { clock, deps, queue } = setup();
    const attempts: number[] = [];
    const consumers: Record<string, JobConsumer> = {
      'test.fail': async () => {
        attempts.push(attempts.length + 1);
        throw new Error('provider down');
      },
    };
    await queue.enqueue([{ type: 'test.fail', payload: { to: 'usr_x' } }]);
    const { id } = (await rows())[0]!;

    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await pumpJobs(testEnv, deps, { consumers })).toBe(1);
      const [row] = await rows();
      expect(row).toMatchObject({ queue: JOBS_QUEUE, attempts: attempt });
      // Not due a moment before its delay ends; due at it.
      expect(row!.visible_at - clock.now().getTime()).toBe(retryDelaySeconds(attempt) * 1000);
      clock.advance(retryDelaySeconds(attempt) * 1000 - 1);
      expect(await pumpJobs(testEnv, deps, { consumers })).toBe(0);
      clock.advance(1);
    }
    // The sixth delivery fails too: past max_retries, on to the dead-letter queue, whose consumer (the same
    // pump, the next queue) records it in dead_jobs.
    expect(await pumpJobs(testEnv, deps, { consumers })).toBe(2);
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await rows()).toEqual([]);
    const dead = await db.select().from(deadJobs).where(eq(deadJobs.messageId, id)).all();
    expect(dead).toMatchObject([
      { queue: DEAD_LETTER_QUEUE, type: 'test.fail', attempts: 1, body: { payload: { to: 'usr_x' } } },
    ]);
  });

  it('Should dead-letter a job of an unknown type at once, through the same handler as on Cloudflare', async () => {
    const { deps, queue } = setup();
    await queue.enqueue([{ type: `test.unknown-${uniqueId('t')}`, payload: {} }]);
    const { id } = (await rows())[0]!;
    await pumpJobs(testEnv, deps, { consumers: {} });
    expect(await rows()).toEqual([]);
    expect(
      await db
        .select()
        .from(deadJobs)
        .where(inArray(deadJobs.messageId, [id]))
        .all(),
    ).toHaveLength(1);
  });

  it('Should retry every message a throwing batch handler left undecided, and keep what it decided', async () => {
    const { clock, queue } = setup();
    const ids = createIds(clock, cloudflareDeps.random);
    await queue.enqueue([1, 2, 3].map((n) => ({ type: 'test.batch', payload: { n } })));
    const settings = { name: JOBS_QUEUE, maxBatchSize: 25, maxRetries: 5, retryDelay: 30 };
    await drainQueue(
      DB,
      settings,
      async (batch) => {
        expect(batch.queue).toBe(JOBS_QUEUE);
        expect(batch.messages.map((m) => [m.body, m.attempts])).toEqual(
          [1, 2, 3].map((n) => [{ type: 'test.batch', payload: { n } }, 1]),
        );
        batch.messages[0]!.ack();
        batch.messages[1]!.retry({ delaySeconds: 5 });
        throw new Error('crashed');
      },
      { clock, ids },
    );
    const now = clock.now().getTime();
    expect((await rows()).map((r) => [JSON.parse(r.body).payload.n, r.visible_at - now])).toEqual([
      [2, 5000],
      [3, 30_000],
    ]);
    clock.advance(30_000);
    await drainQueue(DB, settings, async (batch) => batch.ackAll(), { clock, ids });
    expect(await rows()).toEqual([]);
  });

  it('Should claim at most 25 messages a batch and never deliver one message to two pumps', async () => {
    const { clock, queue } = setup();
    await queue.enqueue(Array.from({ length: 30 }, (_, n) => ({ type: 'test.many', payload: { n } })));
    const seen: string[] = [];
    const sizes: number[] = [];
    const pump = () =>
      drainQueue(
        DB,
        PORTABLE_QUEUES[0]!,
        async (batch) => {
          sizes.push(batch.messages.length);
          for (const m of batch.messages) seen.push(m.id);
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
        { clock, ids: createIds(clock, cloudflareDeps.random) },
      );
    await Promise.all([pump(), pump(), pump()]);
    expect(sizes.sort((a, b) => b - a)).toEqual([25, 5, 0].filter(Boolean));
    expect(new Set(seen).size).toBe(30);
    expect(seen).toHaveLength(30);
    expect(await rows()).toEqual([]);
  });

  it('Should deliver a claimed message again once its lease ends (its pump died)', async () => {
    const { clock, queue } = setup();
    const ids = createIds(clock, cloudflareDeps.random);
    await queue.enqueue([{ type: 'test.lease', payload: {} }]);
    const settings = PORTABLE_QUEUES[0]!;
    // A pump that claims and never settles: its claim still hides the message.
    await DB.prepare('UPDATE queue_messages SET visible_at = ?, attempts = 1, claim = ?')
      .bind(clock.now().getTime() + 5 * 60_000, 'dead-pump')
      .run();
    expect(await drainQueue(DB, settings, async () => {}, { clock, ids })).toBe(0);
    clock.advance(5 * 60_000);
    const attempts: number[] = [];
    await drainQueue(DB, settings, async (batch) => void attempts.push(batch.messages[0]!.attempts), { clock, ids });
    expect(attempts).toEqual([2]);
    expect(await rows()).toEqual([]);
  });

  it('Should ignore the decisions of a pump whose lease ended while another pump took the message', async () => {
    const { clock, queue } = setup();
    const ids = createIds(clock, cloudflareDeps.random);
    const settings = PORTABLE_QUEUES[0]!;
    await queue.enqueue([{ type: 'test.slow', payload: {} }]);
    const seen: number[] = [];
    await drainQueue(
      DB,
      settings,
      async (batch) => {
        seen.push(batch.messages[0]!.attempts);
        // This pump is slow: its lease ends, a second pump delivers the message and retries it.
        clock.advance(5 * 60_000);
        await drainQueue(
          DB,
          settings,
          async (again) => {
            seen.push(again.messages[0]!.attempts);
            again.retryAll({ delaySeconds: 60 });
          },
          { clock, ids },
        );
        // The slow pump's ack comes too late: the message stays, as the second pump decided.
        batch.messages[0]!.ack();
      },
      { clock, ids },
    );
    expect(seen).toEqual([1, 2]);
    expect(await rows()).toMatchObject([{ attempts: 2, visible_at: clock.now().getTime() + 60_000 }]);
    await DB.prepare('DELETE FROM queue_messages').run();
  });
});
