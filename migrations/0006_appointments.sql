CREATE TABLE `appointment_attachments` (
	`appointment_id` text NOT NULL,
	`file_id` text NOT NULL,
	`added_by` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`appointment_id`, `file_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `appointment_attachments_file_idx` ON `appointment_attachments` (`file_id`);--> statement-breakpoint
CREATE TABLE `appointment_events` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`action` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_role` text NOT NULL,
	`reason` text,
	`data` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointment_events_appointment_idx` ON `appointment_events` (`appointment_id`,`at`);--> statement-breakpoint
CREATE TABLE `appointment_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`service_id` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`buffer_minutes` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`appointment_id` text,
	`released_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointment_holds_patient_idx` ON `appointment_holds` (`patient_id`);--> statement-breakpoint
CREATE INDEX `appointment_holds_expiry_idx` ON `appointment_holds` (`expires_at`);--> statement-breakpoint
CREATE TABLE `appointment_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointment_notes_appointment_idx` ON `appointment_notes` (`appointment_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`service_id` text NOT NULL,
	`booked_by` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`buffer_minutes` integer NOT NULL,
	`time_zone` text NOT NULL,
	`reason` text,
	`symptoms` text,
	`price_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`follow_up_of_id` text,
	`hold_id` text,
	`refund_percent` integer,
	`refund_due_cents` integer,
	`cancelled_by` text,
	`cancellation_reason` text,
	`cancelled_at` integer,
	`reschedule_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointments_patient_idx` ON `appointments` (`patient_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_doctor_idx` ON `appointments` (`doctor_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_status_idx` ON `appointments` (`status`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_follow_up_idx` ON `appointments` (`follow_up_of_id`);--> statement-breakpoint
CREATE TABLE `calendar_feeds` (
	`user_id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calendar_feeds_token_hash_unique` ON `calendar_feeds` (`token_hash`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`user_id` text NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`response_status` integer NOT NULL,
	`response_body` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);