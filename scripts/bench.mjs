// Local performance baseline: throughput/latency of a few hot routes under `wrangler dev --local`
// (workerd + SQLite-backed D1 on this machine) and the size of the deployable bundle.
// Numbers are for comparing commits on the same machine, not a prediction of production latency.
// Usage: npm run bench   (BENCH_SECONDS=5 for a quicker run, BENCH_PORT to pin the port,
// BENCH_ONLY=reminders,bundle to run some parts only (routes,runtimes: the hot read on wrangler dev, Bun and Deno; runtimes also the socket fan-out on Bun and Deno), BENCH_REMINDERS=2000 for a smaller reminders run,
// BENCH_WEBHOOKS=50 for a smaller webhook storm, BENCH_CAREGIVERS=1000 for a smaller caregiver search, BENCH_APPOINTMENTS=10000 for a smaller dashboard (BENCH_ONLY=stats), BENCH_CALL_ROOMS=50 / BENCH_CALL_FRAMES=100 for a smaller
// video rooms run)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt, scryptSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { transform } from 'esbuild';
import WebSocket from 'ws';
import { CALL_ROOMS, callsBench, callsFailures, callsReport, RELAY_FRAMES } from './bench-calls.mjs';
import { CAREGIVER_COUNT, careSearchScenario, careSeedSql } from './bench-care.mjs';
import {
  productionVars,
  REMINDER_COUNT,
  remindersBench,
  remindersCheck,
  remindersFailures,
  remindersReport,
  remindersSeedSql,
  startProvider,
} from './bench-reminders.mjs';
import { APPOINTMENT_COUNT, dashboardScenario, rollUpStats, statsSeedSql } from './bench-stats.mjs';
import {
  WEBHOOK_COUNT,
  WEBHOOK_SECRET,
  webhooksBench,
  webhooksCheck,
  webhooksFailures,
  webhooksReport,
  webhooksSeedSql,
} from './bench-webhooks.mjs';
import { freePort } from './lib/wrangler-dev.mjs';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedSql } from './seed.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A separate persistence dir so benchmarking never touches a developer's .wrangler/state data.
const PERSIST = '.wrangler/bench-state';
const DIST = '.wrangler/bench-dist';
const OUT_DIR = join(ROOT, '.bench');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 10;
// Children inherit this: wrangler must not try to phone home (no internet) or prompt.
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };

// ---- Scenarios: later issues append theirs here. `expect` is the status the route must answer.
// `setup(baseUrl)` runs right before a scenario (fresh tokens per run) and returns extra headers.
const patient = DEMO_ACCOUNTS.find((a) => a.email === 'patient@kinwell.local');
const credentials = { email: patient.email, password: DEMO_PASSWORD };
const DEMO_DOCTOR = DEMO_ACCOUNTS.find((a) => a.email === 'doctor@kinwell.local').id;
const DEMO_SERVICE = 'svc_01DEMD00000000000000000001';
/** Dev-only response header with the request's sequential D1 round trips (src/app.ts). */
const ROUND_TRIPS_HEADER = 'x-d1-round-trips';

const scenarios = [
  { name: 'GET /health (D1 ping)', method: 'GET', path: '/health', expect: 200 },
  { name: 'bare route (401 guard, no DB)', method: 'GET', path: '/api/v1/users/me', expect: 401 },
  {
    name: 'GET /api/v1/users/me (JWT verify + 1 D1 read)',
    method: 'GET',
    path: '/api/v1/users/me',
    expect: 200,
    setup: async (baseUrl) => ({ authorization: `Bearer ${await signIn(baseUrl)}` }),
  },
  {
    name: 'GET /api/v1/doses, a month (patient)',
    method: 'GET',
    path: `/api/v1/doses?from=${isoDate(0)}&to=${isoDate(29)}&limit=100`,
    expect: 200,
    setup: async (baseUrl) => ({ authorization: `Bearer ${await signIn(baseUrl)}` }),
  },
  {
    // The demo doctor (weekdays 09:00-17:00 Berlin, 30-minute grid): rules + claims read, slots computed.
    name: 'GET /api/v1/doctors/{id}/slots, 30 days (public)',
    method: 'GET',
    path: `/api/v1/doctors/${DEMO_DOCTOR}/slots?serviceId=${DEMO_SERVICE}&from=${isoDate(1)}&to=${isoDate(30)}`,
    expect: 200,
  },
  // Caregivers whose radius covers central Berlin among BENCH_CAREGIVERS (scripts/bench-care.mjs).
  careSearchScenario,
  // Each login runs one scrypt (N=2^14, r=8, p=5) plus the rate-limit, session and audit writes.
  {
    name: 'POST /api/v1/auth/login (scrypt + session)',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: credentials,
    expect: 200,
  },
];

function isoDate(daysFromToday) {
  return new Date(Date.now() + daysFromToday * 86_400_000).toISOString().slice(0, 10);
}

