CREATE TABLE `waitlist_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`service_id` text NOT NULL,
	`created_by` text,
	`from_date` text NOT NULL,
	`to_date` text NOT NULL,
	`time_from` text,
	`time_to` text,
	`time_zone` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `waitlist_entries_doctor_idx` ON `waitlist_entries` (`doctor_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `waitlist_entries_patient_idx` ON `waitlist_entries` (`patient_id`,`status`);--> statement-breakpoint
CREATE TABLE `waitlist_offers` (
	`id` text PRIMARY KEY NOT NULL,
	`entry_id` text NOT NULL,
	`patient_id` text NOT NULL,
	`doctor_id` text NOT NULL,
	`service_id` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`hold_id` text NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `waitlist_offers_hold_id_unique` ON `waitlist_offers` (`hold_id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_entry_idx` ON `waitlist_offers` (`entry_id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_live_idx` ON `waitlist_offers` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_patient_idx` ON `waitlist_offers` (`patient_id`);--> statement-breakpoint
-- A waitlist offer is a hold: when the booking flow converts the hold into an appointment (POST
-- /appointments with holdId), the offer becomes `accepted` and its entry `booked`, in the booking's own
-- transaction. The time is the appointment's creation time (the booking's injected clock).
CREATE TRIGGER `waitlist_offer_booked` AFTER UPDATE OF `appointment_id` ON `appointment_holds`
WHEN OLD.`appointment_id` IS NULL AND NEW.`appointment_id` IS NOT NULL
BEGIN
  UPDATE `waitlist_offers`
    SET `status` = 'accepted',
        `ended_at` = (SELECT `created_at` FROM `appointments` WHERE `id` = NEW.`appointment_id`)
    WHERE `hold_id` = NEW.`id` AND `status` = 'offered';
  UPDATE `waitlist_entries`
    SET `status` = 'booked',
        `updated_at` = coalesce((SELECT `created_at` FROM `appointments` WHERE `id` = NEW.`appointment_id`), `updated_at`)
    WHERE `status` = 'waiting' AND `id` IN (SELECT `entry_id` FROM `waitlist_offers` WHERE `hold_id` = NEW.`id`);
END;
