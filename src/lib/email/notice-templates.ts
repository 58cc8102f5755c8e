import type { TemplateName, TemplateVars } from './templates';

/**
 * What each notice template is rendered from: the data a notice carries in its queue job (JSON, instants
 * as epoch ms). Below the modules, so every module that sends a notice can type it; the notification
 * module renders it (src/modules/notifications/render.ts).
 */

/**
 * A notice may name the zone its instants belong to (an appointment's practice): a recipient without a
 * zone of their own reads the times there rather than in UTC.
 */
export interface Zoned {
  timeZone?: string | null;
}

/** The email templates that are notices (the code emails and `welcome` are sent directly, not notices). */
export const NOTICE_EMAILS = [
  'notice',
  'appointment-booked',
  'appointment-confirmed',
  'appointment-cancelled',
  'appointment-rescheduled',
  'appointment-reminder',
  'medication-reminder',
  'vaccine-due',
  'caregiver-request',
  'caregiver-accepted',
  'email-changed',
  'mobile-changed',
  'payment-receipt',
] as const satisfies readonly TemplateName[];

export type NoticeEmail = (typeof NOTICE_EMAILS)[number];

/**
 * Ids a notice carries for the apps (what to open), not rendered: the inbox row keeps them. The
 * reminder templates name their dose or vaccine schedule.
 */
type AppRefs = { [N in NoticeEmail]: unknown } & {
  'medication-reminder': { doseId?: string; scheduleId?: string };
  'vaccine-due': { vaccineScheduleId?: string };
};

/** Each template's name → the data it is rendered from (JSON: instants are epoch ms). */
export type NoticeTemplates = { [N in Exclude<NoticeEmail, 'notice'>]: TemplateVars[N] & Zoned & AppRefs[N] } & {
  /** A system or custom notice; an announcement's other keys are values for the apps (a link, its id). */
  notice: TemplateVars['notice'] & Zoned & { [extra: string]: unknown };
  /**
   * A message whose text is already composed: the form of notices queued before the templates, kept so
   * such jobs (and dead-lettered ones an admin re-drives) still render. New notices use `notice`.
   * Other keys are values for the apps (a link, an id) and are not rendered.
   */
  message: { title: string; body: string; [extra: string]: unknown };
};

export type NoticeTemplate = keyof NoticeTemplates & string;
