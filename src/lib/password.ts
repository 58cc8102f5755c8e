import { scrypt, timingSafeEqual } from 'node:crypto';
import { fromBase64Url, toBase64Url } from './ids';

/**
 * Password hashing with scrypt (OWASP: N=2^14, r=8, p=5), stored as
 * `scrypt$N$r$p$salt$hash` so parameters can be raised later without breaking old hashes.
 * scripts/seed.mjs writes the same format from Node.
 */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 5, keyLength: 32 } as const;

function derive(password: string, salt: Uint8Array, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Uint8Array>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key)),
    );
  });
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string, salt: Uint8Array = crypto.getRandomValues(new Uint8Array(16))) {
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  const key = await derive(password, salt, N, r, p, keyLength);
  return `scrypt$${N}$${r}$${p}$${toBase64Url(salt)}$${toBase64Url(key)}`;
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = fromBase64Url(parts[4]!);
  const expected = fromBase64Url(parts[5]!);
  const actual = await derive(password, salt, N, r, p, expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash uses weaker parameters than today's, so login can rehash it. */
export function needsRehash(stored: string): boolean {
  const [, N, r, p] = stored.split('$').map(Number);
  return N !== SCRYPT_PARAMS.N || r !== SCRYPT_PARAMS.r || p !== SCRYPT_PARAMS.p;
}
