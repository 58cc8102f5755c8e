import { and, eq, getTableColumns, getTableName, is } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, SQLiteTable, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import type { EraseMode } from '../../../src/db/erasure';
import * as schema from '../../../src/db/schema';
import { users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { client, db, testEnv, uniqueId } from '../../helpers';
import { loginTokens, STRONG_PASSWORD, userWithPassword } from '../../support/auth';
import { account } from '../../support/practice';

/**
 * The schema walk: every table of src/db/schema that holds a user id must lose every reference to an
 * erased account, except the kept records listed in KEPT (which must then hold ids only). A module that
 * adds such a table and forgets its erasure makes this test fail.
 *
 * The rule. A column holds a user id when
 * - it has a foreign key to users.id, or
 * - its SQL name is `user_id` or ends in `_by` (who did something: booked_by, cancelled_by, …), or
 * - its SQL name ends in `_id` and is not in OTHER_ENTITY_IDS (names that denote another entity
 *   wherever they appear) nor in NOT_A_USER (one table's column whose name misleads).
 * So a new `subscriber_id` counts as a user id until someone says otherwise here. A table's own `id`
 * is not a reference; the users table itself is checked apart (tombstone or gone).
 */

/** `_id` names that denote another entity in every table that has them. */
const OTHER_ENTITY_IDS: Record<string, string> = {
  appointment_id: 'an appointment',
  balance_transaction_id: "a payment provider's balance transaction",
  charge_id: "a payment provider's charge",
  conversation_id: 'a bot conversation',
  checkout_session_id: "a payment provider's checkout session",
  payment_id: 'a payment',
  payment_intent_id: "a payment provider's payment intent",
  provider_refund_id: "a payment provider's refund",
  report_id: 'a care report',
  dead_job_id: 'a dead-lettered queue message',
  avatar_file_id: 'a file (the avatar)',
  dependent_id: 'a dependent (not an account)',
  file_id: 'a file',
  follow_up_of_id: 'the appointment followed up',
  hold_id: 'an appointment hold',
  invitation_id: 'a call invitation',
  item_id: 'a supplement or vaccine of the catalog',
  key_id: 'an encryption key (medical record content)',
  link_id: 'a caregiver link',
  message_id: 'a queue message',
  photo_file_id: 'a file (the doctor photo, a review photo)',
  provider_message_id: "a provider's id of a sent message (an inbox row or an outbox message in development)",
  request_id: 'a caregiver request, or an HTTP request id in audit events',
  recommendation_id: 'a caregiver recommendation',
  review_id: 'a review',
  schedule_id: 'a schedule',
  service_id: 'a doctor service',
  session_id: 'a session',
  specialization_id: 'a specialization',
  specialty_id: 'a care specialty',
  subject_id: 'what a notice is about (an appointment, a dose, a broadcast)',
  supplement_id: 'a supplement',
  ticket_id: 'a support ticket',
  upload_id: "an R2 multipart upload (a call recording's)",
  vaccine_id: 'a vaccine',
  goal_id: 'a wellness goal',
  template_id: 'a goal template',
  category_id: 'a content category',
  content_item_id: 'a content item',
  social_image_file_id: "a file (a content item's social image)",
  quiz_id: 'a quiz',
  question_id: 'a quiz question',
  entry_id: 'a waitlist entry',
};

/** Columns named like a user id that hold something else, as `table.column`. */
const NOT_A_USER: Record<string, string> = {
  'slot_claims.owner_id': 'the hold or appointment that owns the unit',
  'specializations.parent_id': 'the specialization it sits under',
  'users.facebook_id': "the account's own Facebook user id (cleared on the row, checked as personal data)",
  'appointments.affected_by_id': 'the time off or special hours that took the appointment’s time',
};

/**
 * Records kept on purpose after an erasure, as `table.column`, in the modes given (both by default).
 * Their rows must not carry the erased account's name, email, mobile number, Google or Facebook link.
 */
const KEPT: Record<string, { why: string; modes?: EraseMode[] }> = {
  // Kept by law: the audit trail is append-only (a trigger refuses deletes) and carries ids only.
  'audit_events.actor_id': { why: 'audit trail, kept by law' },
  'audit_events.patient_id': { why: 'audit trail, kept by law' },
  'audit_events.resource_id': { why: 'audit trail, kept by law (a user event names the account)' },
  // Appointments are the other party's records too: a self-deleted patient's past visits stay as the
  // doctor's (the tombstone names no one); a purge deletes them. A doctor's stay as the patients'.
  'appointments.patient_id': { why: "past visits, the doctor's records", modes: ['anonymize'] },
  'appointments.doctor_id': { why: "the patients' records" },
  'appointments.booked_by': { why: "staff who booked a patient's visit, on the patient's record" },
  'appointments.cancelled_by': { why: "who cancelled, on the other party's record" },
  'appointment_events.actor_id': { why: "history of the other party's appointments" },
  'appointment_notes.doctor_id': { why: "the patients' clinical records" },
  // Prescriptions as appointment notes: the patient's and the doctor's clinical record; a purge of the
  // patient deletes theirs.
  'prescriptions.patient_id': { why: "the doctor's clinical records", modes: ['anonymize'] },
  'prescriptions.doctor_id': { why: "the patients' clinical records" },
  'appointment_attachments.added_by': { why: "staff who attached a patient's file, on the patient's record" },
  'slot_claims.doctor_id': { why: "the units of the doctor's kept live visits (ids and times only)" },
  // Ended relationships stay as ids for the other side's history and their notes.
  'caregiver_links.patient_id': { why: "ended relationship, the other side's history" },
  'caregiver_links.caregiver_id': { why: "ended relationship, the other side's history" },
  'caregiver_links.ended_by': { why: 'who ended the relationship (the erasure itself)' },
  // Withdrawn, not deleted: patients' kept visits name the service; an offering is not personal data.
  'doctor_services.doctor_id': { why: 'withdrawn services booked visits still name' },
  // Accounting and configuration history: the staff member's id only.
  'stock_movements.actor_id': { why: 'the stock ledger, append-only' },
  'system_settings.updated_by': { why: 'who last changed a setting' },
  'broadcasts.created_by': { why: 'the admin who sent an announcement (ids only)' },
  // Bookkeeping: payments and refunds are kept for the retention period accounting law sets (ids,
  // amounts and the service's name; never card data beyond brand and last four).
  'payments.payer_id': { why: 'payment records, kept by accounting law' },
  'payments.payee_id': { why: 'payment records, kept by accounting law' },
  'refunds.requested_by': { why: 'the admin who asked for a refund (ids only)' },
  'refunds.approved_by': { why: 'the admin who approved a refund (ids only)' },
  // Medical records are the patient's: what a doctor (or admin) did in another patient's record stays
  // in that record by id only (content is encrypted); the patient's own record goes with their account.
  'medical_record_versions.author_id': { why: "who wrote a version of another patient's record" },
  'medical_record_documents.added_by': { why: "who added a document to another patient's record" },
  'medical_record_access_log.actor_id': { why: "who opened another patient's record: that patient's access log" },
  'emergency_accesses.doctor_id': { why: 'an emergency access to another patient, kept for its review' },
  'emergency_accesses.reviewed_by': { why: 'the admin who reviewed an emergency access (ids only)' },
  // Care reports are the patient's, like medical records: what a caregiver wrote about another patient
  // stays in that patient's reports by id only (content encrypted); an admin's acknowledgement by id.
  'care_reports.author_id': { why: 'who filed a care report about another patient' },
  'care_report_versions.author_id': { why: "who wrote a version of another patient's care report" },
  'care_alerts.acknowledged_by': { why: 'the admin who acknowledged a care alert (ids only)' },
  'care_deaths.reported_by': { why: "the caregiver who reported another patient's death (ids only)" },
  // Care sessions are the patient's records, like appointments: a caregiver's stay as the patients'
  // (live ones cancelled), by id only, and so does whoever booked or cancelled one for a patient.
  'care_sessions.caregiver_id': { why: "the patients' care session records" },
  'care_sessions.booked_by': { why: "who booked a patient's care session, on the patient's record" },
  'care_sessions.cancelled_by': { why: "who cancelled, on the patient's record" },
  'care_session_events.actor_id': { why: "history of another patient's care sessions" },
  // Goal templates are catalog content other users' goals are made from: the proposing admin's id only.
  'goal_templates.created_by': { why: 'the content manager who proposed a goal template (ids only)' },
  // Quizzes and their questions are shared content: the content manager who wrote them stays by id.
  'quiz_questions.created_by': { why: 'the content manager who wrote a quiz question (ids only)' },
  'quizzes.created_by': { why: 'the content manager who assembled a quiz (ids only)' },
  // Support threads are the ticket owner's: what a staff member wrote on another user's ticket stays in
  // that thread by id only; an erased agent's assignments are cleared.
  'support_messages.author_id': { why: "a staff reply or note on another user's ticket" },
  // The content hub's items are the platform's, not personal: they stay under the author's id.
  'content_items.author_id': { why: "the platform's published content, by its author's id only" },
  'content_items.updated_by': { why: 'who last saved a content item (ids only)' },
  'content_item_versions.author_id': { why: "who saved a version of the platform's content (ids only)" },
};

/** Every table of the schema, found by walking its exports. */
const TABLES: SQLiteTable[] = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable =>
  is(value, SQLiteTable),
);

