import { csvResponse } from '../../http/csv';
import { createRouter } from '../../http/hono';
import { defineRoute, jsonResponse } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { caregiverDashboard } from './caregiver.service';
import {
  CalendarQuery,
  CaregiverDashboardSchema,
  CareStatusSchema,
  CsvBody,
  DoctorDashboardSchema,
  FormatQuery,
  InventoryQuery,
  InventorySchema,
  PatientDashboardSchema,
  ReceptionistDashboardSchema,
  VaccineCalendarSchema,
} from './dashboards.schemas';
import { doctorDashboard, EARNINGS_COLUMNS, earningsRows } from './doctor.service';
import {
  CALENDAR_COLUMNS,
  CARE_STATUS_COLUMNS,
  calendarRows,
  careStatus,
  INVENTORY_COLUMNS,
  inventory,
  inventoryRows,
  MAX_CALENDAR_DAYS,
  vaccineCalendar,
} from './inventory.service';
import { patientDashboard } from './patient.service';
import { receptionistDashboard } from './receptionist.service';

const tags = ['Dashboards'];
const ONE_TRIP = 'One D1 round trip; reading writes nothing.';

/** A table's 200: the JSON envelope, or with `?format=csv` the CSV download named `filename`. */
function tableResponse<T extends Parameters<typeof jsonResponse>[0]>(schema: T, description: string, filename: string) {
  const json = jsonResponse(schema, description);
  return {
    ...json,
    headers: {
      'Content-Disposition': {
        description: `With \`?format=csv\`: \`attachment; filename="${filename}"\``,
        schema: {
          type: 'string' as const,
          example: `attachment; filename="${filename.replace('<date>', '2026-12-04')}"`,
        },
      },
    },
    content: { ...json.content, 'text/csv': { schema: CsvBody } },
  };
}

const doctorRoute = defineRoute({
  method: 'get',
  path: '/dashboards/doctor',
  operationId: 'dashboards.doctor',
  tags,
  summary: "The calling doctor's dashboard",
  description:
    "In the practice's time zone: today's schedule, the 7 days after today (a count per day and the appointments; " +
    'cancelled and rejected ones left out), earnings of this month and this year per currency (payments paid to the ' +
    'doctor, less refunds that succeeded), the rating (average and count of reviews) and the completed visits still ' +
    `without a note. Always the caller's own; other roles 403. ${ONE_TRIP} \`?format=csv\`: the earnings table, ` +
    `a row per period and currency, columns ${EARNINGS_COLUMNS.join(', ')}.`,
  request: { query: FormatQuery },
  responses: { 200: tableResponse(DoctorDashboardSchema, 'The dashboard', 'earnings-<date>.csv') },
});

const receptionistRoute = defineRoute({
  method: 'get',
  path: '/dashboards/receptionist',
  operationId: 'dashboards.receptionist',
  tags,
  summary: "The front desk's dashboard",
  description:
    'Receptionists see every appointment of the practice. Appointments awaiting confirmation (pending, not started), ' +
    "soonest first, and today's arrivals in the receptionist's zone (profile, else UTC): expected (confirmed), arrived " +
    `(in progress), completed and no-show. Other roles 403. ${ONE_TRIP}`,
  responses: { 200: jsonResponse(ReceptionistDashboardSchema, 'The dashboard') },
});

const caregiverRoute = defineRoute({
  method: 'get',
  path: '/dashboards/caregiver',
  operationId: 'dashboards.caregiver',
  tags,
  summary: "The calling caregiver's dashboard",
  description:
    "In the caregiver's zone: today's care sessions, the upcoming ones (and how many requests await an answer), the " +
    'open alerts of their patients (with a confirmed, in-progress or completed session, or an active link) and ' +
    `completed sessions of the last 30 days with no care report. Other roles 403. ${ONE_TRIP}`,
  responses: { 200: jsonResponse(CaregiverDashboardSchema, 'The dashboard') },
});

const patientRoute = defineRoute({
  method: 'get',
  path: '/dashboards/patient',
  operationId: 'dashboards.patient',
  tags,
  summary: "The calling patient's dashboard",
  description:
    "The next appointment (pending or confirmed, not started), today's doses (as GET /doses), adherence over the last " +
    '7 and 30 days (taken ÷ (taken + missed + skipped), as GET /doses/history) and the active goals with their ' +
    `progress. Other roles 403. ${ONE_TRIP}`,
  responses: { 200: jsonResponse(PatientDashboardSchema, 'The dashboard') },
});

