import type { AppointmentAction } from '../db/schema';
import type { AppointmentView } from '../modules/appointments/appointment-access';
import type { CaregiverRequestView } from '../modules/caregivers/caregivers.schemas';
import type { NotificationView } from '../modules/notifications/notifications.schemas';

/** A person as a push names them. */
interface PushPerson {
  id: string;
  name: string;
}

/**
 * Every event pushed to a user's sockets without being asked (docs/api.md, Real time), by name →
 * payload. It fills `PushEvents` of src/platform/realtime-events.ts, so `ctx.ports.realtime.notify`
 * and `UserHubLogic.emit` accept exactly these names with exactly these payloads.
 */
declare module '../platform/realtime-events' {
  interface PushEvents {
    /** To the receiver of a caregiver request. */
    'request:incoming': { request: CaregiverRequestView; requester: PushPerson };
    /** To the requester, when the receiver accepted. */
    'request:accepted:notify': { request: CaregiverRequestView; caregiver: PushPerson };
    /** To the other side of a caregiver link one side ended. */
    'request:removedByUser': { linkId: string; patientId: string; caregiverId: string; by: string };
    /** To an appointment's patient and doctor (except the caller who changed it). */
    'appointment:updated': { action: AppointmentAction; appointment: AppointmentView };
    /** To a video visit's patient when the doctor enters its room while the patient is not in it. */
    'call:doctor-ready': { appointmentId: string; doctor: PushPerson };
    /** To a video visit's doctor, not in its room, when someone starts waiting to be admitted. */
    'call:waiting': { appointmentId: string; participant: PushPerson & { role: 'patient' | 'guest' } };
    /** To the recipient of a new in-app notification, with their unread count (the badge). */
    'notification:new': { notification: NotificationView; unreadCount: number };
  }
}
