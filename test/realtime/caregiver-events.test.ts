import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { caregiverLinks, caregiverRequests, type UserRow } from '../../src/db/schema';
import { client, createUser, db, tokenFor, uniqueId } from '../helpers';
import { device, openSocket, type TestSocket } from '../support/sockets';

/**
 * The caregiver events of docs/api.md over real WebSockets through the Worker (SELF), as two users with a
 * socket each. The hub runs on the real clock, so the cooldown's timing is covered over REST
 * (test/modules/caregivers/requests.test.ts); here only its error frame.
 */

const api = client();
const open: TestSocket[] = [];

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function connect(user: UserRow): Promise<TestSocket> {
  const socket = await openSocket({ token: (await device(user)).token });
  open.push(socket);
  return socket;
}

async function person(input: { role?: 'user' | 'caregiver'; name?: string } = {}) {
  const user = await createUser({ role: input.role ?? 'user', name: input.name ?? 'Test Person' });
  return { user, socket: await connect(user) };
}

const requestRow = (requesterId: string, receiverId: string) =>
  db
    .select()
    .from(caregiverRequests)
    .where(and(eq(caregiverRequests.requesterId, requesterId), eq(caregiverRequests.receiverId, receiverId)))
    .all();

const restList = async (user: UserRow, which: 'my-caregivers' | 'i-care-for') => {
  const res = await api.get(`/api/v1/caregiver/${which}`, { token: await tokenFor(user) });
  expect(res.status).toBe(200);
  return res.body.data.items as { linkId: string; user: { id: string } }[];
};

