import { z } from 'zod';
import type { DeliverPayload } from '../../access/notices';
import type { ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  NOTIFICATION_TYPES,
  type NotificationChannel,
} from '../../db/schema';
import type { NoticeTemplate, NoticeTemplates } from '../../lib/email/notice-templates';
import { AppError } from '../../lib/errors';
import type { Job } from '../../platform/jobs';
import type { SendReceipt } from '../../platform/mailer';
import { pushConfigured } from '../../platform/ports';
import { enabledChannels } from '../users/notification-preferences.service';
import {
  deleteDeviceTokensStatement,
  deviceTokensQuery,
  emergencyContactDevicesQuery,
  emergencyContactOf,
  emergencyContactQuery,
  type RecipientContact,
  recipientContactOf,
  recipientContactQuery,
} from '../users/recipients.service';
import { type ChannelAction, planChannel } from './delivery.policy';
import { inboxInsertIfRecorded, toNotificationView, unreadCountQuery } from './inbox.service';
import {
  attemptFailedStatement,
  claimedSkipStatement,
  claimStatement,
  type DeliveryKey,
  inAppSentStatement,
  keyRowsQuery,
  sentStatement,
  skipStatement,
} from './ledger';
import {
  checkNoticeData,
  isNoticeTemplate,
  type RenderedNotice,
  renderNotice,
  renderNoticeFiles,
  SECURITY_TEMPLATES,
} from './render';

/**
 * The `notify.deliver` consumer: one notice to one recipient, on every channel their preferences allow,
 * each exactly once. Three D1 round trips: read (recipient, devices, preferences, the key's ledger
 * rows), record (skips, the in-app row, claims), mark (sent or the error); providers are called between
 * the last two. A provider failure throws after the others are marked, so the queue retries with
 * backoff and the retry resumes only the channels not sent.
 */

const DeliverPayloadSchema = z.object({
  recipientId: z.string().min(1),
  notice: z
    .object({
      kind: z.string().min(1),
      type: z.enum(NOTIFICATION_TYPES),
      preference: z.enum(NOTIFICATION_KINDS),
      template: z.string().refine(isNoticeTemplate, 'Unknown notice template'),
      data: z.record(z.string(), z.unknown()),
      subject: z.object({ type: z.string().min(1), id: z.string().min(1) }),
      to: z.object({ email: z.email() }).optional(),
      channels: z.array(z.enum(NOTIFICATION_CHANNELS)).optional(),
    })
    .refine((notice) => !notice.to || SECURITY_TEMPLATES.includes(notice.template), {
      message: 'Only a security notice names its own address',
      path: ['to'],
    }),
  redrive: z.array(z.enum(NOTIFICATION_CHANNELS)).optional(),
  recipientKind: z.enum(['emergency-contact']).optional(),
});

/**
 * The payload of a `notify.deliver` job, checked, its data against its template.
 * @throws Error for a malformed payload (it can never succeed; it ends in the dead-letter queue)
 */
export function deliverPayloadOf(job: Job): DeliverPayload {
  const parsed = DeliverPayloadSchema.safeParse(job.payload);
  if (!parsed.success) throw new Error(`Malformed ${job.type} payload: ${parsed.error.issues[0]?.message}`);
  const payload = parsed.data as DeliverPayload;
  checkNoticeData(payload.notice.template, payload.notice.data);
  return payload;
}

/** A provider error as the ledger keeps it: code, message and details, never a stack. */
function describeError(err: unknown): string {
  const text =
    err instanceof AppError
      ? `${err.code}: ${err.message}${err.details === undefined ? '' : ` ${JSON.stringify(err.details)}`}`
      : err instanceof Error
        ? err.message
        : String(err);
  return text.slice(0, 500);
}

/** String values for a push payload (FCM data carries strings only). */
function pushData(data: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}

interface Recipient {
  contact: RecipientContact;
  tokens: string[];
}

type ProviderChannel = Exclude<NotificationChannel, 'in-app'>;

/**
 * What one provider call came to: the receipt, push tokens the provider reported dead, and whether
 * anyone was reached (false when every device's token was dead).
 */
interface SendOutcome extends SendReceipt {
  deadTokens: string[];
  reached: boolean;
}

/**
 * Pushes to each of the recipient's devices. Reached when one device took it; dead tokens are returned
 * for deletion; when every device is dead nobody was reached; otherwise the first error is thrown.
 */
