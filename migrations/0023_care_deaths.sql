CREATE TABLE `care_deaths` (
	`patient_id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`reported_by` text NOT NULL,
	`at` integer NOT NULL
);
