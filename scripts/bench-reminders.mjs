// The reminders pipeline scenario of scripts/bench.mjs: N due reminders enqueued by ONE cron run and
// delivered by the `notify.deliver` consumer through the production email adapter (httpMailer) to a
// local stand-in for the provider (Resend's API: JSON POST, bearer key, Idempotency-Key), which refuses
// a share of the messages on purpose. Wall time, deliveries/s and duplicates come from what the stand-in
// accepted; the ledger and the inbox are checked in D1 afterwards.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { stripVTControlCharacters } from 'node:util';

/** How many reminders (BENCH_REMINDERS shrinks the run); they go to REMINDER_USERS people, round robin. */
export const REMINDER_COUNT = Number(process.env.BENCH_REMINDERS ?? 10_000);
const REMINDER_USERS = Math.min(1000, REMINDER_COUNT);
const SUBJECT_TYPE = 'bench';
const USER_PREFIX = 'usr_bench';
const EMAIL_FROM = 'Kinwell Bench <bench@kinwell.local>';
const EMAIL_KEY = 'bench-provider-key';

// ---- Failure policy of the stand-in provider. Deterministic by reminder number, so runs compare.
// Each message fails at most once (its retry is accepted): the queue's backoff (30 s first) then sets
// the tail, and no message reaches the dead-letter queue (the tests prove that path).
/** Reminder n with n % REFUSE_EVERY === 0: 503 on its first request, nothing sent. */
const REFUSE_EVERY = 10;
/** Reminder n with n % LOST_EVERY === LOST_AT: accepted (sent) but answered 500, as if the answer was lost. */
const LOST_EVERY = 50;
const LOST_AT = 5;
/** An outage: every first request refused for OUTAGE_MS of each OUTAGE_PERIOD_MS, so whole batches fail. */
const OUTAGE_MS = 4000;
const OUTAGE_PERIOD_MS = 30_000;
const OUTAGE_OFFSET_MS = 5000;

/**
 * SQL for the bench database: clears earlier runs' bench rows and any other due pending reminder (so the
 * one cron run enqueues exactly `count`), then seeds `users` verified-email people and `count` pending
 * reminders due a minute ago, each a `message` notice of type `reminder`.
 */
export function remindersSeedSql(now = Date.now(), count = REMINDER_COUNT, users = REMINDER_USERS) {
  const due = now - 60_000;
  const seq = (n) => `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})`;
  return `${[
    `DELETE FROM notifications WHERE user_id LIKE '${USER_PREFIX}%'`,
    `DELETE FROM deliveries WHERE subject_type = '${SUBJECT_TYPE}'`,
    `DELETE FROM reminders WHERE subject_type = '${SUBJECT_TYPE}' OR (status = 'pending' AND due_at <= ${now})`,
    `DELETE FROM users WHERE id LIKE '${USER_PREFIX}%'`,
    `${seq(users)} INSERT INTO users (id, email, name, role, status, email_verified_at, created_at, updated_at)
      SELECT '${USER_PREFIX}' || printf('%05d', i), 'bench-' || printf('%05d', i) || '@bench.kinwell.local',
        'Bench Person ' || i, 'user', 'active', ${now}, ${now}, ${now} FROM seq`,
    `${seq(count)} INSERT INTO reminders (id, subject_type, subject_id, kind, recipient_id, due_at, status, notice, created_at, updated_at)
      SELECT 'rmd_bench' || printf('%06d', i), '${SUBJECT_TYPE}', 'bench_' || printf('%06d', i), 'bench.reminder',
        '${USER_PREFIX}' || printf('%05d', i % ${users}), ${due}, 'pending',
        json_object('type', 'reminder', 'preference', 'reminders', 'template', 'message',
          'data', json_object('title', 'Bench reminder #' || printf('%06d', i), 'body', 'Time for your walk.')),
        ${now}, ${now} FROM seq`,
  ].join(';\n')};\n`;
}

/** The vars that run the Worker in production mode with email pointed at the stand-in. */
export function productionVars(providerUrl) {
  return {
    ENVIRONMENT: 'production',
    EMAIL_API_URL: providerUrl,
    EMAIL_API_KEY: EMAIL_KEY,
    EMAIL_FROM,
  };
}

/**
 * A Resend-compatible stand-in on 127.0.0.1: checks each request as Resend would (bearer key, from, one
 * recipient, subject, text), applies the failure policy, and answers a replayed Idempotency-Key with the
 * original message id without sending again (Resend keeps keys for 24 hours).
 */
