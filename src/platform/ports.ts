import type { Db } from '../db/client';
import { type Env, environmentOf } from '../env';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/log';
import { type FileStorage, r2Storage } from './files';
import { cloudflareQueue, type JobQueue } from './jobs';
import { httpMailer, type Mailer, outboxMailer } from './mailer';
import { durableObjectRealtime, type RealtimePort } from './realtime';
import { outboxSms, type SmsSender, twilioSms } from './sms';

/** Everything a service may reach outside its own code. Only src/platform touches bindings and APIs. */
export interface Ports {
  mailer: Mailer;
  sms: SmsSender;
  storage: FileStorage;
  jobs: JobQueue;
  /** Pushes to users' open WebSockets (best effort; what matters is stored first). */
  realtime: RealtimePort;
  /** Outbound HTTP: the seam tests replace to assert what was sent. */
  fetch: typeof fetch;
}

export interface PortDeps {
  env: Env;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  fetch: typeof fetch;
}

function notConfigured(what: string, vars: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `${what} is not configured`, { details: { missing: vars } });
}

/**
 * Picks adapters for the environment: development and test deliver email and SMS to the D1 outbox;
 * production calls the providers and refuses to send when their secrets are missing.
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
    storage: r2Storage(env.FILES, deps.ids),
    jobs: cloudflareQueue(env.JOBS),
    realtime: durableObjectRealtime(env.USER_HUB, (err) =>
      deps.log.log('warn', 'realtime.notify failed', { error: String(err) }),
    ),
    fetch: deps.fetch,
  };
}
