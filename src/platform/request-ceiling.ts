import type { Env } from '../env';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';

/**
 * The per-address request ceiling of the whole API: a flood guard, not a quota. Every request counts
 * against its client's address, and an address past `limit` requests in `periodSeconds` is refused
 * 429 RATE_LIMITED until the period ends. Nothing is written to D1: counting is the runtime's
 * (Cloudflare's rate-limiting binding, or memory). The finer per-action limits (sign-in, codes) stay
 * in rate-limit.ts.
 */
export interface CeilingPolicy {
  /** Requests one address may make per period. */
  limit: number;
  /** The period in seconds: 10 or 60, the only ones Cloudflare's binding takes. */
  periodSeconds: 10 | 60;
}

/** What counting one request answered. */
export type CeilingVerdict = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/** The port: counts one request under `key` (no D1 involved) and says whether it is within the policy. */
export interface RequestCeiling {
  readonly policy: CeilingPolicy;
  hit(key: string): Promise<CeilingVerdict>;
}

/**
 * The ceiling a unit of work runs under, built from its env; null when there is none (switched off).
 * The entry point picks it (AppDeps.requestCeiling), so another runtime brings its own counter.
 */
export type RequestCeilingAdapter = (env: Env) => RequestCeiling | null;

const POLICY = /^(\d{1,7})\/(10|60)$/;

/**
 * Reads `REQUEST_CEILING_POLICY`: `<limit>/<period seconds>` (e.g. `1200/60`; period 10 or 60), or
 * `off`. Null for `off`.
 * @throws RangeError for anything else: a typo must neither drop the ceiling silently nor invent one.
 */
export function parseCeilingPolicy(value: string | undefined): CeilingPolicy | null {
  const text = value?.trim();
  if (text === 'off') return null;
  const match = text ? POLICY.exec(text) : null;
  const limit = Number(match?.[1]);
  if (!match || limit < 1) {
    throw new RangeError(`REQUEST_CEILING_POLICY must be "<limit>/10", "<limit>/60" or "off", got ${value}`);
  }
  return { limit, periodSeconds: Number(match[2]) as 10 | 60 };
}

/**
 * Cloudflare's rate-limiting binding as the ceiling. The binding keeps its counters at the edge
 * location (no storage write, no network hop of ours) and enforces the limit and period set in
 * wrangler.toml; `policy` repeats them for the response headers. It answers only yes or no, so a
 * refusal's Retry-After is the whole period: the longest the window that refused can still run.
 */
export function bindingRequestCeiling(binding: RateLimit, policy: CeilingPolicy): RequestCeiling {
  return {
    policy,
    async hit(key) {
      const { success } = await binding.limit({ key });
      return success ? { admitted: true } : { admitted: false, retryAfterSeconds: policy.periodSeconds };
    },
  };
}

/**
 * The Worker's ceiling: the `REQUEST_CEILING` binding with the policy `REQUEST_CEILING_POLICY` states;
 * null when the policy is `off`, or when neither is configured.
 * @throws RangeError when only one of the two is configured, or the policy is malformed
 */
export const cloudflareRequestCeiling: RequestCeilingAdapter = (env) => {
  if (env.REQUEST_CEILING_POLICY === undefined && !env.REQUEST_CEILING) return null;
  const policy = parseCeilingPolicy(env.REQUEST_CEILING_POLICY);
  if (!policy) return null;
  if (!env.REQUEST_CEILING) {
    throw new RangeError('REQUEST_CEILING_POLICY is set but the REQUEST_CEILING rate-limiting binding is missing');
  }
  return bindingRequestCeiling(env.REQUEST_CEILING, policy);
};

/**
 * A ceiling counted in this process's memory, in fixed windows of the injected clock: for a runtime
 * without Cloudflare's binding (one Bun or Deno process; several processes each count their own) and
 * for tests. Keep one instance for the process: a new one starts every count at zero. Memory holds
 * only the current window's addresses.
 */
export function memoryRequestCeiling(policy: CeilingPolicy, clock: Clock): RequestCeiling {
  const periodMs = policy.periodSeconds * 1000;
  let windowStart = Number.NaN;
  const counts = new Map<string, number>();
  return {
    policy,
    async hit(key) {
      const now = clock.now().getTime();
      const start = now - (now % periodMs);
      if (start !== windowStart) {
        windowStart = start;
        counts.clear();
      }
      const used = counts.get(key) ?? 0;
      if (used >= policy.limit) {
        return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((start + periodMs - now) / 1000)) };
      }
      counts.set(key, used + 1);
      return { admitted: true };
    },
  };
}

/** Hex groups of an IPv6 address written out (a dotted IPv4 tail counts as two). */
function ipv6Groups(ip: string): string[] {
  const groupsOf = (part: string) =>
    part ? part.split(':').flatMap((group) => (group.includes('.') ? ['v4', 'v4'] : [group])) : [];
  const [head = '', tail, ...rest] = ip.split('::');
  if (tail === undefined || rest.length) return groupsOf(head);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
}

/**
 * The key an address counts under: an IPv4 address as it is; an IPv6 address by its /64 network,
 * because one subscriber (a phone, a home) holds a whole /64 and could take a fresh address for every
 * request; an IPv4-mapped IPv6 address as its IPv4 address.
 * @example ceilingKeyOf('2001:db8:0:7::1') // '2001:db8:0:7::/64'
 */
export function ceilingKeyOf(ip: string): string {
  const address = ip.toLowerCase();
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1]!;
  const network = ipv6Groups(address)
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16));
  return `${network.join(':')}::/64`;
}

/**
 * Counts one request of the client at `ip` against `ceiling`. Nothing is counted without a ceiling, or
 * for a request whose address cannot be told (null: keying those together would refuse every such
 * client at once; behind Cloudflare every request has one).
 * @throws AppError RATE_LIMITED with `retryAfter` and the ceiling's policy (`RateLimit-Policy`,
 *   `RateLimit`) once the address passed its limit this period
 */
export async function enforceRequestCeiling(ceiling: RequestCeiling | null, ip: string | null): Promise<void> {
  if (!ceiling || !ip) return;
  const verdict = await ceiling.hit(ceilingKeyOf(ip));
  if (verdict.admitted) return;
  throw new AppError('RATE_LIMITED', 'Too many requests from this address; slow down and retry later', {
    retryAfter: verdict.retryAfterSeconds,
    rateLimit: { name: 'ceiling', quota: ceiling.policy.limit, windowSeconds: ceiling.policy.periodSeconds },
  });
}
