import { createHash } from 'node:crypto';
import type { Clock } from './clock';

/**
 * Opaque, time-sortable ids with a type prefix: `usr_01JF8…` (ULID body: 48-bit time + 80 random bits,
 * Crockford base32). Also random tokens for secrets and storage keys.
 */
export interface IdGenerator {
  /** A prefixed ULID, e.g. `id('usr')` → `usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE`. */
  id(prefix: string): string;
  /** `bytes` random bytes as base64url: for tokens, codes and unguessable keys. */
  token(bytes?: number): string;
  /** A uniform integer in [0, max). */
  int(max: number): number;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 chars.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(buffer >> bits) & 31];
    }
  }
  return out.slice(0, 16);
}

/** Standard base64 (RFC 4648 §4, padded) of bytes: what MIME attachments and provider APIs take. */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

/**
 * The last ULID body made in this isolate: ids made in the same millisecond reuse its random part plus
 * one (ULID's monotonic mode), so rows written within one millisecond still sort in creation order.
 */
const last: { time: number; random: Uint8Array } = { time: -1, random: new Uint8Array(10) };

/** `bytes` + 1 as an 80-bit big-endian number, or null on overflow. */
function increment(bytes: Uint8Array): Uint8Array | null {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return null;
}

function ulidBody(time: number, random: (n: number) => Uint8Array): string {
  const next = (time === last.time && increment(last.random)) || random(10);
  last.time = time;
  last.random = next;
  return `${encodeTime(time)}${encodeRandom(next)}`;
}

/** Id generator backed by the platform CSPRNG. `random` is the seam tests replace. */
export function createIds(clock: Clock, random: (n: number) => Uint8Array = randomBytes): IdGenerator {
  return {
    id: (prefix) => `${prefix}_${ulidBody(clock.now().getTime(), random)}`,
    token: (bytes = 32) => toBase64Url(random(bytes)),
    int: (max) => {
      // Rejection sampling keeps the distribution uniform.
      const limit = Math.floor(0x1_0000_0000 / max) * max;
      for (;;) {
        const b = random(4);
        const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        if (n < limit) return n % max;
      }
    },
  };
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * An id that is a function of its inputs: the ULID body of `time` with 80 bits of SHA-256 of `seed` as
 * its "random" part. The same (prefix, time, seed) always gives the same id, so a row can be shown
 * before it is stored and keep its id once stored; distinct seeds at one time collide with the odds of
 * two random ULIDs. Not a secret: anyone who knows the seed can compute it.
 * @example derivedId('dos', Date.parse('2026-03-02T08:00:00Z'), 'sch_…|2026-03-02|08:00') // dos_01KJNR3P00…
 */
export function derivedId(prefix: string, time: number, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return `${prefix}_${encodeTime(time)}${encodeRandom(digest.subarray(0, 10))}`;
}

/** The time (epoch ms) an id of `createIds` or `derivedId` carries, or null when it is not one. */
export function idTime(id: string): number | null {
  const body = id.slice(id.indexOf('_') + 1);
  if (body.length !== 26) return null;
  let time = 0;
  for (const ch of body.slice(0, 10)) {
    const digit = CROCKFORD.indexOf(ch);
    if (digit < 0) return null;
    time = time * 32 + digit;
  }
  return time;
}
