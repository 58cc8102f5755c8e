CREATE TABLE `doctor_profiles` (
	`user_id` text PRIMARY KEY NOT NULL,
	`bio` text,
	`qualifications` text NOT NULL,
	`years_of_experience` integer,
	`languages` text NOT NULL,
	`consultation_fee_cents` integer,
	`currency` text DEFAULT 'EUR' NOT NULL,
	`registration_number` text,
	`photo_file_id` text,
	`time_zone` text DEFAULT 'UTC' NOT NULL,
	`slot_minutes` integer DEFAULT 30 NOT NULL,
	`buffer_minutes` integer DEFAULT 0 NOT NULL,
	`min_notice_minutes` integer DEFAULT 60 NOT NULL,
	`max_days_ahead` integer DEFAULT 60 NOT NULL,
	`unavailable_until` integer,
	`unavailable_reason` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `doctor_services` (
	`id` text PRIMARY KEY NOT NULL,
	`doctor_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`duration_minutes` integer NOT NULL,
	`price_cents` integer NOT NULL,
	`currency` text DEFAULT 'EUR' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `doctor_services_doctor_idx` ON `doctor_services` (`doctor_id`);--> statement-breakpoint
CREATE TABLE `doctor_specializations` (
	`doctor_id` text NOT NULL,
	`specialization_id` text NOT NULL,
	PRIMARY KEY(`doctor_id`, `specialization_id`)
);
--> statement-breakpoint
CREATE INDEX `doctor_spec_idx` ON `doctor_specializations` (`specialization_id`);--> statement-breakpoint
CREATE TABLE `slot_claims` (
	`doctor_id` text NOT NULL,
	`unit_start` integer NOT NULL,
	`owner_type` text NOT NULL,
	`owner_id` text NOT NULL,
	`expires_at` integer,
	PRIMARY KEY(`doctor_id`, `unit_start`)
);
--> statement-breakpoint
CREATE INDEX `slot_claims_owner_idx` ON `slot_claims` (`owner_id`);--> statement-breakpoint
CREATE TABLE `specializations` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `specializations_slug_unique` ON `specializations` (`slug`);--> statement-breakpoint
CREATE TABLE `time_off` (
	`id` text PRIMARY KEY NOT NULL,
	`doctor_id` text NOT NULL,
	`kind` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `time_off_doctor_idx` ON `time_off` (`doctor_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `weekly_hours` (
	`id` text PRIMARY KEY NOT NULL,
	`doctor_id` text NOT NULL,
	`weekday` integer NOT NULL,
	`start_time` text NOT NULL,
	`end_time` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `weekly_hours_doctor_idx` ON `weekly_hours` (`doctor_id`,`weekday`);