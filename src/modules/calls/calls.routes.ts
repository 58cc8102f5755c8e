import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppError } from '../../lib/errors';
import { AppointmentIdParam } from '../appointments/appointments.schemas';
import { fileDownload } from '../files/files.service';
import {
  CallSummarySchema,
  ChatMessageSchema,
  CompleteUploadBody,
  CreatedInvitationSchema,
  CreateInvitationBody,
  IceServersSchema,
  InvitationListSchema,
  InvitationParams,
  InvitationSchema,
  MessagesQuery,
  PartParams,
  RECORDING_TYPES,
  RecordingParams,
  StartUploadBody,
  StoredRecordingSchema,
  UploadedPartSchema,
  UploadSchema,
} from './calls.schemas';
import { callMessagesPage, callSummary } from './history.service';
import { iceServers } from './ice.service';
import { createInvitation, listInvitations, MAX_LIVE_INVITATIONS, revokeInvitation } from './invitations.service';
import { completeUpload, MAX_PART_BYTES, readRecording, startUpload, uploadPart } from './recordings.service';

const tags = ['Calls'];
const BODY_LIMIT = 16 * 1024;
/** A completion lists up to 10000 parts. */
const COMPLETE_LIMIT = 1024 * 1024;
const noAppointment = errorOf('No such appointment of mine as patient or doctor (NOT_FOUND)');
const noDoctorAppointment = errorOf('No such appointment of mine as doctor (NOT_FOUND)');
const noRecording = errorOf('No such recording of this appointment that I started (NOT_FOUND)');

const iceRoute = defineRoute({
  method: 'get',
  path: '/calls/ice-servers',
  operationId: 'calls.iceServers',
  tags,
  summary: 'ICE servers for a peer connection (STUN, and TURN with short-lived credentials)',
  description:
    'Pass `iceServers` to `RTCPeerConnection`. Without a configured TURN key: STUN only. With one: Cloudflare TURN credentials valid `ttlSeconds`; if the provider fails, STUN only (logged), never an error.',
  responses: { 200: jsonResponse(IceServersSchema, 'The ICE servers') },
});

const createInvitationRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/call/invitations',
  operationId: 'calls.invitations.create',
  tags,
  summary: 'Invite a guest (an interpreter, a caregiver) into the room of my video appointment (doctor)',
  description: `The \`code\` is shown once (only its hash is kept); the guest joins the room with \`?invite=<code>\`, and the first signed-in user who does becomes the guest. It expires when the room stops admitting (the appointment's end plus \`calls.joinGraceMinutes\`). At most ${MAX_LIVE_INVITATIONS} live (neither revoked nor expired) at once.`,
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: jsonBody(CreateInvitationBody) },
  responses: {
    201: jsonResponse(CreatedInvitationSchema, 'Invited'),
    404: noDoctorAppointment,
    409: errorOf(
      `Not a video appointment, or ${MAX_LIVE_INVITATIONS} live invitations already (CONFLICT); cancelled, ended or past its end (ROOM_CLOSED)`,
    ),
  },
});

const listInvitationsRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/call/invitations',
  operationId: 'calls.invitations.list',
  tags,
  summary: "My video appointment's invitations, oldest first, without codes (doctor)",
  request: { params: AppointmentIdParam },
  responses: { 200: jsonResponse(InvitationListSchema, 'The invitations'), 404: noDoctorAppointment },
});

const revokeInvitationRoute = defineRoute({
  method: 'delete',
  path: '/appointments/{id}/call/invitations/{invitationId}',
  operationId: 'calls.invitations.revoke',
  tags,
  summary: 'Revoke an invitation (doctor): nobody joins with it any more',
  description: 'Revoking a revoked invitation answers it as it is.',
  request: { params: InvitationParams },
  responses: {
    200: jsonResponse(InvitationSchema, 'Revoked'),
    404: errorOf('No such invitation on an appointment of mine as doctor (NOT_FOUND)'),
  },
});

const summaryRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/call',
  operationId: 'calls.summary',
  tags,
  summary: "My video appointment's call: times, duration, outcome, participants, consents, recordings",
  description: 'For the appointment’s patient and doctor only. Audited as a read of medical data.',
  request: { params: AppointmentIdParam },
  responses: {
    200: jsonResponse(CallSummarySchema, 'The call'),
    404: errorOf('No such appointment of mine, or nobody joined its room yet (NOT_FOUND)'),
  },
});

const messagesRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/call/messages',
  operationId: 'calls.messages',
  tags,
  summary: "My video appointment's in-call chat, oldest first",
  description:
    'For the appointment’s patient and doctor only. A message has a `body`, a `fileId` (download it with `GET /files/{id}/download` when it is yours, or through the appointment), or both. Audited.',
  request: { params: AppointmentIdParam, query: MessagesQuery },
  responses: { 200: jsonResponse(pageOf(ChatMessageSchema), 'A page of messages'), 404: noAppointment },
});

const startUploadRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/call/recordings/{recordingId}/upload',
  operationId: 'calls.recordings.upload',
  tags,
  summary: 'Start (or resume) the multipart upload of a recording I started',
  description:
    'Only the participant who started the recording, while it is recording or stopped. Asking again answers the same upload. Then send parts with `PUT …/upload/parts/{partNumber}` and finish with `POST …/upload/complete`.',
  bodyLimit: BODY_LIMIT,
  request: { params: RecordingParams, body: jsonBody(StartUploadBody) },
  responses: {
    200: jsonResponse(UploadSchema, 'The upload'),
    404: noRecording,
    409: errorOf('Stored or deleted (INVALID_TRANSITION)'),
    415: errorOf(`Not one of ${RECORDING_TYPES.join(', ')} (INVALID_FILE_TYPE), or a body that is not JSON`),
  },
});

