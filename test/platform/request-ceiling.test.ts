/// <reference types="vite/client" />
import { env as testBindings } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../src/app';
import { users } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import {
  ceilingKeyOf,
  cloudflareRequestCeiling,
  memoryRequestCeiling,
  parseCeilingPolicy,
} from '../../src/platform/request-ceiling';
import { type ApiResponse, client, createUser, db, testEnv, tokenFor } from '../helpers';

const V1 = '/api/v1';

/** wrangler.toml as text (read by the bundler, not at run time). */
const WRANGLER_TOML = Object.values(
  import.meta.glob<string>('../../wrangler.toml', { query: '?raw', import: 'default', eager: true }),
)[0]!;

/** An address no other test uses, so the binding's counters (shared by the test run) start at zero. */
const freshAddress = () => `2001:db8:${crypto.getRandomValues(new Uint16Array(2)).join(':')}::1`;

const nameOf = async (id: string) => (await db.select().from(users).where(eq(users.id, id)).get())?.name;

function expectCeilingRefusal(res: ApiResponse, policy: string, retryAfter: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body.error).toEqual({ code: 'RATE_LIMITED', statusCode: 429 });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.headers.get('ratelimit-policy')).toBe(`"ceiling";${policy}`);
  expect(res.headers.get('ratelimit')).toBe(`"ceiling";r=0;t=${retryAfter}`);
  // Refused before any route: not one D1 round trip, so nothing read and nothing written.
  expect(res.headers.get(ROUND_TRIPS_HEADER)).toBe('0');
}

describe('the per-address request ceiling on the Cloudflare binding', () => {
  it('Should refuse an address past the limit with 429 and its headers, the refused change not stored', async () => {
    const api = client();
    const user = await createUser();
    const token = await tokenFor(user);
    const address = freshAddress();
    // The binding simulation with a limit of 3 a minute (vitest.config.ts), swapped in for these calls.
    const env = { REQUEST_CEILING: testBindings.REQUEST_CEILING_PROBE, REQUEST_CEILING_POLICY: '3/60' };
    const rename = (name: string, headers: Record<string, string> = { 'cf-connecting-ip': address }) =>
      api.patch(`${V1}/users/me`, { token, json: { name }, headers, env });

    // Its windows follow the wall clock, which a test cannot hold: a window may turn once during the
    // loop, so 7 tries (twice the limit, plus one) always meet a refusal.
    let admitted = 0;
    let refused: ApiResponse | undefined;
    for (let i = 1; i <= 7 && !refused; i++) {
      const res = await rename(`Name ${i}`);
      if (res.status === 429) refused = res;
      else {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        admitted = i;
      }
    }
    expect(admitted).toBeGreaterThanOrEqual(3);
    expectCeilingRefusal(refused!, 'q=3;w=60', 60);
    expect(refused!.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await nameOf(user.id)).toBe(`Name ${admitted}`);

    // Another address has its own budget, and a request whose address is unknown is not counted.
    expect((await rename('From elsewhere', { 'cf-connecting-ip': freshAddress() })).status).toBe(200);
    expect((await rename('No address', {})).status).toBe(200);
    expect(await nameOf(user.id)).toBe('No address');
  });

  it("Should run every test under wrangler.toml's own ceiling, the same in every environment", () => {
    // The suite's many requests come from no address or a few per test: far below 1200 a minute.
    expect(testEnv.REQUEST_CEILING).toBeDefined();
    expect(testEnv.REQUEST_CEILING_POLICY).toBe('1200/60');
    expect(cloudflareRequestCeiling(testEnv)?.policy).toEqual({ limit: 1200, periodSeconds: 60 });

    // Each environment's binding and the policy it advertises agree (the headers restate the binding).
    const bindings = [
      ...WRANGLER_TOML.matchAll(
        /\[\[(env\.\w+\.)?ratelimits\]\]\s*name = "REQUEST_CEILING"\s*namespace_id = "\d+"\s*simple = \{ limit = (\d+), period = (\d+) \}/g,
      ),
    ].map((m) => [m[1] ?? '', `${m[2]}/${m[3]}`]);
    const policies = [...WRANGLER_TOML.matchAll(/^REQUEST_CEILING_POLICY = "([^"]+)"/gm)].map((m) => m[1]);
    expect(bindings).toEqual([
      ['', '1200/60'],
      ['env.production.', '1200/60'],
    ]);
    expect(policies).toEqual(['1200/60', '1200/60']);
  });

  it('Should switch off with "off" and refuse a policy the binding cannot have', () => {
    expect(cloudflareRequestCeiling({ ...testEnv, REQUEST_CEILING_POLICY: 'off' })).toBeNull();
    expect(
      cloudflareRequestCeiling({ ...testEnv, REQUEST_CEILING: undefined, REQUEST_CEILING_POLICY: undefined }),
    ).toBe(null);
    expect(parseCeilingPolicy(' 600/10 ')).toEqual({ limit: 600, periodSeconds: 10 });
    for (const bad of [undefined, '', '1200', '1200/30', '0/60', '-5/60', 'lots/60', '1200/60s']) {
      expect(() => parseCeilingPolicy(bad), String(bad)).toThrow(RangeError);
    }
    // Half a configuration is a mistake, not a ceiling that is off.
    expect(() => cloudflareRequestCeiling({ ...testEnv, REQUEST_CEILING_POLICY: undefined })).toThrow(RangeError);
    expect(() => cloudflareRequestCeiling({ ...testEnv, REQUEST_CEILING: undefined })).toThrow(RangeError);
  });
});

