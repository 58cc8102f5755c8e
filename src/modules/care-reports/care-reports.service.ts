import { and, asc, count, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  appointments,
  type CareReportRow,
  type CareReportVersionRow,
  type CareStatus,
  careReports,
  careReportVersions,
} from '../../db/schema';
import { isUniqueViolation, qualified } from '../../db/sql';
import { openWithKeyring, sealWithKeyring } from '../../lib/crypto';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { DAY_MS, iso } from '../../lib/time';
import { CARE_STATUSES as APPOINTMENT_CARE_STATUSES } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import { caredForIn, caredForQuery } from '../caregivers/care-access';
import { recordKeyring } from '../medical-records/record-access';
import { patientOf, readAudit, readerOf, readerQuery } from './care-access';
import { alertAudienceQueries, alertInsert, sendAlerts } from './care-alerts.service';
import {
  type CareReportView,
  type CreateReportInput,
  type ReportContent,
  ReportContentSchema,
  type UpdateReportInput,
  VITAL_NAMES,
  type VitalName,
  type Vitals,
} from './care-reports.schemas';
import { deceasedQueries, deceasedStatements } from './deceased';

/** What a version's content is bound to: ciphertext moved to another row fails to open. */
const binding = (reportId: string, version: number) => `care-report:${reportId}:${version}`;

async function seal(ctx: AuthedContext, reportId: string, version: number, content: ReportContent) {
  return sealWithKeyring(recordKeyring(ctx), JSON.stringify(content), binding(reportId, version));
}

async function open(
  ctx: AuthedContext,
  row: { id?: string; reportId?: string; version: number; keyId: string; content: string },
): Promise<ReportContent> {
  const reportId = row.reportId ?? row.id!;
  const plain = await openWithKeyring(recordKeyring(ctx), row.keyId, row.content, binding(reportId, row.version));
  return ReportContentSchema.parse(JSON.parse(plain));
}

/** What a report and each of its versions show: the row's facts and its opened content. */
async function versionViewOf(ctx: AuthedContext, row: CareReportRow | CareReportVersionRow) {
  const content = await open(ctx, row);
  return {
    id: 'reportId' in row ? row.reportId : row.id,
    patientId: row.patientId,
    authorId: row.authorId,
    status: row.status,
    version: row.version,
    vitals: content.vitals,
    observations: content.observations,
    medicationGiven: content.medicationGiven,
    createdAt: iso(row.createdAt),
  };
}

async function viewOf(ctx: AuthedContext, row: CareReportRow): Promise<CareReportView> {
  return { ...(await versionViewOf(ctx, row)), sessionId: row.sessionId, updatedAt: iso(row.updatedAt) };
}

/** The patient's doctors (a confirmed, in-progress or completed appointment), for the deceased notice. */
const doctorsQuery = (ctx: AuthedContext, patientId: string | SQL) =>
  ctx.db
    .selectDistinct({ id: appointments.doctorId })
    .from(appointments)
    .where(and(eq(appointments.patientId, patientId), inArray(appointments.status, [...APPOINTMENT_CARE_STATUSES])));

/** The deceased protocol's reads, for a report whose status is `deceased`. */
function deceasedReads(ctx: AuthedContext, patientId: string | SQL, status: CareStatus) {
  if (status !== 'deceased') return { death: undefined, zone: undefined, schedules: undefined };
  return deceasedQueries(ctx, patientId);
}

/**
 * Whether a report's status alerts, and the deceased protocol's statements: a patient already marked
 * deceased alerts nobody again and starts nothing more.
 */
function protocolOf(
  ctx: AuthedContext,
  input: { patientId: string; reportId: string; status: CareStatus },
  read: {
    death?: unknown[] | undefined;
    zone?: { timeZone: string | null }[] | undefined;
    schedules?: { id: string; endDate: string | null }[] | undefined;
  },
) {
  if (input.status !== 'deceased') return { alerts: true, statements: [] };
  if (read.death?.length) return { alerts: false, statements: [] };
  return {
    alerts: true,
    statements: deceasedStatements(ctx, input, {
      death: read.death ?? [],
      zone: read.zone ?? [],
      schedules: read.schedules ?? [],
    }),
  };
}

