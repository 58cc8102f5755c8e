import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, PageQuery, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload, PRIVATE_DOWNLOAD_HEADERS } from '../files/files.service';
import { AppointmentIdParam, MAX_ATTACHMENTS } from './appointments.schemas';
import { addAttachments, listAttachments, readAttachment } from './attachments.service';
import { appointmentIcs } from './calendar-feed.service';
import { createNote, listNotes, updateNote } from './notes.service';
import {
  AddAttachmentsBody,
  AddedAttachmentsSchema,
  AttachmentParams,
  AttachmentSchema,
  IcsText,
  NoteBody,
  NoteParams,
  NoteSchema,
} from './records.schemas';

const NOTE_BODY_LIMIT = 64 * 1024;
/** Every file a request may carry at its largest, plus the multipart framing. */
const ATTACHMENTS_BODY_LIMIT = MAX_ATTACHMENTS * UPLOAD_RULES.attachment.maxBytes + 64 * 1024;

const notFound = errorOf('No such appointment, or not one the caller may see (NOT_FOUND)');
const addAttachmentsRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/attachments',
  operationId: 'appointments.attachments.add',
  tags: ['Appointment records'],
  summary: 'Attach files (photos, scans, PDFs) to an appointment',
  description:
    `multipart/form-data with one or more \`file\` fields: JPEG, PNG or PDF by their bytes, ` +
    `${UPLOAD_RULES.attachment.maxBytes / 1024 / 1024} MiB each, at most ${MAX_ATTACHMENTS} per appointment in all. ` +
    'All or nothing: one bad file stores none. Only while the appointment is pending, confirmed or in progress. ' +
    'Callers: the appointment’s patient, or front-desk staff. The files belong to the patient.',
  bodyLimit: ATTACHMENTS_BODY_LIMIT,
  request: {
    params: AppointmentIdParam,
    body: { required: true, content: { 'multipart/form-data': { schema: AddAttachmentsBody } } },
  },
  responses: {
    201: jsonResponse(AddedAttachmentsSchema, 'Attached'),
    404: notFound,
    409: errorOf('The appointment is finished, cancelled or rejected (INVALID_TRANSITION)'),
    413: errorOf('A file is over its size limit (FILE_TOO_LARGE) or the body is too large'),
    415: errorOf('A file is not JPEG, PNG or PDF (INVALID_FILE_TYPE), or the body is not multipart'),
    422: errorOf(`No file, or more than ${MAX_ATTACHMENTS} files on the appointment (VALIDATION_FAILED)`),
  },
});

const listAttachmentsRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/attachments',
  operationId: 'appointments.attachments.list',
  tags: ['Appointment records'],
  summary: 'The files attached to an appointment, oldest first',
  description: 'For the appointment’s patient and doctor, and permitted staff. Audited.',
  request: { params: AppointmentIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(AttachmentSchema), 'A page of attachments'), 404: notFound },
});

const downloadAttachmentRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/attachments/{fileId}',
  operationId: 'appointments.attachments.download',
  tags: ['Appointment records'],
  summary: 'Download one attached file',
  description: 'The bytes with their sniffed Content-Type, as a download that is never cached. Audited.',
  request: { params: AttachmentParams },
  responses: {
    200: downloadResponse(UPLOAD_RULES.attachment.types, 'The file'),
    404: errorOf('No such appointment or file on it, or not the caller’s to see (NOT_FOUND)'),
  },
});

const listNotesRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/notes',
  operationId: 'appointments.notes.list',
  tags: ['Appointment records'],
  summary: 'The doctor’s notes on their appointment, oldest first',
  description: 'Only the appointment’s doctor; any other doctor gets 404. Every read is audited.',
  request: { params: AppointmentIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(NoteSchema), 'A page of notes'), 404: notFound },
});

const notWritable = errorOf(
  'Notes are written once the appointment is confirmed, during and after it; not while pending, nor when rejected or cancelled (INVALID_TRANSITION)',
);

const createNoteRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/notes',
  operationId: 'appointments.notes.create',
  tags: ['Appointment records'],
  summary: 'Add a clinical note to an appointment',
  description:
    'Only the appointment’s doctor, once it is confirmed (also in progress, completed or missed). Audited without the text.',
  bodyLimit: NOTE_BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(NoteBody) },
  responses: { 201: jsonResponse(NoteSchema, 'Added'), 404: notFound, 409: notWritable },
});

const updateNoteRoute = defineRoute({
  method: 'patch',
  path: '/appointments/{id}/notes/{noteId}',
  operationId: 'appointments.notes.update',
  tags: ['Appointment records'],
  summary: 'Replace the text of a note',
  description: 'Only the doctor who wrote it, under the same status rule as adding. Audited without the text.',
  bodyLimit: NOTE_BODY_LIMIT,
  request: { params: NoteParams, body: jsonBody(NoteBody) },
  responses: {
    200: jsonResponse(NoteSchema, 'Saved'),
    404: errorOf('No such appointment or note on it, or not the caller’s (NOT_FOUND)'),
    409: notWritable,
  },
});

const icsRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/calendar.ics',
  operationId: 'appointments.ics',
  tags: ['Calendar'],
  summary: 'Download an appointment as an iCalendar (.ics) event',
  description:
    'For Google Calendar, Outlook, Apple Calendar: times in UTC, UID `<id>@kinwell.health` (stable, so a new ' +
    'download replaces the old event), STATUS TENTATIVE while pending and CANCELLED once cancelled. No clinical text.',
  request: { params: AppointmentIdParam },
  responses: {
    200: { description: 'The event', content: { 'text/calendar': { schema: IcsText } } },
    404: notFound,
  },
});

export const recordsRouter = createRouter()
  .openapi(addAttachmentsRoute, async (c) => {
    const { file } = c.req.valid('form');
    const uploads = await Promise.all(
      (Array.isArray(file) ? file : [file]).map(async (f) => ({
        bytes: new Uint8Array(await f.arrayBuffer()),
        fileName: f.name || null,
      })),
    );
    const items = await addAttachments(c.get('ctx'), c.req.valid('param').id, uploads);
    return c.json(ok({ items }, items.length === 1 ? 'File attached' : 'Files attached'), 201);
  })
  .openapi(listAttachmentsRoute, async (c) =>
    c.json(ok(await listAttachments(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(downloadAttachmentRoute, async (c) => {
    const { id, fileId } = c.req.valid('param');
    const { file, body } = await readAttachment(c.get('ctx'), id, fileId);
    return fileDownload(file, body);
  })
  .openapi(listNotesRoute, async (c) =>
    c.json(ok(await listNotes(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(createNoteRoute, async (c) => {
    const note = await createNote(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(note, 'Note added'), 201);
  })
  .openapi(updateNoteRoute, async (c) => {
    const { id, noteId } = c.req.valid('param');
    return c.json(ok(await updateNote(c.get('ctx'), id, noteId, c.req.valid('json')), 'Note saved'), 200);
  })
  .openapi(icsRoute, async (c) => {
    const { fileName, body } = await appointmentIcs(c.get('ctx'), c.req.valid('param').id);
    return new Response(body, {
      headers: {
        'content-type': 'text/calendar; charset=utf-8',
        'content-disposition': `attachment; filename="${fileName}"`,
        ...PRIVATE_DOWNLOAD_HEADERS,
      },
    });
  });
