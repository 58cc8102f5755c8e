// The webhook storm scenario of scripts/bench.mjs: WEBHOOK_COUNT pay-at-booking appointments with open
// local-provider payments, then each one's `checkout.session.completed` delivered WEBHOOK_COPIES times
// (its copies side by side, so they race) with WEBHOOK_IN_FLIGHT requests in flight, each delivery
// signed as Stripe signs (a fresh `t=` per delivery, as Stripe's retries carry) with the webhook secret
// the bench gives wrangler dev. Every appointment must be confirmed exactly once; D1 is checked after
// the server has stopped.

import Stripe from 'stripe';
import { DEMO_ACCOUNTS } from './seed.mjs';

/** How many appointments (and distinct events); BENCH_WEBHOOKS shrinks the run. */
export const WEBHOOK_COUNT = Number(process.env.BENCH_WEBHOOKS ?? 200);
const WEBHOOK_COPIES = 3;
const WEBHOOK_IN_FLIGHT = 32;
/** Given to the bench's wrangler dev as STRIPE_WEBHOOK_SECRET (`--var`), so the bench can sign. */
export const WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef0123456789abcdef';
const TAG = 'benchwh';
const ROUND_TRIPS_HEADER = 'x-d1-round-trips';
const PATIENT = DEMO_ACCOUNTS.find((a) => a.email === 'patient@kinwell.local').id;
const DOCTOR = DEMO_ACCOUNTS.find((a) => a.email === 'doctor@kinwell.local').id;
const SERVICE = 'svc_01DEMD00000000000000000001';
/** Far from any real booking (the booking storm clears days near today). */
const FIRST_START = Date.parse('2099-01-05T08:00:00Z');

const signer = new Stripe('sk_bench_unused');
const num = (i) => String(i).padStart(5, '0');
const appointmentId = (i) => `apt_${TAG}${num(i)}`;
const paymentId = (i) => `pay_${TAG}${num(i)}`;
const sessionId = (i) => `cs_local_${TAG}${num(i)}`;

/**
 * SQL for the bench database: removes earlier runs' storm rows (audit events are append-only and stay),
 * then seeds `count` pending pay-at-booking appointments of the demo patient with the demo doctor,
 * unpaid and due in two hours, each with an open local payment.
 */