interface UserColumn {
  /** The drizzle property name (for inserts and selects). */
  key: string;
  /** The SQL name. */
  name: string;
}

function namesAUser(table: string, column: string): boolean {
  if (`${table}.${column}` in NOT_A_USER) return false;
  if (column === 'user_id' || column.endsWith('_by')) return true;
  return column.endsWith('_id') && !(column in OTHER_ENTITY_IDS);
}

/** The columns of `table` that hold a user id, by the rule above. */
function userColumns(table: SQLiteTable): UserColumn[] {
  const config = getTableConfig(table);
  const referencing = new Set(
    config.foreignKeys.flatMap((fk) => {
      const ref = fk.reference();
      const toUsers = getTableName(ref.foreignTable) === 'users' && ref.foreignColumns.some((c) => c.name === 'id');
      return toUsers ? ref.columns.map((c) => c.name) : [];
    }),
  );
  return Object.entries(getTableColumns(table))
    .filter(([, column]) => referencing.has(column.name) || namesAUser(config.name, column.name))
    .map(([key, column]) => ({ key, name: column.name }));
}

const NOW = new Date('2026-03-23T08:00:00Z');
/** Every synthetic instant: a week ahead, so synthetic appointments are upcoming and get cancelled. */
const LATER = NOW.getTime() + 7 * 86_400_000;

