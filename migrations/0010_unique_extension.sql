-- One extension, one person (src/users/directory.ts). src/db/client.ts checks for duplicates before this
-- runs and stops with the extensions and users to fix, instead of SQLite's bare UNIQUE error below.
-- Hand-moved above the generated indexes: calls written before this migration get the user on their
-- extension now, the best this database knows (it never recorded who had a phone before); from now on
-- the call log writes the user of the time. Filled before the indexes on manager_id exist (one pass).
UPDATE calls SET manager_id = (SELECT u.id FROM users u WHERE u.extension = calls.extension)
  WHERE manager_id IS NULL AND extension IS NOT NULL;--> statement-breakpoint
UPDATE call_legs SET manager_id = (SELECT u.id FROM users u WHERE u.extension = call_legs.extension)
  WHERE manager_id IS NULL AND extension IS NOT NULL;--> statement-breakpoint
DROP INDEX `users_extension_idx`;--> statement-breakpoint
CREATE UNIQUE INDEX `users_extension_uq` ON `users` (`extension`) WHERE "users"."extension" IS NOT NULL;--> statement-breakpoint
DROP INDEX `calls_report_idx`;--> statement-breakpoint
CREATE INDEX `calls_manager_started_idx` ON `calls` (`manager_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_report_idx` ON `calls` (`started_at`,`extension`,`manager_id`,`direction`,`state`,`disposition`,`ring_ms`,`talk_ms`);--> statement-breakpoint
ALTER TABLE `call_outcome_stats_hourly` ADD `manager_id` text;--> statement-breakpoint
ALTER TABLE `call_stats_hourly` ADD `manager_id` text;--> statement-breakpoint
CREATE INDEX `call_legs_manager_idx` ON `call_legs` (`manager_id`);--> statement-breakpoint
-- Hand-written below (drizzle-kit does not model data or triggers): the hourly aggregates are keyed by
-- manager too now (reports credit a call to the user of the time), rebuilt from the calls as in 0004.
DELETE FROM call_stats_hourly;--> statement-breakpoint
INSERT INTO call_stats_hourly (hour_start, extension, manager_id, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
  SELECT started_at - started_at % 3600000, extension, manager_id, direction, count(*), sum(disposition IS 'answered'),
    coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
  FROM calls WHERE state = 'ended' GROUP BY 1, 2, 3, 4;--> statement-breakpoint
DELETE FROM call_outcome_stats_hourly;--> statement-breakpoint
INSERT INTO call_outcome_stats_hourly (hour_start, extension, manager_id, direction, outcome, calls)
  SELECT c.started_at - c.started_at % 3600000, c.extension, c.manager_id, c.direction, w.outcome, count(*)
  FROM calls c JOIN call_wrapups w ON w.call_id = c.id WHERE c.state = 'ended' GROUP BY 1, 2, 3, 4, 5;--> statement-breakpoint
DELETE FROM report_dirty;--> statement-breakpoint
-- A call whose manager changes notes its bucket, like the other columns of 0005's trigger.
DROP TRIGGER IF EXISTS calls_report_dirty_au;--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_au AFTER UPDATE OF state, direction, extension, manager_id, started_at, disposition, ring_ms, talk_ms ON calls
WHEN OLD.state = 'ended' OR NEW.state = 'ended' BEGIN
  INSERT INTO report_dirty (hour_start, extension) SELECT OLD.started_at - OLD.started_at % 3600000, coalesce(OLD.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = OLD.started_at - OLD.started_at % 3600000 AND extension = coalesce(OLD.extension, ''));
  INSERT INTO report_dirty (hour_start, extension) SELECT NEW.started_at - NEW.started_at % 3600000, coalesce(NEW.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = NEW.started_at - NEW.started_at % 3600000 AND extension = coalesce(NEW.extension, ''));
END;
