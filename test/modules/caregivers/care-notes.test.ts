import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, caregiverNotes } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { db, form, SAMPLE, uniqueId } from '../../helpers';
import { API, link, type Member, member, outcome } from './network';

const clock = fixedClock('2026-03-23T10:00:00Z');

async function upload(who: Member, purpose: string, bytes = SAMPLE.png(), name = 'bp.png') {
  const res = await who.call('POST', '/api/v1/files', { body: form({ purpose, file: new Blob([bytes]) }, name) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

const notesOf = (linkId: string) => db.select().from(caregiverNotes).where(eq(caregiverNotes.linkId, linkId)).all();
const auditsOf = (linkId: string, action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceId, linkId), eq(auditEvents.action, action)))
    .all();

async function pair() {
  const patient = await member(clock, { name: 'Ana Silva' });
  const caregiver = await member(clock, { role: 'caregiver', name: 'Maria Lopes' });
  const { linkId } = await link(patient, caregiver);
  return { patient, caregiver, linkId, notes: `${API}/relationships/${linkId}/notes` };
}

describe('caregiver notes', () => {
  it('Should let both sides write and read notes, newest first, audited without the text', async () => {
    const { patient, caregiver, linkId, notes } = await pair();
    const first = await patient.post(notes, { body: '  Felt dizzy after lunch.  ' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.data).toEqual({
      id: expect.stringMatching(/^cgn_/),
      linkId,
      author: { id: patient.user.id, name: 'Ana Silva' },
      body: 'Felt dizzy after lunch.',
      file: null,
      createdAt: clock.now().toISOString(),
    });
    clock.advance(60_000);
    const second = await caregiver.post(notes, { body: 'Called the doctor; BP 130/85.' });
    expect(second.status).toBe(201);
    expect((await notesOf(linkId)).map((n) => [n.id, n.authorId, n.body])).toEqual(
      expect.arrayContaining([
        [first.body.data.id, patient.user.id, 'Felt dizzy after lunch.'],
        [second.body.data.id, caregiver.user.id, 'Called the doctor; BP 130/85.'],
      ]),
    );

    for (const reader of [patient, caregiver]) {
      const list = await reader.get(notes);
      expect(list.status).toBe(200);
      expect(list.body.data.items.map((n: any) => [n.id, n.author.name])).toEqual([
        [second.body.data.id, 'Maria Lopes'],
        [first.body.data.id, 'Ana Silva'],
      ]);
      expect(list.body.data.pagination).toMatchObject({ total: 2, limit: 20 });
    }
    const paged = await patient.get(`${notes}?limit=1&page=2`);
    expect(paged.body.data.items.map((n: any) => n.id)).toEqual([first.body.data.id]);

    const created = await auditsOf(linkId, 'caregiver.note.create');
    expect(created.map((a) => [a.actorId, a.patientId, a.metadata])).toEqual([
      [patient.user.id, patient.user.id, { noteId: first.body.data.id, fileId: null }],
      [caregiver.user.id, patient.user.id, { noteId: second.body.data.id, fileId: null }],
    ]);
    const listed = await auditsOf(linkId, 'caregiver.note.list');
    expect(listed.map((a) => a.actorId)).toEqual([patient.user.id, caregiver.user.id, patient.user.id]);
    expect(listed.every((a) => a.patientId === patient.user.id)).toBe(true);
    expect(JSON.stringify([...created, ...listed])).not.toContain('dizzy');
  });

  it('Should attach a file the author uploaded and let the other side download it, audited', async () => {
    const { patient, caregiver, linkId, notes } = await pair();
    const fileId = await upload(caregiver, 'attachment');
    const res = await caregiver.post(notes, { body: 'Blood pressure chart', fileId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.file).toEqual({ id: fileId, contentType: 'image/png', size: 16, fileName: 'bp.png' });
    expect((await notesOf(linkId))[0]!.fileId).toBe(fileId);

    const listed = await patient.get(notes);
    expect(listed.body.data.items[0].file).toEqual({
      id: fileId,
      contentType: 'image/png',
      size: 16,
      fileName: 'bp.png',
    });

    const download = await patient.fetch(`${notes}/${res.body.data.id}/file`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('cache-control')).toBe('private, no-store');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(SAMPLE.png());
    const reads = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, fileId), eq(auditEvents.action, 'caregiver.note.file.read')))
      .all();
    expect(reads.map((a) => [a.actorId, a.patientId, a.metadata])).toEqual([
      [patient.user.id, patient.user.id, { linkId, noteId: res.body.data.id }],
    ]);

    const plain = await patient.post(notes, { body: 'No file here' });
    expect(outcome(await patient.get(`${notes}/${plain.body.data.id}/file`))).toEqual([404, 'NOT_FOUND']);
    expect(outcome(await patient.get(`${notes}/${uniqueId('cgn')}/file`))).toEqual([404, 'NOT_FOUND']);
  });

  it('Should refuse a file that is not the author’s own attachment with 422', async () => {
    const { patient, caregiver, linkId, notes } = await pair();
    const theirs = await upload(caregiver, 'attachment');
    const avatar = await upload(patient, 'avatar');
    for (const fileId of [theirs, avatar, uniqueId('fil')]) {
      const res = await patient.post(notes, { body: 'See file', fileId });
      expect(outcome(res), fileId).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors).toEqual([{ field: 'fileId', message: expect.any(String) }]);
    }
    expect(await notesOf(linkId)).toEqual([]);
  });

  it('Should refuse bad bodies with 422', async () => {
    const { patient, linkId, notes } = await pair();
    for (const json of [
      {},
      { body: '' },
      { body: '   ' },
      { body: 'x'.repeat(5001) },
      { body: 42 },
      { body: 'ok', authorId: 'x' },
    ]) {
      expect(outcome(await patient.post(notes, json)), JSON.stringify(json).slice(0, 40)).toEqual([
        422,
        'VALIDATION_FAILED',
      ]);
    }
    expect((await patient.post(notes, { body: 'x'.repeat(5000) })).status).toBe(201);
    expect(await notesOf(linkId)).toHaveLength(1);
  });

  it('Should answer 404 to outsiders and once the relationship has ended', async () => {
    const { patient, caregiver, linkId, notes } = await pair();
    const fileId = await upload(patient, 'attachment');
    const note = await patient.post(notes, { body: 'Shared', fileId });
    const outsider = await member(clock);
    for (const res of [
      await outsider.get(notes),
      await outsider.post(notes, { body: 'Let me in' }),
      await outsider.get(`${notes}/${note.body.data.id}/file`),
      await patient.get(`${API}/relationships/${uniqueId('cgl')}/notes`),
    ]) {
      expect([...outcome(res), res.body.message]).toEqual([404, 'NOT_FOUND', 'Relationship not found']);
    }
    expect(outcome(await patient.get(`${API}/relationships/not-an-id/notes`))).toEqual([422, 'VALIDATION_FAILED']);

    expect((await caregiver.delete(`${API}/i-care-for/${patient.user.id}`)).status).toBe(200);
    for (const who of [patient, caregiver]) {
      expect(outcome(await who.get(notes))).toEqual([404, 'NOT_FOUND']);
      expect(outcome(await who.post(notes, { body: 'Still there?' }))).toEqual([404, 'NOT_FOUND']);
      expect(outcome(await who.get(`${notes}/${note.body.data.id}/file`))).toEqual([404, 'NOT_FOUND']);
    }
    expect((await notesOf(linkId)).map((n) => n.body)).toEqual(['Shared']);
    expect(await auditsOf(linkId, 'caregiver.note.list')).toEqual([]);
  });
});
