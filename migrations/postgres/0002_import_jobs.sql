CREATE TABLE "import_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"rows_read" bigint DEFAULT 0 NOT NULL,
	"rows_imported" bigint DEFAULT 0 NOT NULL,
	"rows_changed" bigint DEFAULT 0 NOT NULL,
	"rows_rejected" bigint DEFAULT 0 NOT NULL,
	"errors" text DEFAULT '[]' NOT NULL,
	"errors_truncated" boolean DEFAULT false NOT NULL,
	"message" text,
	"started_by" text NOT NULL,
	"started_at" bigint NOT NULL,
	"finished_at" bigint,
	"heartbeat_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "import_jobs_started_idx" ON "import_jobs" USING btree ("started_at");