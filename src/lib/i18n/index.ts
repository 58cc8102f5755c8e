import { z } from 'zod';
import type { FieldError } from '../errors';
import type { Catalog } from './catalog';
import { DE } from './de';

export type { Catalog } from './catalog';

/**
 * API messages in the caller's language. English is the source: every throw site and `ok()` keeps its
 * English text, and the app translates the envelope's `message` and `errors[].message` in one place on
 * the way out (src/app.ts). A language is a catalog (`de.ts`): exact messages, templates (an English
 * template literal with each `${expression}` written `{expression}`), and a vocabulary for the values
 * those placeholders take (statuses, nouns, verbs). Codes, field names and data never change.
 */

/** The languages API messages come in; English first (the source and the fallback). */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

const CATALOGS: Record<Exclude<Language, 'en'>, Catalog> = { de: DE };

/** The primary language subtag of a BCP 47 tag (`de-CH` → `de`) when it is one of LANGUAGES. */
function supported(tag: string | null | undefined): Language | null {
  const primary = tag?.trim().split(/[-_]/)[0]?.toLowerCase();
  return primary && (LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : null;
}

/**
 * The languages an `Accept-Language` header asks for, best first (RFC 9110 §12.5.4): q-values honoured,
 * `q=0` and `*` skipped, ties in the order given.
 * @example acceptedLanguages('de-CH;q=0.9, en;q=0.5, fr') // ['fr', 'de-CH', 'en']
 */
export function acceptedLanguages(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const weight = q === undefined ? 1 : Number(q);
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((t) => t.tag && t.tag !== '*' && t.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((t) => t.tag);
}

/**
 * The language of a caller's messages: their profile's preferred language when we have it, else the
 * best of `Accept-Language` we have, else English.
 * @example languageFor('de-AT', 'en') // 'de'; languageFor(null, 'fr, de;q=0.5') // 'de'; languageFor(null, 'fr') // 'en'
 */
export function languageFor(preferred: string | null | undefined, acceptLanguage: string | null | undefined): Language {
  const fromProfile = supported(preferred);
  if (fromProfile) return fromProfile;
  for (const tag of acceptedLanguages(acceptLanguage)) {
    const language = supported(tag);
    if (language) return language;
  }
  return 'en';
}

/** The placeholders of a template, in order (`{what}` → `what`; braces inside one are balanced). */
export function placeholdersOf(template: string): { names: string[]; parts: string[] } {
  const names: string[] = [];
  const parts: string[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== '{') {
      literal += template[i];
      continue;
    }
    let depth = 1;
    let j = i + 1;
    for (; j < template.length && depth > 0; j++) {
      if (template[j] === '{') depth++;
      else if (template[j] === '}') depth--;
    }
    parts.push(literal);
    names.push(template.slice(i + 1, j - 1));
    literal = '';
    i = j - 1;
  }
  parts.push(literal);
  return { names, parts };
}

interface Compiled {
  pattern: RegExp;
  names: string[];
  target: string;
  /** Literal characters: the more, the more specific (tried first). */
  weight: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(templates: Record<string, string>): Compiled[] {
  return Object.entries(templates)
    .map(([source, target]) => {
      const { names, parts } = placeholdersOf(source);
      const pattern = new RegExp(`^${parts.map(escapeRegExp).join('([\\s\\S]+?)')}$`);
      return { pattern, names, target, weight: parts.join('').length };
    })
    .sort((a, b) => b.weight - a.weight);
}

const compiled = new Map<Catalog, { templates: Compiled[]; words: Map<string, string> }>();

function prepared(catalog: Catalog) {
  let entry = compiled.get(catalog);
  if (!entry) {
    const words = new Map<string, string>();
    for (const [en, word] of Object.entries(catalog.vocabulary)) {
      words.set(en, word);
      if (!words.has(en.toLowerCase())) words.set(en.toLowerCase(), word);
    }
    entry = { templates: compile(catalog.templates), words };
    compiled.set(catalog, entry);
  }
  return entry;
}

/** A placeholder's value in the catalog's language: a known word or message, lists word by word, else as is. */
function translateValue(value: string, catalog: Catalog): string {
  const { words } = prepared(catalog);
  const word = words.get(value) ?? words.get(value.toLowerCase()) ?? catalog.messages[value];
  if (word !== undefined) return word;
  const composed = fromTemplates(value, catalog);
  if (composed !== null) return composed;
  if (value.includes(' or ')) {
    return value
      .split(' or ')
      .map((v) => translateValue(v, catalog))
      .join(words.get(' or ') ?? ' or ');
  }
  if (value.includes(', '))
    return value
      .split(', ')
      .map((v) => translateValue(v, catalog))
      .join(', ');
  return value;
}

function substitute(target: string, values: Map<string, string>): string {
  const { names, parts } = placeholdersOf(target);
  return parts.reduce((out, part, i) => out + part + (i < names.length ? (values.get(names[i]!) ?? '') : ''), '');
}

/**
 * `message` (English) in `language`: its catalog entry, or the first template it fits with the
 * placeholders' values translated where they are known words; English when the catalog has neither.
 * @example translate('Appointment not found', 'de') // 'Termin nicht gefunden'
 */
export function translate(message: string, language: Language): string {
  if (language === 'en') return message;
  const catalog = CATALOGS[language];
  const whole = known(message, catalog);
  if (whole !== null && !message.includes('; ')) return whole;
  // Messages joined by "; " (a setting's several problems) are translated one by one when each is known.
  if (message.includes('; ')) {
    const parts = message.split('; ').map((part) => known(part, catalog));
    if (parts.every((part) => part !== null)) return parts.join('; ');
  }
  return whole ?? message;
}

/** `message` by its catalog entry or a template; null when the catalog knows neither. */
function known(message: string, catalog: Catalog): string | null {
  return catalog.messages[message] ?? fromTemplates(message, catalog);
}

/** `message` through the first template it fits, its placeholders' values translated; null when none fits. */
function fromTemplates(message: string, catalog: Catalog): string | null {
  for (const template of prepared(catalog).templates) {
    const match = template.pattern.exec(message);
    if (!match) continue;
    const values = new Map<string, string>();
    template.names.forEach((name, i) => {
      values.set(name, translateValue(match[i + 1]!, catalog));
    });
    return substitute(template.target, values);
  }
  return null;
}

/** The zod issue behind a field error, kept beside it (never in the JSON) so it can be rendered again. */
const ISSUES = new WeakMap<FieldError, z.core.$ZodIssue>();

/** `field` remembering the zod `issue` it was made from. */
export function withIssue(field: FieldError, issue: z.core.$ZodIssue): FieldError {
  ISSUES.set(field, issue);
  return field;
}

/** A value of the type an `invalid_type` message says was received, so a locale can name that type again. */
function receivedInput(message: string): { input?: unknown } {
  const received = /received (\w+)$/.exec(message)?.[1];
  const samples: Record<string, unknown> = {
    string: '',
    number: 0,
    boolean: false,
    bigint: 0n,
    symbol: Symbol(),
    function: () => undefined,
    null: null,
    array: [],
    object: {},
    date: new Date(0),
    nan: Number.NaN,
    NaN: Number.NaN,
  };
  return received && received in samples ? { input: samples[received] } : {};
}

const EN_ZOD = z.locales.en().localeError as (issue: never) => unknown;
const messageOf = (rendered: unknown) =>
  typeof rendered === 'string' ? rendered : (rendered as { message?: string })?.message;

/**
 * A field error's message in `language`: a message of our own through the catalog, and zod's own
 * (`Invalid input: expected number, received string`) rendered again by zod's locale of the language.
 */
export function translateField(field: FieldError, language: Language): string {
  if (language === 'en') return field.message;
  const catalog = CATALOGS[language];
  const issue = ISSUES.get(field);
  if (issue && catalog.messages[field.message] === undefined) {
    const raw = { ...issue, ...(issue.code === 'invalid_type' ? receivedInput(field.message) : {}) } as never;
    // Only zod's own wording is rendered again: a custom message (`.refine(fn, 'text')`) goes through the catalog.
    if (messageOf(EN_ZOD(raw)) === field.message) {
      const localized = messageOf(catalog.zod().localeError(raw));
      if (localized) return localized;
    }
  }
  return translate(field.message, language);
}

/** Field errors with their messages in `language` (fields and order unchanged). */
export function translateFields(fields: FieldError[], language: Language): FieldError[] {
  return fields.map((field) => ({ ...field, message: translateField(field, language) }));
}

/**
 * Puts an envelope's `message` and `errors[].message` in `language` (in place): the one rewrite the app
 * applies to every answer. `fields` are the thrown error's own field errors, when known, so zod's
 * messages are rendered again from their issues. Returns false for JSON that is no envelope (the
 * OpenAPI document), which stays as it is.
 */
export function localizeEnvelope(body: unknown, language: Language, fields?: FieldError[]): boolean {
  if (typeof body !== 'object' || body === null || typeof (body as { success?: unknown }).success !== 'boolean') {
    return false;
  }
  const envelope = body as { message?: unknown; errors?: unknown };
  if (typeof envelope.message === 'string') envelope.message = translate(envelope.message, language);
  if (Array.isArray(envelope.errors)) {
    const own = fields && fields.length === envelope.errors.length ? fields : undefined;
    envelope.errors = envelope.errors.map((field: FieldError, i) =>
      typeof field?.message === 'string' ? { ...field, message: translateField(own?.[i] ?? field, language) } : field,
    );
  }
  return true;
}
