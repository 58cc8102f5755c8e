import { fromZonedTime } from 'date-fns-tz';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  isLocalDate,
  isLocalTime,
  isoWeekday,
  localDateAt,
  localTimeAt,
  zonedInstant,
} from '../../../src/lib/time';
import { occurrences, recursOn, type ScheduleTiming } from '../../../src/modules/schedules/recurrence';

const iso = (ms: number) => new Date(ms).toISOString();
const NY = 'America/New_York';
const LISBON = 'Europe/Lisbon';

const daily = (timesOfDay: string[], timeZone: string, startDate = '2026-01-01'): ScheduleTiming => ({
  timesOfDay,
  timeZone,
  recurrence: { type: 'interval', everyNDays: 1 },
  startDate,
  endDate: null,
});

describe('calendar helpers', () => {
  it('Should validate local dates and times strictly', () => {
    expect(['2026-03-08', '2024-02-29', '2026-12-31'].every(isLocalDate)).toBe(true);
    expect(['2026-02-29', '2026-13-01', '2026-3-8', '08/03/2026', '2026-03-08T00:00'].some(isLocalDate)).toBe(false);
    expect(['00:00', '08:00', '23:59'].every(isLocalTime)).toBe(true);
    expect(['24:00', '25:00', '8:00', '08:60', '08:00:00', ''].some(isLocalTime)).toBe(false);
  });

  it('Should do calendar arithmetic in whole days, across month, year and DST boundaries', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-08', -1)).toBe('2026-03-07');
    expect(daysBetween('2026-03-01', '2026-03-31')).toBe(30);
    expect(daysBetween('2026-03-31', '2026-03-01')).toBe(-30);
    expect(isoWeekday('2026-03-02')).toBe(1); // Monday
    expect(isoWeekday('2026-03-08')).toBe(7); // Sunday
  });

  it('Should read the local date and time of an instant in a zone', () => {
    const instant = Date.parse('2026-03-08T03:30:00Z');
    expect([localDateAt(instant, NY), localTimeAt(instant, NY)]).toEqual(['2026-03-07', '22:30']);
    expect([localDateAt(instant, 'Asia/Tokyo'), localTimeAt(instant, 'Asia/Tokyo')]).toEqual(['2026-03-08', '12:30']);
  });
});