export function startProvider() {
  const stats = {
    requests: 0,
    refused: 0,
    outageRefused: 0,
    lost: 0,
    replays: 0,
    rejected: 0,
    /** reminder number → acceptances (a second one is a duplicate the recipient would see). */
    accepted: new Map(),
    /** Idempotency-Key → message id of its acceptance. */
    byKey: new Map(),
    /** Reminder numbers already requested once (a later request is a retry). */
    seen: new Set(),
    firstRequestAt: null,
    lastFirstAttemptAt: null,
    lastAcceptedAt: null,
    /** Milliseconds (since the first request) at which each acceptance happened, in order. */
    acceptedAt: [],
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      stats.requests++;
      stats.firstRequestAt ??= now;
      const answer = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let msg;
      try {
        msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        msg = null;
      }
      const n = Number(/Bench reminder #(\d+)/.exec(msg?.subject ?? '')?.[1]);
      const key = req.headers['idempotency-key'];
      const valid =
        req.method === 'POST' &&
        req.headers.authorization === `Bearer ${EMAIL_KEY}` &&
        msg?.from === EMAIL_FROM &&
        Array.isArray(msg.to) &&
        msg.to.length === 1 &&
        typeof msg.text === 'string' &&
        typeof msg.html === 'string' &&
        typeof key === 'string' &&
        Number.isInteger(n);
      if (!valid) {
        stats.rejected++;
        return answer(422, { name: 'validation_error', message: 'bench provider: unexpected request' });
      }
      const replayed = stats.byKey.get(key);
      if (replayed) {
        stats.replays++;
        return answer(200, { id: replayed });
      }
      const first = !stats.seen.has(n);
      stats.seen.add(n);
      if (first) stats.lastFirstAttemptAt = now;
      const sinceStart = now - stats.firstRequestAt;
      const inOutage = sinceStart >= OUTAGE_OFFSET_MS && (sinceStart - OUTAGE_OFFSET_MS) % OUTAGE_PERIOD_MS < OUTAGE_MS;
      if (first && inOutage) {
        stats.outageRefused++;
        return answer(503, { name: 'application_error', message: 'bench outage' });
      }
      if (first && n % REFUSE_EVERY === 0) {
        stats.refused++;
        return answer(503, { name: 'application_error', message: 'bench refusal' });
      }
      const id = `bench-msg-${stats.byKey.size + 1}`;
      stats.byKey.set(key, id);
      stats.accepted.set(n, (stats.accepted.get(n) ?? 0) + 1);
      stats.lastAcceptedAt = now;
      stats.acceptedAt.push(sinceStart);
      if (first && n % LOST_EVERY === LOST_AT) {
        stats.lost++;
        return answer(500, { name: 'internal_server_error', message: 'bench: answer lost after acceptance' });
      }
      return answer(200, { id });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/emails`,
        stats,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

/** The wrangler log's text from byte `from` on. */
function logSince(logFile, from) {
  try {
    return stripVTControlCharacters(readFileSync(logFile).subarray(from).toString('utf8'));
  } catch {
    return '';
  }
}

/** The first `cron.run` JSON log line in `text`, parsed, or null. */
function cronLine(text) {
  for (const line of text.split('\n')) {
    const at = line.indexOf('{"level"');
    if (at < 0 || !line.includes('"msg":"cron.run"')) continue;
    try {
      return JSON.parse(line.slice(at));
    } catch {
      // A line cut mid-write: read again on the next poll.
    }
  }
  return null;
}

/** The queue consumer's batches in `text` (miniflare logs `QUEUE <queue> <acked>/<total> (<ms>ms)`). */
function queueBatches(text, queue) {
  const re = new RegExp(`QUEUE ${queue} (\\d+)/(\\d+)(?: \\((\\d+)ms\\))?`, 'g');
  return [...text.matchAll(re)].map((m) => ({ acked: Number(m[1]), total: Number(m[2]), ms: Number(m[3] ?? 0) }));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the scenario against a Worker `baseUrl` started with `productionVars(provider.url)` and
 * `--test-scheduled`: fires the cron once, waits until the stand-in accepted every reminder and the
 * queue has gone quiet, and returns the timings and the stand-in's counts. `logFile`/`logOffset`: the
 * wrangler log and where this Worker's output starts.
 */
export async function remindersBench({ baseUrl, provider, logFile, logOffset, count = REMINDER_COUNT }) {
  const { stats } = provider;
  const startedWall = Date.now();
  const started = performance.now();
  const fired = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
  await fired.arrayBuffer();
  if (!fired.ok) throw new Error(`GET /__scheduled answered ${fired.status}`);
  // Long enough for the first pass at a few deliveries/s plus the retries' backoff; a guard, not a target.
  const deadline = started + 120_000 + count * 300;
  let cron = null;
  let lastProgress = started;
  while (stats.accepted.size < count) {
    if (performance.now() > deadline) {
      throw new Error(
        `reminders: ${stats.accepted.size}/${count} accepted by the provider after ${Math.round((performance.now() - started) / 1000)} s (cron ${cron ? 'ran' : 'not seen'}); see .bench/wrangler.log`,
      );
    }
    cron ??= cronLine(logSince(logFile, logOffset));
    if (performance.now() - lastProgress > 15_000) {
      lastProgress = performance.now();
      process.stderr.write(
        `    ${stats.accepted.size}/${count} delivered, ${stats.requests} provider requests, ${Math.round((lastProgress - started) / 1000)} s\n`,
      );
    }
    await sleep(100);
  }
  const allDeliveredMs = stats.lastAcceptedAt - started;
  // The consumer marks the ledger after the provider's answer: wait until no batch has run for longer
  // than the batch timeout (2 s), so D1 is read after the last mark.
  let batches = queueBatches(logSince(logFile, logOffset), 'kinwell-jobs').length;
  let quietSince = performance.now();
  while (performance.now() - quietSince < 4000) {
    await sleep(500);
    const now = queueBatches(logSince(logFile, logOffset), 'kinwell-jobs').length;
    if (now !== batches) {
      batches = now;
      quietSince = performance.now();
    }
  }
  cron ??= cronLine(logSince(logFile, logOffset));
  const text = logSince(logFile, logOffset);
  const enqueued = cron?.reports?.find((r) => r.task === 'reminders.enqueue');
  const firstPassMs = stats.lastFirstAttemptAt - started;
  const firstAttemptAccepts = stats.acceptedAt.filter((ms) => ms <= stats.lastFirstAttemptAt - stats.firstRequestAt);
  return {
    count,
    users: REMINDER_USERS,
    startedWall,
    cronMs: cron ? Date.parse(cron.time) - startedWall : null,
    enqueuedByCron: enqueued?.ok ? enqueued.count : null,
    firstPassMs,
    firstPassAccepted: firstAttemptAccepts.length,
    allDeliveredMs,
    requests: stats.requests,
    refused: stats.refused,
    outageRefused: stats.outageRefused,
    lost: stats.lost,
    replays: stats.replays,
    rejected: stats.rejected,
    providerDuplicates: [...stats.accepted.values()].filter((n) => n > 1).length,
    batches: queueBatches(text, 'kinwell-jobs'),
    deadLetterBatches: queueBatches(text, 'kinwell-jobs-dlq').length,
  };
}

/** What D1 holds after the run (read once wrangler dev has stopped): the ledger, the inbox, the DLQ. */
export function remindersCheck(d1, since) {
  const ledger = d1(
    `SELECT channel, status, skip_reason AS reason, count(*) AS n, max(attempts) AS maxAttempts
      FROM deliveries WHERE subject_type = '${SUBJECT_TYPE}' GROUP BY channel, status, skip_reason ORDER BY channel, status`,
  );
  const [row] = d1(
    `SELECT (SELECT count(*) FROM reminders WHERE subject_type = '${SUBJECT_TYPE}' AND status = 'enqueued') AS enqueued,
      (SELECT count(*) FROM notifications WHERE user_id LIKE '${USER_PREFIX}%') AS inbox,
      (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE user_id LIKE '${USER_PREFIX}%'
        GROUP BY user_id, title HAVING count(*) > 1)) AS inboxDuplicates,
      (SELECT count(*) FROM dead_jobs WHERE received_at >= ${since}) AS deadJobs`,
  );
  const of = (channel, status) =>
    ledger.filter((r) => r.channel === channel && r.status === status).reduce((n, r) => n + Number(r.n), 0);
  return {
    ledger,
    emailSent: of('email', 'sent'),
    inAppSent: of('in-app', 'sent'),
    unfinished: ledger
      .filter((r) => r.status === 'queued' || r.status === 'failed')
      .reduce((n, r) => n + Number(r.n), 0),
    enqueued: Number(row.enqueued),
    inbox: Number(row.inbox),
    inboxDuplicates: Number(row.inboxDuplicates),
    deadJobs: Number(row.deadJobs),
  };
}

/** Whether the run proves the promise: every reminder sent once on every channel, nothing lost or doubled. */
export function remindersFailures(r) {
  const failures = [];
  if (r.providerDuplicates) failures.push(`${r.providerDuplicates} reminders accepted by the provider more than once`);
  if (r.inboxDuplicates) failures.push(`${r.inboxDuplicates} reminders in an inbox more than once`);
  if (r.enqueuedByCron !== r.count) failures.push(`the cron run enqueued ${r.enqueuedByCron ?? 'an unknown number'}`);
  if (r.emailSent !== r.count || r.inAppSent !== r.count || r.inbox !== r.count)
    failures.push(`ledger: ${r.emailSent} email sent, ${r.inAppSent} in-app sent, ${r.inbox} inbox rows`);
  if (r.unfinished || r.deadJobs) failures.push(`${r.unfinished} deliveries unfinished, ${r.deadJobs} dead jobs`);
  if (r.rejected) failures.push(`${r.rejected} provider requests malformed`);
  return failures;
}

/** The scenario's report lines (markdown). */
export function remindersReport(r, fmt) {
  const s = (ms) => fmt(ms / 1000, 1);
  const partial = r.batches.filter((b) => b.acked > 0 && b.acked < b.total).length;
  const failedWhole = r.batches.filter((b) => b.acked === 0).length;
  const retried = r.refused + r.outageRefused + r.lost;
  const full = r.batches
    .filter((b) => b.total === 25)
    .map((b) => b.ms)
    .sort((a, b) => a - b);
  const batchP50 = full.length ? full[Math.floor(full.length / 2)] : null;
  const failures = remindersFailures(r);
  const skipped = r.ledger
    .filter((x) => x.status === 'skipped')
    .map((x) => `${x.channel} ${fmt(Number(x.n))} (${x.reason})`)
    .join(', ');
  return [
    `Reminders pipeline: ${fmt(r.count)} pending reminders due a minute ago for ${fmt(r.users)} people (verified email, no phone, no device), one \`GET /__scheduled\` (the every-minute cron), delivered by the \`notify.deliver\` consumer (wrangler.toml's batches of 25, one batch at a time locally) through the production email adapter (ENVIRONMENT=production) to a local Resend stand-in that refuses a share on purpose: reminder n with n % ${REFUSE_EVERY} = 0 gets 503 on its first request, n % ${LOST_EVERY} = ${LOST_AT} is accepted but answered 500 (a lost answer: the retry carries the same Idempotency-Key), and every first request in a ${OUTAGE_MS / 1000} s outage each ${OUTAGE_PERIOD_MS / 1000} s is refused (whole batches fail); each message fails at most once, and its retry (after the consumer's 30 s backoff) rejoins the back of the backlog.`,
    '',
    '| reminders pipeline | reminders | cron run s | first pass s | first attempts/s | delivered/s in first pass | all delivered s | deliveries/s overall | provider requests | refused (503) | outage 503 | lost answers | idempotent replays | batches (partly / wholly failed) | duplicates |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| one cron run → queue → email + in-app | ${fmt(r.count)} | ${r.cronMs === null ? 'n/a' : s(r.cronMs)} | ${s(r.firstPassMs)} | ${fmt((r.count / r.firstPassMs) * 1000, 1)} | ${fmt((r.firstPassAccepted / r.firstPassMs) * 1000, 1)} | ${s(r.allDeliveredMs)} | ${fmt((r.count / r.allDeliveredMs) * 1000, 1)} | ${fmt(r.requests)} | ${fmt(r.refused)} | ${fmt(r.outageRefused)} | ${fmt(r.lost)} | ${fmt(r.replays)} | ${fmt(r.batches.length)} (${fmt(partial)} / ${fmt(failedWhole)}) | ${fmt(r.providerDuplicates + r.inboxDuplicates)} |`,
    '',
    `Retried on purpose: ${fmt(retried)} messages (${fmt((100 * retried) / r.count, 1)} %). A full batch of 25 took ${batchP50 === null ? 'n/a' : `${fmt(batchP50)} ms (p50, ${fmt(batchP50 / 25)} ms a message)`}. The cron run enqueued ${r.enqueuedByCron === null ? 'an unknown number' : fmt(r.enqueuedByCron)} reminders; afterwards D1 holds ${fmt(r.emailSent)} email and ${fmt(r.inAppSent)} in-app deliveries sent (${skipped || 'none skipped'}), ${fmt(r.inbox)} inbox rows, ${fmt(r.unfinished)} unfinished deliveries and ${fmt(r.deadJobs)} dead jobs; duplicates: ${fmt(r.providerDuplicates)} at the provider (a reminder accepted twice), ${fmt(r.inboxDuplicates)} in the inboxes.`,
    ...(failures.length ? ['', `> REMINDERS FAILED: ${failures.join('; ')}`] : []),
  ];
}
