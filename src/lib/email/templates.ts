import { renderIcs, UID_DOMAIN } from '../ics';
import { formatMoney } from '../money';
import { paymentMethodLabel, type Receipt } from '../receipts/receipt';
import { type EmailAttachment, textAttachment } from './attachment';
import { type Block, type EmailContent, renderLayout } from './layout';
import { type EmailLanguage, type Formatter, formatterFor } from './locale';
import {
  type AppointmentKind,
  type AppointmentMessage,
  type CancelledBy,
  type CodePurpose,
  EN,
  type Strings,
} from './strings';
import { SW } from './strings-sw';

/**
 * The email templates: each turns typed variables into `{ subject, text, html }` (and attachments) in
 * the recipient's language, with instants shown in their zone. The words live in the catalogs
 * (./strings.ts, ./strings-sw.ts), the markup in the one layout (./layout.ts).
 */

const CATALOGS: Record<EmailLanguage, Strings> = { en: EN, sw: SW };

/** An appointment as its emails describe it. Instants are epoch milliseconds. */
export interface AppointmentVars {
  appointmentId: string;
  startsAt: number;
  endsAt: number;
  type: AppointmentKind;
  serviceName: string | null;
  doctorName: string | null;
  patientName: string | null;
  /** Who reads it: a patient reads about their doctor, a doctor about their patient. */
  recipientRole: 'patient' | 'doctor';
  /** Awaiting the practice's confirmation. */
  pending?: boolean;
  /** The appointment's change counter: the attached event's SEQUENCE, so calendars take the newest. */
  sequence: number;
  /** When the appointment last changed: the attached event's DTSTAMP, so a resent email is identical. */
  updatedAt: number;
  /** Where the app shows the appointment (http or https). */
  url?: string;
}

/** Every template and its variables. */
export interface TemplateVars {
  'verification-code': { code: string; purpose: CodePurpose; minutes?: number };
  'password-reset': { code: string; minutes?: number };
  welcome: { name: string | null; url?: string };
  'appointment-booked': AppointmentVars;
  'appointment-confirmed': AppointmentVars;
  'appointment-cancelled': AppointmentVars & { cancelledBy?: CancelledBy };
  'appointment-rescheduled': AppointmentVars & { previousStartsAt: number };
  'appointment-reminder': AppointmentVars & { lead: '24h' | '1h' };
  /** `at` is the dose's instant; `forName` names a dependent whose dose it is. */
  'medication-reminder': { medicineName: string; dose: string | null; at: number; forName?: string | null };
  /** `dueDate` is the recipient's calendar date `YYYY-MM-DD`. */
  'vaccine-due': { vaccineName: string; dueDate: string; when: 'today' | 'tomorrow'; forName?: string | null };
  /** A system or custom notice: an admin's title and message (paragraphs split by blank lines). */
  notice: { title: string; message: string; url?: string; actionLabel?: string };
  /** To the person asked to be a caregiver: who asked. */
  'caregiver-request': { requestId: string; requesterName: string | null };
  /** To the requester: who accepted. */
  'caregiver-accepted': { requestId: string; caregiverName: string | null };
  /** To the address an email change left: the new address, masked by the caller (`p••@example.com`). */
  'email-changed': { newEmail: string };
  /** After a mobile number change: the new number, masked by the caller (`•••0123`). */
  'mobile-changed': { newNumber: string };
  /**
   * To the payer, once paid: the receipt (its PDF is attached when the email is sent, by
   * `renderNoticeFiles` in the notifications module, since making a PDF is asynchronous).
   */
  'payment-receipt': { paymentId: string; receipt: Receipt };
}

export type TemplateName = keyof TemplateVars;

/** Who the email is for: their preferred language (BCP 47) and IANA zone, and the product's name. */
export interface Recipient {
  locale?: string | null;
  timeZone?: string | null;
  appName?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments?: EmailAttachment[];
}

interface Kit {
  t: Strings;
  fmt: Formatter;
  app: string;
}

/** What a template writes; `summary` is the inbox, push and SMS text (the preheader unless given). */
type Draft = EmailContent & { attachments?: EmailAttachment[]; summary?: string };

const DEFAULT_CODE_MINUTES = 10;

