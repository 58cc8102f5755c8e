import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const SUPPLEMENT_FORMS = ['tablet', 'capsule', 'softgel', 'powder', 'liquid', 'gummy', 'other'] as const;
export const DOSE_UNITS = ['mg', 'mcg', 'g', 'IU', 'ml', 'drop', 'tablet', 'capsule', 'scoop', 'other'] as const;

/** Supplement catalog (admins write, everyone signed in reads). `sku` is the natural key for imports. */
export const supplements = sqliteTable(
  'supplements',
  {
    id: text('id').primaryKey(),
    sku: text('sku').notNull().unique(),
    name: text('name').notNull(),
    brand: text('brand'),
    form: text('form', { enum: SUPPLEMENT_FORMS }).notNull(),
    /** Amount of active ingredient per unit, e.g. 1000 (with `unit` IU). */
    strength: integer('strength'),
    unit: text('unit', { enum: DOSE_UNITS }).notNull(),
    description: text('description'),
    stockQuantity: integer('stock_quantity').notNull().default(0),
    lowStockThreshold: integer('low_stock_threshold').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('supplements_name_idx').on(t.name)],
);

/** Vaccine catalog. `code` is the natural key for imports. */
export const vaccines = sqliteTable(
  'vaccines',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    manufacturer: text('manufacturer'),
    /** Diseases it protects against. */
    diseases: text('diseases', { mode: 'json' }).$type<string[]>().notNull(),
    dosesInSeries: integer('doses_in_series').notNull().default(1),
    /** Days between doses of the series (0 for single-dose vaccines). */
    intervalDays: integer('interval_days').notNull().default(0),
    minAgeMonths: integer('min_age_months'),
    maxAgeMonths: integer('max_age_months'),
    description: text('description'),
    stockQuantity: integer('stock_quantity').notNull().default(0),
    lowStockThreshold: integer('low_stock_threshold').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('vaccines_name_idx').on(t.name)],
);

export const STOCK_REASONS = ['received', 'dispensed', 'expired', 'correction'] as const;

