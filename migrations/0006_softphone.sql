ALTER TABLE `users` ADD `phone_mode` text DEFAULT 'desk' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `sip_rotation` integer DEFAULT 0 NOT NULL;