import type { Db } from '../db/client';
import { devOutbox } from '../db/schema';
import type { Clock } from '../lib/clock';
import type { IdGenerator } from '../lib/ids';

export interface OutboxEntry {
  channel: 'email' | 'sms';
  recipient: string;
  subject?: string;
  body: string;
  html?: string;
}

/** Development/test delivery: stores a message in D1 where GET /api/v1/dev/outbox shows it. */
export interface OutboxDeps {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
}

export function writeOutbox(deps: OutboxDeps, entry: OutboxEntry): Promise<unknown> {
  return deps.db.insert(devOutbox).values({
    id: deps.ids.id('msg'),
    channel: entry.channel,
    recipient: entry.recipient,
    subject: entry.subject ?? null,
    body: entry.body,
    html: entry.html ?? null,
    createdAt: deps.clock.now().getTime(),
  });
}
