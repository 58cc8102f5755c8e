import { and, eq, gte, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appointments, careReports, careSessions, payments, refunds } from '../../../src/db/schema';
import { filterOnly } from '../../../src/modules/dashboards/query-hints';
import { db, testEnv } from '../../helpers';

/** The query plan of a statement, one detail per line. */
async function planOf(query: { toSQL: () => { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  const plan = await testEnv.DB.prepare(`explain query plan ${text}`)
    .bind(...params)
    .all<{ detail: string }>();
  return plan.results.map((r) => r.detail).join('\n');
}

describe('Dashboard reads: query plans', () => {
  it("Should read a doctor's visits without a note by the doctor's index, not every completed visit", async () => {
    const plan = await planOf(
      db
        .select({ n: sql`count(*)` })
        .from(appointments)
        .where(and(eq(appointments.doctorId, 'usr_x'), filterOnly(appointments.status, ['completed']))),
    );
    expect(plan).toContain('appointments_doctor_idx');
    expect(plan).not.toContain('appointments_status_idx');
  });

  it("Should read a caregiver's sessions by the caregiver's index", async () => {
    const plan = await planOf(
      db
        .select({ n: sql`count(*)` })
        .from(careSessions)
        .where(and(eq(careSessions.caregiverId, 'usr_x'), filterOnly(careSessions.status, ['requested']))),
    );
    expect(plan).toContain('care_sessions_caregiver_idx');
  });

  it("Should read a doctor's refunds through their payments, not every succeeded refund", async () => {
    const plan = await planOf(
      db
        .select({ at: refunds.refundedAt })
        .from(refunds)
        .innerJoin(payments, eq(payments.id, refunds.paymentId))
        .where(
          and(eq(payments.payeeId, 'usr_x'), filterOnly(refunds.status, ['succeeded']), gte(refunds.refundedAt, 0)),
        ),
    );
    expect(plan).toContain('payments_payee_idx');
    expect(plan).toContain('refunds_payment_idx');
  });

  it('Should walk the care reports by their patient index for the status distribution (no table scan)', async () => {
    // Known cost: one index entry per report. A per-patient status table kept by the care-reports module
    // (or the stats module's daily rollup) would make it one row per patient.
    const plan = await planOf(
      db
        .select({ patientId: careReports.patientId, at: sql`max(${careReports.createdAt})` })
        .from(careReports)
        .groupBy(careReports.patientId),
    );
    expect(plan).toContain('care_reports_patient_idx');
  });
});
