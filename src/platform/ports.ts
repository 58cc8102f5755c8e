import type { Db } from '../db/client';
import { type Env, environmentOf } from '../env';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/log';
import type { FileStorage } from './files';
import type { JobQueue } from './jobs';
import { httpMailer, type Mailer, outboxMailer, type SendReceipt } from './mailer';
import type { RealtimePort } from './realtime';
import { outboxSms, type SmsSender, twilioSms } from './sms';

/** A push notification to one user's registered devices. */
export interface PushMessage {
  /** The FCM registration tokens of the recipient's devices (at least one). */
  tokens: string[];
  title: string;
  body: string;
  /** String key/values the app receives with the notification. */
  data: Record<string, string>;
}

/** Port: sends push notifications. Resolves once the provider accepted the message for some device. */
export interface PushSender {
  send(message: PushMessage): Promise<SendReceipt>;
}

/** Everything a service may reach outside its own code. Only src/platform touches bindings and APIs. */
export interface Ports {
  mailer: Mailer;
  sms: SmsSender;
  /**
   * Push notifications, when a push provider is configured. Until then it is absent and the
   * notification pipeline records every push delivery as skipped (`push-not-configured`).
   */
  push?: PushSender;
  storage: FileStorage;
  jobs: JobQueue;
  /** Pushes to users' open WebSockets (best effort; what matters is stored first). */
  realtime: RealtimePort;
  /** Outbound HTTP: the seam tests replace to assert what was sent. */
  fetch: typeof fetch;
}

/** The ports that rest on the runtime's own bindings: object storage, the job queue, socket pushes. */
export type BindingPorts = Pick<Ports, 'storage' | 'jobs' | 'realtime'>;

/**
 * Builds the binding ports of one unit of work from its bindings. The entry point supplies it
 * (src/runtime/cloudflare.ts: R2, Queues, Durable Objects), so nothing below the entry names a
 * runtime, and another runtime only brings its own adapters.
 */
export type PortAdapters = (env: Env, deps: { ids: IdGenerator; log: Logger }) => BindingPorts;

export interface PortDeps {
  env: Env;
  /** Where the development/test outbox is written: unmetered, as it stands in for an outside API. */
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  fetch: typeof fetch;
  adapters: PortAdapters;
}

function notConfigured(what: string, vars: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `${what} is not configured`, { details: { missing: vars } });
}

/**
 * The ports of one unit of work: storage, queue and pushes from the runtime's `adapters`; email and SMS
 * by environment (development and test deliver them to the D1 outbox; production calls the providers
 * over the injected `fetch` and refuses to send when their secrets are missing).
 */
export function createPorts(deps: PortDeps): Ports {
  const { env } = deps;
  const local = environmentOf(env) !== 'production';
  const mailer: Mailer = local
    ? outboxMailer(deps)
    : env.EMAIL_API_KEY && env.EMAIL_FROM
      ? httpMailer({ apiKey: env.EMAIL_API_KEY, from: env.EMAIL_FROM, url: env.EMAIL_API_URL }, deps.fetch)
      : { send: () => Promise.reject(notConfigured('Email', 'EMAIL_API_KEY, EMAIL_FROM')) };
  const sms: SmsSender = local
    ? outboxSms(deps)
    : env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM_NUMBER
      ? twilioSms(
          { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM_NUMBER },
          deps.fetch,
        )
      : {
          send: () => Promise.reject(notConfigured('SMS', 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER')),
        };
  return {
    mailer,
    sms,
    ...deps.adapters(env, { ids: deps.ids, log: deps.log }),
    fetch: deps.fetch,
  };
}
