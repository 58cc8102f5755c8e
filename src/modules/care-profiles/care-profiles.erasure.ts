import { eq, ne, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import {
  caregiverCredentials,
  caregiverProfiles,
  caregiverRecommendations,
  caregiverSpecialties,
  careSessionReviews,
} from '../../db/schema';
import { recomputeCaregiverRating } from './care-reviews.service';

/**
 * The care-profiles module's part of an account erasure (both modes): a caregiver's public profile
 * (bio, rate, location, photo link), credentials (numbers and document links; the files module deletes
 * the documents) and specialties go; so does every recommendation naming the account, as the patient,
 * the recommending doctor or the caregiver recommended (a note between two people about a third is
 * nobody's record once one of them is gone). Session reviews go too, the same in both modes: an erased
 * patient's (the rating of every caregiver they reviewed is recomputed without them first, in the
 * same batch) and an erased caregiver's received ones.
 */
export function careProfilesErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  return {
    statements: [
      recomputeCaregiverRating(
        ctx,
        db
          .selectDistinct({ id: careSessionReviews.caregiverId })
          .from(careSessionReviews)
          .where(eq(careSessionReviews.patientId, userId)),
        ne(careSessionReviews.patientId, userId),
      ),
      db
        .delete(careSessionReviews)
        .where(or(eq(careSessionReviews.patientId, userId), eq(careSessionReviews.caregiverId, userId))),
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
