import type { Remaining } from './text';

/**
 * The vaccine of a request, as the user wrote it: a known name ("MMR", "hepatitis B", "flu"), the word
 * before "vaccine"/"shot"/"booster", or a German compound ("Grippeimpfung" → "Grippe"). "series", "all
 * doses", "the whole …" ask for the whole series.
 */

const KNOWN =
  /\b(hepatitis [ab]|hep [ab]|mmrv?|hpv|polio|tetanus|tdap|dtap|dtp|covid(?:-19)?|influenza|flu|measles|mumps|rubella|varicella|chickenpox|rotavirus|pneumococcal|meningococcal|bcg|shingles|fsme|tbe|grippe|masern|keuchhusten|windpocken|rsv)\b/i;
const COMPOUND = /\b(\p{L}+?)[-]?impfung(?:en)?\b/iu;
const BEFORE_WORD = /\b([\p{L}\d-]+)\s+(?:vaccines?|vaccinations?|shots?|jabs?|boosters?|impfung|impfstoff)\b/iu;
const SERIES =
  /\b(?:the\s+)?(?:whole|complete|full|entire)\b|\b(?:series|all (?:the )?(?:[\p{L}-]+ )?doses|all shots|alle dosen|serie|komplett(?:e|en)?)\b/iu;
const VACCINE_WORDS =
  /\b(?:vaccines?|vaccinations?|shots?|jabs?|boosters?|impfung(?:en)?|impfen|impfstoff|dose|doses)\b/gi;

export function takeVaccine(rest: Remaining): { name?: string; series: boolean } {
  const series = rest.has(SERIES);
  let name: string | undefined;
  for (const pattern of [KNOWN, COMPOUND, BEFORE_WORD]) {
    const match = pattern.exec(rest.text);
    if (match) {
      name = match[1];
      rest.text = rest.text.replace(match[0], ' | ');
      break;
    }
  }
  rest.takeAll(VACCINE_WORDS);
  rest.takeAll(new RegExp(SERIES.source, 'giu'));
  return name ? { name, series } : { series };
}
