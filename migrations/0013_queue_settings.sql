CREATE TABLE `queue_settings` (
	`queue` text PRIMARY KEY NOT NULL,
	`service_level_seconds` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text
);
