import { describe, expect, it } from 'vitest';
import { parseHeadersFile, staticAssets } from '../../src/runtime/portable/assets';

/** A public/ folder in memory: paths relative to it → contents (a folder is a path with files under it). */
function folder(files: Record<string, string>) {
  const reads: string[] = [];
  const readFile = async (path: string) => {
    reads.push(path);
    const relative = path.replace(/^\/srv\/public\//, '');
    return relative in files ? new TextEncoder().encode(files[relative]) : null;
  };
  return { reads, readFile };
}

const HEADERS = [
  '# comment',
  '/vendor/*',
  '  Cache-Control: public, max-age=31536000, immutable',
  '',
  '/console/*',
  "  Content-Security-Policy: default-src 'none'; script-src 'self'",
  '  X-Frame-Options: DENY',
].join('\n');

const FILES = {
  'console/index.html': '<!doctype html><title>Console</title>',
  'console/app.js': 'export {};',
  'vendor/swagger-ui-5.35.0/swagger-ui.css': 'body{}',
  _headers: HEADERS,
};

function serve(options: { cache?: boolean } = {}) {
  const fs = folder(FILES);
  const handle = staticAssets({
    dir: '/srv/public',
    readFile: fs.readFile,
    rules: parseHeadersFile(HEADERS),
    cache: options.cache ?? false,
  });
  return { ...fs, get: (path: string, init?: RequestInit) => handle(new Request(`http://localhost${path}`, init)) };
}

describe('static assets on Bun and Deno (wrangler [assets] semantics)', () => {
  it("Should read a _headers file's rules: patterns with splats and their headers", () => {
    const rules = parseHeadersFile(HEADERS);
    expect(rules.map((r) => r.headers)).toEqual([
      [['Cache-Control', 'public, max-age=31536000, immutable']],
      [
        ['Content-Security-Policy', "default-src 'none'; script-src 'self'"],
        ['X-Frame-Options', 'DENY'],
      ],
    ]);
    expect(rules[1]!.pattern.test('/console/')).toBe(true);
    expect(rules[1]!.pattern.test('/console/app.js')).toBe(true);
    expect(rules[1]!.pattern.test('/consoles/x')).toBe(false);
  });

  it("Should serve a folder's index.html at its slash path with the rule's headers, and redirect without the slash", async () => {
    const { get } = serve();
    const page = (await get('/console/'))!;
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toBe(FILES['console/index.html']);

    const bare = (await get('/console?x=1'))!;
    expect(bare.status).toBe(307);
    expect(bare.headers.get('location')).toBe('/console/?x=1');

    const css = (await get('/vendor/swagger-ui-5.35.0/swagger-ui.css'))!;
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(css.headers.get('content-security-policy')).toBeNull();
  });

  it('Should answer 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const { get } = serve();
    const first = (await get('/console/app.js'))!;
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = (await get('/console/app.js', { headers: { 'if-none-match': etag } }))!;
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const stale = (await get('/console/app.js', { headers: { 'if-none-match': '"other"' } }))!;
    expect(stale.status).toBe(200);
    const head = (await get('/console/app.js', { method: 'HEAD' }))!;
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(FILES['console/app.js'].length));
    expect(await head.text()).toBe('');
  });

  it('Should leave to the app other methods, missing files, the root, _headers and any path that is not plain', async () => {
    const { get, reads } = serve();
    expect(await get('/console/', { method: 'POST' })).toBeNull();
    expect(await get('/api/v1/health')).toBeNull();
    expect(await get('/')).toBeNull();
    const before = reads.length;
    for (const path of [
      '/_headers',
      '/console/../_headers',
      '/console/%2e%2e/_headers',
      '/.env',
      '/console//app.js',
      '/%E0%A4%A',
    ]) {
      expect(await get(path), path).toBeNull();
    }
    // None of them reached the filesystem.
    expect(reads.slice(before)).toEqual([]);
  });

  it('Should read each file once when caching (production), on every request when not (development)', async () => {
    const cached = serve({ cache: true });
    await cached.get('/console/app.js');
    await cached.get('/console/app.js');
    expect(cached.reads.filter((p) => p.endsWith('app.js'))).toHaveLength(1);
    const fresh = serve({ cache: false });
    await fresh.get('/console/app.js');
    await fresh.get('/console/app.js');
    expect(fresh.reads.filter((p) => p.endsWith('app.js'))).toHaveLength(2);
  });
});
