CREATE TABLE `doctor_ratings` (
	`doctor_id` text PRIMARY KEY NOT NULL,
	`review_count` integer NOT NULL,
	`average` real,
	`punctuality` real,
	`bedside_manner` real,
	`communication` real,
	`wait_time` real,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `review_flags` (
	`review_id` text NOT NULL,
	`user_id` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`review_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `review_flags_user_idx` ON `review_flags` (`user_id`);--> statement-breakpoint
CREATE TABLE `reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`rating` integer NOT NULL,
	`punctuality` integer,
	`bedside_manner` integer,
	`communication` integer,
	`wait_time` integer,
	`comment` text,
	`photo_file_id` text,
	`anonymous` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`held_reason` text,
	`moderation_reason` text,
	`moderated_by` text,
	`moderated_at` integer,
	`flag_count` integer DEFAULT 0 NOT NULL,
	`reply` text,
	`replied_at` integer,
	`appeal` text,
	`appealed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reviews_appointment_idx` ON `reviews` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `reviews_doctor_idx` ON `reviews` (`doctor_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `reviews_patient_idx` ON `reviews` (`patient_id`);--> statement-breakpoint
CREATE INDEX `reviews_status_idx` ON `reviews` (`status`,`created_at`);