/** A value for a required column of a synthetic row. */
function filler(column: SQLiteColumn): unknown {
  if (column.enumValues?.length) return column.enumValues[0];
  if (column.dataType === 'number') return LATER;
  if (column.dataType === 'boolean') return false;
  if (column.dataType === 'json') return [];
  return `${column.name}-${uniqueId('syn')}`;
}

/** A row of `table` with the given user columns, required columns filled in and the rest left to defaults. */
function syntheticRow(table: SQLiteTable, owners: Record<string, string>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (key in owners) row[key] = owners[key];
    else if (column.notNull && !column.hasDefault) row[key] = filler(column);
  }
  return row;
}

/**
 * Gives every user column of every table a row naming the account (the row's other user columns name
 * someone else, a new id each, so pair constraints hold), and every such table one row that names
 * only the bystander.
 */
async function seedEveryUserColumn(tables: SQLiteTable[], userId: string, bystanderId: string) {
  for (const table of tables) {
    const columns = userColumns(table);
    if (columns.length === 0) continue;
    const as = (who: (column: UserColumn) => string) => Object.fromEntries(columns.map((c) => [c.key, who(c)]));
    for (const column of columns) {
      const other = uniqueId('usr');
      await db.insert(table).values(
        syntheticRow(
          table,
          as((c) => (c === column ? userId : other)),
        ),
      );
    }
    await db.insert(table).values(
      syntheticRow(
        table,
        as(() => bystanderId),
      ),
    );
  }
}

/**
 * What the erasure left behind, as sentences: a user column outside KEPT (for this mode) that still
 * names the account, a kept row carrying one of its personal values, or a bystander's row that went.
 */
async function leftovers(
  tables: SQLiteTable[],
  erased: { id: string; personal: string[]; mode: EraseMode },
  bystanderId: string,
): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const columns = userColumns(table);
    if (columns.length === 0) continue;
    const name = getTableName(table);
    const all = getTableColumns(table);
    for (const column of columns) {
      const rows = await db.select().from(table).where(eq(all[column.key]!, erased.id)).all();
      const kept = KEPT[`${name}.${column.name}`];
      if (!kept || !(kept.modes ?? ['anonymize', 'purge']).includes(erased.mode)) {
        if (rows.length > 0)
          found.push(
            `${name}.${column.name} still refers to the erased account (${rows.length} row${rows.length === 1 ? '' : 's'})`,
          );
        continue;
      }
      for (const row of rows) {
        const leaked = erased.personal.filter((value) => JSON.stringify(row).includes(value));
        if (leaked.length > 0)
          found.push(`${name}.${column.name} keeps a row with personal data: ${leaked.join(', ')}`);
      }
    }
    const bystanders = await db
      .select()
      .from(table)
      .where(and(...columns.map((c) => eq(all[c.key]!, bystanderId))))
      .all();
    if (bystanders.length === 0) found.push(`${name}: the bystander's own row was erased too`);
  }
  return found;
}

const api = client({ clock: fixedClock(NOW) });

/**
 * An account with a password, a unique name, email, mobile number, Google and Facebook links, which
 * has signed in once and failed once (audit events), plus a bystander, and a row in every user column
 * of `tables`.
 */
