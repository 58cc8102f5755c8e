import { and, asc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  CARE_ALERT_SEVERITIES,
  CARE_STATUSES,
  type CareStatus,
  careAlerts,
  careDeaths,
  careReports,
  stockMovements,
  supplements,
  vaccineSchedules,
  vaccines,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { addDays, assertDayRange, DAY_MS, daysBetween, localDateAt } from '../../lib/time';
import { datesFrom } from './local-days';

/**
 * The admin dashboards' live-state tables: what is in stock and what moved, the vaccine doses due per
 * day, the care patients' statuses. Each is one D1 round trip and writes nothing. Days are UTC dates.
 */

/** Stock movements are summed over this many days back by default, at most MAX_USAGE_DAYS. */
export const DEFAULT_USAGE_DAYS = 30;
export const MAX_USAGE_DAYS = 366;
/** The vaccine calendar covers at most this many days. */
export const MAX_CALENDAR_DAYS = 92;

type ItemType = 'vaccine' | 'supplement';

/** SQL: the sum of the item's stock movements of `reasons` since `since` (negated for outflows). */
function movedSql(itemType: ItemType, itemId: SQL, reason: string, since: number, sign: 1 | -1) {
  return sql<number>`coalesce((select ${sign} * sum(${qualified(stockMovements.delta)}) from ${stockMovements} where ${qualified(stockMovements.itemType)} = ${itemType} and ${qualified(stockMovements.itemId)} = ${itemId} and ${qualified(stockMovements.reason)} = ${reason} and ${qualified(stockMovements.createdAt)} >= ${since}), 0)`;
}

function usageColumns(itemType: ItemType, id: SQL, since: number) {
  return {
    // Aliased: in a batch, columns of the same text would overwrite each other.
    received: movedSql(itemType, id, 'received', since, 1).as('received'),
    dispensed: movedSql(itemType, id, 'dispensed', since, -1).as('dispensed'),
    expired: movedSql(itemType, id, 'expired', since, -1).as('expired'),
    corrected: movedSql(itemType, id, 'correction', since, 1).as('corrected'),
  };
}

/**
 * Vaccines and supplements of the catalog with their stock, low-stock threshold and what moved in the
 * last `days` days (received, dispensed, expired, corrections: the stock ledger), and for vaccines the
 * doses recorded administered in that period. Sorted by name.
 */
export async function inventory(ctx: AuthedContext, query: { days: number }) {
  const now = ctx.clock.now().getTime();
  const since = now - query.days * DAY_MS;
  const sinceDate = localDateAt(since, 'UTC');
  const read = await batchOf(ctx.db, {
    vaccines: ctx.db
      .select({
        id: vaccines.id,
        code: vaccines.code,
        name: vaccines.name,
        stock: vaccines.stockQuantity,
        lowStockThreshold: vaccines.lowStockThreshold,
        ...usageColumns('vaccine', qualified(vaccines.id), since),
      })
      .from(vaccines)
      .orderBy(asc(vaccines.name), asc(vaccines.id)),
    administered: ctx.db
      .select({ vaccineId: vaccineSchedules.vaccineId, n: sql<number>`count(*)` })
      .from(vaccineSchedules)
      .where(and(eq(vaccineSchedules.status, 'administered'), gte(vaccineSchedules.administeredOn, sinceDate)))
      .groupBy(vaccineSchedules.vaccineId),
    supplements: ctx.db
      .select({
        id: supplements.id,
        code: supplements.sku,
        name: supplements.name,
        stock: supplements.stockQuantity,
        lowStockThreshold: supplements.lowStockThreshold,
        ...usageColumns('supplement', qualified(supplements.id), since),
      })
      .from(supplements)
      .orderBy(asc(supplements.name), asc(supplements.id)),
  });
  const administered = new Map(read.administered.map((row) => [row.vaccineId, row.n]));
  const item = <R extends { stock: number; lowStockThreshold: number }>(row: R) => ({
    ...row,
    lowStock: row.stock <= row.lowStockThreshold,
  });
  return {
    days: query.days,
    since: new Date(since).toISOString(),
    vaccines: read.vaccines.map((row) => ({ ...item(row), administered: administered.get(row.id) ?? 0 })),
    supplements: read.supplements.map(item),
  };
}

/** The inventory as one table (a row per item), for the CSV export. */
export const INVENTORY_COLUMNS = [
  'type',
  'id',
  'code',
  'name',
  'stock',
  'lowStockThreshold',
  'lowStock',
  'received',
  'dispensed',
  'expired',
  'corrected',
  'administered',
] as const;

export function inventoryRows(data: Awaited<ReturnType<typeof inventory>>) {
  return [
    ...data.vaccines.map((row) => ({ type: 'vaccine', ...row })),
    ...data.supplements.map((row) => ({ type: 'supplement', ...row, administered: null })),
  ];
}

/**
 * Vaccine doses due per day from `from` to `to` (UTC dates, at most MAX_CALENDAR_DAYS): scheduled
 * doses of active plans, each day with its count per vaccine (every day listed, empty ones too), and
 * how many scheduled doses are overdue (due before today).
 * @throws AppError VALIDATION_FAILED (reversed or too long range)
 */
export async function vaccineCalendar(ctx: AuthedContext, query: { from?: string; to?: string }) {
  const today = localDateAt(ctx.clock.now(), 'UTC');
  const from = query.from ?? today;
  const to = query.to ?? addDays(from, 29);
  assertDayRange(from, to, MAX_CALENDAR_DAYS);
  const span = daysBetween(from, to) + 1;
  const due = and(eq(vaccineSchedules.status, 'scheduled'), eq(vaccineSchedules.active, true));
  const read = await batchOf(ctx.db, {
    days: ctx.db
      .select({
        date: vaccineSchedules.dueDate,
        vaccineId: vaccineSchedules.vaccineId,
        vaccineName: vaccines.name,
        doses: sql<number>`count(*)`,
      })
      .from(vaccineSchedules)
      .leftJoin(vaccines, eq(vaccines.id, vaccineSchedules.vaccineId))
      .where(and(due, gte(vaccineSchedules.dueDate, from), lte(vaccineSchedules.dueDate, to)))
      .groupBy(vaccineSchedules.dueDate, vaccineSchedules.vaccineId)
      .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.vaccineId)),
    overdue: ctx.db
      .select({ n: sql<number>`count(*)` })
      .from(vaccineSchedules)
      .where(and(due, sql`${qualified(vaccineSchedules.dueDate)} < ${today}`)),
  });
  const byDate = new Map<string, { vaccineId: string; name: string | null; doses: number }[]>();
  for (const row of read.days) {
    byDate.set(row.date, [
      ...(byDate.get(row.date) ?? []),
      { vaccineId: row.vaccineId, name: row.vaccineName, doses: row.doses },
    ]);
  }
  const days = datesFrom(from, span).map((date) => {
    const vaccinesDue = byDate.get(date) ?? [];
    return { date, doses: vaccinesDue.reduce((n, v) => n + v.doses, 0), vaccines: vaccinesDue };
  });
  return {
    from,
    to,
    total: days.reduce((n, d) => n + d.doses, 0),
    overdue: read.overdue[0]?.n ?? 0,
    days,
  };
}

