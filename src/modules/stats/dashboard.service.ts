import { desc, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { APPOINTMENT_STATUSES, appointments, dailyRollups, doctorRatings, rollupState, users } from '../../db/schema';
import { qualified, rawBatch } from '../../db/sql';
import { DAY_MS, iso } from '../../lib/time';
import { appointmentDetails } from '../appointments/appointment-access';
import { integerSettingSql } from '../settings/settings.service';
import { liveRows, today } from './read';

/** Top doctors are ranked over this many days before now. */
export const TOP_DOCTORS_DAYS = 30;
const RECENT_LIMIT = 10;
const TOP_LIMIT = 5;

export interface Money {
  currency: string;
  amountCents: number;
}

export interface AdminDashboard {
  totalUsers: number;
  totalDoctors: number;
  totalPatients: number;
  totalAppointments: number;
  todayAppointments: number;
  pendingAppointments: number;
  completedAppointments: number;
  revenue: { today: Money[]; thisMonth: Money[]; thisYear: Money[] };
  recentAppointments: {
    id: string;
    status: string;
    type: string;
    startsAt: string;
    createdAt: string;
    patient: { id: string; name: string | null };
    doctor: { id: string; name: string | null };
  }[];
  topDoctors: {
    id: string;
    name: string | null;
    appointmentCount: number;
    rating: { average: number | null; count: number };
  }[];
  asOf: { today: string; rolledThrough: string | null };
}

const num = (value: unknown) => Number(value ?? 0);
const anyStatus = sql.join(
  APPOINTMENT_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);
const HISTORY = ['appointments.by_status', 'payments.paid_cents', 'refunds.succeeded_cents'];

/** Per currency, `paid − refunded`, sorted by currency; currencies with nothing either way left out. */
function net(paid: Map<string, number>, refunded: Map<string, number>): Money[] {
  const currencies = [...new Set([...paid.keys(), ...refunded.keys()])].sort();
  return currencies.map((currency) => ({
    currency,
    amountCents: (paid.get(currency) ?? 0) - (refunded.get(currency) ?? 0),
  }));
}

const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value);

/**
 * The admin dashboard in ONE round trip. History (appointments per status, revenue) is the sum of the
 * daily rollups of closed days plus today's live aggregate; levels are a gauge plus today (accounts) or
 * a bounded live count over an index (pending appointments: those still ahead; today's appointments;
 * the future ones, bounded by the booking horizon); the latest bookings and the top doctors of the last
 * TOP_DOCTORS_DAYS days are live index reads.
 */
