import type {
  AppointmentRow,
  AppointmentStatus,
  CallRecordingRow,
  CallRecordingStatus,
  CallSessionRow,
  UserRow,
} from '../../src/db/schema';
import { callRecordings, callSessions } from '../../src/db/schema';
import { db, uniqueId } from '../helpers';
import { account, insertAppointment, practice } from './practice';

/**
 * A patient, a doctor (with a practice) and their video appointment starting at `startsAt` (confirmed
 * unless `status` says otherwise), with tokens valid at `now`: the room and the calls routes' tests.
 */
export async function insertVideoAppointment(input: {
  now: Date;
  startsAt: string;
  minutes?: number;
  status?: AppointmentStatus;
}): Promise<{
  appointment: AppointmentRow;
  patient: { user: UserRow; token: string };
  doctor: { user: UserRow; token: string };
}> {
  const minutes = input.minutes ?? 30;
  const { doctor, services } = await practice(input.now, { serviceMinutes: [minutes] });
  const patient = await account('user', input.now);
  const appointment = await insertAppointment({
    patientId: patient.user.id,
    doctorId: doctor.user.id,
    serviceId: services[0]!.id,
    startsAt: input.startsAt,
    minutes,
    status: input.status ?? 'confirmed',
  });
  return { appointment, patient, doctor };
}

/** The room's D1 row for `appointment`, as its first join writes it; `fields` override (e.g. ended). */
export async function insertCallSession(
  appointment: Pick<AppointmentRow, 'id' | 'doctorId' | 'patientId' | 'startsAt'>,
  fields: Partial<CallSessionRow> = {},
): Promise<CallSessionRow> {
  const openedAt = fields.openedAt ?? appointment.startsAt - 5 * 60_000;
  const row: CallSessionRow = {
    id: uniqueId('call'),
    appointmentId: appointment.id,
    doctorId: appointment.doctorId,
    patientId: appointment.patientId,
    status: 'open',
    openedAt,
    startedAt: null,
    endedAt: null,
    endedBy: null,
    durationSeconds: null,
    outcome: null,
    createdAt: openedAt,
    updatedAt: openedAt,
    ...fields,
  };
  await db.insert(callSessions).values(row);
  return row;
}

/** A recording of `session` started by `startedBy`, as the room writes it (`stopped` unless `status` says otherwise). */
export async function insertRecording(
  session: Pick<CallSessionRow, 'id' | 'appointmentId' | 'openedAt'>,
  startedBy: string,
  fields: Partial<CallRecordingRow> & { status?: CallRecordingStatus } = {},
): Promise<CallRecordingRow> {
  const startedAt = fields.startedAt ?? session.openedAt + 60_000;
  const status = fields.status ?? 'stopped';
  const row: CallRecordingRow = {
    id: uniqueId('rec'),
    sessionId: session.id,
    appointmentId: session.appointmentId,
    startedBy,
    status,
    startedAt,
    stoppedAt: status === 'recording' ? null : startedAt + 10 * 60_000,
    stopReason: status === 'recording' ? null : 'stopped',
    storageKey: null,
    uploadId: null,
    contentType: null,
    sizeBytes: null,
    storedAt: null,
    deleteAfter: null,
    deletedAt: null,
    createdAt: startedAt,
    ...fields,
  };
  await db.insert(callRecordings).values(row);
  return row;
}
