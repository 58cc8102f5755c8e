CREATE TABLE `content_categories` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `content_categories_slug_idx` ON `content_categories` (`slug`);--> statement-breakpoint
CREATE TABLE `content_item_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`content_item_id` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`snapshot` text NOT NULL,
	`author_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `content_item_versions_item_idx` ON `content_item_versions` (`content_item_id`,`version`);--> statement-breakpoint
CREATE TABLE `content_items` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`slug` text NOT NULL,
	`summary` text,
	`body` text,
	`file_id` text,
	`category_id` text,
	`tags` text NOT NULL,
	`author_id` text NOT NULL,
	`meta_title` text,
	`meta_description` text,
	`social_image_file_id` text,
	`status` text NOT NULL,
	`publish_at` integer,
	`published_at` integer,
	`version` integer NOT NULL,
	`updated_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `content_items_slug_idx` ON `content_items` (`slug`);--> statement-breakpoint
CREATE INDEX `content_items_status_idx` ON `content_items` (`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `content_items_due_idx` ON `content_items` (`status`,`publish_at`);--> statement-breakpoint
CREATE INDEX `content_items_category_idx` ON `content_items` (`category_id`);