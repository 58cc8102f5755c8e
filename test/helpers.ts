import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { signAccessToken } from '../src/access/tokens';
import { createApp } from '../src/app';
import type { AppDeps } from '../src/context';
import { createDb } from '../src/db/client';
import { type AdminSubRole, type Role, sessions, type UserRow, type UserStatus, users } from '../src/db/schema';
import type { Env } from '../src/env';
import { systemClock } from '../src/lib/clock';
import { createIds, randomBytes } from '../src/lib/ids';
import { newAccount } from '../src/modules/users/new-account';
import { cloudflareDeps } from '../src/runtime/cloudflare';

export const testEnv = env as unknown as Env;
export const db = createDb(testEnv.DB);
const ids = createIds(systemClock, randomBytes);

/** A fresh id or token for factories (storage is shared within a test file). */
export const uniqueId = (prefix: string) => ids.id(prefix);
export const uniqueEmail = (label = 'user') =>
  `${label}.${ids
    .token(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}@example.test`;
/** A valid Portuguese mobile number in E.164 that no other test is likely to use. */
export const uniqueMobile = () => `+35191${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  env?: Partial<Env>;
}

/**
 * A client for one app instance: `api.get('/health')`, `api.post(path, { json, token })`. Responses are
 * parsed as JSON when they are JSON.
 */
export function client(overrides: Partial<AppDeps> = {}) {
  const app = createApp({ ...cloudflareDeps, ...overrides });
  async function call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers = new Headers(options.headers);
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const execution = createExecutionContext();
    const res = await app.request(path, { method, headers, body }, { ...testEnv, ...options.env }, execution);
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await res.json() : await res.text();
    // Work the request deferred (socket pushes, notices) has finished before the test looks.
    await waitOnExecutionContext(execution);
    return { status: res.status, headers: res.headers, body: parsed };
  }
  return {
    app,
    call,
    get: (path: string, options?: CallOptions) => call('GET', path, options),
    post: (path: string, options?: CallOptions) => call('POST', path, options),
    patch: (path: string, options?: CallOptions) => call('PATCH', path, options),
    put: (path: string, options?: CallOptions) => call('PUT', path, options),
    delete: (path: string, options?: CallOptions) => call('DELETE', path, options),
  };
}

export interface UserFactoryInput {
  role?: Role;
  subRoles?: AdminSubRole[];
  status?: UserStatus;
  email?: string;
  name?: string;
  passwordHash?: string | null;
}

/**
 * Inserts an account with a random id and email, built like every real one (`newAccount`): email
 * verified, doctors' and caregivers' credentials vouched for, active unless `status` says otherwise.
 */
export async function createUser(input: UserFactoryInput = {}): Promise<UserRow> {
  const role = input.role ?? 'user';
  const row = newAccount(
    { ids, clock: systemClock },
    {
      role,
      name: input.name ?? 'Test Person',
      email: input.email ?? uniqueEmail(role),
      passwordHash: input.passwordHash ?? null,
      subRoles: input.subRoles,
      status: input.status,
      verified: { email: true, credentials: true },
    },
  );
  await db.insert(users).values(row);
  return row;
}

/** A live session row for `user`; returns its id. */
export async function createSession(userId: string, now = new Date()): Promise<string> {
  const sid = uniqueId('ses');
  await db.insert(sessions).values({
    id: sid,
    userId,
    method: 'password',
    userAgent: 'vitest',
    ip: null,
    createdAt: now.getTime(),
    lastUsedAt: now.getTime(),
    expiresAt: now.getTime() + 90 * 24 * 3600_000,
    revokedAt: null,
    revokedReason: null,
  });
  return sid;
}

/** A live session for `user` and an access token for it, as sign-in would issue them. */
export async function tokenFor(
  user: Pick<UserRow, 'id' | 'role' | 'subRoles' | 'tokenVersion'>,
  now = new Date(),
): Promise<string> {
  const sid = await createSession(user.id, now);
  return signAccessToken(
    testEnv,
    { sub: user.id, role: user.role, subRoles: user.subRoles, sid, ver: user.tokenVersion },
    now,
  );
}

/** An account plus its token. */
export async function signedInUser(input: UserFactoryInput = {}) {
  const user = await createUser(input);
  return { user, token: await tokenFor(user) };
}

/** A fetch double that records requests and answers from `respond`. */
export function recordingFetch(respond: (req: Request) => Response | Promise<Response> = () => new Response('{}')) {
  const requests: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    requests.push(req.clone());
    return respond(req);
  }) as typeof fetch;
  return { fetch: fetcher, requests };
}

/** Bytes that start with a real magic number. */
export const SAMPLE = {
  png: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]),
  pdf: () => new TextEncoder().encode('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n'),
  exe: () => new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]),
};

export function form(fields: Record<string, string | Blob>, fileName = 'upload.bin'): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Blob) data.append(key, value, fileName);
    else data.append(key, value);
  }
  return data;
}
