CREATE TABLE `import_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`rows_read` integer DEFAULT 0 NOT NULL,
	`rows_imported` integer DEFAULT 0 NOT NULL,
	`rows_changed` integer DEFAULT 0 NOT NULL,
	`rows_rejected` integer DEFAULT 0 NOT NULL,
	`errors` text DEFAULT '[]' NOT NULL,
	`errors_truncated` integer DEFAULT false NOT NULL,
	`message` text,
	`started_by` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `import_jobs_started_idx` ON `import_jobs` (`started_at`);