import { afterEach, describe, expect, it } from 'vitest';
import { type AppDeps, createContext } from '../../src/context';
import type { CronTask } from '../../src/jobs/cron';
import { fixedClock } from '../../src/lib/clock';
import { ensureQueueTable } from '../../src/platform/sql-queue';
import { cloudflareAdapters, cloudflareDeps } from '../../src/runtime/cloudflare';
import { DEFAULT_FILES_DIR, portableAdapters, storageFromVars } from '../../src/runtime/portable/adapters';
import { cronTick, pumpJobs } from '../../src/runtime/portable/jobs';
import { nodeFileSystem } from '../../src/runtime/portable/node-fs';
import { type Scheduler, startScheduler } from '../../src/runtime/portable/scheduler';
import { testEnv } from '../helpers';

const started: Scheduler[] = [];
const schedule = (options: Parameters<typeof startScheduler>[0]) => {
  const scheduler = startScheduler(options);
  started.push(scheduler);
  return scheduler;
};
afterEach(() => {
  for (const scheduler of started.splice(0)) scheduler.stop();
});

describe('the scheduler', () => {
  it('Should fire every minute on the minute (UTC), and every two seconds for the pump', () => {
    const cron = schedule({ cron: '* * * * *', run: async () => {} });
    expect(cron.nextRun(new Date('2026-03-29T10:00:30.500Z'))).toEqual(new Date('2026-03-29T10:01:00Z'));
    expect(cron.nextRun(new Date('2026-03-29T10:01:00Z'))).toEqual(new Date('2026-03-29T10:02:00Z'));
    const pump = schedule({ cron: '*/2 * * * * *', run: async () => {} });
    expect(pump.nextRun(new Date('2026-03-29T10:00:01Z'))).toEqual(new Date('2026-03-29T10:00:02Z'));
    pump.stop();
    expect(pump.nextRun()).toBeNull();
  });

  it('Should run the task on a tick, skip a tick while a run is going, and go on after a failure', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    let release = () => {};
    const scheduler = schedule({
      cron: '* * * * *',
      run: () => {
        runs++;
        if (runs === 1) return new Promise<void>((resolve) => (release = resolve));
        return Promise.reject(new Error('database locked'));
      },
      onError: (err) => errors.push(err),
    });
    const first = scheduler.tick();
    expect(await scheduler.tick()).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(await scheduler.tick()).toBe(true);
    expect(runs).toBe(2);
    expect(errors).toEqual([new Error('database locked')]);
    expect(await scheduler.tick()).toBe(true);
  });

  it('Should tell when no run is going (idle), so a stop can wait for the last one', async () => {
    let release = () => {};
    const scheduler = schedule({ cron: '* * * * *', run: () => new Promise<void>((resolve) => (release = resolve)) });
    await scheduler.idle();
    const run = scheduler.tick();
    let idle = false;
    const waiting = scheduler.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(idle).toBe(true);
    expect(await run).toBe(true);
  });

  it('Should fire the same cron handler as the Worker: runCron over a context of its own', async () => {
    const ran: string[] = [];
    const tasks: CronTask[] = [
      {
        name: 'test.a',
        run: async (ctx) => {
          ran.push(ctx.clock.now().toISOString());
          return 1;
        },
      },
      { name: 'test.b', run: () => Promise.reject(new Error('down')) },
    ];
    const deps: AppDeps = { ...cloudflareDeps, clock: fixedClock('2026-03-29T10:00:00Z') };
    expect(await cronTick(testEnv, deps, tasks)).toEqual([
      { task: 'test.a', ok: true, count: 1 },
      { task: 'test.b', ok: false, count: 0 },
    ]);
    expect(ran).toEqual(['2026-03-29T10:00:00.000Z']);
  });
});

describe('portable adapters', () => {
  it('Should pick S3 when all its variables are set, else the files folder', () => {
    const s3 = {
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'files',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 's',
    };
    expect(storageFromVars(s3, nodeFileSystem)).toEqual({
      kind: 's3',
      s3: { endpoint: 'http://minio:9000', bucket: 'files', accessKeyId: 'a', secretAccessKey: 's', region: undefined },
    });
    expect(storageFromVars({ ...s3, S3_SECRET_ACCESS_KEY: '' }, nodeFileSystem)).toMatchObject({
      kind: 'fs',
      dir: DEFAULT_FILES_DIR,
    });
    expect(storageFromVars({ FILES_DIR: '/var/lib/kinwell' }, nodeFileSystem)).toMatchObject({
      kind: 'fs',
      dir: '/var/lib/kinwell',
    });
  });

  it('Should send jobs to the SQLite queue, whose pump delivers them to the real consumers', async () => {
    await ensureQueueTable(testEnv.DB);
    const clock = fixedClock('2026-03-29T10:00:00Z');
    const adapters = portableAdapters({
      storage: { kind: 'fs', dir: `/tmp/kinwell-${crypto.randomUUID()}`, fs: nodeFileSystem },
      clock,
      fetch: cloudflareDeps.fetch,
      realtime: (env, deps) => cloudflareAdapters(env, deps).realtime,
    });
    const deps: AppDeps = { ...cloudflareDeps, clock, adapters };
    const ctx = createContext(testEnv, deps, { requestId: 'req_portable' });
    const stored = await ctx.ports.storage.put('content', new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31]));
    expect(stored.contentType).toBe('application/pdf');
    expect((await ctx.ports.storage.get(stored.key))?.size).toBe(6);

    const delivered: unknown[] = [];
    await ctx.ports.jobs.enqueue([{ type: 'test.portable', payload: { key: stored.key } }]);
    const queued = await testEnv.DB.prepare('SELECT queue FROM queue_messages').all<{ queue: string }>();
    expect(queued.results.map((r) => r.queue)).toEqual(['kinwell-jobs']);
    const consumers = {
      'test.portable': async (_ctx: unknown, job: { payload: unknown }) => void delivered.push(job.payload),
    };
    expect(await pumpJobs(testEnv, deps, { consumers })).toBe(1);
    expect(delivered).toEqual([{ key: stored.key }]);
    expect(await testEnv.DB.prepare('SELECT count(*) AS n FROM queue_messages').first('n')).toBe(0);
  });
});
