// The console's only way to the server: the public API under /api/v1, same origin.
//
// The session (access and refresh token, the signed-in user) lives in this module's memory only: never
// in localStorage, sessionStorage or a cookie, so a script injected into another page of the origin, a
// shared computer's storage or a browser extension reading storage finds nothing. The price: a reload
// or a new tab signs in again. While the page lives, an expired access token is renewed once with the
// refresh token (POST /auth/refresh, which rotates it) and the request repeated.

const BASE = '/api/v1';
let session = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP_ERROR';
    this.data = body?.data;
    this.fields = body?.errors;
  }
}

export const currentUser = () => session?.user ?? null;
export const onSessionChange = (listener) => listeners.add(listener);

function setSession(next) {
  session = next;
  for (const listener of listeners) listener(session?.user ?? null);
}

async function send(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** One API call as the signed-in user; resolves with the envelope's `data`. */
export async function call(method, path, body) {
  if (!session) throw new ApiError(401, { message: 'Sign in to continue', error: { code: 'UNAUTHENTICATED' } });
  try {
    return (await send(method, path, body, session.accessToken))?.data;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || err.code !== 'TOKEN_EXPIRED') throw err;
    await refresh();
    return (await send(method, path, body, session.accessToken))?.data;
  }
}

async function refresh() {
  try {
    const { data } = await send('POST', '/auth/refresh', { refreshToken: session.refreshToken });
    session = { ...session, accessToken: data.tokens.accessToken, refreshToken: data.tokens.refreshToken };
  } catch (err) {
    setSession(null);
    throw err;
  }
}

function signedIn(data) {
  setSession({ user: data.user, accessToken: data.tokens.accessToken, refreshToken: data.tokens.refreshToken });
  return { user: data.user };
}

/**
 * Email and password. Resolves `{ user }`, or `{ challenge }` when the account has a second factor
 * (401 TWO_FACTOR_REQUIRED: `challenge` holds `challengeId`, `methods`, `expiresAt`).
 */
export async function signIn(email, password) {
  try {
    return signedIn((await send('POST', '/auth/login', { email, password })).data);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'TWO_FACTOR_REQUIRED') return { challenge: err.data };
    throw err;
  }
}

/** Sends the email code of a challenge whose methods include `email`. */
export const sendEmailCode = (challengeId) => send('POST', '/auth/2fa/email/send', { challengeId });

/** Finishes a sign-in with the second factor: `method` totp, email or recovery. */
export async function verifySecondFactor(challengeId, method, code) {
  return signedIn((await send('POST', '/auth/2fa/verify', { challengeId, method, code })).data);
}

export async function signOut() {
  const token = session?.accessToken;
  setSession(null);
  if (token) await send('POST', '/auth/logout', undefined, token).catch(() => {});
}
