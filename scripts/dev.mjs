// `npm run dev`'s last step: starts `wrangler dev --local` and fires the Worker's scheduled handler at
// every minute, as the `* * * * *` cron trigger does in production. wrangler never fires cron triggers
// locally by itself, so without this no reminder would ever be due in development.
//
// wrangler runs with `--test-scheduled`, and the ticker calls its `GET /__scheduled?cron=…` (answering
// 500 when the handler throws). Not the trigger endpoint `/cdn-cgi/handler/scheduled`: with static
// assets configured (the console), the pinned wrangler's miniflare routes it through the assets proxy,
// which has no scheduled handler, and it answers "exception" without running the Worker's cron
// (cloudflare/workers-sdk#9882, fixed in later releases that need a newer Node).
// Port: $PORT (default 8787); arguments after `npm run dev --` go to wrangler.
//
// Shutdown: Ctrl-C reaches wrangler directly (it stays in the terminal's process group, so its
// hotkeys work); a SIGINT, SIGTERM or SIGHUP sent to this script alone is passed on to it. This script
// exits when wrangler has, with its code, so nothing is left running.
import { spawn } from 'node:child_process';
import { wranglerDevArgs } from './lib/wrangler-dev.mjs';

const CRON = '* * * * *';
const MINUTE = 60_000;
const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port, not ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const base = `http://localhost:${port}`;
const say = (line) => process.stderr.write(`[cron] ${line}\n`);

const wrangler = spawn(process.execPath, wranglerDevArgs(port, ['--test-scheduled', ...process.argv.slice(2)]), {
  stdio: 'inherit',
});

let timer;
let stopping = false;
const stopTicking = () => {
  stopping = true;
  clearTimeout(timer);
};

wrangler.on('exit', (code, signal) => {
  stopTicking();
  process.exitCode = code ?? (signal ? 1 : 0);
  // Nothing else keeps the event loop alive once the timer is cleared: the script ends here.
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopTicking();
    // On Ctrl-C wrangler received SIGINT from the terminal already; a second one is harmless.
    if (wrangler.exitCode === null) wrangler.kill(signal);
    // A wrangler that does not stop within 10 s is killed; unref'd so a clean exit does not wait.
    setTimeout(() => wrangler.exitCode === null && wrangler.kill('SIGKILL'), 10_000).unref();
  });
}
// Should this script fail, it does not leave wrangler behind.
process.on('exit', () => {
  if (wrangler.exitCode === null) wrangler.kill('SIGTERM');
});

/** The first instant at or after `now` that is a whole minute. */
function nextMinute(now) {
  return Math.ceil(now / MINUTE) * MINUTE;
}

async function answers() {
  try {
    await fetch(`${base}/health`);
    return true;
  } catch {
    return false;
  }
}

async function fire(minute) {
  const url = `${base}/__scheduled?cron=${encodeURIComponent(CRON)}`;
  try {
    const res = await fetch(url);
    if (!res.ok) say(`the scheduled handler failed at ${new Date(minute).toISOString()}: ${res.status}`);
  } catch (err) {
    // wrangler reloading after an edit, for instance; the next minute tries again.
    say(`could not reach ${base} at ${new Date(minute).toISOString()}: ${err.message}`);
  }
}

function schedule() {
  if (stopping) return;
  const minute = nextMinute(Date.now() + 1);
  timer = setTimeout(async () => {
    await fire(minute);
    schedule();
  }, minute - Date.now());
}

// Ticks start once the server answers, so the first minutes of a cold start are not errors.
async function start() {
  while (!stopping && !(await answers())) {
    await new Promise((resolve) => {
      timer = setTimeout(resolve, 500);
    });
  }
  if (stopping) return;
  say(`firing the scheduled handler (${CRON}) at every minute on ${base}, as production's cron trigger does`);
  schedule();
}

start();