describe('the request ceiling in memory (other runtimes), on the injected clock', () => {
  const setup = (limit: number) => {
    const clock = fixedClock('2026-05-04T10:00:05Z');
    const ceiling = memoryRequestCeiling({ limit, periodSeconds: 10 }, clock);
    const api = client({ clock, requestCeiling: () => ceiling });
    const from = (address: string) => ({ headers: { 'cf-connecting-ip': address } });
    return { clock, api, from };
  };

  it('Should count fixed windows per address and answer the exact wait', async () => {
    const { clock, api, from } = setup(2);
    const list = (address: string) => api.get(`${V1}/specializations`, from(address));
    expect((await list('198.51.100.1')).status).toBe(200);
    expect((await list('198.51.100.1')).status).toBe(200);
    expectCeilingRefusal(await list('198.51.100.1'), 'q=2;w=10', 5);
    // Unknown paths count too, and are refused the same way.
    expectCeilingRefusal(await api.get(`${V1}/no-such-route`, from('198.51.100.1')), 'q=2;w=10', 5);
    expect((await list('198.51.100.2')).status).toBe(200);
    clock.advance(4_000);
    expectCeilingRefusal(await list('198.51.100.1'), 'q=2;w=10', 1);
    clock.advance(1_000);
    expect((await list('198.51.100.1')).status).toBe(200);
  });

  it('Should answer health checks whatever the address used, without counting them', async () => {
    const { api, from } = setup(1);
    const address = from('203.0.113.9');
    for (let i = 0; i < 3; i++) expect((await api.get('/health', address)).status).toBe(200);
    expect((await api.get(`${V1}/specializations`, address)).status).toBe(200);
    expect((await api.get('/health', address)).status).toBe(200);
    expect((await api.get(`${V1}/specializations`, address)).status).toBe(429);
  });

  it('Should count an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', async () => {
    const { api, from } = setup(1);
    expect((await api.get(`${V1}/specializations`, from('2001:db8:0:7::1'))).status).toBe(200);
    expect((await api.get(`${V1}/specializations`, from('2001:DB8:0:7:ffff::2'))).status).toBe(429);
    expect((await api.get(`${V1}/specializations`, from('2001:db8:0:8::1'))).status).toBe(200);
    expect((await api.get(`${V1}/specializations`, from('192.0.2.4'))).status).toBe(200);
    expect((await api.get(`${V1}/specializations`, from('::ffff:192.0.2.4'))).status).toBe(429);

    expect(ceilingKeyOf('2001:0db8:0000:0007:0000:0000:0000:0001')).toBe('2001:db8:0:7::/64');
    expect(ceilingKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ceilingKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(ceilingKeyOf('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    expect(ceilingKeyOf('203.0.113.5')).toBe('203.0.113.5');
  });
});
