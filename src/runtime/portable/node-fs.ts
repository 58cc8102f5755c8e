import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FileSystem } from '../../platform/fs-storage';

/** No file there: nothing at the path, or a folder. */
const missing = (err: unknown) => ['ENOENT', 'EISDIR', 'ENOTDIR'].includes((err as { code?: string }).code ?? '');

/** The filesystem storage's calls over node:fs/promises, which Bun and Deno serve as Node does. */
export const nodeFileSystem: FileSystem = {
  async readFile(path) {
    try {
      return new Uint8Array(await readFile(path));
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  },
  async openRead(path) {
    try {
      const { size } = await stat(path);
      return { body: Readable.toWeb(createReadStream(path)) as ReadableStream, size };
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  },
  writeFile: (path, bytes) => writeFile(path, bytes),
  appendFile: (path, bytes) => appendFile(path, bytes),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { recursive: true, force: true }),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
};
