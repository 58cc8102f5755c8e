// Local performance baseline: throughput/latency of a few hot routes under `wrangler dev --local`
// (workerd + SQLite-backed D1 on this machine) and the size of the deployable bundle.
// Numbers are for comparing commits on the same machine, not a prediction of production latency.
// Usage: npm run bench   (BENCH_SECONDS=5 for a quicker run, BENCH_PORT to pin the port)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt, scryptSync } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { transform } from 'esbuild';
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

function listenOn(port) {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address();
      srv.close(() => resolve(bound));
    });
  });
}
const freePort = (preferred) => listenOn(preferred).catch(() => listenOn(0));

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

async function startDev(port, inspectorPort) {
  mkdirSync(OUT_DIR, { recursive: true });
  const log = openSync(join(OUT_DIR, 'wrangler.log'), 'w'); // per-request logs would drown the report
  const args = ['wrangler', 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--inspector-port', String(inspectorPort), '--persist-to', PERSIST, '--show-interactive-dev-session=false');
  // The login scenario would trip the sign-in rate limits in a second; scale them (ignored in production).
  args.push('--var', 'RATE_LIMIT_SCALE:1000000000');
  devChild = spawn('npx', args, { cwd: ROOT, env: CHILD_ENV, detached: true, stdio: ['ignore', log, log] });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (devChild.exitCode !== null)
      throw new Error(`wrangler dev exited early (${devChild.exitCode}); see .bench/wrangler.log`);
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) return baseUrl;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('wrangler dev did not answer 200 on /health within 60 s; see .bench/wrangler.log');
}

async function stopDev() {
  if (!devChild) return;
  const exited = devChild.exitCode === null ? new Promise((r) => devChild.once('exit', r)) : null;
  killDev('SIGTERM');
  if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  killDev('SIGKILL');
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
  const opts = { url, method: s.method, headers, body, connections: CONNECTIONS };
  await autocannon({ ...opts, duration: WARMUP_SECONDS });
  const r = await autocannon({ ...opts, duration: SECONDS });
  const unexpected = Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => Number(code) !== s.expect)
    .reduce((n, [, { count }]) => n + count, 0);
  process.stderr.write(`  ${s.name}: ${Math.round(r.requests.average)} req/s\n`);
  return { ...s, r, unexpected };
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

function report(results, bundle, hashMs, imports, storm) {
  const cpu = cpus();
  const lines = [
    `node ${process.version} · ${cpu[0]?.model?.trim() ?? 'unknown CPU'} · ${cpu.length} cores`,
    '',
    `wrangler dev --local, ${CONNECTIONS} connections, ${SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up, ${new Date().toISOString()}`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  const notes = [];
  for (const { name, expect, r, unexpected } of results) {
    const non2xx = expect < 300 ? fmt(r.non2xx) : `n/a (expects ${expect})`;
    lines.push(`| ${name} | ${fmt(r.requests.average)} | ${fmt(r.latency.p50)} | ${fmt(r.latency.p99)} | ${non2xx} |`);
    if (expect >= 300 && unexpected) notes.push(`${name}: ${unexpected} responses other than ${expect}`);
    if (r.errors || r.timeouts) notes.push(`${name}: ${r.errors} connection errors, ${r.timeouts} timeouts`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `> ${n}`));
  const rps = (prefix) => results.find((x) => x.name.startsWith(prefix))?.r.requests.average;
  const hot = rps('GET /api/v1/users/me');
  const bare = rps('bare route');
  lines.push('', `Password hash cost: ${fmt(hashMs, 1)} ms per scrypt hash (N=2^14, r=8, p=5).`);
  if (hot && bare) lines.push(`Hot authenticated read vs bare route: ${fmt((100 * hot) / bare)} % of its throughput.`);
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
    );
    if (storm.doubleBookings || storm.live !== booked) {
      lines.push(
        '',
        `> DOUBLE BOOKING: ${storm.doubleBookings} overlapping pairs; ${storm.live} live rows for ${booked} answers 201`,
      );
    }
  }
  lines.push(
    '',
    '| bundle | raw KiB | gzip KiB |',
    '| --- | ---: | ---: |',
    `| worker (${bundle.files} .js file${bundle.files === 1 ? '' : 's'}) | ${fmt(bundle.raw / 1024, 1)} | ${fmt(bundle.gzip / 1024, 1)} |`,
    '',
    `Worker startup time: ${bundle.startup}${bundle.startup === 'n/a' ? ' (only reported by a real `wrangler deploy`; the dry run does not measure it)' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

async function main() {
  if (!Number.isFinite(SECONDS) || SECONDS <= 0)
    throw new Error(`BENCH_SECONDS must be a positive number, got ${process.env.BENCH_SECONDS}`);
  process.stderr.write('Preparing bench database…\n');
  run(process.execPath, ['scripts/dev-vars.mjs']);
  run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', PERSIST]);
  // scripts/seed.mjs hard-codes the default state dir, so reuse its SQL against ours.
  const seedFile = join(ROOT, '.wrangler', 'bench-seed.sql');
  mkdirSync(join(ROOT, '.wrangler'), { recursive: true });
  writeFileSync(seedFile, seedSql());
  run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', PERSIST, '--file', seedFile]);

  process.stderr.write('Building bundle (dry run)…\n');
  const bundle = bundleSizes();

  const day = stormDay();
  resetStormDay(day);

  const port = await freePort(Number(process.env.BENCH_PORT ?? 8799));
  const inspectorPort = await freePort(0); // the default 9229 may belong to a developer's wrangler dev
  process.stderr.write(`Starting wrangler dev on :${port}…\n`);
  const results = [];
  let imports;
  let storm;
  try {
    const baseUrl = await startDev(port, inspectorPort);
    for (const s of scenarios) results.push(await runScenario(baseUrl, s));
    process.stderr.write('  CSV import…\n');
    imports = await importBench(baseUrl);
    process.stderr.write('  booking storm…\n');
    storm = await bookingStorm(baseUrl, day);
  } finally {
    await stopDev();
  }
  // Counted in the database itself, after the server has let go of it.
  storm = { ...storm, ...stormCheck(day) };

  const md = report(results, bundle, hashCostMs(), imports, storm);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'latest.md'), md);
  process.stdout.write(`\n${md}`);
  if (storm.doubleBookings || storm.live !== (storm.outcomes.get('201') ?? 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  killDev('SIGKILL');
  process.exitCode = 1;
});
