import { type AnyNotifyInput, notify } from '../../access/notices';
import type { ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import type { CareSessionRow } from '../../db/schema';
import { HOUR_MS, localDateAt, localTimeAt } from '../../lib/time';
import { cancelReminders, scheduleReminders } from '../notifications/reminders';

/**
 * What a care session tells its people, through the notifications pipeline: reminders 24 h and 1 h
 * before the start to the patient and the caregiver (written in the booking's batch, removed by the
 * transitions that end or start the session), and a notice of each change to the other side, after the
 * response. Times are the session's zone (the caregiver's), named in the text.
 */

/** The subject of a session's notices and reminders. */
export const careSessionSubject = (id: string) => ({ type: 'care-session', id });

export const CARE_SESSION_REMINDERS = [
  { kind: 'care-session.24h', before: 24 * HOUR_MS, lead: 'tomorrow' },
  { kind: 'care-session.1h', before: HOUR_MS, lead: 'in one hour' },
] as const;

type Session = Pick<
  CareSessionRow,
  'id' | 'patientId' | 'caregiverId' | 'bookedBy' | 'startsAt' | 'endsAt' | 'timeZone' | 'mode'
>;

/** `Monday 2026-12-07 at 09:00 (Europe/Berlin)`. */
function when(session: Session): string {
  const date = localDateAt(session.startsAt, session.timeZone);
  const weekday = new Intl.DateTimeFormat('en', { weekday: 'long', timeZone: session.timeZone }).format(
    session.startsAt,
  );
  return `${weekday} ${date} at ${localTimeAt(session.startsAt, session.timeZone)} (${session.timeZone})`;
}

const what = (session: Session) => (session.mode === 'virtual' ? 'virtual care session' : 'care session');

/** The statements scheduling a session's reminders (for the booking's batch). */
export function careReminderStatements(
  ctx: ServiceContext,
  session: Session,
  names: { caregiverName: string | null; patientName: string | null },
  now: number,
): Statements {
  const parties = [
    { recipientId: session.patientId, other: names.caregiverName ?? 'your caregiver' },
    { recipientId: session.caregiverId, other: names.patientName ?? 'your patient' },
  ];
  return scheduleReminders(
    ctx,
    parties.flatMap(({ recipientId, other }) =>
      CARE_SESSION_REMINDERS.map(({ kind, before, lead }) => ({
        subject: careSessionSubject(session.id),
        kind,
        recipientId,
        dueAt: session.startsAt - before,
        type: 'reminder' as const,
        template: 'notice' as const,
        data: {
          title: `Your ${what(session)} is ${lead}`,
          message: `Your ${what(session)} with ${other} starts ${when(session)}.`,
          sessionId: session.id,
        },
      })),
    ),
    now,
  );
}

/** The statement removing a session's reminders not sent yet (for the writer's batch). */
export const cancelCareReminders = (ctx: ServiceContext, sessionId: string) =>
  cancelReminders(ctx, careSessionSubject(sessionId));

const CHANGE_TEXT: Record<string, { title: string; message: (s: Session, name: string) => string }> = {
  book: {
    title: 'New care session request',
    message: (s, name) => `${name} asked for a ${what(s)} ${when(s)}. Confirm or decline it in the app.`,
  },
  confirm: {
    title: 'Care session confirmed',
    message: (s, name) => `${name} confirmed your ${what(s)} ${when(s)}.`,
  },
  decline: {
    title: 'Care session declined',
    message: (s, name) => `${name} declined your ${what(s)} ${when(s)}. You may book another time.`,
  },
  cancel: {
    title: 'Care session cancelled',
    message: (s, name) => `${name} cancelled the ${what(s)} ${when(s)}.`,
  },
  'no-show': {
    title: 'Care session missed',
    message: (s, name) => `${name} marked the ${what(s)} ${when(s)} as missed: nobody was there.`,
  },
  'check-out': {
    title: 'Care session completed',
    message: (s, name) => `${name} finished the ${what(s)} ${when(s)}. The bill is ready to pay in the app.`,
  },
};

/**
 * Tells the session's other side about a change the caller made (the caregiver when the patient side
 * acted, the patient and whoever booked when the caregiver or staff did), after the response.
 */
export function noticeCareChange(ctx: ServiceContext, action: string, session: Session, actorName: string | null) {
  const text = CHANGE_TEXT[action];
  if (!text) return;
  const actorId = ctx.actor?.id;
  const recipients = (
    actorId === session.caregiverId ? [session.patientId, session.bookedBy] : [session.caregiverId]
  ).filter((id) => id !== actorId);
  if (actorId !== session.caregiverId && actorId !== session.patientId && actorId !== session.bookedBy) {
    // Staff acted: both sides hear of it.
    recipients.push(session.patientId, session.bookedBy);
  }
  const notice: AnyNotifyInput = {
    recipients: [...new Set(recipients)],
    kind: `care-session.${action}`,
    type: 'appointment',
    template: 'notice',
    data: { title: text.title, message: text.message(session, actorName ?? 'Someone'), sessionId: session.id },
    subject: careSessionSubject(session.id),
  };
  notify(ctx, notice);
}