/**
 * A caregiver with an active link to the patient files a care report (anyone else: NOT_FOUND). Vitals
 * outside their physiological ranges were refused by the schema (422, nothing stored). The report and
 * its first version (content encrypted like medical records), its audit event and, for a status that
 * alerts, the admin alert go in one batch; the notices follow the response. With an `Idempotency-Key`,
 * a retried filing answers the report it made (and re-sends nothing already sent). Two round trips.
 * @throws AppError NOT_FOUND
 */
export async function fileReport(
  ctx: AuthedContext,
  patientParam: string,
  input: CreateReportInput,
  requestKey?: string,
): Promise<{ report: CareReportView; replayed: boolean }> {
  const patientId = patientOf(ctx, patientParam);
  if (ctx.actor.role !== 'caregiver') throw notFound('Patient');
  const audience = alertAudienceQueries(ctx, patientId);
  const read = await batchOf(ctx.db, {
    link: caredForQuery(ctx, patientId),
    previous: requestKey
      ? ctx.db
          .select()
          .from(careReports)
          .where(and(eq(careReports.authorId, ctx.actor.id), eq(careReports.requestKey, requestKey)))
      : undefined,
    contacts: audience.contacts,
    admins: audience.admins,
    doctors: input.status === 'deceased' ? doctorsQuery(ctx, patientId) : undefined,
    ...deceasedReads(ctx, patientId, input.status),
  });
  const { patient } = caredForIn(read.link);
  const alertTo = { contacts: read.contacts, admins: read.admins, doctors: (read.doctors ?? []).map((d) => d.id) };
  const previous = read.previous?.[0];
  if (previous) {
    if (previous.patientId !== patientId) {
      throw new AppError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used for another report');
    }
    sendAlerts(ctx, { patientId, patientName: patient.name, reportId: previous.id, status: previous.status }, alertTo);
    return { report: await viewOf(ctx, previous), replayed: true };
  }
  const now = ctx.clock.now().getTime();
  const id = ctx.ids.id('crp');
  const content: ReportContent = {
    vitals: input.vitals,
    observations: input.observations ?? null,
    medicationGiven: input.medicationGiven ?? [],
  };
  const { keyId, sealed } = await seal(ctx, id, 1, content);
  const row: CareReportRow = {
    id,
    patientId,
    authorId: ctx.actor.id,
    sessionId: null,
    requestKey: requestKey ?? null,
    status: input.status,
    version: 1,
    keyId,
    content: sealed,
    createdAt: now,
    updatedAt: now,
  };
  const protocol = protocolOf(ctx, { patientId, reportId: id, status: input.status }, read);
  const alert = protocol.alerts ? alertInsert(ctx, { patientId, reportId: id, status: input.status }) : undefined;
  try {
    await ctx.db.batch([
      ctx.db.insert(careReports).values(row),
      ctx.db.insert(careReportVersions).values({
        id: ctx.ids.id('crv'),
        reportId: id,
        patientId,
        version: 1,
        status: input.status,
        keyId,
        content: sealed,
        authorId: ctx.actor.id,
        createdAt: now,
      }),
      auditInsert(ctx, {
        action: 'care_report.create',
        resourceType: 'care_report',
        resourceId: id,
        patientId,
        metadata: { status: input.status, version: 1 },
      }),
      ...(alert ? [alert] : []),
      ...protocol.statements,
    ]);
  } catch (err) {
    if (requestKey && isUniqueViolation(err, careReports)) {
      throw new AppError('CONFLICT', 'The same filing is in progress: retry it', {
        details: { reason: 'in-progress' },
      });
    }
    throw err;
  }
  if (protocol.alerts) {
    sendAlerts(ctx, { patientId, patientName: patient.name, reportId: id, status: input.status }, alertTo);
  }
  return { report: { ...(await viewOf(ctx, row)) }, replayed: false };
}

/**
 * The report's author changes it: a new version (the old ones kept), on `baseVersion` being the newest
 * (another is CONFLICT). A change of status to one that alerts sets the alerts off (once per report and
 * status). Only the author, while still linked to the patient; anyone else NOT_FOUND. Two round trips.
 * @throws AppError NOT_FOUND, CONFLICT
 */
