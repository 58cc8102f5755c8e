import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { careAlerts, careReports, careReportVersions } from '../../db/schema';

/**
 * The care reports module's part of an account erasure (both modes): a patient's reports, every version
 * and the alerts they raised go with their account. Reports a caregiver wrote about other patients stay
 * as those patients' records, by id only (`author_id`, content encrypted); an admin's acknowledgement
 * stays by id (`acknowledged_by`).
 */
export function careReportsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(careReportVersions).where(eq(careReportVersions.patientId, userId)),
      ctx.db.delete(careReports).where(eq(careReports.patientId, userId)),
      ctx.db.delete(careAlerts).where(eq(careAlerts.patientId, userId)),
    ],
  };
}
