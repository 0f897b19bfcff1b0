ALTER TABLE `users` ADD `mobile` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_mobile_uq` ON `users` (`mobile`) WHERE "users"."mobile" IS NOT NULL;