describe('caregiver socket events', () => {
  it('Should deliver request:send to the receiver, accept with a notify, and update both REST lists', async () => {
    const patient = await person({ name: 'Ana Silva' });
    const caregiver = await person({ role: 'caregiver', name: 'Maria Lopes' });

    const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id }, 'send-1');
    expect(sent).toMatchObject({
      event: 'request:send:success',
      id: 'send-1',
      data: { requesterId: patient.user.id, receiverId: caregiver.user.id, status: 'pending' },
    });
    const incoming = await caregiver.socket.next('request:incoming');
    expect(incoming.data).toEqual({ request: sent.data, requester: { id: patient.user.id, name: 'Ana Silva' } });
    expect((await requestRow(patient.user.id, caregiver.user.id)).map((r) => r.status)).toEqual(['pending']);

    const pending = await caregiver.socket.request('request:getAllPending', {}, 'pending-1');
    expect(pending).toMatchObject({ event: 'request:getAllPending:success', id: 'pending-1' });
    expect(pending.data).toEqual({
      incoming: [{ ...sent.data, user: { id: patient.user.id, name: 'Ana Silva', role: 'user' } }],
      outgoing: [],
    });

    const accepted = await caregiver.socket.request(
      'request:updateStatus',
      { requestId: sent.data.id, status: 'accepted' },
      'answer-1',
    );
    expect(accepted).toMatchObject({
      event: 'request:updateStatus:success',
      id: 'answer-1',
      data: { request: { id: sent.data.id, status: 'accepted' }, link: { patientId: patient.user.id } },
    });
    const notified = await patient.socket.next('request:accepted:notify');
    expect(notified.data).toEqual({
      request: accepted.data.request,
      caregiver: { id: caregiver.user.id, name: 'Maria Lopes' },
    });
    const links = await db.select().from(caregiverLinks).where(eq(caregiverLinks.patientId, patient.user.id)).all();
    expect(links.map((l) => [l.caregiverId, l.endedAt])).toEqual([[caregiver.user.id, null]]);
    expect((await restList(patient.user, 'my-caregivers')).map((i) => i.user.id)).toEqual([caregiver.user.id]);
    expect((await restList(caregiver.user, 'i-care-for')).map((i) => i.user.id)).toEqual([patient.user.id]);

    const again = await caregiver.socket.request(
      'request:updateStatus',
      { requestId: sent.data.id, status: 'rejected' },
      'answer-2',
    );
    expect(again).toMatchObject({
      event: 'request:updateStatus:error',
      id: 'answer-2',
      data: { code: 'INVALID_TRANSITION' },
    });
  });

  it('Should remove a caregiver: success to the patient, request:removedByUser to the caregiver, lists emptied', async () => {
    const patient = await person();
    const caregiver = await person();
    const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id });
    await caregiver.socket.next('request:incoming');
    await caregiver.socket.request('request:updateStatus', { requestId: sent.data.id, status: 'accepted' });
    await patient.socket.next('request:accepted:notify');

    const removed = await patient.socket.request('request:removeCaregiver', { caregiverId: caregiver.user.id }, 'rm-1');
    expect(removed).toMatchObject({
      event: 'request:removeCaregiver:success',
      id: 'rm-1',
      data: { patientId: patient.user.id, caregiverId: caregiver.user.id, endedBy: patient.user.id },
    });
    const pushed = await caregiver.socket.next('request:removedByUser');
    expect(pushed.data).toEqual({
      linkId: removed.data.id,
      patientId: patient.user.id,
      caregiverId: caregiver.user.id,
      by: patient.user.id,
    });
    const [link] = await db.select().from(caregiverLinks).where(eq(caregiverLinks.id, removed.data.id)).all();
    expect(link!.endedBy).toBe(patient.user.id);
    expect(await restList(patient.user, 'my-caregivers')).toEqual([]);
    expect(await restList(caregiver.user, 'i-care-for')).toEqual([]);

    const twice = await patient.socket.request('request:removeCaregiver', { caregiverId: caregiver.user.id }, 'rm-2');
    expect(twice).toMatchObject({ event: 'request:removeCaregiver:error', id: 'rm-2', data: { code: 'NOT_FOUND' } });
  });

  it('Should let a caregiver leave with { patientId }, pushing request:removedByUser to the patient', async () => {
    const patient = await person();
    const caregiver = await person();
    const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id });
    await caregiver.socket.request('request:updateStatus', { requestId: sent.data.id, status: 'accepted' });
    const left = await caregiver.socket.request('request:removeCaregiver', { patientId: patient.user.id }, 'leave');
    expect(left).toMatchObject({
      event: 'request:removeCaregiver:success',
      id: 'leave',
      data: { endedBy: caregiver.user.id },
    });
    const pushed = await patient.socket.next('request:removedByUser');
    expect(pushed.data).toMatchObject({ patientId: patient.user.id, by: caregiver.user.id });
    expect(await restList(patient.user, 'my-caregivers')).toEqual([]);
  });

  it('Should answer every failure with <event>:error echoing the id, and store nothing', async () => {
    const patient = await person();
    const caregiver = await person();
    const outsider = await person();

    const self = await patient.socket.request('request:send', { receiverId: patient.user.id }, 'self');
    expect(self).toEqual({
      event: 'request:send:error',
      id: 'self',
      data: {
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        fields: [{ field: 'receiverId', message: expect.any(String) }],
      },
    });
    expect(await requestRow(patient.user.id, patient.user.id)).toEqual([]);

    for (const [data, field] of [
      [{}, 'receiverId'],
      [{ receiverId: 12 }, 'receiverId'],
      [{ receiverId: caregiver.user.id, extra: 1 }, 'extra'],
      ['text', 'data'],
    ] as const) {
      const bad = await patient.socket.request('request:send', data, `bad-${field}`);
      expect(bad, JSON.stringify(data)).toMatchObject({
        event: 'request:send:error',
        id: `bad-${field}`,
        data: { code: 'VALIDATION_FAILED', fields: [{ field }] },
      });
    }
    expect(await requestRow(patient.user.id, caregiver.user.id)).toEqual([]);

    const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id }, 'first');
    expect(sent.event).toBe('request:send:success');
    const dup = await patient.socket.request('request:send', { receiverId: caregiver.user.id }, 'dup');
    expect(dup).toMatchObject({ event: 'request:send:error', id: 'dup', data: { code: 'CONFLICT' } });
    expect(await requestRow(patient.user.id, caregiver.user.id)).toHaveLength(1);

    const unknownUser = await patient.socket.request('request:send', { receiverId: uniqueId('usr') }, 'nobody');
    expect(unknownUser).toMatchObject({ id: 'nobody', data: { code: 'NOT_FOUND', message: 'User not found' } });

    for (const who of [patient, outsider]) {
      const notReceiver = await who.socket.request(
        'request:updateStatus',
        { requestId: sent.data.id, status: 'accepted' },
        'not-receiver',
      );
      expect(notReceiver).toMatchObject({
        event: 'request:updateStatus:error',
        id: 'not-receiver',
        data: { code: 'NOT_FOUND', message: 'Caregiver request not found' },
      });
    }
    const unknown = await caregiver.socket.request(
      'request:updateStatus',
      { requestId: uniqueId('cgr'), status: 'accepted' },
      'unknown',
    );
    expect(unknown).toMatchObject({ event: 'request:updateStatus:error', id: 'unknown', data: { code: 'NOT_FOUND' } });
    const badStatus = await caregiver.socket.request(
      'request:updateStatus',
      { requestId: sent.data.id, status: 'cancelled' },
      'bad-status',
    );
    expect(badStatus).toMatchObject({
      id: 'bad-status',
      data: { code: 'VALIDATION_FAILED', fields: [{ field: 'status' }] },
    });
    expect((await requestRow(patient.user.id, caregiver.user.id)).map((r) => r.status)).toEqual(['pending']);
    expect(await db.select().from(caregiverLinks).where(eq(caregiverLinks.patientId, patient.user.id)).all()).toEqual(
      [],
    );

    const removeNobody = await patient.socket.request(
      'request:removeCaregiver',
      { caregiverId: outsider.user.id },
      'rm',
    );
    expect(removeNobody).toMatchObject({
      event: 'request:removeCaregiver:error',
      id: 'rm',
      data: { code: 'NOT_FOUND' },
    });
    const removeBoth = await patient.socket.request(
      'request:removeCaregiver',
      { caregiverId: outsider.user.id, patientId: outsider.user.id },
      'rm-both',
    );
    expect(removeBoth).toMatchObject({ id: 'rm-both', data: { code: 'VALIDATION_FAILED' } });
    const shortSearch = await patient.socket.request('user:getSuggestedUsers', { search: 'a' }, 'short');
    expect(shortSearch).toMatchObject({
      event: 'user:getSuggestedUsers:error',
      id: 'short',
      data: { code: 'VALIDATION_FAILED', fields: [{ field: 'search' }] },
    });
  });

  it('Should carry the cooldown’s retryAfter in the error frame after a rejection', async () => {
    const patient = await person();
    const caregiver = await person();
    const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id });
    const rejected = await caregiver.socket.request('request:updateStatus', {
      requestId: sent.data.id,
      status: 'rejected',
    });
    expect(rejected).toMatchObject({
      event: 'request:updateStatus:success',
      data: { request: { status: 'rejected' }, link: null },
    });
    const again = await patient.socket.request('request:send', { receiverId: caregiver.user.id }, 'again');
    expect(again).toMatchObject({
      event: 'request:send:error',
      id: 'again',
      data: { code: 'CONFLICT', details: { reason: 'cooldown', cooldownHours: 24 } },
    });
    expect(again.data.details.retryAfter).toBeGreaterThan(23 * 3600);
    expect(again.data.details.retryAfter).toBeLessThanOrEqual(24 * 3600);
  });

  it('Should suggest users by name over the socket', async () => {
    const word = `z${uniqueId('t').slice(-8).toLowerCase()}`;
    const patient = await person();
    const match = await createUser({ role: 'caregiver', name: `Nadia ${word}` });
    await createUser({ role: 'doctor', name: `Doctor ${word}` });
    const res = await patient.socket.request('user:getSuggestedUsers', { search: word }, 'suggest');
    expect(res).toMatchObject({ event: 'user:getSuggestedUsers:success', id: 'suggest' });
    expect(res.data.items).toEqual([{ id: match.id, name: `Nadia ${word}`, role: 'caregiver' }]);
    expect(res.data.pagination).toMatchObject({ total: 1, current: 1, limit: 20 });
  });

  it('Should suggest, for an empty search over the socket, only the people sharing my network', async () => {
    const word = `z${uniqueId('t').slice(-8).toLowerCase()}`;
    const patient = await person({ name: `Pia ${word}` });
    const first = await person({ role: 'caregiver', name: `Cora ${word}` });
    const second = await person({ role: 'caregiver', name: `Dora ${word}` });
    await createUser({ role: 'caregiver', name: `Stranger ${word}` });
    for (const caregiver of [first, second]) {
      const sent = await patient.socket.request('request:send', { receiverId: caregiver.user.id });
      const answer = await caregiver.socket.request('request:updateStatus', {
        requestId: sent.data.id,
        status: 'accepted',
      });
      expect(answer).toMatchObject({ event: 'request:updateStatus:success' });
    }
    for (const data of [{ search: '' }, {}]) {
      const res = await first.socket.request('user:getSuggestedUsers', data, 'network');
      expect(res, JSON.stringify(data)).toMatchObject({ event: 'user:getSuggestedUsers:success', id: 'network' });
      expect(res.data.items).toEqual([
        { id: second.user.id, name: `Dora ${word}`, role: 'caregiver' },
        { id: patient.user.id, name: `Pia ${word}`, role: 'user' },
      ]);
      expect(res.data.pagination).toMatchObject({ total: 2, current: 1, limit: 20 });
    }
    // The patient's own caregivers are left out, and she shares no other network: an empty page.
    const own = await patient.socket.request('user:getSuggestedUsers', { search: '' }, 'own');
    expect(own.data).toMatchObject({ items: [], pagination: { total: 0 } });
    const loner = await person({ name: `Loner ${word}` });
    const none = await loner.socket.request('user:getSuggestedUsers', { search: '' }, 'none');
    expect(none.data).toMatchObject({ items: [], pagination: { total: 0 } });
  });
});
