// The video rooms part of scripts/bench.mjs (BENCH_ONLY=calls): its own wrangler dev on a throw-away
// state (scripts/lib/calls-fixture.mjs, the same start and room client as the e2e check), with
// CALL_ROOMS + 1 confirmed video visits of the demo patient with the demo doctor written into D1.
// (a) Relay latency: in one room, the doctor sends RELAY_FRAMES `signal:ice` frames to the patient, one
//     at a time, each timed from send until the patient's socket received it; paced under the room's
//     per-socket allowance (ROOM_RATE of src/realtime/room-protocol.ts), so no frame is refused.
// (b) Capacity: rooms opened ROOM_BATCH at a time (doctor joins, patient joins and waits, doctor admits)
//     until CALL_ROOMS or the first failure; then RELAY_ROUNDS rounds in which every held room relays one
//     `signal:ice` frame at once, and the rooms whose every frame arrived count as held.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  admittedPair,
  DEMO_DOCTOR,
  DEMO_PATIENT,
  roomsSeedSql,
  seededRoomId,
  signIn,
  startApi,
} from './lib/calls-fixture.mjs';
import { ROOT } from './lib/wrangler-dev.mjs';

/** Concurrent rooms to try (BENCH_CALL_ROOMS) and relay frames to time (BENCH_CALL_FRAMES). */
export const CALL_ROOMS = Number(process.env.BENCH_CALL_ROOMS ?? 200);
export const RELAY_FRAMES = Number(process.env.BENCH_CALL_FRAMES ?? 500);
const ROOM_BATCH = 10;
const RELAY_ROUNDS = 5;
const FRAME_TIMEOUT_MS = 10_000;
/** A valid but unusable description: the room relays it unread, and it releases the candidates after it. */
const DUMMY_SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** The room's per-socket frame allowance, read from the protocol itself so the pacing follows it. */
function roomRate() {
  const source = readFileSync(join(ROOT, 'src/realtime/room-protocol.ts'), 'utf8');
  const m = /ROOM_RATE = \{ limit: ([\d_]+), windowMs: ([\d_]+)/.exec(source);
  if (!m) throw new Error('calls bench: ROOM_RATE not found in src/realtime/room-protocol.ts');
  const n = (s) => Number(s.replace(/_/g, ''));
  return { limit: n(m[1]), windowMs: n(m[2]) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const at = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
const candidate = (n) => ({
  candidate: `candidate:${n} 1 udp 2122260223 192.0.2.1 ${10000 + (n % 50000)} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

/** Sends one `signal:ice` doctor → patient and resolves with the milliseconds until the patient had it. */
async function relayOnce({ doc, pat }, to, n) {
  const arrived = pat.next((f) => f.event === 'signal:ice' && f.data.candidate?.candidate === candidate(n).candidate, {
    timeoutMs: FRAME_TIMEOUT_MS,
  });
  const sent = performance.now();
  doc.send('signal:ice', { to, candidate: candidate(n) });
  return (await arrived).at - sent;
}

/** The doctor's (dummy) offer reaches the patient: later candidates are relayed at once, not held. */
async function describe({ doc, pat }, to) {
  const arrived = pat.next('signal:offer', { timeoutMs: FRAME_TIMEOUT_MS });
  doc.send('signal:offer', { to, sdp: DUMMY_SDP });
  await arrived;
}

async function relayLatency(baseUrl, doctor, patient, rate) {
  const pair = await admittedPair(baseUrl, seededRoomId(0), doctor, patient);
  try {
    await describe(pair, patient.userId);
    // A fifth of the allowance kept free (the offer, pings), and a margin on the window.
    const perWindow = Math.floor(rate.limit * 0.8);
    const times = [];
    let windowStart = performance.now();
    let inWindow = 1; // the offer
    for (let i = 0; i < RELAY_FRAMES; i++) {
      if (inWindow >= perWindow) {
        await sleep(Math.max(0, windowStart + rate.windowMs + 500 - performance.now()));
        windowStart = performance.now();
        inWindow = 0;
      }
      times.push(await relayOnce(pair, patient.userId, i));
      inWindow++;
    }
    return times.sort((a, b) => a - b);
  } finally {
    pair.doc.terminate();
    pair.pat.terminate();
  }
}

async function capacity(baseUrl, doctor, patient) {
  const held = [];
  let failure = null;
  const started = performance.now();
  while (held.length < CALL_ROOMS && !failure) {
    const first = held.length + 1; // room 0 is the latency room
    const size = Math.min(ROOM_BATCH, CALL_ROOMS - held.length);
    const batch = await Promise.allSettled(
      Array.from({ length: size }, (_, i) => admittedPair(baseUrl, seededRoomId(first + i), doctor, patient)),
    );
    for (const r of batch) {
      if (r.status === 'fulfilled') held.push(r.value);
      else
        failure ??= String(r.reason?.message ?? r.reason)
          .replace(/[|\n]/g, ' ')
          .slice(0, 160);
    }
  }
  const openSeconds = (performance.now() - started) / 1000;
  const working = new Set(held);
  const times = [];
  const described = await Promise.allSettled(held.map((pair) => describe(pair, patient.userId)));
  described.forEach((r, i) => {
    if (r.status === 'rejected') working.delete(held[i]);
  });
  for (let round = 0; round < RELAY_ROUNDS; round++) {
    const live = [...working];
    const results = await Promise.allSettled(
      live.map((pair, i) => relayOnce(pair, patient.userId, 1_000_000 + round * 10_000 + i)),
    );
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') times.push(r.value);
      else working.delete(live[i]);
    });
  }
  for (const { doc, pat } of held) {
    doc.terminate();
    pat.terminate();
  }
  times.sort((a, b) => a - b);
  return { tried: CALL_ROOMS, opened: held.length, held: working.size, failure, openSeconds, times };
}

/** Runs both parts on a wrangler dev of their own (state in `persistTo`, log in `logFile`). */
export async function callsBench({ persistTo, logFile }) {
  const rate = roomRate();
  const server = await startApi({ persistTo, logFile, sql: roomsSeedSql(CALL_ROOMS + 1) });
  try {
    const [doctor, patient] = await Promise.all([
      signIn(server.baseUrl, DEMO_DOCTOR),
      signIn(server.baseUrl, DEMO_PATIENT),
    ]);
    process.stderr.write(`  relay latency (${RELAY_FRAMES} signal:ice frames, ${rate.limit}/${rate.windowMs} ms)…\n`);
    const relay = await relayLatency(server.baseUrl, doctor, patient, rate);
    process.stderr.write(`  concurrent rooms (up to ${CALL_ROOMS})…\n`);
    const rooms = await capacity(server.baseUrl, doctor, patient);
    return { rate, relay, rooms };
  } finally {
    await server.stop();
  }
}

/** What makes the run a failure: a relay frame lost in the quiet room. */
export function callsFailures(r) {
  return r.relay.length === RELAY_FRAMES ? [] : [`${RELAY_FRAMES - r.relay.length} relay frames lost`];
}

/** The part's report lines (markdown). */
export function callsReport(r, fmt) {
  const ms = (n) => (n === null ? 'n/a' : fmt(n, 1));
  const { rooms } = r;
  return [
    `Video rooms: its own wrangler dev; the demo doctor and patient admitted in a room (GET /api/v1/appointments/{id}/call/connect, subprotocol auth). Relay: ${fmt(RELAY_FRAMES)} \`signal:ice\` frames doctor → patient after a description, one at a time, timed from send until the patient's socket had it, paced under the per-socket allowance (${r.rate.limit} frames / ${fmt(r.rate.windowMs / 1000)} s). Capacity: rooms opened ${ROOM_BATCH} at a time (both sockets, patient admitted) up to ${fmt(rooms.tried)}, then ${RELAY_ROUNDS} rounds of one frame relayed in every room at once.`,
    '',
    '| call signaling relay | frames | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| doctor → patient, 1 room | ${fmt(r.relay.length)} | ${ms(at(r.relay, 0.5))} | ${ms(at(r.relay, 0.99))} | ${ms(r.relay.at(-1) ?? null)} |`,
    '',
    '| concurrent rooms (2 sockets each) | tried | opened | held (every relay arrived) | stopped by | seconds to open | relay p50 ms at that load | p99 ms |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    `| batches of ${ROOM_BATCH} | ${fmt(rooms.tried)} | ${fmt(rooms.opened)} | ${fmt(rooms.held)} | ${rooms.failure ?? `the cap (${fmt(rooms.tried)})`} | ${fmt(rooms.openSeconds, 1)} | ${ms(at(rooms.times, 0.5))} | ${ms(at(rooms.times, 0.99))} |`,
    ...(callsFailures(r).length ? ['', `> CALLS BENCH FAILED: ${callsFailures(r).join('; ')}`] : []),
  ];
}
