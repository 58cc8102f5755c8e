/**
 * The interactive docs page (GET /api/v1/docs): Swagger UI over the served document, from pinned files
 * the Worker serves itself as static assets (public/vendor, copied from the swagger-ui-dist package by
 * scripts/vendor-assets.mjs; public/docs/swagger-init.js). Nothing comes from another origin, so the page
 * works offline and its policy allows 'self' only: no CDN, no inline script or style.
 */

/** Must equal the exact version of swagger-ui-dist in package.json (test/modules/docs-page.test.ts). */
export const SWAGGER_UI_VERSION = '5.35.0';

const SWAGGER_UI = `/vendor/swagger-ui-${SWAGGER_UI_VERSION}`;

/** Same-origin files only; images include data: URIs (Swagger UI's stylesheet draws its icons with them). */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The page: `specUrl` is the OpenAPI document's path. */
export const docsPage = (specUrl: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Kinwell API</title>
    <link rel="stylesheet" href="${SWAGGER_UI}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui" data-spec="${specUrl}"></div>
    <script src="${SWAGGER_UI}/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-init.js"></script>
  </body>
</html>`;
