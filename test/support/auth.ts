import { expect } from 'vitest';
import { hashPassword } from '../../src/lib/password';
import { type client, createUser, type UserFactoryInput, uniqueEmail } from '../helpers';

type Api = ReturnType<typeof client>;

export const STRONG_PASSWORD = 'Tulip-Harbor-42!';

let strongHash: Promise<string> | undefined;
/** The scrypt hash of STRONG_PASSWORD, computed once per file (hashing is deliberately slow). */
export function strongPasswordHash(): Promise<string> {
  strongHash ??= hashPassword(STRONG_PASSWORD);
  return strongHash;
}

/** A verified account whose password is STRONG_PASSWORD. */
export async function userWithPassword(input: UserFactoryInput = {}) {
  return createUser({ email: uniqueEmail(input.role ?? 'user'), ...input, passwordHash: await strongPasswordHash() });
}

/**
 * The newest 6-digit code sent to `recipient`, read like a developer would: from GET /api/v1/dev/outbox
 * (which answers only in development, so the call runs with ENVIRONMENT=development).
 */
export async function latestCode(api: Api, recipient: string): Promise<string> {
  const res = await api.get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}&limit=1`, {
    env: { ENVIRONMENT: 'development' },
  });
  expect(res.status).toBe(200);
  const message = res.body.data.items[0];
  expect(message, `no message for ${recipient}`).toBeDefined();
  const code = /\b(\d{6})\b/.exec(message.body)?.[1];
  expect(code).toBeDefined();
  return code!;
}

/** How many messages `recipient` has received. */
export async function outboxCount(api: Api, recipient: string): Promise<number> {
  const res = await api.get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}`, {
    env: { ENVIRONMENT: 'development' },
  });
  return res.body.data.pagination.total;
}

/** Signs in with email + password and returns the token pair. */
export async function loginTokens(api: Api, email: string, password = STRONG_PASSWORD) {
  const res = await api.post('/api/v1/auth/login', { json: { email, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.tokens as { accessToken: string; refreshToken: string; expiresIn: number };
}

/** A fixed client IP per test, so per-IP rate limits of one test do not leak into another. */
export function ipHeaders(ip: string) {
  return { 'cf-connecting-ip': ip };
}
