ALTER TABLE `calls` ADD `queue` text;--> statement-breakpoint
ALTER TABLE `calls` ADD `queue_wait_ms` integer;--> statement-breakpoint
ALTER TABLE `calls` ADD `queue_outcome` text;--> statement-breakpoint
CREATE INDEX `calls_queue_started_idx` ON `calls` (`queue`,`started_at`);