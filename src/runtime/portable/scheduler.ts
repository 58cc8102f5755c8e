import { Cron } from 'croner';

export interface Scheduler {
  /** Runs the task now, as a tick would (skipped while a run is still going). */
  trigger(): Promise<void>;
  /** When the next tick fires (null once stopped). */
  nextRun(): Date | null;
  stop(): void;
}

/**
 * Fires `run` on a cron pattern (croner; UTC, like Cloudflare's cron triggers), never two runs at
 * once: a tick that finds the previous run still going is skipped. A failing run is reported to
 * `onError` and the schedule goes on. Bun and Deno fire the every-minute cron with it
 * (`cron: '* * * * *'`, `run: () => cronTick(env, deps)`) and pump the queue every few seconds
 * (`cron: '*\/2 * * * * *'`, croner's seconds field).
 */
export function startScheduler(options: {
  cron: string;
  run: () => Promise<unknown>;
  onError?: (err: unknown) => void;
}): Scheduler {
  const job = new Cron(
    options.cron,
    { timezone: 'UTC', protect: true, catch: (err) => options.onError?.(err) },
    async () => {
      await options.run();
    },
  );
  return {
    trigger: () => job.trigger(),
    nextRun: () => job.nextRun(),
    stop: () => job.stop(),
  };
}
