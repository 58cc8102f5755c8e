import type { Db } from '../db/client';
import { type Env, environmentOf } from '../env';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/log';
import { type LanguageModel, workersAiModel } from './ai';
import type { FileStorage } from './files';
import type { JobQueue } from './jobs';
import { httpMailer, type Mailer, outboxMailer } from './mailer';
import { localPayments, type PaymentProvider, stripePayments, unconfiguredPayments } from './payments';
import { fcmPush, outboxPush, type PushSender } from './push';
import type { RealtimePort } from './realtime';
import { outboxSms, type SmsSender, twilioSms, twilioStatusCallbackUrl } from './sms';
import { clinicVoiceNumber, outboxVoice, twilioVoice, twilioVoiceConfigured, type VoiceCaller } from './voice';

/** Everything a service may reach outside its own code. Only src/platform touches bindings and APIs. */
export interface Ports {
  mailer: Mailer;
  sms: SmsSender;
  /** Outgoing phone calls (Twilio voice; the outbox in development without Twilio). */
  voice: VoiceCaller;
  /** Push notifications to devices (FCM). */
  push: PushSender;
  /** The payment provider (Stripe; the local checkout page in development without a key). */
  payments: PaymentProvider;
  storage: FileStorage;
  jobs: JobQueue;
  /** Pushes to users' open WebSockets (best effort; what matters is stored first). */
  realtime: RealtimePort;
  /** Outbound HTTP: the seam tests replace to assert what was sent. */
  fetch: typeof fetch;
  /** The schedule bot's language model (Workers AI); null without an AI binding. */
  ai: LanguageModel | null;
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

/**
 * Whether push notifications can be sent here: always in development and tests (the outbox), in
 * production once FCM's service account is set. The notification pipeline skips push otherwise.
 */
export function pushConfigured(env: Env): boolean {
  return environmentOf(env) !== 'production' || Boolean(env.FCM_SERVICE_ACCOUNT);
}

function notConfigured(what: string, vars: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `${what} is not configured`, { details: { missing: vars } });
}

/**
 * The ports of one unit of work: storage, queue and socket pushes from the runtime's `adapters`; email,
 * SMS and push notifications by environment (development and test deliver them to the D1 outbox;
 * production calls the providers over the injected `fetch` and refuses to send when their secrets are
 * missing); payments through Stripe when its key is set, else the local checkout page outside
 * production, else refused.
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
          {
            accountSid: env.TWILIO_ACCOUNT_SID,
            authToken: env.TWILIO_AUTH_TOKEN,
            from: env.TWILIO_FROM_NUMBER,
            statusCallback: twilioStatusCallbackUrl(env.PUBLIC_URL),
          },
          deps.fetch,
        )
      : {
          send: () => Promise.reject(notConfigured('SMS', 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER')),
        };
  const push: PushSender = local
    ? outboxPush(deps)
    : pushConfigured(env) && env.FCM_SERVICE_ACCOUNT
      ? fcmPush({ serviceAccount: env.FCM_SERVICE_ACCOUNT, projectId: env.FCM_PROJECT_ID }, deps)
      : { send: () => Promise.reject(notConfigured('Push', 'FCM_SERVICE_ACCOUNT')) };
  const voiceFrom = clinicVoiceNumber(env);
  const voice: VoiceCaller =
    twilioVoiceConfigured(env) && voiceFrom
      ? twilioVoice(
          { accountSid: env.TWILIO_ACCOUNT_SID!, authToken: env.TWILIO_AUTH_TOKEN!, from: voiceFrom },
          deps.fetch,
        )
      : local
        ? outboxVoice(deps, voiceFrom)
        : {
            from: voiceFrom,
            available: false,
            call: () =>
              Promise.reject(
                notConfigured(
                  'Voice calls',
                  'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VOICE_NUMBER or TWILIO_FROM_NUMBER',
                ),
              ),
          };
  const paymentsConfig = {
    secretKey: env.STRIPE_SECRET_KEY,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    localCheckoutBase: env.PUBLIC_URL,
  };
  const payments: PaymentProvider = env.STRIPE_SECRET_KEY
    ? stripePayments({ ...paymentsConfig, secretKey: env.STRIPE_SECRET_KEY }, deps.fetch)
    : local
      ? localPayments(paymentsConfig)
      : unconfiguredPayments(paymentsConfig);
  return {
    mailer,
    sms,
    voice,
    push,
    payments,
    ...deps.adapters(env, { ids: deps.ids, log: deps.log }),
    fetch: deps.fetch,
    ai: workersAiModel(env.AI, env.BOT_MODEL),
  };
}
