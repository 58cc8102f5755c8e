import ical, { ICalCalendarMethod, ICalEventClass, ICalEventStatus, ICalEventTransparency } from 'ical-generator';
import type { AppointmentStatus, AppointmentType } from '../../db/schema';
import { localDateAt, localTimeAt } from '../../lib/time';

/**
 * iCalendar (RFC 5545) for appointments, rendered by `ical-generator` (escaping, CRLF, folding at 75
 * octets). Times are UTC (`…Z`): every client places them correctly in any zone and across DST, with no
 * VTIMEZONE blocks to ship. Events carry no clinical text (reason, symptoms, notes): calendars are
 * synced to third parties and shown on lock screens.
 */

/** Domain of every event UID: `<appointmentId>@kinwell.health`, stable for the appointment's life. */
export const UID_DOMAIN = 'kinwell.health';

const PRODUCT_ID = '//Kinwell//Appointments//EN';

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

const STATUS: Record<AppointmentStatus, ICalEventStatus> = {
  pending: ICalEventStatus.TENTATIVE,
  confirmed: ICalEventStatus.CONFIRMED,
  'in-progress': ICalEventStatus.CONFIRMED,
  completed: ICalEventStatus.CONFIRMED,
  'no-show': ICalEventStatus.CONFIRMED,
  rejected: ICalEventStatus.CANCELLED,
  cancelled: ICalEventStatus.CANCELLED,
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
  const calendar = ical({ prodId: PRODUCT_ID, method: ICalCalendarMethod.PUBLISH });
  if (input.name) calendar.name(input.name);
  if (input.refreshMinutes) calendar.ttl(input.refreshMinutes * 60);
  for (const entry of input.entries) {
    const cancelled = STATUS[entry.status] === ICalEventStatus.CANCELLED;
    calendar.createEvent({
      id: `${entry.appointmentId}@${UID_DOMAIN}`,
      sequence: entry.sequence,
      stamp: input.now,
      created: new Date(entry.createdAt),
      lastModified: new Date(entry.updatedAt),
      start: new Date(entry.startsAt),
      end: new Date(entry.endsAt),
      summary: summaryFor(entry),
      description: descriptionOf(entry),
      status: STATUS[entry.status],
      class: ICalEventClass.PRIVATE,
      // A cancelled visit no longer makes anyone busy.
      transparency: cancelled ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    });
  }
  // The library ends the last line without CRLF; RFC 5545 terminates every content line.
  return `${calendar.toString()}\r\n`;
}