export const CALENDAR_COLUMNS = ['date', 'vaccineId', 'vaccineName', 'doses'] as const;

/** The calendar as a table: a row per day and vaccine with doses due. */
export function calendarRows(data: Awaited<ReturnType<typeof vaccineCalendar>>) {
  return data.days.flatMap((day) =>
    day.vaccines.map((v) => ({ date: day.date, vaccineId: v.vaccineId, vaccineName: v.name, doses: v.doses })),
  );
}

/**
 * How many care patients stand at each status, by the newest care report of each patient (patients
 * with a deceased mark count as deceased whatever came later), and the open alerts by severity.
 */
export async function careStatus(ctx: AuthedContext) {
  // SQLite: with max(), the bare columns come from the row holding the maximum.
  const newest = sql`(select ${qualified(careReports.patientId)} as patient_id, ${qualified(careReports.status)} as status, max(${qualified(careReports.createdAt)}) as at from ${careReports} group by ${qualified(careReports.patientId)}) as newest`;
  const read = await batchOf(ctx.db, {
    statuses: ctx.db
      .select({
        status:
          sql<CareStatus>`case when exists (select 1 from ${careDeaths} where ${qualified(careDeaths.patientId)} = newest.patient_id) then 'deceased' else newest.status end`.as(
            'shown_status',
          ),
        patients: sql<number>`count(*)`,
      })
      .from(newest)
      .groupBy(sql`shown_status`),
    alerts: ctx.db
      .select({ severity: careAlerts.severity, n: sql<number>`count(*)` })
      .from(careAlerts)
      .where(eq(careAlerts.status, 'open'))
      .groupBy(careAlerts.severity),
  });
  const counts = new Map(read.statuses.map((row) => [row.status, row.patients]));
  const alerts = new Map(read.alerts.map((row) => [row.severity, row.n]));
  const statuses = CARE_STATUSES.map((status) => ({ status, patients: counts.get(status) ?? 0 }));
  return {
    patients: statuses.reduce((n, s) => n + s.patients, 0),
    statuses,
    openAlerts: CARE_ALERT_SEVERITIES.map((severity) => ({ severity, count: alerts.get(severity) ?? 0 })),
  };
}

export const CARE_STATUS_COLUMNS = ['status', 'patients'] as const;
