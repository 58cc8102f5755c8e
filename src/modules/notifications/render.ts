import { z } from 'zod';
import type { EmailAttachment } from '../../lib/email/attachment';
import type { NoticeEmail, NoticeTemplate, NoticeTemplates, Zoned } from '../../lib/email/notice-templates';
import { renderMessage, type TemplateVars } from '../../lib/email/templates';
import { escapeHtml } from '../../lib/html';
import { toBase64 } from '../../lib/ids';
import { receiptFileName } from '../../lib/receipts/file-name';
import { receiptPdf } from '../../lib/receipts/pdf';
import type { Receipt } from '../../lib/receipts/receipt';

/**
 * The one place a notice becomes text. Every channel renders through `renderNotice`, which draws the
 * notice's email template (src/lib/email/templates.ts: branded HTML, plain text, `.ics`) in the
 * recipient's language and zone, and takes the inbox, push and SMS text from the same template, so a
 * person reads one message in one language on every channel.
 */

/** Security notices: their email is always sent (a stolen session must not silence the warning). */
export const SECURITY_TEMPLATES: readonly NoticeTemplate[] = ['email-changed', 'mobile-changed'];

/** A notice rendered for one recipient. */
export interface RenderedNotice {
  /** The inbox and push title. */
  title: string;
  /** The inbox and push text. */
  text: string;
  /** The whole SMS, product name included, at most `SMS_MAX` characters. */
  sms: string;
  /** The email: subject (product name included), plain-text part, HTML and attachments. */
  subject: string;
  emailText: string;
  html: string;
  attachments?: EmailAttachment[];
}

/** Who reads the notice: their preferred language (BCP 47) and IANA zone, and the product's name. */
export interface NoticeReader {
  locale?: string | null;
  timeZone?: string | null;
  appName?: string;
}

export const SMS_MAX = 300;

const ms = z.number().int();
const text = z.string().min(1);
const name = z.string().nullable();
const zoned = { timeZone: z.string().nullish() };
const appointment = {
  appointmentId: text,
  startsAt: ms,
  endsAt: ms,
  type: z.enum(['video', 'in-person']),
  serviceName: name,
  doctorName: name,
  patientName: name,
  recipientRole: z.enum(['patient', 'doctor']),
  pending: z.boolean().optional(),
  sequence: z.number().int().min(0),
  updatedAt: ms,
  url: z.string().optional(),
  ...zoned,
};

const cents = z.number().int();
/** A receipt as `payment-receipt` carries it (src/lib/receipts/receipt.ts); the PDF renderer checks its sums. */
const receipt: z.ZodType<Receipt> = z.object({
  number: text,
  issuedAt: ms,
  timeZone: text,
  currency: z.string().regex(/^[A-Z]{3}$/),
  clinic: z.object({
    name: text,
    addressLines: z.array(z.string()),
    email: name.optional(),
    phone: name.optional(),
    taxId: name.optional(),
  }),
  billedTo: z.object({ name: z.string(), email: name.optional() }),
  lines: z.array(z.object({ description: z.string(), quantity: z.number(), unitCents: cents, totalCents: cents })),
  subtotalCents: cents,
  taxLines: z.array(z.object({ label: z.string(), rateBps: z.number().int(), amountCents: cents })),
  totalCents: cents,
  payment: z.object({
    reference: text,
    paidAt: ms.nullable(),
    method: z.object({ brand: name, last4: name }).nullable(),
    status: text,
  }),
  refunds: z.array(z.object({ at: ms.nullable(), amountCents: cents, status: text })),
});

