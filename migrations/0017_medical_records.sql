CREATE TABLE `emergency_accesses` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`review_status` text DEFAULT 'pending' NOT NULL,
	`reviewed_by` text,
	`reviewed_at` integer,
	`review_note` text
);
--> statement-breakpoint
CREATE INDEX `emergency_accesses_doctor_idx` ON `emergency_accesses` (`doctor_id`,`patient_id`,`expires_at`);--> statement-breakpoint
CREATE INDEX `emergency_accesses_review_idx` ON `emergency_accesses` (`review_status`,`created_at`);--> statement-breakpoint
CREATE TABLE `medical_record_access_log` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_role` text NOT NULL,
	`action` text NOT NULL,
	`resource` text NOT NULL,
	`basis` text NOT NULL,
	`reason` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `medical_record_access_log_patient_idx` ON `medical_record_access_log` (`patient_id`,`at`);--> statement-breakpoint
CREATE TABLE `medical_record_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`file_id` text NOT NULL,
	`type` text NOT NULL,
	`added_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `medical_record_documents_file_idx` ON `medical_record_documents` (`file_id`);--> statement-breakpoint
CREATE INDEX `medical_record_documents_patient_idx` ON `medical_record_documents` (`patient_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `medical_record_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`version` integer NOT NULL,
	`key_id` text NOT NULL,
	`content` text NOT NULL,
	`sections_changed` text NOT NULL,
	`author_id` text NOT NULL,
	`author_role` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `medical_record_versions_patient_version_idx` ON `medical_record_versions` (`patient_id`,`version`);--> statement-breakpoint
CREATE TABLE `record_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`grantee_id` text NOT NULL,
	`scope` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `record_grants_patient_idx` ON `record_grants` (`patient_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `record_grants_grantee_idx` ON `record_grants` (`grantee_id`,`patient_id`);