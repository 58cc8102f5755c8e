import { renderEmail, type TemplateVars } from '../../lib/email/templates';
import { escapeHtml } from '../../lib/html';

/**
 * The one place a notice becomes text. Every channel renders through `renderNotice`, so the email
 * templates (branded HTML, languages) replace this function's body without touching the pipeline.
 */

/** Each template's name → the data it is rendered from. Templates add their entry here. */
export interface NoticeTemplates {
  /**
   * A written message: an admin's announcement, or any notice whose text is already composed. Other
   * keys are values for the apps (a link, an id) and are not rendered.
   */
  message: { title: string; body: string; [extra: string]: unknown };
  /**
   * An appointment's 24 h or 1 h reminder, rendered by the email template of the same name. `timeZone`
   * is the recipient's IANA zone when the reminder was scheduled: times are shown in it.
   */
  'appointment-reminder': Plain<TemplateVars['appointment-reminder'] & { timeZone: string | null }>;
  /**
   * A dose 10 minutes ahead. `timeZone` is the schedule's zone, the one the dose's time was set in:
   * the time is shown there. `doseId`/`scheduleId` are for the apps.
   */
  'medication-reminder': TemplateVars['medication-reminder'] & {
    timeZone: string | null;
    doseId: string;
    scheduleId: string;
  };
  /** A vaccine dose due tomorrow or today. `vaccineScheduleId` is for the apps. */
  'vaccine-due': TemplateVars['vaccine-due'] & { vaccineScheduleId: string };
}

/** `T` as a plain object type (an interface has no index signature, and notice data is a record). */
type Plain<T> = { [K in keyof T]: T[K] };

export type NoticeTemplate = keyof NoticeTemplates & string;

/** A notice rendered for one recipient: the inbox and push title, the plain text, the email HTML, the SMS. */
export interface RenderedNotice {
  title: string;
  text: string;
  html: string;
  sms: string;
}

const SMS_MAX = 300;
/** The product name the email templates prefix subjects with (the sender prefixes the title again). */
const EMAIL_APP = 'Kinwell';

const renderers: { [T in NoticeTemplate]: (data: NoticeTemplates[T], locale: string) => RenderedNotice } = {
  message: ({ title, body }) => ({
    title,
    text: body,
    html: `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2>${escapeHtml(title)}</h2>${body
      .split(/\n{2,}/)
      .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
      .join('')}</body></html>`,
    sms: `${title}: ${body}`.slice(0, SMS_MAX),
  }),
  'appointment-reminder': ({ timeZone, ...vars }, locale) => {
    const email = renderEmail('appointment-reminder', vars, { locale, timeZone, appName: EMAIL_APP });
    // The plain text is the heading, then the sentence saying it all: the SMS is that sentence.
    const sentence = email.text.split('\n\n')[1] ?? '';
    return {
      title: email.subject.slice(`${EMAIL_APP}: `.length),
      text: email.text,
      html: email.html,
      sms: sentence.slice(0, SMS_MAX),
    };
  },
  'medication-reminder': (data, locale) =>
    fromEmail(renderEmail('medication-reminder', data, { locale, timeZone: data.timeZone })),
  'vaccine-due': (data, locale) => fromEmail(renderEmail('vaccine-due', data, { locale })),
};

const APP_PREFIX = 'Kinwell: ';

/**
 * A notice from an email template: the subject without the product name (the email channel adds it
 * back), the HTML, and for the inbox, push and SMS the body's text without its heading and footer.
 */
function fromEmail(email: { subject: string; text: string; html: string }): RenderedNotice {
  const [, ...body] = email.text.split('\n\n--\n')[0]!.split('\n\n');
  return {
    title: email.subject.startsWith(APP_PREFIX) ? email.subject.slice(APP_PREFIX.length) : email.subject,
    text: body.join('\n\n'),
    html: email.html,
    sms: (body[0] ?? '').slice(0, SMS_MAX),
  };
}

/** Whether `name` is a known template (a queued job's template is checked before it is rendered). */
export function isNoticeTemplate(name: string): name is NoticeTemplate {
  return Object.hasOwn(renderers, name);
}

/**
 * Renders `template` with `data` in `locale` (a BCP 47 tag; this renderer writes English whatever it
 * is, the templates work adds languages with a fallback).
 * @throws Error when `data` lacks what the template needs (a job that can never succeed)
 */
export function renderNotice<T extends NoticeTemplate>(template: T, data: NoticeTemplates[T], locale: string) {
  const missing = requiredFields[template].filter(
    (field) => typeof (data as Record<string, unknown>)[field] !== 'string',
  );
  if (missing.length) throw new Error(`Notice template ${template} needs ${missing.join(', ')}`);
  return renderers[template](data, locale);
}

const requiredFields: { [T in NoticeTemplate]: (keyof NoticeTemplates[T] & string)[] } = {
  message: ['title', 'body'],
  'appointment-reminder': ['appointmentId', 'type', 'recipientRole', 'lead'],
  'medication-reminder': ['medicineName'],
  'vaccine-due': ['vaccineName', 'dueDate', 'when'],
};
