ALTER TABLE `specializations` ADD `parent_id` text;--> statement-breakpoint
CREATE INDEX `specializations_parent_idx` ON `specializations` (`parent_id`);