import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { createUser, db, uniqueEmail } from '../../helpers';
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

  it('Should suggest, for an empty search, only the people I share the caregiver network with', async () => {
    const word = tag();
    const me = await member(clock, { role: 'caregiver', name: `Me ${word}` });
    const named = (name: string, role: 'user' | 'caregiver' = 'user') =>
      member(clock, { role, name: `${name} ${word}` });
    // A stranger whose name matches my own: an empty search must not reach them.
    const stranger = await named('Stranger');
    // I care for Pia; Cora also cares for her. Yuri cares for me and for Quin.
    const pia = await named('Pia');
    const cora = await named('Cora', 'caregiver');
    await link(pia, me);
    await link(pia, cora);
    const yuri = await named('Yuri', 'caregiver');
    const quin = await named('Quin');
    await link(me, yuri);
    await link(quin, yuri);
    // Left out: Pia's caregiver I already asked, a blocked one, and everyone behind a blocked patient
    // or an ended relationship.
    const asked = await named('Asked', 'caregiver');
    await link(pia, asked);
    expect((await me.post(`${API}/requests`, { receiverId: asked.user.id })).status).toBe(201);
    const blocked = await named('Blocked', 'caregiver');
    await link(pia, blocked);
    const hidden = await named('Hidden');
    const behindHidden = await named('Behind', 'caregiver');
    await link(hidden, me);
    await link(hidden, behindHidden);
    const former = await named('Former');
    const behindFormer = await named('Afterwards', 'caregiver');
    await link(former, me);
    await link(former, behindFormer);
    expect((await me.delete(`${API}/i-care-for/${former.user.id}`)).status).toBe(200);
    await db
      .update(users)
      .set({ status: 'blocked' })
      .where(inArray(users.id, [blocked.user.id, hidden.user.id]));

    const expected = [
      { id: cora.user.id, name: `Cora ${word}`, role: 'caregiver' },
      { id: pia.user.id, name: `Pia ${word}`, role: 'user' },
    ];
    for (const query of ['', '?search=', '?search=%20%20']) {
      const res = await me.get(`${API}/suggestions${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.items, query).toEqual(expected);
      expect(res.body.data.pagination).toMatchObject({ total: 2, current: 1, limit: 20 });
    }
    const second = await me.get(`${API}/suggestions?limit=1&page=2`);
    expect(second.body.data.items).toEqual([expected[1]]);
    expect(second.body.data.pagination).toMatchObject({ total: 2, pages: 2, current: 2, hasPrev: true });
    // A search still reaches beyond the network, as before.
    const searched = await me.get(`${API}/suggestions?search=stranger%20${word}`);
    expect(searched.body.data.items.map((i: any) => i.id)).toEqual([stranger.user.id]);
    // Seen from Yuri's other patient: nobody. A caregiver's other patients (me, Quin's fellow patient
    // of Yuri) are never suggested to each other, and Yuri already cares for her.
    const fromQuin = await quin.get(`${API}/suggestions`);
    expect(fromQuin.body.data.items).toEqual([]);
  });

  it('Should answer an empty page to an empty search when I have no network', async () => {
    const word = tag();
    const me = await member(clock, { name: `Lonely ${word}` });
    await createUser({ name: `Other ${word}` });
    const res = await me.get(`${API}/suggestions`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toEqual({
      items: [],
      pagination: { current: 1, pages: 1, total: 0, limit: 20, hasNext: false, hasPrev: false },
    });
  });

  it('Should require a non-empty search of at least 2 characters', async () => {
    const me = await member(clock);
    for (const query of ['?search=a', '?search=%20a%20', `?search=${'x'.repeat(101)}`]) {
      const res = await me.get(`${API}/suggestions${query}`);
      expect(outcome(res), query).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors[0].field).toBe('search');
    }
    expect(outcome(await me.get(`${API}/suggestions?search=ab&limit=0`))).toEqual([422, 'VALIDATION_FAILED']);
  });
});
