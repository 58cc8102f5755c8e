import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload } from '../files/files.service';
import { createCareNote, listCareNotes, readCareNoteFile } from './care-notes.service';
import { CreateNoteBody, LinkIdParam, MAX_NOTE_BODY, NoteFileParams, NoteSchema } from './caregivers.schemas';

const tags = ['Caregiver network'];
const notFound = errorOf('No such active relationship of mine (NOT_FOUND)');

const listRoute = defineRoute({
  method: 'get',
  path: '/caregiver/relationships/{id}/notes',
  operationId: 'caregivers.notes.list',
  tags,
  summary: 'Notes on a caregiver relationship, newest first',
  description:
    '`{id}` is the relationship’s `linkId` (from my-caregivers or i-care-for). Its patient and its caregiver read ' +
    'them while it is active; anyone else, or once it has ended, gets 404. Every read is audited.',
  request: { params: LinkIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(NoteSchema), 'A page of notes'), 404: notFound },
});

const createNoteRoute = defineRoute({
  method: 'post',
  path: '/caregiver/relationships/{id}/notes',
  operationId: 'caregivers.notes.create',
  tags,
  summary: 'Write a note on a caregiver relationship',
  description:
    `Text of 1–${MAX_NOTE_BODY} characters, optionally with \`fileId\`: a file I uploaded with POST /api/v1/files ` +
    '(purpose `attachment`). Both sides of an active relationship may write. Audited (without the text).',
  bodyLimit: 64 * 1024,
  request: { params: LinkIdParam, body: jsonBody(CreateNoteBody) },
  responses: {
    201: jsonResponse(NoteSchema, 'Written'),
    404: notFound,
    422: errorOf('Invalid body, or `fileId` is not an attachment I uploaded (VALIDATION_FAILED)'),
  },
});

const fileRoute = defineRoute({
  method: 'get',
  path: '/caregiver/relationships/{id}/notes/{noteId}/file',
  operationId: 'caregivers.notes.file',
  tags,
  summary: 'Download the file attached to a note',
  description: 'The bytes with their sniffed Content-Type, as a download that is never cached. Audited.',
  request: { params: NoteFileParams },
  responses: {
    200: downloadResponse(UPLOAD_RULES.attachment.types, 'The file'),
    404: errorOf('No such active relationship of mine, note on it, or file (NOT_FOUND)'),
  },
});

export const careNotesRouter = createRouter()
  .openapi(listRoute, async (c) =>
    c.json(ok(await listCareNotes(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(createNoteRoute, async (c) => {
    const note = await createCareNote(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(note, 'Note added'), 201);
  })
  .openapi(fileRoute, async (c) => {
    const { id, noteId } = c.req.valid('param');
    const { file, body } = await readCareNoteFile(c.get('ctx'), id, noteId);
    return fileDownload(file, body);
  });
