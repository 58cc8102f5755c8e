import { and, eq, isNull } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents, caregiverLinks, caregiverRequests, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, createUser, db, tokenFor, uniqueId } from '../../helpers';
import { resetSettings, setSetting } from '../../support/settings';
import { API, link, member, outcome } from './network';

const clock = fixedClock('2026-03-23T10:00:00Z');

const requestsBetween = (requesterId: string, receiverId: string) =>
  db
    .select()
    .from(caregiverRequests)
    .where(and(eq(caregiverRequests.requesterId, requesterId), eq(caregiverRequests.receiverId, receiverId)))
    .all();
const linksOf = (patientId: string, caregiverId: string) =>
  db
    .select()
    .from(caregiverLinks)
    .where(and(eq(caregiverLinks.patientId, patientId), eq(caregiverLinks.caregiverId, caregiverId)))
    .all();
const auditFor = (resourceId: string) =>
  db.select().from(auditEvents).where(eq(auditEvents.resourceId, resourceId)).all();

describe('caregiver requests: send, accept, reject', () => {
  it('Should send a pending request that both sides see, audited', async () => {
    const patient = await member(clock, { name: 'Ana Silva' });
    const caregiver = await member(clock, { role: 'caregiver', name: 'Maria Lopes' });
    const res = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id, message: 'Help me?' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^cgr_/),
      requesterId: patient.user.id,
      receiverId: caregiver.user.id,
      status: 'pending',
      message: 'Help me?',
      createdAt: '2026-03-23T10:00:00.000Z',
      respondedAt: null,
    });
    const [row] = await requestsBetween(patient.user.id, caregiver.user.id);
    expect(row).toMatchObject({ id: res.body.data.id, status: 'pending', message: 'Help me?', respondedAt: null });
    expect((await auditFor(row!.id)).map((a) => [a.action, a.actorId, a.patientId])).toEqual([
      ['caregiver.request.send', patient.user.id, patient.user.id],
    ]);

    const incoming = await caregiver.get(`${API}/requests`);
    expect(incoming.status).toBe(200);
    expect(incoming.body.data).toEqual({
      incoming: [{ ...res.body.data, user: { id: patient.user.id, name: 'Ana Silva', role: 'user' } }],
      outgoing: [],
    });
    const outgoing = await patient.get(`${API}/requests`);
    expect(outgoing.body.data).toEqual({
      incoming: [],
      outgoing: [{ ...res.body.data, user: { id: caregiver.user.id, name: 'Maria Lopes', role: 'caregiver' } }],
    });
  });

  it('Should accept: the link is stored and both lists show the relationship', async () => {
    const patient = await member(clock, { name: 'Ana Silva' });
    const caregiver = await member(clock, { name: 'Rui Costa' });
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    clock.advance(60_000);
    const res = await caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'accepted' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.request).toMatchObject({ status: 'accepted', respondedAt: clock.now().toISOString() });
    expect(res.body.data.link).toEqual({
      id: expect.stringMatching(/^cgl_/),
      patientId: patient.user.id,
      caregiverId: caregiver.user.id,
      since: clock.now().toISOString(),
      endedAt: null,
      endedBy: null,
    });
    const [stored] = await requestsBetween(patient.user.id, caregiver.user.id);
    expect(stored!.status).toBe('accepted');
    const links = await linksOf(patient.user.id, caregiver.user.id);
    expect(links).toEqual([
      expect.objectContaining({ id: res.body.data.link.id, requestId: stored!.id, endedAt: null }),
    ]);
    expect((await auditFor(stored!.id)).map((a) => a.action)).toEqual([
      'caregiver.request.send',
      'caregiver.request.accept',
    ]);

    const mine = await patient.get(`${API}/my-caregivers`);
    expect(mine.status).toBe(200);
    expect(mine.body.data.items).toEqual([
      {
        linkId: links[0]!.id,
        user: { id: caregiver.user.id, name: 'Rui Costa', role: 'user' },
        since: clock.now().toISOString(),
      },
    ]);
    expect(mine.body.data.pagination).toMatchObject({ total: 1, current: 1, limit: 20 });
    const theirs = await caregiver.get(`${API}/i-care-for`);
    expect(theirs.body.data.items).toEqual([
      {
        linkId: links[0]!.id,
        user: { id: patient.user.id, name: 'Ana Silva', role: 'user' },
        since: expect.any(String),
      },
    ]);
    expect((await patient.get(`${API}/i-care-for`)).body.data.items).toEqual([]);
    expect((await caregiver.get(`${API}/my-caregivers`)).body.data.items).toEqual([]);
    expect((await caregiver.get(`${API}/requests`)).body.data).toEqual({ incoming: [], outgoing: [] });
  });

  it('Should reject without a link, and refuse re-sending until the cooldown has passed (Retry-After)', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock, { role: 'caregiver' });
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    const rejected = await caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'rejected' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.data).toMatchObject({ request: { status: 'rejected' }, link: null });
    expect(await linksOf(patient.user.id, caregiver.user.id)).toEqual([]);
    expect((await auditFor(sent.body.data.id)).map((a) => a.action)).toContain('caregiver.request.reject');

    const again = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    expect(outcome(again)).toEqual([409, 'CONFLICT']);
    expect(again.headers.get('retry-after')).toBe(String(24 * 3600));
    expect(again.body.error.details).toEqual({ reason: 'cooldown', cooldownHours: 24, retryAfter: 24 * 3600 });

    clock.advance(24 * 3600_000 - 1000);
    const almost = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    expect(outcome(almost)).toEqual([409, 'CONFLICT']);
    expect(almost.headers.get('retry-after')).toBe('1');
    expect(await requestsBetween(patient.user.id, caregiver.user.id)).toHaveLength(1);

    clock.advance(1000);
    const allowed = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
    expect((await requestsBetween(patient.user.id, caregiver.user.id)).map((r) => r.status).sort()).toEqual([
      'pending',
      'rejected',
    ]);
  });

  describe('with a cooldown setting', () => {
    afterEach(resetSettings);

    it('Should follow caregivers.requestCooldownHours (0 allows re-sending at once)', async () => {
      await setSetting('caregivers.requestCooldownHours', 2);
      const patient = await member(clock);
      const caregiver = await member(clock);
      const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
      await caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'rejected' });
      const refused = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
      expect([refused.status, refused.headers.get('retry-after')]).toEqual([409, '7200']);
      await setSetting('caregivers.requestCooldownHours', 0);
      expect((await patient.post(`${API}/requests`, { receiverId: caregiver.user.id })).status).toBe(201);
    });
  });
});

