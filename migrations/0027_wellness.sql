CREATE TABLE `goal_progress` (
	`id` text PRIMARY KEY NOT NULL,
	`goal_id` text NOT NULL,
	`user_id` text NOT NULL,
	`value` real NOT NULL,
	`date` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `goal_progress_goal_idx` ON `goal_progress` (`goal_id`,`date`);--> statement-breakpoint
CREATE INDEX `goal_progress_user_idx` ON `goal_progress` (`user_id`);--> statement-breakpoint
CREATE TABLE `goal_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`category` text NOT NULL,
	`suggested_target` real NOT NULL,
	`unit` text NOT NULL,
	`horizon` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `health_scores` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`date` text NOT NULL,
	`overall` integer NOT NULL,
	`sleep` integer,
	`activity` integer,
	`nutrition` integer,
	`mood` integer,
	`stress` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `health_scores_user_date_idx` ON `health_scores` (`user_id`,`date`);--> statement-breakpoint
CREATE TABLE `wellness_feedback` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`rating` integer NOT NULL,
	`category` text NOT NULL,
	`text` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `wellness_feedback_created_idx` ON `wellness_feedback` (`created_at`);--> statement-breakpoint
CREATE INDEX `wellness_feedback_user_idx` ON `wellness_feedback` (`user_id`);--> statement-breakpoint
CREATE TABLE `wellness_goals` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`template_id` text,
	`title` text NOT NULL,
	`category` text NOT NULL,
	`target_value` real NOT NULL,
	`unit` text NOT NULL,
	`due_date` text,
	`horizon` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`progress` real DEFAULT 0 NOT NULL,
	`ended_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `wellness_goals_user_idx` ON `wellness_goals` (`user_id`,`status`,`created_at`);