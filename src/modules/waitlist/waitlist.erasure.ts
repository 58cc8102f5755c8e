import { eq, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { waitlistEntries, waitlistOffers } from '../../db/schema';

/**
 * The waitlist's part of an account erasure, the same in both modes: a patient's entries and offers go,
 * and so does a doctor's whole waitlist (entries and offers), since nobody can be offered their time any
 * more. Entries a staff member made for other patients stay, without naming them. The offers' holds
 * are the appointments module's (its erasure removes the patient's holds).
 */
export function waitlistErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
      db.delete(waitlistOffers).where(or(eq(waitlistOffers.patientId, userId), eq(waitlistOffers.doctorId, userId))),
      db.delete(waitlistEntries).where(or(eq(waitlistEntries.patientId, userId), eq(waitlistEntries.doctorId, userId))),
      db.update(waitlistEntries).set({ createdBy: null }).where(eq(waitlistEntries.createdBy, userId)),
    ],
  };
}
