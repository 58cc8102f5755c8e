import type { Remaining } from './text';

/**
 * The person a request is for: a dependent named anywhere ("for Mia", "Noah needs…", "Mia's"), matched
 * without regard to case and returned as the dependents list spells it; "for me"/"für mich" is the
 * caller. A capitalised name after "for"/"für" that is no dependent is returned as written and reported
 * ambiguous (the service then asks or refuses).
 */

export interface PersonFound {
  name?: string;
  ambiguous: boolean;
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Capitalised words after "for" that are not people. */
const NOT_NAMES =
  /^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|januar|februar|märz|mai|juni|juli|oktober|dezember|tage?n?|wochen?|monate?n?|i|me|my|the|a|an|mich|mein|meine|meinen|die|den|das|ein|eine|kopfschmerzen|schmerzen|fieber)$/i;

export function takePerson(rest: Remaining, dependents: string[]): PersonFound {
  rest.takeAll(/\b(?:for me|für mich|for myself)\b/gi);
  for (const dependent of dependents) {
    const pattern = new RegExp(
      `(?:\\b(?:for|für|von)\\s+)?(?<![\\p{L}])${literal(dependent)}(?:'s|s\\b|’s)?(?![\\p{L}])`,
      'giu',
    );
    if (rest.takeAll(pattern) > 0) return { name: dependent, ambiguous: false };
  }
  for (const match of rest.text.matchAll(/\b(?:for|für)\s+(\p{Lu}[\p{L}-]+)(?:'s)?(?![\p{L}])/gu)) {
    const name = match[1]!;
    if (NOT_NAMES.test(name)) continue;
    rest.text = `${rest.text.slice(0, match.index)} | ${rest.text.slice(match.index + match[0].length)}`;
    return { name, ambiguous: true };
  }
  return { ambiguous: false };
}