/** Append-only stock ledger: every change of a catalog item's stock, with the balance after it. */
export const stockMovements = sqliteTable(
  'stock_movements',
  {
    id: text('id').primaryKey(),
    itemType: text('item_type', { enum: ['supplement', 'vaccine'] }).notNull(),
    itemId: text('item_id').notNull(),
    delta: integer('delta').notNull(),
    reason: text('reason', { enum: STOCK_REASONS }).notNull(),
    note: text('note'),
    balanceAfter: integer('balance_after').notNull(),
    actorId: text('actor_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('stock_movements_item_idx').on(t.itemType, t.itemId, t.createdAt)],
);

export const SCHEDULE_KINDS = ['supplement', 'medicine'] as const;
export const SCHEDULE_STATUSES = ['active', 'paused'] as const;

/** How often a schedule repeats: on given weekdays (1 = Monday … 7 = Sunday) or every N days. */
export type Recurrence = { type: 'weekly'; daysOfWeek: number[] } | { type: 'interval'; everyNDays: number };

/**
 * A supplement or medicine someone takes: what, how much, at which local times in which IANA time
 * zone, on which days, from when until when. Doses are generated from it.
 */
export const schedules = sqliteTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    /** Null when the schedule is for the owner; else one of the owner's dependents (the owner takes the doses' reminders). */
    dependentId: text('dependent_id'),
    kind: text('kind', { enum: SCHEDULE_KINDS }).notNull(),
    /** For kind supplement: the catalog item. */
    supplementId: text('supplement_id'),
    /** For kind medicine: free text name and dosage, e.g. "Metformin", "500 mg". */
    medicineName: text('medicine_name'),
    dosage: text('dosage'),
    quantityPerDose: integer('quantity_per_dose').notNull().default(1),
    /** Local times `HH:MM`, sorted. */
    timesOfDay: text('times_of_day', { mode: 'json' }).$type<string[]>().notNull(),
    timeZone: text('time_zone').notNull(),
    recurrence: text('recurrence', { mode: 'json' }).$type<Recurrence>().notNull(),
    /** Local dates `YYYY-MM-DD`, inclusive. */
    startDate: text('start_date').notNull(),
    endDate: text('end_date'),
    notes: text('notes'),
    status: text('status', { enum: SCHEDULE_STATUSES }).notNull().default('active'),
    /** Set by the prescriptions module when a prescription created it. */
    source: text('source').notNull().default('user'),
    /**
     * The local date through which the daily horizon job last generated doses (null: not yet). Lets the
     * cron top up every active schedule once a day, also for users who never open the app.
     */
    dosesThrough: text('doses_through'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('schedules_owner_idx').on(t.ownerId, t.status),
    index('schedules_horizon_idx').on(t.status, t.dosesThrough),
    index('schedules_dependent_idx').on(t.ownerId, t.dependentId),
  ],
);

export const DOSE_STATUSES = ['pending', 'taken', 'missed', 'skipped'] as const;

/**
 * The notice subject type of a dose's reminders (`reminders.subject_type`): named here, below both the
 * schedules module that schedules them and the dependents module whose removal of a dependent's
 * schedules removes them.
 */
export const DOSE_SUBJECT = 'dose';

/**
 * The concrete doses a schedule produces. Unique on schedule + local date + local time, so generating
 * the same range twice adds nothing. `scheduledAt` is the UTC instant of that local time.
 */
export const doses = sqliteTable(
  'doses',
  {
    id: text('id').primaryKey(),
    scheduleId: text('schedule_id').notNull(),
    ownerId: text('owner_id').notNull(),
    localDate: text('local_date').notNull(),
    localTime: text('local_time').notNull(),
    scheduledAt: integer('scheduled_at').notNull(),
    status: text('status', { enum: DOSE_STATUSES }).notNull().default('pending'),
    takenAt: integer('taken_at'),
    note: text('note'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('doses_occurrence_uq').on(t.scheduleId, t.localDate, t.localTime),
    index('doses_owner_time_idx').on(t.ownerId, t.scheduledAt),
    index('doses_status_time_idx').on(t.status, t.scheduledAt),
  ],
);

export const VACCINE_DOSE_STATUSES = ['scheduled', 'administered', 'cancelled'] as const;

/**
 * The notice subject type of a vaccine dose's reminders (`reminders.subject_type`): named here, below
 * both the vaccinations module that schedules them and the dependents module whose removal of a
 * dependent's plan removes them.
 */
export const VACCINE_SCHEDULE_SUBJECT = 'vaccine-schedule';

/**
 * One dose of a vaccine series for the owner or one of their dependents. `active` lets a whole plan be
 * switched off and on without losing it.
 */
export const vaccineSchedules = sqliteTable(
  'vaccine_schedules',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    /** Null when the vaccine is for the owner. */
    dependentId: text('dependent_id'),
    vaccineId: text('vaccine_id').notNull(),
    doseNumber: integer('dose_number').notNull(),
    /** Local date `YYYY-MM-DD`. */
    dueDate: text('due_date').notNull(),
    status: text('status', { enum: VACCINE_DOSE_STATUSES }).notNull().default('scheduled'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    administeredOn: text('administered_on'),
    administeredPlace: text('administered_place'),
    lotNumber: text('lot_number'),
    notes: text('notes'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('vaccine_schedules_owner_idx').on(t.ownerId, t.dueDate),
    // The vaccine-schedule calendar of the admin dashboards reads doses due by day across owners.
    index('vaccine_schedules_due_idx').on(t.status, t.dueDate),
    // coalesce: SQLite treats NULLs as distinct, and a dose for the owner has no dependent.
    uniqueIndex('vaccine_schedules_dose_uq').on(
      t.ownerId,
      sql`coalesce(${t.dependentId}, '')`,
      t.vaccineId,
      t.doseNumber,
    ),
    // Vaccine doses given per day: the stats rollups and the inventory table.
    index('vaccine_schedules_administered_idx').on(t.administeredOn),
  ],
);

export type SupplementRow = typeof supplements.$inferSelect;
export type VaccineRow = typeof vaccines.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type DoseRow = typeof doses.$inferSelect;
export type VaccineScheduleRow = typeof vaccineSchedules.$inferSelect;
