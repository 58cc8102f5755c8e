import { describe, expect, it } from 'vitest';
import type { ParseContext, Understanding } from '../../../src/modules/bot/bot-tools';
import { parseMessage } from '../../../src/modules/bot/parser/parse';
import { scoreEvalSet } from './eval-score';
import { EVAL_CONTEXT, EVAL_SET } from './eval-set';

/**
 * The offline parser (src/modules/bot/parser): each feature on its own, then the evaluation set's
 * exact-match accuracy (npm run bot:eval prints the failures). Now is Monday 2026-03-23 09:00 in Berlin.
 */

const parse = (message: string, context: ParseContext = EVAL_CONTEXT) => parseMessage(message, context);
const argsOf = (understanding: Understanding) => {
  if (understanding.kind !== 'tool') throw new Error(`not a tool call: ${understanding.kind}`);
  return understanding.call.arguments as Record<string, unknown>;
};
const callOf = (understanding: Understanding) =>
  understanding.kind === 'tool' ? understanding.call.name : understanding.kind;

describe('offline parser: medicine schedules', () => {
  it('reads a name and a dose in each way it is written', () => {
    expect(argsOf(parse('metformin 500 mg at 8am'))).toMatchObject({ medicineName: 'metformin', dosage: '500 mg' });
    expect(argsOf(parse('500mg Metformin at 8am'))).toMatchObject({ medicineName: 'Metformin', dosage: '500 mg' });
    expect(argsOf(parse('2 tablets of paracetamol at 8am'))).toMatchObject({
      medicineName: 'paracetamol',
      dosage: '2 tablets',
    });
    expect(argsOf(parse('cough syrup 10ml at 8pm'))).toMatchObject({ medicineName: 'cough syrup', dosage: '10 ml' });
    expect(argsOf(parse('L-Thyroxin 75 µg morgens'))).toMatchObject({ medicineName: 'L-Thyroxin', dosage: '75 mcg' });
  });

  it('reads clock times, sorted, and reports a bare hour as ambiguous', () => {
    expect(parse('metformin at 8pm and 8am')).toMatchObject({
      call: { arguments: { timesOfDay: ['08:00', '20:00'] } },
      ambiguous: [],
    });
    expect(argsOf(parse('metformin at 19:30'))).toMatchObject({ timesOfDay: ['19:30'] });
    expect(argsOf(parse('metformin at 12am'))).toMatchObject({ timesOfDay: ['00:00'] });
    expect(parse('metformin at 8')).toMatchObject({
      call: { arguments: { timesOfDay: ['08:00'] } },
      ambiguous: ['time'],
    });
    expect(parse('metformin at 8 in the evening')).toMatchObject({
      call: { arguments: { timesOfDay: ['20:00'] } },
      ambiguous: [],
    });
    expect(parse('Ramipril um 8 Uhr')).toMatchObject({ ambiguous: ['time'] });
    // One part-of-day word places the bare hours.
    expect(parse('Magnesium jeden Abend um 9 Uhr')).toMatchObject({
      call: { arguments: { timesOfDay: ['21:00'] } },
      ambiguous: [],
    });
    expect(parse('zinc every morning at 7')).toMatchObject({
      call: { arguments: { timesOfDay: ['07:00'] } },
      ambiguous: [],
    });
    expect(parse('Ramipril um 20 Uhr')).toMatchObject({
      call: { arguments: { timesOfDay: ['20:00'] } },
      ambiguous: [],
    });
  });

  it('gives the documented default times for frequency and part-of-day words, and none otherwise', () => {
    const times = (message: string) => argsOf(parse(message)).timesOfDay;
    expect(times('zinc once a day')).toEqual(['08:00']);
    expect(times('zinc twice a day')).toEqual(['08:00', '20:00']);
    expect(times('zinc three times a day')).toEqual(['08:00', '14:00', '20:00']);
    expect(times('zinc four times a day')).toEqual(['08:00', '12:00', '16:00', '20:00']);
    expect(times('zinc every morning')).toEqual(['08:00']);
    expect(times('zinc at noon')).toEqual(['12:00']);
    expect(times('zinc every evening')).toEqual(['20:00']);
    expect(times('zinc at bedtime')).toEqual(['22:00']);
    expect(times('Zink zweimal täglich')).toEqual(['08:00', '20:00']);
    expect(times('Zink jeden Morgen')).toEqual(['08:00']);
    expect(times('Zink jeden Abend um 21 Uhr')).toEqual(['21:00']);
    expect(times('ibuprofen every 8 hours')).toEqual(['00:00', '08:00', '16:00']);
    expect(times('Paracetamol alle 6 Stunden')).toEqual(['02:00', '08:00', '14:00', '20:00']);
    expect(parse('zinc daily')).toMatchObject({ call: { arguments: { timesOfDay: [] } }, missing: ['timesOfDay'] });
  });

  it('reads recurrence: daily by default, intervals, days of the week', () => {
    const recurrence = (message: string) => argsOf(parse(message)).recurrence;
    expect(recurrence('zinc at 8am')).toEqual({ type: 'interval', everyNDays: 1 });
    expect(recurrence('zinc every day at 8am')).toEqual({ type: 'interval', everyNDays: 1 });
    expect(recurrence('zinc every other day at 8am')).toEqual({ type: 'interval', everyNDays: 2 });
    expect(recurrence('Zink alle 3 Tage um 8:00')).toEqual({ type: 'interval', everyNDays: 3 });
    expect(recurrence('zinc every Monday at 8am')).toEqual({ type: 'weekly', daysOfWeek: [1] });
    expect(recurrence('zinc weekly on Mon and Thu at 8am')).toEqual({ type: 'weekly', daysOfWeek: [1, 4] });
    expect(recurrence('zinc on weekdays at 8am')).toEqual({ type: 'weekly', daysOfWeek: [1, 2, 3, 4, 5] });
    expect(recurrence('Zink jeden Freitag um 8:00')).toEqual({ type: 'weekly', daysOfWeek: [5] });
  });

  it('reads durations and dates in the user zone', () => {
    expect(argsOf(parse('zinc at 8am for 30 days'))).toMatchObject({ durationDays: 30 });
    expect(argsOf(parse('zinc at 8am for 2 weeks'))).toMatchObject({ durationDays: 14 });
    expect(argsOf(parse('Zink um 8:00 für 5 Tage'))).toMatchObject({ durationDays: 5 });
    expect(argsOf(parse('zinc at 8am starting next Tuesday'))).toMatchObject({ startDate: '2026-03-31' });
    expect(argsOf(parse('zinc at 8am from the 14th'))).toMatchObject({ startDate: '2026-04-14' });
    expect(argsOf(parse('zinc at 8am until 2026-12-31'))).toMatchObject({ endDate: '2026-12-31' });
    // 23:30 UTC on the 23rd is already the 24th in Berlin: "tomorrow" is the 25th.
    const lateNight = { ...EVAL_CONTEXT, now: Date.parse('2026-03-23T23:30:00Z') };
    expect(argsOf(parse('zinc at 8am starting tomorrow', lateNight))).toMatchObject({ startDate: '2026-03-25' });
    const newYork = { ...EVAL_CONTEXT, timeZone: 'America/New_York', now: Date.parse('2026-03-24T02:00:00Z') };
    expect(argsOf(parse('zinc at 8am starting tomorrow', newYork))).toMatchObject({ startDate: '2026-03-24' });
  });

  it('reads the person: a dependent, the caller, or an unknown name reported ambiguous', () => {
    expect(parse('zinc at 8am for Mia')).toMatchObject({ call: { arguments: { forPerson: 'Mia' } }, ambiguous: [] });
    expect(parse('zinc at 8am for mia')).toMatchObject({ call: { arguments: { forPerson: 'Mia' } } });
    expect(argsOf(parse('zinc at 8am for me')).forPerson).toBeUndefined();
    expect(parse('zinc at 8am for Lena')).toMatchObject({
      call: { arguments: { forPerson: 'Lena' } },
      ambiguous: ['forPerson'],
    });
    expect(parse('Zink um 8:00 für Noah')).toMatchObject({ call: { arguments: { forPerson: 'Noah' } } });
  });

  it('lists what is missing: the name, the times', () => {
    expect(parse('remind me to take my pills at 8am')).toMatchObject({
      call: { arguments: { medicineName: '' } },
      missing: ['medicineName'],
    });
    expect(parse('I need to take atenolol')).toMatchObject({ missing: ['timesOfDay'] });
  });

  it('tolerates typos in the frequency words and keeps misspelt names', () => {
    expect(argsOf(parse('metfromin evry day at 8am'))).toMatchObject({
      medicineName: 'metfromin',
      recurrence: { type: 'interval', everyNDays: 1 },
    });
    expect(argsOf(parse('paracetamol twise a day')).timesOfDay).toEqual(['08:00', '20:00']);
  });
});

