import { and, desc, eq, gte, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { paginate } from '../../db/paginate';
import {
  appointments,
  FINAL_PHONE_CALL_STATUSES,
  PHONE_CALL_DIRECTIONS,
  type PhoneCallDirection,
  type PhoneCallRow,
  type PhoneCallStatus,
  phoneCalls,
  users,
} from '../../db/schema';
import { AppError } from '../../lib/errors';
import { iso, isoWeekday, localDateAt, localTimeAt } from '../../lib/time';
import { clinicVoiceNumber } from '../../platform/voice';
import { seenBy } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { dialNumber, hangup, say, twimlResponse } from './twiml';
import type { MaskedCallView, PhoneCallView, TwilioCallStatusInput, TwilioVoiceInput } from './voice.schemas';

/** The paths Twilio is given, under the API's public origin. */
export const VOICE_STATUS_PATH = '/api/v1/webhooks/twilio/voice-status';
export const VOICE_BRIDGE_PATH = '/api/v1/webhooks/twilio/voice-bridge';

/**
 * The origin Twilio reaches the API at: `PUBLIC_URL` (what signatures are checked against), else the
 * request's own origin (development).
 */
export function publicOrigin(ctx: ServiceContext, requestOrigin: string): string {
  return ctx.env.PUBLIC_URL?.trim().replace(/\/+$/, '') || requestOrigin;
}

/** Whether `at` falls in one of the weekly intervals, read on the wall clock of `timeZone`. */
export function withinHours(
  at: Date,
  hours: { timeZone: string; intervals: { weekday: number; start: string; end: string }[] },
): boolean {
  const weekday = isoWeekday(localDateAt(at, hours.timeZone));
  const time = localTimeAt(at, hours.timeZone);
  return hours.intervals.some((i) => i.weekday === weekday && i.start <= time && time < i.end);
}

const directionOf = (value: string | undefined): PhoneCallDirection =>
  (PHONE_CALL_DIRECTIONS as readonly string[]).includes(value ?? '') ? (value as PhoneCallDirection) : 'inbound';

/** A status's place in a call's life: a callback never moves a call back, nor out of a final status. */
function rankSql(status: SQL | typeof phoneCalls.status): SQL<number> {
  return sql<number>`(case ${status} when 'queued' then 0 when 'ringing' then 1 when 'in-progress' then 2 else 3 end)`;
}

const FINAL_SQL = sql.raw(FINAL_PHONE_CALL_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * The upsert recording what Twilio reported of call `callSid`: a new row the first time, then the same
 * row moved forward (status by rank, times set once, numbers kept), so a replayed or late callback
 * changes nothing.
 */
function recordStatement(
  ctx: ServiceContext,
  report: {
    callSid: string;
    status: PhoneCallStatus;
    direction: PhoneCallDirection;
    from: string | null;
    to: string | null;
    durationSeconds: number | null;
  },
) {
  const now = ctx.clock.now().getTime();
  const final = FINAL_PHONE_CALL_STATUSES.includes(report.status);
  const started =
    report.status === 'in-progress'
      ? now
      : final && report.durationSeconds
        ? now - report.durationSeconds * 1000
        : null;
  const excluded = (column: string) => sql.raw(`excluded.${column}`);
  const advances = sql`${phoneCalls.status} not in (${FINAL_SQL}) and ${rankSql(excluded('status'))} >= ${rankSql(phoneCalls.status)}`;
  return ctx.db
    .insert(phoneCalls)
    .values({
      id: ctx.ids.id('pcl'),
      callSid: report.callSid,
      direction: report.direction,
      fromNumber: report.from,
      toNumber: report.to,
      status: report.status,
      durationSeconds: final ? report.durationSeconds : null,
      startedAt: started,
      endedAt: final ? now : null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: phoneCalls.callSid,
      set: {
        status: sql`case when ${advances} then ${excluded('status')} else ${phoneCalls.status} end`,
        durationSeconds: sql`case when ${advances} then coalesce(${excluded('duration_seconds')}, ${phoneCalls.durationSeconds}) else ${phoneCalls.durationSeconds} end`,
        startedAt: sql`coalesce(${phoneCalls.startedAt}, case when ${advances} then ${excluded('started_at')} end)`,
        endedAt: sql`coalesce(${phoneCalls.endedAt}, case when ${advances} then ${excluded('ended_at')} end)`,
        fromNumber: sql`coalesce(${phoneCalls.fromNumber}, ${excluded('from_number')})`,
        toNumber: sql`coalesce(${phoneCalls.toNumber}, ${excluded('to_number')})`,
        updatedAt: sql`case when ${advances} then ${excluded('updated_at')} else ${phoneCalls.updatedAt} end`,
      },
    })
    .returning({ status: phoneCalls.status });
}

/**
 * Answers a call to the clinic's number: during `voice.hours`, with an on-duty number set, TwiML that
 * dials it (its leg's status changes reported to the status route); otherwise `voice.afterHoursMessage`
 * and hang up. The call is recorded (ringing) in the same batch as the settings read: one round trip.
 */
export async function answerIncomingCall(
  ctx: ServiceContext,
  input: TwilioVoiceInput,
  requestOrigin: string,
): Promise<string> {
  const { settings } = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    record: recordStatement(ctx, {
      callSid: input.CallSid,
      status: 'ringing',
      direction: 'inbound',
      from: input.From ?? null,
      to: input.To ?? null,
      durationSeconds: null,
    }),
  });
  primeSettings(ctx, settings);
  const [onDuty, hours, message] = await Promise.all([
    getSetting(ctx, 'voice.onDutyNumber'),
    getSetting(ctx, 'voice.hours'),
    getSetting(ctx, 'voice.afterHoursMessage'),
  ]);
  const forward = onDuty !== '' && withinHours(ctx.clock.now(), hours);
  ctx.log.log('info', 'twilio.voice.incoming', { callSid: input.CallSid, forwarded: forward });
  if (!forward) return twimlResponse(say(message), hangup());
  return twimlResponse(
    dialNumber(onDuty, { statusCallback: `${publicOrigin(ctx, requestOrigin)}${VOICE_STATUS_PATH}` }),
    say(message),
  );
}

