import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AuthedContext } from '../../context';
import { csvResponse } from '../../http/csv';
import { createRouter } from '../../http/hono';
import { defineRoute, envelope } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { type AdminDashboard, adminDashboard } from './dashboard.service';
import { defaultRange, readSeries, type SeriesQuery, type SeriesSpec } from './series.service';
import {
  DashboardQuery,
  DashboardSchema,
  HomeCareSchema,
  StatsCsv,
  StatsQuery,
  UsageSchema,
  WellnessSchema,
} from './stats.schemas';
import { HOME_CARE, USAGE, WELLNESS } from './tables';

const tags = ['Admin stats'];

const ONE_TRIP =
  'One D1 round trip whatever the size of the tables: closed days come from the daily rollups the cron task `stats.rollup` keeps, today from a live aggregate over an index range.';

/** 200 as JSON (the envelope) or, with `format=csv`, as a CSV download. */
function jsonOrCsv<T extends z.ZodType>(schema: T, description: string, file: string) {
  return {
    description,
    headers: {
      'Content-Disposition': {
        description: `CSV only: attachment; filename="${file}"`,
        schema: { type: 'string' as const, example: `attachment; filename="${file}"` },
      },
    },
    content: {
      'application/json': { schema: envelope(schema) },
      'text/csv': { schema: StatsCsv },
    },
  };
}

const dashboardRoute = defineRoute({
  method: 'get',
  path: '/admin/dashboard',
  operationId: 'admin.dashboard',
  tags,
  summary: 'The admin dashboard: accounts, appointments, revenue, the latest bookings and the top doctors',
  description:
    "Arthomed's dashboard shape. History (total and completed appointments, revenue) is the daily rollups of closed days plus today's live figure; accounts are the last day's rolled total plus today's registrations; pending appointments (not started yet), today's and future appointments, the 10 latest bookings and the top 5 doctors (appointments held in the last 30 days, with their rating) are bounded live reads over indexes. Revenue is per currency, net of refunds, in minor units (cents); days, months and years are local to the setting `stats.timeZone`. " +
    `${ONE_TRIP} \`format=csv\`: one row per figure (\`figure\`, \`currency\`, \`value\`).`,
  request: { query: DashboardQuery },
  responses: { 200: jsonOrCsv(DashboardSchema, 'The dashboard', 'dashboard-2026-12-04.csv') },
});

const seriesRoute = (
  path: string,
  operationId: 'admin.stats.usage' | 'admin.stats.wellness' | 'admin.stats.homeCare',
  summary: string,
  description: string,
  schema: z.ZodType,
  file: string,
) =>
  defineRoute({
    method: 'get',
    path,
    operationId,
    tags,
    summary,
    description: `${description} ${ONE_TRIP} Rows for every period of the range, zeros where nothing happened. \`format=csv\`: the same rows, the JSON field names as the header.`,
    request: { query: StatsQuery },
    responses: { 200: jsonOrCsv(schema, 'The table of numbers', file) },
  });

const usageRoute = seriesRoute(
  '/admin/stats/usage',
  'admin.stats.usage',
  'Usage: sign-ins, active users, registrations, bookings, cancellations, notifications per channel',
  'Sign-ins are sessions started (every sign-in method); active users are distinct accounts whose session was used in the period (per day, ISO week or month to date); bookings count appointments by the day they were made, cancellations by the day they were cancelled; notifications count deliveries handed to their channel (sent or delivered).',
  UsageSchema,
  'usage-2026-11-01-2026-11-30.csv',
);

const wellnessRoute = seriesRoute(
  '/admin/stats/wellness',
  'admin.stats.wellness',
  'Health & Wellness: health-score averages per category, medicine-schedule adherence, vaccines given',
  "Score averages are over the health scores recorded for each date (the user's own date). Doses count by the day they were scheduled, with adherence = taken / (taken + missed + skipped). Vaccines count the doses administered per day.",
  WellnessSchema,
  'wellness-2026-11-01-2026-11-30.csv',
);

const homeCareRoute = seriesRoute(
  '/admin/stats/home-care',
  'admin.stats.homeCare',
  'Home Care: caregiver and patient registrations, care-session completion, care-alert response times',
  'Sessions count by the day they take place, per outcome; completion = completed / (completed + cancelled + no-show). Alerts count by the day they were raised; the response time is acknowledged − raised, averaged over the acknowledged ones.',
  HomeCareSchema,
  'home-care-2026-11-01-2026-11-30.csv',
);

/** The dashboard as CSV rows: one per figure (money once per currency). */
function dashboardCsvRows(d: AdminDashboard) {
  const rows: { figure: string; currency: string; value: number }[] = [];
  for (const figure of [
    'totalUsers',
    'totalDoctors',
    'totalPatients',
    'totalAppointments',
    'todayAppointments',
    'pendingAppointments',
    'completedAppointments',
  ] as const) {
    rows.push({ figure, currency: '', value: d[figure] });
  }
  for (const span of ['today', 'thisMonth', 'thisYear'] as const) {
    for (const money of d.revenue[span]) {
      rows.push({ figure: `revenue.${span}`, currency: money.currency, value: money.amountCents });
    }
  }
  return rows;
}

type SeriesHandlerQuery = z.infer<typeof StatsQuery>;

const DAY = 86_400_000;

/** The range asked, else the 30 days up to `to` (today's UTC date when absent). */
function seriesQueryOf(query: SeriesHandlerQuery, now: Date): SeriesQuery {
  const to = query.to ?? defaultRange(now).to;
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY).toISOString().slice(0, 10);
  return { from, to, granularity: query.granularity };
}

async function answerSeries<Row extends Record<string, string | number | null>>(
  c: Context,
  ctx: AuthedContext,
  query: SeriesHandlerQuery,
  name: string,
  spec: SeriesSpec<Row>,
) {
  const table = await readSeries(ctx, seriesQueryOf(query, ctx.clock.now()), spec);
  if (query.format === 'csv') return csvResponse(c, `${name}-${table.from}-${table.to}.csv`, table.rows);
  return c.json(ok(table), 200);
}

export const statsRouter = createRouter()
  .openapi(dashboardRoute, async (c) => {
    const ctx = c.get('ctx');
    const dashboard = await adminDashboard(ctx);
    if (c.req.valid('query').format === 'csv') {
      return csvResponse(c, `dashboard-${dashboard.asOf.today}.csv`, dashboardCsvRows(dashboard));
    }
    return c.json(ok(dashboard), 200);
  })
  .openapi(usageRoute, (c) => answerSeries(c, c.get('ctx'), c.req.valid('query'), 'usage', USAGE))
  .openapi(wellnessRoute, (c) => answerSeries(c, c.get('ctx'), c.req.valid('query'), 'wellness', WELLNESS))
  .openapi(homeCareRoute, (c) => answerSeries(c, c.get('ctx'), c.req.valid('query'), 'home-care', HOME_CARE));
