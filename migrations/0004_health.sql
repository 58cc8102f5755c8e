CREATE TABLE `doses` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`local_date` text NOT NULL,
	`local_time` text NOT NULL,
	`scheduled_at` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`taken_at` integer,
	`note` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `doses_occurrence_uq` ON `doses` (`schedule_id`,`local_date`,`local_time`);--> statement-breakpoint
CREATE INDEX `doses_owner_time_idx` ON `doses` (`owner_id`,`scheduled_at`);--> statement-breakpoint
CREATE INDEX `doses_status_time_idx` ON `doses` (`status`,`scheduled_at`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`kind` text NOT NULL,
	`supplement_id` text,
	`medicine_name` text,
	`dosage` text,
	`quantity_per_dose` integer DEFAULT 1 NOT NULL,
	`times_of_day` text NOT NULL,
	`time_zone` text NOT NULL,
	`recurrence` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text,
	`notes` text,
	`status` text DEFAULT 'active' NOT NULL,
	`source` text DEFAULT 'user' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_owner_idx` ON `schedules` (`owner_id`,`status`);--> statement-breakpoint
CREATE TABLE `stock_movements` (
	`id` text PRIMARY KEY NOT NULL,
	`item_type` text NOT NULL,
	`item_id` text NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`note` text,
	`balance_after` integer NOT NULL,
	`actor_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_movements_item_idx` ON `stock_movements` (`item_type`,`item_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `supplements` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`brand` text,
	`form` text NOT NULL,
	`strength` integer,
	`unit` text NOT NULL,
	`description` text,
	`stock_quantity` integer DEFAULT 0 NOT NULL,
	`low_stock_threshold` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `supplements_sku_unique` ON `supplements` (`sku`);--> statement-breakpoint
CREATE INDEX `supplements_name_idx` ON `supplements` (`name`);--> statement-breakpoint
CREATE TABLE `vaccine_schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`dependent_id` text,
	`vaccine_id` text NOT NULL,
	`dose_number` integer NOT NULL,
	`due_date` text NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`administered_on` text,
	`administered_place` text,
	`lot_number` text,
	`notes` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `vaccine_schedules_owner_idx` ON `vaccine_schedules` (`owner_id`,`due_date`);--> statement-breakpoint
-- Hand-corrected: drizzle-kit 0.31 misquotes expression indexes.
CREATE UNIQUE INDEX `vaccine_schedules_dose_uq` ON `vaccine_schedules` (`owner_id`, coalesce(`dependent_id`, ''), `vaccine_id`, `dose_number`);--> statement-breakpoint
CREATE TABLE `vaccines` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`manufacturer` text,
	`diseases` text NOT NULL,
	`doses_in_series` integer DEFAULT 1 NOT NULL,
	`interval_days` integer DEFAULT 0 NOT NULL,
	`min_age_months` integer,
	`max_age_months` integer,
	`description` text,
	`stock_quantity` integer DEFAULT 0 NOT NULL,
	`low_stock_threshold` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vaccines_code_unique` ON `vaccines` (`code`);--> statement-breakpoint
CREATE INDEX `vaccines_name_idx` ON `vaccines` (`name`);