/**
 * Records a call status callback (one round trip). A masked call's callbacks carry `?call=` (the row
 * the doctor's request wrote before Twilio had a CallSid): its first one gives that row its CallSid,
 * in the same batch, so the upsert then finds it.
 */
export async function recordCallStatus(
  ctx: ServiceContext,
  input: TwilioCallStatusInput,
  callId: string | undefined,
): Promise<{ callSid: string; status: PhoneCallStatus }> {
  const status: PhoneCallStatus = input.CallStatus === 'initiated' ? 'queued' : input.CallStatus;
  const link = callId
    ? ctx.db
        .update(phoneCalls)
        .set({ callSid: input.CallSid })
        .where(and(eq(phoneCalls.id, callId), isNull(phoneCalls.callSid)))
    : undefined;
  const { record } = await batchOf(ctx.db, {
    link,
    record: recordStatement(ctx, {
      callSid: input.CallSid,
      status,
      direction: directionOf(input.Direction),
      from: input.From ?? null,
      to: input.To ?? null,
      durationSeconds: input.CallDuration ? Number(input.CallDuration) : null,
    }),
  });
  ctx.log.log('info', 'twilio.voice.status', { callSid: input.CallSid, callStatus: input.CallStatus });
  return { callSid: input.CallSid, status: record[0]?.status ?? status };
}

