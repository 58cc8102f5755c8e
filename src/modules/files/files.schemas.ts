import { z } from '@hono/zod-openapi';
import { FILE_PURPOSES } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { type SniffedType, UPLOAD_RULES } from '../../platform/files';

export const FileSchema = z
  .object({
    id: z.string(),
    purpose: z.enum(FILE_PURPOSES),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    fileName: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('File', {
    example: {
      id: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      purpose: 'lab-report',
      contentType: 'application/pdf',
      size: 48213,
      sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      fileName: 'blood-panel.pdf',
      createdAt: '2026-01-15T10:30:00.000Z',
    },
  });

export const UploadFileBody = z.object({
  file: z
    .instanceof(File, { message: 'Attach the file in the "file" field' })
    .openapi({ type: 'string', format: 'binary' }),
  purpose: z.enum(FILE_PURPOSES).openapi({ example: 'lab-report' }),
});

export const FileIdParam = z.object({
  id: z
    .string()
    .regex(/^fil_[0-9A-Z]{26}$/, 'Not a file id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }),
});

export const ListFilesQuery = PageQuery.extend({ purpose: z.enum(FILE_PURPOSES).optional() });

/** Every type an upload of any purpose can have: what a download of one's own files can answer. */
export const STORED_TYPES: readonly SniffedType[] = [...new Set(Object.values(UPLOAD_RULES).flatMap((r) => r.types))];

const BYTES_EXAMPLE: Record<SniffedType, string> = {
  'application/pdf': '%PDF-1.7 …',
  'image/jpeg': '(JPEG bytes)',
  'image/png': '(PNG bytes)',
  'image/webp': '(WebP bytes)',
  'image/gif': 'GIF89a…',
  'video/webm': '(WebM bytes)',
};

/**
 * The 200 answer of a file download: the stored bytes under the Content-Type sniffed at upload, one
 * media type per type the download can hold (`types`), so the document names the real ones.
 */
export function downloadResponse(types: readonly SniffedType[], description = 'The file') {
  return {
    description,
    content: Object.fromEntries(
      types.map((type) => [type, { schema: z.string().openapi({ format: 'binary', example: BYTES_EXAMPLE[type] }) }]),
    ),
  };
}
