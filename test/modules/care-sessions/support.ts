import { expect } from 'vitest';
import type { UserRow } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { type CallOptions, client, createUser, tokenFor } from '../../helpers';
import { capturingQueue } from '../../support/notifications';

export const V1 = '/api/v1';
/** Monday 2026-03-23, 09:00 in Berlin (CET, UTC+1 until 29 March). */
export const NOW = '2026-03-23T08:00:00Z';
/** Tuesday 09:00 Berlin. */
export const TUESDAY_9 = '2026-03-24T08:00:00.000Z';

export const BERLIN_WEEKDAYS = {
  timeZone: 'Europe/Berlin',
  slotMinutes: 30,
  bufferMinutes: 30,
  minNoticeMinutes: 60,
  maxDaysAhead: 60,
  weeklyHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '18:00' })),
};

/**
 * A world of care sessions on a clock the test moves: one app whose job queue is captured, and accounts
 * acting through it (each call mints a token at the clock's time).
 */
export function careWorld() {
  const clock = fixedClock(NOW);
  const queue = capturingQueue();
  const app = client({ clock, adapters: queue.adapters });
  const as = (user: UserRow) => {
    const call = async (method: string, path: string, options: CallOptions = {}) =>
      app.call(method, path, { ...options, token: await tokenFor(user, clock.now()) });
    return {
      user,
      call,
      get: (path: string) => call('GET', path),
      post: (path: string, json?: unknown, headers?: Record<string, string>) =>
        call('POST', path, { ...(json === undefined ? {} : { json }), ...(headers ? { headers } : {}) }),
      put: (path: string, json: unknown) => call('PUT', path, { json }),
      patch: (path: string, json: unknown) => call('PATCH', path, { json }),
    };
  };
  const person = async (role: 'user' | 'caregiver' | 'doctor' | 'admin', name?: string) =>
    as(await createUser({ role, ...(name ? { name } : {}) }));
  /** A verified caregiver with a rate of 25.00 EUR an hour and Berlin weekday hours 08:00–18:00. */
  const bookableCaregiver = async (name = 'Cara Caregiver') => {
    const cara = await person('caregiver', name);
    const profile = await cara.patch(`${V1}/caregivers/${cara.user.id}/profile`, {
      hourlyRateCents: 2500,
      currency: 'EUR',
    });
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    const set = await cara.put(`${V1}/caregivers/me/availability`, BERLIN_WEEKDAYS);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    return cara;
  };
  return { clock, queue, app, as, person, bookableCaregiver };
}

export type Actor = ReturnType<ReturnType<typeof careWorld>['as']>;

/** A booking body for `caregiverId` at `startsAt`, two hours at the patient's home unless told. */
export const booking = (caregiverId: string, startsAt = TUESDAY_9, extra: Record<string, unknown> = {}) => ({
  caregiverId,
  startsAt,
  durationMinutes: 120,
  mode: 'in-person',
  address: 'Torstraße 12, 10119 Berlin',
  ...extra,
});
