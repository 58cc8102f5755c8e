import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/lib/i18n';
import { DE } from '../../src/lib/i18n/de';
import { placeholdersOf, translate } from '../../src/lib/i18n/index';
import { type MessageLiteral, messageLiterals } from './message-literals';

/**
 * The German catalog is complete: every message the source can send (an AppError's text, a notFound
 * noun, an ok() message, a zod message, a field error) has a German entry, and every German template
 * keeps its English placeholders. Runs in Node (it reads src/ with the TypeScript parser).
 */

const ROOT = resolve(__dirname, '../..');
const LITERALS = messageLiterals(ROOT);

/** The literals `catalog` has no entry for, as `key (where)` lines. */
function missingEntries(literals: MessageLiteral[], catalog: Catalog): string[] {
  const missing = literals.filter((m) => {
    if (m.kind === 'noun') return m.template ? false : catalog.vocabulary[m.key] === undefined;
    return m.template ? catalog.templates[m.key] === undefined : catalog.messages[m.key] === undefined;
  });
  return [...new Set(missing.map((m) => `${m.template ? 'template' : m.kind} ${JSON.stringify(m.key)} (${m.at})`))];
}

const sorted = (names: string[]) => [...names].sort();

describe('the German message catalog', () => {
  it('finds the messages of every kind in the source', () => {
    const keys = (kind: MessageLiteral['kind']) => new Set(LITERALS.filter((m) => m.kind === kind).map((m) => m.key));
    expect(keys('error')).toContain('Validation failed');
    expect(keys('error')).toContain('{what} not found');
    expect(keys('error')).toContain('A {row.status} appointment cannot be {MOVED[kind]}');
    expect(keys('error')).toContain('Email or password is incorrect'); // a constant of its file
    expect(keys('noun')).toContain('Appointment');
    expect(keys('ok')).toContain('Appointment booked');
    expect(keys('zod')).toContain('This field cannot be set here');
    expect(keys('zod')).toContain('Use a BCP 47 language tag, e.g. en or pt-BR'); // .refine(fn, 'text')
    expect(LITERALS.length).toBeGreaterThan(600);
  });

  it('has a German entry for every message of the source', () => {
    expect(missingEntries(LITERALS, DE)).toEqual([]);
  });

  it('reports a message without an entry', () => {
    const made: MessageLiteral = {
      key: 'A message nobody translated',
      template: false,
      at: 'src/x.ts:1',
      kind: 'error',
    };
    const noun: MessageLiteral = { key: 'Unicorn', template: false, at: 'src/x.ts:2', kind: 'noun' };
    expect(missingEntries([made, noun], DE)).toEqual([
      'error "A message nobody translated" (src/x.ts:1)',
      'noun "Unicorn" (src/x.ts:2)',
    ]);
  });

  it('keeps every placeholder of a template, and adds none', () => {
    const changed = Object.entries(DE.templates).filter(
      ([en, de]) =>
        JSON.stringify(sorted(placeholdersOf(en).names)) !== JSON.stringify(sorted(placeholdersOf(de).names)),
    );
    expect(changed).toEqual([]);
  });

  it('leaves no German entry in English by mistake', () => {
    // Entries equal to their English key are allowed only where the word is the same in German.
    const SAME = new Set(['OK', 'Feedback', 'Admin', 'Passkey', 'Quiz', 'Route', 'live']);
    const same = [...Object.entries(DE.messages), ...Object.entries(DE.templates), ...Object.entries(DE.vocabulary)]
      .filter(([en, de]) => en === de && !SAME.has(en))
      .map(([en]) => en);
    expect(same).toEqual([]);
  });

  it('translates a template with its values', () => {
    expect(translate('A confirmed appointment cannot be rescheduled', 'de')).toBe(
      'Ein Termin im Status „bestätigt“ kann nicht verschoben werden',
    );
    expect(translate('Support ticket not found', 'de')).toBe('Support-Ticket nicht gefunden');
    expect(translate('Something no catalog has', 'de')).toBe('Something no catalog has');
  });
});