const inventoryRoute = defineRoute({
  method: 'get',
  path: '/dashboards/inventory',
  operationId: 'dashboards.inventory',
  tags,
  summary: 'Vaccine and supplement stock and usage',
  description:
    'Every vaccine and supplement of the catalog with its stock, threshold and what the stock ledger moved in the ' +
    'last `days` days (received, dispensed, expired, corrections), and for vaccines the doses recorded administered ' +
    '(administered on or after the UTC date `days` back). `?format=csv`: one row per item, columns ' +
    `${INVENTORY_COLUMNS.join(', ')}. ${ONE_TRIP}`,
  request: { query: InventoryQuery },
  responses: { 200: tableResponse(InventorySchema, 'Stock and usage', 'inventory-<date>.csv') },
});

const calendarRoute = defineRoute({
  method: 'get',
  path: '/dashboards/vaccine-calendar',
  operationId: 'dashboards.vaccineCalendar',
  tags,
  summary: 'Vaccine doses due per day',
  description:
    `Scheduled doses of active vaccine plans due on each UTC date \`from\`…\`to\` (at most ${MAX_CALENDAR_DAYS} days; ` +
    'else 422), per vaccine, every day listed; and the scheduled doses overdue (due before today). `?format=csv`: one ' +
    `row per day and vaccine with doses due, columns ${CALENDAR_COLUMNS.join(', ')}. ${ONE_TRIP}`,
  request: { query: CalendarQuery },
  responses: { 200: tableResponse(VaccineCalendarSchema, 'The calendar', 'vaccine-calendar-<from>-<to>.csv') },
});

const careStatusRoute = defineRoute({
  method: 'get',
  path: '/dashboards/care-status',
  operationId: 'dashboards.careStatus',
  tags,
  summary: "Care patients' status distribution",
  description:
    "How many care patients stand at each status, by each patient's newest care report (a patient marked deceased " +
    'counts as deceased), and the open care alerts by severity. `?format=csv`: columns ' +
    `${CARE_STATUS_COLUMNS.join(', ')}. ${ONE_TRIP}`,
  request: { query: FormatQuery },
  responses: { 200: tableResponse(CareStatusSchema, 'The distribution', 'care-status-<date>.csv') },
});

const today = (c: { get: (key: 'ctx') => { clock: { now: () => Date } } }) =>
  c.get('ctx').clock.now().toISOString().slice(0, 10);

export const dashboardsRouter = createRouter()
  .openapi(doctorRoute, async (c) => {
    const data = await doctorDashboard(c.get('ctx'));
    if (c.req.valid('query').format === 'csv') {
      return csvResponse(c, `earnings-${data.today.date}.csv`, earningsRows(data), EARNINGS_COLUMNS);
    }
    return c.json(ok(data), 200);
  })
  .openapi(receptionistRoute, async (c) => c.json(ok(await receptionistDashboard(c.get('ctx'))), 200))
  .openapi(caregiverRoute, async (c) => c.json(ok(await caregiverDashboard(c.get('ctx'))), 200))
  .openapi(patientRoute, async (c) => c.json(ok(await patientDashboard(c.get('ctx'))), 200))
  .openapi(inventoryRoute, async (c) => {
    const query = c.req.valid('query');
    const data = await inventory(c.get('ctx'), query);
    if (query.format === 'csv') {
      return csvResponse(c, `inventory-${today(c)}.csv`, inventoryRows(data), INVENTORY_COLUMNS);
    }
    return c.json(ok(data), 200);
  })
  .openapi(calendarRoute, async (c) => {
    const query = c.req.valid('query');
    const data = await vaccineCalendar(c.get('ctx'), query);
    if (query.format === 'csv') {
      return csvResponse(c, `vaccine-calendar-${data.from}-${data.to}.csv`, calendarRows(data), CALENDAR_COLUMNS);
    }
    return c.json(ok(data), 200);
  })
  .openapi(careStatusRoute, async (c) => {
    const data = await careStatus(c.get('ctx'));
    if (c.req.valid('query').format === 'csv') {
      return csvResponse(c, `care-status-${today(c)}.csv`, data.statuses, CARE_STATUS_COLUMNS);
    }
    return c.json(ok(data), 200);
  });
