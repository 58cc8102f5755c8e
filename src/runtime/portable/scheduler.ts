import { Cron } from 'croner';

export interface Scheduler {
  /** Runs the task now, as a tick does; answers false when it was skipped (a run still going). */
  tick(): Promise<boolean>;
  /** When the next tick after `after` (default now) fires; null once stopped. */
  nextRun(after?: Date): Date | null;
  stop(): void;
  /** Resolves once no run is going (at once when none is). */
  idle(): Promise<void>;
}

/**
 * Fires `run` on a cron pattern (croner; UTC, like Cloudflare's cron triggers), never two runs at
 * once: a tick that finds the previous run still going is skipped. A failing run is reported to
 * `onError` and the schedule goes on. Bun and Deno fire the every-minute cron with it
 * (`cron: '* * * * *'`, `run: () => cronTick(env, deps)`) and pump the queue every few seconds
 * (`cron: '*\/2 * * * * *'`, croner's seconds field, `run: () => pumpJobs(env, deps)`).
 */
export function startScheduler(options: {
  cron: string;
  run: () => Promise<unknown>;
  onError?: (err: unknown) => void;
}): Scheduler {
  let running: Promise<void> | null = null;
  const tick = async () => {
    if (running) return false;
    running = (async () => {
      try {
        await options.run();
      } catch (err) {
        options.onError?.(err);
      }
    })();
    await running;
    running = null;
    return true;
  };
  const job = new Cron(options.cron, { timezone: 'UTC', protect: true }, async () => {
    await tick();
  });
  return {
    tick,
    nextRun: (after) => (job.isStopped() ? null : job.nextRun(after)),
    stop: () => job.stop(),
    idle: async () => {
      await running;
    },
  };
}
