CREATE TABLE `care_session_reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`caregiver_id` text NOT NULL,
	`rating` integer NOT NULL,
	`comment` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `care_session_reviews_session_idx` ON `care_session_reviews` (`session_id`);--> statement-breakpoint
CREATE INDEX `care_session_reviews_caregiver_idx` ON `care_session_reviews` (`caregiver_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `care_session_reviews_patient_idx` ON `care_session_reviews` (`patient_id`);--> statement-breakpoint
ALTER TABLE `caregiver_profiles` ADD `rating_average` real;--> statement-breakpoint
ALTER TABLE `caregiver_profiles` ADD `rating_count` integer DEFAULT 0 NOT NULL;