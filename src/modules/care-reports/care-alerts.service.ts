import { and, asc, avg, count, desc, eq, inArray, isNotNull, type SQL } from 'drizzle-orm';
import { type AnyNotifyInput, notify } from '../../access/notices';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type CareAlertRow,
  type CareAlertSeverity,
  type CareStatus,
  careAlerts,
  emergencyContacts,
  users,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';

/**
 * What a care report's status sets off. `deteriorating`: the patient's emergency contacts by email and
 * SMS, and an admin alert (`high`). `critical`: the contacts on every channel (email, SMS, and push when
 * the contact is a user), an admin alert (`critical`), and the on-duty admins paged on every channel.
 * `deceased`: the contacts by email and SMS, the patient's doctors, and a `critical` admin alert (the
 * rest of the protocol is the report service's). Every notice's subject is the report and its kind the
 * status, so the delivery ledger makes each reach each recipient once per report, however often the
 * filing is retried; the alert row is unique per report and severity.
 *
 * The on-duty admins are the active admins holding the `support-agent` sub-role (they handle alerts);
 * when none does, every active admin and superadmin.
 */
export const SEVERITY_OF: Partial<Record<CareStatus, CareAlertSeverity>> = {
  deteriorating: 'high',
  critical: 'critical',
  deceased: 'critical',
};

export const ON_DUTY_SUB_ROLE = 'support-agent';

/** Who an alert reaches, for the write's read batch. */
export function alertAudienceQueries(ctx: ServiceContext, patientId: string | SQL) {
  return {
    contacts: ctx.db
      .select({ id: emergencyContacts.id })
      .from(emergencyContacts)
      .where(eq(emergencyContacts.userId, patientId)),
    admins: ctx.db
      .select({ id: users.id, role: users.role, subRoles: users.subRoles })
      .from(users)
      .where(and(inArray(users.role, ['admin', 'superadmin']), eq(users.status, 'active'))),
  };
}

export interface AlertAudience {
  contacts: { id: string }[];
  admins: { id: string; role: string; subRoles: string[] }[];
  doctors: string[];
}

/** The on-duty admins among the active admins. */
export function onDutyAdmins(admins: AlertAudience['admins']): string[] {
  const duty = admins.filter((a) => a.role === 'admin' && a.subRoles.includes(ON_DUTY_SUB_ROLE));
  return (duty.length ? duty : admins).map((a) => a.id);
}

/** The admin alert's insert for the write batch (nothing when the report already raised it). */
export function alertInsert(ctx: ServiceContext, input: { patientId: string; reportId: string; status: CareStatus }) {
  const severity = SEVERITY_OF[input.status];
  if (!severity) return undefined;
  return ctx.db
    .insert(careAlerts)
    .values({
      id: ctx.ids.id('cal'),
      patientId: input.patientId,
      reportId: input.reportId,
      severity,
      status: 'open',
      createdAt: ctx.clock.now().getTime(),
    })
    .onConflictDoNothing();
}

/** Sends the notices a report's status sets off (after the response, through the one pipeline). */
export function sendAlerts(
  ctx: ServiceContext,
  input: { patientId: string; patientName: string; reportId: string; status: CareStatus },
  audience: AlertAudience,
) {
  const { status, reportId } = input;
  if (!SEVERITY_OF[status]) return;
  // A death is told once per patient, whichever report states it; the other alerts once per report.
  const subject =
    status === 'deceased' ? { type: 'care-death', id: input.patientId } : { type: 'care-report', id: reportId };
  const kind = `care.${status}`;
  const contactChannels = status === 'critical' ? (['email', 'sms', 'push'] as const) : (['email', 'sms'] as const);
  const titles: Record<string, string> = {
    deteriorating: `${input.patientName}’s condition is deteriorating`,
    critical: `URGENT: ${input.patientName} is in a critical condition`,
    deceased: `${input.patientName} has passed away`,
  };
  const messages: Record<string, string> = {
    deteriorating: `A caregiver reported that ${input.patientName}’s condition is deteriorating. Please get in touch with them or their care team.`,
    critical: `A caregiver reported that ${input.patientName} is in a critical condition. Please get in touch with their care team now.`,
    deceased: `We are very sorry: a caregiver reported that ${input.patientName} has passed away. Our team will be in touch.`,
  };
  const data = { title: titles[status]!, message: messages[status]!, reportId, patientId: input.patientId };
  const notices: AnyNotifyInput[] = [];
  if (audience.contacts.length) {
    notices.push({
      recipients: audience.contacts.map((c) => c.id),
      recipientKind: 'emergency-contact',
      channels: [...contactChannels],
      kind,
      type: 'system',
      template: 'notice',
      data,
      subject,
    });
  }
  if (status === 'critical') {
    notices.push({
      recipients: onDutyAdmins(audience.admins),
      channels: ['in-app', 'email', 'sms', 'push'],
      kind: 'care.critical.page',
      type: 'system',
      template: 'notice',
      data: {
        title: 'Critical care alert',
        message:
          'A caregiver reported a patient in a critical condition. Acknowledge the alert in the care alerts queue.',
        reportId,
        patientId: input.patientId,
      },
      subject,
    });
  }
  if (status === 'deceased' && audience.doctors.length) {
    notices.push({
      recipients: audience.doctors,
      kind: 'care.deceased.doctor',
      type: 'system',
      template: 'notice',
      data: {
        title: 'A patient of yours has passed away',
        message:
          'A caregiver reported that a patient of yours has passed away. Their future appointments are cancelled.',
        reportId,
        patientId: input.patientId,
      },
      subject,
    });
  }
  notify(ctx, ...notices);
}

