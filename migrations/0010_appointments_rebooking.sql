ALTER TABLE `appointments` ADD `needs_rebooking` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_by_id` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_kind` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `affected_at` integer;--> statement-breakpoint
CREATE INDEX `appointments_affected_by_idx` ON `appointments` (`affected_by_id`);