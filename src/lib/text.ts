/**
 * Text rules shared by the request schemas. zod copies a regex's source into the OpenAPI document as
 * a `pattern`, without its flags, and clients compile it with flags of their own. So these are written
 * with `\x` escapes, never `\p{…}`: they mean the same with and without the `u` flag.
 */

/** One line of text: no control character (Unicode category Cc: U+0000–U+001F and U+007F–U+009F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly about control characters
export const NO_CONTROL_CHARS = /^[^\x00-\x1F\x7F-\x9F]*$/;

/** Free text (notes, descriptions): no control character other than tab, line feed and carriage return. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly about control characters
export const NO_CONTROL_CHARS_BUT_LINE_BREAKS = /^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$/;
