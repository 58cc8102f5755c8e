CREATE TABLE `payment_events` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`type` text NOT NULL,
	`payment_id` text,
	`outcome` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_events_payment_idx` ON `payment_events` (`payment_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`payer_id` text NOT NULL,
	`payee_id` text NOT NULL,
	`description` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 1 NOT NULL,
	`checkout_session_id` text NOT NULL,
	`checkout_url` text NOT NULL,
	`expires_at` integer NOT NULL,
	`payment_intent_id` text,
	`charge_id` text,
	`balance_transaction_id` text,
	`method_brand` text,
	`method_last4` text,
	`refunded_cents` integer DEFAULT 0 NOT NULL,
	`tax_rate_bps` integer,
	`tax_label` text,
	`receipt_number` text,
	`failure_reason` text,
	`paid_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_subject_idx` ON `payments` (`subject_type`,`subject_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_session_idx` ON `payments` (`checkout_session_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_receipt_idx` ON `payments` (`receipt_number`);--> statement-breakpoint
CREATE INDEX `payments_intent_idx` ON `payments` (`payment_intent_id`);--> statement-breakpoint
CREATE INDEX `payments_payer_idx` ON `payments` (`payer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_payee_idx` ON `payments` (`payee_id`,`paid_at`);--> statement-breakpoint
CREATE INDEX `payments_paid_idx` ON `payments` (`paid_at`);--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`key` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`source` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`requested_by` text,
	`approved_by` text,
	`decided_at` integer,
	`provider_refund_id` text,
	`balance_transaction_id` text,
	`failure_reason` text,
	`refunded_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_key_idx` ON `refunds` (`key`);--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_provider_idx` ON `refunds` (`provider_refund_id`);--> statement-breakpoint
CREATE INDEX `refunds_payment_idx` ON `refunds` (`payment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `refunds_status_idx` ON `refunds` (`status`,`created_at`);--> statement-breakpoint
ALTER TABLE `appointments` ADD `payment_timing` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `payment_status` text DEFAULT 'unpaid' NOT NULL;--> statement-breakpoint
ALTER TABLE `appointments` ADD `payment_due_at` integer;--> statement-breakpoint
ALTER TABLE `appointments` ADD `paid_at` integer;--> statement-breakpoint
ALTER TABLE `appointments` ADD `refund_status` text;--> statement-breakpoint
ALTER TABLE `appointments` ADD `refund_cents` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `appointments` ADD `refunded_at` integer;--> statement-breakpoint
CREATE INDEX `appointments_payment_due_idx` ON `appointments` (`payment_due_at`);--> statement-breakpoint
ALTER TABLE `doctor_services` ADD `payment_timing` text;--> statement-breakpoint
UPDATE `appointments` SET `payment_status` = 'free' WHERE `price_cents` = 0;--> statement-breakpoint
UPDATE `appointments` SET `payment_timing` = 'later' WHERE `price_cents` > 0;
