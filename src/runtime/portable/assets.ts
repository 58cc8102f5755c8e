/**
 * The static assets on Bun and Deno: what wrangler.toml's `[assets]` (directory `public/`) serves on
 * Workers before the Worker runs, served the same way here: the admin console (`/console/`), the docs
 * page's script (`/docs/`) and the pinned Swagger UI (`/vendor/`), with the headers of `public/_headers`,
 * a strong ETag (304 on `If-None-Match`), and Cloudflare's default HTML handling (a folder's
 * `index.html` at its path with a trailing slash; the path without it redirects, 307).
 *
 * Anything else (another method, a missing file, a path that is not plain) falls through to the app.
 */

import { sha256Hex } from '../../lib/crypto';

/** One rule of a `_headers` file: a path pattern (`*` matches anything) and the headers it sets. */
export interface HeaderRule {
  pattern: RegExp;
  headers: [string, string][];
}

/**
 * The rules of a `_headers` file, as Cloudflare reads it: a line starting with `/` opens a rule, the
 * indented `Name: value` lines below it are its headers; `#` comments and blank lines are skipped.
 */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    if (!/^\s/.test(line) && trimmed.startsWith('/')) {
      const source = trimmed.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      rules.push({ pattern: new RegExp(`^${source}$`), headers: [] });
      continue;
    }
    const colon = trimmed.indexOf(':');
    const rule = rules.at(-1);
    if (rule && colon > 0) rule.headers.push([trimmed.slice(0, colon).trim(), trimmed.slice(colon + 1).trim()]);
  }
  return rules;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  webmanifest: 'application/manifest+json',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

/** A path's segments when every one is plain (no `..`, `.`, empty, hidden `_`/`.` file or control character). */
function plainSegments(pathname: string): string[] | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const segments = decoded.split('/').slice(1);
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === '' && i === last) continue;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (!segment || segment === '..' || /^[._]/.test(segment) || /[\\\u0000-\u001f]/.test(segment)) return null;
  }
  return segments;
}

/**
 * Serves `dir`'s files (read through `readFile`, which answers null for a missing file or a folder)
 * with `rules`; null when the request is not for one of them. `cache` keeps each file's bytes and ETag
 * after the first read (production: the files never change while the process runs).
 */
export function staticAssets(options: {
  dir: string;
  readFile: (path: string) => Promise<Uint8Array | null>;
  rules: HeaderRule[];
  cache: boolean;
}): (request: Request) => Promise<Response | null> {
  const cached = new Map<string, { bytes: Uint8Array; etag: string } | null>();
  async function load(relative: string) {
    if (options.cache && cached.has(relative)) return cached.get(relative) ?? null;
    const bytes = await options.readFile(`${options.dir}/${relative}`);
    const file = bytes && { bytes, etag: `"${(await sha256Hex(bytes)).slice(0, 32)}"` };
    if (options.cache) cached.set(relative, file);
    return file;
  }

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    const url = new URL(request.url);
    const segments = plainSegments(url.pathname);
    if (!segments || url.pathname === '/') return null;
    const folder = url.pathname.endsWith('/');
    const relative = folder ? `${segments.join('/')}index.html` : segments.join('/');
    const file = await load(relative);
    if (!file) {
      // A folder asked without its slash: where its index is (Cloudflare's auto-trailing-slash).
      if (!folder && (await load(`${relative}/index.html`))) {
        return new Response(null, { status: 307, headers: { location: `${url.pathname}/${url.search}` } });
      }
      return null;
    }
    const headers = new Headers({
      'content-type': TYPES[relative.slice(relative.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream',
      etag: file.etag,
    });
    for (const rule of options.rules) {
      if (rule.pattern.test(url.pathname)) for (const [name, value] of rule.headers) headers.set(name, value);
    }
    if (request.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
    headers.set('content-length', String(file.bytes.byteLength));
    return new Response(request.method === 'HEAD' ? null : file.bytes, { status: 200, headers });
  };
}
