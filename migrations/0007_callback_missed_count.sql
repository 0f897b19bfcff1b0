ALTER TABLE `tasks` ADD `missed_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `last_missed_at` integer;--> statement-breakpoint
UPDATE `tasks` SET `missed_count` = 1, `last_missed_at` = (SELECT coalesce(`ended_at`, `started_at`) FROM `calls` WHERE `calls`.`id` = `tasks`.`missed_call_id`) WHERE `missed_call_id` IS NOT NULL;
