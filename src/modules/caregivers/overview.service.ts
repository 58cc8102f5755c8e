import type { Actor, ServiceContext } from '../../context';
import { iso } from '../../lib/time';
import { listMyAppointments } from '../appointments/queries.service';
import { recordAudit } from '../audit/audit.service';
import { listDoses } from '../schedules/dose-reads.service';
import { caredForPatient } from './care-access';
import type { OverviewAppointmentView, OverviewDoseView, PatientOverview } from './caregivers.schemas';

/** Most upcoming appointments the overview lists (soonest first). */
export const OVERVIEW_APPOINTMENTS = 10;
/** Doses read per page while collecting today's (a day rarely has more than one page). */
const DOSE_PAGE = 100;

/**
 * The same unit of work reading as the patient, for the schedules and appointments services, which
 * scope their "my …" reads to `ctx.actor`. Used only for reads, after `caredForPatient` proved the
 * caller's active link; audit events are written with the caller's own context.
 */
function readingAs(ctx: ServiceContext, patient: { id: string; role: Actor['role'] }): ServiceContext {
  return { ...ctx, actor: { id: patient.id, role: patient.role, subRoles: [], status: 'active', sessionId: null } };
}

/**
 * What a caregiver sees of a patient they actively care for: the patient's name, today's doses (in
 * the patient's time zone, with their status; never the patient's dose notes) and the next
 * OVERVIEW_APPOINTMENTS live appointments (time, doctor, status, type; never the reason, symptoms,
 * notes or attachments). Audited as `caregiver.patient.overview`.
 * @throws AppError NOT_FOUND (not a patient the caller actively cares for)
 */
export async function patientOverview(ctx: ServiceContext, patientId: string): Promise<PatientOverview> {
  const { link, patient } = await caredForPatient(ctx, patientId);
  const asPatient = readingAs(ctx, patient);

  const doses: OverviewDoseView[] = [];
  let range = { from: '', timeZone: 'UTC' };
  for (let current = 1; ; current++) {
    const result = await listDoses(asPatient, { page: current, limit: DOSE_PAGE });
    range = result.range;
    for (const dose of result.items) {
      doses.push({
        id: dose.id,
        name: dose.schedule?.name ?? null,
        kind: dose.schedule?.kind ?? null,
        dosage: dose.schedule?.dosage ?? null,
        quantityPerDose: dose.schedule?.quantityPerDose ?? null,
        localTime: dose.localTime,
        scheduledAt: dose.scheduledAt,
        status: dose.status,
        takenAt: dose.takenAt,
      });
    }
    if (!result.pagination.hasNext) break;
  }

  const appointments = await listMyAppointments(asPatient, {
    page: 1,
    limit: OVERVIEW_APPOINTMENTS,
    upcoming: true,
    order: 'asc',
  });
  const upcomingAppointments: OverviewAppointmentView[] = appointments.items.map((a) => ({
    id: a.id,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    timeZone: a.timeZone,
    localStart: a.localStart,
    status: a.status,
    type: a.type,
    doctor: { id: a.doctor.id, name: a.doctor.name },
  }));

  await recordAudit(ctx, {
    action: 'caregiver.patient.overview',
    resourceType: 'caregiver_link',
    resourceId: link.id,
    patientId: patient.id,
    metadata: { doses: doses.length, appointmentIds: upcomingAppointments.map((a) => a.id) },
  });
  return {
    patient: { id: patient.id, name: patient.name },
    linkId: link.id,
    since: iso(link.createdAt),
    today: { date: range.from, timeZone: range.timeZone, doses },
    upcomingAppointments,
  };
}