const toAlertView = (row: CareAlertRow) => ({
  id: row.id,
  patientId: row.patientId,
  reportId: row.reportId,
  severity: row.severity,
  status: row.status,
  createdAt: iso(row.createdAt),
  acknowledgedAt: iso(row.acknowledgedAt),
  acknowledgedBy: row.acknowledgedBy,
  ackSeconds: row.ackSeconds,
});

/**
 * Care alerts for admins (open ones by default, oldest first: the queue), with the average time to
 * acknowledge over every acknowledged alert in `meta`. One round trip.
 */
export async function listAlerts(
  ctx: AuthedContext,
  query: { page: number; limit: number; status: 'open' | 'acknowledged' | 'all' },
) {
  const where = query.status === 'all' ? undefined : eq(careAlerts.status, query.status);
  const { rows, total, stats } = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(careAlerts)
      .where(where)
      .orderBy(query.status === 'open' ? asc(careAlerts.createdAt) : desc(careAlerts.createdAt), asc(careAlerts.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(careAlerts).where(where),
    stats: ctx.db
      .select({ avg: avg(careAlerts.ackSeconds), n: count() })
      .from(careAlerts)
      .where(isNotNull(careAlerts.ackSeconds)),
  });
  const mean = stats[0]?.avg;
  return {
    ...page(rows.map(toAlertView), total[0]?.n ?? 0, query),
    meta: {
      averageAckSeconds: mean === null || mean === undefined ? null : Math.round(Number(mean)),
      acknowledged: stats[0]?.n ?? 0,
    },
  };
}

/**
 * An admin acknowledges an open alert: the time from raise to acknowledgement is stored. An alert
 * already acknowledged is CONFLICT; an unknown one NOT_FOUND. Two round trips.
 * @throws AppError NOT_FOUND, CONFLICT
 */
export async function acknowledgeAlert(ctx: AuthedContext, id: string) {
  const conflict = () =>
    new AppError('CONFLICT', 'The alert is already acknowledged', { details: { reason: 'acknowledged' } });
  const [row] = await ctx.db.select().from(careAlerts).where(eq(careAlerts.id, id));
  if (!row) throw notFound('Care alert');
  if (row.status !== 'open') throw conflict();
  const now = ctx.clock.now().getTime();
  const ackSeconds = Math.max(0, Math.round((now - row.createdAt) / 1000));
  let updated: unknown;
  try {
    [updated] = await ctx.db.batch([
      ctx.db
        .update(careAlerts)
        .set({ status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: ctx.actor.id, ackSeconds })
        .where(and(eq(careAlerts.id, id), eq(careAlerts.status, 'open')))
        .returning(),
      auditInsert(
        ctx,
        {
          action: 'care_alert.acknowledge',
          resourceType: 'care_alert',
          resourceId: id,
          patientId: row.patientId,
          metadata: { ackSeconds },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw conflict();
    throw err;
  }
  const done = (updated as CareAlertRow[])[0];
  if (!done) throw conflict();
  return toAlertView(done);
}
