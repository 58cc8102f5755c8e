import type { BotToolCall, ParseContext, Understanding } from '../../../src/modules/bot/bot-tools';

/**
 * The offline parser's evaluation set: requests as users type them (varied phrasing, typos, English and
 * German, ambiguous ones, questions, advice requests, confirmations), each with the exact `Understanding`
 * expected by the contract of src/modules/bot/bot-tools.ts. Written before the parser was tuned; run by
 * `npm run bot:eval` and asserted (≥ 90 % exact) in parser.test.ts. Exact = deep equality, with the
 * `missing` and `ambiguous` lists compared sorted.
 *
 * Fixed context: now is Monday 2026-03-23 09:00 in Europe/Berlin (08:00 UTC); dependents Mia and Noah.
 * Conventions the set pins down (docs/bot.md, "The offline parser"):
 * - frequency words give default times: once a day 08:00; twice 08:00, 20:00; three times 08:00, 14:00,
 *   20:00; four times 08:00, 12:00, 16:00, 20:00; morning 08:00, noon 12:00, afternoon 14:00, evening
 *   20:00, night/bedtime 22:00;
 * - no recurrence said → daily (`interval`, every 1 day); no time and no frequency → `missing: ['timesOfDay']`
 *   with `timesOfDay: []`; no name → `medicineName: ''` / `vaccineName: ''` and listed in `missing`;
 *   a vaccine without a date → `dueDate: ''` and `missing: ['dueDate']`;
 * - a bare hour from 1 to 12 (no minutes, no am/pm, no part of the day: "at 8", "um 8 Uhr") → read as
 *   written (08:00) and `ambiguous: ['time']`; a time with minutes ("9:00", "19:30") is a 24-hour time; a name after "for"/"für" that is not a dependent → `forPerson`
 *   as written and `ambiguous: ['forPerson']`;
 * - "next <weekday>" is that weekday of next week (chrono's reading): on Monday 23rd, "next Tuesday"
 *   is the 31st; a bare weekday or "this <weekday>" is the coming one; a day of the month ("the 14th")
 *   is its next occurrence; a date without a year is the next one from today;
 * - "today" in a question is no date (the tool's default); names keep the user's spelling and case.
 */

export const EVAL_NOW = Date.parse('2026-03-23T08:00:00Z');

export const EVAL_CONTEXT: ParseContext = { now: EVAL_NOW, timeZone: 'Europe/Berlin', dependents: ['Mia', 'Noah'] };

export interface EvalCase {
  message: string;
  context?: ParseContext;
  expected: Understanding;
}

const DAILY = { type: 'interval', everyNDays: 1 } as const;

type MedicineArgs = Extract<BotToolCall, { name: 'create_medicine_schedule' }>['arguments'];
type VaccineArgs = Extract<BotToolCall, { name: 'create_vaccine_schedule' }>['arguments'];

function tool(call: BotToolCall, missing: string[] = [], ambiguous: string[] = []): Understanding {
  return { kind: 'tool', call, missing, ambiguous };
}

const medicine = (args: Partial<MedicineArgs>, missing: string[] = [], ambiguous: string[] = []) =>
  tool(
    {
      name: 'create_medicine_schedule',
      arguments: { medicineName: '', timesOfDay: [], recurrence: DAILY, ...args } as MedicineArgs,
    },
    missing,
    ambiguous,
  );
const vaccine = (args: Partial<VaccineArgs>, missing: string[] = [], ambiguous: string[] = []) =>
  tool(
    { name: 'create_vaccine_schedule', arguments: { vaccineName: '', dueDate: '', ...args } as VaccineArgs },
    missing,
    ambiguous,
  );
const listSchedules = (args: { kind?: 'medicine' | 'vaccine'; forPerson?: string } = {}, ambiguous: string[] = []) =>
  tool({ name: 'list_schedules', arguments: args }, [], ambiguous);
const listDoses = (args: { date?: string } = {}) => tool({ name: 'list_doses', arguments: args });
const markTaken = (args: { medicineName?: string; time?: string; date?: string } = {}, ambiguous: string[] = []) =>
  tool({ name: 'mark_dose_taken', arguments: args }, [], ambiguous);

