/** A message catalog of one language (src/lib/i18n). */
export interface Catalog {
  /** English text → the language's text. */
  messages: Record<string, string>;
  /** English template (`{what} not found`) → the language's template with the same placeholders. */
  templates: Record<string, string>;
  /** Values a placeholder takes (`confirmed`, `Appointment`) → the language's word; others are kept. */
  vocabulary: Record<string, string>;
  /** zod's own messages in this language (`z.locales.<language>()`). */
  zod: () => { localeError: (issue: never) => unknown };
}
