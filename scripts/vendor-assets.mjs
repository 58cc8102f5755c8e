// Copies the third-party browser files the Worker serves as static assets (wrangler.toml [assets],
// directory public/) out of node_modules, so they are pinned by package-lock.json and never come from a
// CDN: Swagger UI for the docs page (/api/v1/docs). The copies are generated, not committed (public/vendor
// is in .gitignore): wrangler runs this script before `wrangler dev` and `wrangler deploy` ([build] in
// wrangler.toml) and vitest.config.ts runs it before the test pool reads the assets directory.
//
// Each package lands in a directory named with its exact version (public/vendor/swagger-ui-5.35.0/), so
// the files are served with a year-long immutable cache (public/_headers) and an upgrade changes the URL.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const VENDOR_DIR = join(ROOT, 'public', 'vendor');

/** [npm package, directory prefix under public/vendor, files copied]. */
const PACKAGES = [['swagger-ui-dist', 'swagger-ui', ['swagger-ui.css', 'swagger-ui-bundle.js', 'LICENSE']]];

/** Copies what is missing or different; safe to run concurrently (each file is written then renamed). */
export function vendorAssets() {
  const written = [];
  for (const [name, prefix, files] of PACKAGES) {
    const from = join(ROOT, 'node_modules', name);
    const { version } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
    const to = join(VENDOR_DIR, `${prefix}-${version}`);
    mkdirSync(to, { recursive: true });
    for (const file of files) {
      const source = join(from, file);
      const target = join(to, file);
      if (existsSync(target) && statSync(target).size === statSync(source).size) continue;
      const partial = `${target}.${process.pid}.partial`;
      copyFileSync(source, partial);
      renameSync(partial, target);
      written.push(target);
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = vendorAssets();
  if (written.length) console.log(`vendor-assets: copied ${written.length} file(s) into public/vendor`);
}
