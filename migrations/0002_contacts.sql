CREATE TABLE `clients` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`turnover_minor` integer,
	`currency` text,
	`owner_id` text,
	`segment` text,
	`external_id` text,
	`search` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_external_id_uq` ON `clients` (`external_id`);--> statement-breakpoint
CREATE INDEX `clients_owner_idx` ON `clients` (`owner_id`);--> statement-breakpoint
CREATE INDEX `clients_name_idx` ON `clients` (`name`,`id`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`external_id` text,
	`search` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_external_id_uq` ON `contacts` (`external_id`);--> statement-breakpoint
CREATE INDEX `contacts_client_idx` ON `contacts` (`client_id`);--> statement-breakpoint
CREATE INDEX `contacts_name_idx` ON `contacts` (`name`,`id`);--> statement-breakpoint
CREATE TABLE `contact_phones` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`raw` text NOT NULL,
	`e164` text NOT NULL,
	`label` text,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `contact_phones_e164_idx` ON `contact_phones` (`e164`);--> statement-breakpoint
CREATE UNIQUE INDEX `contact_phones_contact_e164_uq` ON `contact_phones` (`contact_id`,`e164`);--> statement-breakpoint
ALTER TABLE `calls` ADD `client_id` text;--> statement-breakpoint
ALTER TABLE `calls` ADD `routed_by` text;--> statement-breakpoint
CREATE INDEX `calls_external_number_started_idx` ON `calls` (`external_number`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_contact_disposition_started_idx` ON `calls` (`contact_id`,`disposition`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_client_started_idx` ON `calls` (`client_id`,`started_at`);