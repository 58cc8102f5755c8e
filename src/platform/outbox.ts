import type { Db } from '../db/client';
import { devOutbox, type OutboxAttachment, type OutboxChannel } from '../db/schema';
import type { Clock } from '../lib/clock';
import type { IdGenerator } from '../lib/ids';

export interface OutboxEntry {
  channel: OutboxChannel;
  recipient: string;
  subject?: string;
  body: string;
  html?: string;
  attachments?: OutboxAttachment[];
  data?: Record<string, string>;
}

/** Development/test delivery: stores a message in D1 where GET /api/v1/dev/outbox shows it. */
export interface OutboxDeps {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Stores `entry` and resolves to its id (`msg_…`, what a provider's message id stands for), which
 * GET /api/v1/dev/outbox/{id} renders.
 */
export async function writeOutbox(deps: OutboxDeps, entry: OutboxEntry): Promise<string> {
  const id = deps.ids.id('msg');
  await deps.db.insert(devOutbox).values({
    id,
    channel: entry.channel,
    recipient: entry.recipient,
    subject: entry.subject ?? null,
    body: entry.body,
    html: entry.html ?? null,
    attachments: entry.attachments?.length ? entry.attachments : null,
    data: entry.data && Object.keys(entry.data).length ? entry.data : null,
    createdAt: deps.clock.now().getTime(),
  });
  return id;
}
