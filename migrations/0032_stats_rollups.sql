CREATE TABLE `daily_rollups` (
	`metric` text NOT NULL,
	`dim` text NOT NULL,
	`day` text NOT NULL,
	`value` real NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`metric`, `day`, `dim`)
);
--> statement-breakpoint
CREATE TABLE `rollup_state` (
	`id` text PRIMARY KEY NOT NULL,
	`time_zone` text NOT NULL,
	`next_day` text NOT NULL,
	`rerolled_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stats_calendar` (
	`day` text PRIMARY KEY NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointments_created_idx` ON `appointments` (`created_at`);--> statement-breakpoint
CREATE INDEX `appointments_cancelled_idx` ON `appointments` (`cancelled_at`);--> statement-breakpoint
CREATE INDEX `sessions_created_idx` ON `sessions` (`created_at`);--> statement-breakpoint
CREATE INDEX `sessions_last_used_idx` ON `sessions` (`last_used_at`,`user_id`);--> statement-breakpoint
CREATE INDEX `vaccine_schedules_administered_idx` ON `vaccine_schedules` (`administered_on`);--> statement-breakpoint
CREATE INDEX `deliveries_sent_idx` ON `deliveries` (`sent_at`);--> statement-breakpoint
CREATE INDEX `refunds_refunded_idx` ON `refunds` (`refunded_at`);--> statement-breakpoint
CREATE INDEX `users_created_idx` ON `users` (`created_at`,`role`);--> statement-breakpoint
CREATE INDEX `health_scores_date_idx` ON `health_scores` (`date`);