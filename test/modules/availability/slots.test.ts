import { describe, expect, it } from 'vitest';
import {
  computeSlots,
  localDaySpan,
  localIntervals,
  mergeUnits,
  type SlotQuery,
  type SlotRules,
} from '../../../src/modules/availability/slots';
import { outsideHours } from '../../../src/modules/schedule-changes/schedule-changes.policy';

const at = (iso: string) => Date.parse(iso);

/** Monday 2026-03-30, 09:00–12:00 UTC, 30-minute grid, no buffer or notice. */
const rules = (over: Partial<SlotRules> = {}): SlotRules => ({
  timeZone: 'UTC',
  slotMinutes: 30,
  bufferMinutes: 0,
  minNoticeMinutes: 0,
  maxDaysAhead: 60,
  unavailableUntil: null,
  weeklyHours: [{ weekday: 1, start: '09:00', end: '12:00' }],
  ...over,
});

const query = (over: Partial<SlotQuery> = {}): SlotQuery => ({
  fromDate: '2026-03-30',
  toDate: '2026-03-30',
  durationMinutes: 30,
  now: at('2026-03-23T00:00:00Z'),
  timeOff: [],
  busy: [],
  ...over,
});

const starts = (r: SlotRules, q: SlotQuery) => computeSlots(r, q).map((s) => s.localStart.slice(11));

