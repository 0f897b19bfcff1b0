DROP INDEX "call_legs_unique_id_uq";--> statement-breakpoint
DROP INDEX "calls_linked_id_uq";--> statement-breakpoint
DROP INDEX "users_extension_uq";--> statement-breakpoint
ALTER TABLE "call_legs" ADD COLUMN "pbx_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "call_outcome_stats_hourly" ADD COLUMN "pbx_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "call_stats_hourly" ADD COLUMN "pbx_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "pbx_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "pbx_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "call_legs_pbx_unique_id_uq" ON "call_legs" USING btree ("pbx_id","unique_id");--> statement-breakpoint
CREATE UNIQUE INDEX "calls_pbx_linked_id_uq" ON "calls" USING btree ("pbx_id","linked_id");--> statement-breakpoint
CREATE INDEX "calls_pbx_started_idx" ON "calls" USING btree ("pbx_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_pbx_extension_uq" ON "users" USING btree ("pbx_id","extension") WHERE "users"."extension" IS NOT NULL;