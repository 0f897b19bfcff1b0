CREATE TABLE `call_legs` (
	`id` text PRIMARY KEY NOT NULL,
	`call_id` text NOT NULL,
	`unique_id` text NOT NULL,
	`channel` text NOT NULL,
	`extension` text,
	`manager_id` text,
	`started_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`ring_ms` integer DEFAULT 0 NOT NULL,
	`talk_ms` integer DEFAULT 0 NOT NULL,
	`disposition` text,
	`hangup_cause` text,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_legs_unique_id_uq` ON `call_legs` (`unique_id`);--> statement-breakpoint
CREATE INDEX `call_legs_call_idx` ON `call_legs` (`call_id`);--> statement-breakpoint
CREATE TABLE `calls` (
	`id` text PRIMARY KEY NOT NULL,
	`linked_id` text NOT NULL,
	`state` text NOT NULL,
	`source` text NOT NULL,
	`direction` text NOT NULL,
	`origin` text,
	`external_number` text,
	`extension` text,
	`manager_id` text,
	`contact_id` text,
	`started_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`ring_ms` integer DEFAULT 0 NOT NULL,
	`talk_ms` integer DEFAULT 0 NOT NULL,
	`disposition` text,
	`hangup_cause` text,
	`recording_file` text,
	`recording_ms` integer,
	`merged_linked_ids` text DEFAULT '' NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calls_linked_id_uq` ON `calls` (`linked_id`);--> statement-breakpoint
CREATE INDEX `calls_started_at_idx` ON `calls` (`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `calls_extension_started_idx` ON `calls` (`extension`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_state_idx` ON `calls` (`state`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_uq` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`extension` text,
	`password_hash` text,
	`language` text DEFAULT 'ru' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_name_uq` ON `users` (`name`);--> statement-breakpoint
CREATE INDEX `users_extension_idx` ON `users` (`extension`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
