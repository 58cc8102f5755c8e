CREATE TABLE `prescriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`medications` text NOT NULL,
	`notes` text,
	`status` text DEFAULT 'active' NOT NULL,
	`time_zone` text NOT NULL,
	`start_date` text NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`schedule_ids` text NOT NULL,
	`deleted_at` integer,
	`delete_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `prescriptions_patient_idx` ON `prescriptions` (`patient_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `prescriptions_doctor_idx` ON `prescriptions` (`doctor_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `prescriptions_appointment_idx` ON `prescriptions` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `prescriptions_expiry_idx` ON `prescriptions` (`status`,`expires_at`);