export async function adminDashboard(ctx: AuthedContext): Promise<AdminDashboard> {
  const now = ctx.clock.now().getTime();
  const t = today(now);
  const r = qualified(dailyRollups.metric);
  const a = (column: keyof typeof appointments.$inferSelect) => qualified(appointments[column]);
  const [history, gauge, liveStatus, future, pending, paidToday, refundedToday, usersToday, recent, top, meta] =
    await rawBatch(ctx.db, [
      sql`select metric, dim, sum(value) as total,
          sum(case when day >= substr(${t.day}, 1, 7) || '-01' then value else 0 end) as month,
          sum(case when day >= substr(${t.day}, 1, 4) || '-01-01' then value else 0 end) as year
        from ${dailyRollups} where ${r} in (${sql.join(
          HISTORY.map((m) => sql`${m}`),
          sql`, `,
        )}) and day < ${t.day} group by metric, dim`,
      sql`select dim, value from ${dailyRollups} where ${r} = 'users.total' and day = (
          select max(day) from ${dailyRollups} where ${r} = 'users.total' and day < ${t.day})`,
      liveRows('appointments.by_status', now),
      sql`select ${a('status')} as dim, count(*) as value from ${appointments}
        where ${a('status')} in (${anyStatus}) and ${a('startsAt')} >= ${t.end} group by 1`,
      sql`select count(*) as value from ${appointments} where ${a('status')} = 'pending' and ${a('startsAt')} >= ${now}`,
      liveRows('payments.paid_cents', now),
      liveRows('refunds.succeeded_cents', now),
      liveRows('users.registered', now),
      appointmentDetails(ctx).orderBy(desc(appointments.createdAt)).limit(RECENT_LIMIT),
      // Ranked over the index first; names and ratings joined for the five only.
      sql`select top.id as id, ${qualified(users.name)} as name, top.n as n,
          case when coalesce(${qualified(doctorRatings.reviewCount)}, 0) >= ${integerSettingSql('reviews.minCountToShow')}
            then ${qualified(doctorRatings.average)} end as average,
          coalesce(${qualified(doctorRatings.reviewCount)}, 0) as reviews
        from (select ${a('doctorId')} as id, count(*) as n from ${appointments}
          where ${a('status')} in ('confirmed', 'in-progress', 'completed')
            and ${a('startsAt')} >= ${now - TOP_DOCTORS_DAYS * DAY_MS} and ${a('startsAt')} < ${now}
          group by ${a('doctorId')} order by n desc, ${a('doctorId')} limit ${TOP_LIMIT}) as top
        left join ${users} on ${qualified(users.id)} = top.id
        left join ${doctorRatings} on ${qualified(doctorRatings.doctorId)} = top.id
        order by top.n desc, top.id`,
      sql`select ${t.day} as today, (select next_day from ${rollupState} where id = 'daily') as next_day`,
    ]);

  const byStatus = new Map<string, number>();
  const paid = { month: new Map<string, number>(), year: new Map<string, number>(), today: new Map<string, number>() };
  const refunded = {
    month: new Map<string, number>(),
    year: new Map<string, number>(),
    today: new Map<string, number>(),
  };
  for (const row of history!) {
    const dim = String(row.dim);
    if (row.metric === 'appointments.by_status') add(byStatus, dim, num(row.total));
    const target =
      row.metric === 'payments.paid_cents' ? paid : row.metric === 'refunds.succeeded_cents' ? refunded : null;
    if (target) {
      add(target.month, dim, num(row.month));
      add(target.year, dim, num(row.year));
    }
  }
  for (const row of [...liveStatus!, ...future!]) add(byStatus, String(row.dim), num(row.value));
  for (const row of paidToday!) {
    for (const m of [paid.today, paid.month, paid.year]) add(m, String(row.dim), num(row.value));
  }
  for (const row of refundedToday!) {
    for (const m of [refunded.today, refunded.month, refunded.year]) add(m, String(row.dim), num(row.value));
  }
  const roles = new Map<string, number>();
  for (const row of [...gauge!, ...usersToday!]) add(roles, String(row.dim), num(row.value));

  const metaRow = meta![0] ?? {};
  const nextDay = metaRow.next_day == null ? null : String(metaRow.next_day);
  return {
    totalUsers: [...roles.values()].reduce((s, v) => s + v, 0),
    totalDoctors: roles.get('doctor') ?? 0,
    totalPatients: roles.get('user') ?? 0,
    totalAppointments: [...byStatus.values()].reduce((s, v) => s + v, 0),
    todayAppointments: liveStatus!.reduce((s, row) => s + num(row.value), 0),
    pendingAppointments: num(pending![0]?.value),
    completedAppointments: byStatus.get('completed') ?? 0,
    revenue: {
      today: net(paid.today, refunded.today),
      thisMonth: net(paid.month, refunded.month),
      thisYear: net(paid.year, refunded.year),
    },
    recentAppointments: recent!.map((row) => ({
      id: String(row.id),
      status: String(row.status),
      type: String(row.type),
      startsAt: iso(num(row.starts_at)),
      createdAt: iso(num(row.created_at)),
      patient: { id: String(row.patient_id), name: (row.patient_name as string | null) ?? null },
      doctor: { id: String(row.doctor_id), name: (row.doctor_name as string | null) ?? null },
    })),
    topDoctors: top!.map((row) => ({
      id: String(row.id),
      name: (row.name as string | null) ?? null,
      appointmentCount: num(row.n),
      rating: { average: row.average == null ? null : Number(row.average), count: num(row.reviews) },
    })),
    asOf: {
      today: String(metaRow.today),
      rolledThrough: nextDay ? new Date(Date.parse(`${nextDay}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10) : null,
    },
  };
}
