CREATE TABLE `caregiver_links` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`caregiver_id` text NOT NULL,
	`request_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer,
	`ended_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `caregiver_links_active_pair_idx` ON `caregiver_links` (`patient_id`,`caregiver_id`) WHERE ended_at is null;--> statement-breakpoint
CREATE INDEX `caregiver_links_caregiver_idx` ON `caregiver_links` (`caregiver_id`);--> statement-breakpoint
CREATE TABLE `caregiver_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`link_id` text NOT NULL,
	`author_id` text NOT NULL,
	`body` text NOT NULL,
	`file_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `caregiver_notes_link_idx` ON `caregiver_notes` (`link_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `caregiver_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`requester_id` text NOT NULL,
	`receiver_id` text NOT NULL,
	`status` text NOT NULL,
	`message` text,
	`created_at` integer NOT NULL,
	`responded_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `caregiver_requests_pending_pair_idx` ON `caregiver_requests` (`requester_id`,`receiver_id`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `caregiver_requests_receiver_idx` ON `caregiver_requests` (`receiver_id`,`status`);--> statement-breakpoint
CREATE INDEX `caregiver_requests_requester_idx` ON `caregiver_requests` (`requester_id`,`status`);--> statement-breakpoint
CREATE TABLE `realtime_tickets` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`session_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
