import { describe, expect, it } from 'vitest';
import type { Role, UserStatus } from '../../../src/db/schema';
import {
  type AdminAction,
  authorityRefusal,
  initialStatus,
  lastSuperadminRefusal,
  logoutRefusal,
  restoredStatus,
  type StatusAction,
  statusTransition,
  subRolesRefusal,
  type Target,
  verifyRefusal,
} from '../../../src/modules/admin/admin.policy';

const ACTIONS: AdminAction[] = ['activate', 'deactivate', 'block', 'unblock', 'verify', 'subRoles', 'logout', 'delete'];

const party = (id: string, role: Role) => ({ id, role });
const target = (role: Role, status: UserStatus, verified = true): Target => ({
  id: 'usr_target',
  role,
  status,
  verifiedAt: verified ? 1 : null,
});
const codeOf = (r: { code: string } | { status: UserStatus } | null) => (r && 'code' in r ? r.code : null);

describe('admin policy: who may act on whom', () => {
  it('Should let admins act on patients, doctors, caregivers and receptionists', () => {
    for (const role of ['user', 'doctor', 'caregiver', 'receptionist'] as Role[]) {
      for (const action of ACTIONS) {
        expect(authorityRefusal(party('a', 'admin'), party('t', role), action), `${role} ${action}`).toBeNull();
      }
    }
  });

  it('Should refuse an admin every action on another admin or a superadmin', () => {
    for (const role of ['admin', 'superadmin'] as Role[]) {
      for (const action of ACTIONS) {
        expect(authorityRefusal(party('a', 'admin'), party('t', role), action)).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
  });

  it('Should let superadmins act on admins, other superadmins and users', () => {
    for (const role of ['user', 'doctor', 'admin', 'superadmin'] as Role[]) {
      for (const action of ACTIONS) {
        expect(authorityRefusal(party('s', 'superadmin'), party('t', role), action)).toBeNull();
      }
    }
  });

  it('Should refuse anyone acting on their own account', () => {
    for (const role of ['admin', 'superadmin'] as Role[]) {
      for (const action of ACTIONS) {
        expect(authorityRefusal(party('me', role), party('me', role), action), `${role} ${action}`).toMatchObject({
          code: 'FORBIDDEN',
        });
      }
    }
  });

  it('Should refuse roles other than admin and superadmin outright', () => {
    for (const role of ['user', 'doctor', 'caregiver', 'receptionist'] as Role[]) {
      expect(authorityRefusal(party('x', role), party('t', 'user'), 'block')).toMatchObject({ code: 'FORBIDDEN' });
    }
  });
});

describe('admin policy: status transitions', () => {
  const cases: [StatusAction, UserStatus, Role, UserStatus | 'INVALID_TRANSITION'][] = [
    ['activate', 'inactive', 'user', 'active'],
    ['activate', 'active', 'user', 'INVALID_TRANSITION'],
    ['activate', 'pending', 'doctor', 'INVALID_TRANSITION'],
    ['activate', 'pending', 'caregiver', 'INVALID_TRANSITION'],
    ['activate', 'pending', 'admin', 'INVALID_TRANSITION'],
    ['activate', 'blocked', 'user', 'INVALID_TRANSITION'],
    ['activate', 'removed', 'user', 'INVALID_TRANSITION'],
    ['deactivate', 'active', 'user', 'inactive'],
    ['deactivate', 'pending', 'doctor', 'inactive'],
    ['deactivate', 'inactive', 'user', 'INVALID_TRANSITION'],
    ['deactivate', 'blocked', 'user', 'INVALID_TRANSITION'],
    ['deactivate', 'removed', 'user', 'INVALID_TRANSITION'],
    ['block', 'active', 'user', 'blocked'],
    ['block', 'pending', 'doctor', 'blocked'],
    ['block', 'inactive', 'user', 'blocked'],
    ['block', 'blocked', 'user', 'INVALID_TRANSITION'],
    ['block', 'removed', 'user', 'INVALID_TRANSITION'],
    ['unblock', 'blocked', 'user', 'active'],
    ['unblock', 'active', 'user', 'INVALID_TRANSITION'],
    ['unblock', 'inactive', 'user', 'INVALID_TRANSITION'],
    ['unblock', 'removed', 'user', 'INVALID_TRANSITION'],
  ];
  it.each(cases)('Should %s a %s %s → %s', (action, from, role, expected) => {
    const result = statusTransition(target(role, from), action);
    if (expected === 'INVALID_TRANSITION') expect(result).toMatchObject({ code: 'INVALID_TRANSITION' });
    else expect(result).toEqual({ status: expected });
  });

  it('Should send an unverified doctor or caregiver back to pending, not active, on unblock or activate', () => {
    expect(restoredStatus(target('doctor', 'blocked', false))).toBe('pending');
    expect(restoredStatus(target('caregiver', 'inactive', false))).toBe('pending');
    expect(restoredStatus(target('doctor', 'blocked', true))).toBe('active');
    expect(restoredStatus(target('user', 'blocked', false))).toBe('active');
    expect(statusTransition(target('doctor', 'blocked', false), 'unblock')).toEqual({ status: 'pending' });
  });

  it('Should verify only pending doctors and caregivers', () => {
    expect(verifyRefusal(target('doctor', 'pending', false))).toBeNull();
    expect(verifyRefusal(target('caregiver', 'pending', false))).toBeNull();
    expect(codeOf(verifyRefusal(target('doctor', 'active')))).toBe('INVALID_TRANSITION');
    expect(codeOf(verifyRefusal(target('doctor', 'blocked')))).toBe('INVALID_TRANSITION');
    for (const role of ['user', 'receptionist', 'admin', 'superadmin'] as Role[]) {
      expect(codeOf(verifyRefusal(target(role, 'pending')))).toBe('INVALID_TRANSITION');
    }
  });

  it('Should give sub-roles to admins only, and log out anyone not removed', () => {
    expect(subRolesRefusal(target('admin', 'active'))).toBeNull();
    expect(subRolesRefusal(target('admin', 'pending'))).toBeNull();
    for (const role of ['user', 'doctor', 'superadmin'] as Role[]) {
      expect(codeOf(subRolesRefusal(target(role, 'active')))).toBe('INVALID_TRANSITION');
    }
    expect(codeOf(subRolesRefusal(target('admin', 'removed')))).toBe('INVALID_TRANSITION');
    expect(logoutRefusal(target('user', 'blocked'))).toBeNull();
    expect(codeOf(logoutRefusal(target('user', 'removed')))).toBe('INVALID_TRANSITION');
  });
});

describe('admin policy: the last active superadmin', () => {
  it('Should refuse deactivating, blocking or deleting the last active superadmin', () => {
    for (const action of ['deactivate', 'block', 'delete'] as AdminAction[]) {
      expect(lastSuperadminRefusal(target('superadmin', 'active'), action, 0)).toMatchObject({ code: 'CONFLICT' });
      expect(lastSuperadminRefusal(target('superadmin', 'active'), action, 1)).toBeNull();
    }
  });

  it('Should not count actions that keep access, inactive superadmins, or other roles', () => {
    expect(lastSuperadminRefusal(target('superadmin', 'active'), 'logout', 0)).toBeNull();
    expect(lastSuperadminRefusal(target('superadmin', 'inactive'), 'delete', 0)).toBeNull();
    expect(lastSuperadminRefusal(target('admin', 'active'), 'delete', 0)).toBeNull();
  });
});

describe('admin policy: new accounts', () => {
  it('Should start an admin created by an admin pending, and every other new account active', () => {
    expect(initialStatus('admin', 'admin')).toBe('pending');
    expect(initialStatus('superadmin', 'admin')).toBe('active');
    for (const role of ['doctor', 'caregiver', 'receptionist'] as const) {
      expect(initialStatus('admin', role)).toBe('active');
      expect(initialStatus('superadmin', role)).toBe('active');
    }
  });
});