const CONFIRM: Understanding = { kind: 'confirm' };
const DECLINE: Understanding = { kind: 'decline' };
const ADVICE: Understanding = { kind: 'advice' };
const UNKNOWN: Understanding = { kind: 'unknown' };

export const EVAL_SET: EvalCase[] = [
  // Medicine schedules, English
  {
    message: 'metformin 500 mg at 8am and 8pm',
    expected: medicine({ medicineName: 'metformin', dosage: '500 mg', timesOfDay: ['08:00', '20:00'] }),
  },
  {
    message: 'Remind me to take Metformin 500mg twice a day',
    expected: medicine({ medicineName: 'Metformin', dosage: '500 mg', timesOfDay: ['08:00', '20:00'] }),
  },
  {
    message: 'I take 2 tablets of paracetamol three times a day',
    expected: medicine({ medicineName: 'paracetamol', dosage: '2 tablets', timesOfDay: ['08:00', '14:00', '20:00'] }),
  },
  { message: 'vitamin D every morning', expected: medicine({ medicineName: 'vitamin D', timesOfDay: ['08:00'] }) },
  {
    message: 'add ibuprofen 400 mg every evening for 5 days',
    expected: medicine({ medicineName: 'ibuprofen', dosage: '400 mg', timesOfDay: ['20:00'], durationDays: 5 }),
  },
  {
    message: 'melatonin 3 mg at bedtime',
    expected: medicine({ medicineName: 'melatonin', dosage: '3 mg', timesOfDay: ['22:00'] }),
  },
  {
    message: 'cough syrup 10ml at night for Mia',
    expected: medicine({ medicineName: 'cough syrup', dosage: '10 ml', timesOfDay: ['22:00'], forPerson: 'Mia' }),
  },
  {
    message: 'lisinopril 10 mg daily at 7:30am',
    expected: medicine({ medicineName: 'lisinopril', dosage: '10 mg', timesOfDay: ['07:30'] }),
  },
  {
    message: 'schedule amoxicillin 250 mg three times a day for 10 days for Noah',
    expected: medicine({
      medicineName: 'amoxicillin',
      dosage: '250 mg',
      timesOfDay: ['08:00', '14:00', '20:00'],
      durationDays: 10,
      forPerson: 'Noah',
    }),
  },
  {
    message: 'atorvastatin 20 mg every day at 9pm',
    expected: medicine({ medicineName: 'atorvastatin', dosage: '20 mg', timesOfDay: ['21:00'] }),
  },
  {
    message: 'levothyroxine 50 mcg every morning starting tomorrow',
    expected: medicine({
      medicineName: 'levothyroxine',
      dosage: '50 mcg',
      timesOfDay: ['08:00'],
      startDate: '2026-03-24',
    }),
  },
  {
    message: 'methotrexate 15 mg every Monday at 8am',
    expected: medicine({
      medicineName: 'methotrexate',
      dosage: '15 mg',
      timesOfDay: ['08:00'],
      recurrence: { type: 'weekly', daysOfWeek: [1] },
    }),
  },
  {
    message: 'iron supplement on weekdays at 12pm',
    expected: medicine({
      medicineName: 'iron supplement',
      timesOfDay: ['12:00'],
      recurrence: { type: 'weekly', daysOfWeek: [1, 2, 3, 4, 5] },
    }),
  },
  {
    message: 'prednisone 5 mg every other day at 8am',
    expected: medicine({
      medicineName: 'prednisone',
      dosage: '5 mg',
      timesOfDay: ['08:00'],
      recurrence: { type: 'interval', everyNDays: 2 },
    }),
  },
  {
    message: 'vitamin B12 weekly on Mon and Thu at 9am',
    expected: medicine({
      medicineName: 'vitamin B12',
      timesOfDay: ['09:00'],
      recurrence: { type: 'weekly', daysOfWeek: [1, 4] },
    }),
  },
  {
    message: 'omeprazole 20 mg every morning for 30 days',
    expected: medicine({ medicineName: 'omeprazole', dosage: '20 mg', timesOfDay: ['08:00'], durationDays: 30 }),
  },
  {
    message: 'aspirin 100 mg daily starting next Tuesday',
    expected: medicine({ medicineName: 'aspirin', dosage: '100 mg', timesOfDay: [], startDate: '2026-03-31' }, [
      'timesOfDay',
    ]),
  },
  {
    message: 'folic acid 400 mcg every morning from the 14th',
    expected: medicine({
      medicineName: 'folic acid',
      dosage: '400 mcg',
      timesOfDay: ['08:00'],
      startDate: '2026-04-14',
    }),
  },
  {
    message: 'warfarin 5 mg at 6pm daily until 2026-12-31',
    expected: medicine({ medicineName: 'warfarin', dosage: '5 mg', timesOfDay: ['18:00'], endDate: '2026-12-31' }),
  },
  {
    message: 'antibiotics for Mia twice a day for a week',
    expected: medicine({
      medicineName: 'antibiotics',
      timesOfDay: ['08:00', '20:00'],
      durationDays: 7,
      forPerson: 'Mia',
    }),
  },
  {
    message: 'magnesium in the morning and evening',
    expected: medicine({ medicineName: 'magnesium', timesOfDay: ['08:00', '20:00'] }),
  },
  {
    message: 'insulin 10 units at 7am, 1pm and 7pm',
    expected: medicine({ medicineName: 'insulin', dosage: '10 units', timesOfDay: ['07:00', '13:00', '19:00'] }),
  },
  { message: 'zinc every day at noon', expected: medicine({ medicineName: 'zinc', timesOfDay: ['12:00'] }) },
  {
    message: 'Please set up a reminder for my blood pressure pills at 8 in the morning',
    expected: medicine({ medicineName: 'blood pressure pills', timesOfDay: ['08:00'] }),
  },
  {
    message: 'fish oil on weekends at 10am',
    expected: medicine({
      medicineName: 'fish oil',
      timesOfDay: ['10:00'],
      recurrence: { type: 'weekly', daysOfWeek: [6, 7] },
    }),
  },
  {
    message: 'allergy tablets every 3 days at 8am for 2 weeks',
    expected: medicine({
      medicineName: 'allergy tablets',
      timesOfDay: ['08:00'],
      recurrence: { type: 'interval', everyNDays: 3 },
      durationDays: 14,
    }),
  },
  {
    message: 'take 1 capsule of probiotics once a day',
    expected: medicine({ medicineName: 'probiotics', dosage: '1 capsule', timesOfDay: ['08:00'] }),
  },
  {
    message: 'montelukast 4 mg for Noah every evening',
    expected: medicine({ medicineName: 'montelukast', dosage: '4 mg', timesOfDay: ['20:00'], forPerson: 'Noah' }),
  },
  {
    message: 'every Tuesday and Friday at 5pm take alendronate 70 mg',
    expected: medicine({
      medicineName: 'alendronate',
      dosage: '70 mg',
      timesOfDay: ['17:00'],
      recurrence: { type: 'weekly', daysOfWeek: [2, 5] },
    }),
  },
  // Typos
  {
    message: 'metfromin 500mg evry day at 8am',
    expected: medicine({ medicineName: 'metfromin', dosage: '500 mg', timesOfDay: ['08:00'] }),
  },
  {
    message: 'paracetamol twise a day',
    expected: medicine({ medicineName: 'paracetamol', timesOfDay: ['08:00', '20:00'] }),
  },
  {
    message: 'ibuprofen 200 mg thre times a day',
    expected: medicine({ medicineName: 'ibuprofen', dosage: '200 mg', timesOfDay: ['08:00', '14:00', '20:00'] }),
  },
  { message: 'vitamin c evrey morning', expected: medicine({ medicineName: 'vitamin c', timesOfDay: ['08:00'] }) },
  {
    message: 'amoxicilin 500 mg dayly at 9am and 9pm',
    expected: medicine({ medicineName: 'amoxicilin', dosage: '500 mg', timesOfDay: ['09:00', '21:00'] }),
  },
  // Ambiguous or incomplete
  {
    message: 'metformin 500 mg at 8',
    expected: medicine({ medicineName: 'metformin', dosage: '500 mg', timesOfDay: ['08:00'] }, [], ['time']),
  },
  {
    message: 'add lisinopril 10 mg daily',
    expected: medicine({ medicineName: 'lisinopril', dosage: '10 mg', timesOfDay: [] }, ['timesOfDay']),
  },
  { message: 'remind me to take my pills at 8am', expected: medicine({ timesOfDay: ['08:00'] }, ['medicineName']) },
  {
    message: 'ibuprofen 400 mg at 8am for Lena',
    expected: medicine(
      { medicineName: 'ibuprofen', dosage: '400 mg', timesOfDay: ['08:00'], forPerson: 'Lena' },
      [],
      ['forPerson'],
    ),
  },
  {
    message: 'cetirizine at 7 and 19',
    expected: medicine({ medicineName: 'cetirizine', timesOfDay: ['07:00', '19:00'] }, [], ['time']),
  },
  {
    message: 'I need to take atenolol',
    expected: medicine({ medicineName: 'atenolol', timesOfDay: [] }, ['timesOfDay']),
  },
  // Medicine schedules, German
  {
    message: 'Metformin 500 mg zweimal täglich',
    expected: medicine({ medicineName: 'Metformin', dosage: '500 mg', timesOfDay: ['08:00', '20:00'] }),
  },
  {
    message: 'Erinnere mich jeden Morgen an Vitamin D',
    expected: medicine({ medicineName: 'Vitamin D', timesOfDay: ['08:00'] }),
  },
  {
    message: 'Ibuprofen 400 mg dreimal täglich für 5 Tage',
    expected: medicine({
      medicineName: 'Ibuprofen',
      dosage: '400 mg',
      timesOfDay: ['08:00', '14:00', '20:00'],
      durationDays: 5,
    }),
  },
  {
    message: 'Hustensaft 5 ml abends für Mia',
    expected: medicine({ medicineName: 'Hustensaft', dosage: '5 ml', timesOfDay: ['20:00'], forPerson: 'Mia' }),
  },
  {
    message: 'Ramipril 5 mg täglich um 8 Uhr',
    expected: medicine({ medicineName: 'Ramipril', dosage: '5 mg', timesOfDay: ['08:00'] }, [], ['time']),
  },
  {
    message: 'Magnesium jeden Abend um 21 Uhr',
    expected: medicine({ medicineName: 'Magnesium', timesOfDay: ['21:00'] }),
  },
  {
    message: 'L-Thyroxin 75 µg morgens',
    expected: medicine({ medicineName: 'L-Thyroxin', dosage: '75 mcg', timesOfDay: ['08:00'] }),
  },
  {
    message: 'Eisentabletten jeden zweiten Tag um 12 Uhr',
    expected: medicine(
      { medicineName: 'Eisentabletten', timesOfDay: ['12:00'], recurrence: { type: 'interval', everyNDays: 2 } },
      [],
      ['time'],
    ),
  },
  {
    message: 'Vitamin B12 jeden Montag um 9:00',
    expected: medicine({
      medicineName: 'Vitamin B12',
      timesOfDay: ['09:00'],
      recurrence: { type: 'weekly', daysOfWeek: [1] },
    }),
  },
  {
    message: 'Pantoprazol 20 mg einmal täglich',
    expected: medicine({ medicineName: 'Pantoprazol', dosage: '20 mg', timesOfDay: ['08:00'] }),
  },
  {
    message: 'Melatonin zur Nacht für Noah',
    expected: medicine({ medicineName: 'Melatonin', timesOfDay: ['22:00'], forPerson: 'Noah' }),
  },
  // Vaccine schedules
  {
    message: 'schedule MMR for Mia on March 3',
    expected: vaccine({ vaccineName: 'MMR', dueDate: '2027-03-03', forPerson: 'Mia' }),
  },
  { message: 'flu shot next Friday', expected: vaccine({ vaccineName: 'flu', dueDate: '2026-04-03' }) },
  {
    message: 'the whole hepatitis B series for Noah from 2027-01-10',
    expected: vaccine({ vaccineName: 'hepatitis B', dueDate: '2027-01-10', series: true, forPerson: 'Noah' }),
  },
  { message: 'tetanus booster on April 15', expected: vaccine({ vaccineName: 'tetanus', dueDate: '2026-04-15' }) },
  {
    message: 'Noah needs his polio vaccine on the 2nd',
    expected: vaccine({ vaccineName: 'polio', dueDate: '2026-04-02', forPerson: 'Noah' }),
  },
  {
    message: 'add a covid vaccine for me tomorrow',
    expected: vaccine({ vaccineName: 'covid', dueDate: '2026-03-24' }),
  },
  {
    message: 'schedule all HPV doses for Mia starting 2026-06-01',
    expected: vaccine({ vaccineName: 'HPV', dueDate: '2026-06-01', series: true, forPerson: 'Mia' }),
  },
  { message: 'MMR vaccine for Mia', expected: vaccine({ vaccineName: 'MMR', forPerson: 'Mia' }, ['dueDate']) },
  { message: 'Grippeimpfung am 10. April', expected: vaccine({ vaccineName: 'Grippe', dueDate: '2026-04-10' }) },
  {
    message: 'FSME Impfung für Noah am 2026-05-20',
    expected: vaccine({ vaccineName: 'FSME', dueDate: '2026-05-20', forPerson: 'Noah' }),
  },
  // Questions
  { message: 'what are my schedules', expected: listSchedules() },
  { message: 'show my vaccine schedules', expected: listSchedules({ kind: 'vaccine' }) },
  { message: 'list all my medications', expected: listSchedules({ kind: 'medicine' }) },
  { message: "what are Mia's schedules?", expected: listSchedules({ forPerson: 'Mia' }) },
  {
    message: 'show the vaccination schedule for Noah',
    expected: listSchedules({ kind: 'vaccine', forPerson: 'Noah' }),
  },
  { message: 'what do I take today', expected: listDoses() },
  { message: 'which doses tomorrow', expected: listDoses({ date: '2026-03-24' }) },
  { message: 'what do I have to take on Friday?', expected: listDoses({ date: '2026-03-27' }) },
  { message: "what's due today?", expected: listDoses() },
  { message: 'was nehme ich heute', expected: listDoses() },
  { message: 'Welche Medikamente muss ich morgen nehmen?', expected: listDoses({ date: '2026-03-24' }) },
  { message: 'Zeig meine Impfpläne', expected: listSchedules({ kind: 'vaccine' }) },
  // Marking doses taken
  { message: 'I took my metformin', expected: markTaken({ medicineName: 'metformin' }) },
  { message: 'mark my 8am dose as taken', expected: markTaken({ time: '08:00' }) },
  { message: 'took my pill', expected: markTaken() },
  { message: 'I already took the 8pm vitamin D', expected: markTaken({ medicineName: 'vitamin D', time: '20:00' }) },
  { message: 'Ich habe mein Ibuprofen genommen', expected: markTaken({ medicineName: 'Ibuprofen' }) },
  {
    message: 'I took my lisinopril yesterday',
    expected: markTaken({ medicineName: 'lisinopril', date: '2026-03-22' }),
  },
  // Advice requests
  { message: 'should I double my dose', expected: ADVICE },
  { message: 'is ibuprofen safe with alcohol?', expected: ADVICE },
  { message: 'what should I take for a headache', expected: ADVICE },
  { message: 'can I take paracetamol and ibuprofen together', expected: ADVICE },
  { message: 'I missed my dose, should I take two tomorrow?', expected: ADVICE },
  { message: 'Was soll ich gegen Kopfschmerzen nehmen?', expected: ADVICE },
  { message: 'Darf ich Aspirin mit Ibuprofen kombinieren?', expected: ADVICE },
  // Confirmations
  { message: 'yes', expected: CONFIRM },
  { message: 'Yes please!', expected: CONFIRM },
  { message: 'ok', expected: CONFIRM },
  { message: 'sure, go ahead', expected: CONFIRM },
  { message: 'ja', expected: CONFIRM },
  { message: 'Ja, genau', expected: CONFIRM },
  { message: 'no', expected: DECLINE },
  { message: 'cancel', expected: DECLINE },
  { message: 'nope, never mind', expected: DECLINE },
  { message: 'Nein danke', expected: DECLINE },
  { message: 'abbrechen', expected: DECLINE },
  // Nothing the bot can do
  { message: 'hello there', expected: UNKNOWN },
  { message: "what's the weather like tomorrow", expected: UNKNOWN },
  { message: 'Wie spät ist es?', expected: UNKNOWN },
  // Second batch, written after the parser's first tuning and added without changing it (held out)
  {
    message: 'Can you remind me to take my thyroid pill every morning at 6:30?',
    expected: medicine({ medicineName: 'thyroid pill', timesOfDay: ['06:30'] }),
  },
  {
    message: 'sertraline 50mg once daily in the evening',
    expected: medicine({ medicineName: 'sertraline', dosage: '50 mg', timesOfDay: ['20:00'] }),
  },
  {
    message: 'give Mia 5ml of ibuprofen syrup every 2 days at 7pm',
    expected: medicine({
      medicineName: 'ibuprofen syrup',
      dosage: '5 ml',
      timesOfDay: ['19:00'],
      recurrence: { type: 'interval', everyNDays: 2 },
      forPerson: 'Mia',
    }),
  },
  {
    message: 'vitamin D 1000 IU every Sunday',
    expected: medicine(
      { medicineName: 'vitamin D', dosage: '1000 IU', timesOfDay: [], recurrence: { type: 'weekly', daysOfWeek: [7] } },
      ['timesOfDay'],
    ),
  },
  {
    message: 'eye drops 2 drops at 8am and 10pm for 14 days',
    expected: medicine({
      medicineName: 'eye drops',
      dosage: '2 drops',
      timesOfDay: ['08:00', '22:00'],
      durationDays: 14,
    }),
  },
  {
    message: 'take metformin with breakfast and dinner',
    expected: medicine({ medicineName: 'metformin', timesOfDay: [] }, ['timesOfDay']),
  },
  {
    message: 'Aspirin 100 mg jeden Tag um 8 Uhr morgens ab dem 1. April',
    expected: medicine({ medicineName: 'Aspirin', dosage: '100 mg', timesOfDay: ['08:00'], startDate: '2026-04-01' }),
  },
  {
    message: 'Bitte Cortison 5 mg jeden zweiten Morgen',
    expected: medicine({
      medicineName: 'Cortison',
      dosage: '5 mg',
      timesOfDay: ['08:00'],
      recurrence: { type: 'interval', everyNDays: 2 },
    }),
  },
  {
    message: 'Noah bekommt Fiebersaft 4 ml dreimal am Tag',
    expected: medicine({
      medicineName: 'Fiebersaft',
      dosage: '4 ml',
      timesOfDay: ['08:00', '14:00', '20:00'],
      forPerson: 'Noah',
    }),
  },
  {
    message: 'schedule the flu vaccine for Noah on October 1',
    expected: vaccine({ vaccineName: 'flu', dueDate: '2026-10-01', forPerson: 'Noah' }),
  },
  {
    message: 'Masern Impfung für Mia nächsten Montag',
    expected: vaccine({ vaccineName: 'Masern', dueDate: '2026-03-30', forPerson: 'Mia' }),
  },
  { message: 'what vaccines does Mia have scheduled', expected: listSchedules({ kind: 'vaccine', forPerson: 'Mia' }) },
  { message: 'what pills do I take on Wednesday', expected: listDoses({ date: '2026-03-25' }) },
  { message: 'Was muss ich übermorgen nehmen?', expected: listDoses({ date: '2026-03-25' }) },
  { message: 'done, took the 8 pm dose', expected: markTaken({ time: '20:00' }) },
  { message: 'is it bad to drink coffee with levothyroxine', expected: ADVICE },
  { message: 'how many mg of ibuprofen can I give a 5 year old', expected: ADVICE },
  { message: 'yes that is right', expected: CONFIRM },
  { message: 'no, wrong time', expected: DECLINE },
  { message: 'thanks!', expected: UNKNOWN },
];
