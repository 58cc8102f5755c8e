import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { iso } from '../../lib/time';
import { detailView } from '../appointments/appointment-access';
import { upcomingAppointmentsQuery } from '../appointments/queries.service';
import { recordAudit } from '../audit/audit.service';
import { todaysDoses, todaysDosesQueries } from '../schedules/dose-reads.service';
import { caredForIn, caredForQuery } from './care-access';
import type { OverviewAppointmentView, OverviewDoseView, PatientOverview } from './caregivers.schemas';

/** Most upcoming appointments the overview lists (soonest first). */
export const OVERVIEW_APPOINTMENTS = 10;

/**
 * What a caregiver sees of a patient they actively care for: the patient's name, today's doses (in
 * the patient's time zone, with their status; never the patient's dose notes) and the next
 * OVERVIEW_APPOINTMENTS live appointments (time, doctor, status, type; never the reason, symptoms,
 * notes or attachments). Audited as `caregiver.patient.overview`.
 *
 * Two round trips: the link, the patient's zone, doses and appointments in one read batch (the doses
 * and appointments modules build their statements), then the audit row, whose dose count needs the
 * patient's zone, which SQL cannot apply.
 * @throws AppError NOT_FOUND (not a patient the caller actively cares for)
 */
export async function patientOverview(ctx: AuthedContext, patientId: string): Promise<PatientOverview> {
  const read = await batchOf(ctx.db, {
    link: caredForQuery(ctx, patientId),
    ...todaysDosesQueries(ctx, patientId),
    appointments: upcomingAppointmentsQuery(ctx, patientId, OVERVIEW_APPOINTMENTS),
  });
  const { link, patient } = caredForIn(read.link);

  const today = todaysDoses(ctx, read);
  const doses: OverviewDoseView[] = today.items.map((dose) => ({
    id: dose.id,
    name: dose.schedule?.name ?? null,
    kind: dose.schedule?.kind ?? null,
    dosage: dose.schedule?.dosage ?? null,
    quantityPerDose: dose.schedule?.quantityPerDose ?? null,
    localTime: dose.localTime,
    scheduledAt: dose.scheduledAt,
    status: dose.status,
    takenAt: dose.takenAt,
  }));
  const upcomingAppointments: OverviewAppointmentView[] = read.appointments.map((row) => {
    const a = detailView(row);
    return {
      id: a.id,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      timeZone: a.timeZone,
      localStart: a.localStart,
      status: a.status,
      type: a.type,
      doctor: { id: a.doctor.id, name: a.doctor.name },
    };
  });

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
    today: { date: today.range.from, timeZone: today.range.timeZone, doses },
    upcomingAppointments,
  };
}
