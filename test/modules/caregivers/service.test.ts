import { and, eq, or } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type AppDeps, type AuthedContext, createContext, withActor } from '../../../src/context';
import { caregiverLinks, caregiverNotes, caregiverRequests, type UserRow, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { AppError } from '../../../src/lib/errors';
import { eraseAccount } from '../../../src/modules/account-deletion/account-erasure';
import { createCareNote } from '../../../src/modules/caregivers/care-notes.service';
import { pendingRequests } from '../../../src/modules/caregivers/caregiver-lists.service';
import { caregiverSocketEvents } from '../../../src/modules/caregivers/caregivers.events';
import {
  leavePatient,
  removeCaregiver,
  sendRequest,
  updateRequestStatus,
} from '../../../src/modules/caregivers/caregivers.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { createUser, db, testEnv, uniqueId } from '../../helpers';

const clock = fixedClock('2026-03-23T10:00:00Z');

interface Push {
  userId: string;
  event: string;
  data: any;
}

/** A service context acting as `user`, whose realtime port records pushes instead of reaching a hub. */
function contextOf(user: UserRow | null, pushes: Push[] = [], deps: Partial<AppDeps> = {}): AuthedContext {
  const base = createContext(testEnv, { ...cloudflareDeps, clock, ...deps }, { requestId: uniqueId('req') });
  // `null`: a context with no caller, which the hub never dispatches; handlers still refuse it.
  const ctx = user
    ? withActor(base, { id: user.id, role: user.role, subRoles: user.subRoles, status: user.status, sessionId: null })
    : (base as AuthedContext);
  ctx.ports = {
    ...ctx.ports,
    realtime: {
      ...ctx.ports.realtime,
      notify: async (userId, event, data) => {
        pushes.push({ userId, event, data: JSON.parse(JSON.stringify(data)) });
        return 0;
      },
    },
  };
  return ctx;
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('caregiver service pushes', () => {
  it('Should push request:incoming to the receiver and request:accepted:notify to the requester', async () => {
    const patient = await createUser({ name: 'Ana Silva' });
    const caregiver = await createUser({ role: 'caregiver', name: 'Maria Lopes' });
    const pushes: Push[] = [];
    const request = await sendRequest(contextOf(patient, pushes), { receiverId: caregiver.id });
    expect(pushes).toEqual([
      {
        userId: caregiver.id,
        event: 'request:incoming',
        data: { request, requester: { id: patient.id, name: 'Ana Silva' } },
      },
    ]);

    const answer = await updateRequestStatus(contextOf(caregiver, pushes), request.id, 'accepted');
    expect(pushes[1]).toEqual({
      userId: patient.id,
      event: 'request:accepted:notify',
      data: { request: answer.request, caregiver: { id: caregiver.id, name: 'Maria Lopes' } },
    });
    expect(answer.request.status).toBe('accepted');
    expect(pushes).toHaveLength(2);
  });

  it('Should push nothing on a rejection', async () => {
    const patient = await createUser();
    const caregiver = await createUser();
    const request = await sendRequest(contextOf(patient), { receiverId: caregiver.id });
    const pushes: Push[] = [];
    await updateRequestStatus(contextOf(caregiver, pushes), request.id, 'rejected');
    expect(pushes).toEqual([]);
  });

  it('Should push request:removedByUser to the other side, whoever ends the relationship', async () => {
    const patient = await createUser();
    const caregiver = await createUser();
    const first = await sendRequest(contextOf(patient), { receiverId: caregiver.id });
    const { link } = await updateRequestStatus(contextOf(caregiver), first.id, 'accepted');
    const pushes: Push[] = [];
    await removeCaregiver(contextOf(patient, pushes), caregiver.id);
    expect(pushes).toEqual([
      {
        userId: caregiver.id,
        event: 'request:removedByUser',
        data: { linkId: link!.id, patientId: patient.id, caregiverId: caregiver.id, by: patient.id },
      },
    ]);

    const second = await sendRequest(contextOf(patient), { receiverId: caregiver.id });
    const again = await updateRequestStatus(contextOf(caregiver), second.id, 'accepted');
    await leavePatient(contextOf(caregiver, pushes), patient.id);
    expect(pushes[1]).toEqual({
      userId: patient.id,
      event: 'request:removedByUser',
      data: { linkId: again.link!.id, patientId: patient.id, caregiverId: caregiver.id, by: caregiver.id },
    });
  });

  it('Should store the change even when the push reaches no one', async () => {
    const patient = await createUser();
    const caregiver = await createUser();
    const request = await sendRequest(contextOf(patient), { receiverId: caregiver.id });
    const pending = await pendingRequests(contextOf(caregiver));
    expect(pending.incoming.map((r) => r.id)).toEqual([request.id]);
  });
});

describe('caregiver socket event handlers', () => {
  const handlers = caregiverSocketEvents;

  it('Should register exactly the five events of docs/api.md', () => {
    expect(Object.keys(handlers).sort()).toEqual([
      'request:getAllPending',
      'request:removeCaregiver',
      'request:send',
      'request:updateStatus',
      'user:getSuggestedUsers',
    ]);
  });

  it('Should turn invalid data into VALIDATION_FAILED with field errors', async () => {
    const patient = await createUser();
    const ctx = contextOf(patient);
    const cases: [string, unknown, string][] = [
      ['request:send', {}, 'receiverId'],
      ['request:send', { receiverId: 7 }, 'receiverId'],
      ['request:send', 'nope', 'data'],
      ['request:send', { receiverId: uniqueId('usr'), role: 'admin' }, 'role'],
      ['request:updateStatus', { requestId: uniqueId('cgr'), status: 'maybe' }, 'status'],
      ['request:updateStatus', { status: 'accepted' }, 'requestId'],
      ['request:getAllPending', { extra: true }, 'extra'],
      ['user:getSuggestedUsers', { search: 'a' }, 'search'],
      ['user:getSuggestedUsers', { search: 'ab', limit: 500 }, 'limit'],
      ['request:removeCaregiver', {}, 'caregiverId'],
      ['request:removeCaregiver', { caregiverId: uniqueId('usr'), patientId: uniqueId('usr') }, 'caregiverId'],
    ];
    for (const [event, data, field] of cases) {
      const err = await caught(handlers[event]!(ctx, data));
      expect([err.code, err.fields?.map((f) => f.field)], `${event} ${JSON.stringify(data)}`).toEqual([
        'VALIDATION_FAILED',
        [field],
      ]);
    }
    expect(await db.select().from(caregiverRequests).where(eq(caregiverRequests.requesterId, patient.id))).toEqual([]);
  });

  it('Should apply the REST routes’ policy: other roles and unverified caregivers are refused', async () => {
    for (const input of [
      { role: 'doctor' as const },
      { role: 'admin' as const },
      { role: 'caregiver' as const, status: 'pending' as const },
    ]) {
      const user = await createUser(input);
      for (const [event, data] of [
        ['request:send', { receiverId: uniqueId('usr') }],
        ['request:getAllPending', {}],
        ['user:getSuggestedUsers', { search: 'ab' }],
      ] as const) {
        expect((await caught(handlers[event]!(contextOf(user), data))).code, `${input.role} ${event}`).toBe(
          'FORBIDDEN',
        );
      }
    }
    expect((await caught(handlers['request:getAllPending']!(contextOf(null), {}))).code).toBe('UNAUTHENTICATED');
  });

  it('Should run the same services as REST and return their results', async () => {
    const patient = await createUser({ name: 'Ana Silva' });
    const caregiver = await createUser({ name: 'Rui Costa' });
    const request = (await handlers['request:send']!(contextOf(patient), { receiverId: caregiver.id })) as any;
    expect(request).toMatchObject({ requesterId: patient.id, receiverId: caregiver.id, status: 'pending' });
    expect(await handlers['request:getAllPending']!(contextOf(caregiver), undefined)).toMatchObject({
      incoming: [{ id: request.id, user: { id: patient.id, name: 'Ana Silva' } }],
      outgoing: [],
    });
    const answer = (await handlers['request:updateStatus']!(contextOf(caregiver), {
      requestId: request.id,
      status: 'accepted',
    })) as any;
    expect(answer.link).toMatchObject({ patientId: patient.id, caregiverId: caregiver.id });
    const removed = (await handlers['request:removeCaregiver']!(contextOf(caregiver), {
      patientId: patient.id,
    })) as any;
    expect(removed).toMatchObject({ id: answer.link.id, endedBy: caregiver.id });
    const stored = await db.select().from(caregiverLinks).where(eq(caregiverLinks.id, answer.link.id)).get();
    expect(stored!.endedBy).toBe(caregiver.id);
  });
});

describe('erasing an account from the caregiver network', () => {
  async function network() {
    const erased = await createUser();
    const caregiver = await createUser();
    const patientOfErased = await createUser();
    const other = await createUser();
    const r1 = await sendRequest(contextOf(erased), { receiverId: caregiver.id });
    const { link: asPatient } = await updateRequestStatus(contextOf(caregiver), r1.id, 'accepted');
    const r2 = await sendRequest(contextOf(patientOfErased), { receiverId: erased.id });
    const { link: asCaregiver } = await updateRequestStatus(contextOf(erased), r2.id, 'accepted');
    await sendRequest(contextOf(erased), { receiverId: other.id });
    await sendRequest(contextOf(other), { receiverId: erased.id });
    const mine = await createCareNote(contextOf(erased), asPatient!.id, { body: 'Mine' });
    const theirs = await createCareNote(contextOf(caregiver), asPatient!.id, { body: 'Theirs' });
    return { erased, caregiver, asPatient: asPatient!, asCaregiver: asCaregiver!, mine, theirs };
  }

  const requestsOf = (userId: string) =>
    db
      .select()
      .from(caregiverRequests)
      .where(or(eq(caregiverRequests.requesterId, userId), eq(caregiverRequests.receiverId, userId)))
      .all();

  for (const mode of ['anonymize', 'purge'] as const) {
    it(`Should delete requests and own notes and end links in the same batch (${mode})`, async () => {
      const n = await network();
      clock.advance(60_000);
      await eraseAccount(contextOf(null), n.erased.id, mode);
      expect(await requestsOf(n.erased.id)).toEqual([]);
      const links = await db
        .select()
        .from(caregiverLinks)
        .where(or(eq(caregiverLinks.id, n.asPatient.id), eq(caregiverLinks.id, n.asCaregiver.id)))
        .all();
      expect(links.map((l) => [l.endedAt, l.endedBy])).toEqual([
        [clock.now().getTime(), n.erased.id],
        [clock.now().getTime(), n.erased.id],
      ]);
      const notes = await db.select().from(caregiverNotes).where(eq(caregiverNotes.linkId, n.asPatient.id)).all();
      expect(notes.map((note) => note.id)).toEqual([n.theirs.id]);
      // The caregiver lost access at once.
      const err = await caught(createCareNote(contextOf(n.caregiver), n.asPatient.id, { body: 'Hello?' }));
      expect(err.code).toBe('NOT_FOUND');
      const row = await db.select().from(users).where(eq(users.id, n.erased.id)).get();
      expect(row === undefined).toBe(mode === 'purge');
    });
  }

  it('Should leave other people’s requests and links alone', async () => {
    const a = await createUser();
    const b = await createUser();
    const request = await sendRequest(contextOf(a), { receiverId: b.id });
    const bystander = await createUser();
    await eraseAccount(contextOf(null), bystander.id, 'anonymize');
    const stored = await db
      .select()
      .from(caregiverRequests)
      .where(and(eq(caregiverRequests.id, request.id), eq(caregiverRequests.status, 'pending')))
      .get();
    expect(stored).toBeDefined();
  });
});
