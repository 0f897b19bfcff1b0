CREATE TABLE `report_dirty` (
	`hour_start` integer NOT NULL,
	`extension` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_dirty_uq` ON `report_dirty` (`hour_start`,`extension`);--> statement-breakpoint
-- Hand-written below (drizzle-kit does not model triggers): the triggers of 0004 recomputed a whole
-- bucket inside every write of an ended call, on the call-end path; these only note the bucket (NOT EXISTS rather than OR IGNORE: an outer
-- upsert's conflict policy would override a trigger's), and
-- src/reports/aggregates.ts recomputes noted buckets in the background and before every report.
DROP TRIGGER IF EXISTS calls_reports_ai;
--> statement-breakpoint
DROP TRIGGER IF EXISTS calls_reports_au;
--> statement-breakpoint
DROP TRIGGER IF EXISTS calls_reports_ad;
--> statement-breakpoint
DROP TRIGGER IF EXISTS call_wrapups_reports_ai;
--> statement-breakpoint
DROP TRIGGER IF EXISTS call_wrapups_reports_au;
--> statement-breakpoint
DROP TRIGGER IF EXISTS call_wrapups_reports_ad;
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_ai AFTER INSERT ON calls WHEN NEW.state = 'ended' BEGIN
  INSERT INTO report_dirty (hour_start, extension) SELECT NEW.started_at - NEW.started_at % 3600000, coalesce(NEW.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = NEW.started_at - NEW.started_at % 3600000 AND extension = coalesce(NEW.extension, ''));
END;
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_au AFTER UPDATE OF state, direction, extension, started_at, disposition, ring_ms, talk_ms ON calls
WHEN OLD.state = 'ended' OR NEW.state = 'ended' BEGIN
  INSERT INTO report_dirty (hour_start, extension) SELECT OLD.started_at - OLD.started_at % 3600000, coalesce(OLD.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = OLD.started_at - OLD.started_at % 3600000 AND extension = coalesce(OLD.extension, ''));
  INSERT INTO report_dirty (hour_start, extension) SELECT NEW.started_at - NEW.started_at % 3600000, coalesce(NEW.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = NEW.started_at - NEW.started_at % 3600000 AND extension = coalesce(NEW.extension, ''));
END;
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_ad AFTER DELETE ON calls WHEN OLD.state = 'ended' BEGIN
  INSERT INTO report_dirty (hour_start, extension) SELECT OLD.started_at - OLD.started_at % 3600000, coalesce(OLD.extension, '') WHERE NOT EXISTS (SELECT 1 FROM report_dirty WHERE hour_start = OLD.started_at - OLD.started_at % 3600000 AND extension = coalesce(OLD.extension, ''));
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_ai AFTER INSERT ON call_wrapups BEGIN
  INSERT INTO report_dirty (hour_start, extension)
    SELECT c.started_at - c.started_at % 3600000, coalesce(c.extension, '') FROM calls c WHERE c.id = NEW.call_id
      AND NOT EXISTS (SELECT 1 FROM report_dirty d WHERE d.hour_start = c.started_at - c.started_at % 3600000 AND d.extension = coalesce(c.extension, ''));
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_au AFTER UPDATE ON call_wrapups BEGIN
  INSERT INTO report_dirty (hour_start, extension)
    SELECT DISTINCT c.started_at - c.started_at % 3600000, coalesce(c.extension, '') FROM calls c WHERE c.id IN (OLD.call_id, NEW.call_id)
      AND NOT EXISTS (SELECT 1 FROM report_dirty d WHERE d.hour_start = c.started_at - c.started_at % 3600000 AND d.extension = coalesce(c.extension, ''));
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_ad AFTER DELETE ON call_wrapups BEGIN
  INSERT INTO report_dirty (hour_start, extension)
    SELECT c.started_at - c.started_at % 3600000, coalesce(c.extension, '') FROM calls c WHERE c.id = OLD.call_id
      AND NOT EXISTS (SELECT 1 FROM report_dirty d WHERE d.hour_start = c.started_at - c.started_at % 3600000 AND d.extension = coalesce(c.extension, ''));
END;