export function webhooksSeedSql(now = Date.now(), count = WEBHOOK_COUNT) {
  const due = now + 2 * 3600_000;
  const seq = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count - 1})`;
  const like = (prefix) => `'${prefix}_${TAG}%'`;
  return `${[
    `DELETE FROM payment_events WHERE payment_id LIKE ${like('pay')}`,
    `DELETE FROM payments WHERE id LIKE ${like('pay')}`,
    `DELETE FROM appointment_events WHERE appointment_id LIKE ${like('apt')}`,
    `DELETE FROM deliveries WHERE subject_id LIKE ${like('apt')}`,
    `DELETE FROM reminders WHERE subject_id LIKE ${like('apt')}`,
    `DELETE FROM appointments WHERE id LIKE ${like('apt')}`,
    `${seq} INSERT INTO appointments (id, patient_id, doctor_id, service_id, booked_by, type, status, starts_at, ends_at,
        buffer_minutes, time_zone, price_cents, currency, payment_timing, payment_status, payment_due_at, created_at, updated_at)
      SELECT 'apt_${TAG}' || printf('%05d', i), '${PATIENT}', '${DOCTOR}', '${SERVICE}', '${PATIENT}', 'video', 'pending',
        ${FIRST_START} + i * 3600000, ${FIRST_START} + i * 3600000 + 1800000, 10, 'Europe/Berlin', 5000, 'EUR',
        'at-booking', 'unpaid', ${due}, ${now}, ${now} FROM seq`,
    `${seq} INSERT INTO payments (id, subject_type, subject_id, payer_id, payee_id, description, amount_cents, currency,
        provider, status, attempts, checkout_session_id, checkout_url, expires_at, created_at, updated_at)
      SELECT 'pay_${TAG}' || printf('%05d', i), 'appointment', 'apt_${TAG}' || printf('%05d', i), '${PATIENT}', '${DOCTOR}',
        'General consultation', 5000, 'EUR', 'local', 'open', 1, 'cs_local_${TAG}' || printf('%05d', i),
        'http://localhost:8787/api/v1/dev/checkout/cs_local_${TAG}' || printf('%05d', i), ${due}, ${now}, ${now} FROM seq`,
  ].join(';\n')};\n`;
}

/** The `checkout.session.completed` Stripe would send for appointment `i` (as the local checkout page builds it). */
function paidEvent(i, runTag, createdSeconds) {
  return JSON.stringify({
    id: `evt_${TAG}_${runTag}_${num(i)}`,
    object: 'event',
    created: createdSeconds,
    livemode: false,
    type: 'checkout.session.completed',
    data: {
      object: {
        id: sessionId(i),
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_total: 5000,
        currency: 'eur',
        payment_intent: `pi_local_${TAG}${num(i)}`,
        client_reference_id: appointmentId(i),
        metadata: { paymentId: paymentId(i), subjectType: 'appointment', subjectId: appointmentId(i) },
      },
    },
  });
}

/** POSTs `payload` to the webhook, signed now; answers status, outcome, round trips and latency. */
async function deliver(baseUrl, payload) {
  const signature = signer.webhooks.generateTestHeaderString({
    payload,
    secret: WEBHOOK_SECRET,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const sent = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  const body = await res.json().catch(() => null);
  return {
    ms: performance.now() - sent,
    status: res.status,
    outcome: res.status === 200 ? body?.data?.outcome : `${res.status} ${body?.error?.code ?? ''}`.trim(),
    trips: Number(res.headers.get(ROUND_TRIPS_HEADER)),
  };
}

/**
 * Runs the storm against `baseUrl` (wrangler dev started with STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET on
 * a database seeded by `webhooksSeedSql`). A signed probe of an unhandled type first proves the secret.
 */
export async function webhooksBench(baseUrl, count = WEBHOOK_COUNT) {
  const runTag = Date.now().toString(36);
  const probe = await deliver(
    baseUrl,
    JSON.stringify({ id: `evt_${TAG}_${runTag}_probe`, object: 'event', type: 'bench.probe', data: { object: {} } }),
  );
  if (probe.status !== 200) {
    throw new Error(`webhooks: the signed probe answered ${probe.outcome}; does wrangler dev have the bench's secret?`);
  }
  const created = Math.floor(Date.now() / 1000);
  // Copies side by side: with many in flight, the three deliveries of one event race each other.
  const queue = Array.from({ length: count }, (_, i) => paidEvent(i, runTag, created)).flatMap((payload) =>
    Array.from({ length: WEBHOOK_COPIES }, () => payload),
  );
  const results = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WEBHOOK_IN_FLIGHT }, async () => {
      while (next < queue.length) {
        const payload = queue[next++];
        results.push(await deliver(baseUrl, payload));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const outcomes = new Map();
  const trips = new Map();
  for (const r of results) {
    outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
    const byCount = trips.get(r.outcome) ?? new Map();
    byCount.set(r.trips, (byCount.get(r.trips) ?? 0) + 1);
    trips.set(r.outcome, byCount);
  }
  return {
    count,
    copies: WEBHOOK_COPIES,
    inFlight: WEBHOOK_IN_FLIGHT,
    deliveries: results.length,
    seconds,
    p50: at(0.5),
    p99: at(0.99),
    outcomes,
    trips,
  };
}

/** What D1 holds after the storm (read once wrangler dev has stopped). */
export function webhooksCheck(d1) {
  const [row] = d1(
    `SELECT (SELECT count(*) FROM payment_events WHERE payment_id LIKE 'pay_${TAG}%') AS events,
      (SELECT count(*) FROM payments WHERE id LIKE 'pay_${TAG}%' AND status = 'paid' AND method_last4 = '4242') AS paidPayments,
      (SELECT count(*) FROM appointments WHERE id LIKE 'apt_${TAG}%' AND status = 'confirmed' AND payment_status = 'paid') AS confirmed,
      (SELECT count(*) FROM (SELECT appointment_id FROM appointment_events WHERE appointment_id LIKE 'apt_${TAG}%'
        AND action = 'paid' GROUP BY appointment_id HAVING count(*) = 1)) AS paidOnce,
      (SELECT count(*) FROM (SELECT appointment_id FROM appointment_events WHERE appointment_id LIKE 'apt_${TAG}%'
        AND action = 'paid' GROUP BY appointment_id HAVING count(*) > 1)) AS paidTwice`,
  );
  return {
    events: Number(row.events),
    paidPayments: Number(row.paidPayments),
    confirmed: Number(row.confirmed),
    paidOnce: Number(row.paidOnce),
    paidTwice: Number(row.paidTwice),
  };
}

/** Whether the run proves the promise: each event applied once, each appointment confirmed once. */
export function webhooksFailures(r) {
  const failures = [];
  const paid = r.outcomes.get('paid') ?? 0;
  const duplicate = r.outcomes.get('duplicate') ?? 0;
  if (paid !== r.count || duplicate !== r.count * (r.copies - 1)) {
    failures.push(`outcomes ${[...r.outcomes].map(([k, n]) => `${n} × ${k}`).join(', ')}`);
  }
  if (r.events !== r.count) failures.push(`${r.events} payment_events rows for ${r.count} events`);
  if (r.confirmed !== r.count || r.paidPayments !== r.count) {
    failures.push(`${r.confirmed} appointments confirmed and paid, ${r.paidPayments} payments paid`);
  }
  if (r.paidOnce !== r.count || r.paidTwice) {
    failures.push(`${r.paidOnce} appointments with one 'paid' event, ${r.paidTwice} with more`);
  }
  return failures;
}

/** The scenario's report lines (markdown). */
export function webhooksReport(r, fmt) {
  const failures = webhooksFailures(r);
  const outcome = (k) => fmt(r.outcomes.get(k) ?? 0);
  const other = [...r.outcomes].filter(([k]) => k !== 'paid' && k !== 'duplicate');
  // A duplicate found by the read batch costs 1 round trip; one that raced its twin and lost on the
  // event id's primary key at commit costs 2 (read + the refused write batch).
  const trips = [...r.trips]
    .map(([k, byCount]) => {
      const counts = [...byCount].sort(([a], [b]) => a - b);
      const mean = counts.reduce((s, [t, n]) => s + t * n, 0) / counts.reduce((s, [, n]) => s + n, 0);
      return `${k}: ${fmt(mean, 2)} (${counts.map(([t, n]) => `${fmt(n)} × ${t}`).join(', ')})`;
    })
    .join('; ');
  return [
    `Webhook storm: ${fmt(r.count)} pending pay-at-booking appointments with open local payments; each one's \`checkout.session.completed\` delivered ${r.copies} times (the copies side by side, so they race), ${r.inFlight} requests in flight, each signed as Stripe signs (POST /api/v1/webhooks/stripe).`,
    '',
    '| webhook storm | deliveries | deliveries/s | p50 ms | p99 ms | paid | duplicate | other | payment_events rows | confirmed + paid | one `paid` history event | more than one |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${fmt(r.count)} events × ${r.copies} | ${fmt(r.deliveries)} | ${fmt(r.deliveries / r.seconds, 1)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${outcome('paid')} | ${outcome('duplicate')} | ${other.length ? other.map(([k, n]) => `${n} × ${k}`).join(', ') : 0} | ${fmt(r.events)} | ${fmt(r.confirmed)} | ${fmt(r.paidOnce)} | ${fmt(r.paidTwice)} |`,
    '',
    `D1 round trips per webhook delivery by outcome (mean; deliveries × round trips): ${trips}.`,
    ...(failures.length ? ['', `> WEBHOOK STORM FAILED: ${failures.join('; ')}`] : []),
  ];
}
