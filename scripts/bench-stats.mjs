// The admin dashboard part of scripts/bench.mjs (BENCH_ONLY=stats): BENCH_APPOINTMENTS appointments
// (default 100,000) of 50 doctors and 2,000 patients over the last 400 days and the next 30, a paid
// payment for every completed one, seeded in set-based SQL; then the scheduled handler is fired (as
// scripts/dev.mjs does) until the stats rollup has backfilled every day (31 days a run), and
// GET /api/v1/admin/dashboard is measured as the demo admin: p50/p99 and its D1 round trips (1).

/** How many appointments the bench database holds; BENCH_APPOINTMENTS changes it. */
export const APPOINTMENT_COUNT = Number(process.env.BENCH_APPOINTMENTS ?? 100_000);
const TAG = 'benchst';
const DOCTORS = 50;
const PATIENTS = 2000;
const DAY = 86_400_000;
const CRON = '* * * * *';

/**
 * SQL for the bench database: removes an earlier run's rows and every rollup, then seeds doctors, patients, appointments
 * and payments in set-based statements. Times and statuses come from the row number, so every run
 * measures the same shape of data (relative to now).
 */
export function statsSeedSql(now = Date.now(), count = APPOINTMENT_COUNT) {
  const seq = (n) => `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})`;
  const like = (prefix) => `'${prefix}_${TAG}%'`;
  const first = now - 400 * DAY;
  // Spread over 430 days: 400 back, 30 ahead; the status follows the time (past visits are done).
  const startsAt = `(${first} + (i * 3719) % ${(430 * DAY) / 1000} * 1000)`;
  const status = `CASE WHEN ${startsAt} >= ${now} THEN (CASE i % 3 WHEN 0 THEN 'pending' ELSE 'confirmed' END)
    ELSE (CASE i % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'no-show' ELSE 'completed' END) END`;
  const user = (role, n, label) =>
    `${seq(n)} INSERT INTO users (id, email, name, role, sub_roles, status, verified_at, email_verified_at, token_version, created_at, updated_at)
      SELECT 'usr_${TAG}${role[0]}' || printf('%06d', i), '${TAG}.${role}' || i || '@bench.kinwell.local', '${label} ' || i, '${role}', '[]', 'active', ${first}, ${first}, 0, ${first} + i * 1000, ${first} FROM seq`;
  return `${[
    // The rollups start over, so every run measures the whole backfill.
    'DELETE FROM daily_rollups',
    'DELETE FROM rollup_state',
    'DELETE FROM stats_calendar',
    `DELETE FROM payments WHERE id LIKE ${like('pay')}`,
    `DELETE FROM appointments WHERE id LIKE ${like('apt')}`,
    `DELETE FROM users WHERE id LIKE ${like('usr')}`,
    user('doctor', DOCTORS, 'Dr. Bench'),
    user('user', PATIENTS, 'Bench Patient'),
    `${seq(count)} INSERT INTO appointments (id, patient_id, doctor_id, service_id, booked_by, type, status, starts_at, ends_at, buffer_minutes, time_zone, price_cents, currency, payment_status, created_at, updated_at, cancelled_at)
      SELECT 'apt_${TAG}' || printf('%07d', i), 'usr_${TAG}u' || printf('%06d', i % ${PATIENTS}), 'usr_${TAG}d' || printf('%06d', i % ${DOCTORS}),
        'svc_${TAG}', 'usr_${TAG}u' || printf('%06d', i % ${PATIENTS}), CASE i % 2 WHEN 0 THEN 'video' ELSE 'in-person' END, ${status},
        ${startsAt}, ${startsAt} + 1800000, 0, 'Europe/Berlin', 5000, 'EUR', 'unpaid', ${startsAt} - 3 * ${DAY}, ${startsAt} - 3 * ${DAY},
        CASE WHEN ${status} = 'cancelled' THEN ${startsAt} - ${DAY} END FROM seq`,
    `INSERT INTO payments (id, subject_type, subject_id, payer_id, payee_id, description, amount_cents, currency, provider, status, attempts, checkout_session_id, checkout_url, expires_at, paid_at, created_at, updated_at)
      SELECT 'pay_${TAG}' || substr(id, 12), 'appointment', id, patient_id, doctor_id, 'Consultation', price_cents, currency, 'local', 'paid', 1,
        'cs_${TAG}' || substr(id, 12), 'http://127.0.0.1/checkout', starts_at + 3600000, starts_at + 1800000, starts_at, starts_at + 1800000
      FROM appointments WHERE id LIKE ${like('apt')} AND status = 'completed'`,
  ].join(';\n')};\n`;
}

/** Fires the Worker's scheduled handler once (`--test-scheduled`'s GET /__scheduled, as scripts/dev.mjs does). */
async function fireCron(baseUrl) {
  const res = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent(CRON)}`);
  if (!res.ok) throw new Error(`the scheduled handler failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/**
 * Fires the cron until the dashboard reports the rollups through yesterday; answers how many runs and
 * how long the backfill took.
 */
export async function rollUpStats(baseUrl, token) {
  const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);
  const started = performance.now();
  for (let runs = 1; runs <= 40; runs++) {
    const fired = performance.now();
    await fireCron(baseUrl);
    const runMs = performance.now() - fired;
    const res = await fetch(`${baseUrl}/api/v1/admin/dashboard`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`dashboard: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const { data } = await res.json();
    if (data.asOf.rolledThrough && data.asOf.rolledThrough >= yesterday) {
      return { runs, ms: performance.now() - started, lastRunMs: runMs, totalAppointments: data.totalAppointments };
    }
  }
  throw new Error('the stats rollup did not catch up in 40 cron runs');
}

/** The route scenario: the admin dashboard over the seeded appointments. */
export function dashboardScenario(signInAdmin) {
  return {
    name: `GET /api/v1/admin/dashboard, ${APPOINTMENT_COUNT.toLocaleString('en')} appointments (admin)`,
    method: 'GET',
    path: '/api/v1/admin/dashboard',
    expect: 200,
    setup: async (baseUrl) => ({ authorization: `Bearer ${await signInAdmin(baseUrl)}` }),
  };
}