/** The appointment's `.ics`: one event with the feed's UID, so importing it updates the same event. */
function icsOf(vars: AppointmentVars, kit: Kit, status: 'tentative' | 'confirmed' | 'cancelled'): EmailAttachment {
  const { t } = kit;
  const other = otherParty(vars, t);
  const ics = renderIcs({
    events: [
      {
        uid: `${vars.appointmentId}@${UID_DOMAIN}`,
        sequence: vars.sequence,
        stamp: new Date(vars.updatedAt),
        start: new Date(vars.startsAt),
        end: new Date(vars.endsAt),
        summary: t.appointment.summary({ what: vars.serviceName ?? t.appointment.kinds[vars.type], other }),
        description: t.appointment.kinds[vars.type],
        status,
      },
    ],
  });
  return textAttachment('appointment.ics', 'text/calendar; charset=utf-8; method=PUBLISH', ics);
}

function otherParty(vars: AppointmentVars, t: Strings): string {
  return vars.recipientRole === 'patient'
    ? t.appointment.doctor(vars.doctorName)
    : t.appointment.patient(vars.patientName);
}

/**
 * The shared shape of every appointment email: the sentence for the reader's side, the facts, the
 * notes that apply, the link, and (for changes of state) the calendar file.
 */
function appointmentDraft(
  vars: AppointmentVars,
  kit: Kit,
  message: AppointmentMessage,
  options: { previousStartsAt?: number; notes?: string[]; ics?: 'tentative' | 'confirmed' | 'cancelled' },
): Draft {
  const { t, fmt } = kit;
  const words = {
    other: otherParty(vars, t),
    when: fmt.dateTime(vars.startsAt),
    time: fmt.time(vars.startsAt),
    previous: options.previousStartsAt === undefined ? '' : fmt.dateTime(options.previousStartsAt),
  };
  const intro = vars.recipientRole === 'patient' ? message.patient(words) : message.doctor(words);
  const labels = t.appointment.labels;
  const rows: [string, string][] = [
    [labels.when, words.when],
    ...(options.previousStartsAt === undefined ? [] : [[labels.previously, words.previous] as [string, string]]),
    [labels.with, words.other],
    ...(vars.serviceName ? [[labels.service, vars.serviceName] as [string, string]] : []),
    [labels.type, t.appointment.kinds[vars.type]],
  ];
  const blocks: Block[] = [
    { kind: 'text', text: intro },
    { kind: 'facts', rows },
    ...(options.notes ?? []).map((text): Block => ({ kind: 'note', text })),
    ...(vars.url ? [{ kind: 'action', label: t.appointment.open, url: vars.url } as Block] : []),
    ...(options.ics ? [{ kind: 'note', text: t.appointment.calendar } as Block] : []),
  ];
  return {
    subject: message.subject(words),
    preheader: intro,
    heading: message.heading,
    blocks,
    ...(options.ics ? { attachments: [icsOf(vars, kit, options.ics)] } : {}),
  };
}

function pendingNotes(vars: AppointmentVars, t: Strings): string[] {
  if (!vars.pending) return [];
  return [vars.recipientRole === 'patient' ? t.appointment.pendingPatient : t.appointment.pendingDoctor];
}

const liveStatus = (vars: AppointmentVars) => (vars.pending ? 'tentative' : 'confirmed');

function codeDraft(heading: string, intro: string, code: string, expiry: string): Draft {
  return {
    subject: heading,
    preheader: expiry,
    heading,
    blocks: [
      { kind: 'text', text: intro },
      { kind: 'code', code },
      { kind: 'text', text: expiry },
    ],
  };
}

/** A one-sentence notice: subject, heading and the sentence. */
function simpleDraft<W>(
  message: { subject: (w: W) => string; heading: string; intro: (w: W) => string },
  words: W,
): Draft {
  const intro = message.intro(words);
  return {
    subject: message.subject(words),
    preheader: intro,
    heading: message.heading,
    blocks: [{ kind: 'text', text: intro }],
  };
}

/** An account security notice: what changed, and what to do when it was not you. */
function securityDraft<W>(message: { heading: string; intro: (w: W) => string }, notYou: string, words: W): Draft {
  const intro = message.intro(words);
  return {
    subject: message.heading,
    preheader: intro,
    heading: message.heading,
    blocks: [
      { kind: 'text', text: intro },
      { kind: 'text', text: notYou },
    ],
    summary: `${intro} ${notYou}`,
  };
}

