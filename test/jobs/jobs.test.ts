import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createContext } from '../../src/context';
import { deadJobs, doses } from '../../src/db/schema';
import worker from '../../src/index';
import { CRON_TASKS, type CronTask, runCron } from '../../src/jobs/cron';
import { DEAD_LETTER_QUEUE, handleQueueBatch, retryDelaySeconds } from '../../src/jobs/queue';
import { fixedClock } from '../../src/lib/clock';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { db, testEnv, uniqueId } from '../helpers';

const message = (body: unknown, attempts = 1) => ({ id: uniqueId('m'), timestamp: new Date(), attempts, body });

describe('queue consumer', () => {
  it('Should deliver each job to its consumer and ack it; a failure retries with backoff', async () => {
    const delivered: unknown[] = [];
    const consumers = {
      'test.ok': async (_ctx: unknown, job: { payload: unknown }) => {
        delivered.push(job.payload);
      },
      'test.fail': async () => {
        throw new Error('provider down');
      },
    };
    const batch = createMessageBatch('kinwell-jobs', [
      message({ type: 'test.ok', payload: { n: 1 } }),
      message({ type: 'test.fail', payload: {} }, 3),
    ]);
    const ctx = createExecutionContext();
    const retry = vi.spyOn(batch.messages[1]!, 'retry');
    await handleQueueBatch(createContext(testEnv, cloudflareDeps, { requestId: 'q' }), batch, consumers);
    const result = await getQueueResult(batch, ctx);
    expect(delivered).toEqual([{ n: 1 }]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([{ msgId: batch.messages[1]!.id }]);
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 120 });
  });

  it('Should back off exponentially up to 15 minutes', () => {
    expect([1, 2, 3, 4, 10].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 900]);
  });

  it('Should record dead-lettered and unknown jobs once in dead_jobs and ack them', async () => {
    const dead = message({ type: 'notify.email', payload: { to: 'usr_1' } }, 6);
    const batch = createMessageBatch(DEAD_LETTER_QUEUE, [dead, dead]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(2);
    const rows = await db.select().from(deadJobs).where(eq(deadJobs.messageId, dead.id)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ queue: DEAD_LETTER_QUEUE, type: 'notify.email', attempts: 6 });

    const unknown = message({ type: 'no.such.job', payload: {} });
    const mainBatch = createMessageBatch('kinwell-jobs', [unknown]);
    await worker.queue(mainBatch, testEnv, ctx);
    expect((await getQueueResult(mainBatch, ctx)).explicitAcks).toEqual([unknown.id]);
    expect(await db.$count(deadJobs, eq(deadJobs.messageId, unknown.id))).toBe(1);
  });

  it('Should record a job whose type only an object prototype knows as unknown, not run it', async () => {
    const odd = message({ type: 'constructor', payload: {} });
    const batch = createMessageBatch('kinwell-jobs', [odd]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([odd.id]);
    expect(await db.$count(deadJobs, eq(deadJobs.messageId, odd.id))).toBe(1);
  });

  it('Should enqueue through the JOBS binding in batches', async () => {
    const ctx = createContext(testEnv, cloudflareDeps, { requestId: 'q' });
    await expect(
      ctx.ports.jobs.enqueue(Array.from({ length: 150 }, (_, i) => ({ type: 'test.ok', payload: { i } }))),
    ).resolves.toBeUndefined();
  });
});

describe('cron', () => {
  it('Should run every task and keep going when one fails', async () => {
    const ran: string[] = [];
    const tasks: CronTask[] = [
      {
        name: 'a',
        run: async () => {
          ran.push('a');
          return 2;
        },
      },
      { name: 'b', run: async () => Promise.reject(new Error('boom')) },
      {
        name: 'c',
        run: async () => {
          ran.push('c');
          return 0;
        },
      },
    ];
    const reports = await runCron(createContext(testEnv, cloudflareDeps, { requestId: 'c' }), tasks);
    expect(ran).toEqual(['a', 'c']);
    expect(reports).toEqual([
      { task: 'a', ok: true, count: 2 },
      { task: 'b', ok: false, count: 0 },
      { task: 'c', ok: true, count: 0 },
    ]);
  });

  it('Should be wired to the Worker scheduled handler', async () => {
    const log = vi.spyOn(console, 'log');
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('"msg":"cron.run"'));
  });
});

describe('cron: missed doses', () => {
  it('Should mark a pending dose missed once the grace period has passed, through the scheduled handler tasks', async () => {
    const clock = fixedClock('2026-06-10T12:00:00Z');
    const id = uniqueId('dos');
    const ownerId = uniqueId('usr');
    await db.insert(doses).values({
      id,
      scheduleId: uniqueId('sch'),
      ownerId,
      localDate: '2026-06-10',
      localTime: '08:00',
      scheduledAt: Date.parse('2026-06-10T08:00:00Z'),
      updatedAt: 0,
    });
    const reports = await runCron(
      createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'cron' }),
      CRON_TASKS,
    );
    expect(reports.find((r) => r.task === 'doses.mark-missed')).toMatchObject({ ok: true });
    expect((await db.select().from(doses).where(eq(doses.id, id)).get())?.status).toBe('missed');
  });
});
