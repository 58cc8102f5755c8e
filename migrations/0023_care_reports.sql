CREATE TABLE `care_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`report_id` text NOT NULL,
	`severity` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	`acknowledged_at` integer,
	`acknowledged_by` text,
	`ack_seconds` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `care_alerts_report_severity_idx` ON `care_alerts` (`report_id`,`severity`);--> statement-breakpoint
CREATE INDEX `care_alerts_status_idx` ON `care_alerts` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `care_alerts_patient_idx` ON `care_alerts` (`patient_id`);--> statement-breakpoint
CREATE TABLE `care_deaths` (
	`patient_id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`reported_by` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `care_report_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`key_id` text NOT NULL,
	`content` text NOT NULL,
	`author_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `care_report_versions_report_version_idx` ON `care_report_versions` (`report_id`,`version`);--> statement-breakpoint
CREATE INDEX `care_report_versions_patient_idx` ON `care_report_versions` (`patient_id`);--> statement-breakpoint
CREATE TABLE `care_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`author_id` text NOT NULL,
	`session_id` text,
	`request_key` text,
	`status` text NOT NULL,
	`version` integer NOT NULL,
	`key_id` text NOT NULL,
	`content` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `care_reports_patient_idx` ON `care_reports` (`patient_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `care_reports_author_key_idx` ON `care_reports` (`author_id`,`request_key`);