/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/crypto';
import { checkUpload, type FileStorage } from '../../src/platform/files';
import type { PortAdapters } from '../../src/platform/ports';
import { cloudflareAdapters } from '../../src/runtime/cloudflare';
import { client, form, SAMPLE, signedInUser, testEnv } from '../helpers';

/** Every source file's text, by path relative to the repository root (read by the bundler, not at run time). */
const SOURCES = Object.fromEntries(
  Object.entries(import.meta.glob<string>('../../src/**/*.ts', { query: '?raw', import: 'default', eager: true })).map(
    ([path, text]) => [path.replace('../../', ''), text],
  ),
);

/** The module specifiers a file imports or re-exports, statically or dynamically. */
function specifiers(text: string): string[] {
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
  const bare = [...text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return [...found, ...bare, ...dynamic];
}

/** A relative specifier of `from` as a key of SOURCES. */
function resolve(from: string, specifier: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const piece of specifier.split('/')) {
    if (piece === '..') parts.pop();
    else if (piece !== '.') parts.push(piece);
  }
  const base = parts.join('/');
  const hit = [`${base}.ts`, `${base}/index.ts`].find((candidate) => candidate in SOURCES);
  if (!hit) throw new Error(`${from} imports ${specifier}, which is not a source file`);
  return hit;
}

/** Every source file `entry` reaches through relative imports, itself included. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(SOURCES[file]!)) if (spec.startsWith('.')) queue.push(resolve(file, spec));
  }
  return seen;
}

const runtimeImports = (file: string) => specifiers(SOURCES[file]!).filter((s) => s.startsWith('cloudflare:'));

describe('the app is portable', () => {
  it('Should read the sources it checks (the check cannot pass on an empty list)', () => {
    expect(Object.keys(SOURCES)).toContain('src/app.ts');
    expect(runtimeImports('src/realtime/socket-object.ts')).toEqual(['cloudflare:workers']);
    expect(importGraph('src/index.ts')).toContain('src/runtime/cloudflare.ts');
  });

  it('Should reach no cloudflare:* module and no runtime composition from src/app.ts', () => {
    const graph = [...importGraph('src/app.ts')];
    expect(graph.length).toBeGreaterThan(100);
    expect(graph.filter((file) => runtimeImports(file).length)).toEqual([]);
    expect(graph.filter((file) => file.startsWith('src/runtime/'))).toEqual([]);
  });

  it('Should reach no cloudflare:* module from the Bun and Deno entries (the hub and rooms included)', () => {
    for (const entry of ['src/runtime/bun.ts', 'src/runtime/deno.ts']) {
      const graph = [...importGraph(entry)];
      expect(graph).toContain('src/realtime/user-hub.ts');
      expect(graph).toContain('src/realtime/video-room.ts');
      expect(graph.filter((file) => runtimeImports(file).length)).toEqual([]);
    }
  });

  it('Should keep cloudflare:* out of modules, route helpers, access and platform', () => {
    const layers = ['src/modules/', 'src/http/', 'src/access/', 'src/platform/', 'src/lib/', 'src/db/'];
    const offenders = Object.keys(SOURCES).filter(
      (file) => layers.some((layer) => file.startsWith(layer)) && runtimeImports(file).length,
    );
    expect(offenders).toEqual([]);
  });

  it('Should store uploads through the storage adapter the entry point injects, not R2', async () => {
    const objects = new Map<string, Uint8Array>();
    const memory: FileStorage = {
      async put(purpose, bytes) {
        const contentType = checkUpload(purpose, bytes);
        const key = `${purpose}/memory-${objects.size + 1}`;
        objects.set(key, bytes);
        return { key, contentType, size: bytes.byteLength, sha256: await sha256Hex(bytes) };
      },
      async get(key) {
        const bytes = objects.get(key);
        return bytes ? { body: new Blob([bytes]).stream(), size: bytes.byteLength } : null;
      },
      async delete(key) {
        objects.delete(key);
      },
    };
    const adapters: PortAdapters = (env, deps) => ({ ...cloudflareAdapters(env, deps), storage: memory });
    const api = client({ adapters });
    const { token } = await signedInUser();

    const res = await api.put('/api/v1/users/me/avatar', { token, body: form({ file: new Blob([SAMPLE.png()]) }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect([...objects.keys()]).toEqual(['avatar/memory-1']);
    expect(await testEnv.FILES.head('avatar/memory-1')).toBeNull();

    const { pathname, search } = new URL(res.body.data.avatar.url);
    const served = await api.app.request(`${pathname}${search}`, {}, testEnv);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(SAMPLE.png());
  });
});
