import type { ServiceContext } from '../../context';
import type { NotificationChannel, NotificationKind, NotificationType } from '../../db/schema';
import type { Job } from '../../platform/jobs';
import type { NoticeTemplate, NoticeTemplates } from './render';

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
  };
  return [...new Set(input.recipients)].map((recipientId) => ({
    type: NOTIFY_DELIVER,
    payload: { recipientId, notice },
  }));
}

/**
 * Enqueues a notice for its recipients and resolves once the queue took it: for cron tasks and queue
 * consumers, whose own retry covers a failed enqueue.
 */
export async function enqueueNotice<T extends NoticeTemplate>(ctx: ServiceContext, input: NotifyInput<T>) {
  await ctx.ports.jobs.enqueue(deliverJobs(input));
}

/**
 * Sends a notice from a request: enqueued after the response (`ctx.defer`), off the critical path, so
 * a request never waits for, nor fails with, the queue or a provider. Exactly once per (subject, kind,
 * recipient, channel), however often it is called.
 * @example notify(ctx, { recipients: [patientId], kind: 'appointment.confirmed', type: 'appointment', template: 'message', data, subject: { type: 'appointment', id } })
 */
export function notify<T extends NoticeTemplate>(ctx: ServiceContext, input: NotifyInput<T>): void {
  ctx.defer(enqueueNotice(ctx, input));
}
