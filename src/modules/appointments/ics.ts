import type { AppointmentStatus, AppointmentType } from '../../db/schema';
import { type IcsStatus, renderIcs, UID_DOMAIN } from '../../lib/ics';
import { localDateAt, localTimeAt } from '../../lib/time';

/**
 * iCalendar (RFC 5545) for appointments, rendered by `renderIcs` (src/lib/ics.ts, which the
 * appointment emails' attachments share). Events carry no clinical text (reason, symptoms, notes):
 * calendars are synced to third parties and shown on lock screens.
 */

/** Who a calendar event is for. */
export type Viewer = 'patient' | 'doctor' | 'staff';

export interface CalendarEntry {
  appointmentId: string;
  status: AppointmentStatus;
  type: AppointmentType;
  startsAt: number;
  endsAt: number;
  /** The doctor's zone, shown in the description as the practice's wall clock. */
  timeZone: string;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every change after booking, so clients replace their copy. */
  sequence: number;
  serviceName: string | null;
  doctorName: string | null;
  patientName: string | null;
  /** Whose calendar the event goes into: the summary names the other party. */
  viewer: Viewer;
}

const STATUS: Record<AppointmentStatus, IcsStatus> = {
  pending: 'tentative',
  confirmed: 'confirmed',
  'in-progress': 'confirmed',
  completed: 'confirmed',
  'no-show': 'confirmed',
  rejected: 'cancelled',
  cancelled: 'cancelled',
};

const TYPE_LABEL: Record<AppointmentType, string> = {
  video: 'Video consultation',
  'in-person': 'In-person visit',
};

/** "Dr. Dana Demo" whether or not the stored name already carries the title. */
export function doctorTitle(name: string | null): string {
  if (!name) return 'your doctor';
  return /^dr\.?\s/i.test(name) ? name : `Dr. ${name}`;
}

/**
 * The event title for a viewer: patients see the doctor, doctors see the patient, staff see both.
 * @example summaryFor({ serviceName: 'General consultation', doctorName: 'Dana Demo', viewer: 'patient', … })
 *   // 'General consultation with Dr. Dana Demo'
 */
export function summaryFor(entry: CalendarEntry): string {
  const viewer = entry.viewer;
  const what = entry.serviceName ?? 'Appointment';
  const patient = entry.patientName ?? 'a patient';
  if (viewer === 'doctor') return `${what} with ${patient}`;
  if (viewer === 'staff') return `${what}: ${patient} with ${doctorTitle(entry.doctorName)}`;
  return `${what} with ${doctorTitle(entry.doctorName)}`;
}

function descriptionOf(entry: CalendarEntry): string {
  const local = (ms: number) => `${localDateAt(ms, entry.timeZone)} ${localTimeAt(ms, entry.timeZone)}`;
  const lines = [
    TYPE_LABEL[entry.type],
    entry.status === 'pending' ? 'Awaiting confirmation by the practice' : null,
    `Practice time: ${local(entry.startsAt)}–${localTimeAt(entry.endsAt, entry.timeZone)} (${entry.timeZone})`,
    `Kinwell appointment ${entry.appointmentId}`,
  ];
  return lines.filter(Boolean).join('\n');
}

/**
 * A VCALENDAR (METHOD:PUBLISH) of `entries`, with CRLF line ends throughout.
 * `name` titles a subscribed feed (X-WR-CALNAME); `refreshMinutes` tells feed clients how often to poll.
 */
export function renderCalendar(input: {
  entries: CalendarEntry[];
  now: Date;
  name?: string;
  refreshMinutes?: number;
}): string {
  return renderIcs({
    name: input.name,
    refreshMinutes: input.refreshMinutes,
    events: input.entries.map((entry) => ({
      uid: `${entry.appointmentId}@${UID_DOMAIN}`,
      sequence: entry.sequence,
      stamp: input.now,
      created: new Date(entry.createdAt),
      lastModified: new Date(entry.updatedAt),
      start: new Date(entry.startsAt),
      end: new Date(entry.endsAt),
      summary: summaryFor(entry),
      description: descriptionOf(entry),
      status: STATUS[entry.status],
    })),
  });
}
