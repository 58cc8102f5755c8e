import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../src/lib/password';

/** Written by Node's scrypt exactly as scripts/seed.mjs does for the demo accounts. */
const SEED_FORMAT_HASH = 'scrypt$16384$8$5$MDEyMzQ1Njc4OWFiY2RlZg$Lia24p4iCOINsiazfjI2jcvOkAyX706QZbI_CIKOnF8';

describe('password hashing', () => {
  it('Should hash with scrypt N=2^14 r=8 p=5 and a fresh salt, and verify', async () => {
    const a = await hashPassword('Correct-horse-9');
    const b = await hashPassword('Correct-horse-9');
    expect(a).toMatch(/^scrypt\$16384\$8\$5\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('Correct-horse-9', a)).toBe(true);
    expect(await verifyPassword('correct-horse-9', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
    expect(needsRehash('scrypt$1024$8$1$AAAA$AAAA')).toBe(true);
  });

  it('Should verify hashes written by the Node seed script (same format across runtimes)', async () => {
    expect(await verifyPassword('Kinwell-dev-2026!', SEED_FORMAT_HASH)).toBe(true);
    expect(await verifyPassword('Kinwell-dev-2025!', SEED_FORMAT_HASH)).toBe(false);
  });

  it('Should reject a malformed stored hash instead of throwing', async () => {
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
  });
});
