import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/lib/clock';
import { createIds, randomBytes } from '../../../src/lib/ids';
import { newAccount } from '../../../src/modules/users/new-account';

const clock = fixedClock('2026-05-01T08:00:00Z');
const seams = { ids: createIds(clock, randomBytes), clock };
const now = Date.parse('2026-05-01T08:00:00Z');

describe('newAccount', () => {
  it('Should build a fresh, unproved account with the one set of defaults', () => {
    const row = newAccount(seams, { role: 'user', name: 'Ana', email: '  Ana.Silva@Example.COM ' });
    expect(row).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: 'ana.silva@example.com',
      mobileNumber: null,
      name: 'Ana',
      passwordHash: null,
      role: 'user',
      subRoles: [],
      status: 'active',
      verifiedAt: null,
      emailVerifiedAt: null,
      mobileVerifiedAt: null,
      googleSub: null,
      facebookId: null,
      statusReason: null,
      deletedAt: null,
      tokenVersion: 0,
      createdAt: now,
      updatedAt: now,
    });
    expect(newAccount(seams, { role: 'user', name: 'Ana' }).id).not.toBe(row.id);
  });

  it('Should keep doctors and caregivers pending until an admin vouches for their credentials', () => {
    for (const role of ['doctor', 'caregiver'] as const) {
      expect(newAccount(seams, { role, name: 'P' })).toMatchObject({ status: 'pending', verifiedAt: null });
      expect(newAccount(seams, { role, name: 'P', verified: { credentials: true } })).toMatchObject({
        status: 'active',
        verifiedAt: now,
      });
    }
    // Vouching means nothing for other roles; an explicit status wins over the default.
    expect(newAccount(seams, { role: 'receptionist', name: 'R', verified: { credentials: true } })).toMatchObject({
      status: 'active',
      verifiedAt: null,
    });
    expect(newAccount(seams, { role: 'admin', name: 'A', status: 'pending' }).status).toBe('pending');
  });

  it('Should keep sub-roles for admins only and stamp only what was proved', () => {
    const subRoles = ['support-agent'] as const;
    expect(newAccount(seams, { role: 'admin', name: 'A', subRoles }).subRoles).toEqual(['support-agent']);
    expect(newAccount(seams, { role: 'doctor', name: 'D', subRoles }).subRoles).toEqual([]);
    expect(newAccount(seams, { role: 'superadmin', name: 'S', subRoles }).subRoles).toEqual([]);
    expect(
      newAccount(seams, { role: 'user', name: 'M', mobileNumber: '+14155550123', verified: { mobile: true } }),
    ).toMatchObject({ mobileVerifiedAt: now, emailVerifiedAt: null });
    expect(
      newAccount(seams, {
        role: 'user',
        name: 'G',
        email: 'g@example.com',
        googleSub: 'g-1',
        verified: { email: true },
      }),
    ).toMatchObject({ emailVerifiedAt: now, mobileVerifiedAt: null, googleSub: 'g-1' });
  });
});
