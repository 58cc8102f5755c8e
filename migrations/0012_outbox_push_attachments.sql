ALTER TABLE `dev_outbox` ADD `attachments` text;--> statement-breakpoint
ALTER TABLE `dev_outbox` ADD `data` text;