import { and, count, desc, eq, getTableColumns, inArray, isNull, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import { runBatch, type Statements } from '../../db/batch';
import {
  appointments,
  type Medication,
  type PrescriptionRow,
  type PrescriptionStatus,
  prescriptions,
  users,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso, localDateAt } from '../../lib/time';
import { appointmentDetails, seenBy } from '../appointments/appointment-access';
import { transitionAppointment } from '../appointments/lifecycle.service';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { liveGrantSql } from '../medical-records/record-access';
import { profileTimeZoneQuery } from '../schedules/doses.service';
import { endSchedulesStatements, medicineScheduleRow, newScheduleStatements } from '../schedules/schedules.service';
import { expiryOf, lastDateOf, PRESCRIBABLE, timesOf } from './prescriptions.policy';
import type {
  CompleteInput,
  CreatePrescriptionInput,
  PrescriptionView,
  UpdatePrescriptionInput,
} from './prescriptions.schemas';

/**
 * Prescriptions: written by an appointment's doctor, read by the patient and the writing doctor (any
 * other caller gets NOT_FOUND), accepted by the patient into medicine schedules, changed or soft
 * deleted by the doctor, expired by the cron. Every read and change is audited in the batch that does
 * it (ids and counts only, never the medications), so a read is one round trip and a write two.
 */

/** Most prescriptions the expiry cron marks per run. */
export const EXPIRY_BATCH = 500;

type Details = PrescriptionRow & { patientName: string | null; doctorName: string | null };

const patientUser = alias(users, 'rx_patient');
const doctorUser = alias(users, 'rx_doctor');

/** Prescriptions with the names of their patient and doctor, to filter. */
function details(ctx: ServiceContext) {
  return ctx.db
    .select({
      ...getTableColumns(prescriptions),
      patientName: sql<string | null>`${patientUser.name}`.as('patient_name'),
      doctorName: sql<string | null>`${doctorUser.name}`.as('doctor_name'),
    })
    .from(prescriptions)
    .leftJoin(patientUser, eq(patientUser.id, prescriptions.patientId))
    .leftJoin(doctorUser, eq(doctorUser.id, prescriptions.doctorId))
    .$dynamic();
}

type Reader = 'patient' | 'doctor' | 'grantee';

/**
 * The prescription `id` when the caller is one of `as`, in SQL: its patient, its writing doctor, or
 * someone the patient allowed to read their record (a live whole-record grant: a linked caregiver, say).
 */
function readableWhere(ctx: AuthedContext, id: string, as: readonly Reader[] = ['patient', 'doctor', 'grantee']): SQL {
  const who: SQL[] = [];
  if (as.includes('patient')) who.push(eq(qualified(prescriptions.patientId), ctx.actor.id));
  if (as.includes('doctor')) who.push(eq(qualified(prescriptions.doctorId), ctx.actor.id));
  if (as.includes('grantee')) who.push(liveGrantSql(ctx, qualified(prescriptions.patientId), ['record']));
  return and(eq(qualified(prescriptions.id), id), or(...who))!;
}

export function toPrescriptionView(row: Details): PrescriptionView {
  return {
    id: row.id,
    appointmentId: row.appointmentId,
    patientId: row.patientId,
    patientName: row.patientName,
    doctorId: row.doctorId,
    doctorName: row.doctorName,
    medications: row.medications.map((m) => ({
      ...m,
      timesOfDay: timesOf(m.frequency),
      lastDate: lastDateOf(m, row.startDate),
    })),
    notes: row.notes,
    status: row.status,
    timeZone: row.timeZone,
    startDate: row.startDate,
    expiresAt: iso(row.expiresAt),
    acceptedAt: iso(row.acceptedAt),
    scheduleIds: row.scheduleIds,
    deletedAt: iso(row.deletedAt),
    deleteReason: row.deleteReason,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

const toMedications = (input: CreatePrescriptionInput['medications']): Medication[] =>
  input.map((m) => ({
    name: m.name,
    dosage: m.dosage,
    frequency: m.frequency,
    duration: m.duration,
    instructions: m.instructions ?? null,
  }));

const rxAudit = (
  ctx: ServiceContext,
  row: Pick<PrescriptionRow, 'id' | 'patientId' | 'appointmentId'>,
  action: string,
  metadata: Record<string, unknown> = {},
) =>
  auditInsert(
    ctx,
    {
      action: `prescription.${action}`,
      resourceType: 'prescription',
      resourceId: row.id,
      patientId: row.patientId,
      // Ids and counts only: the medications are clinical and never go into the audit trail.
      metadata: { appointmentId: row.appointmentId, ...metadata },
    },
    { guard: 'one-row-changed' },
  );

/**
 * The statements of a prescription's writing (insert and audit), for the write batch of the caller:
 * `createPrescription`, or an appointment transition that carries one.
 */
export function prescriptionFor(
  ctx: AuthedContext,
  appointment: { id: string; patientId: string; doctorId: string },
  timeZone: string | null,
  input: CreatePrescriptionInput,
): { row: PrescriptionRow; statements: Statements } {
  const now = ctx.clock.now().getTime();
  const zone = timeZone ?? 'UTC';
  const startDate = localDateAt(now, zone);
  const medications = toMedications(input.medications);
  const row: PrescriptionRow = {
    id: ctx.ids.id('rx'),
    appointmentId: appointment.id,
    patientId: appointment.patientId,
    doctorId: appointment.doctorId,
    medications,
    notes: input.notes ?? null,
    status: 'active',
    timeZone: zone,
    startDate,
    expiresAt: expiryOf(medications, startDate, zone),
    acceptedAt: null,
    scheduleIds: [],
    deletedAt: null,
    deleteReason: null,
    createdAt: now,
    updatedAt: now,
  };
  return {
    row,
    statements: [
      ctx.db.insert(prescriptions).values(row),
      auditInsert(ctx, {
        action: 'prescription.create',
        resourceType: 'prescription',
        resourceId: row.id,
        patientId: row.patientId,
        metadata: { appointmentId: row.appointmentId, medications: medications.length },
      }),
    ],
  };
}

/** Refuses a prescription on an appointment in a status it cannot be written on. @throws AppError INVALID_TRANSITION */
function requirePrescribable(status: (typeof PRESCRIBABLE)[number] | string): void {
  if (!(PRESCRIBABLE as readonly string[]).includes(status)) {
    throw new AppError('INVALID_TRANSITION', `A prescription cannot be written on a ${status} appointment`, {
      details: { status, allowed: PRESCRIBABLE },
    });
  }
}

/** The patient's profile time zone, read by the appointment's id (for a read batch). */
const patientZoneQuery = (ctx: ServiceContext, appointmentId: string) =>
  profileTimeZoneQuery(
    ctx,
    sql`(select ${qualified(appointments.patientId)} from ${appointments} where ${qualified(appointments.id)} = ${appointmentId})`,
  );

/**
 * The doctor completes their appointment (the lifecycle's `complete`), and when `prescription` is
 * given writes it in the same write batch (Arthomed): two round trips either way, and a completion
 * that fails (wrong status, lost race) writes no prescription.
 * @throws AppError as `transitionAppointment` (NOT_FOUND, FORBIDDEN, INVALID_TRANSITION)
 */
export async function completeAppointment(ctx: AuthedContext, id: string, input: CompleteInput) {
  const { prescription } = input;
  const transition = { reason: input.reason };
  if (!prescription) return transitionAppointment(ctx, id, 'complete', transition);
  let written: Details | undefined;
  const view = await transitionAppointment(ctx, id, 'complete', transition, {
    read: patientZoneQuery(ctx, id),
    statements: (appointment, read) => {
      const zone = (read as { timeZone: string | null }[] | undefined)?.[0]?.timeZone ?? null;
      const { row, statements } = prescriptionFor(ctx, appointment, zone, prescription);
      written = { ...row, patientName: appointment.patientName, doctorName: appointment.doctorName };
      return statements;
    },
  });
  return { ...view, prescription: toPrescriptionView(written!) };
}

/**
 * Writes a prescription on the calling doctor's appointment (confirmed, in progress or completed),
 * dated in the patient's profile time zone (UTC without one), audited in the same batch.
 * @throws AppError NOT_FOUND (not the caller's appointment), INVALID_TRANSITION (its status)
 */
export async function createPrescription(
  ctx: AuthedContext,
  appointmentId: string,
  input: CreatePrescriptionInput,
): Promise<PrescriptionView> {
  const [found, zone] = await ctx.db.batch([
    appointmentDetails(ctx).where(eq(appointments.id, appointmentId)),
    patientZoneQuery(ctx, appointmentId),
  ]);
  const { row: appointment } = seenBy(ctx, found[0], ['doctor']);
  requirePrescribable(appointment.status);
  const { row, statements } = prescriptionFor(ctx, appointment, zone[0]?.timeZone ?? null, input);
  await runBatch(ctx.db, statements);
  return toPrescriptionView({ ...row, patientName: appointment.patientName, doctorName: appointment.doctorName });
}

/**
 * One prescription the caller may read (its patient or writing doctor), with the read's audit row in
 * the same batch (written exactly when the read is allowed): one round trip.
 * @throws AppError NOT_FOUND
 */
export async function getPrescription(ctx: AuthedContext, id: string, action = 'read'): Promise<PrescriptionView> {
  const where = readableWhere(ctx, id);
  const [rows] = await ctx.db.batch([
    details(ctx).where(where),
    auditInsert(
      ctx,
      {
        action: `prescription.${action}`,
        resourceType: 'prescription',
        resourceId: id,
        patientId: qualified(prescriptions.patientId),
        metadata: sql`json_object('appointmentId', ${qualified(prescriptions.appointmentId)})`,
      },
      { guard: { from: prescriptions, where } },
    ),
  ]);
  const row = rows[0];
  if (!row) throw notFound('Prescription');
  return toPrescriptionView(row);
}

/**
 * A page of the caller's prescriptions, newest first: a doctor's are the ones they wrote, anyone
 * else's the ones written for them. Audited (one row per listing, with the ids listed) in the same batch.
 */
export async function listPrescriptions(
  ctx: AuthedContext,
  query: { page: number; limit: number; status?: PrescriptionStatus },
) {
  const asDoctor = ctx.actor.role === 'doctor';
  const filters: SQL[] = [
    asDoctor ? eq(prescriptions.doctorId, ctx.actor.id) : eq(prescriptions.patientId, ctx.actor.id),
  ];
  if (query.status) filters.push(eq(prescriptions.status, query.status));
  const where = and(...filters);
  const offset = (query.page - 1) * query.limit;
  const listed = ctx.db
    .select({ id: prescriptions.id })
    .from(prescriptions)
    .where(where)
    .orderBy(desc(prescriptions.createdAt), desc(prescriptions.id))
    .limit(query.limit)
    .offset(offset);
  const [rows, [total]] = await ctx.db.batch([
    details(ctx)
      .where(where)
      .orderBy(desc(prescriptions.createdAt), desc(prescriptions.id))
      .limit(query.limit)
      .offset(offset),
    ctx.db.select({ n: count() }).from(prescriptions).where(where),
    auditInsert(ctx, {
      action: 'prescription.list',
      resourceType: 'prescription',
      patientId: asDoctor ? null : ctx.actor.id,
      metadata: sql`(select json_object('as', ${asDoctor ? 'doctor' : 'patient'}, 'ids', json_group_array(id)) from (${listed}))`,
    }),
  ]);
  return page(rows.map(toPrescriptionView), total?.n ?? 0, query);
}

/** The prescription `id` as its writing doctor or its patient (`as`) reads it for a change. @throws AppError NOT_FOUND */
async function forChange(ctx: AuthedContext, id: string, as: Reader): Promise<Details> {
  const [row] = await details(ctx).where(readableWhere(ctx, id, [as]));
  if (!row) throw notFound('Prescription');
  return row;
}

function requireActive(row: PrescriptionRow, doing: string): void {
  if (row.status !== 'active') {
    throw new AppError('INVALID_TRANSITION', `A ${row.status} prescription cannot be ${doing}`, {
      details: { status: row.status },
    });
  }
}

/** The write batch of a change of one prescription, its audit guarded: a concurrent change answers 409. */
async function commit(ctx: ServiceContext, statements: Statements): Promise<void> {
  try {
    await runBatch(ctx.db, statements);
  } catch (err) {
    if (auditGuardTripped(err)) {
      throw new AppError('INVALID_TRANSITION', 'The prescription changed meanwhile; read it again');
    }
    throw err;
  }
}

/**
 * The medicine schedules of a prescription's medications whose course has not ended by `today`, from
 * today (or the course start) to each course's last day, in the prescription's time zone.
 */
function schedulesFor(
  ctx: ServiceContext,
  row: PrescriptionRow,
  medications: Medication[],
  today: string,
  now: number,
) {
  const start = row.startDate > today ? row.startDate : today;
  return medications
    .filter((m) => lastDateOf(m, row.startDate) >= today)
    .map((m) =>
      medicineScheduleRow(
        ctx,
        {
          ownerId: row.patientId,
          medicineName: m.name,
          dosage: m.dosage,
          timesOfDay: timesOf(m.frequency),
          timeZone: row.timeZone,
          startDate: start,
          endDate: lastDateOf(m, row.startDate),
          notes: m.instructions,
          source: 'prescription',
        },
        now,
      ),
    );
}

/**
 * The patient accepts their active prescription: one medicine schedule per medication whose course
 * is still running (daily at its times, until its last day), with their doses and dose reminders,
 * written in the same batch as the acceptance. Idempotent: accepting an accepted prescription
 * answers it as it stands and writes nothing.
 * @throws AppError NOT_FOUND (not the caller's), INVALID_TRANSITION (expired or deleted)
 */
export async function acceptPrescription(ctx: AuthedContext, id: string): Promise<PrescriptionView> {
  const row = await forChange(ctx, id, 'patient');
  if (row.acceptedAt !== null) return toPrescriptionView(row);
  requireActive(row, 'accepted');
  const now = ctx.clock.now().getTime();
  const created = schedulesFor(ctx, row, row.medications, localDateAt(now, row.timeZone), now);
  const next: Details = { ...row, acceptedAt: now, scheduleIds: created.map((s) => s.id), updatedAt: now };
  await commit(ctx, [
    ctx.db
      .update(prescriptions)
      .set({ acceptedAt: now, scheduleIds: next.scheduleIds, updatedAt: now })
      .where(and(eq(prescriptions.id, id), isNull(prescriptions.acceptedAt), eq(prescriptions.status, 'active'))),
    rxAudit(ctx, row, 'accept', { schedules: created.length }),
    ...created.flatMap((s) => newScheduleStatements(ctx, s, now)),
  ]);
  return toPrescriptionView(next);
}

/**
 * The writing doctor changes an active prescription's medications and/or notes. New medications
 * count their durations from the day it was written again (the expiry follows); when the patient
 * has accepted it, its schedules end today and the new medications' schedules replace them, in the
 * same batch.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (expired or deleted, or changed meanwhile)
 */
export async function updatePrescription(
  ctx: AuthedContext,
  id: string,
  input: UpdatePrescriptionInput,
): Promise<PrescriptionView> {
  const row = await forChange(ctx, id, 'doctor');
  requireActive(row, 'changed');
  const now = ctx.clock.now().getTime();
  const today = localDateAt(now, row.timeZone);
  const next: Details = { ...row, updatedAt: now };
  if (input.notes !== undefined) next.notes = input.notes;
  const statements: Statements = [];
  const fields = Object.keys(input).filter((k) => input[k as keyof UpdatePrescriptionInput] !== undefined);
  if (input.medications) {
    next.medications = toMedications(input.medications);
    next.expiresAt = expiryOf(next.medications, row.startDate, row.timeZone);
    if (row.acceptedAt !== null) {
      const created = schedulesFor(ctx, row, next.medications, today, now);
      next.scheduleIds = created.map((s) => s.id);
      statements.push(
        ...endSchedulesStatements(ctx, row.patientId, row.scheduleIds, today, now),
        ...created.flatMap((s) => newScheduleStatements(ctx, s, now)),
      );
    }
  }
  await commit(ctx, [
    ctx.db
      .update(prescriptions)
      .set({
        medications: next.medications,
        notes: next.notes,
        expiresAt: next.expiresAt,
        scheduleIds: next.scheduleIds,
        updatedAt: now,
      })
      .where(
        and(eq(prescriptions.id, id), eq(prescriptions.status, 'active'), eq(prescriptions.updatedAt, row.updatedAt)),
      ),
    rxAudit(ctx, row, 'update', { fields, medications: next.medications.length }),
    ...statements,
  ]);
  return toPrescriptionView(next);
}

/**
 * The writing doctor deletes a prescription: soft (status `deleted`, with the reason, kept as the
 * record), and the schedules its acceptance created end today (past and taken doses stay).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (already deleted)
 */
export async function deletePrescription(ctx: AuthedContext, id: string, reason: string): Promise<PrescriptionView> {
  const row = await forChange(ctx, id, 'doctor');
  if (row.status === 'deleted') {
    throw new AppError('INVALID_TRANSITION', 'This prescription is already deleted', {
      details: { status: row.status },
    });
  }
  const now = ctx.clock.now().getTime();
  const next: Details = { ...row, status: 'deleted', deletedAt: now, deleteReason: reason, updatedAt: now };
  await commit(ctx, [
    ctx.db
      .update(prescriptions)
      .set({ status: 'deleted', deletedAt: now, deleteReason: reason, updatedAt: now })
      .where(and(eq(prescriptions.id, id), ne(prescriptions.status, 'deleted'))),
    rxAudit(ctx, row, 'delete', { schedules: row.scheduleIds.length }),
    ...endSchedulesStatements(ctx, row.patientId, row.scheduleIds, localDateAt(now, row.timeZone), now),
  ]);
  return toPrescriptionView(next);
}

/**
 * Cron: marks active prescriptions whose expiry has passed `expired`, at most EXPIRY_BATCH per run
 * (oldest expiry first), one audit row per prescription, set-based in one batch. Their schedules
 * already end on their courses' last days. Returns how many it marked.
 */
export async function expirePrescriptions(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now().getTime();
  const due = ctx.db
    .select({ id: prescriptions.id })
    .from(prescriptions)
    .where(and(eq(prescriptions.status, 'active'), lte(prescriptions.expiresAt, now)))
    .orderBy(prescriptions.expiresAt)
    .limit(EXPIRY_BATCH);
  const chosen = and(inArray(prescriptions.id, due))!;
  const [, updated] = await runBatch(ctx.db, [
    auditInsert(
      ctx,
      {
        id: sql`${ctx.ids.id('aud').slice(0, 14)} || substr(hex(randomblob(8)), 1, 16)`,
        action: 'prescription.expire',
        resourceType: 'prescription',
        resourceId: qualified(prescriptions.id),
        patientId: qualified(prescriptions.patientId),
        actorId: null,
        metadata: sql`json_object('appointmentId', ${qualified(prescriptions.appointmentId)})`,
      },
      { guard: { from: prescriptions, where: chosen } },
    ),
    ctx.db
      .update(prescriptions)
      .set({ status: 'expired', updatedAt: now })
      .where(chosen)
      .returning({ id: prescriptions.id }),
  ]);
  return (updated as { id: string }[]).length;
}