export async function updateReport(ctx: AuthedContext, id: string, input: UpdateReportInput) {
  // The patient is known only from the report: the other reads name it in SQL, all in one batch.
  const patientSql = sql<string>`(select ${qualified(careReports.patientId)} from ${careReports} where ${qualified(careReports.id)} = ${id} and ${qualified(careReports.authorId)} = ${ctx.actor.id})`;
  const audience = alertAudienceQueries(ctx, patientSql);
  const read = await batchOf(ctx.db, {
    report: ctx.db
      .select()
      .from(careReports)
      .where(and(eq(careReports.id, id), eq(careReports.authorId, ctx.actor.id))),
    link: caredForQuery(ctx, patientSql),
    contacts: audience.contacts,
    admins: audience.admins,
    doctors: input.status === 'deceased' ? doctorsQuery(ctx, patientSql) : undefined,
    ...deceasedReads(ctx, patientSql, input.status ?? 'stable'),
  });
  const current = read.report[0];
  if (!current) throw notFound('Care report');
  const status: CareStatus = input.status ?? current.status;
  const { patient } = caredForIn(read.link);
  if (input.baseVersion !== current.version) {
    throw new AppError('CONFLICT', `The report is at version ${current.version}: read it again and apply your change`, {
      details: { reason: 'stale-version', currentVersion: current.version },
    });
  }
  const before = await open(ctx, current);
  const after: ReportContent = {
    vitals: input.vitals ?? before.vitals,
    observations: input.observations !== undefined ? input.observations : before.observations,
    medicationGiven: input.medicationGiven ?? before.medicationGiven,
  };
  const version = current.version + 1;
  const now = ctx.clock.now().getTime();
  const { keyId, sealed } = await seal(ctx, id, version, after);
  const protocol =
    status !== current.status
      ? protocolOf(ctx, { patientId: current.patientId, reportId: id, status }, read)
      : { alerts: false, statements: [] };
  const alert = protocol.alerts ? alertInsert(ctx, { patientId: current.patientId, reportId: id, status }) : undefined;
  try {
    await ctx.db.batch([
      ctx.db
        .update(careReports)
        .set({ version, status, keyId, content: sealed, updatedAt: now })
        .where(and(eq(careReports.id, id), eq(careReports.version, current.version))),
      ctx.db.insert(careReportVersions).values({
        id: ctx.ids.id('crv'),
        reportId: id,
        patientId: current.patientId,
        version,
        status,
        keyId,
        content: sealed,
        authorId: ctx.actor.id,
        createdAt: now,
      }),
      auditInsert(ctx, {
        action: 'care_report.update',
        resourceType: 'care_report',
        resourceId: id,
        patientId: current.patientId,
        metadata: { status, version },
      }),
      ...(alert ? [alert] : []),
      ...protocol.statements,
    ]);
  } catch (err) {
    if (isUniqueViolation(err, careReportVersions)) {
      throw new AppError('CONFLICT', 'The report changed meanwhile: read it again', {
        details: { reason: 'stale-version' },
      });
    }
    throw err;
  }
  if (protocol.alerts) {
    sendAlerts(
      ctx,
      { patientId: current.patientId, patientName: patient.name, reportId: id, status },
      { contacts: read.contacts, admins: read.admins, doctors: (read.doctors ?? []).map((d) => d.id) },
    );
  }
  return viewOf(ctx, { ...current, version, status, keyId, content: sealed, updatedAt: now });
}

/**
 * A report's versions, newest first, for whoever may read the patient's reports (others NOT_FOUND).
 * One round trip: the report with the access check, the versions and the audit row.
 */
export async function listReportVersions(ctx: AuthedContext, id: string) {
  // The patient is known only from the report: the check and the audit row read it in SQL.
  const patient = sql`(select ${qualified(careReports.patientId)} from ${careReports} where ${qualified(careReports.id)} = ${id})`;
  const { basis, rows } = await batchOf(ctx.db, {
    basis: readerQuery(ctx, patient),
    rows: ctx.db
      .select()
      .from(careReportVersions)
      .where(eq(careReportVersions.reportId, id))
      .orderBy(desc(careReportVersions.version)),
    audit: readAudit(ctx, patient, 'versions'),
  });
  if (!basis[0]?.basis || !rows.length) throw notFound('Care report');
  return Promise.all(rows.map((row) => versionViewOf(ctx, row)));
}