describe('caregiver requests: refusals', () => {
  it('Should refuse a request to myself with 422 on receiverId and store nothing', async () => {
    const patient = await member(clock);
    const res = await patient.post(`${API}/requests`, { receiverId: patient.user.id });
    expect(outcome(res)).toEqual([422, 'VALIDATION_FAILED']);
    expect(res.body.errors).toEqual([{ field: 'receiverId', message: expect.any(String) }]);
    expect(await requestsBetween(patient.user.id, patient.user.id)).toEqual([]);
  });

  it('Should refuse a duplicate pending request with 409', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    expect((await patient.post(`${API}/requests`, { receiverId: caregiver.user.id })).status).toBe(201);
    const dup = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    expect(outcome(dup)).toEqual([409, 'CONFLICT']);
    expect(dup.body.error.details).toEqual({ reason: 'pending-request' });
    expect(await requestsBetween(patient.user.id, caregiver.user.id)).toHaveLength(1);
  });

  it('Should let exactly one of several concurrent identical sends through', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => patient.post(`${API}/requests`, { receiverId: caregiver.user.id })),
    );
    expect(results.map(outcome).sort()).toEqual([
      [201, null],
      [409, 'CONFLICT'],
      [409, 'CONFLICT'],
      [409, 'CONFLICT'],
      [409, 'CONFLICT'],
    ]);
    expect(await requestsBetween(patient.user.id, caregiver.user.id)).toHaveLength(1);
  });

  it('Should refuse asking someone who already cares for me with 409', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    await link(patient, caregiver);
    const res = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    expect(outcome(res)).toEqual([409, 'CONFLICT']);
    expect(res.body.error.details).toEqual({ reason: 'already-caregiver' });
    expect(await requestsBetween(patient.user.id, caregiver.user.id)).toHaveLength(1);
    // The other direction is another relationship: the caregiver may ask the patient to care for them.
    expect((await caregiver.post(`${API}/requests`, { receiverId: patient.user.id })).status).toBe(201);
  });

  it('Should answer 404 "User not found" for unknown, blocked, removed, inactive, pending and non-patient accounts', async () => {
    const patient = await member(clock);
    const targets = [
      uniqueId('usr'),
      (await createUser({ status: 'blocked' })).id,
      (await createUser({ status: 'removed' })).id,
      (await createUser({ status: 'inactive' })).id,
      (await createUser({ role: 'caregiver', status: 'pending' })).id,
      (await createUser({ role: 'doctor' })).id,
      (await createUser({ role: 'admin' })).id,
    ];
    for (const receiverId of targets) {
      const res = await patient.post(`${API}/requests`, { receiverId });
      expect([...outcome(res), res.body.message], receiverId).toEqual([404, 'NOT_FOUND', 'User not found']);
      expect(await requestsBetween(patient.user.id, receiverId)).toEqual([]);
    }
  });

  it('Should refuse bad bodies with 422 and field errors', async () => {
    const patient = await member(clock);
    const cases: [unknown, string][] = [
      [{}, 'receiverId'],
      [{ receiverId: 42 }, 'receiverId'],
      [{ receiverId: 'not-an-id' }, 'receiverId'],
      [{ receiverId: uniqueId('usr'), status: 'accepted' }, 'status'],
      [{ receiverId: uniqueId('usr'), message: 'x'.repeat(501) }, 'message'],
    ];
    for (const [json, field] of cases) {
      const res = await patient.post(`${API}/requests`, json);
      expect(outcome(res), JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const malformed = await patient.call('POST', `${API}/requests`, {
      body: '{"receiverId":',
      headers: { 'content-type': 'application/json' },
    });
    expect(outcome(malformed)).toEqual([400, 'INVALID_JSON']);
  });

  it('Should refuse other roles with 403 and anonymous callers with 401', async () => {
    const api = client({ clock });
    for (const role of ['doctor', 'receptionist', 'admin'] as const) {
      const token = await tokenFor(await createUser({ role }), clock.now());
      const res = await api.post(`${API}/requests`, { token, json: { receiverId: uniqueId('usr') } });
      expect(outcome(res), role).toEqual([403, 'FORBIDDEN']);
      expect(outcome(await api.get(`${API}/my-caregivers`, { token }))).toEqual([403, 'FORBIDDEN']);
    }
    const pendingCaregiver = await createUser({ role: 'caregiver', status: 'pending' });
    const token = await tokenFor(pendingCaregiver, clock.now());
    expect(outcome(await api.get(`${API}/requests`, { token }))).toEqual([403, 'FORBIDDEN']);
    expect(outcome(await api.post(`${API}/requests`, { json: { receiverId: uniqueId('usr') } }))).toEqual([
      401,
      'UNAUTHENTICATED',
    ]);
    expect(outcome(await api.get(`${API}/i-care-for`))).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('caregiver requests: answering', () => {
  it('Should hide a request from everyone but its receiver (404), including its requester', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const outsider = await member(clock);
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    for (const who of [patient, outsider]) {
      const res = await who.patch(`${API}/requests/${sent.body.data.id}`, { status: 'accepted' });
      expect([...outcome(res), res.body.message]).toEqual([404, 'NOT_FOUND', 'Caregiver request not found']);
    }
    const unknown = await caregiver.patch(`${API}/requests/${uniqueId('cgr')}`, { status: 'accepted' });
    expect(outcome(unknown)).toEqual([404, 'NOT_FOUND']);
    const [row] = await requestsBetween(patient.user.id, caregiver.user.id);
    expect(row!.status).toBe('pending');
    expect(await linksOf(patient.user.id, caregiver.user.id)).toEqual([]);
  });

  it('Should refuse answering a request that is no longer pending with 409 INVALID_TRANSITION', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const { requestId } = await link(patient, caregiver);
    for (const status of ['accepted', 'rejected']) {
      const res = await caregiver.patch(`${API}/requests/${requestId}`, { status });
      expect(outcome(res)).toEqual([409, 'INVALID_TRANSITION']);
      expect(res.body.error.details).toEqual({ status: 'accepted' });
    }
    expect(await linksOf(patient.user.id, caregiver.user.id)).toHaveLength(1);
    const [row] = await requestsBetween(patient.user.id, caregiver.user.id);
    expect(row!.status).toBe('accepted');
  });

  it('Should create one link when the receiver accepts twice at the same time', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    const answers = await Promise.all(
      [1, 2, 3].map(() => caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'accepted' })),
    );
    expect(answers.map(outcome).sort()).toEqual([
      [200, null],
      [409, 'INVALID_TRANSITION'],
      [409, 'INVALID_TRANSITION'],
    ]);
    expect(await linksOf(patient.user.id, caregiver.user.id)).toHaveLength(1);
    expect((await auditFor(sent.body.data.id)).filter((a) => a.action === 'caregiver.request.accept')).toHaveLength(1);
  });

  it('Should refuse bad answers with 422', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    for (const json of [{}, { status: 'cancelled' }, { status: 'pending' }, { status: 'accepted', linkId: 'x' }]) {
      const res = await caregiver.patch(`${API}/requests/${sent.body.data.id}`, json);
      expect(outcome(res), JSON.stringify(json)).toEqual([422, 'VALIDATION_FAILED']);
    }
    const badId = await caregiver.patch(`${API}/requests/not-an-id`, { status: 'accepted' });
    expect(outcome(badId)).toEqual([422, 'VALIDATION_FAILED']);
    expect((await requestsBetween(patient.user.id, caregiver.user.id))[0]!.status).toBe('pending');
  });

  it('Should hide requests of accounts that are no longer active', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const sent = await patient.post(`${API}/requests`, { receiverId: caregiver.user.id });
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, patient.user.id));
    expect((await caregiver.get(`${API}/requests`)).body.data.incoming).toEqual([]);
    const res = await caregiver.patch(`${API}/requests/${sent.body.data.id}`, { status: 'accepted' });
    expect(outcome(res)).toEqual([404, 'NOT_FOUND']);
    expect(await linksOf(patient.user.id, caregiver.user.id)).toEqual([]);
  });
});

