import { and, eq, inArray, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type CallRecordingRow, callRecordings } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import type { MultipartStorage, UploadedPart } from '../../platform/files';
import { seenBy } from '../appointments/appointment-access';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { RECORDING_TYPES, type RecordingType, type RecordingView } from './calls.schemas';
import { callAppointment, PARTIES, partyReadAudit, toRecordingView } from './history.service';

const MiB = 1024 * 1024;
/** R2's smallest part (every part but the last), and the most parts an upload may have. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PARTS = 10_000;
/** The largest part the API takes in one request (the body limit of the part route). */
export const MAX_PART_BYTES = 100 * MiB;
/** A recording stopped this long ago whose upload never completed is discarded by the cron. */
export const ABANDONED_AFTER_MS = 24 * 3600_000;
/** Recordings one cron run deletes or discards, at most (the rest wait for the next minute). */
export const RETENTION_BATCH = 50;

const DAY_MS = 86_400_000;

/** What an upload may still happen on: while recording (parts as they come) and once stopped. */
const UPLOADABLE = ['recording', 'stopped'] as const;

export const recordingKey = (appointmentId: string, recordingId: string) =>
  `recordings/${appointmentId}/${recordingId}`;

function multipartOf(ctx: ServiceContext): MultipartStorage {
  const multipart = ctx.ports.storage.multipart;
  if (!multipart) throw new AppError('SERVICE_UNAVAILABLE', 'This runtime cannot take recordings');
  return multipart;
}

/** The caller's own recording of this appointment (they started it), else NOT_FOUND. */
const ownRecording = (ctx: AuthedContext, appointmentId: string, recordingId: string) =>
  ctx.db
    .select()
    .from(callRecordings)
    .where(
      and(
        eq(callRecordings.id, recordingId),
        eq(callRecordings.appointmentId, appointmentId),
        eq(callRecordings.startedBy, ctx.actor.id),
      ),
    );

function requireUploadable(row: CallRecordingRow): void {
  if (!(UPLOADABLE as readonly string[]).includes(row.status)) {
    throw new AppError('INVALID_TRANSITION', `A ${row.status} recording takes no upload`, {
      details: { status: row.status, allowed: UPLOADABLE },
    });
  }
}

function uploadView(row: { uploadId: string; contentType: string }) {
  return {
    uploadId: row.uploadId,
    contentType: row.contentType,
    partSizeBytes: MIN_PART_BYTES,
    maxPartBytes: MAX_PART_BYTES,
    maxParts: MAX_PARTS,
  };
}

/**
 * Starts the multipart upload of a recording, for the participant who started it (anyone else:
 * NOT_FOUND), while it is recording or stopped. Calling again answers the same upload. Two round trips.
 * @throws AppError NOT_FOUND, INVALID_FILE_TYPE (not a recording type), INVALID_TRANSITION (stored or deleted)
 */
