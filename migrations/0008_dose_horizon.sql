ALTER TABLE `schedules` ADD `doses_through` text;--> statement-breakpoint
CREATE INDEX `schedules_horizon_idx` ON `schedules` (`status`,`doses_through`);