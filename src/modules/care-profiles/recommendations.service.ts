import { and, count, desc, eq, sql } from 'drizzle-orm';
import { alias, type SQLiteSelect } from 'drizzle-orm/sqlite-core';
import { notify } from '../../access/notices';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  appointments,
  type CaregiverProfileRow,
  type CaregiverRecommendationRow,
  caregiverProfiles,
  caregiverRecommendations,
  users,
} from '../../db/schema';
import { aliasedColumns } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import type { CreateRecommendationInput, RecommendationView } from './care-profiles.schemas';
import { caregiverRowColumns, specialtiesByCaregiver, specialtiesQuery, toPublicCaregiver } from './profile.service';
import { LISTED_CAREGIVER } from './search.service';

const doctors = alias(users, 'recommending_doctor');

/** A listed caregiver (verified, active, with a profile) by id, for a batch. */
const listedCaregiverQuery = (ctx: AuthedContext, caregiverId: string) =>
  ctx.db
    .select(caregiverRowColumns())
    .from(users)
    .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
    .where(and(eq(users.id, caregiverId), LISTED_CAREGIVER));

/**
 * A doctor recommends a listed caregiver to one of their patients (a patient they have, or had, an
 * appointment with, whatever its status), with a note; the patient is told. A read batch, then the
 * insert with its audit event.
 * @throws AppError NOT_FOUND (not a patient of the doctor), VALIDATION_FAILED (no such listed caregiver)
 */
export async function recommendCaregiver(
  ctx: AuthedContext,
  patientId: string,
  input: CreateRecommendationInput,
): Promise<RecommendationView> {
  const doctorId = ctx.actor.id;
  const { me, seen, caregiver, specs } = await batchOf(ctx.db, {
    me: ctx.db.select({ name: users.name }).from(users).where(eq(users.id, doctorId)),
    seen: ctx.db
      .select({ id: appointments.id })
      .from(appointments)
      .innerJoin(users, and(eq(users.id, appointments.patientId), eq(users.status, 'active')))
      .where(and(eq(appointments.patientId, patientId), eq(appointments.doctorId, doctorId)))
      .limit(1),
    caregiver: listedCaregiverQuery(ctx, input.caregiverId),
    specs: specialtiesQuery(ctx, [input.caregiverId]),
  });
  if (!seen[0]) throw notFound('Patient');
  const listed = caregiver[0];
  if (!listed) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'caregiverId', message: 'No such verified caregiver with a profile' }],
    });
  }
  const row: CaregiverRecommendationRow = {
    id: ctx.ids.id('crc'),
    patientId,
    doctorId,
    caregiverId: input.caregiverId,
    note: input.note ?? null,
    createdAt: ctx.clock.now().getTime(),
  };
  await ctx.db.batch([
    ctx.db.insert(caregiverRecommendations).values(row),
    auditInsert(ctx, {
      action: 'caregiver.recommend',
      resourceType: 'caregiver-recommendation',
      resourceId: row.id,
      patientId,
      metadata: { caregiverId: row.caregiverId },
    }),
  ]);
  const doctorName = me[0]?.name ?? null;
  // The note stays in the app: it may say something about the patient's health.
  notify(ctx, {
    recipients: [patientId],
    kind: 'caregiver.recommended',
    type: 'system',
    template: 'notice',
    data: {
      title: 'A caregiver was recommended to you',
      message: `${doctorName ?? 'Your doctor'} recommends ${listed.user.name} as your caregiver. See the recommendation in the app.`,
      recommendationId: row.id,
      caregiverId: row.caregiverId,
    },
    subject: { type: 'caregiver-recommendation', id: row.id },
  });
  return toRecommendationView(
    row,
    { id: doctorId, name: doctorName ?? '' },
    toPublicCaregiver(
      listed.user,
      listed.profile as CaregiverProfileRow,
      specialtiesByCaregiver(specs).get(row.caregiverId) ?? [],
    ),
  );
}

function toRecommendationView(
  row: CaregiverRecommendationRow,
  doctor: { id: string; name: string },
  caregiver: RecommendationView['caregiver'],
): RecommendationView {
  return { id: row.id, doctor, caregiver, note: row.note, createdAt: iso(row.createdAt) };
}

/**
 * The caller's caregiver recommendations, newest first, each with the recommending doctor and the
 * caregiver's public profile; recommendations of caregivers no longer listed are left out. One round trip.
 */
export async function listMyRecommendations(ctx: AuthedContext, query: { page: number; limit: number }) {
  const where = and(eq(caregiverRecommendations.patientId, ctx.actor.id), LISTED_CAREGIVER);
  const from = <T extends SQLiteSelect>(select: T) =>
    select
      .innerJoin(users, eq(users.id, caregiverRecommendations.caregiverId))
      .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
      .where(where);
  const pageOf = <T extends SQLiteSelect>(select: T) =>
    from(select)
      .orderBy(desc(caregiverRecommendations.createdAt), desc(caregiverRecommendations.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit);
  const caregiverIds = pageOf(
    ctx.db.select({ id: caregiverRecommendations.caregiverId }).from(caregiverRecommendations).$dynamic(),
  );
  const { rows, total, specs } = await batchOf(ctx.db, {
    rows: pageOf(
      ctx.db
        .select({
          recommendation: aliasedColumns(caregiverRecommendations, 'rec'),
          ...caregiverRowColumns(),
          doctorName: sql<string>`${doctors.name}`.as('doctor_name'),
        })
        .from(caregiverRecommendations)
        .leftJoin(doctors, eq(doctors.id, caregiverRecommendations.doctorId))
        .$dynamic(),
    ),
    total: from(ctx.db.select({ n: count() }).from(caregiverRecommendations).$dynamic()),
    specs: specialtiesQuery(ctx, caregiverIds),
  });
  const byCaregiver = specialtiesByCaregiver(specs);
  return page(
    rows.map((r) =>
      toRecommendationView(
        r.recommendation as CaregiverRecommendationRow,
        { id: r.recommendation.doctorId, name: r.doctorName ?? '' },
        toPublicCaregiver(r.user, r.profile as CaregiverProfileRow, byCaregiver.get(r.user.id) ?? []),
      ),
    ),
    total[0]?.n ?? 0,
    query,
  );
}
