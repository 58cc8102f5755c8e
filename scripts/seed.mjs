// Loads the development demo data into the local D1 database (wrangler d1 execute --local).
// Idempotent: every insert is ON CONFLICT DO NOTHING, so running it again adds no rows.
// Password hashes use the same scrypt format as src/lib/password.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';

export const DEMO_PASSWORD = 'Kinwell-dev-2026!';
const N = 16384;
const r = 8;
const p = 5;

function hashPassword(password) {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const q = (value) => (value === null || value === undefined ? 'NULL' : `'${String(value).replace(/'/g, "''")}'`);

/** Demo accounts: all verified, no 2FA, password DEMO_PASSWORD. Fixed ids make the docs reproducible. */
export const DEMO_ACCOUNTS = [
  {
    id: 'usr_01DEMD0SUPERADM1N000000000',
    email: 'superadmin@kinwell.local',
    name: 'Sam Superadmin',
    role: 'superadmin',
  },
  { id: 'usr_01DEMD0ADM1N00000000000000', email: 'admin@kinwell.local', name: 'Ada Admin', role: 'admin' },
  {
    id: 'usr_01DEMD0MANAGER000000000000',
    email: 'manager@kinwell.local',
    name: 'Max Manager',
    role: 'admin',
    subRoles: ['appointment-manager'],
  },
  { id: 'usr_01DEMD0D0CT0R0000000000000', email: 'doctor@kinwell.local', name: 'Dr. Dana Doctor', role: 'doctor' },
  {
    id: 'usr_01DEMD0RECEPT10N0000000000',
    email: 'receptionist@kinwell.local',
    name: 'Rey Receptionist',
    role: 'receptionist',
  },
  { id: 'usr_01DEMD0CAREG1VER0000000000', email: 'caregiver@kinwell.local', name: 'Cara Caregiver', role: 'caregiver' },
  {
    id: 'usr_01DEMD0PAT1ENT000000000000',
    email: 'patient@kinwell.local',
    name: 'Pat Patient',
    role: 'user',
    mobileNumber: '+14155550123',
  },
];

export function seedSql(now = Date.now()) {
  const statements = DEMO_ACCOUNTS.map((a) => {
    const verified = a.role === 'doctor' || a.role === 'caregiver' ? now : null;
    return `INSERT INTO users (id, email, mobile_number, name, password_hash, role, sub_roles, status, verified_at, email_verified_at, mobile_verified_at, token_version, created_at, updated_at)
VALUES (${q(a.id)}, ${q(a.email)}, ${q(a.mobileNumber)}, ${q(a.name)}, ${q(hashPassword(DEMO_PASSWORD))}, ${q(a.role)}, ${q(JSON.stringify(a.subRoles ?? []))}, 'active', ${verified ?? 'NULL'}, ${now}, ${a.mobileNumber ? now : 'NULL'}, 0, ${now}, ${now})
ON CONFLICT DO NOTHING;`;
  });
  return `${statements.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(new URL('../.wrangler/', import.meta.url), { recursive: true });
  const file = new URL('../.wrangler/seed.sql', import.meta.url);
  writeFileSync(file, seedSql());
  execFileSync('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--file', file.pathname], { stdio: 'inherit' });
  console.log(`Seeded ${DEMO_ACCOUNTS.length} demo accounts (password ${DEMO_PASSWORD}).`);
}