describe('zonedInstant (local wall-clock time → UTC)', () => {
  it('Should keep 08:00 at 08:00 local across New York’s DST changes, moving the UTC instant by an hour', () => {
    expect(iso(zonedInstant('2026-03-07', '08:00', NY))).toBe('2026-03-07T13:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '08:00', NY))).toBe('2026-03-08T12:00:00.000Z');
    expect(iso(zonedInstant('2026-10-31', '08:00', NY))).toBe('2026-10-31T12:00:00.000Z');
    expect(iso(zonedInstant('2026-11-01', '08:00', NY))).toBe('2026-11-01T13:00:00.000Z');
  });

  it('Should move a time in the spring-forward gap later by the gap’s length (02:30 → 03:30 EDT)', () => {
    const instant = zonedInstant('2026-03-08', '02:30', NY);
    expect(iso(instant)).toBe('2026-03-08T07:30:00.000Z');
    expect(localTimeAt(instant, NY)).toBe('03:30');
    expect(iso(zonedInstant('2026-03-08', '02:00', NY))).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(iso(zonedInstant('2026-03-08', '01:59', NY))).toBe('2026-03-08T06:59:00.000Z'); // still EST
    expect(iso(zonedInstant('2026-03-08', '03:00', NY))).toBe('2026-03-08T07:00:00.000Z');
    // Lisbon springs forward 01:00 → 02:00 on 2026-03-29.
    const lisbon = zonedInstant('2026-03-29', '01:30', LISBON);
    expect([iso(lisbon), localTimeAt(lisbon, LISBON)]).toEqual(['2026-03-29T01:30:00.000Z', '02:30']);
  });

  it('Should take a repeated fall-back time once, at its first occurrence', () => {
    const ny = zonedInstant('2026-11-01', '01:30', NY);
    expect([iso(ny), localTimeAt(ny, NY)]).toEqual(['2026-11-01T05:30:00.000Z', '01:30']); // EDT, not EST
    // Lisbon falls back 02:00 WEST → 01:00 WET on 2026-10-25: 01:30 first happens at 00:30 UTC.
    const lisbon = zonedInstant('2026-10-25', '01:30', LISBON);
    expect([iso(lisbon), localTimeAt(lisbon, LISBON)]).toEqual(['2026-10-25T00:30:00.000Z', '01:30']);
  });

  it('Should fix what date-fns-tz fromZonedTime leaves ambiguous (why it is not used directly)', () => {
    // fromZonedTime puts the gap time an hour early and the Lisbon repeat at its second occurrence.
    expect(fromZonedTime('2026-03-08T02:30:00', NY).toISOString()).toBe('2026-03-08T06:30:00.000Z');
    expect(fromZonedTime('2026-10-25T01:30:00', LISBON).toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });

  it('Should handle half-hour DST (Lord Howe), zones without DST, and the date line', () => {
    // Lord Howe moves +10:30 → +11:00 at 02:00 on 2026-10-04: 02:15 is in the 30-minute gap.
    const howe = zonedInstant('2026-10-04', '02:15', 'Australia/Lord_Howe');
    expect(localTimeAt(howe, 'Australia/Lord_Howe')).toBe('02:45');
    expect(iso(zonedInstant('2026-03-08', '08:00', 'Asia/Kolkata'))).toBe('2026-03-08T02:30:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '08:00', 'Pacific/Kiritimati'))).toBe('2026-03-07T18:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', '00:00', 'UTC'))).toBe('2026-03-08T00:00:00.000Z');
  });
});

describe('recurrence', () => {
  it('Should fall on the given ISO weekdays', () => {
    const mwf = { type: 'weekly' as const, daysOfWeek: [1, 3, 5] };
    const week = Array.from({ length: 7 }, (_, i) => addDays('2026-03-02', i));
    expect(week.filter((d) => recursOn(mwf, '2026-03-01', d))).toEqual(['2026-03-02', '2026-03-04', '2026-03-06']);
  });

  it('Should fall every N days counted from the start date, never before it', () => {
    const every3 = { type: 'interval' as const, everyNDays: 3 };
    const days = Array.from({ length: 10 }, (_, i) => addDays('2026-02-27', i));
    expect(days.filter((d) => recursOn(every3, '2026-03-01', d))).toEqual(['2026-03-01', '2026-03-04', '2026-03-07']);
  });

  it('Should list occurrences in date and time order, clipped to start and end dates', () => {
    const list = occurrences(
      { ...daily(['20:00', '08:00'], 'UTC', '2026-03-02'), endDate: '2026-03-03' },
      '2026-03-01',
      '2026-03-10',
    );
    expect(list.map((o) => `${o.localDate} ${o.localTime}`)).toEqual([
      '2026-03-02 08:00',
      '2026-03-02 20:00',
      '2026-03-03 08:00',
      '2026-03-03 20:00',
    ]);
    expect(occurrences(daily(['08:00'], 'UTC'), '2026-03-05', '2026-03-04')).toEqual([]);
  });

  it('Should produce one dose per local time per day across both New York DST changes', () => {
    const spring = occurrences(daily(['02:30', '08:00'], NY), '2026-03-07', '2026-03-09');
    expect(spring.map((o) => [o.localDate, o.localTime, iso(o.scheduledAt)])).toEqual([
      ['2026-03-07', '02:30', '2026-03-07T07:30:00.000Z'],
      ['2026-03-07', '08:00', '2026-03-07T13:00:00.000Z'],
      ['2026-03-08', '02:30', '2026-03-08T07:30:00.000Z'],
      ['2026-03-08', '08:00', '2026-03-08T12:00:00.000Z'],
      ['2026-03-09', '02:30', '2026-03-09T06:30:00.000Z'],
      ['2026-03-09', '08:00', '2026-03-09T12:00:00.000Z'],
    ]);
    const fall = occurrences(daily(['01:30'], NY), '2026-10-31', '2026-11-02');
    expect(fall.map((o) => iso(o.scheduledAt))).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('Should give the same instants as zonedInstant for every day of a year, DST days included', () => {
    const times = ['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00', '08:00', '23:30'];
    for (const zone of [NY, LISBON, 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata', 'UTC']) {
      const list = occurrences(daily(times, zone, '2026-01-01'), '2026-01-01', '2026-12-31');
      expect(list).toHaveLength(365 * times.length);
      const mismatches = list.filter((o) => o.scheduledAt !== zonedInstant(o.localDate, o.localTime, zone));
      expect(mismatches, zone).toEqual([]);
    }
  });

  it('Should refuse to walk absurdly long ranges', () => {
    expect(() => occurrences(daily(['08:00'], 'UTC'), '2026-01-01', '2036-01-01')).toThrow(RangeError);
  });
});
