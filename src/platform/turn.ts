import { AppError } from '../lib/errors';

/** One entry of `RTCConfiguration.iceServers`: a STUN server, or a TURN server with its credentials. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** Cloudflare's public STUN server: what every client gets without TURN (and when the provider fails). */
export const STUN_SERVERS: IceServer[] = [{ urls: ['stun:stun.cloudflare.com:3478'] }];

/** How long TURN credentials are asked to live, in seconds (Cloudflare's example value: a day). */
export const TURN_TTL_SECONDS = 86_400;

/** Port: short-lived ICE servers (STUN and TURN with credentials) for one client. */
export interface TurnProvider {
  /** @throws AppError SERVICE_UNAVAILABLE when the provider refuses or answers something unusable */
  iceServers(ttlSeconds: number): Promise<IceServer[]>;
}

export interface CloudflareTurnConfig {
  keyId: string;
  apiToken: string;
  /** The API base; tests and other regions keep the default. */
  baseUrl?: string;
}

const asList = (urls: unknown): string[] | null =>
  typeof urls === 'string'
    ? [urls]
    : Array.isArray(urls) && urls.every((u) => typeof u === 'string')
      ? (urls as string[])
      : null;

/**
 * Cloudflare Realtime TURN: `POST /v1/turn/keys/{keyId}/credentials/generate-ice-servers` with the
 * key's API token and `{ ttl }`, answered (201) with `{ iceServers: [{ urls, username?, credential? }] }`,
 * passed on as it came (each `urls` made a list).
 */
export function cloudflareTurn(config: CloudflareTurnConfig, fetcher: typeof fetch): TurnProvider {
  const base = config.baseUrl ?? 'https://rtc.live.cloudflare.com';
  return {
    async iceServers(ttlSeconds) {
      const url = `${base}/v1/turn/keys/${encodeURIComponent(config.keyId)}/credentials/generate-ice-servers`;
      const res = await fetcher(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ttl: ttlSeconds }),
      });
      if (!res.ok) {
        throw new AppError('SERVICE_UNAVAILABLE', 'The TURN provider refused', { details: { status: res.status } });
      }
      const body = (await res.json().catch(() => null)) as { iceServers?: unknown } | null;
      const servers = Array.isArray(body?.iceServers) ? body.iceServers : [];
      const parsed: IceServer[] = [];
      for (const entry of servers as Record<string, unknown>[]) {
        const urls = asList(entry?.urls);
        if (!urls) continue;
        parsed.push({
          urls,
          ...(typeof entry.username === 'string' ? { username: entry.username } : {}),
          ...(typeof entry.credential === 'string' ? { credential: entry.credential } : {}),
        });
      }
      if (parsed.length === 0) throw new AppError('SERVICE_UNAVAILABLE', 'The TURN provider answered no ICE servers');
      return parsed;
    },
  };
}
