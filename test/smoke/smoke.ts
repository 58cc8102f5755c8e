/**
 * The runtime smoke suite: one API, whatever serves it (Bun, Deno, workerd), driven over HTTP only.
 * `startRuntime` starts a runtime by its npm script on a free port with a throw-away database and files
 * folder; `smokeChecks` are the checks, in order (each needs the state the previous ones made).
 * Sockets are checked with `ws` as a mobile app would use them: the user hub's ping and keep-alive, a
 * pushed event, and a revoked session closing the socket on its next frame.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomSocket, startApi } from '../../scripts/lib/calls-fixture.mjs';
// @ts-expect-error plain JavaScript without declarations
import { freePort, ROOT } from '../../scripts/lib/wrangler-dev.mjs';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../../scripts/seed.mjs';

const DEMO_SERVICE = 'svc_01DEMD00000000000000000001';
const account = (email: string) =>
  (DEMO_ACCOUNTS as { id: string; email: string }[]).find((a) => a.email === email) as { id: string; email: string };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export interface StartedRuntime {
  baseUrl: string;
  /** Fires the cron now, where the runtime does not on its own (wrangler dev: `/__scheduled`). */
  triggerCron?(): Promise<void>;
  /** Everything the server printed so far. */
  output(): string;
  /** Sends `signal` to the runtime's processes (the entries started by npm scripts only). */
  signal?(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Starts `npm run <script>` (dev:bun, dev:deno) on a free port with its own database; resolves once /health answers. */
export async function startRuntime(script: string, timeoutMs = 45_000): Promise<StartedRuntime> {
  const dir = mkdtempSync(join(tmpdir(), `kinwell-${script.replace(':', '-')}-`));
  const port: number = await freePort();
  let output = '';
  const child: ChildProcess = spawn('npm', ['run', script], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      DB_FILE: join(dir, 'kinwell.sqlite'),
      FILES_DIR: join(dir, 'files'),
      PUBLIC_URL: `http://localhost:${port}`,
      REQUEST_CEILING_POLICY: 'off',
      RATE_LIMIT_SCALE: '100',
      NO_COLOR: '1',
    },
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) {
        const signal = (name: NodeJS.Signals) => child.pid && process.kill(-child.pid, name);
        return { baseUrl, output: () => output, signal, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`npm run ${script} did not answer /health:\n${output.slice(-3000)}`);
}

interface Call {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One API call: status, headers and the envelope's `data` (or the error). */
async function callApi(baseUrl: string, method: string, path: string, { token, body, headers = {} }: Call = {}) {
  const all: Record<string, string> = { ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  if (body !== undefined && !(body instanceof FormData)) all['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { data?: unknown; error?: { code: string } } = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON
  }
  // biome-ignore lint/suspicious/noExplicitAny: the smoke suite reads loosely typed answers
  return { status: res.status, headers: res.headers, data: json.data as any, error: json.error, text };
}

/**
 * `wrangler dev --local` (workerd) as the calls e2e check starts it (scripts/lib/calls-fixture.mjs:
 * migrated and seeded in a throw-away state dir), with `--test-scheduled` so the check can fire the cron.
 */
export async function startWorkerd(): Promise<StartedRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'kinwell-workerd-'));
  const logFile = join(dir, 'wrangler.log');
  const api = await startApi({ persistTo: join(dir, 'state'), logFile, args: ['--test-scheduled'] });
  return {
    baseUrl: api.baseUrl,
    output: () => readFileSync(logFile, 'utf8'),
    triggerCron: async () => {
      await fetch(`${api.baseUrl}/__scheduled?cron=*+*+*+*+*`);
    },
    stop: async () => {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The checks, in order; each throws on failure. `target` answers the server once it is started (the
 * checks are listed before it is): its base URL, and what it printed (the cron's log line).
 */
export function smokeChecks(
  target: () => Pick<StartedRuntime, 'baseUrl' | 'output' | 'triggerCron'>,
): [string, () => Promise<void>][] {
  const output = () => target().output();
  const call = (method: string, path: string, options?: Call) => callApi(target().baseUrl, method, path, options);
  const expect = (ok: unknown, what: string, got?: unknown) => {
    if (!ok) throw new Error(`${what}${got === undefined ? '' : `: ${JSON.stringify(got).slice(0, 600)}`}`);
  };
  const state: {
    patient?: string;
    doctor?: string;
    slots?: { start: string }[];
    bookedAt?: number;
    appointmentId?: string;
    socket?: RoomSocket;
  } = {};
  const patient = account('patient@kinwell.local');
  const doctor = account('doctor@kinwell.local');
  const signIn = async (email: string) => {
    const res = await call('POST', '/api/v1/auth/login', { body: { email, password: DEMO_PASSWORD } });
    expect(res.status === 200, `sign-in ${email}`, res.text);
    return res.data.tokens.accessToken as string;
  };
  return [
    [
      'health',
      async () => {
        const res = await call('GET', '/health');
        expect(res.status === 200 && res.data.checks.database.status === 'ok', 'health', res.text);
      },
    ],
    [
      'sign-in as the demo patient',
      async () => {
        state.patient = await signIn(patient.email);
        state.doctor = await signIn(doctor.email);
      },
    ],
    [
      'profile read',
      async () => {
        const res = await call('GET', '/api/v1/users/me', { token: state.patient });
        expect(res.status === 200 && res.data.user.email === patient.email, 'GET /users/me', res.text);
      },
    ],
    [
      'doctor directory',
      async () => {
        const res = await call('GET', '/api/v1/doctors', { token: state.patient });
        expect(res.status === 200 && JSON.stringify(res.data).includes(doctor.id), 'GET /doctors', res.text);
      },
    ],
    [
      'slots',
      async () => {
        const availability = await call('PUT', `/api/v1/doctors/${doctor.id}/availability`, {
          token: state.doctor,
          body: {
            timeZone: 'UTC',
            slotMinutes: 30,
            bufferMinutes: 0,
            minNoticeMinutes: 0,
            maxDaysAhead: 3,
            weeklyHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
          },
        });
        expect(availability.status === 200, 'PUT availability', availability.text);
        const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
        const res = await call(
          'GET',
          `/api/v1/doctors/${doctor.id}/slots?serviceId=${DEMO_SERVICE}&from=${day(1)}&to=${day(2)}`,
          { token: state.patient },
        );
        state.slots = res.data?.slots;
        expect(res.status === 200 && (state.slots?.length ?? 0) > 0, 'GET slots', res.text);
      },
    ],
    [
      'hold → book → replay → conflict',
      async () => {
        const startsAt = state.slots?.[0]?.start as string;
        const slot = { doctorId: doctor.id, serviceId: DEMO_SERVICE, startsAt };
        const hold = await call('POST', '/api/v1/appointments/holds', { token: state.patient, body: slot });
        expect(hold.status === 201, 'POST hold', hold.text);
        const booking = { ...slot, type: 'video', holdId: hold.data.id };
        const key = { 'idempotency-key': `smoke-${Date.now()}` };
        state.bookedAt = Date.now();
        const booked = await call('POST', '/api/v1/appointments', {
          token: state.patient,
          body: booking,
          headers: key,
        });
        expect(booked.status === 201, 'POST appointments', booked.text);
        state.appointmentId = booked.data.id;
        const replay = await call('POST', '/api/v1/appointments', {
          token: state.patient,
          body: booking,
          headers: key,
        });
        expect(replay.status === 201 && replay.data.id === booked.data.id, 'replay', replay.text);
        expect([...replay.headers.values()].includes('true'), 'replay header', [...replay.headers.entries()]);
        const conflict = await call('POST', '/api/v1/appointments', {
          token: state.patient,
          body: { ...slot, type: 'video' },
          headers: { 'idempotency-key': `smoke-other-${Date.now()}` },
        });
        expect(conflict.status === 409, 'conflicting booking', conflict.text);
      },
    ],
    [
      'file upload and download',
      async () => {
        const form = new FormData();
        form.set('purpose', 'avatar');
        form.set('file', new Blob([PNG], { type: 'image/png' }), 'me.png');
        const uploaded = await call('POST', '/api/v1/files', { token: state.patient, body: form });
        expect(uploaded.status === 201, 'POST /files', uploaded.text);
        const res = await fetch(`${target().baseUrl}/api/v1/files/${uploaded.data.id}/content`, {
          headers: { authorization: `Bearer ${state.patient}` },
        });
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(res.status === 200 && bytes.equals(PNG), 'GET /files/{id}/content', {
          status: res.status,
          size: bytes.length,
        });
      },
    ],
    [
      'the console and the docs page (static assets)',
      async () => {
        const page = await fetch(`${target().baseUrl}/console/`);
        const html = await page.text();
        const csp = page.headers.get('content-security-policy') ?? '';
        expect(page.status === 200 && html.includes('<script') && csp.includes("default-src 'none'"), 'GET /console/', {
          status: page.status,
          csp,
        });
        const docs = await call('GET', '/api/v1/docs');
        const bundle = /\/vendor\/swagger-ui-[\d.]+\/swagger-ui-bundle\.js/.exec(docs.text)?.[0];
        expect(docs.status === 200 && bundle, 'GET /api/v1/docs names the pinned Swagger UI', docs.text.slice(0, 600));
        const script = await fetch(`${target().baseUrl}${bundle}`);
        const size = (await script.arrayBuffer()).byteLength;
        const cache = script.headers.get('cache-control') ?? '';
        expect(script.status === 200 && size > 100_000 && cache.includes('immutable'), `GET ${bundle}`, {
          status: script.status,
          size,
          cache,
        });
      },
    ],
    [
      'a queued notification delivered',
      async () => {
        const deadline = Date.now() + 15_000;
        let last = '';
        while (Date.now() < deadline) {
          const res = await call('GET', '/api/v1/dev/outbox?limit=50');
          last = res.text;
          const items = (res.data?.items ?? []) as { recipient: string; createdAt: string }[];
          const after = items.filter((m) => Date.parse(m.createdAt) >= (state.bookedAt ?? 0) - 1_000);
          if (after.some((m) => m.recipient === patient.email || m.recipient === doctor.email)) return;
          await sleep(500);
        }
        expect(false, 'no outbox message after booking', last);
      },
    ],
    [
      'the cron running',
      async () => {
        await target().triggerCron?.();
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && !output().includes('"msg":"cron.run"')) await sleep(250);
        expect(output().includes('"msg":"cron.run"'), 'no cron.run log line', output().slice(-1000));
      },
    ],
    [
      'socket: ping and keep-alive',
      async () => {
        const socket = await RoomSocket.connect(target().baseUrl, '/api/v1/realtime', state.patient as string);
        state.socket = socket;
        expect(socket.ws.protocol === 'kinwell.v1', 'selected subprotocol', socket.ws.protocol);
        socket.ws.send('{"event":"ping"}');
        const alive = await socket.next((f) => f.event === 'pong' && f.id === undefined, { what: 'keep-alive' });
        expect(alive.data === undefined, 'keep-alive answer', alive);
        socket.send('ping', undefined, 'smoke-1');
        const pong = await socket.next((f) => f.id === 'smoke-1', { what: 'pong' });
        expect(pong.event === 'pong' && typeof pong.data?.at === 'string', 'pong', pong);
      },
    ],
    [
      'socket: a pushed event',
      async () => {
        const socket = state.socket as RoomSocket;
        const pushed = socket.next('appointment:updated');
        const confirmed = await call('POST', `/api/v1/appointments/${state.appointmentId}/confirm`, {
          token: state.doctor,
        });
        expect(confirmed.status === 200, 'POST confirm', confirmed.text);
        const frame = await pushed;
        expect(
          frame.data.action === 'confirm' &&
            frame.data.appointment.status === 'confirmed' &&
            frame.data.appointment.id === state.appointmentId,
          'appointment:updated',
          frame,
        );
      },
    ],
    [
      'socket: signing out closes it on its next frame (4403)',
      async () => {
        const out = await call('POST', '/api/v1/auth/logout', { token: state.patient, body: {} });
        expect(out.status === 200 || out.status === 204, 'POST /auth/logout', out.text);
        const socket = state.socket as RoomSocket;
        const refusal = socket.next((f) => f.id === 'smoke-2', { what: 'the refusal' });
        socket.send('ping', undefined, 'smoke-2');
        const refused = await refusal;
        expect(refused.event === 'error' && refused.data.code === 'TOKEN_REVOKED', 'refusal', refused);
        const code = await socket.closedWith();
        expect(code === 4403, 'close code', code);
      },
    ],
  ];
}

/**
 * The last check of an entry started by its npm script: on SIGTERM it closes its sockets with 1001
 * (going away: clients reconnect), finishes, logs `portable.stopped` and exits.
 */
export async function gracefulStop(server: StartedRuntime): Promise<void> {
  const signIn = await callApi(server.baseUrl, 'POST', '/api/v1/auth/login', {
    body: { email: 'patient@kinwell.local', password: DEMO_PASSWORD },
  });
  const socket = await RoomSocket.connect(server.baseUrl, '/api/v1/realtime', signIn.data.tokens.accessToken);
  server.signal?.('SIGTERM');
  const code = await socket.closedWith(15_000);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !server.output().includes('"msg":"portable.stopped"')) await sleep(100);
  if (code !== 1001 || !server.output().includes('"msg":"portable.stopped"')) {
    throw new Error(`graceful stop: close code ${code}; output:\n${server.output().slice(-1500)}`);
  }
}
