import { describe, expect, it } from 'vitest';
import { checkSupportTransition, reopenableUntil } from '../../../src/modules/support/lifecycle.policy';

const DAY = 86_400_000;
const timing = (now: number) => ({ now, resolvedAt: 0, reopenDays: 7 });

describe('support lifecycle table', () => {
  it('lets staff move a ticket on and refuses steps the table does not list', () => {
    expect(checkSupportTransition('start', 'open', 'staff', timing(0))).toEqual({ ok: true, to: 'in-progress' });
    expect(checkSupportTransition('resolve', 'in-progress', 'staff', timing(0))).toEqual({ ok: true, to: 'resolved' });
    expect(checkSupportTransition('close', 'resolved', 'staff', timing(0))).toEqual({ ok: true, to: 'closed' });
    expect(checkSupportTransition('start', 'resolved', 'staff', timing(0))).toMatchObject({
      ok: false,
      code: 'INVALID_TRANSITION',
    });
    expect(checkSupportTransition('start', 'open', 'owner', timing(0))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('lets only the owner reopen, only a resolved ticket, only within the window; closed is final', () => {
    expect(checkSupportTransition('reopen', 'resolved', 'owner', timing(7 * DAY))).toEqual({ ok: true, to: 'open' });
    expect(checkSupportTransition('reopen', 'resolved', 'owner', timing(7 * DAY + 1))).toMatchObject({
      ok: false,
      code: 'INVALID_TRANSITION',
    });
    expect(checkSupportTransition('reopen', 'resolved', 'staff', timing(0))).toMatchObject({ code: 'FORBIDDEN' });
    for (const action of ['start', 'resolve', 'close'] as const) {
      expect(checkSupportTransition(action, 'closed', 'staff', timing(0)).ok).toBe(false);
    }
    expect(checkSupportTransition('reopen', 'closed', 'owner', timing(0)).ok).toBe(false);
    expect(reopenableUntil('resolved', 0, 7)).toBe(7 * DAY);
    expect(reopenableUntil('open', null, 7)).toBeNull();
  });
});
