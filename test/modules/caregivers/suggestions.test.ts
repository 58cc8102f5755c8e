import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/lib/clock';
import { createUser, uniqueEmail } from '../../helpers';
import { API, link, member, outcome, tag } from './network';

const clock = fixedClock('2026-03-23T10:00:00Z');

describe('caregiver suggestions', () => {
  it('Should find active patients and caregivers by name or exact email, leaving out who cannot be asked', async () => {
    const word = tag();
    const me = await member(clock, { name: `Me ${word}` });
    const alice = await createUser({ name: `Alice ${word.toUpperCase()}` });
    const carla = await createUser({ role: 'caregiver', name: `Carla ${word}son` });
    const current = await member(clock, { name: `Current ${word}` });
    await link(me, current);
    const asked = await createUser({ name: `Asked ${word}` });
    expect((await me.post(`${API}/requests`, { receiverId: asked.id })).status).toBe(201);
    for (const status of ['blocked', 'removed', 'inactive'] as const)
      await createUser({ name: `${status} ${word}`, status });
    await createUser({ role: 'caregiver', status: 'pending', name: `Unverified ${word}` });
    for (const role of ['doctor', 'receptionist', 'admin', 'superadmin'] as const)
      await createUser({ role, name: `${role} ${word}` });

    const res = await me.get(`${API}/suggestions?search=${word.toUpperCase()}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.items).toEqual([
      { id: alice.id, name: `Alice ${word.toUpperCase()}`, role: 'user' },
      { id: carla.id, name: `Carla ${word}son`, role: 'caregiver' },
    ]);
    expect(res.body.data.pagination).toMatchObject({ total: 2, current: 1, limit: 20 });

    // Someone I only care for (the other direction) may still be asked to care for me.
    const asPatient = await member(clock, { name: `Reverse ${word}` });
    await link(asPatient, me);
    const withReverse = await me.get(`${API}/suggestions?search=${word}`);
    expect(withReverse.body.data.items.map((i: any) => i.id)).toContain(asPatient.user.id);
  });

  it('Should match an email only exactly, and show no email or phone', async () => {
    const me = await member(clock);
    const email = uniqueEmail('findme');
    const target = await createUser({ email, name: 'Quiet Person' });
    const exact = await me.get(`${API}/suggestions?search=${encodeURIComponent(email.toUpperCase())}`);
    expect(exact.body.data.items).toEqual([{ id: target.id, name: 'Quiet Person', role: 'user' }]);
    const partial = await me.get(`${API}/suggestions?search=${encodeURIComponent(email.slice(0, -3))}`);
    expect(partial.body.data.items).toEqual([]);
    const wildcard = await me.get(`${API}/suggestions?search=${encodeURIComponent('%_')}`);
    expect(wildcard.status).toBe(200);
    expect(wildcard.body.data.items.find((i: any) => i.id === target.id)).toBeUndefined();
  });

  it('Should page through matches by name', async () => {
    const word = tag();
    const me = await member(clock);
    const ids = [];
    for (const name of ['Bea', 'Ana', 'Cid']) ids.push([name, (await createUser({ name: `${name} ${word}` })).id]);
    const first = await me.get(`${API}/suggestions?search=${word}&limit=2`);
    expect(first.body.data.items.map((i: any) => i.name)).toEqual([`Ana ${word}`, `Bea ${word}`]);
    expect(first.body.data.pagination).toEqual({
      current: 1,
      pages: 2,
      total: 3,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const second = await me.get(`${API}/suggestions?search=${word}&limit=2&page=2`);
    expect(second.body.data.items.map((i: any) => i.name)).toEqual([`Cid ${word}`]);
  });

  it('Should require a search of at least 2 characters', async () => {
    const me = await member(clock);
    for (const query of ['', '?search=', '?search=a', '?search=%20a%20', `?search=${'x'.repeat(101)}`]) {
      const res = await me.get(`${API}/suggestions${query}`);
      expect(outcome(res), query).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors[0].field).toBe('search');
    }
    expect(outcome(await me.get(`${API}/suggestions?search=ab&limit=0`))).toEqual([422, 'VALIDATION_FAILED']);
  });
});
