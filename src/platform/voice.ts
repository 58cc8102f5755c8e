import type { Env } from '../env';
import { AppError } from '../lib/errors';
import { providerId } from './mailer';
import { type OutboxDeps, writeOutbox } from './outbox';
import { postToTwilio, type TwilioCredentials } from './sms';

/**
 * An outgoing call Twilio places: it rings `to` from the clinic's number and, once answered, fetches
 * the TwiML at `url` (which says what happens next, e.g. bridging another party).
 */
export interface OutgoingCall {
  to: string;
  /** The TwiML Twilio fetches when `to` answers (POST, signed). */
  url: string;
  /** Where Twilio posts the call's status changes (POST, signed). */
  statusCallback: string;
}

/** Port: places phone calls. Resolves once the provider accepted the call. */
export interface VoiceCaller {
  /** The number calls are placed from (the clinic's), or null when none is configured. */
  readonly from: string | null;
  /** False where calls cannot be placed (production without Twilio): `call` rejects. */
  readonly available: boolean;
  call(call: OutgoingCall): Promise<{ callSid: string | null }>;
}

/** The clinic's number calls are placed from: `TWILIO_VOICE_NUMBER`, else `TWILIO_FROM_NUMBER`. */
export function clinicVoiceNumber(env: Pick<Env, 'TWILIO_VOICE_NUMBER' | 'TWILIO_FROM_NUMBER'>): string | null {
  return env.TWILIO_VOICE_NUMBER?.trim() || env.TWILIO_FROM_NUMBER?.trim() || null;
}

/** Whether Twilio voice is configured here: the account, its auth token and a number to call from. */
export function twilioVoiceConfigured(env: Env): boolean {
  return Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && clinicVoiceNumber(env));
}

/**
 * Production adapter: Twilio's Calls REST API called with fetch, asking for status callbacks on every
 * step (initiated, ringing, answered, completed).
 */
export function twilioVoice(config: TwilioCredentials & { from: string }, fetcher: typeof fetch): VoiceCaller {
  return {
    from: config.from,
    available: true,
    async call(call) {
      const res = await postToTwilio(config, fetcher, 'Calls', {
        To: call.to,
        From: config.from,
        Url: call.url,
        Method: 'POST',
        StatusCallback: call.statusCallback,
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: 'initiated ringing answered completed',
      });
      if (!res.ok) {
        throw new AppError('SERVICE_UNAVAILABLE', 'The phone provider refused the call', {
          details: { providerStatus: res.status },
        });
      }
      return { callSid: await providerId(res, 'sid') };
    },
  };
}

/**
 * Development adapter (no Twilio configured): stores what Twilio would have been asked in the outbox
 * (GET /api/v1/dev/outbox), so the flow can be followed without a phone.
 */
export function outboxVoice(deps: OutboxDeps, from: string | null): VoiceCaller {
  return {
    from,
    available: true,
    async call(call) {
      await writeOutbox(deps, {
        channel: 'voice',
        recipient: call.to,
        subject: 'Masked call',
        body: `Twilio would ring ${call.to} from ${from ?? 'the clinic number'} and, once answered, fetch ${call.url}.`,
        data: { url: call.url, statusCallback: call.statusCallback, ...(from ? { from } : {}) },
      });
      return { callSid: null };
    },
  };
}