describe('ending a relationship', () => {
  it('Should let the patient remove a caregiver: lists update and access ends at once', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock, { role: 'caregiver' });
    const { linkId } = await link(patient, caregiver);
    expect((await caregiver.get(`${API}/i-care-for/${patient.user.id}/overview`)).status).toBe(200);

    clock.advance(5 * 60_000);
    const res = await patient.delete(`${API}/my-caregivers/${caregiver.user.id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({
      id: linkId,
      endedAt: clock.now().toISOString(),
      endedBy: patient.user.id,
    });
    const [stored] = await linksOf(patient.user.id, caregiver.user.id);
    expect(stored).toMatchObject({ endedAt: clock.now().getTime(), endedBy: patient.user.id });
    const ends = (await auditFor(linkId)).filter((a) => a.action === 'caregiver.link.end');
    expect(ends.map((a) => [a.action, a.actorId, a.patientId, a.metadata])).toEqual([
      ['caregiver.link.end', patient.user.id, patient.user.id, { caregiverId: caregiver.user.id, by: 'patient' }],
    ]);

    expect(outcome(await caregiver.get(`${API}/i-care-for/${patient.user.id}/overview`))).toEqual([404, 'NOT_FOUND']);
    expect((await patient.get(`${API}/my-caregivers`)).body.data.items).toEqual([]);
    expect((await caregiver.get(`${API}/i-care-for`)).body.data.items).toEqual([]);
    expect(outcome(await patient.delete(`${API}/my-caregivers/${caregiver.user.id}`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await caregiver.delete(`${API}/i-care-for/${patient.user.id}`))).toEqual([404, 'NOT_FOUND']);

    // They can start over: a new request, a new link.
    const again = await link(patient, caregiver);
    expect(again.linkId).not.toBe(linkId);
    expect((await patient.get(`${API}/my-caregivers`)).body.data.items.map((i: any) => i.linkId)).toEqual([
      again.linkId,
    ]);
  });

  it('Should let the caregiver stop caring for a patient', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const { linkId } = await link(patient, caregiver);
    const res = await caregiver.delete(`${API}/i-care-for/${patient.user.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: linkId, endedBy: caregiver.user.id });
    expect((await linksOf(patient.user.id, caregiver.user.id))[0]!.endedBy).toBe(caregiver.user.id);
    expect((await patient.get(`${API}/my-caregivers`)).body.data.items).toEqual([]);
    expect(outcome(await caregiver.get(`${API}/i-care-for/${patient.user.id}/overview`))).toEqual([404, 'NOT_FOUND']);
  });

  it('Should answer 404 when removing someone who is not in the relationship that way', async () => {
    const patient = await member(clock);
    const caregiver = await member(clock);
    const outsider = await member(clock);
    await link(patient, caregiver);
    // The caregiver cannot "remove" the patient as if the patient cared for them, nor can a stranger.
    expect(outcome(await caregiver.delete(`${API}/my-caregivers/${patient.user.id}`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await outsider.delete(`${API}/my-caregivers/${caregiver.user.id}`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await outsider.delete(`${API}/i-care-for/${patient.user.id}`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await patient.delete(`${API}/my-caregivers/not-an-id`))).toEqual([422, 'VALIDATION_FAILED']);
    expect((await linksOf(patient.user.id, caregiver.user.id))[0]!.endedAt).toBeNull();
  });

  it('Should paginate the relationship lists, newest first', async () => {
    const patient = await member(clock);
    const caregivers = [];
    for (let i = 0; i < 3; i++) {
      const caregiver = await member(clock);
      clock.advance(1000);
      await link(patient, caregiver);
      caregivers.push(caregiver);
    }
    const first = await patient.get(`${API}/my-caregivers?limit=2`);
    expect(first.body.data.items.map((i: any) => i.user.id)).toEqual([caregivers[2]!.user.id, caregivers[1]!.user.id]);
    expect(first.body.data.pagination).toEqual({
      current: 1,
      pages: 2,
      total: 3,
      limit: 2,
      hasNext: true,
      hasPrev: false,
    });
    const second = await patient.get(`${API}/my-caregivers?limit=2&page=2`);
    expect(second.body.data.items.map((i: any) => i.user.id)).toEqual([caregivers[0]!.user.id]);
    expect(outcome(await patient.get(`${API}/my-caregivers?limit=101`))).toEqual([422, 'VALIDATION_FAILED']);
    const active = await db
      .select()
      .from(caregiverLinks)
      .where(and(eq(caregiverLinks.patientId, patient.user.id), isNull(caregiverLinks.endedAt)))
      .all();
    expect(active).toHaveLength(3);
  });
});
