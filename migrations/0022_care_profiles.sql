CREATE TABLE `care_specialties` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `care_specialties_slug_unique` ON `care_specialties` (`slug`);--> statement-breakpoint
CREATE TABLE `caregiver_credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`caregiver_id` text NOT NULL,
	`type` text NOT NULL,
	`number` text NOT NULL,
	`issuer` text NOT NULL,
	`expires_at` text,
	`document_file_ids` text NOT NULL,
	`expiry_notice_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `caregiver_credentials_caregiver_idx` ON `caregiver_credentials` (`caregiver_id`);--> statement-breakpoint
CREATE INDEX `caregiver_credentials_expiry_idx` ON `caregiver_credentials` (`expires_at`);--> statement-breakpoint
CREATE TABLE `caregiver_profiles` (
	`user_id` text PRIMARY KEY NOT NULL,
	`bio` text,
	`years_of_experience` integer,
	`languages` text NOT NULL,
	`hourly_rate_cents` integer,
	`currency` text DEFAULT 'EUR' NOT NULL,
	`photo_file_id` text,
	`address` text,
	`latitude` real,
	`longitude` real,
	`service_radius_km` integer,
	`rejection_reason` text,
	`rejected_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `caregiver_profiles_lat_idx` ON `caregiver_profiles` (`latitude`,`longitude`);--> statement-breakpoint
CREATE TABLE `caregiver_recommendations` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`caregiver_id` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `caregiver_recommendations_patient_idx` ON `caregiver_recommendations` (`patient_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `caregiver_recommendations_doctor_idx` ON `caregiver_recommendations` (`doctor_id`);--> statement-breakpoint
CREATE INDEX `caregiver_recommendations_caregiver_idx` ON `caregiver_recommendations` (`caregiver_id`);--> statement-breakpoint
CREATE TABLE `caregiver_specialties` (
	`caregiver_id` text NOT NULL,
	`specialty_id` text NOT NULL,
	PRIMARY KEY(`caregiver_id`, `specialty_id`)
);
--> statement-breakpoint
CREATE INDEX `caregiver_specialties_specialty_idx` ON `caregiver_specialties` (`specialty_id`);
--> statement-breakpoint
-- The design's ten home-care specialties, with stable ids and slugs.
INSERT INTO `care_specialties` (`id`, `slug`, `name`, `description`, `created_at`, `updated_at`) VALUES
  ('csp_nursing', 'nursing', 'Nursing', NULL, 1767225600000, 1767225600000),
  ('csp_geriatric-care', 'geriatric-care', 'Geriatric Care', NULL, 1767225600000, 1767225600000),
  ('csp_pediatric-care', 'pediatric-care', 'Pediatric Care', NULL, 1767225600000, 1767225600000),
  ('csp_physiotherapy', 'physiotherapy', 'Physiotherapy', NULL, 1767225600000, 1767225600000),
  ('csp_mental-health-support', 'mental-health-support', 'Mental Health Support', NULL, 1767225600000, 1767225600000),
  ('csp_post-operative-care', 'post-operative-care', 'Post-operative Care', NULL, 1767225600000, 1767225600000),
  ('csp_disability-support', 'disability-support', 'Disability Support', NULL, 1767225600000, 1767225600000),
  ('csp_nutrition', 'nutrition', 'Nutrition', NULL, 1767225600000, 1767225600000),
  ('csp_maternal-health', 'maternal-health', 'Maternal Health', NULL, 1767225600000, 1767225600000),
  ('csp_medication-management', 'medication-management', 'Medication Management', NULL, 1767225600000, 1767225600000);