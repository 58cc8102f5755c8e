import { z } from '@hono/zod-openapi';
import {
  CALL_CONSENT_ACTIONS,
  CALL_RECORDING_STATUSES,
  CALL_RECORDING_STOP_REASONS,
  CALL_ROLES,
  CALL_STATUSES,
} from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { AppointmentIdParam } from '../appointments/appointments.schemas';

const ID = (prefix: string) => `${prefix}_01JF8ZS5X0V6M3A2Q9K1T7B4CE`;
const at = (example: string) => z.string().openapi({ example });
const nullableAt = (example: string) => z.string().nullable().openapi({ example });

export const IceServerSchema = z
  .object({
    urls: z.array(z.string()).min(1),
    username: z.string().optional(),
    credential: z.string().optional(),
  })
  .openapi('IceServer');

export const IceServersSchema = z
  .object({
    iceServers: z.array(IceServerSchema),
    ttlSeconds: z.number().int().openapi({ description: 'How long the TURN credentials live (ask again before)' }),
  })
  .openapi('IceServers', {
    example: {
      iceServers: [
        { urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] },
        {
          urls: ['turn:turn.cloudflare.com:3478?transport=udp', 'turns:turn.cloudflare.com:443?transport=tcp'],
          username: 'bc91b63e2b5d759f8eb9f3b58062439e0a0e15893d76317d833265ad08d6631099ce7c7087caabb31ad3e1c386424e3e',
          credential:
            'ebd71f1d3edbc2b0edae3cd5a6d82284aeb5c3b8fdaa9b8e3bf9cec683e0d45fe9f5b44e5145db3300f06c250a15b4a0',
        },
      ],
      ttlSeconds: 86_400,
    },
  });

// ---- invitations

export const InvitationParams = AppointmentIdParam.extend({
  invitationId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'invitationId', in: 'path' }, example: ID('cinv') }),
});

export const CreateInvitationBody = z
  .strictObject({
    label: z.string().trim().min(1).max(80).openapi({ description: 'What the guest is there as, shown to the room' }),
  })
  .openapi('CreateCallInvitation', { example: { label: 'Interpreter (Spanish)' } });
export type CreateInvitationInput = z.infer<typeof CreateInvitationBody>;

export const CreatedInvitationSchema = z
  .object({
    id: z.string(),
    code: z.string().openapi({ description: 'Shown once: the guest joins with `?invite=<code>`' }),
    label: z.string(),
    expiresAt: z.string(),
  })
  .openapi('CreatedCallInvitation', {
    example: {
      id: ID('cinv'),
      code: 'p3W9xK2vQm7LzR4tY8nB1cD6fH0jS5aE',
      label: 'Interpreter (Spanish)',
      expiresAt: '2026-07-01T09:30:00.000Z',
    },
  });

export const INVITATION_STATES = ['open', 'used', 'revoked', 'expired'] as const;

export const InvitationSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    state: z.enum(INVITATION_STATES),
    expiresAt: z.string(),
    usedBy: z.string().nullable(),
    usedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('CallInvitation', {
    example: {
      id: ID('cinv'),
      label: 'Interpreter (Spanish)',
      state: 'used',
      expiresAt: '2026-07-01T09:30:00.000Z',
      usedBy: ID('usr'),
      usedAt: '2026-07-01T08:58:12.000Z',
      revokedAt: null,
      createdAt: '2026-06-30T16:02:40.000Z',
    },
  });
export type InvitationView = z.infer<typeof InvitationSchema>;

export const InvitationListSchema = z.object({ items: z.array(InvitationSchema) }).openapi('CallInvitationList', {
  example: {
    items: [
      {
        id: ID('cinv'),
        label: 'Interpreter (Spanish)',
        state: 'open',
        expiresAt: '2026-07-01T09:30:00.000Z',
        usedBy: null,
        usedAt: null,
        revokedAt: null,
        createdAt: '2026-06-30T16:02:40.000Z',
      },
    ],
  },
});

// ---- after the call

const ParticipantSchema = z.object({
  userId: z.string(),
  role: z.enum(CALL_ROLES),
  name: z.string().nullable(),
  admittedAt: z.string().nullable(),
  firstJoinedAt: z.string(),
  lastLeftAt: z.string().nullable(),
  joinCount: z.number().int(),
  presentSeconds: z.number().int(),
});

const ConsentSchema = z.object({ userId: z.string(), action: z.enum(CALL_CONSENT_ACTIONS), at: z.string() });

const RECORDING_EXAMPLE = {
  id: ID('rec'),
  status: 'stored' as const,
  startedBy: ID('usr'),
  startedAt: '2026-07-01T09:02:05.000Z',
  stoppedAt: '2026-07-01T09:20:00.000Z',
  stopReason: 'stopped' as const,
  contentType: 'video/webm',
  sizeBytes: 48_211_904,
  deleteAfter: '2026-07-31T09:26:00.000Z',
};

