import ical, { ICalCalendarMethod, ICalEventClass, ICalEventStatus, ICalEventTransparency } from 'ical-generator';

/**
 * iCalendar (RFC 5545) text rendered by `ical-generator` (escaping, CRLF, folding at 75 octets), shared
 * by the appointments' calendar feeds and the appointment emails' `.ics` attachments, so an event a
 * person imported from an email and the same event in their subscribed feed have one UID and replace
 * each other. Times are UTC (`…Z`): every client places them correctly in any zone and across DST,
 * with no VTIMEZONE blocks to ship.
 */

/** Domain of every event UID: `<appointmentId>@kinwell.health`, stable for the appointment's life. */
export const UID_DOMAIN = 'kinwell.health';

const PRODUCT_ID = '//Kinwell//Appointments//EN';

export type IcsStatus = 'tentative' | 'confirmed' | 'cancelled';

/** One VEVENT. */
export interface IcsEvent {
  uid: string;
  /** Bumped by every change, so clients replace their copy. */
  sequence: number;
  /** DTSTAMP: when this version of the event was written. */
  stamp: Date;
  created?: Date;
  lastModified?: Date;
  start: Date;
  end: Date;
  summary: string;
  description: string;
  status: IcsStatus;
}

const STATUS: Record<IcsStatus, ICalEventStatus> = {
  tentative: ICalEventStatus.TENTATIVE,
  confirmed: ICalEventStatus.CONFIRMED,
  cancelled: ICalEventStatus.CANCELLED,
};

/**
 * A VCALENDAR (METHOD:PUBLISH) of `events`, with CRLF line ends throughout. Every event is PRIVATE
 * (calendars are synced to third parties and shown on lock screens); a cancelled one is TRANSPARENT,
 * as it no longer makes anyone busy. `name` titles a subscribed feed (X-WR-CALNAME);
 * `refreshMinutes` tells feed clients how often to poll.
 */
export function renderIcs(input: { events: IcsEvent[]; name?: string; refreshMinutes?: number }): string {
  const calendar = ical({ prodId: PRODUCT_ID, method: ICalCalendarMethod.PUBLISH });
  if (input.name) calendar.name(input.name);
  if (input.refreshMinutes) calendar.ttl(input.refreshMinutes * 60);
  for (const event of input.events) {
    calendar.createEvent({
      id: event.uid,
      sequence: event.sequence,
      stamp: event.stamp,
      ...(event.created ? { created: event.created } : {}),
      ...(event.lastModified ? { lastModified: event.lastModified } : {}),
      start: event.start,
      end: event.end,
      summary: event.summary,
      description: event.description,
      status: STATUS[event.status],
      class: ICalEventClass.PRIVATE,
      transparency: event.status === 'cancelled' ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    });
  }
  // The library ends the last line without CRLF; RFC 5545 terminates every content line.
  return `${calendar.toString()}\r\n`;
}