async function populatedAccount(tables: SQLiteTable[]) {
  const user = await userWithPassword({ name: `Walker ${uniqueId('nm')}` });
  const mobileNumber = `+3519${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const googleSub = `google-${uniqueId('sub')}`;
  const facebookId = `facebook-${uniqueId('fb')}`;
  await db.update(users).set({ mobileNumber, googleSub, facebookId }).where(eq(users.id, user.id));
  const { accessToken } = await loginTokens(api, user.email!);
  const wrong = await api.post('/api/v1/auth/login', { json: { email: user.email, password: 'Not-The-Password-1' } });
  expect(wrong.status).toBe(401);
  const bystander = await account('user', NOW);
  await seedEveryUserColumn(tables, user.id, bystander.user.id);
  return {
    user,
    token: accessToken,
    bystanderId: bystander.user.id,
    personal: [user.name, user.email!, mobileNumber, googleSub, facebookId],
  };
}

async function eraseBy(mode: EraseMode, target: { id: string; token: string }) {
  const res =
    mode === 'anonymize'
      ? await api.delete('/api/v1/users/me', { token: target.token, json: { password: STRONG_PASSWORD } })
      : await api.delete(`/api/v1/admin/users/${target.id}`, {
          token: (await account('admin', NOW)).token,
          json: { reason: 'Schema walk' },
        });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('the rule: which columns hold a user id', () => {
  it('Should find the user columns of the schema, and no more', () => {
    const found = TABLES.flatMap((t) => userColumns(t).map((c) => `${getTableName(t)}.${c.name}`));
    // A sample the walk must see, so it cannot pass by finding nothing.
    expect(found).toEqual(
      expect.arrayContaining([
        'sessions.user_id',
        'schedules.owner_id',
        'appointments.patient_id',
        'appointments.doctor_id',
        'appointments.booked_by',
        'caregiver_requests.receiver_id',
        'caregiver_notes.author_id',
        'realtime_tickets.user_id',
        'audit_events.actor_id',
      ]),
    );
    expect(found).not.toContain('slot_claims.owner_id');
    expect(found).not.toContain('appointments.service_id');
    expect(found.some((c) => c.startsWith('users.'))).toBe(false);
  });

  it('Should flag a new user column by name or by its foreign key to users', () => {
    const subscriptions = sqliteTable('subscriptions', {
      id: text('id').primaryKey(),
      subscriberId: text('subscriber_id'),
      approvedBy: text('approved_by'),
      holder: text('holder').references(() => users.id),
      appointmentId: text('appointment_id'),
      note: text('note'),
    });
    expect(userColumns(subscriptions).map((c) => c.name)).toEqual(['subscriber_id', 'approved_by', 'holder']);
  });

  it('Should keep its lists true to the schema (no stale exception)', () => {
    const userCols = new Set(TABLES.flatMap((t) => userColumns(t).map((c) => `${getTableName(t)}.${c.name}`)));
    for (const key of Object.keys(KEPT)) expect(userCols, key).toContain(key);
    const every = new Set(
      TABLES.flatMap((t) => Object.values(getTableColumns(t)).map((c) => `${getTableName(t)}.${c.name}`)),
    );
    for (const key of Object.keys(NOT_A_USER)) expect(every, key).toContain(key);
    const names = new Set([...every].map((key) => key.split('.')[1]));
    for (const name of Object.keys(OTHER_ENTITY_IDS)) expect(names, name).toContain(name);
  });
});

describe('the erasure walk over the schema', () => {
  for (const mode of ['anonymize', 'purge'] as const) {
    it(`Should leave no reference to the account outside the kept records (${mode}, through HTTP)`, async () => {
      const erased = await populatedAccount(TABLES);
      await eraseBy(mode, { id: erased.user.id, token: erased.token });

      const found = await leftovers(
        TABLES,
        { id: erased.user.id, personal: erased.personal, mode },
        erased.bystanderId,
      );
      expect(found).toEqual([]);
      const row = await db.select().from(users).where(eq(users.id, erased.user.id)).get();
      if (mode === 'purge') expect(row).toBeUndefined();
      else {
        expect(row).toMatchObject({ status: 'removed', name: 'Deleted user', email: null, mobileNumber: null });
        expect(erased.personal.filter((value) => JSON.stringify(row).includes(value))).toEqual([]);
      }
    });
  }

  it('Should fail for a table with a user id that no module erases', async () => {
    const forgotten = sqliteTable('forgotten_things', {
      id: text('id').primaryKey(),
      userId: text('user_id').notNull(),
      note: text('note'),
    });
    await testEnv.DB.prepare(
      'create table if not exists forgotten_things (id text primary key not null, user_id text not null, note text)',
    ).run();
    const tables = [...TABLES, forgotten];
    const erased = await populatedAccount(tables);
    await eraseBy('anonymize', { id: erased.user.id, token: erased.token });

    const found = await leftovers(
      tables,
      { id: erased.user.id, personal: erased.personal, mode: 'anonymize' },
      erased.bystanderId,
    );
    expect(found).toEqual(['forgotten_things.user_id still refers to the erased account (1 row)']);
  });
});