async function pushToDevices(
  ctx: ServiceContext,
  tokens: readonly string[],
  message: { title: string; body: string; data: Record<string, string> },
): Promise<SendOutcome> {
  const results = await Promise.allSettled(tokens.map((token) => ctx.ports.push.send({ token, ...message })));
  const deadTokens = tokens.filter((_, i) => {
    const result = results[i]!;
    return result.status === 'fulfilled' && result.value.status === 'unregistered';
  });
  const sent = results.find((r) => r.status === 'fulfilled' && r.value.status === 'sent');
  if (sent?.status === 'fulfilled' && sent.value.status === 'sent') {
    return { providerMessageId: sent.value.name, deadTokens, reached: true };
  }
  const failure = results.find((r) => r.status === 'rejected');
  if (failure?.status === 'rejected') throw Object.assign(failure.reason as object, { deadTokens });
  return { providerMessageId: null, deadTokens, reached: false };
}

/** Calls the provider of `channel`; the delivery id makes a repeated email send a no-op at the provider. */
async function send(
  ctx: ServiceContext,
  channel: ProviderChannel,
  deliveryId: string,
  recipient: Recipient,
  rendered: RenderedNotice,
  data: Record<string, unknown>,
  template: NoticeTemplate,
): Promise<SendOutcome> {
  switch (channel) {
    case 'email': {
      // Files that take async work (a receipt's PDF) are made only for an email actually sent.
      const attachments = [
        ...(rendered.attachments ?? []),
        ...(await renderNoticeFiles(template, data as NoticeTemplates[typeof template])),
      ];
      const receipt = await ctx.ports.mailer.send({
        to: recipient.contact.email!,
        subject: rendered.subject,
        text: rendered.emailText,
        html: rendered.html,
        ...(attachments.length ? { attachments } : {}),
        idempotencyKey: deliveryId,
      });
      return { ...receipt, deadTokens: [], reached: true };
    }
    case 'sms': {
      const receipt = await ctx.ports.sms.send({ to: recipient.contact.mobileNumber!, body: rendered.sms });
      return { ...receipt, deadTokens: [], reached: true };
    }
    case 'push':
      return pushToDevices(ctx, recipient.tokens, { title: rendered.title, body: rendered.text, data: pushData(data) });
  }
}

/**
 * Delivers one `notify.deliver` job. Returns when every channel is final (sent or skipped) or left
 * alone; a job whose recipient no longer exists does nothing.
 * @throws Error when a provider failed or another attempt holds a channel: the queue retries the job
 */
