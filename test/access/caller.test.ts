import { describe, expect, it } from 'vitest';
import { createContext, withActor } from '../../src/context';
import { AppError } from '../../src/lib/errors';
import { caregiverSocketEvents } from '../../src/modules/caregivers/caregivers.events';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, createUser, testEnv, tokenFor, uniqueId } from '../helpers';

/** Every source file's text, keyed by its path relative to this file. */
const sources = import.meta.glob<string>('../../src/**/*.ts', { query: '?raw', import: 'default', eager: true });

describe('the caller', () => {
  it('Should refuse a pending caregiver with the same 403 over HTTP and over the socket', async () => {
    const caregiver = await createUser({ role: 'caregiver', status: 'pending' });
    const http = await client().get('/api/v1/caregiver/requests', { token: await tokenFor(caregiver) });
    expect(http.status).toBe(403);

    const ctx = withActor(createContext(testEnv, cloudflareDeps, { requestId: uniqueId('req') }), {
      id: caregiver.id,
      role: caregiver.role,
      subRoles: caregiver.subRoles,
      status: caregiver.status,
      sessionId: null,
    });
    const socket = await caregiverSocketEvents['request:getAllPending']!(ctx, {}).catch((err: unknown) => err);
    expect(socket).toBeInstanceOf(AppError);
    expect([(socket as AppError).code, (socket as AppError).message]).toEqual([
      http.body.error.code,
      http.body.message,
    ]);
  });

  it('Should keep one copy of the policy check and no null-asserted caller in src', () => {
    const paths = Object.keys(sources);
    expect(paths.length).toBeGreaterThan(100);
    const mentioning = (pattern: RegExp) => paths.filter((path) => pattern.test(sources[path]!));
    // The pending rule's refusal lives in assertAllowed alone; the guard and the socket events call it.
    // (The message catalogs of src/lib/i18n hold its translations, keyed by the English text.)
    expect(
      mentioning(/'This account is awaiting verification'/).filter((path) => !path.includes('/src/lib/i18n/')),
    ).toEqual(['../../src/access/policy.ts']);
    expect(mentioning(/assertAllowed\(/).sort()).toEqual([
      '../../src/access/guard.ts',
      '../../src/access/policy.ts',
      '../../src/http/socket-events.ts',
    ]);
    // Services that act for someone take an AuthedContext and read ctx.actor.id as it is.
    expect(mentioning(/ctx\.actor!/)).toEqual([]);
  });
});
