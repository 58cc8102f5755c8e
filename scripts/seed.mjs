// Loads the development demo data into the local D1 database (wrangler d1 execute --local).
// Idempotent: every insert is ON CONFLICT DO NOTHING, so running it again adds no rows.
// Password hashes use the same scrypt format as src/lib/password.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';

export const DEMO_PASSWORD = 'Kinwell-dev-2026!';
const N = 16384;
const r = 8;
const p = 5;

function hashPassword(password) {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const q = (value) => (value === null || value === undefined ? 'NULL' : `'${String(value).replace(/'/g, "''")}'`);

/**
 * Demo accounts: no 2FA, password DEMO_PASSWORD, all active and verified but one doctor left `pending` (awaiting
 * verification, for the console's queue). Fixed ids make the docs reproducible.
 */
export const DEMO_ACCOUNTS = [
  {
    id: 'usr_01DEMD0SUPERADM1N000000000',
    email: 'superadmin@kinwell.local',
    name: 'Sam Superadmin',
    role: 'superadmin',
  },
  { id: 'usr_01DEMD0ADM1N00000000000000', email: 'admin@kinwell.local', name: 'Ada Admin', role: 'admin' },
  {
    id: 'usr_01DEMD0MANAGER000000000000',
    email: 'manager@kinwell.local',
    name: 'Max Manager',
    role: 'admin',
    subRoles: ['appointment-manager'],
  },
  { id: 'usr_01DEMD0D0CT0R0000000000000', email: 'doctor@kinwell.local', name: 'Dr. Dana Doctor', role: 'doctor' },
  {
    id: 'usr_01DEMD0RECEPT10N0000000000',
    email: 'receptionist@kinwell.local',
    name: 'Rey Receptionist',
    role: 'receptionist',
  },
  { id: 'usr_01DEMD0CAREG1VER0000000000', email: 'caregiver@kinwell.local', name: 'Cara Caregiver', role: 'caregiver' },
  {
    id: 'usr_01DEMD0PAT1ENT000000000000',
    email: 'patient@kinwell.local',
    name: 'Pat Patient',
    role: 'user',
    mobileNumber: '+14155550123',
  },
  // Awaiting verification: the admin console's queue (docs/console.md) has one doctor to approve.
  {
    id: 'usr_01DEMD0PEND1NGD0CT0R000000',
    email: 'pending.doctor@kinwell.local',
    name: 'Dr. Penny Pending',
    role: 'doctor',
    status: 'pending',
  },
];

const PATIENT_ID = 'usr_01DEMD0PAT1ENT000000000000';

/** [sku, name, brand, form, strength, unit, description, stock, lowStockThreshold] */
const SUPPLEMENTS = [
  [
    'VITD3-1000',
    'Vitamin D3 1000 IU',
    'Nature Made',
    'softgel',
    1000,
    'IU',
    'Supports bone and immune health.',
    240,
    40,
  ],
  ['VITC-500', 'Vitamin C 500 mg', 'NOW Foods', 'tablet', 500, 'mg', 'Antioxidant support.', 180, 30],
  [
    'B12-1000',
    'Vitamin B12 1000 mcg',
    'Jarrow',
    'tablet',
    1000,
    'mcg',
    'Methylcobalamin for energy metabolism.',
    120,
    25,
  ],
  [
    'OMEGA3-1000',
    'Omega-3 Fish Oil',
    'Nordic Naturals',
    'softgel',
    1000,
    'mg',
    'EPA and DHA for heart health.',
    90,
    20,
  ],
  ['MAG-GLY-200', 'Magnesium Glycinate', 'Thorne', 'capsule', 200, 'mg', 'Gentle, well-absorbed magnesium.', 15, 20],
  ['ZINC-25', 'Zinc Picolinate', 'Thorne', 'capsule', 25, 'mg', 'Immune support.', 60, 15],
  ['IRON-18', 'Iron Bisglycinate', 'Solgar', 'capsule', 18, 'mg', 'Non-constipating iron.', 8, 10],
  ['FOLIC-400', 'Folic Acid', 'Nature Made', 'tablet', 400, 'mcg', 'Recommended before and during pregnancy.', 200, 30],
  ['CALC-600', 'Calcium + D3', 'Caltrate', 'tablet', 600, 'mg', 'Calcium carbonate with vitamin D3.', 150, 25],
  [
    'PROBIO-10B',
    'Probiotic 10 Billion CFU',
    'Culturelle',
    'capsule',
    10,
    'other',
    'Lactobacillus rhamnosus GG.',
    45,
    10,
  ],
  ['MELA-3', 'Melatonin 3 mg', 'Natrol', 'tablet', 3, 'mg', 'Short-term sleep support.', 0, 10],
  ['ELDER-GUM', 'Elderberry Gummies', 'Sambucol', 'gummy', 100, 'mg', 'Black elderberry extract.', 70, 15],
];

/** [code, name, manufacturer, diseases, dosesInSeries, intervalDays, minAgeMonths, maxAgeMonths, stock, lowStockThreshold] */
const VACCINES = [
  ['MMR-II', 'M-M-R II', 'Merck', ['measles', 'mumps', 'rubella'], 2, 28, 12, null, 40, 10],
  ['DTAP-INFANRIX', 'Infanrix (DTaP)', 'GSK', ['diphtheria', 'tetanus', 'pertussis'], 5, 60, 2, 83, 60, 15],
  ['HEPB-ENGERIX', 'Engerix-B', 'GSK', ['hepatitis B'], 3, 30, 0, null, 80, 20],
  ['HEPA-HAVRIX', 'Havrix', 'GSK', ['hepatitis A'], 2, 180, 12, null, 35, 10],
  ['VAR-VARIVAX', 'Varivax', 'Merck', ['varicella'], 2, 90, 12, null, 25, 10],
  ['IPV-IPOL', 'IPOL (polio)', 'Sanofi', ['polio'], 4, 60, 2, null, 50, 15],
  ['HPV-GARDASIL9', 'Gardasil 9', 'Merck', ['human papillomavirus'], 2, 180, 108, 540, 30, 10],
  ['PCV-PREVNAR20', 'Prevnar 20', 'Pfizer', ['pneumococcal disease'], 4, 60, 2, null, 45, 15],
  ['FLU-FLUZONE', 'Fluzone Quadrivalent', 'Sanofi', ['influenza'], 1, 0, 6, null, 120, 30],
  ['COVID-COMIRNATY', 'Comirnaty 2026-2027', 'Pfizer-BioNTech', ['COVID-19'], 1, 0, 6, null, 90, 20],
  ['TDAP-BOOSTRIX', 'Boostrix (Tdap)', 'GSK', ['tetanus', 'diphtheria', 'pertussis'], 1, 0, 120, null, 5, 10],
  ['SHINGRIX', 'Shingrix', 'GSK', ['herpes zoster'], 2, 60, 600, null, 20, 5],
];

const demoId = (prefix, n) => `${prefix}_01DEMD0${String(n).padStart(19, '0')}`;

/** Catalog, opening-stock ledger rows, the demo patient's dependent and schedules, and the demo doctor's practice. */
function healthSql(now) {
  const out = [];
  SUPPLEMENTS.forEach(([sku, name, brand, form, strength, unit, description, stock, low], i) => {
    const id = demoId('sup', i + 1);
    out.push(`INSERT INTO supplements (id, sku, name, brand, form, strength, unit, description, stock_quantity, low_stock_threshold, created_at, updated_at)
VALUES (${q(id)}, ${q(sku)}, ${q(name)}, ${q(brand)}, ${q(form)}, ${strength}, ${q(unit)}, ${q(description)}, ${stock}, ${low}, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
    if (stock > 0) {
      out.push(`INSERT INTO stock_movements (id, item_type, item_id, delta, reason, note, balance_after, actor_id, created_at)
VALUES (${q(demoId('stk', i + 1))}, 'supplement', ${q(id)}, ${stock}, 'received', 'Opening stock (demo seed)', ${stock}, NULL, ${now}) ON CONFLICT DO NOTHING;`);
    }
  });
  VACCINES.forEach(([code, name, maker, diseases, series, interval, minAge, maxAge, stock, low], i) => {
    const id = demoId('vac', i + 1);
    out.push(`INSERT INTO vaccines (id, code, name, manufacturer, diseases, doses_in_series, interval_days, min_age_months, max_age_months, description, stock_quantity, low_stock_threshold, created_at, updated_at)
VALUES (${q(id)}, ${q(code)}, ${q(name)}, ${q(maker)}, ${q(JSON.stringify(diseases))}, ${series}, ${interval}, ${minAge ?? 'NULL'}, ${maxAge ?? 'NULL'}, NULL, ${stock}, ${low}, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
    if (stock > 0) {
      out.push(`INSERT INTO stock_movements (id, item_type, item_id, delta, reason, note, balance_after, actor_id, created_at)
VALUES (${q(demoId('stk', 100 + i))}, 'vaccine', ${q(id)}, ${stock}, 'received', 'Opening stock (demo seed)', ${stock}, NULL, ${now}) ON CONFLICT DO NOTHING;`);
    }
  });
  const today = new Date(now).toISOString().slice(0, 10);
  const dependent = demoId('dep', 1);
  out.push(`INSERT INTO user_profiles (user_id, date_of_birth, gender, time_zone, preferred_language, updated_at)
VALUES (${q(PATIENT_ID)}, '1988-04-12', 'female', 'America/New_York', 'en', ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO dependents (id, user_id, name, date_of_birth, relationship, gender, notes, created_at, updated_at)
VALUES (${q(dependent)}, ${q(PATIENT_ID)}, 'Mia Patient', '2025-06-01', 'child', 'female', NULL, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO schedules (id, owner_id, kind, supplement_id, medicine_name, dosage, quantity_per_dose, times_of_day, time_zone, recurrence, start_date, end_date, notes, status, source, created_at, updated_at)
VALUES (${q(demoId('sch', 1))}, ${q(PATIENT_ID)}, 'supplement', ${q(demoId('sup', 1))}, NULL, NULL, 1, '["08:00"]', 'America/New_York', '{"type":"weekly","daysOfWeek":[1,2,3,4,5,6,7]}', ${q(today)}, NULL, 'With breakfast', 'active', 'user', ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  const due = new Date(now + 14 * 86_400_000).toISOString().slice(0, 10);
  out.push(`INSERT INTO vaccine_schedules (id, owner_id, dependent_id, vaccine_id, dose_number, due_date, status, active, created_at, updated_at)
VALUES (${q(demoId('vsc', 1))}, ${q(PATIENT_ID)}, ${q(dependent)}, ${q(demoId('vac', 1))}, 1, ${q(due)}, 'scheduled', 1, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  return out;
}

const DOCTOR_ID = 'usr_01DEMD0D0CT0R0000000000000';

/** The demo doctor's practice: General Practice, one 30-minute service, weekdays 09:00–17:00 Berlin. */
function practiceSql(now) {
  const out = [];
  const specializations = [
    ['general-practice', 'General Practice'],
    ['pediatrics', 'Pediatrics'],
    ['cardiology', 'Cardiology'],
    ['dermatology', 'Dermatology'],
    ['psychiatry', 'Psychiatry'],
    ['geriatrics', 'Geriatrics'],
    // Under Cardiology (the third): the directory filtered by cardiology finds its doctors too.
    ['pediatric-cardiology', 'Pediatric Cardiology', 3],
  ];
  specializations.forEach(([slug, name, parent], i) => {
    const parentId = parent ? q(demoId('spc', parent)) : 'NULL';
    out.push(`INSERT INTO specializations (id, slug, name, description, parent_id, created_at, updated_at)
VALUES (${q(demoId('spc', i + 1))}, ${q(slug)}, ${q(name)}, NULL, ${parentId}, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  });
  out.push(`INSERT INTO doctor_profiles (user_id, bio, qualifications, years_of_experience, languages, consultation_fee_cents, currency, registration_number, photo_file_id, time_zone, slot_minutes, buffer_minutes, min_notice_minutes, max_days_ahead, unavailable_until, unavailable_reason, updated_at)
VALUES (${q(DOCTOR_ID)}, 'Family doctor with a focus on preventive care.', ${q(JSON.stringify([{ degree: 'MD', institution: 'Charité – Universitätsmedizin Berlin', year: 2012 }]))}, 12, '["en","de"]', 5000, 'EUR', 'BE-ARZT-104233', NULL, 'Europe/Berlin', 30, 10, 60, 60, NULL, NULL, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(
    `INSERT INTO doctor_specializations (doctor_id, specialization_id) VALUES (${q(DOCTOR_ID)}, ${q(demoId('spc', 1))}) ON CONFLICT DO NOTHING;`,
  );
  out.push(`INSERT INTO doctor_services (id, doctor_id, name, description, duration_minutes, price_cents, currency, active, created_at, updated_at)
VALUES (${q(demoId('svc', 1))}, ${q(DOCTOR_ID)}, 'General consultation', 'A 30-minute consultation, in person or by video.', 30, 5000, 'EUR', 1, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  for (let weekday = 1; weekday <= 5; weekday++) {
    out.push(`INSERT INTO weekly_hours (id, doctor_id, weekday, start_time, end_time)
VALUES (${q(demoId('wkh', weekday))}, ${q(DOCTOR_ID)}, ${weekday}, '09:00', '17:00') ON CONFLICT DO NOTHING;`);
  }
  return out;
}

const CAREGIVER_ID = 'usr_01DEMD0CAREG1VER0000000000';

/** Berlin's UTC offset in hours on a date (1 in winter, 2 in summer). */
function berlinOffsetHours(date) {
  const noon = new Date(`${date}T12:00:00Z`);
  const hour = Number(noon.toLocaleString('en-US', { timeZone: 'Europe/Berlin', hour: '2-digit', hour12: false }));
  return hour - 12;
}

/**
 * A confirmed appointment of the demo patient with the demo doctor at 10:00 Berlin on the first weekday
 * at least a week ahead (clear of the bench's storm day), with its claimed units (30 minutes plus the
 * 10-minute buffer) and history; and the demo caregiver caring for the demo patient.
 */
function connectionsSql(now) {
  const out = [];
  let date;
  for (let days = 7; ; days++) {
    date = new Date(now + days * 86_400_000).toISOString().slice(0, 10);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6) break;
  }
  const startsAt = Date.parse(`${date}T00:00:00Z`) + (10 - berlinOffsetHours(date)) * 3_600_000;
  const endsAt = startsAt + 30 * 60_000;
  const appointment = demoId('apt', 1);
  out.push(`INSERT INTO appointments (id, patient_id, doctor_id, service_id, booked_by, type, status, starts_at, ends_at, buffer_minutes, time_zone, reason, symptoms, price_cents, currency, created_at, updated_at)
VALUES (${q(appointment)}, ${q(PATIENT_ID)}, ${q(DOCTOR_ID)}, ${q(demoId('svc', 1))}, ${q(PATIENT_ID)}, 'video', 'confirmed', ${startsAt}, ${endsAt}, 10, 'Europe/Berlin', 'Annual check-up', 'None', 5000, 'EUR', ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  for (let unit = startsAt; unit < endsAt + 10 * 60_000; unit += 5 * 60_000) {
    out.push(`INSERT INTO slot_claims (doctor_id, unit_start, owner_type, owner_id, expires_at)
VALUES (${q(DOCTOR_ID)}, ${unit}, 'appointment', ${q(appointment)}, NULL) ON CONFLICT DO NOTHING;`);
  }
  out.push(`INSERT INTO appointment_events (id, appointment_id, action, from_status, to_status, actor_id, actor_role, reason, data, at)
VALUES (${q(demoId('aev', 1))}, ${q(appointment)}, 'book', NULL, 'pending', ${q(PATIENT_ID)}, 'user', NULL, NULL, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO appointment_events (id, appointment_id, action, from_status, to_status, actor_id, actor_role, reason, data, at)
VALUES (${q(demoId('aev', 2))}, ${q(appointment)}, 'confirm', 'pending', 'confirmed', ${q(DOCTOR_ID)}, 'doctor', NULL, NULL, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO caregiver_requests (id, requester_id, receiver_id, status, message, created_at, responded_at)
VALUES (${q(demoId('cgr', 1))}, ${q(PATIENT_ID)}, ${q(CAREGIVER_ID)}, 'accepted', 'Could you keep an eye on my medication?', ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO caregiver_links (id, patient_id, caregiver_id, request_id, created_at, ended_at, ended_by)
VALUES (${q(demoId('cgl', 1))}, ${q(PATIENT_ID)}, ${q(CAREGIVER_ID)}, ${q(demoId('cgr', 1))}, ${now}, NULL, NULL) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO support_tickets (id, owner_id, subject, category, priority, description, attachments, status, assignee_id, resolved_at, closed_at, created_at, updated_at)
VALUES (${q(demoId('stk', 1))}, ${q(PATIENT_ID)}, 'I cannot see my invoice', 'payments', 'normal', 'The invoice for my last visit does not show in the app.', '[]', 'in-progress', 'usr_01DEMD0SUPERADM1N000000000', NULL, NULL, ${now}, ${now}) ON CONFLICT DO NOTHING;`);
  out.push(`INSERT INTO support_messages (id, ticket_id, author_id, body, attachments, internal, created_at)
VALUES (${q(demoId('smg', 1))}, ${q(demoId('stk', 1))}, 'usr_01DEMD0SUPERADM1N000000000', 'Thanks, we are looking into it.', '[]', 0, ${now}) ON CONFLICT DO NOTHING;`);
  return out;
}

/**
 * The demo caregiver as a professional: a profile in Berlin (rate, languages, a 15 km service radius),
 * two of the migration's care specialties and a nursing licence, so the caregiver search finds them;
 * and availability (Monday to Friday 08:00–18:00 Berlin, 30-minute grid, 30 minutes between homes,
 * 12 hours' notice), so they can be booked.
 */
function careProfileSql(now) {
  const expires = new Date(now + 365 * 86_400_000).toISOString().slice(0, 10);
  return [
    `INSERT INTO caregiver_profiles (user_id, bio, years_of_experience, languages, hourly_rate_cents, currency, photo_file_id, address, latitude, longitude, service_radius_km, rejection_reason, rejected_at, updated_at)
VALUES (${q(CAREGIVER_ID)}, 'Registered nurse caring for older adults at home.', 8, ${q(JSON.stringify(['de', 'en']))}, 2500, 'EUR', NULL, 'Alexanderplatz 1, 10178 Berlin', 52.5219, 13.4132, 15, NULL, NULL, ${now}) ON CONFLICT DO NOTHING;`,
    ...['csp_nursing', 'csp_geriatric-care'].map(
      (specialty) => `INSERT INTO caregiver_specialties (caregiver_id, specialty_id)
VALUES (${q(CAREGIVER_ID)}, ${q(specialty)}) ON CONFLICT DO NOTHING;`,
    ),
    `INSERT INTO caregiver_credentials (id, caregiver_id, type, number, issuer, expires_at, document_file_ids, expiry_notice_at, created_at, updated_at)
VALUES (${q(demoId('ccr', 1))}, ${q(CAREGIVER_ID)}, 'Nursing licence', 'DE-RN-2020-0815', 'Landesamt für Gesundheit Berlin', ${q(expires)}, '[]', NULL, ${now}, ${now}) ON CONFLICT DO NOTHING;`,
    `INSERT INTO caregiver_schedules (caregiver_id, time_zone, slot_minutes, buffer_minutes, min_notice_minutes, max_days_ahead, updated_at)
VALUES (${q(CAREGIVER_ID)}, 'Europe/Berlin', 30, 30, 720, 60, ${now}) ON CONFLICT DO NOTHING;`,
    ...[1, 2, 3, 4, 5].map(
      (weekday) => `INSERT INTO caregiver_hours (id, caregiver_id, weekday, start_time, end_time)
VALUES (${q(demoId('cgh', weekday))}, ${q(CAREGIVER_ID)}, ${weekday}, '08:00', '18:00') ON CONFLICT DO NOTHING;`,
    ),
  ];
}

/** [slug, title, summary, markdown body, tags] of the demo's published articles (content hub). */
const ARTICLES = [
  [
    'sleep-hygiene-basics',
    'Sleep hygiene basics',
    'Seven habits for better sleep.',
    '# Sleep hygiene basics\n\nGo to bed and get up at the same time every day, keep the bedroom dark and cool, and put screens away an hour before sleep.',
    ['sleep', 'habits'],
  ],
  [
    'walking-every-day',
    'Walking every day',
    'Why 30 minutes of walking is worth it.',
    '# Walking every day\n\nA brisk half-hour walk most days lowers blood pressure and lifts the mood.',
    ['activity', 'habits'],
  ],
  [
    'taking-medicines-on-time',
    'Taking medicines on time',
    'Simple tricks so no dose is missed.',
    '# Taking medicines on time\n\nTie each dose to a daily routine and let Kinwell remind you.',
    ['medication'],
  ],
];

/** A content category and the demo's published articles, by the superadmin (one INSERT each). */
function contentSql(now) {
  const author = 'usr_01DEMD0SUPERADM1N000000000';
  const category = demoId('cat', 1);
  return [
    `INSERT INTO content_categories (id, name, slug, created_at) VALUES (${q(category)}, 'Wellbeing', 'wellbeing', ${now}) ON CONFLICT DO NOTHING;`,
    ...ARTICLES.flatMap(([slug, title, summary, body, tags], i) => {
      const id = demoId('cnt', i + 1);
      const snapshot = {
        kind: 'article',
        title,
        slug,
        summary,
        body,
        fileId: null,
        categoryId: category,
        tags,
        metaTitle: `${title} | Kinwell`,
        metaDescription: summary,
        socialImageFileId: null,
      };
      return [
        `INSERT INTO content_items (id, kind, title, slug, summary, body, file_id, category_id, tags, author_id, meta_title, meta_description, social_image_file_id, status, publish_at, published_at, version, updated_by, created_at, updated_at)
VALUES (${q(id)}, 'article', ${q(title)}, ${q(slug)}, ${q(summary)}, ${q(body)}, NULL, ${q(category)}, ${q(JSON.stringify(tags))}, ${q(author)}, ${q(`${title} | Kinwell`)}, ${q(summary)}, NULL, 'published', NULL, ${now}, 1, ${q(author)}, ${now}, ${now}) ON CONFLICT DO NOTHING;`,
        `INSERT INTO content_item_versions (id, content_item_id, version, status, snapshot, author_id, created_at)
VALUES (${q(demoId('cnv', i + 1))}, ${q(id)}, 1, 'draft', ${q(JSON.stringify(snapshot))}, ${q(author)}, ${now}) ON CONFLICT DO NOTHING;`,
      ];
    }),
  ];
}

/** The demo's published sleep quiz by the superadmin: three questions, their order and three bands (one INSERT each). */
function quizSql(now) {
  const author = 'usr_01DEMD0SUPERADM1N000000000';
  const quiz = demoId('qiz', 1);
  const questions = [
    [
      'single-choice',
      'How often do you wake up rested?',
      [
        ['often', 'Most days', 0],
        ['sometimes', 'Some days', 2],
        ['rarely', 'Rarely', 4],
      ],
      null,
      null,
    ],
    ['scale', 'How stressed did you feel this week (0 = not at all, 5 = very)?', [], 0, 5],
    [
      'multiple-choice',
      'What keeps you awake?',
      [
        ['noise', 'Noise', 1],
        ['worry', 'Worry', 2],
        ['screens', 'Screens', 1],
      ],
      null,
      null,
    ],
  ];
  // Scores 0–4, 0–5 and 1–4: the bands cover 1–13.
  const bands = [
    { min: 1, max: 4, label: 'low risk', advice: 'Your sleep looks fine: keep your routine.' },
    { min: 5, max: 8, label: 'moderate risk', advice: 'Try a fixed bedtime and no screens the hour before.' },
    { min: 9, max: 13, label: 'high risk', advice: 'Poor sleep for a while is worth talking about with a doctor.' },
  ];
  return [
    ...questions.flatMap(([type, prompt, options, min, max], i) => {
      const id = demoId('qqn', i + 1);
      const json = JSON.stringify(options.map(([value, label, score]) => ({ value, label, score })));
      return [
        `INSERT INTO quiz_questions (id, type, prompt, options, scale_min, scale_max, created_by, created_at)
VALUES (${q(id)}, ${q(type)}, ${q(prompt)}, ${q(json)}, ${min ?? 'NULL'}, ${max ?? 'NULL'}, ${q(author)}, ${now}) ON CONFLICT DO NOTHING;`,
        `INSERT INTO quiz_items (quiz_id, question_id, position) VALUES (${q(quiz)}, ${q(id)}, ${i}) ON CONFLICT DO NOTHING;`,
      ];
    }),
    `INSERT INTO quizzes (id, title, description, status, bands, created_by, published_at, archived_at, created_at, updated_at)
VALUES (${q(quiz)}, 'Sleep check', 'Three questions on how you sleep.', 'published', ${q(JSON.stringify(bands))}, ${q(author)}, ${now}, NULL, ${now}, ${now}) ON CONFLICT DO NOTHING;`,
  ];
}

export function seedSql(now = Date.now()) {
  const statements = DEMO_ACCOUNTS.map((a) => {
    const status = a.status ?? 'active';
    const verified = (a.role === 'doctor' || a.role === 'caregiver') && status === 'active' ? now : null;
    return `INSERT INTO users (id, email, mobile_number, name, password_hash, role, sub_roles, status, verified_at, email_verified_at, mobile_verified_at, token_version, created_at, updated_at)
VALUES (${q(a.id)}, ${q(a.email)}, ${q(a.mobileNumber)}, ${q(a.name)}, ${q(hashPassword(DEMO_PASSWORD))}, ${q(a.role)}, ${q(JSON.stringify(a.subRoles ?? []))}, ${q(status)}, ${verified ?? 'NULL'}, ${now}, ${a.mobileNumber ? now : 'NULL'}, 0, ${now}, ${now})
ON CONFLICT DO NOTHING;`;
  });
  statements.push(...healthSql(now), ...practiceSql(now), ...connectionsSql(now), ...careProfileSql(now));
  statements.push(...contentSql(now));
  statements.push(...quizSql(now));
  return `${statements.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(new URL('../.wrangler/', import.meta.url), { recursive: true });
  const file = new URL('../.wrangler/seed.sql', import.meta.url);
  writeFileSync(file, seedSql());
  execFileSync('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--file', file.pathname], { stdio: 'inherit' });
  console.log(
    `Seeded ${DEMO_ACCOUNTS.length} demo accounts (password ${DEMO_PASSWORD}), ${SUPPLEMENTS.length} supplements, ${VACCINES.length} vaccines, the demo patient's dependent and schedules, the demo doctor's practice, a confirmed appointment, the caregiver link and the caregiver's profile and availability, a support ticket, three published articles and a published quiz.`,
  );
}
