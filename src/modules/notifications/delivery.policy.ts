import type { DeliveryRow, NotificationChannel } from '../../db/schema';
import type { RecipientContact } from '../users/recipients.service';
import { FINAL_STATUSES } from './ledger';

/**
 * What an attempt does with each channel of one notice to one recipient. Pure: decided from what the
 * attempt read; the ledger's conditional writes make the decision safe against a racing attempt.
 */
export type ChannelAction =
  /** Nothing to do: the channel is final, or left alone (failed, or outside a re-drive). */
  | { action: 'done' }
  /** Another attempt holds the lease: retry later. */
  | { action: 'busy' }
  | { action: 'skip'; reason: SkipReason }
  | { action: 'send' };

export type SkipReason = 'preference-off' | 'no-email' | 'no-phone' | 'no-device' | 'push-not-configured';

export interface ChannelFacts {
  channel: NotificationChannel;
  /** The channel's ledger row, if the key has one. */
  existing: Pick<DeliveryRow, 'status' | 'claimedUntil'> | undefined;
  /** The recipient's preference for the notice's kind on this channel. */
  enabled: boolean;
  contact: Pick<RecipientContact, 'email' | 'mobileNumber'>;
  /** How many push devices the recipient has registered. */
  devices: number;
  pushConfigured: boolean;
  /** The channels of an admin's re-drive, when this attempt is one. */
  redrive: readonly NotificationChannel[] | undefined;
  now: number;
}

/** Why a channel cannot carry the notice to this recipient, or null when it can. */
function unreachable(facts: ChannelFacts): SkipReason | null {
  if (!facts.enabled) return 'preference-off';
  switch (facts.channel) {
    case 'email':
      return facts.contact.email ? null : 'no-email';
    case 'sms':
      return facts.contact.mobileNumber ? null : 'no-phone';
    case 'push':
      if (!facts.pushConfigured) return 'push-not-configured';
      return facts.devices > 0 ? null : 'no-device';
    default:
      return null;
  }
}

/**
 * The action for one channel: a final row is done; a failed one is done unless re-driven; a leased one
 * is busy; otherwise a turned-off channel or a missing address is skipped (the provider never called)
 * and the rest is sent.
 */
export function planChannel(facts: ChannelFacts): ChannelAction {
  const { existing, redrive } = facts;
  if (redrive && !redrive.includes(facts.channel)) return { action: 'done' };
  if (existing) {
    if ((FINAL_STATUSES as readonly string[]).includes(existing.status)) return { action: 'done' };
    if (existing.status === 'failed' && !redrive) return { action: 'done' };
    if (existing.claimedUntil !== null && existing.claimedUntil > facts.now) return { action: 'busy' };
  }
  const reason = unreachable(facts);
  return reason ? { action: 'skip', reason } : { action: 'send' };
}
