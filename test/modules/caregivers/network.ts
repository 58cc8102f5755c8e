import { expect } from 'vitest';
import type { Role, UserRow, UserStatus } from '../../../src/db/schema';
import type { fixedClock } from '../../../src/lib/clock';
import { type CallOptions, client, createUser, testEnv, tokenFor, uniqueId } from '../../helpers';

export const API = '/api/v1/caregiver';

type Clock = ReturnType<typeof fixedClock>;

/** A random word to find the accounts of one test by name (storage is shared within a file). */
export const tag = () => `q${uniqueId('t').slice(-10).toLowerCase()}`;

/**
 * An account and a client acting as it on `clock`: each call mints a token at the clock's current time,
 * so moving the clock past a token's 15 minutes never signs the account out.
 */
export async function member(
  clock: Clock,
  input: { role?: Role; status?: UserStatus; name?: string; email?: string } = {},
) {
  const user = await createUser({ role: input.role ?? 'user', ...input });
  return { user, ...actingAs(user, clock) };
}

export type Member = Awaited<ReturnType<typeof member>>;

export function actingAs(user: UserRow, clock: Clock) {
  const api = client({ clock });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, token: await tokenFor(user, clock.now()) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, json?: unknown) => call('POST', path, json === undefined ? {} : { json }),
    patch: (path: string, json: unknown) => call('PATCH', path, { json }),
    delete: (path: string) => call('DELETE', path),
    call,
    /** The raw Response of a GET (for downloads). */
    fetch: async (path: string) =>
      api.app.request(path, { headers: { authorization: `Bearer ${await tokenFor(user, clock.now())}` } }, testEnv),
  };
}

/** `patient` asks `caregiver`, who accepts; returns the request and link ids. */
export async function link(patient: Member, caregiver: Member) {
  const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
  expect(sent.status, JSON.stringify(sent.body)).toBe(201);
  const accepted = await caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'accepted' });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  return { requestId: sent.body.data.id as string, linkId: accepted.body.data.link.id as string };
}

/** [status, error code] of a response, for compact assertions. */
export const outcome = (res: { status: number; body: any }) => [res.status, res.body.error?.code ?? null];
