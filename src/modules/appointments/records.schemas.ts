import { z } from '@hono/zod-openapi';
import { AppointmentIdParam, FreeText, MAX_ATTACHMENTS } from './appointments.schemas';

/** Longest doctor's note, in characters. */
export const MAX_NOTE_LENGTH = 10_000;

const appointmentId = AppointmentIdParam.shape.id;

const UploadedFile = z
  .instanceof(File, { message: 'Attach each file in a "file" field' })
  .openapi({ type: 'string', format: 'binary' });

export const AddAttachmentsBody = z
  .object({
    file: z.union([UploadedFile, z.array(UploadedFile).min(1).max(MAX_ATTACHMENTS)]).openapi({
      description: `One to ${MAX_ATTACHMENTS} files, each in its own "file" field`,
    }),
  })
  .openapi('AddAttachments', { example: { file: ['(binary PDF or image)'] } });

export const AttachmentSchema = z
  .object({
    id: z.string().openapi({ description: 'The file id' }),
    contentType: z.string(),
    size: z.number().int(),
    fileName: z.string().nullable(),
    createdAt: z.string().openapi({ description: 'When it was attached' }),
    addedBy: z.string().openapi({ description: 'The account that attached it' }),
  })
  .openapi('AppointmentAttachment', {
    example: {
      id: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      contentType: 'application/pdf',
      size: 48213,
      fileName: 'referral.pdf',
      createdAt: '2026-11-21T08:00:00.000Z',
      addedBy: 'usr_01DEMD0PAT1ENT000000000000',
    },
  });

export type AttachmentView = z.infer<typeof AttachmentSchema>;

export const AddedAttachmentsSchema = z.object({ items: z.array(AttachmentSchema) }).openapi('AddedAttachments');

export const AttachmentParams = z.object({
  id: appointmentId,
  fileId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'fileId', in: 'path' }, example: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const NoteBody = z.strictObject({ body: FreeText(MAX_NOTE_LENGTH) }).openapi('AppointmentNoteInput', {
  example: { body: 'BP 128/82. Dry cough, chest clear. Review in 2 weeks if not better.' },
});

export type NoteInput = z.infer<typeof NoteBody>;

export const NoteSchema = z
  .object({
    id: z.string(),
    appointmentId: z.string(),
    body: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('AppointmentNote', {
    example: {
      id: 'ant_01JD3Y5N6Q9W2X8Z4B7C1V0M5P',
      appointmentId: 'apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K',
      body: 'BP 128/82. Dry cough, chest clear. Review in 2 weeks if not better.',
      createdAt: '2026-12-01T09:25:00.000Z',
      updatedAt: '2026-12-01T09:25:00.000Z',
    },
  });

export type NoteView = z.infer<typeof NoteSchema>;

export const NoteParams = z.object({
  id: appointmentId,
  noteId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'noteId', in: 'path' }, example: 'ant_01JD3Y5N6Q9W2X8Z4B7C1V0M5P' }),
});

/** An iCalendar document, as sent to calendar apps. */
export const IcsText = z.string().openapi({
  example:
    'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kinwell//Appointments//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n' +
    'UID:apt_01JD3Y5N6Q9W2X8Z4B7C1V0M5K@kinwell.health\r\nSEQUENCE:0\r\nDTSTAMP:20261121T080000Z\r\n' +
    'DTSTART:20261201T090000Z\r\nDTEND:20261201T093000Z\r\nSUMMARY:General consultation with Dr. Dana Demo\r\n' +
    'STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
});

export const FeedSchema = z
  .object({
    active: z.boolean(),
    createdAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'When a calendar app last fetched the feed' }),
  })
  .openapi('CalendarFeed', {
    example: { active: true, createdAt: '2026-11-21T08:00:00.000Z', lastUsedAt: '2026-11-21T09:00:00.000Z' },
  });

export type FeedView = z.infer<typeof FeedSchema>;

export const CreatedFeedSchema = z
  .object({
    url: z.string().openapi({ description: 'The private feed URL: shown once, keep it secret' }),
    createdAt: z.string(),
  })
  .openapi('CreatedCalendarFeed', {
    example: {
      url: 'https://api.kinwell.health/api/v1/calendar/feed/3q2-7wEXAMPLEonlyb0dRkXhV9mJpQ1sT4uY6zA8cE2g.ics',
      createdAt: '2026-11-21T08:00:00.000Z',
    },
  });

export const FeedFileParam = z.object({
  file: z.string().openapi({
    param: { name: 'file', in: 'path' },
    description: 'The feed token followed by `.ics`',
    example: '3q2-7wEXAMPLEonlyb0dRkXhV9mJpQ1sT4uY6zA8cE2g.ics',
  }),
});
