import { fromBase64Url, toBase64Url } from './ids';

const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 of bytes or text, as hex. For high-entropy secrets (refresh tokens) and file digests. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * HMAC-SHA256 of `data` under `secret`, as hex. Used for low-entropy secrets (6-digit codes, recovery
 * codes): without the key, a leaked table cannot be brute-forced offline.
 */
export async function hmacHex(secret: string, data: string): Promise<string> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    hmacKeys.set(secret, key);
  }
  return hex(await crypto.subtle.sign('HMAC', await key, encoder.encode(data)));
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

async function aesKey(base64Key: string): Promise<CryptoKey> {
  const raw = Uint8Array.from(atob(base64Key), (c) => c.charCodeAt(0));
  if (raw.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** AES-256-GCM encryption for secrets at rest: `v1.<iv>.<ciphertext>` (base64url). */
export async function encryptSecret(base64Key: string, plaintext: string, associatedData?: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv,
      ...(associatedData === undefined ? {} : { additionalData: encoder.encode(associatedData) }),
    },
    await aesKey(base64Key),
    encoder.encode(plaintext),
  );
  return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/**
 * Reverses `encryptSecret` (with the same associated data, if any); throws when the key is wrong, the
 * ciphertext was altered or it was sealed for other associated data.
 */
export async function decryptSecret(base64Key: string, sealed: string, associatedData?: string): Promise<string> {
  const [version, iv, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !data) throw new Error('Unknown secret format');
  const plain = await crypto.subtle.decrypt(
    {
      name: 'AES-GCM',
      iv: fromBase64Url(iv),
      ...(associatedData === undefined ? {} : { additionalData: encoder.encode(associatedData) }),
    },
    await aesKey(base64Key),
    fromBase64Url(data),
  );
  return new TextDecoder().decode(plain);
}

/**
 * Named AES-256-GCM keys: `currentId` names the key new data is sealed with; the others only open what
 * was sealed before a rotation. Keys are base64 32-byte values.
 */
export interface Keyring {
  currentId: string;
  keys: Readonly<Record<string, string>>;
}

/** Seals `plaintext` under the keyring's current key, bound to `associatedData`; answers the key id with it. */
export async function sealWithKeyring(
  keyring: Keyring,
  plaintext: string,
  associatedData: string,
): Promise<{ keyId: string; sealed: string }> {
  const key = keyring.keys[keyring.currentId];
  if (!key) throw new Error(`No key ${keyring.currentId} in the keyring`);
  return { keyId: keyring.currentId, sealed: await encryptSecret(key, plaintext, associatedData) };
}

/** Opens what `sealWithKeyring` sealed under `keyId`; throws when the keyring no longer holds that key or the data was altered. */
export async function openWithKeyring(
  keyring: Keyring,
  keyId: string,
  sealed: string,
  associatedData: string,
): Promise<string> {
  const key = keyring.keys[keyId];
  if (!key) throw new Error(`No key ${keyId} in the keyring`);
  return decryptSecret(key, sealed, associatedData);
}
