CREATE TABLE `care_session_events` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
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
CREATE INDEX `care_session_events_session_idx` ON `care_session_events` (`session_id`,`at`);--> statement-breakpoint
CREATE TABLE `care_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`caregiver_id` text NOT NULL,
	`booked_by` text NOT NULL,
	`recommendation_id` text,
	`mode` text NOT NULL,
	`status` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`buffer_minutes` integer NOT NULL,
	`time_zone` text NOT NULL,
	`address` text,
	`notes` text,
	`hourly_rate_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`checked_in_at` integer,
	`checked_out_at` integer,
	`actual_minutes` integer,
	`billed_minutes` integer,
	`amount_cents` integer,
	`cancelled_by` text,
	`cancel_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `care_sessions_patient_idx` ON `care_sessions` (`patient_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `care_sessions_caregiver_idx` ON `care_sessions` (`caregiver_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `care_sessions_status_idx` ON `care_sessions` (`status`,`starts_at`);--> statement-breakpoint
CREATE TABLE `caregiver_hours` (
	`id` text PRIMARY KEY NOT NULL,
	`caregiver_id` text NOT NULL,
	`weekday` integer NOT NULL,
	`start_time` text NOT NULL,
	`end_time` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `caregiver_hours_caregiver_idx` ON `caregiver_hours` (`caregiver_id`,`weekday`);--> statement-breakpoint
CREATE INDEX `caregiver_hours_weekday_idx` ON `caregiver_hours` (`weekday`,`caregiver_id`);--> statement-breakpoint
CREATE TABLE `caregiver_schedules` (
	`caregiver_id` text PRIMARY KEY NOT NULL,
	`time_zone` text NOT NULL,
	`slot_minutes` integer NOT NULL,
	`buffer_minutes` integer NOT NULL,
	`min_notice_minutes` integer NOT NULL,
	`max_days_ahead` integer NOT NULL,
	`updated_at` integer NOT NULL
);
