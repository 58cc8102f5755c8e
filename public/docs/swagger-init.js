// The docs page's one script of its own (src/modules/system/docs-page.ts): a same-origin file, so the
// page's Content-Security-Policy needs no inline script. The document's URL is the page's data-spec.
const spec = document.getElementById('swagger-ui').dataset.spec;
window.ui = window.SwaggerUIBundle({ url: spec, dom_id: '#swagger-ui', deepLinking: true });
