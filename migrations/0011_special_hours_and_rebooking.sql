CREATE TABLE `special_hours` (
	`id` text PRIMARY KEY NOT NULL,
	`doctor_id` text NOT NULL,
	`date` text NOT NULL,
	`hours` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `special_hours_doctor_date_idx` ON `special_hours` (`doctor_id`,`date`);--> statement-breakpoint
ALTER TABLE `appointments` ADD `needs_rebooking` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_by_id` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_kind` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_at` integer;--> statement-breakpoint
CREATE INDEX `appointments_affected_by_idx` ON `appointments` (`affected_by_id`);