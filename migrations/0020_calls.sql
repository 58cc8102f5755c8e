CREATE TABLE `call_consents` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`appointment_id` text NOT NULL,
	`user_id` text NOT NULL,
	`action` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_consents_session_idx` ON `call_consents` (`session_id`,`at`);--> statement-breakpoint
CREATE INDEX `call_consents_user_idx` ON `call_consents` (`user_id`);--> statement-breakpoint
CREATE TABLE `call_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`label` text NOT NULL,
	`invited_by` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_by` text,
	`used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_invitations_token_idx` ON `call_invitations` (`token_hash`);--> statement-breakpoint
CREATE INDEX `call_invitations_appointment_idx` ON `call_invitations` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `call_invitations_used_by_idx` ON `call_invitations` (`used_by`);--> statement-breakpoint
CREATE TABLE `call_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`appointment_id` text NOT NULL,
	`sender_id` text NOT NULL,
	`body` text,
	`file_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_messages_appointment_idx` ON `call_messages` (`appointment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `call_messages_sender_idx` ON `call_messages` (`sender_id`);--> statement-breakpoint
CREATE TABLE `call_participants` (
	`session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`invitation_id` text,
	`admitted_at` integer,
	`first_joined_at` integer NOT NULL,
	`last_joined_at` integer NOT NULL,
	`last_left_at` integer,
	`join_count` integer DEFAULT 1 NOT NULL,
	`present_seconds` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`session_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `call_participants_user_idx` ON `call_participants` (`user_id`);--> statement-breakpoint
CREATE TABLE `call_recordings` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`appointment_id` text NOT NULL,
	`started_by` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`stopped_at` integer,
	`stop_reason` text,
	`storage_key` text,
	`upload_id` text,
	`content_type` text,
	`size_bytes` integer,
	`stored_at` integer,
	`delete_after` integer,
	`deleted_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_recordings_appointment_idx` ON `call_recordings` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `call_recordings_delete_idx` ON `call_recordings` (`status`,`delete_after`);--> statement-breakpoint
CREATE TABLE `call_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`status` text NOT NULL,
	`opened_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`ended_by` text,
	`duration_seconds` integer,
	`outcome` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_sessions_appointment_idx` ON `call_sessions` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `call_sessions_doctor_idx` ON `call_sessions` (`doctor_id`);--> statement-breakpoint
CREATE INDEX `call_sessions_patient_idx` ON `call_sessions` (`patient_id`);