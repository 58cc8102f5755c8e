CREATE TABLE `phone_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`call_sid` text,
	`direction` text NOT NULL,
	`from_number` text,
	`to_number` text,
	`status` text NOT NULL,
	`duration_seconds` integer,
	`started_at` integer,
	`ended_at` integer,
	`appointment_id` text,
	`doctor_id` text,
	`patient_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_calls_call_sid_uq` ON `phone_calls` (`call_sid`);--> statement-breakpoint
CREATE INDEX `phone_calls_created_idx` ON `phone_calls` (`created_at`);--> statement-breakpoint
CREATE INDEX `phone_calls_status_created_idx` ON `phone_calls` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `phone_calls_doctor_idx` ON `phone_calls` (`doctor_id`);--> statement-breakpoint
CREATE INDEX `phone_calls_patient_idx` ON `phone_calls` (`patient_id`);