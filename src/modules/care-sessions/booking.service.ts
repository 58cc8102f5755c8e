import { eq, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type CareSessionRow,
  careDeaths,
  caregiverRecommendations,
  careSessionEvents,
  careSessions,
  users,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { MINUTE_MS } from '../../lib/time';
import { claimStatements, runClaimingBatch } from '../appointments/claims';
import { type IdempotentRun, idempotentRequest, runIdempotent, type StoredResponse } from '../appointments/idempotency';
import { auditInsert } from '../audit/audit.service';
import { linkedSql } from '../caregivers/care-access';
import { bookableCaregiverQuery, dateRange, offersSession, scheduleQueries } from './availability.service';
import type { SessionDetail } from './care-session-access';
import { toCareSessionView } from './care-session-access';
import type { BookCareSessionInput, CareSessionView } from './care-sessions.schemas';
import { careReminderStatements, noticeCareChange } from './session-notices';

/** The idempotency scope of POST /care-sessions. */
export const BOOK_CARE_SCOPE = 'care-sessions.book';

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/**
 * POST /care-sessions: books a `requested` session with a caregiver for the caller or a patient they
 * are linked to (family, carers), optionally from a doctor's recommendation of that caregiver to that
 * patient. The start must be one the caregiver's availability offers; the time is settled by claiming
 * its 5-minute units under the caregiver in the write batch (the appointments' claims engine), so two
 * concurrent bookings of overlapping time cannot both win (409 SLOT_UNAVAILABLE). The hourly rate and
 * currency are snapshotted. Two round trips; an `Idempotency-Key` replays the first answer.
 * @throws AppError NOT_FOUND (caregiver not bookable, patient not the caller's, recommendation not
 *   theirs), VALIDATION_FAILED, CONFLICT (patient deceased or inactive), SLOT_UNAVAILABLE,
 *   IDEMPOTENCY_CONFLICT
 */
export async function bookCareSession(
  ctx: AuthedContext,
  input: BookCareSessionInput,
  idempotencyKey?: string,
): Promise<StoredResponse<CareSessionView> & { replayed: boolean }> {
  const request =
    idempotencyKey === undefined ? null : await idempotentRequest(ctx, BOOK_CARE_SCOPE, idempotencyKey, input);
  return runIdempotent<CareSessionView>(ctx, request, (run) => book(ctx, input, run));
}

async function book(
  ctx: AuthedContext,
  input: BookCareSessionInput,
  run: IdempotentRun<CareSessionView>,
): Promise<StoredResponse<CareSessionView>> {
  const actor = ctx.actor;
  const patientId = input.patientId ?? actor.id;
  const startsAt = Date.parse(input.startsAt);
  const endsAt = startsAt + input.durationMinutes * MINUTE_MS;
  const now = ctx.clock.now().getTime();
  // With only a recommendation, the caregiver is the one it names: read in the same batch.
  const caregiverRef =
    input.caregiverId ??
    sql<string>`(select ${caregiverRecommendations.caregiverId} from ${caregiverRecommendations} where ${caregiverRecommendations.id} = ${input.recommendationId})`;
  const { rangeStart, rangeEnd } = dateRange(
    new Date(startsAt - MINUTE_MS).toISOString().slice(0, 10),
    new Date(endsAt).toISOString().slice(0, 10),
  );
  const schedule = scheduleQueries(ctx, caregiverRef, rangeStart, rangeEnd);
  const read = await batchOf(ctx.db, {
    stored: run.lookup,
    caregiver: bookableCaregiverQuery(ctx, caregiverRef),
    schedule: schedule.schedule,
    hours: schedule.hours,
    recommendation: input.recommendationId
      ? ctx.db.select().from(caregiverRecommendations).where(eq(caregiverRecommendations.id, input.recommendationId))
      : undefined,
    patient: ctx.db
      .select({
        id: users.id,
        name: users.name,
        status: users.status,
        deceased: sql<number>`exists (select 1 from ${careDeaths} where ${careDeaths.patientId} = ${users.id})`.as(
          'deceased',
        ),
        // Aliased: in a batch, unnamed expression columns can shadow each other.
        linked: (patientId === actor.id ? sql<number>`1` : sql<number>`${linkedSql(patientId, actor.id)}`).as('linked'),
      })
      .from(users)
      .where(eq(users.id, patientId)),
    me: ctx.db.select({ name: users.name }).from(users).where(eq(users.id, actor.id)),
  });
  const earlier = run.replay(read.stored);
  if (earlier) return earlier;

  const patient = read.patient[0];
  if (!patient?.linked) throw notFound('Patient');
  const recommendation = read.recommendation?.[0];
  if (input.recommendationId && (!recommendation || recommendation.patientId !== patientId)) {
    throw notFound('Recommendation');
  }
  if (recommendation && input.caregiverId && recommendation.caregiverId !== input.caregiverId) {
    throw invalid('caregiverId', 'Not the caregiver the recommendation names');
  }
  const caregiver = read.caregiver[0];
  const rules = read.schedule[0];
  if (!caregiver || caregiver.hourlyRateCents === null || !rules) throw notFound('Caregiver');
  if (caregiver.id === patient.id) throw invalid('caregiverId', 'A caregiver cannot book a session with themselves');
  if (patient.deceased) throw new AppError('CONFLICT', 'This patient is recorded as deceased');
  if (patient.status !== 'active') throw new AppError('CONFLICT', "The patient's account is not active");
  if (!offersSession({ schedule: rules, hours: read.hours }, input.durationMinutes, startsAt, now)) {
    throw invalid(
      'startsAt',
      'Not a bookable start of this caregiver for this length (outside their hours or grid, too soon or too far ahead); pick one from GET /api/v1/caregivers/{id}/slots',
    );
  }

  const row: CareSessionRow = {
    id: ctx.ids.id('cse'),
    patientId: patient.id,
    caregiverId: caregiver.id,
    bookedBy: actor.id,
    recommendationId: recommendation?.id ?? null,
    mode: input.mode,
    status: 'requested',
    startsAt,
    endsAt,
    bufferMinutes: rules.bufferMinutes,
    timeZone: rules.timeZone,
    address: input.mode === 'in-person' ? (input.address ?? null) : null,
    notes: input.notes ?? null,
    hourlyRateCents: caregiver.hourlyRateCents,
    currency: caregiver.currency,
    checkedInAt: null,
    checkedOutAt: null,
    actualMinutes: null,
    billedMinutes: null,
    amountCents: null,
    cancelledBy: null,
    cancelReason: null,
    createdAt: now,
    updatedAt: now,
  };
  const detail: SessionDetail = {
    ...row,
    caregiverName: caregiver.name,
    patientName: patient.name,
    paymentId: null,
    paymentStatus: null,
    receiptNumber: null,
    relation: 'patient',
  };
  const view = toCareSessionView(detail);
  const span = { doctorId: caregiver.id, startsAt, endsAt, bufferMinutes: rules.bufferMinutes };
  await runClaimingBatch(
    ctx,
    span,
    [
      ctx.db.insert(careSessions).values(row),
      ...claimStatements(ctx, span, { type: 'care-session', id: row.id, expiresAt: null }),
      ctx.db.insert(careSessionEvents).values({
        id: ctx.ids.id('cevt'),
        sessionId: row.id,
        action: 'book',
        fromStatus: null,
        toStatus: 'requested',
        actorId: actor.id,
        actorRole: actor.role,
        reason: null,
        data: { durationMinutes: input.durationMinutes, mode: input.mode },
        at: now,
      }),
      ...careReminderStatements(ctx, row, detail, now),
      auditInsert(ctx, {
        action: 'care_session.book',
        resourceType: 'care_session',
        resourceId: row.id,
        patientId: row.patientId,
        metadata: { caregiverId: row.caregiverId, recommendationId: row.recommendationId },
      }),
      ...run.store({ status: 201, body: view }),
    ],
    { ignore: [], alongside: run.recheck },
  );
  noticeCareChange(ctx, 'book', row, read.me[0]?.name ?? null);
  return { status: 201, body: view };
}
