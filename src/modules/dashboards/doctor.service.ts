import { and, asc, desc, eq, gte, lt, notInArray, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type AppointmentStatus,
  appointmentNotes,
  appointments,
  doctorProfiles,
  doctorRatings,
  payments,
  refunds,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { appointmentDetails, detailView } from '../appointments/appointment-access';
import { anyZoneWindow, datesFrom, dayOf, localSpan, ZONE_SLACK_MS, zoneOr } from './local-days';
import { filterOnly } from './query-hints';

/** Appointments that never take place: they are on no schedule. */
const OFF_SCHEDULE: AppointmentStatus[] = ['cancelled', 'rejected'];
/** Days of the upcoming week: the 7 days after today. */
export const WEEK_DAYS = 7;
/** At most this many appointments without a note are listed (all are counted). */
export const PENDING_NOTES_LISTED = 20;

export interface Earnings {
  currency: string;
  payments: number;
  grossCents: number;
  refundedCents: number;
  netCents: number;
}

/**
 * The calling doctor's dashboard, in their practice's zone (`doctor_profiles.timeZone`, else UTC):
 * today's schedule, the 7 days after today (count per day and the appointments), earnings of this month
 * and this year (payments paid to them, less refunds that succeeded, per currency, as
 * GET /payments/earnings counts them), their rating and the completed visits still without a note.
 *
 * One D1 round trip: the zone is read beside the rows, so the rows are read over a window that holds
 * the days of any zone and kept in memory once the zone is known. Writes nothing.
 */
export async function doctorDashboard(ctx: AuthedContext) {
  const me = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const window = anyZoneWindow(now, WEEK_DAYS + 1);
  // The local year begins at or after the UTC new year of (now − 14 h), less the slack.
  const yearLow = Date.UTC(new Date(now - ZONE_SLACK_MS).getUTCFullYear(), 0, 1) - ZONE_SLACK_MS;
  const noNote = sql`not exists (select 1 from ${appointmentNotes} where ${qualified(appointmentNotes.appointmentId)} = ${qualified(appointments.id)})`;
  const pendingNotes = and(eq(appointments.doctorId, me), filterOnly(appointments.status, ['completed']), noNote);
  const read = await batchOf(ctx.db, {
    zone: ctx.db
      .select({ timeZone: doctorProfiles.timeZone })
      .from(doctorProfiles)
      .where(eq(doctorProfiles.userId, me)),
    schedule: appointmentDetails(ctx)
      .where(
        and(
          eq(appointments.doctorId, me),
          gte(appointments.startsAt, window.low),
          lt(appointments.startsAt, window.high),
          notInArray(appointments.status, OFF_SCHEDULE),
        ),
      )
      .orderBy(asc(appointments.startsAt), asc(appointments.id)),
    rating: ctx.db
      .select({ average: doctorRatings.average, count: doctorRatings.reviewCount })
      .from(doctorRatings)
      .where(eq(doctorRatings.doctorId, me)),
    notesDue: ctx.db.select({ n: sql<number>`count(*)` }).from(appointments).where(pendingNotes),
    notesListed: appointmentDetails(ctx)
      .where(pendingNotes)
      .orderBy(desc(appointments.startsAt), desc(appointments.id))
      .limit(PENDING_NOTES_LISTED),
    paid: ctx.db
      .select({ at: payments.paidAt, currency: payments.currency, cents: payments.amountCents })
      .from(payments)
      .where(and(eq(payments.payeeId, me), eq(payments.status, 'paid'), gte(payments.paidAt, yearLow))),
    refunded: ctx.db
      .select({ at: refunds.refundedAt, currency: refunds.currency, cents: refunds.amountCents })
      .from(refunds)
      .innerJoin(payments, eq(payments.id, refunds.paymentId))
      .where(
        and(eq(payments.payeeId, me), filterOnly(refunds.status, ['succeeded']), gte(refunds.refundedAt, yearLow)),
      ),
  });

  const zone = zoneOr(read.zone[0]?.timeZone);
  const today = dayOf(now, zone);
  const weekDates = datesFrom(today, WEEK_DAYS + 1).slice(1);
  const byDay = new Map<string, ReturnType<typeof detailView>[]>();
  for (const row of read.schedule) {
    const day = dayOf(row.startsAt, zone);
    byDay.set(day, [...(byDay.get(day) ?? []), detailView(row)]);
  }

  const [year, month] = today.split('-');
  const monthSpan = localSpan(`${year}-${month}-01`, today, zone);
  const yearSpan = localSpan(`${year}-01-01`, today, zone);
  const earnings = (start: number) => {
    const totals = new Map<string, Earnings>();
    const of = (currency: string) => {
      if (!totals.has(currency)) {
        totals.set(currency, { currency, payments: 0, grossCents: 0, refundedCents: 0, netCents: 0 });
      }
      return totals.get(currency)!;
    };
    for (const p of read.paid) {
      if (p.at === null || p.at < start || p.at > now) continue;
      const t = of(p.currency);
      t.payments += 1;
      t.grossCents += p.cents;
      t.netCents += p.cents;
    }
    for (const r of read.refunded) {
      if (r.at === null || r.at < start || r.at > now) continue;
      const t = of(r.currency);
      t.refundedCents += r.cents;
      t.netCents -= r.cents;
    }
    return [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency));
  };

  const rating = read.rating[0];
  return {
    timeZone: zone,
    today: { date: today, appointments: byDay.get(today) ?? [] },
    week: {
      from: weekDates[0]!,
      to: weekDates[weekDates.length - 1]!,
      days: weekDates.map((date) => ({ date, count: byDay.get(date)?.length ?? 0 })),
      appointments: weekDates.flatMap((date) => byDay.get(date) ?? []),
    },
    earnings: {
      thisMonth: { from: `${year}-${month}-01`, to: today, totals: earnings(monthSpan.start) },
      thisYear: { from: `${year}-01-01`, to: today, totals: earnings(yearSpan.start) },
    },
    rating: { average: rating?.average ?? null, count: rating?.count ?? 0 },
    pendingNotes: { count: read.notesDue[0]?.n ?? 0, appointments: read.notesListed.map((row) => detailView(row)) },
  };
}

export type DoctorDashboard = Awaited<ReturnType<typeof doctorDashboard>>;

/** The earnings as one table (a row per period and currency), for the CSV export. */
export const EARNINGS_COLUMNS = [
  'period',
  'from',
  'to',
  'currency',
  'payments',
  'grossCents',
  'refundedCents',
  'netCents',
] as const;

export function earningsRows(data: DoctorDashboard) {
  return (['thisMonth', 'thisYear'] as const).flatMap((period) => {
    const { from, to, totals } = data.earnings[period];
    return totals.map((t) => ({ period, from, to, ...t }));
  });
}
