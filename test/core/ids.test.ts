import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock';
import { createIds } from '../../src/lib/ids';

describe('ids', () => {
  it('Should make prefixed, time-sortable ULIDs that keep creation order within one millisecond', () => {
    const ids = createIds(fixedClock('2026-03-23T08:00:00Z'));
    const made = Array.from({ length: 200 }, () => ids.id('ant'));
    expect(made[0]).toMatch(/^ant_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(made).size).toBe(200);
    expect([...made].sort()).toEqual(made);
  });

  it('Should order ids by time first and draw fresh randomness for a new millisecond', () => {
    // A millisecond no other test used: the first id draws fresh randomness.
    const clock = fixedClock('2026-05-01T00:00:00.123Z');
    const draws: number[] = [];
    const ids = createIds(clock, (n) => {
      draws.push(n);
      return new Uint8Array(n).fill(0xff);
    });
    const first = ids.id('x');
    clock.advance(1);
    const second = ids.id('x');
    expect(second > first).toBe(true);
    expect(draws).toEqual([10, 10]);
    // An all-ones random part cannot be incremented within the same millisecond: fresh randomness is drawn.
    ids.id('x');
    expect(draws).toEqual([10, 10, 10]);
  });
});