export function toPhoneCallView(row: PhoneCallRow): PhoneCallView {
  return {
    id: row.id,
    callSid: row.callSid,
    direction: row.direction,
    from: row.fromNumber,
    to: row.toNumber,
    status: row.status,
    durationSeconds: row.durationSeconds,
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
    appointmentId: row.appointmentId,
    doctorId: row.doctorId,
    patientId: row.patientId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** A page of recorded calls for admins, newest first, by status and time recorded. One round trip. */
export function listPhoneCalls(
  ctx: AuthedContext,
  query: { page: number; limit: number; status?: PhoneCallStatus; from?: string; to?: string },
) {
  const where = and(
    query.status ? eq(phoneCalls.status, query.status) : undefined,
    query.from ? gte(phoneCalls.createdAt, Date.parse(query.from)) : undefined,
    query.to ? lt(phoneCalls.createdAt, Date.parse(query.to)) : undefined,
  );
  return paginate(ctx.db, phoneCalls, {
    where,
    orderBy: [desc(phoneCalls.createdAt), desc(phoneCalls.id)],
    page: query.page,
    limit: query.limit,
    map: toPhoneCallView,
  });
}

/** Appointments a masked call can no longer be about. */
const CLOSED = ['cancelled', 'rejected'] as const;

const doctor = alias(users, 'call_doctor');
const patient = alias(users, 'call_patient');

/**
 * A call from the appointment's doctor to its patient through the clinic's number: Twilio rings the
 * doctor's mobile from the clinic number and, when answered, fetches the bridge TwiML, which dials the
 * patient with the clinic number as caller id. Neither side sees the other's number. Two round trips:
 * the appointment with both numbers, then the call's row with its audit event, written before Twilio
 * is asked (so the bridge finds it); a refusal by Twilio marks the row failed.
 * @throws AppError NOT_FOUND (not the caller's appointment), INVALID_TRANSITION (cancelled or
 *   rejected), CONFLICT (a party without a mobile number), SERVICE_UNAVAILABLE (Twilio not configured)
 */
export async function startMaskedCall(
  ctx: AuthedContext,
  appointmentId: string,
  requestOrigin: string,
): Promise<MaskedCallView> {
  const [found] = await ctx.db
    .select({
      id: appointments.id,
      status: appointments.status,
      patientId: appointments.patientId,
      doctorId: appointments.doctorId,
      // Aliased: both numbers are `mobile_number` columns.
      doctorPhone: sql<string | null>`${doctor.mobileNumber}`.as('doctor_phone'),
      patientPhone: sql<string | null>`${patient.mobileNumber}`.as('patient_phone'),
    })
    .from(appointments)
    .leftJoin(doctor, eq(doctor.id, appointments.doctorId))
    .leftJoin(patient, eq(patient.id, appointments.patientId))
    .where(eq(appointments.id, appointmentId));
  const { row } = seenBy(ctx, found, ['doctor']);
  if ((CLOSED as readonly string[]).includes(row.status)) {
    throw new AppError('INVALID_TRANSITION', `No call can be made about a ${row.status} appointment`, {
      details: { status: row.status },
    });
  }
  if (!row.doctorPhone) {
    throw new AppError('CONFLICT', 'Add a mobile number to your profile first: Twilio rings it to start the call', {
      details: { missing: 'doctor.mobileNumber' },
    });
  }
  if (!row.patientPhone) {
    throw new AppError('CONFLICT', 'The patient has no mobile number on file', {
      details: { missing: 'patient.mobileNumber' },
    });
  }
  if (!ctx.ports.voice.available) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Phone calls are not configured', {
      details: { missing: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VOICE_NUMBER or TWILIO_FROM_NUMBER' },
    });
  }
  const now = ctx.clock.now().getTime();
  const id = ctx.ids.id('pcl');
  await ctx.db.batch([
    ctx.db.insert(phoneCalls).values({
      id,
      callSid: null,
      direction: 'outbound-api',
      fromNumber: clinicVoiceNumber(ctx.env),
      toNumber: row.doctorPhone,
      status: 'queued',
      durationSeconds: null,
      startedAt: null,
      endedAt: null,
      appointmentId: row.id,
      doctorId: row.doctorId,
      patientId: row.patientId,
      createdAt: now,
      updatedAt: now,
    }),
    auditInsert(ctx, {
      action: 'appointment.phone_call.start',
      resourceType: 'phone_call',
      resourceId: id,
      patientId: row.patientId,
      metadata: { appointmentId: row.id },
    }),
  ]);
  const origin = publicOrigin(ctx, requestOrigin);
  try {
    await ctx.ports.voice.call({
      to: row.doctorPhone,
      url: `${origin}${VOICE_BRIDGE_PATH}?call=${id}`,
      statusCallback: `${origin}${VOICE_STATUS_PATH}?call=${id}`,
    });
  } catch (err) {
    await ctx.db
      .update(phoneCalls)
      .set({ status: 'failed', updatedAt: ctx.clock.now().getTime() })
      .where(eq(phoneCalls.id, id));
    throw err;
  }
  return { id, appointmentId: row.id, status: 'queued', createdAt: iso(now) };
}

/**
 * The TwiML Twilio fetches when the doctor answers a masked call: dial the patient's current mobile
 * number with the clinic number as caller id. The call's row gets the CallSid Twilio gave it, in the
 * same batch as the read (one round trip). A call that is unknown, over, or whose appointment was
 * cancelled since, or whose patient has no number any more, is told so and hung up.
 */
export async function bridgeMaskedCall(ctx: ServiceContext, callId: string, input: TwilioVoiceInput): Promise<string> {
  const [, found] = await ctx.db.batch([
    ctx.db
      .update(phoneCalls)
      .set({ callSid: input.CallSid })
      .where(and(eq(phoneCalls.id, callId), isNull(phoneCalls.callSid))),
    ctx.db
      .select({
        callSid: phoneCalls.callSid,
        status: phoneCalls.status,
        // Aliased: a D1 batch reads its rows by column name, and two columns are called `status`.
        appointmentStatus: sql<string>`${appointments.status}`.as('appointment_status'),
        patientPhone: sql<string | null>`${patient.mobileNumber}`.as('patient_phone'),
      })
      .from(phoneCalls)
      .innerJoin(appointments, eq(appointments.id, phoneCalls.appointmentId))
      .leftJoin(patient, eq(patient.id, appointments.patientId))
      .where(and(eq(phoneCalls.id, callId), eq(phoneCalls.direction, 'outbound-api'))),
  ]);
  const call = found[0];
  const callerId = clinicVoiceNumber(ctx.env);
  const usable =
    call &&
    call.callSid === input.CallSid &&
    !FINAL_PHONE_CALL_STATUSES.includes(call.status) &&
    !(CLOSED as readonly string[]).includes(call.appointmentStatus) &&
    call.patientPhone &&
    callerId;
  ctx.log.log('info', 'twilio.voice.bridge', { callId, callSid: input.CallSid, bridged: Boolean(usable) });
  if (!usable) return twimlResponse(say('This call cannot be connected. Goodbye.'), hangup());
  return twimlResponse(dialNumber(call.patientPhone!, { callerId: callerId! }));
}
