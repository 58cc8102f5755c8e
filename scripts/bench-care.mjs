// The caregiver search scenario of scripts/bench.mjs: BENCH_CAREGIVERS verified caregivers with public
// profiles spread over a 60 × 60 km square around Berlin (radii 5–30 km, one or two of the ten
// specialties, two languages each), so a search from the city centre has thousands of candidates to
// measure distances for and a few hundred whose radius covers the point.

/** How many caregivers the bench database holds; BENCH_CAREGIVERS changes it. */
export const CAREGIVER_COUNT = Number(process.env.BENCH_CAREGIVERS ?? 10_000);
const TAG = 'benchcg';
const CENTRE = { lat: 52.52, lng: 13.405 };
const SPECIALTIES = [
  'nursing',
  'geriatric-care',
  'pediatric-care',
  'physiotherapy',
  'mental-health-support',
  'post-operative-care',
  'disability-support',
  'nutrition',
  'maternal-health',
  'medication-management',
];

/**
 * SQL for the bench database: removes an earlier run's caregivers, then seeds `count` of them (users,
 * profiles, specialties) in three set-based statements. Positions and rates come from the row number, so
 * every run measures the same data.
 */
export function careSeedSql(now = Date.now(), count = CAREGIVER_COUNT) {
  const seq = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count - 1})`;
  const id = `'usr_${TAG}' || printf('%06d', i)`;
  const like = `'usr_${TAG}%'`;
  // About ±0.27° of latitude and ±0.44° of longitude: ±30 km each way.
  const lat = `${CENTRE.lat} + ((i * 7919) % 1000 - 500) / 1850.0`;
  const lng = `${CENTRE.lng} + ((i * 104729) % 1000 - 500) / 1136.0`;
  // D1 caps compound SELECTs at a few terms: the specialty comes from a CASE, not a UNION of rows.
  const specialty = (n) => `CASE ${n} ${SPECIALTIES.map((slug, k) => `WHEN ${k} THEN 'csp_${slug}'`).join(' ')} END`;
  return `${[
    `DELETE FROM caregiver_specialties WHERE caregiver_id LIKE ${like}`,
    `DELETE FROM caregiver_profiles WHERE user_id LIKE ${like}`,
    `DELETE FROM users WHERE id LIKE ${like}`,
    `${seq} INSERT INTO users (id, email, name, role, sub_roles, status, verified_at, email_verified_at, token_version, created_at, updated_at)
      SELECT ${id}, '${TAG}' || i || '@bench.kinwell.local', 'Caregiver ' || i, 'caregiver', '[]', 'active', ${now}, ${now}, 0, ${now}, ${now} FROM seq`,
    `${seq} INSERT INTO caregiver_profiles (user_id, bio, years_of_experience, languages, hourly_rate_cents, currency, address, latitude, longitude, service_radius_km, updated_at)
      SELECT ${id}, 'Home care professional.', i % 30, CASE i % 3 WHEN 0 THEN '["de","en"]' WHEN 1 THEN '["de","tr"]' ELSE '["en","pl"]' END,
        1500 + (i % 40) * 50, 'EUR', 'Berlin', ${lat}, ${lng}, 5 + (i % 26), ${now} FROM seq`,
    `${seq} INSERT INTO caregiver_specialties (caregiver_id, specialty_id) SELECT ${id}, ${specialty('i % 10')} FROM seq`,
    `${seq} INSERT INTO caregiver_specialties (caregiver_id, specialty_id)
      SELECT ${id}, ${specialty('(i + 5) % 10')} FROM seq WHERE i % 2 = 0`,
  ].join(';\n')};\n`;
}

/** The route scenario: nurses near the centre of Berlin, first page. */
export const careSearchScenario = {
  name: `GET /api/v1/caregivers/search, ${CAREGIVER_COUNT.toLocaleString('en')} caregivers (public)`,
  method: 'GET',
  path: `/api/v1/caregivers/search?specialty=nursing&lat=${CENTRE.lat}&lng=${CENTRE.lng}&limit=20`,
  expect: 200,
};
