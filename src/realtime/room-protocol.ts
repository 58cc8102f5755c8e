import { z } from 'zod';
import type { CallRecordingStopReason, CallRole } from '../db/schema';
import { type ErrorData, SUBPROTOCOL } from './protocol';

/**
 * The video room's socket protocol (docs/calls.md, Room protocol): the same JSON text frames as the
 * user hub, `{ event, data?, id? }`, a reply echoing the `id` of the frame it answers
 * (`<event>:success` or `<event>:error`). Every inbound frame's `data` is checked against the schema
 * of its event below; anything else is refused with VALIDATION_FAILED or UNKNOWN_EVENT.
 */

/** The subprotocol a client offers on `GET /api/v1/appointments/{id}/call/connect`: the hub's. */
export const ROOM_SUBPROTOCOL = SUBPROTOCOL;

/** Room frames may carry a session description (SDP), larger than the hub's frames. */
export const MAX_ROOM_FRAME_BYTES = 64 * 1024;

/**
 * Per-socket allowance: ICE trickling sends bursts, so the room allows more frames than the hub
 * (`limit` per `windowMs`; the `closeAt`-th closes the socket with 4429).
 */
export const ROOM_RATE = { limit: 120, windowMs: 10_000, closeAt: 240 } as const;

/** Close codes besides the hub's (1000, 4401, 4403, 4429). */
export const ROOM_CLOSE = {
  /** The same person joined again from another socket: this one is replaced. */
  replaced: 4409,
  /** The doctor ended the visit. */
  ended: 4410,
} as const;

/** Early ICE candidates kept per (sender, receiver) until the sender's description is delivered. */
export const MAX_PENDING_CANDIDATES = 50;

const userId = z.string().min(1).max(64);
const sdp = z.string().min(1).max(60_000);

/** An RTCIceCandidateInit; `null` ends the sender's gathering (end-of-candidates). */
const Candidate = z
  .strictObject({
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .nullable();

/** Every event a client may send, by name → the schema of its `data`. */
export const ROOM_CLIENT_EVENTS = {
  ping: z.strictObject({}).optional(),
  'auth:refresh': z.strictObject({ token: z.string().min(1).max(4096) }),
  /** The doctor lets a waiting participant in. */
  'room:admit': z.strictObject({ userId }),
  /** Leaving on purpose (presence `left`, not `reconnecting`); the socket is then closed with 1000. */
  'room:leave': z.strictObject({}).optional(),
  'signal:offer': z.strictObject({ to: userId, sdp }),
  'signal:answer': z.strictObject({ to: userId, sdp }),
  'signal:ice': z.strictObject({ to: userId, candidate: Candidate }),
  /** What the client reports of its own media. */
  'presence:update': z
    .strictObject({ muted: z.boolean().optional(), camera: z.boolean().optional() })
    .refine((d) => d.muted !== undefined || d.camera !== undefined, 'Send muted or camera'),
  /** A chat message: text, a file of the sender's (uploaded through the files module), or both. */
  'chat:send': z
    .strictObject({
      body: z.string().trim().min(1).max(2000).optional(),
      fileId: z.string().min(1).max(64).optional(),
    })
    .refine((d) => d.body !== undefined || d.fileId !== undefined, 'Send a body, a fileId or both'),
  'recording:consent': z.strictObject({}).optional(),
  'recording:withdraw': z.strictObject({}).optional(),
  'recording:start': z.strictObject({}).optional(),
  'recording:stop': z.strictObject({}).optional(),
  /** The doctor ends the visit for everyone. */
  'call:end': z.strictObject({}).optional(),
} as const;

export type RoomClientEvent = keyof typeof ROOM_CLIENT_EVENTS;
export type RoomClientData<E extends RoomClientEvent> = z.infer<(typeof ROOM_CLIENT_EVENTS)[E]>;

/** What a participant's presence is: waiting to be admitted, in the room, dropped (may come back), or gone. */
export type PresenceState = 'waiting' | 'joined' | 'reconnecting' | 'left';

/** A participant as the room shows them. */
export interface RoomParticipant {
  userId: string;
  role: CallRole;
  name: string;
  /** A guest's invitation label ("Interpreter"); null for the doctor and the patient. */
  label: string | null;
  state: PresenceState;
  muted: boolean;
  camera: boolean;
}

export interface RoomRecording {
  recordingId: string;
  startedBy: string;
  startedAt: string;
}

/** Every event the room sends, by name → payload. */
export interface RoomServerEvents {
  pong: { at: string };
  error: ErrorData;
  /** Sent once on joining (and on admission): who you are, who is here, the recording state. */
  'room:state': {
    appointmentId: string;
    you: RoomParticipant;
    /** Admitted participants (everyone but you); empty while you wait. */
    participants: RoomParticipant[];
    /** To the doctor only: who waits to be admitted. */
    waiting: RoomParticipant[];
    recording: RoomRecording | null;
    /** Who has consented to recording now. */
    consents: string[];
    endsAt: string;
  };
  /** To the doctor: someone is waiting. */
  'room:waiting': RoomParticipant;
  /** To everyone admitted (and the one admitted): a participant's presence or media changed. */
  presence: RoomParticipant & { at: string };
  'signal:offer': { from: string; sdp: string };
  'signal:answer': { from: string; sdp: string };
  'signal:ice': { from: string; candidate: z.infer<typeof Candidate> };
  'chat:message': { id: string; from: string; body: string | null; fileId: string | null; at: string };
  'recording:consents': { consents: string[]; required: string[] };
  'recording:started': RoomRecording;
  'recording:stopped': { recordingId: string; reason: CallRecordingStopReason; at: string };
  /** The appointment was cancelled, rejected, completed or marked no-show outside the room: it closes. */
  'room:closed': { reason: string; at: string };
  'call:ended': { endedBy: string; durationSeconds: number | null; appointmentStatus: string; at: string };
  [reply: `${string}:success`]: unknown;
  [failure: `${string}:error`]: ErrorData;
}

/** Serializes an outbound room frame (only the events above compile). */
export function roomFrame<E extends keyof RoomServerEvents & string>(
  event: E,
  data: RoomServerEvents[E],
  id?: string,
): string {
  return JSON.stringify(id === undefined ? { event, data } : { event, data, id });
}
