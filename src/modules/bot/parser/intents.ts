import { wordsOf } from './text';

/**
 * Whole-message answers (a yes or no to the pending confirmation) and requests for medical advice,
 * which the bot refuses; both are checked before any tool is read.
 */

const YES = new Set(['yes', 'yeah', 'yep', 'yup', 'y', 'ok', 'okay', 'k', 'sure', 'correct', 'right', 'confirm', 'confirmed', 'ja', 'jawohl', 'jo', 'genau', 'gerne', 'passt', 'stimmt', 'richtig', 'klar', 'alright', 'perfect', 'perfekt', 'exactly', 'absolutely', 'fine', 'bestätigen', 'bestätigt']);
const YES_FILLER = new Set(['please', 'go', 'ahead', 'do', 'it', 'that', "that's", 'thats', 'is', 'sounds', 'good', 'great', 'thanks', 'thank', 'you', 'bitte', 'mach', 'das', 'so', 'in', 'ordnung', 'danke', 'gut', 'super', 'yes', 'ja', 'ok', 'okay', 'sure', 'genau', 'right', 'correct', 'richtig', 'klar', 'gerne', 'passt', 'save', 'speichern', 'einverstanden']);
const NO = new Set(['no', 'nope', 'nah', 'n', 'cancel', 'stop', 'nein', 'nö', 'ne', 'abbrechen', 'abbruch', 'stopp', 'wrong', 'falsch', 'never', "don't", 'dont', 'forget']);
const NO_FILLER = new Set(['thanks', 'thank', 'you', 'mind', 'it', 'that', 'please', 'do', 'not', "don't", 'danke', 'bitte', 'lieber', 'nicht', 'doch', 'lass', 'es', 'sein', 'vergiss', 'no', 'nein', 'cancel', 'abbrechen', 'that', "that's", 'wrong', 'falsch', 'never', 'way', 'stop']);

function answersWith(message: string, heads: Set<string>, filler: Set<string>): boolean {
  const words = wordsOf(message);
  if (words.length === 0 || words.length > 5 || !heads.has(words[0]!)) return false;
  return words.slice(1).every((word) => filler.has(word) || heads.has(word));
}

export const isConfirmation = (message: string) => answersWith(message, YES, YES_FILLER);
export const isDecline = (message: string) =>
  answersWith(message, NO, NO_FILLER) || /^(?:never mind|nevermind|lass es|vergiss es)\W*$/i.test(message.trim());

const ADVICE = [
  /\bshould i\b/i,
  /\b(?:is|are)\b.*\b(?:safe|ok|okay|dangerous|harmful|bad)\b/i,
  /\bsafe to\b/i,
  /\bcan i (?:take|mix|combine|drink|skip|stop|double|have)\b/i,
  /\bwhat (?:should|can|could|do) i take\b/i,
  /\bwhat(?:'s| is) (?:good|best) for\b/i,
  /\bdouble (?:my|the) dose\b/i,
  /\bside[- ]effects?\b/i,
  /\binteract(?:ion|s)?\b/i,
  /\bhow much .* should\b/i,
  /\bsoll(?:te)? ich\b/i,
  /\bdarf ich\b/i,
  /\bkann ich .*(?:nehmen|kombinieren|trinken|absetzen)\b/i,
  /\bwas (?:soll|kann|hilft)\b.*\bgegen\b/i,
  /\bnebenwirkung/i,
  /\bwechselwirkung/i,
  /\bverdoppeln\b/i,
  /\bist .* (?:gefährlich|sicher|schädlich)\b/i,
];

export const isAdviceRequest = (message: string) => ADVICE.some((pattern) => pattern.test(message));
