import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context';
import { userProfiles } from '../../src/db/schema';
import { AppError } from '../../src/lib/errors';
import { errorDataOf } from '../../src/realtime/socket-core';
import { client, db, signedInUser } from '../helpers';
import { tripsOf } from '../support/round-trips';

/**
 * API messages follow the caller's language (docs/api.md#language): the profile's preferred language,
 * else Accept-Language, else English. Codes, fields and data never change; the language costs no round trip.
 */

const api = client();
const DEPENDENTS = '/api/v1/users/me/dependents';
const CHILD = { name: 'Mia Santos', dateOfBirth: '2024-03-14', relationship: 'child' };

async function caller(preferredLanguage?: string) {
  const signedIn = await signedInUser({ role: 'user' });
  if (preferredLanguage) {
    await db.insert(userProfiles).values({ userId: signedIn.user.id, preferredLanguage, updatedAt: Date.now() });
  }
  return signedIn;
}

const german = { 'accept-language': 'de-CH;q=0.9, en;q=0.5' };

describe('messages in the caller’s language', () => {
  it('answers a validation failure in German for Accept-Language: de, with the same code and fields', async () => {
    const { token } = await caller();
    const body = { ...CHILD, name: 5, dateOfBirth: '1800-01-01', role: 'admin' };
    const english = await api.post(DEPENDENTS, { token, json: body });
    const res = await api.post(DEPENDENTS, { token, json: body, headers: german });

    expect(res.status).toBe(422);
    expect(res.body.error).toEqual(english.body.error);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(english.body.message).toBe('Validation failed');
    expect(res.body.message).toBe('Validierung fehlgeschlagen');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
      english.body.errors.map((e: { field: string }) => e.field),
    );
    const byField = Object.fromEntries(
      res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    const englishByField = Object.fromEntries(
      english.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    // zod's own message, rendered by zod's German locale; a custom refine message; a mass-assignment key.
    expect(englishByField.name).toBe('Invalid input: expected string, received number');
    expect(byField.name).toBe('Ungültige Eingabe: erwartet string, erhalten Zahl');
    expect(englishByField.dateOfBirth).toBe('Must not be before 1900-01-01');
    expect(byField.dateOfBirth).toBe('Darf nicht vor 1900-01-01 liegen');
    expect(byField.role).toBe('Dieses Feld kann hier nicht gesetzt werden');
    expect(res.headers.get('content-language')).toBe('de');
    expect(english.headers.get('content-language')).toBe('en');
    expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
  });

  it('puts a success envelope’s message in German and leaves its data alone', async () => {
    const { token } = await caller();
    const res = await api.post(DEPENDENTS, { token, json: CHILD, headers: { 'accept-language': 'de' } });
    expect(res.status).toBe(201);
    expect(res.body.message).toBe('Angehörige Person hinzugefügt');
    expect(res.body.data).toMatchObject({ name: 'Mia Santos', relationship: 'child' });
  });

  it('lets the profile’s preferred language beat Accept-Language, at no extra round trip', async () => {
    const { token } = await caller('de-AT');
    const created = await api.post(DEPENDENTS, { token, json: CHILD, headers: { 'accept-language': 'en' } });
    expect(created.body.message).toBe('Angehörige Person hinzugefügt');

    const read = await api.get(DEPENDENTS, { token, headers: { 'accept-language': 'en' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-language')).toBe('de');
    expect(tripsOf(read)).toBe(1);

    const { token: english } = await caller();
    expect(tripsOf(await api.get(DEPENDENTS, { token: english }))).toBe(1);
  });

  it('falls back to English for a language it does not speak', async () => {
    const { token } = await caller('fr');
    const res = await api.post(DEPENDENTS, {
      token,
      json: { ...CHILD, name: 5 },
      headers: { 'accept-language': 'fr' },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Validation failed');
    expect(res.body.errors[0].message).toBe('Invalid input: expected string, received number');
    expect(res.headers.get('content-language')).toBe('en');
  });

  it('answers another user’s row with a German 404', async () => {
    const owner = await caller();
    const created = await api.post(DEPENDENTS, { token: owner.token, json: CHILD });
    const stranger = await caller('de');
    const res = await api.get(`${DEPENDENTS}/${created.body.data.id}`, { token: stranger.token });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.body.message).toBe('Angehörige Person nicht gefunden');
  });

  it('answers a refused token in German too (the guard settles before the error is rendered)', async () => {
    const res = await api.get(DEPENDENTS, { headers: german });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(res.body.message).toBe('Melden Sie sich an, um fortzufahren');
  });

  it('keeps the content hub’s public reads cacheable per language: Vary, and the ETag of the data', async () => {
    const english = await api.get('/api/v1/content');
    const res = await api.get('/api/v1/content', { headers: german });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-language')).toBe('de');
    expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
    // The ETag covers the data only, which no language changes.
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get('etag')).toBe(english.headers.get('etag'));
    const cached = await api.get('/api/v1/content', {
      headers: { ...german, 'if-none-match': res.headers.get('etag')! },
    });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('vary')).toMatch(/Accept-Language/i);
  });

  it('leaves the OpenAPI document in English', async () => {
    const res = await api.get('/api/v1/openapi.json', { headers: german });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-language')).toBe('en');
  });

  it('puts a socket event’s error frame in the profile’s language', () => {
    const ctx = { actor: { language: 'de' } } as unknown as ServiceContext;
    const err = new AppError('NOT_FOUND', 'Appointment not found');
    expect(errorDataOf(err, ctx, 'test')).toEqual({ code: 'NOT_FOUND', message: 'Termin nicht gefunden' });
    const english = { actor: { language: null } } as unknown as ServiceContext;
    expect(errorDataOf(err, english, 'test').message).toBe('Appointment not found');
  });
});
