// What the calls end-to-end check (test/e2e/calls.test.ts) and the calls bench (scripts/bench-calls.mjs)
// share: a migrated, seeded `wrangler dev --local` in a throw-away state dir, the demo accounts signed
// in, a confirmed video visit whose room is open now, and a room socket client speaking the protocol
// of src/realtime/room-protocol.ts. Only localhost: nothing here reaches the network.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedSql } from '../seed.mjs';
import { devVarsScript, freePort, ROOT, wranglerBin, wranglerDevArgs } from './wrangler-dev.mjs';

/** The subprotocol of the room (ROOM_SUBPROTOCOL in src/realtime/room-protocol.ts). */
export const ROOM_SUBPROTOCOL = 'kinwell.v1';
export const DEMO_DOCTOR = DEMO_ACCOUNTS.find((a) => a.email === 'doctor@kinwell.local');
export const DEMO_PATIENT = DEMO_ACCOUNTS.find((a) => a.email === 'patient@kinwell.local');
/** The demo doctor's 30-minute "General consultation" (scripts/seed.mjs). */
export const DEMO_SERVICE = 'svc_01DEMD00000000000000000001';

// wrangler must not phone home (no internet) nor prompt.
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' };

function wrangler(args, persistTo) {
  const res = spawnSync(process.execPath, [wranglerBin, ...args, '--local', '--persist-to', persistTo], {
    cwd: ROOT,
    env: CHILD_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.status !== 0) throw new Error(`wrangler ${args.join(' ')}: ${res.stderr}${res.stdout}`.slice(0, 2000));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The end of wrangler's log, for an error message (CI deletes the file with its temporary dir). */
function logTail(logFile, lines = 30) {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the API as `npm run dev` does (scripts/lib/wrangler-dev.mjs; .dev.vars by scripts/dev-vars.mjs),
 * on a free port, with its own state in `persistTo` (emptied first): migrations applied, the demo data
 * seeded, then `sql` (run before the server starts: wrangler d1 execute and wrangler dev do not share
 * the database file safely). The request ceiling is off and rate limits scaled up: every socket and
 * request comes from 127.0.0.1. Resolves once /health answers 200; `stop()` kills the process group.
 */
export async function startApi({ persistTo, logFile, sql = '', vars = {}, args = [], timeoutMs = 120_000 }) {
  rmSync(persistTo, { recursive: true, force: true });
  mkdirSync(persistTo, { recursive: true });
  const dev = spawnSync(process.execPath, [devVarsScript], { cwd: ROOT, env: CHILD_ENV, stdio: 'ignore' });
  if (dev.status !== 0) throw new Error('scripts/dev-vars.mjs failed');
  wrangler(['d1', 'migrations', 'apply', 'DB'], persistTo);
  const seedFile = join(persistTo, 'seed.sql');
  writeFileSync(seedFile, `${seedSql()}${sql}`);
  wrangler(['d1', 'execute', 'DB', '--file', seedFile], persistTo);

  const port = await freePort();
  const inspectorPort = await freePort(); // the default 9229 may belong to a developer's wrangler dev
  const extra = ['--ip', '127.0.0.1', '--persist-to', persistTo, '--inspector-port', String(inspectorPort)];
  extra.push('--show-interactive-dev-session=false', '--var', 'REQUEST_CEILING_POLICY:off');
  extra.push('--var', 'RATE_LIMIT_SCALE:1000000000');
  for (const [name, value] of Object.entries(vars)) extra.push('--var', `${name}:${value}`);
  extra.push(...args);
  const log = openSync(logFile, 'w');
  // Its own process group (detached), so one signal reaches wrangler and workerd alike.
  const child = spawn(process.execPath, wranglerDevArgs(port, extra), {
    cwd: ROOT,
    env: CHILD_ENV,
    detached: true,
    stdio: ['ignore', log, log],
  });
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const onExit = () => kill('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    const exited = child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null;
    kill('SIGTERM');
    if (exited) await Promise.race([exited, sleep(5000)]);
    kill('SIGKILL'); // workerd may outlive wrangler
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited early (${child.exitCode}):\n${logTail(logFile)}`);
    }
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) return { baseUrl, port, pid: child.pid, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not answer /health within ${timeoutMs / 1000} s:\n${logTail(logFile)}`);
}

/** A JSON API call; throws unless the status is `expect`. Resolves with the envelope's `data`. */
export async function api(baseUrl, method, path, { token, body, expect = 200 } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${text}`);
  return text ? JSON.parse(text).data : undefined;
}

/** A demo account signed in with its password: `{ userId, token }`. */
export async function signIn(baseUrl, account) {
  const data = await api(baseUrl, 'POST', '/api/v1/auth/login', {
    body: { email: account.email, password: DEMO_PASSWORD },
  });
  return { userId: account.id, token: data.tokens.accessToken };
}

/**
 * A video visit of the demo patient with the demo doctor whose room is open now, made through the API
 * as people would: the doctor opens every day round the clock on a 5-minute grid with no notice (in a zone
 * whose clock is near noon now),
 * the patient books the next slot (at most 5 minutes ahead, so inside the room's default 10-minute
 * opening window), and the doctor confirms it. Resolves with the appointment.
 */
export async function bookVideoVisit(baseUrl, { doctor, patient }) {
  // A slot never crosses the end of the doctor's day, so near midnight the next slot would be the next
  // day's first, outside the room's opening window (the test then failed between 23:35 and 23:50 UTC):
  // the doctor's clock is put near noon by a whole-hour zone (Etc/GMT-N is N hours east of UTC).
  const offset = Math.max(-12, Math.min(14, 12 - new Date().getUTCHours()));
  const timeZone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  await api(baseUrl, 'PUT', `/api/v1/doctors/${doctor.userId}/availability`, {
    token: doctor.token,
    body: {
      timeZone,
      slotMinutes: 5,
      bufferMinutes: 0,
      minNoticeMinutes: 0,
      maxDaysAhead: 2,
      weeklyHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
    },
  });
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const { slots } = await api(
    baseUrl,
    'GET',
    `/api/v1/doctors/${doctor.userId}/slots?serviceId=${DEMO_SERVICE}&from=${day(-1)}&to=${day(1)}`,
  );
  const slot = slots.find((s) => Date.parse(s.start) > Date.now() + 5_000);
  if (!slot) throw new Error(`no slot of the demo doctor in ${JSON.stringify(slots.slice(0, 3))}`);
  const booked = await api(baseUrl, 'POST', '/api/v1/appointments', {
    token: patient.token,
    body: { doctorId: doctor.userId, serviceId: DEMO_SERVICE, startsAt: slot.start, type: 'video' },
    expect: 201,
  });
  return api(baseUrl, 'POST', `/api/v1/appointments/${booked.id}/confirm`, { token: doctor.token });
}

/** Id of the i-th bench room's appointment (roomsSeedSql). */
export const seededRoomId = (i) => `apt_benchcall${String(i).padStart(5, '0')}`;

/**
 * SQL for `count` confirmed video visits of the demo patient with the demo doctor, all starting
 * `startsInMinutes` from `now` (rooms open now): the bench needs more rooms at once than one doctor's
 * calendar could hold, so they are written straight into D1 (startApi's `sql`).
 */
export function roomsSeedSql(count, { now = Date.now(), startsInMinutes = 5, minutes = 60 } = {}) {
  const startsAt = now + startsInMinutes * 60_000;
  // One short statement whatever the count (a VALUES row per visit would outgrow SQLite's statement limit).
  return `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count - 1})
INSERT INTO appointments (id, patient_id, doctor_id, service_id, booked_by, type, status, starts_at, ends_at,
  buffer_minutes, time_zone, price_cents, currency, created_at, updated_at)
SELECT 'apt_benchcall' || printf('%05d', i), '${DEMO_PATIENT.id}', '${DEMO_DOCTOR.id}', '${DEMO_SERVICE}',
  '${DEMO_PATIENT.id}', 'video', 'confirmed', ${startsAt}, ${startsAt + minutes * 60_000}, 0, 'UTC', 5000, 'EUR',
  ${now}, ${now} FROM seq;
`;
}

/**
 * A client's socket to the API: a room's (GET /api/v1/appointments/{id}/call/connect) or the user hub's
 * (GET /api/v1/realtime), with subprotocol auth. Frames are `{ event, data, id? }`, given `at`
 * (performance.now() on arrival). A frame goes to the listener of its event (`on`) if there is one,
 * else to the first waiter it matches (`next`), else it is queued for a later `next`.
 */
export class RoomSocket {
  static open(baseUrl, appointmentId, token, options) {
    return RoomSocket.connect(baseUrl, `/api/v1/appointments/${appointmentId}/call/connect`, token, options);
  }

  /** Opens the socket at `path` with the subprotocols `kinwell.v1, bearer.<token>`. */
  static connect(baseUrl, path, token, { timeoutMs = 15_000 } = {}) {
    const url = `${baseUrl.replace(/^http/, 'ws')}${path}`;
    const ws = new WebSocket(url, [ROOM_SUBPROTOCOL, `bearer.${token}`]);
    const socket = new RoomSocket(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`${path}: no upgrade within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => reject(new Error(`${path}: upgrade refused ${res.statusCode} ${body}`)));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = new Set();
    this.listeners = new Map();
    this.closed = null;
    this.seq = 0;
    ws.on('message', (raw) => {
      const frame = { ...JSON.parse(String(raw)), at: performance.now() };
      const listener = this.listeners.get(frame.event);
      if (listener) {
        listener(frame);
        return;
      }
      for (const w of this.waiters) {
        if (w.match(frame)) {
          w.resolve(frame);
          return;
        }
      }
      this.frames.push(frame);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const w of this.waiters) w.reject(new Error(`socket closed ${code} ${reason} while waiting for ${w.what}`));
    });
  }

  /** Every later frame of `event` goes to `listener` (instead of `next`). */
  on(event, listener) {
    this.listeners.set(event, listener);
  }

  send(event, data, id) {
    this.ws.send(JSON.stringify(id === undefined ? { event, data } : { event, data, id }));
  }

  /** Sends with a fresh id and resolves with its `<event>:success` reply (throws on `<event>:error`). */
  async request(event, data, timeoutMs) {
    const id = `r${++this.seq}`;
    const reply = this.next((f) => f.id === id, { timeoutMs, what: `the reply to ${event}` });
    this.send(event, data, id);
    const frame = await reply;
    if (frame.event !== `${event}:success`) throw new Error(`${event}: ${JSON.stringify(frame)}`);
    return frame.data;
  }

  /** The next frame of `event` (a name) or matching `match` (a function). */
  next(match, { timeoutMs = 15_000, what } = {}) {
    const test = typeof match === 'function' ? match : (f) => f.event === match;
    const label = what ?? (typeof match === 'string' ? match : 'a frame');
    const queued = this.frames.findIndex(test);
    if (queued >= 0) return Promise.resolve(this.frames.splice(queued, 1)[0]);
    if (this.closed) return Promise.reject(new Error(`socket closed ${this.closed.code} before ${label}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        match: test,
        what: label,
        resolve: (f) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(f);
        },
        reject: (err) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(err);
        },
      };
      const timer = setTimeout(() => waiter.reject(new Error(`no ${label} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves with the close code once the socket is closed; rejects after `timeoutMs`. */
  closedWith(timeoutMs = 10_000) {
    if (this.closed) return Promise.resolve(this.closed.code);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the socket did not close within ${timeoutMs} ms`)), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(code = 1000) {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * The doctor joins (admitted at once), the patient joins and waits, the doctor admits them: resolves
 * with both sockets once the patient has the `room:state` of an admitted participant.
 */
export async function admittedPair(baseUrl, appointmentId, doctor, patient, { timeoutMs = 15_000 } = {}) {
  const doc = await RoomSocket.open(baseUrl, appointmentId, doctor.token, { timeoutMs });
  try {
    await doc.next('room:state', { timeoutMs });
    const pat = await RoomSocket.open(baseUrl, appointmentId, patient.token, { timeoutMs });
    try {
      const waiting = await pat.next('room:state', { timeoutMs });
      if (waiting.data.you.state !== 'waiting') throw new Error(`the patient joined as ${waiting.data.you.state}`);
      await doc.next((f) => f.event === 'room:waiting' && f.data.userId === patient.userId, { timeoutMs });
      const admitted = pat.next((f) => f.event === 'room:state' && f.data.you.state === 'joined', { timeoutMs });
      await doc.request('room:admit', { userId: patient.userId }, timeoutMs);
      await admitted;
      return { doc, pat };
    } catch (err) {
      pat.terminate();
      throw err;
    }
  } catch (err) {
    doc.terminate();
    throw err;
  }
}
