import type { ServiceContext } from '../../context';
import { AppError } from '../../lib/errors';
import { cloudflareTurn, type IceServer, STUN_SERVERS, TURN_TTL_SECONDS } from '../../platform/turn';

export interface IceServersView {
  iceServers: IceServer[];
  ttlSeconds: number;
}

/**
 * The ICE servers a client configures its peer connection with. Without TURN_KEY_ID and
 * TURN_KEY_API_TOKEN: Cloudflare's public STUN server only, in every environment. With them: fresh
 * credentials from Cloudflare Realtime TURN (over the injected fetch). When the provider fails the
 * client still gets STUN (most peers connect without a relay) and the failure is logged: a call that
 * might need a relay beats no call at all.
 */
export async function iceServers(ctx: ServiceContext): Promise<IceServersView> {
  const { TURN_KEY_ID: keyId, TURN_KEY_API_TOKEN: apiToken } = ctx.env;
  if (!keyId || !apiToken) return { iceServers: STUN_SERVERS, ttlSeconds: TURN_TTL_SECONDS };
  try {
    const servers = await cloudflareTurn({ keyId, apiToken }, ctx.ports.fetch).iceServers(TURN_TTL_SECONDS);
    return { iceServers: servers, ttlSeconds: TURN_TTL_SECONDS };
  } catch (err) {
    ctx.log.log('warn', 'calls.turn_failed', {
      error: err instanceof Error ? err.message : String(err),
      ...(err instanceof AppError ? { details: err.details } : {}),
    });
    return { iceServers: STUN_SERVERS, ttlSeconds: TURN_TTL_SECONDS };
  }
}