/** The app's own sample-file generator (TypeScript), transpiled on the fly so the bench never copies it. */
async function loadSamples() {
  const source = readFileSync(join(ROOT, 'src/modules/catalog/catalog.samples.ts'), 'utf8');
  const { code } = await transform(source, { loader: 'ts', format: 'esm' });
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/**
 * Times POST /api/v1/supplements/import with an N-row CSV as the demo admin: the first run creates
 * the rows, later runs update them (upsert by SKU). Sequential, as an admin would run imports.
 */
async function importBench(baseUrl, rows = 5000, runs = 5) {
  const { sampleSupplementCsv } = await loadSamples();
  const csv = sampleSupplementCsv(rows, { prefix: 'BENCH' });
  const token = await signIn(baseUrl, { email: 'admin@kinwell.local', password: DEMO_PASSWORD });
  const timings = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/api/v1/supplements/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: csv,
    });
    const ms = performance.now() - started;
    const body = await res.json();
    if (res.status !== 200 || body.data.created + body.data.updated !== rows) {
      throw new Error(`import: expected ${rows} rows, got ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
    timings.push(ms);
  }
  const sorted = [...timings].sort((a, b) => a - b);
  return { rows, bytes: Buffer.byteLength(csv), first: timings[0], median: sorted[Math.floor(sorted.length / 2)] };
}

async function signIn(baseUrl, login = credentials) {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  if (res.status !== 200) throw new Error(`demo sign-in failed: ${res.status} ${await res.text()}`);
  return (await res.json()).data.tokens.accessToken;
}

// ---- Booking storm: many patients race for the slots of one day of the demo doctor (weekdays 09:00-17:00
// Berlin, 30-minute grid, 10-minute buffer, so neighbouring slots collide too). Every request is a real
// POST /api/v1/appointments; afterwards the stored rows are checked for overlaps.
const STORM_PATIENTS = 40;
const STORM_SECONDS = Math.min(SECONDS, 5);
const LIVE_STATUSES = "('pending', 'confirmed', 'in-progress')";

/** The storm's day: the first weekday at least two days ahead (clear of the doctor's minimum notice). */
function stormDay() {
  for (let days = 2; ; days++) {
    const date = isoDate(days);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6) return date;
  }
}

/** UTC ms bounds around a Berlin local day: all of its working hours, none of the neighbouring days'. */
function stormWindow(day) {
  const midnight = Date.parse(`${day}T00:00:00Z`);
  return [midnight - 3 * 3600_000, midnight + 25 * 3600_000];
}

/** Runs SQL against the bench database (wrangler dev must not be running) and returns the last statement's rows. */
function d1(sql) {
  const res = spawnSync(
    'npx',
    ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--json', '--command', sql],
    { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (res.status !== 0) throw new Error(`d1 execute failed: ${res.stderr}${res.stdout}`.slice(0, 600));
  const results = JSON.parse(res.stdout);
  return results[results.length - 1].results;
}

/** Empties the storm day of earlier runs' bookings, holds and claims, so every run starts from a free day. */
function resetStormDay(day) {
  const [from, to] = stormWindow(day);
  const mine = `doctor_id = '${DEMO_DOCTOR}' AND starts_at >= ${from} AND starts_at < ${to}`;
  d1(
    [
      `DELETE FROM appointment_events WHERE appointment_id IN (SELECT id FROM appointments WHERE ${mine})`,
      `DELETE FROM appointments WHERE ${mine}`,
      `DELETE FROM appointment_holds WHERE ${mine}`,
      `DELETE FROM slot_claims WHERE doctor_id = '${DEMO_DOCTOR}' AND unit_start >= ${from} AND unit_start < ${to}`,
    ].join('; '),
  );
}

/** A patient signed in through the dev OTP flow (an unknown mobile number registers a patient). */
async function otpPatient(baseUrl, mobileNumber) {
  const post = (path, body) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const sent = await post('/api/v1/auth/otp/send', { mobileNumber });
  if (sent.status !== 200) throw new Error(`otp/send ${mobileNumber}: ${sent.status} ${await sent.text()}`);
  const outbox = await fetch(`${baseUrl}/api/v1/dev/outbox?recipient=${encodeURIComponent(mobileNumber)}&limit=1`);
  const code = /\b(\d{6})\b/.exec((await outbox.json()).data.items[0]?.body ?? '')?.[1];
  const verified = await post('/api/v1/auth/otp/verify', { mobileNumber, otp: code });
  if (verified.status !== 200)
    throw new Error(`otp/verify ${mobileNumber}: ${verified.status} ${await verified.text()}`);
  return (await verified.json()).data.tokens.accessToken;
}

/**
 * STORM_PATIENTS patients, one connection each, book random free slots of the storm day for
 * STORM_SECONDS: every slot but one of its overlapping rivals must answer 409 SLOT_UNAVAILABLE.
 */
async function bookingStorm(baseUrl, day) {
  // Fresh numbers per run: the OTP resend cooldown is per number.
  const first = randomInt(9000);
  const tokens = await Promise.all(
    Array.from({ length: STORM_PATIENTS }, (_, i) => otpPatient(baseUrl, `+1415555${1000 + ((first + i) % 9000)}`)),
  );
  const slotsRes = await fetch(`${baseUrl}/api/v1/doctors/${DEMO_DOCTOR}/slots?serviceId=${DEMO_SERVICE}&date=${day}`);
  const starts = (await slotsRes.json()).data.slots.map((s) => s.start);
  if (!starts.length) throw new Error(`booking storm: no free slots on ${day}`);
  const outcomes = new Map();
  // The most sequential D1 round trips any request of each outcome made (from the dev-only header).
  const roundTrips = new Map();
  const latencies = [];
  let lastBookingMs = 0;
  const started = performance.now();
  const deadline = started + STORM_SECONDS * 1000;
  await Promise.all(
    tokens.map(async (token) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const res = await fetch(`${baseUrl}/api/v1/appointments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            doctorId: DEMO_DOCTOR,
            serviceId: DEMO_SERVICE,
            startsAt: starts[randomInt(starts.length)],
            type: 'video',
          }),
        });
        const body = await res.json();
        latencies.push(performance.now() - sent);
        const outcome = res.status === 201 ? '201' : `${res.status} ${body.error?.code}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        const trips = Number(res.headers.get(ROUND_TRIPS_HEADER));
        roundTrips.set(outcome, Math.max(roundTrips.get(outcome) ?? 0, trips));
        if (res.status === 201) lastBookingMs = performance.now() - started;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    day,
    slots: starts.length,
    seconds,
    outcomes,
    roundTrips,
    requests: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    lastBookingMs,
  };
}

/** Live appointments the storm left on its day, and how many pairs of them overlap (buffer included). */
function stormCheck(day) {
  const [from, to] = stormWindow(day);
  const live = (t) =>
    `${t}.doctor_id = '${DEMO_DOCTOR}' AND ${t}.status IN ${LIVE_STATUSES} AND ${t}.starts_at >= ${from} AND ${t}.starts_at < ${to}`;
  const [row] = d1(
    `SELECT (SELECT count(*) FROM appointments a WHERE ${live('a')}) AS live,
      (SELECT count(*) FROM appointments a JOIN appointments b ON a.id < b.id
        WHERE ${live('a')} AND ${live('b')}
          AND a.starts_at < b.ends_at + b.buffer_minutes * 60000
          AND b.starts_at < a.ends_at + a.buffer_minutes * 60000) AS overlaps`,
  );
  return { live: Number(row.live), doubleBookings: Number(row.overlaps) };
}

// ---- Real time: sockets through GET /api/v1/realtime (subprotocol auth) into the receiver's USER_HUB.
// A push is triggered the way the app triggers one: POST /api/v1/caregiver/requests from another patient
// makes the service call realtime.notify(receiver, 'request:incoming'). Every round uses a new requester
// (a pending request blocks a second one for the same pair).
const FANOUT_SOCKETS = 5;
const FANOUT_ROUNDS = 50;
const HUB_SOCKET_CAP = 2000;
const HUB_BATCH = 100;
// workerd evicts an idle object after 10 s; its hibernated sockets must still work after that.
const IDLE_MS = 12_000;
const SOCKET_WAIT_MS = 30_000;

/** The `sub` of an access token (the user id), read without verifying: the server issued it. */
function userIdOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub;
}

/** Patients signed in through the dev OTP flow, `count` of them, 10 at a time; numbers unique per run. */
async function otpPatients(baseUrl, count) {
  const first = randomInt(9000);
  const tokens = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) =>
      otpPatient(baseUrl, `+1415556${1000 + ((first + i + j) % 9000)}`),
    );
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}

/** One client socket as `token`; every JSON frame it receives goes to `onFrame`. */
function openSocket(baseUrl, token, onFrame = () => {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/realtime`, ['kinwell.v1', `bearer.${token}`]);
    let opened = false;
    const fail = (err) => {
      clearTimeout(timer);
      if (!opened) reject(err);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      fail(new Error('socket did not open within 15 s'));
    }, 15_000);
    ws.on('open', () => {
      opened = true;
      clearTimeout(timer);
      resolve(ws);
    });
    ws.on('unexpected-response', (_req, res) => fail(new Error(`upgrade answered ${res.statusCode}`)));
    // After the open, a dropped socket shows up as a missing frame in the counts, never as a crash.
    ws.on('error', (err) => fail(err));
    ws.on('message', (raw) => onFrame(JSON.parse(String(raw)), performance.now()));
  });
}

