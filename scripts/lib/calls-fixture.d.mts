// Types of scripts/lib/calls-fixture.mjs for the TypeScript end-to-end check (test/e2e/calls.test.ts).
import type WebSocket from 'ws';

export interface DemoAccount {
  id: string;
  email: string;
  name: string;
  role: string;
}
export interface Participant {
  userId: string;
  token: string;
}
export interface RoomFrame {
  event: string;
  data: any;
  id?: string;
  /** performance.now() when it arrived. */
  at: number;
}
export interface RunningApi {
  baseUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export const ROOM_SUBPROTOCOL: string;
export const DEMO_DOCTOR: DemoAccount;
export const DEMO_PATIENT: DemoAccount;
export const DEMO_SERVICE: string;

export function startApi(options: {
  persistTo: string;
  logFile: string;
  sql?: string;
  vars?: Record<string, string>;
  /** More arguments of `wrangler dev` (e.g. `--test-scheduled`). */
  args?: string[];
  timeoutMs?: number;
}): Promise<RunningApi>;
export function api(
  baseUrl: string,
  method: string,
  path: string,
  options?: { token?: string; body?: unknown; expect?: number },
): Promise<any>;
export function signIn(baseUrl: string, account: DemoAccount): Promise<Participant>;
export function bookVideoVisit(
  baseUrl: string,
  people: { doctor: Participant; patient: Participant },
): Promise<{ id: string; status: string; type: string; startsAt: string; endsAt: string }>;
export function seededRoomId(i: number): string;
export function roomsSeedSql(
  count: number,
  options?: { now?: number; startsInMinutes?: number; minutes?: number },
): string;

export class RoomSocket {
  static open(
    baseUrl: string,
    appointmentId: string,
    token: string,
    options?: { timeoutMs?: number },
  ): Promise<RoomSocket>;
  static connect(baseUrl: string, path: string, token: string, options?: { timeoutMs?: number }): Promise<RoomSocket>;
  readonly ws: WebSocket;
  readonly closed: { code: number; reason: string } | null;
  on(event: string, listener: (frame: RoomFrame) => void): void;
  send(event: string, data?: unknown, id?: string): void;
  request(event: string, data?: unknown, timeoutMs?: number): Promise<any>;
  next(
    match: string | ((frame: RoomFrame) => boolean),
    options?: { timeoutMs?: number; what?: string },
  ): Promise<RoomFrame>;
  closedWith(timeoutMs?: number): Promise<number>;
  close(code?: number): void;
  terminate(): void;
}

export function admittedPair(
  baseUrl: string,
  appointmentId: string,
  doctor: Participant,
  patient: Participant,
  options?: { timeoutMs?: number },
): Promise<{ doc: RoomSocket; pat: RoomSocket }>;
