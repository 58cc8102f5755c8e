import { eq, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  caregiverCredentials,
  caregiverProfiles,
  caregiverRecommendations,
  caregiverSpecialties,
} from '../../db/schema';

/**
 * The care-profiles module's part of an account erasure (both modes): a caregiver's public profile
 * (bio, rate, location, photo link), credentials (numbers and document links; the files module deletes
 * the documents) and specialties go; so does every recommendation naming the account, as the patient,
 * the recommending doctor or the caregiver recommended (a note between two people about a third is
 * nobody's record once one of them is gone).
 */
export function careProfilesErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
      db
        .delete(caregiverRecommendations)
        .where(
          or(
            eq(caregiverRecommendations.patientId, userId),
            eq(caregiverRecommendations.doctorId, userId),
            eq(caregiverRecommendations.caregiverId, userId),
          ),
        ),
      db.delete(caregiverSpecialties).where(eq(caregiverSpecialties.caregiverId, userId)),
      db.delete(caregiverCredentials).where(eq(caregiverCredentials.caregiverId, userId)),
      db.delete(caregiverProfiles).where(eq(caregiverProfiles.userId, userId)),
    ],
  };
}