/** What each template's data must hold: checked before a job renders, so a malformed one fails at once. */
const SCHEMAS: { [T in NoticeTemplate]: z.ZodType<NoticeTemplates[T]> } = {
  message: z.looseObject({ title: z.string(), body: z.string() }),
  // An announcement's data carries the apps' values beside the text; a link is a button only when it is text.
  notice: z.looseObject({
    title: z.string(),
    message: z.string(),
    url: z
      .unknown()
      .transform((url) => (typeof url === 'string' ? url : undefined))
      .optional(),
    actionLabel: z
      .unknown()
      .transform((label) => (typeof label === 'string' ? label : undefined))
      .optional(),
    ...zoned,
  }) as z.ZodType<NoticeTemplates['notice']>,
  'appointment-booked': z.object(appointment),
  'appointment-confirmed': z.object(appointment),
  'appointment-cancelled': z.object({
    ...appointment,
    cancelledBy: z.enum(['patient', 'doctor', 'practice']).optional(),
  }),
  'appointment-rescheduled': z.object({ ...appointment, previousStartsAt: ms }),
  'appointment-reminder': z.object({ ...appointment, lead: z.enum(['24h', '1h']) }),
  'medication-reminder': z.object({
    medicineName: text,
    dose: name,
    at: ms,
    forName: name.optional(),
    ...zoned,
  }),
  'vaccine-due': z.object({
    vaccineName: text,
    dueDate: z.iso.date(),
    when: z.enum(['today', 'tomorrow']),
    forName: name.optional(),
    ...zoned,
  }),
  'caregiver-request': z.object({ requestId: text, requesterName: name, ...zoned }),
  'caregiver-accepted': z.object({ requestId: text, caregiverName: name, ...zoned }),
  'email-changed': z.object({ newEmail: text, ...zoned }),
  'mobile-changed': z.object({ newNumber: text, ...zoned }),
  'payment-receipt': z.object({ paymentId: text, receipt, ...zoned }),
};

/** Whether `name` is a known template (a queued job's template is checked before it is rendered). */
export function isNoticeTemplate(name: string): name is NoticeTemplate {
  return Object.hasOwn(SCHEMAS, name);
}

/**
 * `data` checked against `template`'s schema.
 * @throws Error naming the fields that are missing or wrong (a job that can never succeed)
 */
export function checkNoticeData<T extends NoticeTemplate>(template: T, data: unknown): NoticeTemplates[T] {
  const parsed = SCHEMAS[template].safeParse(data);
  if (parsed.success) return parsed.data as NoticeTemplates[T];
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(data)'))];
  throw new Error(`Notice template ${template} needs ${fields.join(', ')}`);
}

/** `text` cut to `max` characters at a character boundary (never inside a surrogate pair), ending in "…". */
function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const smsOf = (app: string, title: string, body: string) => cut(`${app}: ${title}: ${body}`, SMS_MAX);

/** The pre-template `message`: its words as composed, in a plain page. */
function renderComposed(data: NoticeTemplates['message'], app: string): RenderedNotice {
  const { title, body } = data;
  return {
    title,
    text: body,
    sms: smsOf(app, title, body),
    subject: `${app}: ${title}`.replace(/[\r\n]+/g, ' '),
    emailText: body,
    html: `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>${escapeHtml(title)}</h2>${body
      .split(/\n{2,}/)
      .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
      .join('')}</body></html>`,
  };
}

/**
 * Renders `template` with `data` for `reader`: the email (its template's subject, HTML, plain text and
 * attachments), the inbox and push title and text, and the SMS, all in the reader's language (English
 * when it has no catalog) with instants in the reader's zone, else the notice's `timeZone`, else UTC.
 * @throws Error when `data` does not fit the template (see `checkNoticeData`)
 */
export function renderNotice<T extends NoticeTemplate>(
  template: T,
  data: NoticeTemplates[T],
  reader: NoticeReader = {},
): RenderedNotice {
  const checked = checkNoticeData(template, data);
  const app = reader.appName || 'Kinwell';
  if (template === 'message') return renderComposed(checked as NoticeTemplates['message'], app);
  const { timeZone: noticeZone, ...vars } = checked as TemplateVars[NoticeEmail] & Zoned;
  const { email, title, summary } = renderMessage(template as NoticeEmail, vars as never, {
    locale: reader.locale,
    timeZone: reader.timeZone || noticeZone,
    appName: app,
  });
  return {
    title,
    text: summary,
    sms: smsOf(app, title, summary),
    subject: email.subject,
    emailText: email.text,
    html: email.html,
    ...(email.attachments ? { attachments: email.attachments } : {}),
  };
}

/**
 * The attachments of `template` that take asynchronous work to make, added to its email when one is
 * sent (`renderNotice` stays synchronous): a `payment-receipt`'s PDF. None for the other templates.
 * @throws Error when `data` does not fit the template; RangeError when a receipt's amounts do not add up
 */
export async function renderNoticeFiles<T extends NoticeTemplate>(
  template: T,
  data: NoticeTemplates[T],
): Promise<EmailAttachment[]> {
  if (template !== 'payment-receipt') return [];
  const { receipt } = checkNoticeData('payment-receipt', data);
  const pdf = await receiptPdf(receipt);
  return [{ filename: receiptFileName(receipt.number), contentType: 'application/pdf', content: toBase64(pdf) }];
}
