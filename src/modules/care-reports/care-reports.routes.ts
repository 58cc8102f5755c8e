import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import {
  defineRoute,
  errorOf,
  idParam,
  jsonBody,
  jsonResponse,
  PageQuery,
  PaginationSchema,
  pageOf,
} from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { IdempotencyHeaders } from '../appointments/booking.schemas';
import { acknowledgeAlert, listAlerts } from './care-alerts.service';
import {
  AlertListQuery,
  CareAlertSchema,
  CareReportSchema,
  CareReportVersionSchema,
  CareStatusSchema,
  CreateReportBody,
  PatientIdParam,
  StatusQuery,
  UpdateReportBody,
} from './care-reports.schemas';
import { careStatus, fileReport, listReports, listReportVersions, updateReport } from './care-reports.service';

const tags = ['Care reports'];
const REPORTS = '/patients/{patientId}/care-reports';
const notFound = errorOf('No such patient or report the caller may open: anyone else’s is the same (NOT_FOUND)');
const WHO_READS =
  'Readable by the patient (`me`), a caregiver with an active link to them, and a doctor with a confirmed, in-progress or completed appointment with them within `records.doctorAccessDays`; anyone else gets 404. Each read writes an audit event in its one round trip.';
const ALERTS =
  '`deteriorating` tells the patient’s emergency contacts by email and SMS and raises a `high` admin alert; `critical` tells them on every channel (push too when the contact is a user), raises a `critical` alert and pages the on-duty admins (active admins with the `support-agent` sub-role, else every admin); `deceased` tells the contacts and the patient’s doctors and raises a `critical` alert. Each notice reaches each recipient once per report, also when the request is retried.';

const createRoute = defineRoute({
  method: 'post',
  path: REPORTS,
  operationId: 'careReports.create',
  tags,
  summary: 'File a care report (vitals, observations, medication given, status)',
  description: `By a caregiver with an active link to the patient; anyone else gets 404. Vitals outside their physiological ranges are 422 naming the field, and nothing is stored. ${ALERTS} Send an \`Idempotency-Key\` to retry safely: the same key answers the report it made.`,
  request: { params: PatientIdParam, headers: IdempotencyHeaders, body: jsonBody(CreateReportBody) },
  responses: {
    201: jsonResponse(CareReportSchema, 'The report (version 1)'),
    200: jsonResponse(CareReportSchema, 'The report this Idempotency-Key already made'),
    404: notFound,
    409: errorOf(
      'The same filing is in progress (CONFLICT), or the key was used for another patient (IDEMPOTENCY_CONFLICT)',
    ),
    422: errorOf('A vital out of range, none given, or another invalid field (VALIDATION_FAILED)'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: REPORTS,
  operationId: 'careReports.list',
  tags,
  summary: 'A patient’s care reports, newest first',
  description: WHO_READS,
  request: { params: PatientIdParam, query: PageQuery },
  responses: { 200: jsonResponse(pageOf(CareReportSchema), 'Reports'), 404: notFound },
});

const statusRoute = defineRoute({
  method: 'get',
  path: '/patients/{patientId}/care-status',
  operationId: 'careReports.status',
  tags,
  summary: 'A patient’s status timeline and vitals trends',
  description: `${WHO_READS} The timeline lists each change of status with its time and report; each vital's trend covers the last \`days\` days ({at, value} with min, max and average; blood glucose in mmol/L; blood pressure as \`systolic\` and \`diastolic\`).`,
  request: { params: PatientIdParam, query: StatusQuery },
  responses: { 200: jsonResponse(CareStatusSchema, 'Timeline and trends'), 404: notFound },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/care-reports/{id}',
  operationId: 'careReports.update',
  tags,
  summary: 'Change a care report (a new version)',
  description: `By its author while still linked to the patient; anyone else gets 404. \`baseVersion\` must be the newest version (else 409 \`stale-version\`); fields left out stay. A change of status sets off its alerts as a new report would (once per report). ${ALERTS}`,
  request: { params: idParam('crp', 'care report'), body: jsonBody(UpdateReportBody) },
  responses: {
    200: jsonResponse(CareReportSchema, 'The new version'),
    404: notFound,
    409: errorOf('`baseVersion` is not the newest version (CONFLICT)'),
    422: errorOf('A vital out of range or another invalid field (VALIDATION_FAILED)'),
  },
});

const versionsRoute = defineRoute({
  method: 'get',
  path: '/care-reports/{id}/versions',
  operationId: 'careReports.versions',
  tags,
  summary: 'Every version of a care report, newest first',
  description: WHO_READS,
  request: { params: idParam('crp', 'care report') },
  responses: { 200: jsonResponse(z.array(CareReportVersionSchema), 'Versions'), 404: notFound },
});

const AlertPageSchema = z
  .object({
    items: z.array(CareAlertSchema),
    pagination: PaginationSchema,
    meta: z.object({ averageAckSeconds: z.number().int().nullable(), acknowledged: z.number().int() }),
  })
  .openapi('CareAlertPage');

const alertsRoute = defineRoute({
  method: 'get',
  path: '/admin/care-alerts',
  operationId: 'admin.careAlerts.list',
  tags,
  summary: 'Care alerts (open ones by default, oldest first)',
  description:
    'Alerts care reports raised, with the time each took to acknowledge (`ackSeconds`) and the average over every acknowledged alert in `meta.averageAckSeconds`.',
  request: { query: AlertListQuery },
  responses: { 200: jsonResponse(AlertPageSchema, 'Alerts') },
});

const ackRoute = defineRoute({
  method: 'post',
  path: '/admin/care-alerts/{id}/acknowledge',
  operationId: 'admin.careAlerts.acknowledge',
  tags,
  summary: 'Acknowledge a care alert',
  description: 'Records who acknowledged it, when, and the seconds since it was raised. An acknowledged alert is 409.',
  request: { params: idParam('cal', 'care alert') },
  responses: {
    200: jsonResponse(CareAlertSchema, 'The acknowledged alert'),
    404: errorOf('No such alert (NOT_FOUND)'),
    409: errorOf('Already acknowledged (CONFLICT)'),
  },
});

export const careReportsRouter = createRouter()
  .openapi(createRoute, async (c) => {
    const { report, replayed } = await fileReport(
      c.get('ctx'),
      c.req.valid('param').patientId,
      c.req.valid('json'),
      c.req.valid('header')['idempotency-key'],
    );
    return replayed
      ? c.json(ok(report, 'Care report already filed'), 200)
      : c.json(ok(report, 'Care report filed'), 201);
  })
  .openapi(listRoute, async (c) =>
    c.json(ok(await listReports(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('query'))), 200),
  )
  .openapi(statusRoute, async (c) =>
    c.json(ok(await careStatus(c.get('ctx'), c.req.valid('param').patientId, c.req.valid('query'))), 200),
  )
  .openapi(updateRoute, async (c) =>
    c.json(
      ok(await updateReport(c.get('ctx'), c.req.valid('param').id, c.req.valid('json')), 'Care report saved'),
      200,
    ),
  )
  .openapi(versionsRoute, async (c) => c.json(ok(await listReportVersions(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(alertsRoute, async (c) => c.json(ok(await listAlerts(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(ackRoute, async (c) =>
    c.json(ok(await acknowledgeAlert(c.get('ctx'), c.req.valid('param').id), 'Alert acknowledged'), 200),
  );