export async function deliverNotice(ctx: ServiceContext, job: Job): Promise<void> {
  const { recipientId, notice, redrive, recipientKind } = deliverPayloadOf(job);
  const external = recipientKind === 'emergency-contact';
  const key: DeliveryKey = { subject: notice.subject, kind: notice.kind, recipientId };
  const now = ctx.clock.now().getTime();
  const [read, wanted] = await Promise.all([
    batchOf(ctx.db, {
      contact: external ? undefined : recipientContactQuery(ctx, recipientId),
      outside: external ? emergencyContactQuery(ctx, recipientId) : undefined,
      devices: external ? emergencyContactDevicesQuery(ctx, recipientId) : deviceTokensQuery(ctx, recipientId),
      rows: keyRowsQuery(ctx, key),
    }),
    external ? new Map<string, NotificationChannel[]>() : enabledChannels(ctx, [recipientId], notice.preference),
  ]);
  const account = external ? emergencyContactOf(read.outside ?? []) : recipientContactOf(read.contact ?? []);
  if (!account || account.status === 'removed') {
    ctx.log.log('info', 'notify.no_recipient', { recipientId, kind: notice.kind });
    return;
  }
  // A security notice may name the address it warns (the one an email change left), and its email is
  // sent whatever the preferences say: a stolen session must not be able to silence it.
  const security = SECURITY_TEMPLATES.includes(notice.template);
  const contact = notice.to ? { ...account, email: notice.to.email } : account;
  const recipient: Recipient = { contact, tokens: read.devices.map((d) => d.token) };
  const enabled = new Set(wanted.get(recipientId) ?? []);
  if (security) enabled.add('email');
  for (const channel of notice.channels ?? []) enabled.add(channel);
  // An emergency contact has no inbox.
  if (external) enabled.delete('in-app');
  const existing = new Map(read.rows.map((row) => [row.channel, row]));
  const plans = new Map<NotificationChannel, ChannelAction>(
    NOTIFICATION_CHANNELS.map((channel) => [
      channel,
      planChannel({
        channel,
        existing: existing.get(channel),
        enabled: enabled.has(channel),
        contact,
        devices: recipient.tokens.length,
        pushConfigured: pushConfigured(ctx.env),
        redrive,
        now,
      }),
    ]),
  );
  const busy = [...plans].filter(([, plan]) => plan.action === 'busy').map(([channel]) => channel);
  const toSend = [...plans].filter(([, plan]) => plan.action === 'send').map(([channel]) => channel);
  const toSkip = [...plans].flatMap(([channel, plan]) =>
    plan.action === 'skip' ? [{ channel, reason: plan.reason }] : [],
  );
  if (!toSend.length && !toSkip.length) {
    if (busy.length)
      throw new Error(`Notice ${notice.kind} to ${recipientId}: ${busy.join(', ')} held by another attempt`);
    return;
  }

  // Record: skips, the in-app row with its ledger entry, and a claim per provider channel, in one batch.
  // JSON values for the inbox row and the push payload.
  const data = notice.data as Record<string, unknown>;
  const rendered = renderNotice(notice.template, notice.data, {
    locale: contact.preferredLanguage,
    timeZone: contact.timeZone,
    appName: ctx.env.APP_NAME,
  });
  const options = { now, redrive: Boolean(redrive) };
  const statements: Statements = toSkip.map(({ channel, reason }) => skipStatement(ctx, key, channel, reason, options));
  const inApp = toSend.includes('in-app') ? statements.length : -1;
  if (inApp >= 0) {
    const id = ctx.ids.id('ntf');
    statements.push(
      inAppSentStatement(ctx, key, id, options),
      inboxInsertIfRecorded(ctx, {
        id,
        userId: recipientId,
        type: notice.type,
        title: rendered.title,
        body: rendered.text,
        data,
        readAt: null,
        createdAt: now,
      }),
      unreadCountQuery(ctx, recipientId),
    );
  }
  const providerChannels = toSend.filter((channel): channel is ProviderChannel => channel !== 'in-app');
  const claimsAt = statements.length;
  statements.push(...providerChannels.map((channel) => claimStatement(ctx, key, channel, options)));
  const recorded = await runBatch(ctx.db, statements);

  const claimed = providerChannels.flatMap((channel, i) => {
    const [row] = recorded[claimsAt + i] as { id: string }[];
    return row ? [{ channel, id: row.id }] : [];
  });
  const unclaimed = providerChannels.filter((channel) => !claimed.some((c) => c.channel === channel));
  const inboxRow = inApp >= 0 ? (recorded[inApp + 1] as Parameters<typeof toNotificationView>[0][])[0] : undefined;
  const unread = inApp >= 0 ? ((recorded[inApp + 2] as { n: number }[])[0]?.n ?? 0) : 0;

  // Provider calls, and the socket push of a new inbox row (best effort: the row is stored).
  const [outcomes] = await Promise.all([
    Promise.all(
      claimed.map(async ({ channel, id }) => {
        try {
          const outcome = await send(ctx, channel, id, recipient, rendered, data, notice.template);
          return { channel, id, error: null, outcome };
        } catch (err) {
          const deadTokens = (err as { deadTokens?: string[] }).deadTokens ?? [];
          return {
            channel,
            id,
            error: describeError(err),
            outcome: { providerMessageId: null, deadTokens, reached: false },
          };
        }
      }),
    ),
    inboxRow
      ? ctx.ports.realtime.notify(recipientId, 'notification:new', {
          notification: toNotificationView(inboxRow),
          unreadCount: unread,
        })
      : Promise.resolve(0),
  ]);

  // Mark: each claimed delivery sent, or its error recorded and its lease released for the retry.
  const markedAt = ctx.clock.now().getTime();
  const deadTokens = outcomes.flatMap((o) => o.outcome.deadTokens);
  await runBatch(ctx.db, [
    ...outcomes.map((o) =>
      o.error !== null
        ? attemptFailedStatement(ctx, o.id, o.error, markedAt)
        : o.outcome.reached
          ? sentStatement(ctx, o.id, o.outcome.providerMessageId, markedAt)
          : claimedSkipStatement(ctx, o.id, 'no-device', markedAt),
    ),
    ...(deadTokens.length ? [deleteDeviceTokensStatement(ctx, recipientId, deadTokens)] : []),
  ]);
  const failed = outcomes.filter((o) => o.error !== null).map((o) => o.channel);
  const pending = [...failed, ...busy, ...unclaimed];
  if (pending.length) {
    ctx.log.log('warn', 'notify.retry', { recipientId, kind: notice.kind, failed, busy: [...busy, ...unclaimed] });
    throw new Error(`Notice ${notice.kind} to ${recipientId}: ${pending.join(', ')} not sent yet`);
  }
}
