import type { Remaining } from './text';

/**
 * Doses and names. A dose is `<number> <unit>` ("500mg" → "500 mg", "75 µg" → "75 mcg", "2 tablets
 * of"); the name is the first run of words left once every other phrase and the filler words ("remind
 * me to take", "erinnere mich an", "my") are cut; generic words alone ("pills", "Tabletten") are no name.
 */

const UNITS: [RegExp, string | null][] = [
  [/^(?:µg|ug|mcg|mikrogramm)$/i, 'mcg'],
  [/^(?:mg|milligramm?)$/i, 'mg'],
  [/^(?:g|gramm?)$/i, 'g'],
  [/^(?:ml|milliliter)$/i, 'ml'],
  [/^(?:iu|ie)$/i, 'IU'],
  // Words are kept as written, only lowercased in English ("2 Tablets" → "2 tablets").
  [/^(?:units?|tablets?|capsules?|pills?|drops?|puffs?|sprays?|teaspoons?|spoons?)$/i, null],
];
const DOSE =
  /\b(\d+(?:[.,]\d+)?)\s*(µg|ug|mcg|mikrogramm|mg|milligramm?|g|gramm?|ml|milliliter|iu|ie|units?|tablets?|capsules?|pills?|drops?|puffs?|sprays?|teaspoons?|spoons?|tabletten?|kapseln?|tropfen|hübe?|einheiten)(?![\p{L}])(?:\s+(?:of|von)\b)?/giu;

/** Reads (and cuts) the first dose. */
export function takeDosage(rest: Remaining): string | undefined {
  let dosage: string | undefined;
  rest.takeAll(DOSE, ([, amount, unit]) => {
    if (dosage) return;
    const known = UNITS.find(([pattern]) => pattern.test(unit!));
    const written = known ? (known[1] ?? unit!.toLowerCase()) : unit!;
    dosage = `${amount!.replace(',', '.')} ${written}`;
  });
  return dosage;
}

const FILLER = new Set(
  `can could would will you want wanna like going begin i i'm im me my mine myself to take takes taking took taken need needs have has had must should please add schedule
  set up create new put a an the reminder reminders remind for of at on in and also every each daily start starting from
  until with give gives get gets his her their our dose doses as mark marked already just now today is it
  ich mich mir mein meine meinen meiner an nehme nehmen nimmt genommen eingenommen habe hat muss bitte für um am und
  jeden jede täglich ab bis soll der die das dem den zu gib geben bekommt bekommen erinnere erinner erinnerung neu
  anlegen eintragen plan uhr einen eine ein auch noch schon ihr ihre ihren ihrem sein seine seinen seinem hat`
    .split(/\s+/)
    .filter(Boolean),
);
const GENERIC =
  /^(?:pills?|tablets?|meds|medicines?|medications?|medicament|doses?|tabletten?|medikamente?|arznei|vaccines?|shots?)$/i;

/** The name in what is left: the first run of words that are not filler. */
export function nameIn(rest: Remaining): string | undefined {
  for (const run of rest.text.split('|')) {
    const words = run
      .split(/\s+/)
      .map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
      .filter(Boolean);
    let current: string[] = [];
    const runs: string[][] = [];
    for (const word of words) {
      if (FILLER.has(word.toLowerCase())) {
        if (current.length) runs.push(current);
        current = [];
      } else current.push(word);
    }
    if (current.length) runs.push(current);
    for (const candidate of runs) {
      if (candidate.length === 1 && GENERIC.test(candidate[0]!)) continue;
      return candidate.join(' ');
    }
  }
  return undefined;
}
