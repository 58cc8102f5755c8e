import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { cloudflareClientIp, trustedProxyClientIp } from '../../src/platform/client-ip';
import { client, db } from '../helpers';
import { STRONG_PASSWORD, userWithPassword } from '../support/auth';

const request = (headers: Record<string, string>) => new Request('http://localhost/', { headers });

describe('the Cloudflare rule', () => {
  it('Should read CF-Connecting-IP and nothing else', () => {
    expect(cloudflareClientIp(request({ 'cf-connecting-ip': '203.0.113.5' }))).toBe('203.0.113.5');
    expect(cloudflareClientIp(request({ 'cf-connecting-ip': '2001:db8::7' }))).toBe('2001:db8::7');
    expect(
      cloudflareClientIp(request({ 'cf-connecting-ip': '203.0.113.5', 'x-forwarded-for': '6.6.6.6, 203.0.113.5' })),
    ).toBe('203.0.113.5');
    expect(cloudflareClientIp(request({ 'x-forwarded-for': '203.0.113.5' }))).toBeNull();
    expect(cloudflareClientIp(request({ 'cf-connecting-ip': 'not an address' }))).toBeNull();
  });

  it('Should be what the app records for a sign-in, whatever X-Forwarded-For claims', async () => {
    const user = await userWithPassword();
    const res = await client().post('/api/v1/auth/login', {
      json: { email: user.email, password: STRONG_PASSWORD },
      headers: { 'cf-connecting-ip': '203.0.113.41', 'x-forwarded-for': '6.6.6.6' },
    });
    expect(res.status).toBe(200);
    expect((await db.select().from(sessions).where(eq(sessions.userId, user.id)).get())?.ip).toBe('203.0.113.41');
  });
});

describe('the trusted-proxy rule', () => {
  it('Should take the entry the nearest trusted proxies wrote, ignoring forged ones on the left', () => {
    const oneProxy = trustedProxyClientIp(1);
    expect(oneProxy(request({ 'x-forwarded-for': '198.51.100.7' }))).toBe('198.51.100.7');
    expect(oneProxy(request({ 'x-forwarded-for': '6.6.6.6, 7.7.7.7,198.51.100.7' }))).toBe('198.51.100.7');
    const twoProxies = trustedProxyClientIp(2);
    expect(twoProxies(request({ 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.0.0.2' }))).toBe('198.51.100.7');
    // Too few entries: the request did not come through both proxies, so nothing in it is trusted.
    expect(twoProxies(request({ 'x-forwarded-for': '198.51.100.7' }))).toBeNull();
    expect(oneProxy(request({}))).toBeNull();
    expect(oneProxy(request({ 'x-forwarded-for': '6.6.6.6, garbage' }))).toBeNull();
    // A client's own CF-Connecting-IP means nothing off Cloudflare.
    expect(oneProxy(request({ 'cf-connecting-ip': '6.6.6.6', 'x-forwarded-for': '198.51.100.7' }))).toBe(
      '198.51.100.7',
    );
  });

  it('Should refuse a proxy count that would trust the client', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => trustedProxyClientIp(bad)).toThrow(RangeError);
  });

  it('Should keep a client from escaping a per-address limit by forging left-most X-Forwarded-For entries', async () => {
    const api = client({ clientIp: trustedProxyClientIp(1), clock: fixedClock('2026-09-02T10:01:00Z') });
    const forged = (i: number) => ({ 'x-forwarded-for': `10.9.${i}.1, 192.0.2.${i}, 198.51.100.77` });
    const user = await userWithPassword();
    const signedIn = await api.post('/api/v1/auth/login', {
      json: { email: user.email, password: STRONG_PASSWORD },
      headers: forged(250),
    });
    expect(signedIn.status).toBe(200);
    expect((await db.select().from(sessions).where(eq(sessions.userId, user.id)).get())?.ip).toBe('198.51.100.77');

    // Passkey sign-in options: 30 a minute per address (no password hashing, so the loop is cheap).
    const options = (i: number) =>
      api.post('/api/v1/auth/passkeys/authenticate/options', { json: {}, headers: forged(i) });
    for (let i = 0; i < 30; i++) expect((await options(i)).status).toBe(200);
    const limited = await options(99);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    // Another client behind the same proxy is not affected.
    const other = await api.post('/api/v1/auth/passkeys/authenticate/options', {
      json: {},
      headers: { 'x-forwarded-for': '198.51.100.77, 198.51.100.78' },
    });
    expect(other.status).toBe(200);
  });
});
