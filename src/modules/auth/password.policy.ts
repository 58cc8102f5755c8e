import type { FieldError } from '../../lib/errors';

/** A short list of passwords attackers try first (top of public breach lists), lower-cased. */
const COMMON = new Set([
  'password',
  'password1',
  'password123',
  'passw0rd',
  '123456789',
  '1234567890',
  '12345678',
  'qwertyuiop',
  'qwerty123',
  'iloveyou',
  'letmein1',
  'welcome1',
  'welcome123',
  'admin123',
  'abc12345',
  'football1',
  'monkey123',
  'sunshine1',
  'princess1',
  'dragon123',
  'baseball1',
  'trustno1',
  'superman1',
  'whatever1',
  'starwars1',
  'changeme1',
  'p@ssw0rd',
  'p@ssword1',
  'qwerty12345',
  '1q2w3e4r5t',
  'zaq12wsx',
  'asdfghjkl',
  'kinwell123',
  'kinwell2026',
  'healthcare1',
  'doctor123',
  'patient123',
]);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/**
 * Strength rules (NIST 800-63B style): 10–128 characters, at least 3 distinct characters, not the
 * email or its local part, not a common password. Returns field errors; empty when acceptable.
 */
export function passwordProblems(password: string, email: string | null, field = 'password'): FieldError[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  if (password.length < PASSWORD_MIN) problems.push(`must be at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`must be at most ${PASSWORD_MAX} characters`);
  if (new Set(password).size < 3) problems.push('is too repetitive');
  if (COMMON.has(lower)) problems.push('is too common');
  if (email) {
    const address = email.toLowerCase();
    const local = address.split('@')[0] ?? '';
    if (lower === address || (local.length >= 3 && lower.includes(local))) problems.push('must not contain your email');
  }
  return problems.map((message) => ({ field, message: `Password ${message}` }));
}
