CREATE TABLE `bot_conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`pending` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `bot_conversations_user_idx` ON `bot_conversations` (`user_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `bot_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`actions` text,
	`via` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `bot_messages_conversation_idx` ON `bot_messages` (`conversation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `bot_messages_user_idx` ON `bot_messages` (`user_id`);