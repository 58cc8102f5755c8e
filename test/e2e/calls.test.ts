import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RTCIceCandidate, RTCPeerConnection } from 'werift';
import {
  admittedPair,
  api,
  bookVideoVisit,
  DEMO_DOCTOR,
  DEMO_PATIENT,
  type RoomFrame,
  type RoomSocket,
  type RunningApi,
  signIn,
  startApi,
} from '../../scripts/lib/calls-fixture.mjs';
import { startRuntime } from '../smoke/smoke';

/**
 * The video room end to end on each runtime (`wrangler dev --local`, `npm run dev:bun`, `npm run
 * dev:deno`; each on its own state, migrated and seeded): a video visit booked and confirmed through
 * the API, and two real WebRTC peers (werift) that meet in the room, signal through it only, and open a
 * data channel to each other. No network but localhost: no STUN or
 * TURN server, host candidates only.
 */

/** Host candidates only (loopback included, for a machine with no other interface); no STUN, no TURN. */
const PEER_CONFIG = { iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] };

/**
 * A werift peer whose signaling goes through `socket` to `peerId`: local candidates are sent as
 * `signal:ice` (null when gathering ends), inbound descriptions and candidates applied in arrival order,
 * candidates that come before the remote description held until it is set.
 */
function signalingPeer(socket: RoomSocket, peerId: string) {
  const pc = new RTCPeerConnection(PEER_CONFIG);
  const early: RTCIceCandidate[] = [];
  let chain = Promise.resolve();
  let failure: unknown = null;
  const inOrder = (step: () => Promise<void>) => {
    chain = chain.then(step).catch((err) => {
      failure ??= err;
    });
  };
  pc.onIceCandidate.subscribe((c) => {
    const candidate = c
      ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null }
      : null;
    socket.send('signal:ice', { to: peerId, candidate });
  });
  const described = async () => {
    for (const c of early.splice(0)) await pc.addIceCandidate(c);
  };
  socket.on('signal:offer', (f: RoomFrame) =>
    inOrder(async () => {
      expect(f.data.from).toBe(peerId);
      await pc.setRemoteDescription({ type: 'offer', sdp: f.data.sdp });
      await described();
      await pc.setLocalDescription(await pc.createAnswer());
      socket.send('signal:answer', { to: peerId, sdp: pc.localDescription!.sdp });
    }),
  );
  socket.on('signal:answer', (f: RoomFrame) =>
    inOrder(async () => {
      expect(f.data.from).toBe(peerId);
      await pc.setRemoteDescription({ type: 'answer', sdp: f.data.sdp });
      await described();
    }),
  );
  socket.on('signal:ice', (f: RoomFrame) =>
    inOrder(async () => {
      expect(f.data.from).toBe(peerId);
      if (!f.data.candidate) return; // end of candidates
      if (pc.remoteDescription) await pc.addIceCandidate(f.data.candidate);
      else early.push(f.data.candidate);
    }),
  );
  const offer = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    socket.send('signal:offer', { to: peerId, sdp: pc.localDescription!.sdp });
  };
  return { pc, offer, failure: () => failure };
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The runtimes the room runs on: workerd (`wrangler dev`, the Durable Object) and Bun and Deno (the same
 * room logic held by the process, src/runtime/portable/sockets.ts), each started by its npm script.
 */
const RUNTIMES: [string, () => Promise<{ baseUrl: string; stop(): Promise<void> }>][] = [
  [
    'wrangler dev',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kinwell-e2e-'));
      const paths = { persistTo: join(dir, 'state'), logFile: join(dir, 'wrangler.log') };
      // Generous: in CI the workers project shares the two cores with this cold start.
      const api: RunningApi = await startApi({ ...paths, timeoutMs: 180_000 });
      return {
        baseUrl: api.baseUrl,
        stop: async () => {
          await api.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  ['bun', () => startRuntime('dev:bun')],
  ['deno', () => startRuntime('dev:deno')],
];

describe.each(RUNTIMES)('Video room end to end (%s + two werift peers)', (_runtime, start) => {
  let server: { baseUrl: string; stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    server = await start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('Should connect two WebRTC peers through the room, exchange data both ways, and complete the visit when the doctor ends it', async () => {
    const baseUrl = server!.baseUrl;
    const [doctor, patient] = await Promise.all([signIn(baseUrl, DEMO_DOCTOR), signIn(baseUrl, DEMO_PATIENT)]);
    const visit = await bookVideoVisit(baseUrl, { doctor, patient });
    expect(visit).toMatchObject({ type: 'video', status: 'confirmed' });

    const { doc, pat } = await admittedPair(baseUrl, visit.id, doctor, patient);
    const doctorPeer = signalingPeer(doc, patient.userId);
    const patientPeer = signalingPeer(pat, doctor.userId);
    try {
      const channel = doctorPeer.pc.createDataChannel('visit');
      const patientGot = new Promise<string>((resolve) => {
        patientPeer.pc.onDataChannel.subscribe((ch) => {
          ch.onMessage.subscribe((m) => {
            resolve(String(m));
            ch.send('hello from the patient');
          });
        });
      });
      const doctorGot = new Promise<string>((resolve) => {
        channel.onMessage.subscribe((m) => resolve(String(m)));
      });
      channel.stateChanged.subscribe((state) => {
        if (state === 'open') channel.send('hello from the doctor');
      });
      await doctorPeer.offer();

      const exchanged = await within(30_000, 'the data channel exchange', Promise.all([patientGot, doctorGot]));
      expect(exchanged).toEqual(['hello from the doctor', 'hello from the patient']);
      expect(doctorPeer.failure()).toBeNull();
      expect(patientPeer.failure()).toBeNull();
      expect(doctorPeer.pc.connectionState).toBe('connected');

      const ended = pat.next('call:ended', { timeoutMs: 10_000 });
      doc.send('call:end', {});
      expect((await ended).data).toMatchObject({ endedBy: doctor.userId, appointmentStatus: 'completed' });
      expect(await pat.closedWith()).toBe(4410);
      expect(await doc.closedWith()).toBe(4410);

      const after = await api(baseUrl, 'GET', `/api/v1/appointments/${visit.id}`, { token: patient.token });
      expect(after.status).toBe('completed');
    } finally {
      await Promise.allSettled([doctorPeer.pc.close(), patientPeer.pc.close()]);
      doc.terminate();
      pat.terminate();
    }
  });
});
