import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  loginChallenges,
  oneTimeCodes,
  passkeys,
  realtimeTickets,
  recoveryCodes,
  refreshTokens,
  sessions,
  userMfa,
  webauthnChallenges,
} from '../../db/schema';

/**
 * The auth module's part of an account erasure (both modes): every credential and sign-in trace of
 * the account goes, so nothing it held still opens a session or a socket. Its sessions, their refresh
 * tokens and socket tickets, its one-time codes and pending sign-in challenges, its second factors
 * (TOTP, recovery codes) and passkeys.
 */
export function authErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
      db.delete(passkeys).where(eq(passkeys.userId, userId)),
      db.delete(userMfa).where(eq(userMfa.userId, userId)),
      db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
      db.delete(oneTimeCodes).where(eq(oneTimeCodes.userId, userId)),
      db.delete(loginChallenges).where(eq(loginChallenges.userId, userId)),
      db.delete(webauthnChallenges).where(eq(webauthnChallenges.userId, userId)),
      db.delete(realtimeTickets).where(eq(realtimeTickets.userId, userId)),
      db.delete(refreshTokens).where(eq(refreshTokens.userId, userId)),
      db.delete(sessions).where(eq(sessions.userId, userId)),
    ],
  };
}