/** Resolves with the time each socket first sees a frame matching `match` (null for those that never do). */
function arrivals(inboxes, match, timeoutMs = SOCKET_WAIT_MS) {
  return Promise.all(
    inboxes.map(
      (inbox) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => {
            inbox.waiter = null;
            resolve(null);
          }, timeoutMs);
          inbox.waiter = (frame, at) => {
            if (!match(frame)) return;
            clearTimeout(timer);
            inbox.waiter = null;
            resolve(at);
          };
        }),
    ),
  );
}

function inboxSocket(baseUrl, token) {
  const inbox = { waiter: null, ws: null };
  return openSocket(baseUrl, token, (frame, at) => inbox.waiter?.(frame, at)).then((ws) => {
    inbox.ws = ws;
    return inbox;
  });
}

/** POST /api/v1/caregiver/requests as `token` to `receiverId`; resolves with the milliseconds to its 201. */
async function sendCareRequest(baseUrl, token, receiverId) {
  const sent = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/caregiver/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ receiverId }),
  });
  if (res.status !== 201) throw new Error(`caregiver request: ${res.status} ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
  return { sent, answered: performance.now() };
}

/** One push round: a new request to `receiverId`, timed until every socket got its request:incoming. */
async function pushRound(baseUrl, inboxes, requester, receiverId) {
  const requesterId = userIdOf(requester);
  const waiting = arrivals(inboxes, (f) => f.event === 'request:incoming' && f.data?.requester?.id === requesterId);
  const { sent, answered } = await sendCareRequest(baseUrl, requester, receiverId);
  const times = await waiting;
  const got = times.filter((t) => t !== null);
  return { received: got.length, allMs: got.length ? Math.max(...got) - sent : null, postMs: answered - sent };
}

/** Pings every socket with an id; counts the pongs that echo it. */
async function pingAll(inboxes) {
  const id = `bench-${randomInt(1e9)}`;
  const waiting = arrivals(inboxes, (f) => f.event === 'pong' && f.id === id);
  for (const inbox of inboxes) inbox.ws.send(JSON.stringify({ event: 'ping', id }));
  return (await waiting).filter((t) => t !== null).length;
}

/**
 * How often wrangler dev has rebuilt so far: it watches the sources, and a rebuild drops every socket and
 * object, so figures measured across one are void.
 */
function devReloads() {
  try {
    return (readFileSync(join(OUT_DIR, 'wrangler.log'), 'utf8').match(/Reloading local server/g) ?? []).length;
  } catch {
    return 0;
  }
}

/** Resident memory (KiB) of the workerd processes wrangler dev started, or null when not measurable. */
function workerdRssKiB() {
  if (!devChild) return null;
  const res = spawnSync('ps', ['-o', 'rss=,comm=', '-g', String(devChild.pid)], { encoding: 'utf8' });
  if (res.status !== 0) return null;
  const rows = res.stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'workerd');
  return rows.length ? rows.reduce((sum, [rss]) => sum + Number(rss), 0) : null;
}

/**
 * FANOUT_SOCKETS sockets of `receiver`, FANOUT_ROUNDS pushes (one caregiver request from each of
 * `requesters`), each timed from the POST until all sockets received it. The sockets stay open.
 */
async function fanoutRounds(baseUrl, receiver, requesters) {
  const receiverId = userIdOf(receiver);
  const inboxes = await Promise.all(Array.from({ length: FANOUT_SOCKETS }, () => inboxSocket(baseUrl, receiver)));
  const rounds = [];
  for (let i = 0; i < FANOUT_ROUNDS; i++) rounds.push(await pushRound(baseUrl, inboxes, requesters[i], receiverId));
  const all = rounds
    .filter((r) => r.allMs !== null)
    .map((r) => r.allMs)
    .sort((a, b) => a - b);
  const posts = rounds.map((r) => r.postMs).sort((a, b) => a - b);
  const at = (list, q) => list[Math.min(list.length - 1, Math.floor(q * list.length))];
  const stats = {
    sockets: FANOUT_SOCKETS,
    rounds: rounds.length,
    incomplete: rounds.filter((r) => r.received !== FANOUT_SOCKETS).length,
    p50: at(all, 0.5),
    p99: at(all, 0.99),
    max: all.at(-1),
    postP50: at(posts, 0.5),
  };
  return { inboxes, stats };
}

/**
 * (a) Fan-out: FANOUT_SOCKETS sockets of one patient, FANOUT_ROUNDS pushes, each timed from the POST
 * until all sockets received it; then the same after IDLE_MS of silence (the hub hibernates meanwhile).
 * (b) Capacity: sockets of one other patient opened HUB_BATCH at a time until one fails or HUB_SOCKET_CAP,
 * then one push to all of them.
 */
async function realtimeBench(baseUrl) {
  const reloadsAtStart = devReloads();
  const [fanReceiver, capReceiver, ...requesters] = await otpPatients(baseUrl, FANOUT_ROUNDS + 4);
  const fanReceiverId = userIdOf(fanReceiver);
  const { inboxes, stats } = await fanoutRounds(baseUrl, fanReceiver, requesters);

  process.stderr.write(`  idle ${IDLE_MS / 1000} s (hibernation)…\n`);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const pongsAfterIdle = await pingAll(inboxes);
  const afterIdle = await pushRound(baseUrl, inboxes, requesters[FANOUT_ROUNDS], fanReceiverId);
  for (const inbox of inboxes) inbox.ws.close(1000);

  process.stderr.write('  hub capacity…\n');
  const rssBefore = workerdRssKiB();
  const held = [];
  let failure = null;
  const openStarted = performance.now();
  while (held.length < HUB_SOCKET_CAP && !failure) {
    const size = Math.min(HUB_BATCH, HUB_SOCKET_CAP - held.length);
    const batch = await Promise.allSettled(Array.from({ length: size }, () => inboxSocket(baseUrl, capReceiver)));
    for (const r of batch) {
      if (r.status === 'fulfilled') held.push(r.value);
      else failure ??= String(r.reason?.message ?? r.reason);
    }
  }
  const openSeconds = (performance.now() - openStarted) / 1000;
  const rssAfter = workerdRssKiB();
  const capPush = await pushRound(baseUrl, held, requesters[FANOUT_ROUNDS + 1], userIdOf(capReceiver));
  const capPongs = await pingAll(held);
  for (const inbox of held) inbox.ws.terminate();

  return {
    reloads: devReloads() - reloadsAtStart,
    fanout: { ...stats, afterIdle, pongsAfterIdle },
    capacity: {
      held: held.length,
      cap: HUB_SOCKET_CAP,
      failure,
      openSeconds,
      rssBefore,
      rssAfter,
      push: capPush,
      pongs: capPongs,
    },
  };
}

/** Milliseconds per password hash with the production parameters (Node's scrypt, as workerd's node:crypto). */
function hashCostMs(rounds = 10) {
  const salt = randomBytes(16);
  const started = performance.now();
  for (let i = 0; i < rounds; i++)
    scryptSync('bench-password', salt, 32, { N: 16384, r: 8, p: 5, maxmem: 256 * 16384 * 8 });
  return (performance.now() - started) / rounds;
}

/** Runs a setup command; its chatter goes to stderr so stdout carries only the report. */
function run(cmd, args, { capture = false } = {}) {
  const res = spawnSync(cmd, args, {
    cwd: ROOT,
    env: CHILD_ENV,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 2, 2],
  });
  if (res.status !== 0) {
    if (capture) process.stderr.write(`${res.stdout}${res.stderr}`);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
  }
  return capture ? `${res.stdout}${res.stderr}` : '';
}

// ---- wrangler dev lifecycle. It runs in its own process group (detached) so one signal reaches
// npx, wrangler and workerd alike; the same detachment means Ctrl-C no longer reaches it, hence the handlers.
let devChild = null;
function killDev(signal = 'SIGTERM') {
  if (!devChild) return;
  // Signal the group even if npx itself has exited: workerd may outlive it.
  try {
    process.kill(-devChild.pid, signal);
  } catch {
    // Group already gone.
  }
}
process.on('exit', () => killDev('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killDev('SIGKILL');
    process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[sig]);
  });
}

/**
 * Starts wrangler dev on the bench state and resolves with its base URL once /health answers. `vars`
 * override wrangler.toml's (the reminders run uses production mode); `testScheduled` exposes
 * GET /__scheduled; the output goes to .bench/<logName>.
 */
async function startDev(port, inspectorPort, { vars = {}, testScheduled = false, logName = 'wrangler.log' } = {}) {
  mkdirSync(OUT_DIR, { recursive: true });
  const log = openSync(join(OUT_DIR, logName), 'w'); // per-request logs would drown the report
  const args = ['wrangler', 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--inspector-port', String(inspectorPort), '--persist-to', PERSIST, '--show-interactive-dev-session=false');
  // The login scenario would trip the sign-in rate limits in a second; scale them (ignored in production).
  args.push('--var', 'RATE_LIMIT_SCALE:1000000000');
  // Every bench request comes from 127.0.0.1: the per-address request ceiling would cap the run itself.
  args.push('--var', 'REQUEST_CEILING_POLICY:off');
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  if (testScheduled) args.push('--test-scheduled');
  devChild = spawn('npx', args, { cwd: ROOT, env: CHILD_ENV, detached: true, stdio: ['ignore', log, log] });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (devChild.exitCode !== null)
      throw new Error(`wrangler dev exited early (${devChild.exitCode}); see .bench/${logName}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) return baseUrl;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer 200 on /health within 60 s; see .bench/${logName}`);
}

async function stopDev() {
  if (!devChild) return;
  const exited = devChild.exitCode === null ? new Promise((r) => devChild.once('exit', r)) : null;
  killDev('SIGTERM');
  if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  killDev('SIGKILL');
  devChild = null;
}

// ---- Measurement
async function runScenario(baseUrl, s) {
  const headers = { ...(s.headers ?? {}), ...((await s.setup?.(baseUrl)) ?? {}) };
  let body = s.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const url = `${baseUrl}${s.path}`;
  // A benchmark of the wrong status is worthless (e.g. a 401 from a bad token looks very fast).
  const probe = await fetch(url, { method: s.method, headers, body });
  if (probe.status !== s.expect) {
    throw new Error(`${s.name}: expected ${s.expect}, got ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
  }
  // Sequential D1 round trips of one request: what a far-away client pays, whatever the local req/s.
  const roundTrips = probe.headers.get(ROUND_TRIPS_HEADER) ?? '?';
  const opts = { url, method: s.method, headers, body, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: WARMUP_SECONDS });
  const r = await autocannon({ ...opts, duration: SECONDS });
  const unexpected = Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => Number(code) !== s.expect)
    .reduce((n, [, { count }]) => n + count, 0);
  process.stderr.write(`  ${s.name}: ${Math.round(r.requests.average)} req/s\n`);
  return { ...s, r, unexpected, roundTrips };
}

