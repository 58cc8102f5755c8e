import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { careAlerts, careDeaths, careReports, careReportVersions } from '../../db/schema';

/**
 * The care reports module's part of an account erasure (both modes): a patient's reports, every version
 * the alerts they raised and the deceased mark go with their account. Reports a caregiver wrote about other patients stay
 * as those patients' records, by id only (`author_id`, content encrypted); an admin's acknowledgement
 * stays by id (`acknowledged_by`), and so does who reported a death (`reported_by`).
 */
export function careReportsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(careReportVersions).where(eq(careReportVersions.patientId, userId)),
      ctx.db.delete(careReports).where(eq(careReports.patientId, userId)),
      ctx.db.delete(careAlerts).where(eq(careAlerts.patientId, userId)),
      ctx.db.delete(careDeaths).where(eq(careDeaths.patientId, userId)),
    ],
  };
}
