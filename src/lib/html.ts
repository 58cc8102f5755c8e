/**
 * Escapes text for an HTML body or attribute value (`&`, `<`, `>`, quotes become character references),
 * so names and addresses a user typed cannot inject markup into an email.
 * @example escapeHtml('<b>Ann & Bo</b>') // '&#60;b&#62;Ann &#38; Bo&#60;/b&#62;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