describe('offline parser: vaccines, questions, doses taken', () => {
  it('reads vaccine schedules, one dose or the series', () => {
    expect(argsOf(parse('schedule MMR for Mia on March 3'))).toEqual({
      vaccineName: 'MMR',
      dueDate: '2027-03-03',
      forPerson: 'Mia',
    });
    expect(argsOf(parse('flu shot next Friday'))).toEqual({ vaccineName: 'flu', dueDate: '2026-04-03' });
    expect(argsOf(parse('the whole hepatitis B series for Noah from 2027-01-10'))).toEqual({
      vaccineName: 'hepatitis B',
      dueDate: '2027-01-10',
      series: true,
      forPerson: 'Noah',
    });
    expect(parse('MMR vaccine for Mia')).toMatchObject({ missing: ['dueDate'] });
  });

  it('answers questions with the list tools', () => {
    expect(parse('what are my schedules')).toMatchObject({ call: { name: 'list_schedules', arguments: {} } });
    expect(parse('show my vaccine schedules')).toMatchObject({
      call: { name: 'list_schedules', arguments: { kind: 'vaccine' } },
    });
    expect(parse('what do I take today')).toMatchObject({ call: { name: 'list_doses', arguments: {} } });
    expect(parse('which doses tomorrow')).toMatchObject({
      call: { name: 'list_doses', arguments: { date: '2026-03-24' } },
    });
    expect(parse('was nehme ich heute')).toMatchObject({ call: { name: 'list_doses', arguments: {} } });
  });

  it('marks doses taken', () => {
    expect(parse('I took my metformin')).toMatchObject({
      call: { name: 'mark_dose_taken', arguments: { medicineName: 'metformin' } },
    });
    expect(parse('mark my 8am dose as taken')).toMatchObject({
      call: { name: 'mark_dose_taken', arguments: { time: '08:00' } },
    });
  });
});

