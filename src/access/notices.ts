import type { ServiceContext } from '../context';
import type { NotificationChannel, NotificationKind, NotificationType } from '../db/schema';
import type { NoticeTemplate, NoticeTemplates } from '../lib/email/notice-templates';
import type { Job } from '../platform/jobs';

/**
 * The one entry point of every notice (appointment changes, reminders, security events, announcements):
 * `notify` only enqueues, one job per recipient; the queue consumer (`deliverNotice`) decides the
 * channels by the recipient's preferences and delivers each exactly once. No provider is ever called
 * inside a request.
 */

/** Queue job types of the pipeline. */
export const NOTIFY_DELIVER = 'notify.deliver';
export const NOTIFY_BROADCAST = 'notify.broadcast';

/** What a notice is about: part of every delivery's unique key. */
export interface NoticeSubject {
  /** `appointment`, `dose`, `vaccine-schedule`, `broadcast`, `account`, … */
  type: string;
  id: string;
}

/** One notice, as it travels in a queue job. */
export interface Notice<T extends NoticeTemplate = NoticeTemplate> {
  /** Which notice of the subject (`appointment.booked`, `reminder.24h`, `broadcast`): part of the key. */
  kind: string;
  /** The inbox type. */
  type: NotificationType;
  /** The preference row (channel × kind) that decides each channel. */
  preference: NotificationKind;
  template: T;
  /** What the text is rendered from; the inbox row keeps it for the client (ids, values; no clinical text). */
  data: NoticeTemplates[T];
  subject: NoticeSubject;
  /**
   * The address the email goes to instead of the account's: only for security notices
   * (`SECURITY_TEMPLATES`), e.g. the old address an email change leaves, which is no longer the account's.
   */
  to?: { email: string };
  /**
   * Channels sent whatever the recipient's preferences say (an urgent care alert); for an emergency
   * contact, the only channels (they have no preferences, and no inbox).
   */
  channels?: NotificationChannel[];
}

/** The payload of a `notify.deliver` job: one notice to one recipient. */
export interface DeliverPayload {
  recipientId: string;
  notice: Notice;
  /**
   * An admin's re-drive: only these channels are attempted, and their `failed` deliveries may be
   * claimed again. Without it, a failed delivery stays failed.
   */
  redrive?: NotificationChannel[];
  /**
   * `emergency-contact`: `recipientId` names a row of `emergency_contacts` (not an account): the notice
   * goes to its email and phone, and by push to the account with the same verified email or number.
   */
  recipientKind?: 'emergency-contact';
}

/** The inbox type's preference kind, unless a notice names its own (`custom` counts as `system`). */
export const PREFERENCE_OF_TYPE: Record<NotificationType, NotificationKind> = {
  appointment: 'appointments',
  reminder: 'reminders',
  medication: 'medication',
  system: 'system',
  custom: 'system',
};

export interface NotifyInput<T extends NoticeTemplate> {
  recipients: readonly string[];
  kind: string;
  type: NotificationType;
  template: T;
  data: NoticeTemplates[T];
  subject: NoticeSubject;
  /** Defaults to PREFERENCE_OF_TYPE[type]. */
  preference?: NotificationKind;
  /** See `Notice.to`: security notices only (a job naming an address otherwise is refused). */
  to?: { email: string };
  /** See `Notice.channels`. */
  channels?: NotificationChannel[];
  /** See `DeliverPayload.recipientKind`. */
  recipientKind?: 'emergency-contact';
}

/** The `notify.deliver` jobs of a notice, one per distinct recipient. */
export function deliverJobs<T extends NoticeTemplate>(input: NotifyInput<T>): Job<DeliverPayload>[] {
  const notice: Notice = {
    kind: input.kind,
    type: input.type,
    preference: input.preference ?? PREFERENCE_OF_TYPE[input.type],
    template: input.template,
    data: input.data,
    subject: input.subject,
    ...(input.to ? { to: input.to } : {}),
    ...(input.channels ? { channels: input.channels } : {}),
  };
  return [...new Set(input.recipients)].map((recipientId) => ({
    type: NOTIFY_DELIVER,
    payload: { recipientId, notice, ...(input.recipientKind ? { recipientKind: input.recipientKind } : {}) },
  }));
}

/**
 * Enqueues a notice for its recipients and resolves once the queue took it: for cron tasks and queue
 * consumers, whose own retry covers a failed enqueue.
 */
export async function enqueueNotice<T extends NoticeTemplate>(ctx: ServiceContext, input: NotifyInput<T>) {
  await ctx.ports.jobs.enqueue(deliverJobs(input));
}

/** A `NotifyInput` of any template, its data matching it. */
export type AnyNotifyInput = { [T in NoticeTemplate]: NotifyInput<T> }[NoticeTemplate];

/**
 * Sends notices from a request: enqueued after the response (`ctx.defer`, one enqueue for all of them),
 * off the critical path, so a request never waits for, nor fails with, the queue or a provider, and
 * adds no D1 round trip. Exactly once per (subject, kind, recipient, channel), however often it is called.
 * @example notify(ctx, { recipients: [patientId], kind: 'appointment.confirmed', type: 'appointment', template: 'appointment-confirmed', data, subject: { type: 'appointment', id } })
 */
export function notify(ctx: ServiceContext, ...inputs: AnyNotifyInput[]): void {
  const jobs = inputs.flatMap((input) => deliverJobs(input));
  if (jobs.length) ctx.defer(ctx.ports.jobs.enqueue(jobs));
}
