import { eq, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  emergencyAccesses,
  medicalRecordAccessLog,
  medicalRecordDocuments,
  medicalRecordVersions,
  recordGrants,
} from '../../db/schema';

/**
 * The medical records module's part of an account erasure (both modes): a patient's own record goes
 * with their account (every version, document link, access-log row, grant and emergency access about
 * them), and grants held by the account end with it. What the account did in other patients' records
 * stays as those patients' records, by id only: versions it wrote (`author_id`, content encrypted),
 * documents it added (`added_by`), access-log rows naming it (`actor_id`), emergency accesses it used
 * or reviewed (`doctor_id`, `reviewed_by`). The document files themselves go with their owner's files.
 */
export function medicalRecordsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(medicalRecordVersions).where(eq(medicalRecordVersions.patientId, userId)),
      ctx.db.delete(medicalRecordDocuments).where(eq(medicalRecordDocuments.patientId, userId)),
      ctx.db.delete(medicalRecordAccessLog).where(eq(medicalRecordAccessLog.patientId, userId)),
      ctx.db.delete(recordGrants).where(or(eq(recordGrants.patientId, userId), eq(recordGrants.granteeId, userId))),
      ctx.db.delete(emergencyAccesses).where(eq(emergencyAccesses.patientId, userId)),
    ],
  };
}