describe('offline parser: answers, advice and the rest', () => {
  it('reads yes and no, in English and German', () => {
    for (const yes of ['yes', 'ok', 'sure', 'Ja', 'genau', 'yes please!']) expect(callOf(parse(yes))).toBe('confirm');
    for (const no of ['no', 'cancel', 'Nein', 'abbrechen', 'nope, never mind', 'Nein, das ist falsch'])
      expect(callOf(parse(no))).toBe('decline');
  });

  it('recognises requests for medical advice before any tool', () => {
    for (const message of [
      'should I double my dose',
      'is ibuprofen safe with alcohol?',
      'what should I take for a headache',
      'Soll ich die Dosis verdoppeln?',
    ]) {
      expect(callOf(parse(message))).toBe('advice');
    }
  });

  it('returns unknown for what it cannot do', () => {
    expect(parse('hello there')).toEqual({ kind: 'unknown' });
    expect(parse("what's the weather like tomorrow")).toEqual({ kind: 'unknown' });
    expect(parse('delete my metformin schedule')).toEqual({ kind: 'unknown' });
    expect(parse('')).toEqual({ kind: 'unknown' });
  });
});

describe('offline parser: the evaluation set', () => {
  it(`reaches 90 % exact matches on the ${EVAL_SET.length} requests`, () => {
    const { exact, total, failures } = scoreEvalSet();
    expect(total).toBeGreaterThanOrEqual(70);
    expect(exact / total, JSON.stringify(failures, null, 2)).toBeGreaterThanOrEqual(0.9);
  });
});
