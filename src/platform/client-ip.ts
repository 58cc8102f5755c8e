/**
 * How the runtime finds the address of the client behind a request: per-address rate limits, session
 * and audit rows use it. Only the entry point picks one (AppDeps.clientIp), because the right rule
 * depends on what stands in front of the Worker, and a wrong one either hides every client behind one
 * address or lets a client choose its own.
 */
export type ClientIp = (request: Request) => string | null;

/** IPv4 or IPv6 text (hex digits, dots, colons), as proxies write it; anything else is not an address. */
const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

function address(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed && ADDRESS.test(trimmed) ? trimmed : null;
}

/**
 * Behind Cloudflare: `CF-Connecting-IP`, which Cloudflare's edge sets to the address it accepted the
 * connection from, replacing any copy the client sent. Null when absent (a request that did not come
 * through the edge, e.g. a test calling the app directly).
 */
export const cloudflareClientIp: ClientIp = (request) => address(request.headers.get('cf-connecting-ip'));

/**
 * Behind `trustedProxies` reverse proxies of your own (load balancer, ingress) on another runtime:
 * each proxy appends to `X-Forwarded-For` the address it received the connection from, so the last
 * `trustedProxies` entries were written by them, and the left-most of those, the `trustedProxies`-th
 * from the right, is the client as the outermost proxy saw it. Entries further left were sent by the
 * client and are ignored, so a forged `X-Forwarded-For: 1.2.3.4` cannot change the answer. Null when
 * the header has fewer entries than that (the request bypassed the proxies) or the entry is not an
 * address. Several `X-Forwarded-For` lines count as one list, in order.
 * @throws RangeError when `trustedProxies` is not a whole number of at least 1 (a misconfiguration
 * must stop the deploy, not trust the client).
 * @example trustedProxyClientIp(1) // 'X-Forwarded-For: 6.6.6.6, 198.51.100.7' → '198.51.100.7'
 */
export function trustedProxyClientIp(trustedProxies: number): ClientIp {
  if (!Number.isInteger(trustedProxies) || trustedProxies < 1) {
    throw new RangeError(`trustedProxies must be a whole number ≥ 1, got ${trustedProxies}`);
  }
  return (request) => {
    const hops = (request.headers.get('x-forwarded-for') ?? '').split(',');
    if (hops.length < trustedProxies || !hops.some((hop) => hop.trim())) return null;
    return address(hops[hops.length - trustedProxies]);
  };
}
