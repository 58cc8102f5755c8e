ALTER TABLE `users` ADD `facebook_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_facebook_id_unique` ON `users` (`facebook_id`);