/** The patient's reports, newest first, paginated. One round trip with the check and the audit row. */
export async function listReports(ctx: AuthedContext, patientParam: string, query: { page: number; limit: number }) {
  const patientId = patientOf(ctx, patientParam);
  const mine = eq(careReports.patientId, patientId);
  const { basis, rows, total } = await batchOf(ctx.db, {
    basis: readerQuery(ctx, patientId),
    rows: ctx.db
      .select()
      .from(careReports)
      .where(mine)
      .orderBy(desc(careReports.createdAt), desc(careReports.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(careReports).where(mine),
    audit: readAudit(ctx, patientId, 'reports'),
  });
  readerOf(basis);
  const items = await Promise.all(rows.map((row) => viewOf(ctx, row)));
  return page(items, total[0]?.n ?? 0, query);
}

/** The value of one vital in a report, for its trend. */
function vitalValue(vitals: Vitals, name: VitalName): number | undefined {
  switch (name) {
    case 'systolic':
      return vitals.bloodPressure?.systolic;
    case 'diastolic':
      return vitals.bloodPressure?.diastolic;
    case 'bloodGlucose': {
      const g = vitals.bloodGlucose;
      if (!g) return undefined;
      // Trends in mmol/L (mg/dL ÷ 18.016), one decimal.
      return g.unit === 'mg/dL' ? Math.round((g.value / 18.016) * 10) / 10 : g.value;
    }
    default:
      return vitals[name];
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The patient's status timeline (each change of status, with its time and report, over every report)
 * and the trend of each vital over the last `days` days ({at, value} series with min, max and average;
 * blood glucose in mmol/L). One round trip with the check and the audit row.
 */
export async function careStatus(ctx: AuthedContext, patientParam: string, query: { days: number }) {
  const patientId = patientOf(ctx, patientParam);
  const since = ctx.clock.now().getTime() - query.days * DAY_MS;
  const { basis, timeline, recent } = await batchOf(ctx.db, {
    basis: readerQuery(ctx, patientId),
    timeline: ctx.db
      .select({ id: careReports.id, status: careReports.status, createdAt: careReports.createdAt })
      .from(careReports)
      .where(eq(careReports.patientId, patientId))
      .orderBy(asc(careReports.createdAt), asc(careReports.id))
      .limit(1000),
    recent: ctx.db
      .select()
      .from(careReports)
      .where(and(eq(careReports.patientId, patientId), gte(careReports.createdAt, since)))
      .orderBy(asc(careReports.createdAt), asc(careReports.id))
      .limit(1000),
    audit: readAudit(ctx, patientId, 'status'),
  });
  readerOf(basis);
  const changes: { status: CareStatus; at: string; reportId: string }[] = [];
  for (const row of timeline) {
    if (changes.at(-1)?.status !== row.status) {
      changes.push({ status: row.status, at: iso(row.createdAt), reportId: row.id });
    }
  }
  const contents = await Promise.all(recent.map(async (row) => ({ row, content: await open(ctx, row) })));
  const trends: Record<
    string,
    {
      points: { at: string; value: number; reportId: string }[];
      min: number | null;
      max: number | null;
      avg: number | null;
    }
  > = {};
  for (const name of VITAL_NAMES) {
    const points = contents.flatMap(({ row, content }) => {
      const value = vitalValue(content.vitals, name);
      return value === undefined ? [] : [{ at: iso(row.createdAt), value, reportId: row.id }];
    });
    const values = points.map((p) => p.value);
    trends[name] = {
      points,
      min: values.length ? Math.min(...values) : null,
      max: values.length ? Math.max(...values) : null,
      avg: values.length ? round1(values.reduce((a, b) => a + b, 0) / values.length) : null,
    };
  }
  return { patientId, current: timeline.at(-1)?.status ?? null, days: query.days, timeline: changes, trends };
}