export async function startUpload(ctx: AuthedContext, appointmentId: string, recordingId: string, contentType: string) {
  if (!(RECORDING_TYPES as readonly string[]).includes(contentType)) {
    throw new AppError('INVALID_FILE_TYPE', `A recording must be one of: ${RECORDING_TYPES.join(', ')}`, {
      details: { accepted: RECORDING_TYPES },
    });
  }
  const [row] = await ownRecording(ctx, appointmentId, recordingId);
  if (!row) throw notFound('Recording');
  requireUploadable(row);
  if (row.uploadId && row.contentType) return uploadView({ uploadId: row.uploadId, contentType: row.contentType });
  const key = recordingKey(appointmentId, recordingId);
  const multipart = multipartOf(ctx);
  const uploadId = await multipart.create(key, contentType as RecordingType);
  try {
    await ctx.db.batch([
      ctx.db
        .update(callRecordings)
        .set({ storageKey: key, uploadId, contentType })
        .where(
          and(
            eq(callRecordings.id, recordingId),
            isNull(callRecordings.uploadId),
            inArray(callRecordings.status, [...UPLOADABLE]),
          ),
        ),
      auditInsert(
        ctx,
        {
          action: 'call.recording.upload',
          resourceType: 'call_recording',
          resourceId: recordingId,
          metadata: { appointmentId },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    await multipart.abort(key, uploadId);
    if (auditGuardTripped(err))
      throw new AppError('CONFLICT', 'The upload of this recording changed meanwhile: ask again');
    throw err;
  }
  return uploadView({ uploadId, contentType });
}

/** The caller's recording with its upload begun, still taking parts. */
async function openUpload(ctx: AuthedContext, appointmentId: string, recordingId: string) {
  const [row] = await ownRecording(ctx, appointmentId, recordingId);
  if (!row) throw notFound('Recording');
  requireUploadable(row);
  if (!row.uploadId || !row.storageKey) {
    throw new AppError('INVALID_TRANSITION', 'Start the upload first', { details: { status: row.status } });
  }
  return { row, uploadId: row.uploadId, key: row.storageKey };
}

/**
 * Stores one part of the caller's recording upload (parts 1–10000; each but the last at least 5 MiB,
 * which R2 checks when the upload completes). One round trip.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not started, or stored)
 */
export async function uploadPart(
  ctx: AuthedContext,
  appointmentId: string,
  recordingId: string,
  partNumber: number,
  body: ReadableStream | Uint8Array,
): Promise<UploadedPart> {
  const { uploadId, key } = await openUpload(ctx, appointmentId, recordingId);
  return multipartOf(ctx).uploadPart(key, uploadId, partNumber, body);
}

/**
 * Completes the caller's recording upload from its parts: the recording is `stored`, and the cron
 * deletes it `calls.recordingRetentionDays` days later. Only once the room stopped it (a recording
 * still running has more to come). Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not started, still recording, or stored),
 *   VALIDATION_FAILED (parts R2 refuses)
 */
export async function completeUpload(
  ctx: AuthedContext,
  appointmentId: string,
  recordingId: string,
  parts: UploadedPart[],
): Promise<RecordingView> {
  const { found, settings } = await batchOf(ctx.db, {
    found: ownRecording(ctx, appointmentId, recordingId),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const row = found[0];
  if (!row) throw notFound('Recording');
  requireUploadable(row);
  if (row.status === 'recording') {
    throw new AppError('INVALID_TRANSITION', 'Stop the recording before completing its upload', {
      details: { status: row.status },
    });
  }
  if (!row.uploadId || !row.storageKey) {
    throw new AppError('INVALID_TRANSITION', 'Start the upload first', { details: { status: row.status } });
  }
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const { size } = await multipartOf(ctx).complete(row.storageKey, row.uploadId, sorted);
  const now = ctx.clock.now().getTime();
  const deleteAfter = now + (await getSetting(ctx, 'calls.recordingRetentionDays')) * DAY_MS;
  const changes = { status: 'stored' as const, sizeBytes: size, storedAt: now, deleteAfter };
  const stored = ctx.db.batch([
    ctx.db
      .update(callRecordings)
      .set(changes)
      .where(and(eq(callRecordings.id, recordingId), eq(callRecordings.status, 'stopped'))),
    auditInsert(
      ctx,
      {
        action: 'call.recording.store',
        resourceType: 'call_recording',
        resourceId: recordingId,
        metadata: { appointmentId, sizeBytes: size },
      },
      { guard: 'one-row-changed' },
    ),
  ]);
  await stored.catch((err) => {
    // Stored or discarded meanwhile (a retried completion, the cron): nothing was changed here.
    if (auditGuardTripped(err)) throw new AppError('INVALID_TRANSITION', 'The recording changed meanwhile');
    throw err;
  });
  return toRecordingView({ ...row, ...changes });
}

/**
 * A stored recording's bytes, for the appointment's patient and doctor (anyone else: NOT_FOUND), with
 * its content type and size. One round trip: the appointment, the recording and the read's audit event
 * (written only when the caller may read it and it is stored).
 * @throws AppError NOT_FOUND (not theirs, no such recording, or deleted), INVALID_TRANSITION (not stored yet)
 */
export async function readRecording(ctx: AuthedContext, appointmentId: string, recordingId: string) {
  const mine = and(eq(callRecordings.id, recordingId), eq(callRecordings.appointmentId, appointmentId));
  const stored = sql`exists (select 1 from ${callRecordings} where ${and(mine, eq(callRecordings.status, 'stored'))})`;
  const { appointment, found } = await batchOf(ctx.db, {
    appointment: callAppointment(ctx, appointmentId),
    found: ctx.db.select().from(callRecordings).where(mine),
    audit: partyReadAudit(
      ctx,
      appointmentId,
      { action: 'call.recording.read', resourceType: 'call_recording', resourceId: recordingId },
      stored,
    ),
  });
  seenBy(ctx, appointment[0], PARTIES);
  const row = found[0];
  if (!row || row.status === 'deleted') throw notFound('Recording');
  if (row.status !== 'stored' || !row.storageKey) {
    throw new AppError('INVALID_TRANSITION', 'The recording is not stored yet', { details: { status: row.status } });
  }
  const object = await ctx.ports.storage.get(row.storageKey);
  if (!object) throw notFound('Recording');
  return { body: object.body, size: object.size, contentType: row.contentType ?? 'application/octet-stream' };
}

/**
 * The retention cron: deletes stored recordings past `deleteAfter` (R2 object, then the row marked
 * `deleted`), and discards recordings stopped more than a day ago whose upload never completed (their
 * parts aborted). At most RETENTION_BATCH of each per run. Answers how many it deleted or discarded.
 */
export async function sweepRecordings(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const [expired, abandoned] = await ctx.db.batch([
    ctx.db
      .select()
      .from(callRecordings)
      .where(and(eq(callRecordings.status, 'stored'), lte(callRecordings.deleteAfter, now)))
      .limit(RETENTION_BATCH),
    ctx.db
      .select()
      .from(callRecordings)
      .where(
        and(
          eq(callRecordings.status, 'stopped'),
          isNotNull(callRecordings.stoppedAt),
          lt(callRecordings.stoppedAt, now - ABANDONED_AFTER_MS),
        ),
      )
      .limit(RETENTION_BATCH),
  ]);
  if (expired.length === 0 && abandoned.length === 0) return 0;
  for (const row of expired) if (row.storageKey) await ctx.ports.storage.delete(row.storageKey);
  const multipart = ctx.ports.storage.multipart;
  for (const row of abandoned) {
    if (row.storageKey && row.uploadId && multipart) await multipart.abort(row.storageKey, row.uploadId);
  }
  const gone = { status: 'deleted' as const, deletedAt: now };
  const updates = [];
  if (expired.length) {
    updates.push(
      ctx.db
        .update(callRecordings)
        .set(gone)
        .where(
          and(
            inArray(
              callRecordings.id,
              expired.map((r) => r.id),
            ),
            eq(callRecordings.status, 'stored'),
          ),
        ),
    );
  }
  if (abandoned.length) {
    updates.push(
      ctx.db
        .update(callRecordings)
        .set({ ...gone, uploadId: null })
        .where(
          and(
            inArray(
              callRecordings.id,
              abandoned.map((r) => r.id),
            ),
            eq(callRecordings.status, 'stopped'),
          ),
        ),
    );
  }
  const [first, ...rest] = updates;
  await ctx.db.batch([first!, ...rest]);
  return expired.length + abandoned.length;
}
