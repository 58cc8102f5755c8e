CREATE TABLE `reminders` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`kind` text NOT NULL,
	`recipient_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`status` text NOT NULL,
	`notice` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`enqueued_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reminders_key_idx` ON `reminders` (`subject_type`,`subject_id`,`kind`,`recipient_id`);--> statement-breakpoint
CREATE INDEX `reminders_due_idx` ON `reminders` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `reminders_recipient_idx` ON `reminders` (`recipient_id`);