const RecordingSummarySchema = z.object({
  id: z.string(),
  status: z.enum(CALL_RECORDING_STATUSES),
  startedBy: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  stopReason: z.enum(CALL_RECORDING_STOP_REASONS).nullable(),
  contentType: z.string().nullable(),
  sizeBytes: z.number().int().nullable(),
  deleteAfter: z.string().nullable(),
});

export const CallSummarySchema = z
  .object({
    id: z.string(),
    appointmentId: z.string(),
    status: z.enum(CALL_STATUSES),
    openedAt: at('2026-07-01T08:52:03.000Z'),
    startedAt: nullableAt('2026-07-01T09:00:41.000Z'),
    endedAt: nullableAt('2026-07-01T09:24:10.000Z'),
    endedBy: z.string().nullable(),
    durationSeconds: z.number().int().nullable(),
    outcome: z.string().nullable().openapi({ description: '`complete`, `no-show`, or null' }),
    participants: z.array(ParticipantSchema),
    consents: z.array(ConsentSchema),
    recordings: z.array(RecordingSummarySchema),
  })
  .openapi('CallSummary', {
    example: {
      id: ID('call'),
      appointmentId: ID('apt'),
      status: 'ended',
      openedAt: '2026-07-01T08:52:03.000Z',
      startedAt: '2026-07-01T09:00:41.000Z',
      endedAt: '2026-07-01T09:24:10.000Z',
      endedBy: ID('usr'),
      durationSeconds: 1409,
      outcome: 'complete',
      participants: [
        {
          userId: ID('usr'),
          role: 'doctor',
          name: 'Dr. Ana Ribeiro',
          admittedAt: '2026-07-01T08:59:02.000Z',
          firstJoinedAt: '2026-07-01T08:59:02.000Z',
          lastLeftAt: '2026-07-01T09:24:10.000Z',
          joinCount: 1,
          presentSeconds: 1508,
        },
      ],
      consents: [{ userId: ID('usr'), action: 'given', at: '2026-07-01T09:02:00.000Z' }],
      recordings: [RECORDING_EXAMPLE],
    },
  });
export type CallSummary = z.infer<typeof CallSummarySchema>;

export const ChatMessageSchema = z
  .object({
    id: z.string(),
    from: z.string(),
    body: z.string().nullable(),
    fileId: z.string().nullable(),
    at: z.string(),
  })
  .openapi('CallChatMessage', {
    example: {
      id: ID('cmsg'),
      from: ID('usr'),
      body: 'I will send the lab form after the call.',
      fileId: null,
      at: '2026-07-01T09:10:12.000Z',
    },
  });

export const MessagesQuery = PageQuery;

// ---- recordings

export const RECORDING_TYPES = ['video/webm', 'video/mp4', 'audio/webm', 'audio/ogg'] as const;
export type RecordingType = (typeof RECORDING_TYPES)[number];

export const RecordingParams = AppointmentIdParam.extend({
  recordingId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'recordingId', in: 'path' }, example: ID('rec') }),
});

export const PartParams = RecordingParams.extend({
  partNumber: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .openapi({ param: { name: 'partNumber', in: 'path' }, example: 1 }),
});

export const StartUploadBody = z
  .strictObject({
    contentType: z
      .string()
      .min(1)
      .max(100)
      .openapi({ description: `One of ${RECORDING_TYPES.join(', ')} (else 415 INVALID_FILE_TYPE)` }),
  })
  .openapi('StartRecordingUpload', { example: { contentType: 'video/webm' } });

export const UploadSchema = z
  .object({
    uploadId: z.string(),
    contentType: z.string(),
    partSizeBytes: z.number().int().openapi({ description: 'Send every part but the last at least this big' }),
    maxPartBytes: z.number().int(),
    maxParts: z.number().int(),
  })
  .openapi('RecordingUpload', {
    example: {
      uploadId: 'AAEAAWNaJ8o8Zf0V4jY9j…',
      contentType: 'video/webm',
      partSizeBytes: 5_242_880,
      maxPartBytes: 104_857_600,
      maxParts: 10_000,
    },
  });

export const UploadedPartSchema = z
  .object({
    partNumber: z.number().int().min(1).max(10_000),
    etag: z.string().min(1).max(256),
  })
  .openapi('UploadedPart', { example: { partNumber: 1, etag: '2c8a4e7f9a1b3d5c7e9f1a3b5c7d9e1f' } });

export const CompleteUploadBody = z
  .strictObject({ parts: z.array(UploadedPartSchema).min(1).max(10_000) })
  .openapi('CompleteRecordingUpload', {
    example: {
      parts: [
        { partNumber: 1, etag: '2c8a4e7f9a1b3d5c7e9f1a3b5c7d9e1f' },
        { partNumber: 2, etag: '9f1e3d5c7b9a1f3e5d7c9b1a3f5e7d9c' },
      ],
    },
  });
export type CompleteUploadInput = z.infer<typeof CompleteUploadBody>;

export const StoredRecordingSchema = RecordingSummarySchema.openapi('CallRecording', { example: RECORDING_EXAMPLE });
export type RecordingView = z.infer<typeof StoredRecordingSchema>;