const TEMPLATES: { [N in TemplateName]: (vars: TemplateVars[N], kit: Kit) => Draft } = {
  'verification-code': (vars, { t, app }) =>
    codeDraft(
      t.code.headings[vars.purpose],
      t.code.intro(app),
      vars.code,
      t.code.expiry(vars.minutes ?? DEFAULT_CODE_MINUTES),
    ),
  'password-reset': (vars, { t, app }) =>
    codeDraft(
      t.passwordReset.heading,
      t.passwordReset.intro(app),
      vars.code,
      t.passwordReset.expiry(vars.minutes ?? DEFAULT_CODE_MINUTES),
    ),
  welcome: (vars, { t, app }) => ({
    subject: t.welcome.heading(app),
    preheader: t.welcome.body,
    heading: t.welcome.heading(app),
    blocks: [
      { kind: 'text', text: t.welcome.greeting(vars.name) },
      { kind: 'text', text: t.welcome.body },
      ...(vars.url ? [{ kind: 'action', label: t.welcome.open(app), url: vars.url } as Block] : []),
    ],
  }),
  'appointment-booked': (vars, kit) =>
    appointmentDraft(vars, kit, kit.t.appointment.booked, {
      notes: pendingNotes(vars, kit.t),
      ics: liveStatus(vars),
    }),
  'appointment-confirmed': (vars, kit) =>
    appointmentDraft({ ...vars, pending: false }, kit, kit.t.appointment.confirmed, { ics: 'confirmed' }),
  'appointment-cancelled': (vars, kit) =>
    appointmentDraft(vars, kit, kit.t.appointment.cancelled, {
      notes: vars.cancelledBy ? [kit.t.appointment.cancelledBy[vars.cancelledBy]] : [],
      ics: 'cancelled',
    }),
  'appointment-rescheduled': (vars, kit) =>
    appointmentDraft(vars, kit, kit.t.appointment.rescheduled, {
      previousStartsAt: vars.previousStartsAt,
      notes: pendingNotes(vars, kit.t),
      ics: liveStatus(vars),
    }),
  // A reminder changes nothing in the calendar, so it carries no .ics.
  'appointment-reminder': (vars, kit) =>
    appointmentDraft(vars, kit, vars.lead === '1h' ? kit.t.appointment.reminder1h : kit.t.appointment.reminder24h, {
      notes: [kit.t.appointment.arrive[vars.type]],
    }),
  'medication-reminder': (vars, { t, fmt }) => {
    const words = { medicine: vars.medicineName, time: fmt.time(vars.at), forName: vars.forName ?? null };
    const labels = t.medication.labels;
    const intro = t.medication.intro(words);
    return {
      subject: t.medication.subject(words),
      preheader: intro,
      heading: t.medication.heading,
      blocks: [
        { kind: 'text', text: intro },
        {
          kind: 'facts',
          rows: [
            [labels.medicine, vars.medicineName],
            ...(vars.dose ? [[labels.dose, vars.dose] as [string, string]] : []),
            [labels.time, fmt.dateTime(vars.at)],
            ...(vars.forName ? [[labels.for, vars.forName] as [string, string]] : []),
          ],
        },
        { kind: 'note', text: t.medication.note },
      ],
    };
  },
  'vaccine-due': (vars, { t, fmt }) => {
    const today = vars.when === 'today';
    const date = fmt.date(vars.dueDate);
    const labels = t.vaccine.labels;
    const intro = t.vaccine.intro({ vaccine: vars.vaccineName, date, forName: vars.forName ?? null });
    return {
      subject: t.vaccine.subject({ vaccine: vars.vaccineName, today }),
      preheader: intro,
      heading: t.vaccine.heading(today),
      blocks: [
        { kind: 'text', text: intro },
        {
          kind: 'facts',
          rows: [
            [labels.vaccine, vars.vaccineName],
            [labels.date, date],
            ...(vars.forName ? [[labels.for, vars.forName] as [string, string]] : []),
          ],
        },
        { kind: 'note', text: t.vaccine.note },
      ],
    };
  },
  notice: (vars, { t }) => {
    const paragraphs = vars.message
      .split(/\r?\n\s*\r?\n/)
      .map((part) => part.trim())
      .filter(Boolean);
    return {
      subject: vars.title,
      preheader: paragraphs[0] ?? vars.title,
      heading: vars.title,
      blocks: [
        ...paragraphs.map((text): Block => ({ kind: 'text', text })),
        ...(vars.url ? [{ kind: 'action', label: vars.actionLabel ?? t.notice.open, url: vars.url } as Block] : []),
      ],
      summary: paragraphs.join('\n\n') || vars.title,
    };
  },
  'caregiver-request': (vars, { t }) =>
    simpleDraft(t.caregiver.request, { name: vars.requesterName ?? t.caregiver.someone }),
  'caregiver-accepted': (vars, { t }) =>
    simpleDraft(t.caregiver.accepted, { name: vars.caregiverName ?? t.caregiver.someone }),
  'email-changed': (vars, { t, app }) =>
    securityDraft(t.security.emailChanged, t.security.notYou, { app, address: vars.newEmail }),
  'mobile-changed': (vars, { t, app }) =>
    securityDraft(t.security.mobileChanged, t.security.notYou, { app, address: vars.newNumber }),
  'payment-receipt': ({ receipt }, { t, fmt }) => {
    const amount = formatMoney(receipt.totalCents, receipt.currency, fmt.locale);
    const clinic = receipt.clinic.name;
    const intro = t.receipt.intro({ amount, clinic, description: receipt.lines.map((l) => l.description).join(', ') });
    const labels = t.receipt.labels;
    return {
      subject: t.receipt.subject({ number: receipt.number, clinic }),
      preheader: intro,
      heading: t.receipt.heading,
      blocks: [
        { kind: 'text', text: intro },
        {
          kind: 'facts',
          rows: [
            [labels.number, receipt.number],
            [labels.paid, fmt.dateTime(receipt.payment.paidAt ?? receipt.issuedAt)],
            [labels.amount, amount],
            [labels.method, paymentMethodLabel(receipt.payment.method)],
          ],
        },
        { kind: 'note', text: t.receipt.attached },
      ],
    };
  },
};