describe('computeSlots', () => {
  it('Should offer starts on the slot grid that end inside the interval', () => {
    const slots = computeSlots(rules(), query());
    expect(slots.map((s) => s.localStart.slice(11))).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00', '11:30']);
    expect(slots[0]).toEqual({
      start: '2026-03-30T09:00:00.000Z',
      end: '2026-03-30T09:30:00.000Z',
      localStart: '2026-03-30T09:00',
      localEnd: '2026-03-30T09:30',
    });
  });

  it('Should let a service longer than the slot length start on the grid but end by the interval end', () => {
    expect(starts(rules(), query({ durationMinutes: 45 }))).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00']);
    const split = rules({
      weeklyHours: [
        { weekday: 1, start: '09:00', end: '10:00' },
        { weekday: 1, start: '10:00', end: '11:00' },
      ],
    });
    // A slot never spans two intervals, even adjacent ones.
    expect(starts(split, query({ durationMinutes: 45 }))).toEqual(['09:00', '10:00']);
  });

  it('Should keep the buffer after an existing booking and before the next one', () => {
    // A 10:00–10:30 booking claims 10:00–10:40 (its trailing 10-minute buffer) when the buffer is 10.
    const unbuffered = [{ start: at('2026-03-30T10:00:00Z'), end: at('2026-03-30T10:30:00Z') }];
    const busy = [{ start: at('2026-03-30T10:00:00Z'), end: at('2026-03-30T10:40:00Z') }];
    expect(starts(rules(), query({ busy: unbuffered }))).toEqual(['09:00', '09:30', '10:30', '11:00', '11:30']);
    expect(starts(rules({ bufferMinutes: 10 }), query({ busy }))).toEqual(['09:00', '11:00', '11:30']);
    expect(starts(rules({ bufferMinutes: 10, slotMinutes: 5 }), query({ busy })).slice(0, 5)).toEqual([
      '09:00',
      '09:05',
      '09:10',
      '09:15',
      '09:20',
    ]);
    const fine = starts(rules({ bufferMinutes: 10, slotMinutes: 5 }), query({ busy }));
    expect(fine).not.toContain('09:25');
    expect(fine).not.toContain('10:35');
    expect(fine).toContain('10:40');
  });

  it('Should respect the minimum notice from an injected now', () => {
    const q = query({ now: at('2026-03-30T08:00:00Z') });
    expect(starts(rules({ minNoticeMinutes: 120 }), q)).toEqual(['10:00', '10:30', '11:00', '11:30']);
    expect(starts(rules({ minNoticeMinutes: 125 }), q)).toEqual(['10:30', '11:00', '11:30']);
  });

  it('Should offer nothing beyond today + maxDaysAhead', () => {
    const q = query({ now: at('2026-03-23T12:00:00Z'), toDate: '2026-04-06' });
    const slots = computeSlots(rules({ maxDaysAhead: 7 }), q);
    expect(new Set(slots.map((s) => s.localStart.slice(0, 10)))).toEqual(new Set(['2026-03-30']));
    expect(computeSlots(rules({ maxDaysAhead: 6 }), q)).toEqual([]);
    expect(computeSlots(rules({ maxDaysAhead: 14 }), q)).toHaveLength(12);
  });

  it('Should leave out slots overlapping partial or whole-day time off', () => {
    const partial = [{ start: at('2026-03-30T10:15:00Z'), end: at('2026-03-30T10:45:00Z') }];
    expect(starts(rules(), query({ timeOff: partial }))).toEqual(['09:00', '09:30', '11:00', '11:30']);
    const wholeDay = [{ start: at('2026-03-30T00:00:00Z'), end: at('2026-03-31T00:00:00Z') }];
    expect(computeSlots(rules(), query({ timeOff: wholeDay }))).toEqual([]);
  });

  it('Should start no slot before emergency unavailability ends', () => {
    expect(starts(rules({ unavailableUntil: at('2026-03-30T10:30:00Z') }), query())).toEqual([
      '10:30',
      '11:00',
      '11:30',
    ]);
    expect(starts(rules({ unavailableUntil: at('2026-03-30T10:31:00Z') }), query())).toEqual(['11:00', '11:30']);
  });

  it('Should keep 09:00 local across spring forward in Europe/Berlin while UTC shifts', () => {
    const berlin = rules({
      timeZone: 'Europe/Berlin',
      weeklyHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '09:30' })),
    });
    const slots = computeSlots(berlin, query({ fromDate: '2026-03-26', toDate: '2026-04-01' }));
    expect(slots.map((s) => s.localStart)).toEqual(
      ['26', '27', '28', '29', '30', '31'].map((d) => `2026-03-${d}T09:00`).concat('2026-04-01T09:00'),
    );
    expect(slots.map((s) => s.start.slice(11, 16))).toEqual([
      '08:00',
      '08:00',
      '08:00',
      '07:00',
      '07:00',
      '07:00',
      '07:00',
    ]);
  });

  it('Should keep 09:00 local across fall back in Europe/Berlin while UTC shifts', () => {
    const berlin = rules({
      timeZone: 'Europe/Berlin',
      weeklyHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '09:30' })),
    });
    const slots = computeSlots(
      berlin,
      query({ fromDate: '2026-10-22', toDate: '2026-10-28', now: at('2026-10-01T00:00:00Z') }),
    );
    expect(slots.map((s) => s.localStart.slice(0, 10))).toEqual(
      ['22', '23', '24', '25', '26', '27', '28'].map((d) => `2026-10-${d}`),
    );
    expect(slots.every((s) => s.localStart.endsWith('T09:00'))).toBe(true);
    expect(slots.map((s) => s.start.slice(11, 16))).toEqual([
      '07:00',
      '07:00',
      '07:00',
      '08:00',
      '08:00',
      '08:00',
      '08:00',
    ]);
  });

  it('Should count real elapsed time in an interval containing the DST gap', () => {
    // Sunday 2026-03-29 01:00–04:00 Berlin lasts two hours: 02:00–03:00 does not exist.
    const gap = rules({ timeZone: 'Europe/Berlin', weeklyHours: [{ weekday: 7, start: '01:00', end: '04:00' }] });
    const slots = computeSlots(gap, query({ fromDate: '2026-03-29', toDate: '2026-03-29' }));
    expect(slots.map((s) => s.localStart.slice(11))).toEqual(['01:00', '01:30', '03:00', '03:30']);
    expect(slots.map((s) => s.start.slice(11, 16))).toEqual(['00:00', '00:30', '01:00', '01:30']);
  });

  it('Should replace a date’s weekly hours by its special hours, or offer nothing when it is closed', () => {
    const special = rules({
      weeklyHours: [1, 2].map((weekday) => ({ weekday, start: '09:00', end: '12:00' })),
      specialHours: [
        { date: '2026-03-30', hours: [{ start: '14:00', end: '15:00' }] },
        { date: '2026-03-31', hours: [] },
      ],
    });
    const slots = computeSlots(special, query({ toDate: '2026-04-06' }));
    expect(slots.map((s) => s.localStart)).toEqual([
      '2026-03-30T14:00',
      '2026-03-30T14:30',
      // Tuesday 31 is closed; the next Monday has its weekly hours again.
      ...['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'].map((t) => `2026-04-06T${t}`),
    ]);
    // A date without weekly hours (Sunday) opens with special hours.
    const sunday = rules({ specialHours: [{ date: '2026-03-29', hours: [{ start: '10:00', end: '11:00' }] }] });
    expect(starts(sunday, query({ fromDate: '2026-03-29', toDate: '2026-03-29' }))).toEqual(['10:00', '10:30']);
  });

  it('Should still subtract time off from special hours, and keep special hours local across DST', () => {
    const special = rules({ specialHours: [{ date: '2026-03-30', hours: [{ start: '13:00', end: '15:00' }] }] });
    const off = [{ start: at('2026-03-30T13:30:00Z'), end: at('2026-03-30T14:00:00Z') }];
    expect(starts(special, query({ timeOff: off }))).toEqual(['13:00', '14:00', '14:30']);
    // Berlin's spring-forward Sunday: 09:00 local is 07:00Z (CEST), the Saturday before 08:00Z (CET).
    const berlin = rules({
      timeZone: 'Europe/Berlin',
      specialHours: ['2026-03-28', '2026-03-29'].map((date) => ({ date, hours: [{ start: '09:00', end: '09:30' }] })),
    });
    const slots = computeSlots(berlin, query({ fromDate: '2026-03-28', toDate: '2026-03-29' }));
    expect(slots.map((s) => [s.localStart, s.start])).toEqual([
      ['2026-03-28T09:00', '2026-03-28T08:00:00.000Z'],
      ['2026-03-29T09:00', '2026-03-29T07:00:00.000Z'],
    ]);
  });

  it('Should tell which appointments special hours leave outside the doctor’s hours', () => {
    const zone = 'Europe/Berlin';
    const day = localDaySpan('2026-03-29', zone);
    expect([new Date(day.start).toISOString(), day.end - day.start]).toEqual([
      '2026-03-28T23:00:00.000Z',
      23 * 3_600_000,
    ]);
    const open = localIntervals('2026-03-29', [{ start: '09:00', end: '12:00' }], zone);
    const appt = (from: string, to: string) => ({ start: at(from), end: at(to) });
    // 09:00–12:00 CEST is 07:00Z–10:00Z.
    expect(outsideHours(appt('2026-03-29T07:00:00Z', '2026-03-29T07:30:00Z'), day, open)).toBe(false);
    expect(outsideHours(appt('2026-03-29T09:30:00Z', '2026-03-29T10:00:00Z'), day, open)).toBe(false);
    expect(outsideHours(appt('2026-03-29T09:45:00Z', '2026-03-29T10:15:00Z'), day, open)).toBe(true);
    expect(outsideHours(appt('2026-03-29T06:30:00Z', '2026-03-29T07:00:00Z'), day, open)).toBe(true);
    expect(outsideHours(appt('2026-03-29T07:00:00Z', '2026-03-29T07:30:00Z'), day, [])).toBe(true);
    // Another date is none of its business.
    expect(outsideHours(appt('2026-03-28T08:00:00Z', '2026-03-28T08:30:00Z'), day, open)).toBe(false);
  });

  it('Should merge consecutive 5-minute claim units into intervals', () => {
    const u = 300_000;
    expect(mergeUnits([3 * u, 0, u, u, 5 * u, 4 * u])).toEqual([
      { start: 0, end: 2 * u },
      { start: 3 * u, end: 6 * u },
    ]);
  });

  it('Should compute 30 days of slots for a busy doctor, none touching a booking or its buffer', () => {
    const berlin = rules({
      timeZone: 'Europe/Berlin',
      slotMinutes: 15,
      bufferMinutes: 10,
      minNoticeMinutes: 60,
      weeklyHours: [1, 2, 3, 4, 5].flatMap((weekday) => [
        { weekday, start: '08:00', end: '12:00' },
        { weekday, start: '13:00', end: '18:00' },
      ]),
    });
    // Two 30-minute bookings a day, each claimed with its 10-minute trailing buffer.
    const bookings = Array.from({ length: 31 }, (_, d) => [
      { start: at('2026-03-16T09:00:00Z') + d * 86_400_000, end: at('2026-03-16T09:30:00Z') + d * 86_400_000 },
      { start: at('2026-03-16T14:00:00Z') + d * 86_400_000, end: at('2026-03-16T14:30:00Z') + d * 86_400_000 },
    ]).flat();
    const busy = bookings.map((b) => ({ start: b.start, end: b.end + 10 * 60_000 }));
    const q = query({ fromDate: '2026-03-16', toDate: '2026-04-14', now: at('2026-03-15T00:00:00Z'), busy });
    // Speed is measured by `npm run bench` (GET /doctors/{id}/slots over 30 days), never here.
    const slots = computeSlots(berlin, q);
    expect(slots).toHaveLength(528);
    expect(Number.isFinite(Date.parse(slots[0]!.start))).toBe(true);
    const tenMinutes = 10 * 60_000;
    for (const slot of slots) {
      const start = Date.parse(slot.start);
      const end = Date.parse(slot.end);
      for (const b of bookings) expect(start < b.end + tenMinutes && end > b.start - tenMinutes).toBe(false);
    }
  });
});
