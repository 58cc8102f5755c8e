/**
 * The message as the extractors consume it: each extractor finds its phrases in what is left, reads
 * them, and cuts them out (leaving a `|` boundary, so words on either side never join into one name).
 * What is left at the end holds the medicine or vaccine name.
 */
export class Remaining {
  constructor(public text: string) {}

  /** Every match of `pattern` (global), read by `read`; the matches are cut out. */
  takeAll(pattern: RegExp, read: (match: string[]) => void = () => {}): number {
    let count = 0;
    this.text = this.text.replace(pattern, (...args) => {
      // replace() passes the match, its groups, the offset and the whole string.
      read(args.slice(0, -2).map((group) => (typeof group === 'string' ? group : '')));
      count += 1;
      return ' | ';
    });
    return count;
  }

  /** Whether `pattern` matches what is left (nothing is cut). */
  has(pattern: RegExp): boolean {
    return pattern.test(this.text);
  }
}

/** Words of the message, lowercased and without punctuation (for the whole-message checks). */
export function wordsOf(message: string): string[] {
  return message
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * Common misspellings of the frequency and time words, fixed before reading (names are free text and
 * kept as written: "metfromin" stays a name).
 */
const TYPOS: Record<string, string> = {
  evry: 'every',
  evrey: 'every',
  eveyr: 'every',
  everyday: 'every day',
  twise: 'twice',
  twiice: 'twice',
  thre: 'three',
  tree: 'three',
  dayly: 'daily',
  dialy: 'daily',
  daliy: 'daily',
  tomorow: 'tomorrow',
  tommorow: 'tomorrow',
  tommorrow: 'tomorrow',
  morining: 'morning',
  mornig: 'morning',
  evning: 'evening',
  tablts: 'tablets',
  taeglich: 'täglich',
  täglish: 'täglich',
  morgends: 'morgens',
};

/** "every other morning" / "jeden zweiten Abend": an interval of days and a part of the day, said at once. */
const EVERY_NTH_PART =
  /\b(every (?:other|second|third)|jeden (?:zweiten|dritten))\s+(morning|evening|night|morgen|abend)\b/gi;

export function fixTypos(message: string): string {
  return message
    .replace(/\p{L}+/gu, (word) => TYPOS[word.toLowerCase()] ?? word)
    .replace(EVERY_NTH_PART, (_all, every: string, part: string) =>
      every.toLowerCase().startsWith('jeden') ? `${every} Tag ${part.toLowerCase()}s` : `${every} day in the ${part}`,
    );
}
