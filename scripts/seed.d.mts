// Types of scripts/seed.mjs for the end-to-end checks.
export interface DemoAccount {
  id: string;
  email: string;
  name: string;
  role: string;
  subRoles?: string[];
  mobileNumber?: string;
  status?: 'pending';
}
export const DEMO_PASSWORD: string;
export const DEMO_ACCOUNTS: DemoAccount[];
export function seedSql(now?: number): string;
