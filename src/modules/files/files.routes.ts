import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { MAX_UPLOAD_BYTES } from '../../platform/files';
import {
  downloadResponse,
  FileIdParam,
  FileSchema,
  ListFilesQuery,
  STORED_TYPES,
  UploadFileBody,
} from './files.schemas';
import { deleteFile, fileDownload, getFile, listFiles, readFileContent, uploadFile } from './files.service';

const NO_SUCH_FILE = errorOf('No such file of mine (NOT_FOUND)');

const uploadRoute = defineRoute({
  method: 'post',
  path: '/files',
  operationId: 'files.upload',
  tags: ['Files'],
  summary: 'Upload a file (multipart field "file" plus "purpose")',
  description:
    "The type is taken from the file's leading bytes, not its name or header. Limits per purpose: avatar 5 MiB (JPEG/PNG/WebP); attachment (appointment files) 10 MiB (JPEG/PNG/PDF); lab-report, support 10 MiB (images, PDF); content 25 MiB; recording 100 MiB (WebM).",
  bodyLimit: MAX_UPLOAD_BYTES + 64 * 1024,
  request: { body: { required: true, content: { 'multipart/form-data': { schema: UploadFileBody } } } },
  responses: { 201: jsonResponse(FileSchema, 'Stored') },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/files',
  operationId: 'files.list',
  tags: ['Files'],
  summary: 'My files, newest first',
  request: { query: ListFilesQuery },
  responses: { 200: jsonResponse(pageOf(FileSchema), 'A page of files') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/files/{id}',
  operationId: 'files.get',
  tags: ['Files'],
  summary: 'One of my files (metadata)',
  request: { params: FileIdParam },
  responses: { 200: jsonResponse(FileSchema, 'The file'), 404: NO_SUCH_FILE },
});

const contentRoute = defineRoute({
  method: 'get',
  path: '/files/{id}/content',
  operationId: 'files.content',
  tags: ['Files'],
  summary: 'Download one of my files',
  request: { params: FileIdParam },
  responses: {
    200: downloadResponse(STORED_TYPES, 'The bytes, with the sniffed Content-Type'),
    404: NO_SUCH_FILE,
  },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/files/{id}',
  operationId: 'files.delete',
  tags: ['Files'],
  summary: 'Delete one of my files',
  request: { params: FileIdParam },
  responses: {
    200: jsonResponse(
      z.object({ id: z.string() }).openapi({ example: { id: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' } }),
      'Deleted',
    ),
    404: NO_SUCH_FILE,
  },
});

export const filesRouter = createRouter()
  .openapi(uploadRoute, async (c) => {
    const { file, purpose } = c.req.valid('form');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const stored = await uploadFile(c.get('ctx'), { purpose, bytes, fileName: file.name || null });
    return c.json(ok(stored, 'File stored'), 201);
  })
  .openapi(listRoute, async (c) => c.json(ok(await listFiles(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getFile(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(contentRoute, async (c) => {
    const { file, body } = await readFileContent(c.get('ctx'), c.req.valid('param').id);
    return fileDownload(file, body);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteFile(c.get('ctx'), id);
    return c.json(ok({ id }, 'File deleted'), 200);
  });