function bundleSizes() {
  rmSync(join(ROOT, DIST), { recursive: true, force: true }); // stale files would be summed too
  // --env production: measure what `npm run deploy` ships. --dry-run needs no account or network.
  const out = run('npx', ['wrangler', 'deploy', '--dry-run', '--env', 'production', '--outdir', DIST], {
    capture: true,
  });
  const files = readdirSync(join(ROOT, DIST), { recursive: true })
    .map((f) => join(ROOT, DIST, String(f)))
    .filter((f) => /\.(m?js)$/.test(f) && statSync(f).isFile());
  if (!files.length) throw new Error(`no .js output in ${DIST}`);
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    raw += buf.length;
    gzip += gzipSync(buf).length;
  }
  // Only a real deploy reports startup time (measured by Cloudflare); never substitute a local guess.
  const startup = /Worker Startup Time:\s*([\d.]+)\s*ms/i.exec(out)?.[1];
  return { files: files.length, raw, gzip, startup: startup ? `${startup} ms` : 'n/a' };
}

// ---- Report
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const orNa = (n) => (n === null || n === undefined ? 'n/a' : fmt(n));

function report({
  results,
  bundle,
  hashMs,
  imports,
  storm,
  realtime,
  portableFanout = [],
  reminders,
  webhooks,
  calls,
  statsRollup,
}) {
  const cpu = cpus();
  const lines = [`node ${process.version} · ${cpu[0]?.model?.trim() ?? 'unknown CPU'} · ${cpu.length} cores`];
  if (results.length) {
    lines.push(
      '',
      `wrangler dev --local, ${CONNECTIONS} connections, ${SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up, ${new Date().toISOString()}`,
      '',
      '| scenario | D1 round trips | req/s | p50 ms | p99 ms | non-2xx |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
  } else {
    lines.push('', `wrangler dev --local, ${new Date().toISOString()}`);
  }
  const notes = [];
  for (const { name, expect, r, unexpected, roundTrips } of results) {
    const non2xx = expect < 300 ? fmt(r.non2xx) : `n/a (expects ${expect})`;
    lines.push(
      `| ${name} | ${roundTrips} | ${fmt(r.requests.average)} | ${fmt(r.latency.p50)} | ${fmt(r.latency.p99)} | ${non2xx} |`,
    );
    if (expect >= 300 && unexpected) notes.push(`${name}: ${unexpected} responses other than ${expect}`);
    if (r.errors || r.timeouts) notes.push(`${name}: ${r.errors} connection errors, ${r.timeouts} timeouts`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `> ${n}`));
  const rps = (prefix) => results.find((x) => x.name.startsWith(prefix))?.r.requests.average;
  const hot = rps('GET /api/v1/users/me');
  const bare = rps('bare route');
  if (hashMs !== undefined)
    lines.push('', `Password hash cost: ${fmt(hashMs, 1)} ms per scrypt hash (N=2^14, r=8, p=5).`);
  if (hot && bare) lines.push(`Hot authenticated read vs bare route: ${fmt((100 * hot) / bare)} % of its throughput.`);
  if (statsRollup) {
    lines.push(
      '',
      `Stats rollup: ${statsRollup.runs} cron runs (31 days each) backfilled ${fmt(statsRollup.totalAppointments)} appointments' days in ${fmt(statsRollup.ms)} ms (the last run ${fmt(statsRollup.lastRunMs)} ms, every cron task included).`,
    );
  }
  if (imports) {
    const rate = (ms) => fmt((imports.rows / ms) * 1000);
    lines.push(
      '',
      '| CSV import (POST /api/v1/supplements/import) | rows | KiB | ms | rows/s |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| first run (creates) | ${fmt(imports.rows)} | ${fmt(imports.bytes / 1024)} | ${fmt(imports.first)} | ${rate(imports.first)} |`,
      `| median of later runs (updates) | ${fmt(imports.rows)} | ${fmt(imports.bytes / 1024)} | ${fmt(imports.median)} | ${rate(imports.median)} |`,
    );
  }
  if (storm) {
    const booked = storm.outcomes.get('201') ?? 0;
    const conflicts = storm.outcomes.get('409 SLOT_UNAVAILABLE') ?? 0;
    const other = [...storm.outcomes].filter(([k]) => k !== '201' && k !== '409 SLOT_UNAVAILABLE');
    lines.push(
      '',
      `Booking storm: ${STORM_PATIENTS} patients (one connection each) book random slots of the demo doctor's ${storm.slots} free slots on ${storm.day} for ${fmt(storm.seconds, 1)} s (POST /api/v1/appointments).`,
      '',
      '| booking storm | bookings/s | 201 | 409 SLOT_UNAVAILABLE | other | attempts/s | p50 ms | p99 ms | day full after ms | live rows | double bookings |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${storm.day} | ${fmt(booked / storm.seconds, 1)} | ${fmt(booked)} | ${fmt(conflicts)} | ${other.length ? other.map(([k, n]) => `${n} × ${k}`).join(', ') : 0} | ${fmt(storm.requests / storm.seconds)} | ${fmt(storm.p50)} | ${fmt(storm.p99)} | ${fmt(storm.lastBookingMs)} | ${fmt(storm.live)} | ${fmt(storm.doubleBookings)} |`,
      '',
      `Most sequential D1 round trips per storm request: ${[...storm.roundTrips].map(([k, n]) => `${k}: ${n}`).join(', ')}.`,
    );
    if (storm.doubleBookings || storm.live !== booked) {
      lines.push(
        '',
        `> DOUBLE BOOKING: ${storm.doubleBookings} overlapping pairs; ${storm.live} live rows for ${booked} answers 201`,
      );
    }
  }
  if (realtime) {
    const { fanout: f, capacity: c } = realtime;
    const idle = `${f.afterIdle.received}/${f.sockets} got the push in ${orNa(f.afterIdle.allMs)} ms, ${f.pongsAfterIdle}/${f.sockets} answered ping`;
    const mib = (kib) => (kib === null ? 'n/a' : fmt(kib / 1024, 1));
    const perSocket =
      c.rssBefore !== null && c.rssAfter !== null && c.held
        ? `${fmt((c.rssAfter - c.rssBefore) / c.held, 1)} KiB`
        : 'n/a';
    lines.push(
      '',
      `Real time: one patient with ${f.sockets} open sockets (subprotocol auth); each round another patient sends POST /api/v1/caregiver/requests, whose service pushes request:incoming to the receiver; timed from the POST until all ${f.sockets} sockets received it.`,
      '',
      '| fan-out | rounds | p50 ms (all sockets) | p99 ms | max ms | POST 201 p50 ms | rounds missing a socket |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${f.sockets} sockets, 1 hub | ${f.rounds} | ${fmt(f.p50)} | ${fmt(f.p99)} | ${fmt(f.max)} | ${fmt(f.postP50)} | ${f.incomplete} |`,
      '',
      `After ${IDLE_MS / 1000} s of silence (longer than workerd's 10 s idle eviction; hibernated sockets stay open): ${idle}.`,
      '',
      '| one hub, concurrent sockets | held | stopped by | seconds to open | workerd RSS before → after MiB | RSS growth per socket (upper bound) | push to all: received | ms | pings answered |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| batches of ${HUB_BATCH} | ${fmt(c.held)} | ${c.failure ?? `the cap (${fmt(c.cap)})`} | ${fmt(c.openSeconds, 1)} | ${mib(c.rssBefore)} → ${mib(c.rssAfter)} | ${perSocket} | ${fmt(c.push.received)} | ${orNa(c.push.allMs)} | ${fmt(c.pongs)} |`,
    );
    lines.push(
      '',
      'RSS growth per socket is an upper bound: it also holds what the upgrade requests (token check, D1 read) left for the garbage collector.',
    );
    if (realtime.reloads) {
      lines.push(
        '',
        `> VOID: wrangler dev rebuilt ${realtime.reloads} time(s) during the real-time scenarios (a source file changed), which drops every socket; rerun on a quiet checkout.`,
      );
    }
  }
  if (portableFanout.length) {
    lines.push(
      '',
      `Socket fan-out on Bun and Deno (the process holds the hubs; docs/runtimes.md#sockets): ${FANOUT_SOCKETS} sockets of one patient, each round a caregiver request from another, timed from the POST until all sockets received request:incoming.`,
      '',
      '| runtime | rounds | p50 ms (all sockets) | p99 ms | max ms | POST 201 p50 ms | rounds missing a socket |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...portableFanout.map(
        (f) =>
          `| ${f.runtime} | ${f.rounds} | ${fmt(f.p50)} | ${fmt(f.p99)} | ${fmt(f.max)} | ${fmt(f.postP50)} | ${f.incomplete} |`,
      ),
    );
  }
  if (webhooks) lines.push('', ...webhooksReport(webhooks, fmt));
  if (calls) lines.push('', ...callsReport(calls, fmt));
  if (reminders) lines.push('', ...remindersReport(reminders, fmt));
  if (bundle) {
    lines.push(
      '',
      '| bundle | raw KiB | gzip KiB |',
      '| --- | ---: | ---: |',
      `| worker (${bundle.files} .js file${bundle.files === 1 ? '' : 's'}) | ${fmt(bundle.raw / 1024, 1)} | ${fmt(bundle.gzip / 1024, 1)} |`,
      '',
      `Worker startup time: ${bundle.startup}${bundle.startup === 'n/a' ? ' (only reported by a real `wrangler deploy`; the dry run does not measure it)' : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The parts BENCH_ONLY may name (comma-separated); all of them by default. */
const PARTS = [
  'routes',
  'import',
  'storm',
  'webhooks',
  'realtime',
  'calls',
  'reminders',
  'bundle',
  'stats',
  'runtimes',
];

/**
 * The hot read (and the bare route, for scale) and the socket fan-out on Bun or Deno: `npm run <script>`
 * on a free port with a throw-away database and files folder (docs/runtimes.md), the same scenarios as on
 * wrangler dev.
 */
async function portableRuntime(script, runtime) {
  const dir = mkdtempSync(join(tmpdir(), 'kinwell-bench-'));
  const port = await freePort(0);
  const baseUrl = `http://127.0.0.1:${port}`;
  mkdirSync(OUT_DIR, { recursive: true });
  const log = openSync(join(OUT_DIR, `${script.replace(':', '-')}.log`), 'w');
  const child = spawn('npm', ['run', script], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...CHILD_ENV,
      PORT: String(port),
      DB_FILE: join(dir, 'kinwell.sqlite'),
      FILES_DIR: join(dir, 'files'),
      REQUEST_CEILING_POLICY: 'off',
      RATE_LIMIT_SCALE: '1000000000',
    },
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`npm run ${script} exited early; see .bench/${script.replace(':', '-')}.log`);
      if (Date.now() > deadline) throw new Error(`npm run ${script} did not answer /health within 60 s`);
      try {
        if ((await fetch(`${baseUrl}/health`)).status === 200) break;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const rows = [];
    for (const s of scenarios.filter((x) => x.path === '/api/v1/users/me')) {
      rows.push(await runScenario(baseUrl, { ...s, name: `${s.name} on ${runtime}` }));
    }
    // The socket fan-out of the real-time part, on the same process's sockets (docs/runtimes.md#sockets).
    const [receiver, ...requesters] = await otpPatients(baseUrl, FANOUT_ROUNDS + 1);
    const { inboxes, stats } = await fanoutRounds(baseUrl, receiver, requesters);
    for (const inbox of inboxes) inbox.ws.close(1000);
    return { rows, fanout: { runtime, ...stats } };
  } finally {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function selectedParts() {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!only?.length) return new Set(PARTS);
  const unknown = only.filter((p) => !PARTS.includes(p));
  if (unknown.length)
    throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  return new Set(only);
}

/**
 * The reminders pipeline in its own wrangler dev, in production mode (real email adapter, no dev
 * routes) with email pointed at a local stand-in provider; D1 is checked after it stopped.
 */
async function remindersPart(port, inspectorPort) {
  const seedFile = join(ROOT, '.wrangler', 'bench-reminders.sql');
  const since = Date.now();
  writeFileSync(seedFile, remindersSeedSql(since));
  run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', seedFile]);
  const provider = await startProvider();
  const logName = 'wrangler-reminders.log';
  try {
    const baseUrl = await startDev(port, inspectorPort, {
      vars: productionVars(provider.url),
      testScheduled: true,
      logName,
    });
    process.stderr.write(`  reminders pipeline (${REMINDER_COUNT} reminders)…\n`);
    const measured = await remindersBench({ baseUrl, provider, logFile: join(OUT_DIR, logName), logOffset: 0 });
    await stopDev();
    return { ...measured, ...remindersCheck(d1, since) };
  } finally {
    await stopDev();
    await provider.close();
  }
}

async function main() {
  if (!Number.isFinite(SECONDS) || SECONDS <= 0)
    throw new Error(`BENCH_SECONDS must be a positive number, got ${process.env.BENCH_SECONDS}`);
  if (!Number.isInteger(REMINDER_COUNT) || REMINDER_COUNT <= 0)
    throw new Error(`BENCH_REMINDERS must be a positive integer, got ${process.env.BENCH_REMINDERS}`);
  if (!Number.isInteger(WEBHOOK_COUNT) || WEBHOOK_COUNT <= 0)
    throw new Error(`BENCH_WEBHOOKS must be a positive integer, got ${process.env.BENCH_WEBHOOKS}`);
  if (!Number.isInteger(CAREGIVER_COUNT) || CAREGIVER_COUNT <= 0)
    throw new Error(`BENCH_CAREGIVERS must be a positive integer, got ${process.env.BENCH_CAREGIVERS}`);
  if (![CALL_ROOMS, RELAY_FRAMES].every((n) => Number.isInteger(n) && n > 0))
    throw new Error('BENCH_CALL_ROOMS and BENCH_CALL_FRAMES must be positive integers');
  const parts = selectedParts();
  process.stderr.write('Preparing bench database…\n');
  run(process.execPath, ['scripts/dev-vars.mjs']);
  run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', PERSIST]);
  // scripts/seed.mjs hard-codes the default state dir, so reuse its SQL against ours.
  const seedFile = join(ROOT, '.wrangler', 'bench-seed.sql');
  mkdirSync(join(ROOT, '.wrangler'), { recursive: true });
  writeFileSync(seedFile, seedSql());
  run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', seedFile]);

  let bundle;
  if (parts.has('bundle')) {
    process.stderr.write('Building bundle (dry run)…\n');
    bundle = bundleSizes();
  }

  const day = stormDay();
  if (parts.has('storm')) resetStormDay(day);
  if (parts.has('routes')) {
    const careSeed = join(ROOT, '.wrangler', 'bench-care.sql');
    writeFileSync(careSeed, careSeedSql());
    run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', careSeed]);
  }
  if (parts.has('stats')) {
    const statsSeed = join(ROOT, '.wrangler', 'bench-stats.sql');
    writeFileSync(statsSeed, statsSeedSql());
    run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', statsSeed]);
  }
  if (parts.has('webhooks')) {
    const webhooksSeed = join(ROOT, '.wrangler', 'bench-webhooks.sql');
    writeFileSync(webhooksSeed, webhooksSeedSql());
    run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', webhooksSeed]);
  }

  const port = await freePort(Number(process.env.BENCH_PORT ?? 8799));
  const inspectorPort = await freePort(0); // the default 9229 may belong to a developer's wrangler dev
  const results = [];
  let imports;
  let storm;
  let realtime;
  let reminders;
  let webhooks;
  let calls;
  let statsRollup;
  if (['routes', 'import', 'storm', 'webhooks', 'realtime', 'stats'].some((p) => parts.has(p))) {
    process.stderr.write(`Starting wrangler dev on :${port}…\n`);
    try {
      // A known webhook secret (not the generated one in .dev.vars), so the webhook storm can sign;
      // GET /__scheduled for the stats rollup.
      const baseUrl = await startDev(port, inspectorPort, {
        vars: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
        testScheduled: parts.has('stats'),
      });
      if (parts.has('routes')) for (const s of scenarios) results.push(await runScenario(baseUrl, s));
      if (parts.has('stats')) {
        process.stderr.write(`  stats rollup over ${APPOINTMENT_COUNT} appointments…\n`);
        const signInAdmin = (url) => signIn(url, { email: 'admin@kinwell.local', password: DEMO_PASSWORD });
        statsRollup = await rollUpStats(baseUrl, await signInAdmin(baseUrl));
        results.push(await runScenario(baseUrl, dashboardScenario(signInAdmin)));
      }
      if (parts.has('import')) {
        process.stderr.write('  CSV import…\n');
        imports = await importBench(baseUrl);
      }
      if (parts.has('storm')) {
        process.stderr.write('  booking storm…\n');
        storm = await bookingStorm(baseUrl, day);
      }
      if (parts.has('webhooks')) {
        process.stderr.write(`  webhook storm (${WEBHOOK_COUNT} events × 3)…\n`);
        webhooks = await webhooksBench(baseUrl);
      }
      if (parts.has('realtime')) {
        process.stderr.write('  real time (fan-out, hibernation, hub capacity)…\n');
        realtime = await realtimeBench(baseUrl);
      }
    } finally {
      await stopDev();
    }
    // Counted in the database itself, after the server has let go of it.
    if (storm) storm = { ...storm, ...stormCheck(day) };
    if (webhooks) webhooks = { ...webhooks, ...webhooksCheck(d1) };
  }
  if (parts.has('calls')) {
    // Its own wrangler dev and state (scripts/lib/calls-fixture.mjs, shared with the e2e check).
    process.stderr.write('Starting wrangler dev for the video rooms…\n');
    mkdirSync(OUT_DIR, { recursive: true });
    calls = await callsBench({
      persistTo: join(ROOT, '.wrangler', 'bench-calls-state'),
      logFile: join(OUT_DIR, 'wrangler-calls.log'),
    });
  }
  if (parts.has('reminders')) {
    process.stderr.write(`Starting wrangler dev (production mode) on :${port} for the reminders pipeline…\n`);
    reminders = await remindersPart(port, inspectorPort);
  }

  const portableFanout = [];
  if (parts.has('runtimes')) {
    for (const [script, runtime] of [
      ['dev:bun', 'Bun'],
      ['dev:deno', 'Deno'],
    ]) {
      process.stderr.write(`Starting npm run ${script} for the hot read and the socket fan-out…\n`);
      const measured = await portableRuntime(script, runtime);
      results.push(...measured.rows);
      portableFanout.push(measured.fanout);
    }
  }

  const hashMs = parts.has('routes') ? hashCostMs() : undefined;
  const md = report({
    results,
    bundle,
    hashMs,
    imports,
    storm,
    realtime,
    portableFanout,
    reminders,
    webhooks,
    calls,
    statsRollup,
  });
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'latest.md'), md);
  process.stdout.write(`\n${md}`);
  if (storm && (storm.doubleBookings || storm.live !== (storm.outcomes.get('201') ?? 0))) process.exitCode = 1;
  if (reminders && remindersFailures(reminders).length) process.exitCode = 1;
  if (webhooks && webhooksFailures(webhooks).length) process.exitCode = 1;
  if (calls && callsFailures(calls).length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  killDev('SIGKILL');
  process.exitCode = 1;
});
