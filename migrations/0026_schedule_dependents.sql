ALTER TABLE `schedules` ADD `dependent_id` text;--> statement-breakpoint
CREATE INDEX `schedules_dependent_idx` ON `schedules` (`owner_id`,`dependent_id`);