const partRoute = defineRoute({
  method: 'put',
  path: '/appointments/{id}/call/recordings/{recordingId}/upload/parts/{partNumber}',
  operationId: 'calls.recordings.part',
  tags,
  summary: 'Upload one part of a recording (raw bytes)',
  description: `Parts 1–10000, each at most ${MAX_PART_BYTES / 1024 / 1024} MiB; every part but the last must be at least 5 MiB (the storage refuses smaller ones at completion). Sending a part number again replaces it. Keep each answer's \`etag\` for the completion.`,
  bodyLimit: MAX_PART_BYTES,
  request: {
    params: PartParams,
    body: {
      required: true,
      content: {
        'application/octet-stream': { schema: z.string().openapi({ format: 'binary', example: '(media bytes)' }) },
      },
    },
  },
  responses: {
    200: jsonResponse(UploadedPartSchema, 'Stored'),
    404: noRecording,
    409: errorOf('Upload not started, or the recording stored or deleted (INVALID_TRANSITION)'),
  },
});

const completeRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/call/recordings/{recordingId}/upload/complete',
  operationId: 'calls.recordings.complete',
  tags,
  summary: 'Complete the upload of a stopped recording: it is stored',
  description:
    'The recording must have stopped. It is then readable by the appointment’s patient and doctor until the retention (`calls.recordingRetentionDays`) passes and the cron deletes it (`deleteAfter`).',
  bodyLimit: COMPLETE_LIMIT,
  request: { params: RecordingParams, body: jsonBody(CompleteUploadBody) },
  responses: {
    200: jsonResponse(StoredRecordingSchema, 'Stored'),
    404: noRecording,
    409: errorOf('Upload not started, still recording, or already stored (INVALID_TRANSITION)'),
    422: errorOf('Validation failed, or parts the storage refuses (VALIDATION_FAILED)'),
  },
});

const downloadRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/call/recordings/{recordingId}',
  operationId: 'calls.recordings.download',
  tags,
  summary: 'Download a stored recording of my video appointment',
  description: 'For the appointment’s patient and doctor only; never cached. Audited.',
  request: { params: RecordingParams },
  responses: {
    200: {
      description: 'The recording',
      content: Object.fromEntries(
        RECORDING_TYPES.map((type) => [
          type,
          { schema: z.string().openapi({ format: 'binary', example: '(media bytes)' }) },
        ]),
      ),
    },
    404: errorOf('No such appointment of mine, no such recording, or deleted (NOT_FOUND)'),
    409: errorOf('Not stored yet (INVALID_TRANSITION)'),
  },
});

export const callsRouter = createRouter()
  .openapi(iceRoute, async (c) => c.json(ok(await iceServers(c.get('ctx'))), 200))
  .openapi(createInvitationRoute, async (c) =>
    c.json(ok(await createInvitation(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Invited'), 201),
  )
  .openapi(listInvitationsRoute, async (c) =>
    c.json(ok(await listInvitations(c.get('ctx'), c.req.valid('param').id)), 200),
  )
  .openapi(revokeInvitationRoute, async (c) => {
    const { id, invitationId } = c.req.valid('param');
    return c.json(ok(await revokeInvitation(c.get('ctx'), id, invitationId), 'Revoked'), 200);
  })
  .openapi(summaryRoute, async (c) => c.json(ok(await callSummary(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(messagesRoute, async (c) =>
    c.json(ok(await callMessagesPage(c.get('ctx'), c.req.valid('param').id, c.req.valid('query'))), 200),
  )
  .openapi(startUploadRoute, async (c) => {
    const { id, recordingId } = c.req.valid('param');
    return c.json(ok(await startUpload(c.get('ctx'), id, recordingId, c.req.valid('json').contentType)), 200);
  })
  .openapi(partRoute, async (c) => {
    const { id, recordingId, partNumber } = c.req.valid('param');
    const body = c.req.raw.body;
    if (!body || Number(c.req.header('content-length') ?? '1') === 0) {
      throw new AppError('VALIDATION_FAILED', 'Send the part’s bytes', {
        fields: [{ field: 'body', message: 'Empty part' }],
      });
    }
    // A body of unknown length (chunked) is read whole: R2 takes a stream only when its length is known.
    const bytes = c.req.header('content-length') ? body : new Uint8Array(await c.req.arrayBuffer());
    return c.json(ok(await uploadPart(c.get('ctx'), id, recordingId, partNumber, bytes)), 200);
  })
  .openapi(completeRoute, async (c) => {
    const { id, recordingId } = c.req.valid('param');
    return c.json(ok(await completeUpload(c.get('ctx'), id, recordingId, c.req.valid('json').parts), 'Stored'), 200);
  })
  .openapi(downloadRoute, async (c) => {
    const { id, recordingId } = c.req.valid('param');
    const { body, size, contentType } = await readRecording(c.get('ctx'), id, recordingId);
    return fileDownload({ contentType, size }, body);
  });