/** An email and the short forms of the same message, for the notification channels. */
export interface RenderedMessage {
  email: RenderedEmail;
  /** The heading: the inbox and push title. */
  title: string;
  /** The main sentence (or an announcement's whole message): the inbox, push and SMS text. */
  summary: string;
}

/**
 * Renders template `name` for `recipient`, as an email and as the short title and text of the other
 * channels, in the same language. See `renderEmail` for the rules.
 * @throws RangeError when `vaccine-due`'s `dueDate` is not a `YYYY-MM-DD` date.
 */
export function renderMessage<N extends TemplateName>(
  name: N,
  vars: TemplateVars[N],
  recipient: Recipient = {},
): RenderedMessage {
  const fmt = formatterFor(recipient.locale, recipient.timeZone);
  const app = recipient.appName || 'Kinwell';
  const t = CATALOGS[fmt.language];
  const template = TEMPLATES[name] as (vars: TemplateVars[N], kit: Kit) => Draft;
  const { attachments, summary, ...draft } = template(vars, { t, fmt, app });
  // One line: a line break in an admin's title must not become a header of its own.
  const subject = `${app}: ${draft.subject}`.replace(/[\r\n]+/g, ' ');
  const { html, text } = renderLayout({ ...draft, subject }, { lang: fmt.locale, appName: app, footer: t.footer(app) });
  return {
    email: { subject, text, html, ...(attachments ? { attachments } : {}) },
    title: draft.heading,
    summary: summary ?? draft.preheader,
  };
}

/**
 * Renders template `name` for `recipient`: the subject (prefixed with the product name), the branded
 * HTML, the plain-text part, and the attachments (the `.ics` of appointment changes). The language
 * comes from `recipient.locale` (English when it has no catalog); instants are shown in
 * `recipient.timeZone` (UTC when unknown). Every variable is text: it is escaped, never markup, a link
 * that is not http(s) is left out, and the subject is one line.
 * @throws RangeError when `vaccine-due`'s `dueDate` is not a `YYYY-MM-DD` date.
 */
export function renderEmail<N extends TemplateName>(
  name: N,
  vars: TemplateVars[N],
  recipient: Recipient = {},
): RenderedEmail {
  return renderMessage(name, vars, recipient).email;
}
